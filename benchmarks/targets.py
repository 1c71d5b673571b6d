"""The five speed targets, measured in one run against yardsticks measured in the same run.

Run: .venv/bin/python benchmarks/targets.py [--runs N] [--only P1,P3]
Every measurement is the median of N runs (default 5; P4's builds default to 3), run one after another; every
build is a cold process unless said otherwise. All output goes to a temporary folder, never into the repository.
The table at the end shows each median, the yardstick's median, their ratio, the goal and whether it is met.

P1  the seed (source/kazakhstan-solidarity.md), all five formats, `publish build` in a cold process, against the
    pandoc pair `pandoc seed.md -o x.epub` + `pandoc seed.md --pdf-engine=weasyprint -o x.pdf`; goal ≤ 1.0×.
P2  eight copies of the seed in one call with `--jobs 2`, against eight calls of one source each; goal ≤ 0.33×.
P3  a rebuild with nothing changed, against a full build with `--force`; goal ≤ 0.15×, and WeasyPrint is not
    imported during the rebuild (checked once with `python -X importtime`).
P4  a long text (benchmarks/texts/persuasion.md, 150+ A5 pages), all five formats, against bare WeasyPrint
    rendering that text's web edition once; goal ≤ 1.3×. A second row sets the same build against bare WeasyPrint
    rendering the print edition's HTML (the same A5 pages, without the other formats, the tags or the checks).
    Peak memory of the build with its child processes ≤ 400 MB. Time per page flat: (seconds per page at ~300 pages) / (seconds per page at ~30 pages) ≤ 1.2,
    the two texts cut from the same chapters (repeated for 300 pages).
P5  `publish watch --format pdf`: from writing a change to the source to the new PDF on disk, against a warm
    `publish.pipeline.build(..., formats=["pdf"])` called again in one process; goal ≤ 1.5×.

The build cache goes to a temporary folder of the run (PUBLISH_CACHE), never the user's own."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SEED = REPO / "source" / "kazakhstan-solidarity.md"
LONG_TEXT = REPO / "benchmarks" / "texts" / "persuasion.md"  # provenance and licence: benchmarks/texts/README.md
PANDOC = "/usr/bin/pandoc"
TARGETS = ("P1", "P2", "P3", "P4", "P5")

# Runs a command and writes its wall time and the peak RSS of it and every descendant it reaped (ru_maxrss of
# RUSAGE_CHILDREN, in KiB on Linux) to a file, so that the wrapper's own start-up is not timed.
WRAPPER = """import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
seconds = time.perf_counter() - started
json.dump({"seconds": seconds, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, open(sys.argv[1], "w"))
sys.exit(code)
"""

# Writes the print edition's HTML, with its stylesheets and fonts inline, as one file bare WeasyPrint can render:
# the same A5 pages publish lays out, without the other formats, the tags or the checks.
PRINTED_HTML = """import sys
from pathlib import Path
from publish.config import load_config
from publish.editions import stylesheet
from publish.fonts import FACES, font_face_css, font_path
from publish.markup import to_document
from publish.render.printed import BLEED, print_html
from publish.sources import load
config, source = load_config("."), Path(sys.argv[1]).resolve()
document = to_document(load(source, source.name))
css = font_face_css({f.file: font_path(config, f).resolve().as_uri() for f in FACES})
css += stylesheet(config, "base.css", "print.css") + f"@page {{ bleed: {BLEED}mm }}"
Path(sys.argv[2]).write_text(print_html(config, document).replace("</head>", f"<style>{css}</style></head>", 1))
"""

# Calls build(force=True) runs+1 times in one process and prints the times of all but the first (the warm ones).
WARM = """import json, sys, time
from publish.pipeline import build
source, out, root, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
for _ in range(runs + 1):
    started = time.perf_counter()
    manifest = build([source], out=out, formats=["pdf"], root=root, force=True)  # past the build cache
    times.append(time.perf_counter() - started)
    if manifest.failed:
        sys.exit(f"build failed: {manifest.failed}")
print(json.dumps(times[1:]))
"""


@dataclass
class Row:
    target: str
    work: str
    measured: str
    yardstick: str
    ratio: str
    goal: str
    met: str


@dataclass
class Bench:
    tmp: Path
    runs: int
    long_runs: int
    commands: dict[str, str]

    def record(self, label: str, command: list[str], cwd: Path) -> None:
        """Keep the command for the footnotes, with the temporary folder and the interpreter spelt portably."""
        shown = shlex.join(command).replace(str(self.tmp), "$TMP").replace(PYTHON, ".venv/bin/python")
        shown = shown.replace(f"{REPO}/", "")
        self.commands.setdefault(label, f"(in {str(cwd).replace(str(self.tmp), '$TMP')}) {shown}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def env_with_venv() -> dict[str, str]:
    """The environment with the venv's bin first on PATH, so pandoc finds weasyprint."""
    return {**os.environ, "PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def cold(command: list[str], cwd: Path) -> tuple[float, int]:
    """Run a command in a fresh process; its wall time in seconds and the peak RSS of its process tree in KiB."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as report:
        result_path = report.name
    try:
        done = subprocess.run([PYTHON, "-c", WRAPPER, result_path, *command], cwd=cwd, env=env_with_venv(),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        result = json.loads(Path(result_path).read_text())
    finally:
        os.unlink(result_path)
    return result["seconds"], result["peak_kib"]


def median_cold(bench: Bench, label: str, command: list[str], cwd: Path, runs: int) -> float:
    bench.record(label, command, cwd)
    return statistics.median(cold(command, cwd)[0] for _ in range(runs))


def publish(*args: str) -> list[str]:
    return [PYTHON, "-m", "publish", *args]


def build_command(bench: Bench, source: str, out: Path, *extra: str, force: bool = True) -> list[str]:
    """`publish build SOURCE --out OUT`, past the build cache unless `force` is false."""
    return publish("build", source, "--out", str(out), *extra, *(["--force"] if force else []))


def make_project(where: Path, sources: dict[str, str]) -> Path:
    """A project folder holding source/<slug>.md for each text."""
    (where / "source").mkdir(parents=True)
    for slug, text in sources.items():
        (where / "source" / f"{slug}.md").write_text(text, encoding="utf-8")
    return where


def manifest_entry(out: Path, fmt: str = "pdf") -> dict:
    """The first manifest.json entry of one format (one source per folder here)."""
    artifacts = json.loads((out / "manifest.json").read_text())["artifacts"]
    return next(a for a in artifacts if a["format"] == fmt)


def row(target: str, work: str, measured: float, yardstick: float, yard_text: str, goal: float, unit: str = "×") -> Row:
    ratio = measured / yardstick
    return Row(target, work, f"{measured:.2f} s", f"{yard_text}: {yardstick:.2f} s", f"{ratio:.2f}{unit}",
               f"≤ {goal}{unit}", "yes" if ratio <= goal else "no")


def p1_seed(bench: Bench) -> list[Row]:
    """The seed, all five formats, cold, against pandoc's EPUB plus pandoc's PDF through WeasyPrint."""
    log("P1: the seed against the pandoc pair")
    root = make_project(bench.tmp / "p1", {SEED.stem: SEED.read_text(encoding="utf-8")})
    ours = median_cold(bench, "P1 publish", build_command(bench, "source", bench.tmp / "p1-out"), root, bench.runs)
    epub = median_cold(bench, "P1 yardstick EPUB", [PANDOC, str(SEED), "-o", str(bench.tmp / "x.epub")], root,
                       bench.runs)
    pdf = median_cold(bench, "P1 yardstick PDF",
                      [PANDOC, str(SEED), "--pdf-engine=weasyprint", "-o", str(bench.tmp / "x.pdf")], root, bench.runs)
    return [row("P1", "seed, 5 formats, cold", ours, epub + pdf, f"pandoc epub {epub:.2f} s + pdf {pdf:.2f} s", 1.0)]


def p2_jobs(bench: Bench) -> list[Row]:
    """Eight copies of the seed in one call with --jobs 2, against eight cold calls of one source each."""
    log("P2: eight sources in one call against eight calls")
    seed = SEED.read_text(encoding="utf-8")
    slugs = [f"seed-{n}" for n in range(1, 9)]
    root = make_project(bench.tmp / "p2", {slug: seed for slug in slugs})
    together = median_cold(bench, "P2 one call", build_command(bench, "source", bench.tmp / "p2-one", "--jobs", "2"),
                           root, bench.runs)
    separate = []
    for _ in range(bench.runs):
        commands = [build_command(bench, f"source/{slug}.md", bench.tmp / "p2-each") for slug in slugs]
        separate.append(sum(cold(command, root)[0] for command in commands))
    bench.record("P2 eight calls (one of them)", commands[0], root)
    return [row("P2", "8 seeds, one call, --jobs 2", together, statistics.median(separate), "8 separate calls", 0.33)]


def p3_rebuild(bench: Bench) -> list[Row]:
    """A rebuild with nothing changed against a full build, and whether WeasyPrint is imported during it."""
    log("P3: a rebuild with nothing changed against a full build")
    root = make_project(bench.tmp / "p3", {SEED.stem: SEED.read_text(encoding="utf-8")})
    out = bench.tmp / "p3-out"
    full_command = build_command(bench, "source", out)
    again_command = build_command(bench, "source", out, force=False)
    bench.record("P3 full build", full_command, root)
    bench.record("P3 no-change rebuild", again_command, root)
    full, again = [], []
    for _ in range(bench.runs):
        full.append(cold(full_command, root)[0])
        again.append(cold(again_command, root)[0])
    traced = [PYTHON, "-X", "importtime", *again_command[1:]]
    bench.record("P3 import check", traced, root)
    stderr = subprocess.run(traced, cwd=root, capture_output=True, text=True, check=True).stderr
    imported = any(re.search(r"\|\s*weasyprint\b", line) for line in stderr.splitlines())
    return [row("P3", "seed, no-change rebuild", statistics.median(again), statistics.median(full),
                "full build --force", 0.15),
            Row("P3", "WeasyPrint imported in that rebuild", "yes" if imported else "no", "—", "—", "no",
                "no" if imported else "yes")]


def chapters(text: str) -> tuple[str, list[str]]:
    """The front matter and the chapters (each starting with its `# ` heading) of the long text."""
    _, front, body = text.split("---\n", 2)
    parts = re.split(r"(?m)^(?=# )", body)
    return f"---\n{front}---\n", [part.strip() for part in parts if part.startswith("# ")]


def cut_to_pages(text: str, full_pages: int, pages: int) -> str:
    """The long text cut at chapter boundaries to about `pages` pages: its first chapters, repeated when longer."""
    front, parts = chapters(text)
    per_page = sum(map(len, parts)) / full_pages
    kept, size, n = [], 0, 0
    while not kept or size + len(parts[n % len(parts)]) / 2 < pages * per_page:
        part = parts[n % len(parts)]
        kept.append(re.sub(r"^# .*", f"# Chapter {n + 1}", part, count=1))
        size, n = size + len(part), n + 1
    return front + "\n" + "\n\n".join(kept) + "\n"


def seconds_per_page(bench: Bench, label: str, text: str) -> tuple[float, int]:
    """Median seconds per page of a cold five-format build of `text`, and its page count."""
    slug = LONG_TEXT.stem
    root = make_project(bench.tmp / label, {slug: text})
    out = bench.tmp / f"{label}-out"
    seconds = median_cold(bench, f"P4 {label}", build_command(bench, "source", out), root, bench.long_runs)
    pages = manifest_entry(out)["pages"]
    return seconds / pages, pages


def p4_long(bench: Bench) -> list[Row]:
    """The long text against bare WeasyPrint on its web edition; peak memory; time per page at 30 and 300 pages."""
    log("P4: the long text")
    text = LONG_TEXT.read_text(encoding="utf-8")
    root = make_project(bench.tmp / "p4", {LONG_TEXT.stem: text})
    out = bench.tmp / "p4-out"
    command = build_command(bench, "source", out)
    bench.record("P4 publish", command, root)
    runs = [cold(command, root) for _ in range(bench.long_runs)]
    ours, peak_mb = statistics.median(t for t, _ in runs), max(p for _, p in runs) * 1024 / 1e6
    pages = manifest_entry(out)["pages"]
    html = bench.tmp / "text.html"
    html.write_bytes((out / f"{LONG_TEXT.stem}.html").read_bytes())
    bare = median_cold(bench, "P4 yardstick", [PYTHON, "-m", "weasyprint", str(html), str(bench.tmp / "out.pdf")],
                       bench.tmp, bench.long_runs)
    printed = bench.tmp / "printed.html"
    subprocess.run([PYTHON, "-c", PRINTED_HTML, str(root / "source" / LONG_TEXT.name), str(printed)], cwd=root, check=True)
    same = median_cold(bench, "P4 same pages", [PYTHON, "-m", "weasyprint", str(printed), str(bench.tmp / "same.pdf")],
                       bench.tmp, bench.long_runs)
    log("P4: time per page at ~30 and ~300 pages")
    short, short_pages = seconds_per_page(bench, "p4-30", cut_to_pages(text, pages, 30))
    long, long_pages = seconds_per_page(bench, "p4-300", cut_to_pages(text, pages, 300))
    flat = long / short
    return [row("P4", f"{LONG_TEXT.stem} ({pages} p), 5 formats, cold", ours, bare, "weasyprint <slug>.html", 1.3),
            row("P4", "the same build, against the same A5 pages", ours, same, "weasyprint on the print edition's HTML", 1.3),
            Row("P4", "peak RSS of that build, children included", f"{peak_mb:.0f} MB (max of runs)", "—", "—",
                "≤ 400 MB", "yes" if peak_mb <= 400 else "no"),
            Row("P4", "time per page, 300 p over 30 p", f"{long:.3f} s/p at {long_pages} p",
                f"{short:.3f} s/p at {short_pages} p", f"{flat:.2f}", "≤ 1.2", "yes" if flat <= 1.2 else "no")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def wait_for(condition, timeout: float, what: str, poll: float = 0.01) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(poll)


def listed(out: Path, digest: str) -> bool:
    """Whether manifest.json lists the PDF with this SHA-256 (the build of that PDF is finished)."""
    try:
        return manifest_entry(out)["sha256"] == digest
    except (FileNotFoundError, json.JSONDecodeError, StopIteration, KeyError):
        return False


def collect(stream, lines: list[str]) -> None:
    """Keep what `publish watch` prints, line by line, as it prints it."""
    for line in stream:
        lines.append(line)


def start_watch(bench: Bench, root: Path, out: Path) -> tuple[subprocess.Popen, list[str]]:
    """Start `publish watch` and return it once it has built and is watching (it printed its `serving` line)."""
    command = publish("watch", "--format", "pdf", "--out", str(out), "--port", str(free_port()))
    bench.record("P5 watch", command, root)
    process = subprocess.Popen(command, cwd=root, env={**env_with_venv(), "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=collect, args=(process.stdout, lines), daemon=True).start()
    wait_for(lambda: any(line.startswith("serving") for line in lines) or process.poll() is not None, 300,
             "the first build of publish watch")
    if process.poll() is not None:
        raise RuntimeError("publish watch stopped:\n" + "".join(lines[-30:]))
    time.sleep(1.0)  # let the file watcher start after the `serving` line
    return process, lines


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as a user stops `publish watch`; a kill only if it does not stop within 30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def watch_changes(bench: Bench, root: Path, out: Path) -> list[float]:
    """Seconds from appending a sentence to the last paragraph to the new PDF on disk, once per run."""
    source = root / "source" / f"{SEED.stem}.md"
    pdf = out / f"{SEED.stem}.pdf"
    process, _ = start_watch(bench, root, out)
    try:
        return [one_change(source, pdf, out, n) for n in range(1, bench.runs + 1)]
    finally:
        stop(process)


def one_change(source: Path, pdf: Path, out: Path, n: int) -> float:
    """Append a sentence to the source's last paragraph; seconds until the new PDF is on disk (then wait for its manifest)."""
    before = sha256(pdf)
    wait_for(lambda: listed(out, before), 60, "the manifest of the previous build")
    text = source.read_text(encoding="utf-8").rstrip("\n")
    started = time.perf_counter()
    source.write_text(f"{text} This sentence was added by the benchmark, change {n}.\n", encoding="utf-8")
    wait_for(lambda: sha256(pdf) not in (before, None), 300, "the rebuilt PDF")
    seconds = time.perf_counter() - started
    wait_for(lambda: listed(out, sha256(pdf)), 60, "the manifest naming the rebuilt PDF")
    time.sleep(0.5)  # let the watcher go back to waiting before the next change
    return seconds


def warm_builds(bench: Bench, root: Path) -> list[float]:
    """Seconds of build(formats=["pdf"]) called again in one warm process."""
    source, out = str(root / "source" / f"{SEED.stem}.md"), str(bench.tmp / "p5-warm")
    command = [PYTHON, "-c", WARM, source, out, str(root), str(bench.runs)]
    bench.record("P5 warm build", [PYTHON, "-c", "<build(...) in a loop>", *command[3:]], root)
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the warm builds failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def p5_watch(bench: Bench) -> list[Row]:
    """publish watch: change to new PDF, against a warm PDF build in one process."""
    log("P5: publish watch against a warm build")
    seed = SEED.read_text(encoding="utf-8")
    warm = statistics.median(warm_builds(bench, make_project(bench.tmp / "p5-api", {SEED.stem: seed})))
    watched = statistics.median(watch_changes(bench, make_project(bench.tmp / "p5", {SEED.stem: seed}),
                                              bench.tmp / "p5-out"))
    return [row("P5", "watch: write to new seed PDF", watched, warm, "warm build(pdf)", 1.5)]


def table(rows: list[Row], bench: Bench) -> str:
    lines = [f"| target | work (median of {bench.runs} runs; P4 {bench.long_runs}) | measured | yardstick | ratio "
             "| goal | met |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.target} | {r.work} | {r.measured} | {r.yardstick} | {r.ratio} | {r.goal} | {r.met} |" for r in rows]
    return "\n".join(lines)


def machine(bench: Bench) -> str:
    return f"Machine: nproc {len(os.sched_getaffinity(0))}, Python {sys.version.split()[0]}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs per median (default 5; P4 3)")
    parser.add_argument("--only", default=",".join(TARGETS), help="comma-separated targets, e.g. P1,P3")
    args = parser.parse_args()
    only = [t.strip().upper() for t in args.only.split(",") if t.strip()]
    unknown = [t for t in only if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    measures = {"P1": p1_seed, "P2": p2_jobs, "P3": p3_rebuild, "P4": p4_long, "P5": p5_watch}
    with tempfile.TemporaryDirectory(prefix="publish-targets-") as tmp:
        os.environ["PUBLISH_CACHE"] = str(Path(tmp) / "cache")  # every process of the run, the watch too
        bench = Bench(Path(tmp), args.runs or 5, args.runs or 3, {})
        rows = [r for target in TARGETS if target in only for r in measures[target](bench)]
    print(table(rows, bench))
    print(f"\n{machine(bench)}\n\nCommands:\n")
    print("\n".join(f"- {label}: `{command}`" for label, command in bench.commands.items()))


if __name__ == "__main__":
    main()
