"""Nothing lost: interrupted builds, read-only and full output folders, renders over their budget.

Signals are sent to a real `python -m publish build` process; read-only and full folders are real
(small tmpfs mounts when running as root, file modes otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from publish import budget
from publish.cli import main

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "source" / "kazakhstan-solidarity.md"


def seed_project(root: Path, copies: int = 1) -> Path:
    (root / "source").mkdir(parents=True)
    text = SEED.read_text(encoding="utf-8")
    for n in range(copies):
        (root / "source" / f"pamphlet-{n}.md").write_text(text, encoding="utf-8")
    return root


def assert_whole(out: Path) -> list[str]:
    """Every file in `out` complete and readable, no temporary file; returns the names."""
    from pypdf import PdfReader

    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], f"temporary files left: {names}"
    for path in out.iterdir():
        if path.suffix == ".pdf":
            assert len(PdfReader(path).pages) >= 1
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None
        elif path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    return names


def processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (a forked child keeps its parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


# --- interrupted builds ---------------------------------------------------------------------------------


def children(pid: int) -> list[str]:
    """The process ids of `pid`'s children (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += task.read_text().split()
        except OSError:
            continue
    return found


def earlier_build(out: Path, slugs: list[str]) -> None:
    """An output folder as an earlier build of other texts under the same names left it: files and manifest."""
    out.mkdir()
    entries, pdf = [], one_blank_page()
    for slug in slugs:
        for suffix, fmt in ((".html", "html"), (".pdf", "pdf")):
            data = f"<!DOCTYPE html><html>{slug}</html>".encode() if fmt == "html" else pdf
            (out / f"{slug}{suffix}").write_bytes(data)
            entries.append({"path": f"{slug}{suffix}", "format": fmt, "source": f"source/{slug}.md", "lang": "en",
                            "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "source_sha256": "0" * 64,
                            "stale": False})
    (out / "manifest.json").write_text(json.dumps({"tool": "publish", "artifacts": entries}), encoding="utf-8")


def one_blank_page() -> bytes:
    import io

    from pypdf import PdfWriter

    writer, data = PdfWriter(), io.BytesIO()
    writer.add_blank_page(420, 595)
    writer.write(data)
    return data.getvalue()


