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


@pytest.mark.parametrize("signum, when, jobs, status", [
    (signal.SIGTERM, "first file", 1, 143),
    (signal.SIGINT, "first file", 1, 130),
    (signal.SIGTERM, "children", 2, 143),  # while two children render
])
def test_an_interrupted_build_leaves_whole_files_and_no_litter(tmp_path, signum, when, jobs, status):
    root = seed_project(tmp_path / "project", copies=3)
    out = tmp_path / f"out-{signum.name}-{jobs}"
    scratch = tmp_path / "tmp"  # the build's temporary files (WeasyPrint's fonts): none may outlive it
    scratch.mkdir()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1641772800", "TMPDIR": str(scratch)}
    env.pop("PUBLISH_DEBUG", None)
    build = subprocess.Popen([sys.executable, "-m", "publish", "build", "--out", str(out), "--jobs", str(jobs)],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    if when == "first file":
        while time.monotonic() < deadline and not any(p.suffix == ".pdf" for p in out.glob("*")):
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
    assert "manifest.json" not in names  # the run did not finish: no manifest claims it did
    for stem in {n.split(".")[0] for n in names}:  # every source written was written whole, all five files
        assert {f"{stem}.{ext}" for ext in ("pdf", "press.pdf", "booklet.pdf", "epub", "html")} <= set(names), names
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
        after = digests(out)
        assert after.pop("manifest.json") != before.pop("manifest.json")  # this run's manifest, written once space was freed
        assert after == before  # the earlier PDF, unchanged; none of this run's files, not even the ones that fitted
        assert json.loads((out / "manifest.json").read_text())["artifacts"] == []
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