@pytest.mark.parametrize("signum, when, jobs, status, earlier", [
    (signal.SIGTERM, "first file", 1, 143, False),
    (signal.SIGINT, "first file", 1, 130, True),  # a rebuild into a folder an earlier build filled
    (signal.SIGTERM, "children", 2, 143, False),  # while two children render
])
def test_an_interrupted_build_leaves_whole_files_and_no_litter(tmp_path, signum, when, jobs, status, earlier):
    root = seed_project(tmp_path / "project", copies=3)
    out = tmp_path / f"out-{signum.name}-{jobs}"
    if earlier:
        earlier_build(out, [f"pamphlet-{n}" for n in range(3)])
        before = {p.name: p.read_bytes() for p in out.iterdir()}
    scratch = tmp_path / "tmp"  # the build's temporary files (WeasyPrint's fonts): none may outlive it
    scratch.mkdir()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1641772800", "TMPDIR": str(scratch)}
    env.pop("PUBLISH_DEBUG", None)
    build = subprocess.Popen([sys.executable, "-m", "publish", "build", "--out", str(out), "--jobs", str(jobs)],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    if when == "first file":
        while time.monotonic() < deadline and not any(p.suffix == ".epub" for p in out.glob("*")):
            time.sleep(0.005)
    else:  # once the build has forked its render children (a fixed delay raced a slow start on a loaded machine)
        while time.monotonic() < deadline and not children(build.pid):
            time.sleep(0.005)
        time.sleep(0.2)
    assert build.poll() is None, "the build finished before it could be interrupted"
    build.send_signal(signum)
    _, err = build.communicate(timeout=60)

    assert build.returncode == status, err
    assert "Traceback" not in err
    names = assert_whole(out)
    for stem in {n.split(".")[0] for n in names if n.endswith(".epub")}:  # each source written was written whole
        assert {f"{stem}.{ext}" for ext in ("pdf", "press.pdf", "booklet.pdf", "epub", "html")} <= set(names), names
    # the manifest, updated as each source's files were written, describes every file there: `check` finds no
    # file changed since the build (P322) or missing (P321)
    manifest = out / "manifest.json"
    listed = {a["path"]: a for a in json.loads(manifest.read_text(encoding="utf-8"))["artifacts"]} if manifest.exists() else {}
    assert sorted(listed) == sorted(n for n in names if n != "manifest.json")
    assert all(listed[n]["sha256"] == hashlib.sha256((out / n).read_bytes()).hexdigest() for n in listed), listed
    if earlier:  # what this build had not reached yet is still the earlier build's, and listed so
        kept = [n for n in before if n != "manifest.json" and (out / n).read_bytes() == before[n]]
        assert kept and all(listed[n]["source_sha256"] == "0" * 64 for n in kept)
    time.sleep(0.2)
    assert processes_mentioning(str(out)) == [], "a render process outlived the build"
    assert list(scratch.iterdir()) == [], "temporary files outlived the build"


# --- read-only and full output folders -----------------------------------------------------------------


def mount_tmpfs(folder: Path, options: str) -> None:
    """A small tmpfs at `folder`, or skip: only root may mount, and a container may forbid even that."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; run the suite as root (as CI does) to test a full disk")
    folder.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if run.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({run.stderr.strip()}): the full-disk case is not tested")


def umount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], check=False)


def digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}


def test_a_read_only_output_folder_is_a_clean_error_and_keeps_earlier_files(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    out = root / "dist"
    as_root = os.geteuid() == 0
    if as_root:
        mount_tmpfs(out, "size=4m")
    try:
        assert main(["build", "--format", "pdf"]) == 0
        before = digests(out)
        if as_root:  # root ignores file modes: make the file system itself read-only
            subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        else:
            out.chmod(0o555)
        capsys.readouterr()
        started = time.monotonic()
        assert main(["build"]) == 1
        err = capsys.readouterr().err
        assert time.monotonic() - started < 5, "it rendered before finding out it could not write"
        assert err.strip() == "dist:1:1: error P160: cannot write to the output folder: Read-only file system" if as_root else \
            err.strip() == "dist:1:1: error P160: cannot write to the output folder: Permission denied"
        assert digests(out) == before
    finally:
        if as_root:
            umount(out)
        else:
            out.chmod(0o755)


def test_a_full_output_folder_is_a_clean_error_and_keeps_earlier_files(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    out = root / "dist"
    mount_tmpfs(out, "size=200k")  # the seed's five files take about 340 kB
    try:
        assert main(["build", "--format", "pdf"]) == 0
        before = digests(out)
        capsys.readouterr()
        assert main(["build"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert "source/pamphlet-0.md:1:1: error P160: cannot write to dist: No space left on device" in err, err
        # the earlier PDF unchanged, none of this run's files (not even those that fitted), and the manifest still
        # describing the earlier PDF (its source has not changed: not stale)
        assert digests(out) == before
        [entry] = json.loads((out / "manifest.json").read_text())["artifacts"]
        assert (entry["path"], entry["sha256"], entry["stale"]) == ("pamphlet-0.pdf", before["pamphlet-0.pdf"], False)
        assert_whole(out)
    finally:
        umount(out)


# --- budgets: a render that takes too long or too much fails alone ----------------------------------------


def budget_project(tmp_path: Path, monkeypatch, settings: str) -> Path:
    root = seed_project(tmp_path / "project")
    (root / "pyproject.toml").write_text("[tool.publish]\n" + settings, encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBLISH_DEBUG", raising=False)
    return root


def test_a_render_over_its_time_budget_fails_alone(tmp_path, monkeypatch, capsys):
    root = budget_project(tmp_path, monkeypatch, "render_timeout = 3\n")
    (root / "source" / "slow.md").write_text("---\ntitle: Slow\nauthor: A\n---\n\n" + "[" * 40000 + "\n", encoding="utf-8")
    started = time.monotonic()
    assert main(["build", "--format", "html", "--jobs", "2"]) == 1
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert "source/slow.md:1:1: error P151: rendering took longer than its budget of 3 s (render_timeout in [tool.publish])" in err
    assert json.loads((root / "dist" / "manifest.json").read_text())["artifacts"][0]["path"] == "pamphlet-0.html"
    assert not (root / "dist" / "slow.html").exists()


def test_a_render_over_its_memory_budget_fails_with_a_clear_error(tmp_path, monkeypatch, capsys):
    """A 7000 × 7000 grey PNG (62 kB on disk) takes 49 MB to decode: over a 40 MB budget, within a 400 MB one."""
    from PIL import Image

    root = budget_project(tmp_path, monkeypatch, "render_memory = 40\n")
    Image.new("L", (7000, 7000), 128).save(root / "source" / "big.png")
    (root / "source" / "big.md").write_text("---\ntitle: Big\nauthor: A\n---\n\n![A grey square](big.png)\n", encoding="utf-8")
    assert main(["build", "--format", "html"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "source/big.md:1:1: error P152: rendering ran out of its memory budget of 40 MB (render_memory in [tool.publish])"
    assert sorted(p.name for p in (root / "dist").iterdir()) == ["manifest.json", "pamphlet-0.html"]
    (root / "pyproject.toml").write_text("[tool.publish]\nrender_memory = 400\n", encoding="utf-8")
    assert main(["build", "--format", "html", "source/big.md"]) == 0, capsys.readouterr().err


def test_the_default_budget_lets_the_seed_build_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    import tempfile

    budget_project(tmp_path, monkeypatch, "render_timeout = 120\nrender_memory = 3072\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert main(["build", "--format", "pdf,epub,html", "--jobs", "2"]) == 0, capsys.readouterr().err
    assert list(scratch.iterdir()) == []  # children end with os._exit: WeasyPrint's font folders are removed for them


@pytest.mark.parametrize("setting", ["render_timeout = 0", "render_memory = -5", 'render_timeout = "fast"', "render_memory = true"])
def test_a_bad_budget_setting_is_p133(tmp_path, monkeypatch, capsys, setting):
    budget_project(tmp_path, monkeypatch, setting + "\n")
    assert main(["build", "--format", "html"]) == 1
    assert "error P133: render_" in capsys.readouterr().err


def _abort(_item):
    os.abort()


def _sleep(_item):
    time.sleep(30)


def test_a_child_that_crashes_or_hangs_is_reported_not_fatal():
    """budget.run_all with real crashes: SIGABRT in one child, a hang in another, a result from a third."""
    limits = budget.Budget(seconds=1, megabytes=512)
    assert budget.run_all(len, ["abc"], limits) == [3]
    [crashed] = budget.run_all(_abort, [None], limits)
    assert (crashed.kind, "signal SIGABRT" in crashed.message) == ("crash", True)
    started = time.monotonic()
    [hung, fine] = budget.run_all(lambda item: _sleep(item) if item == "hang" else item, ["hang", "fine"], limits, jobs=2)
    assert hung.kind == "time" and fine == "fine"
    assert time.monotonic() - started < 5


def test_check_lints_under_the_same_budget(tmp_path, monkeypatch, capsys):
    root = budget_project(tmp_path, monkeypatch, "render_timeout = 2\n")
    (root / "source" / "slow.md").write_text("---\ntitle: Slow\nauthor: A\n---\n\n" + "[" * 40000 + "\n", encoding="utf-8")
    (root / "source" / "bad.md").write_text("---\ntitle: Bad\nauthor: A\ncolour: red\n---\n\nText.\n", encoding="utf-8")
    started = time.monotonic()
    assert main(["check", "source/slow.md", "source/bad.md"]) == 1
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "source/slow.md:1:1: error P151: rendering took longer than its budget of 2 s" in err
    assert "source/bad.md:4:1: error P102: unknown key 'colour'" in err


# --- odd runs ------------------------------------------------------------------------------------------


def test_a_folder_in_the_way_of_one_file_replaces_none_of_the_set(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    monkeypatch.chdir(root)
    assert main(["build", "--format", "pdf,html"]) == 0
    before = digests(root / "dist")
    (root / "source" / "pamphlet-0.md").write_text(SEED.read_text(encoding="utf-8") + "\nA new line.\n", encoding="utf-8")
    (root / "dist" / "pamphlet-0.html").unlink()
    (root / "dist" / "pamphlet-0.html").mkdir()  # the web edition's name taken by a folder
    capsys.readouterr()
    assert main(["build", "--format", "pdf,html"]) == 1
    err = capsys.readouterr().err
    assert "source/pamphlet-0.md:1:1: error P160: cannot write to dist:" in err and "Traceback" not in err, err
    assert hashlib.sha256((root / "dist" / "pamphlet-0.pdf").read_bytes()).hexdigest() == before["pamphlet-0.pdf"]
    assert not [p for p in (root / "dist").iterdir() if p.name.startswith(".")]


def test_a_fifo_source_is_refused_at_once(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    os.mkfifo(root / "source" / "p.md")
    monkeypatch.chdir(root)
    started = time.monotonic()
    assert main(["build", "--format", "html"]) == 1
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert time.monotonic() - started < 30, "it waited on the FIFO"
    assert err.count("source/p.md:1:1: error P150: refused to read it: not a regular file") == 2, err
    assert (root / "dist" / "pamphlet-0.html").is_file()  # the other source is built


def test_a_signature_bigger_than_a_fold_is_refused_where_it_is_set(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    (root / "pyproject.toml").write_text("[tool.publish]\nsignature = 100000000\n", encoding="utf-8")
    monkeypatch.chdir(root)
    started = time.monotonic()
    assert main(["build", "--format", "booklet"]) == 1
    err = capsys.readouterr().err
    assert time.monotonic() - started < 10
    assert "error P133: signature: signature 100000000 is more pages than one fold holds (at most 256" in err, err


def test_check_with_an_output_folder_that_is_not_there_says_so(tmp_path, monkeypatch, capsys):
    root = seed_project(tmp_path / "project")
    monkeypatch.chdir(root)
    assert main(["check", "--out", "dsit"]) == 1
    assert capsys.readouterr().err.strip() == "dsit:1:1: error P323: no such output folder: give --out the folder the build wrote to"
    assert main(["check"]) == 0  # no dist/ yet: the sources are linted, and nothing else is claimed


def test_a_build_starts_no_program_and_leaves_no_temporary_file(tmp_path):
    """ctypes' find_library runs ldconfig and gcc (through a NamedTemporaryFile that an interrupt could leave
    behind in $TMPDIR) when a library is loaded by a bare name: a build loads WeasyPrint's libraries without it."""
    root = seed_project(tmp_path / "project")
    scratch, log = tmp_path / "tmp", tmp_path / "started.log"
    scratch.mkdir()
    program = ("import sys\n"
               f"log = open({str(log)!r}, 'a')\n"
               "def hook(event, args):\n"
               "    if event in ('subprocess.Popen', 'os.exec', 'os.posix_spawn', 'os.system', 'os.spawn'):\n"
               "        log.write(f'{event} {args[:2]!r}\\n'); log.flush()\n"
               "sys.addaudithook(hook)\n"
               "from publish.cli import main\n"
               "sys.exit(main(['build', '--out', 'dist', '--jobs', '2']))\n")
    env = {**os.environ, "TMPDIR": str(scratch)}
    env.pop("PUBLISH_DEBUG", None)
    run = subprocess.run([sys.executable, "-c", program], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()
    assert list(scratch.iterdir()) == []
