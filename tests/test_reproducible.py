"""Release builds are byte-identical wherever and whenever they run.

Two copies of the same sources, in different folders, one of them with CRLF line ends and a UTF-8 BOM,
are built by separate `python -m publish` processes that differ in time zone, locale, umask, hash seed and
(with faketime) the clock: every pdf, press, booklet, epub and html, and the manifest, must be the same
bytes, both with SOURCE_DATE_EPOCH set and without it (the dates then come from the front matter).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "source" / "kazakhstan-solidarity.md", REPO / "tests" / "fixtures" / "features" / "source" / "kk-features"]
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z: no source's own date
FORMATS = ("pdf", "press.pdf", "booklet.pdf", "epub", "html")
ICC = Path(os.environ.get("PUBLISH_TEST_ICC", REPO / ".cache/icc/ISOcoated_v2_300_bas.icc"))


@pytest.fixture(scope="module")
def other_locale(tmp_path_factory) -> dict[str, str]:
    """A Turkish UTF-8 locale (dotless i, decimal comma), compiled into a temporary LOCPATH; C.UTF-8 when localedef is missing."""
    folder = tmp_path_factory.mktemp("locales")
    if shutil.which("localedef"):
        made = subprocess.run(["localedef", "-i", "tr_TR", "-f", "UTF-8", str(folder / "tr_TR.UTF-8")], capture_output=True)
        if made.returncode == 0 or (folder / "tr_TR.UTF-8").is_dir():
            return {"LOCPATH": str(folder), "LC_ALL": "tr_TR.UTF-8", "LANG": "tr_TR.UTF-8"}
    print("localedef cannot make tr_TR.UTF-8 here: the second build runs under C.UTF-8 instead")
    return {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


def copy_project(root: Path, crlf: bool, mtime: float) -> Path:
    """The sources under `root`/source, LF as written or CRLF with a BOM, every file touched to `mtime`."""
    (root / "source").mkdir(parents=True)
    for source in SOURCES:
        target = root / "source" / source.name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    if crlf:
        for md in (root / "source").rglob("*.md"):
            md.write_bytes(b"\xef\xbb\xbf" + md.read_bytes().replace(b"\n", b"\r\n"))
    for path in (root / "source").rglob("*"):
        os.utime(path, (mtime, mtime))
    return root


def start_build(root: Path, env: dict[str, str], umask: int, clock: str | None) -> subprocess.Popen:
    command = [sys.executable, "-m", "publish", "build", "--out", "dist"]
    if clock:
        command = ["faketime", "-f", clock, *command]
    env = {**env, "PYTHONPATH": str(REPO)}  # this checkout's publish, whichever one the environment has installed
    return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.umask(umask))


def test_release_builds_are_byte_identical_across_folders_zones_locales_umasks_and_times(tmp_path, other_locale):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "SOURCE_DATE_EPOCH", "PUBLISH_", "TZ", "LOCPATH"))}
    clock = "+1100d" if shutil.which("faketime") else None  # three years later
    if not clock:
        print("faketime is not installed: the second build runs later by seconds, not years")
    first = {**base, "TZ": "UTC", "LC_ALL": "C", "LANG": "C", "PYTHONHASHSEED": "1"}
    second = {**base, "TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "2", **other_locale}
    builds = {}
    for mode, epoch in (("epoch", {"SOURCE_DATE_EPOCH": EPOCH}), ("dates", {})):
        a = copy_project(tmp_path / mode / "a" / "project", crlf=False, mtime=1_000_000_000)
        b = copy_project(tmp_path / mode / "b" / "somewhere deeper" / "другой", crlf=True, mtime=1_600_000_000)
        builds[mode] = (a, b, start_build(a, {**first, **epoch}, 0o022, None), start_build(b, {**second, **epoch}, 0o077, clock))
    for mode, (a, b, build_a, build_b) in builds.items():
        for build in (build_a, build_b):
            _, err = build.communicate(timeout=300)
            assert build.returncode == 0, err
        names = sorted(p.name for p in (a / "dist").iterdir())
        assert names == sorted(p.name for p in (b / "dist").iterdir())
        assert names == sorted(["manifest.json", *(f"{slug}.{ext}" for slug in ("kazakhstan-solidarity", "kk-features")
                                                   for ext in FORMATS)])
        different = [n for n in names if (a / "dist" / n).read_bytes() != (b / "dist" / n).read_bytes()]
        assert different == [], f"{mode}: these differ between the two builds"

    def stamps(mode: str, slug: str) -> set:
        with zipfile.ZipFile(builds[mode][0] / "dist" / f"{slug}.epub") as z:
            return {info.date_time for info in z.infolist()}

    assert stamps("epoch", "kazakhstan-solidarity") == stamps("epoch", "kk-features") == {(2023, 11, 14, 22, 13, 20)}
    assert stamps("dates", "kazakhstan-solidarity") == {(2022, 1, 10, 0, 0, 0)}  # date: 2022-01-10
    assert stamps("dates", "kk-features") == {(2022, 1, 1, 0, 0, 0)}  # date: 2022-01


def test_without_a_date_every_file_and_the_pdfx4_press_file_are_the_same_at_any_clock(tmp_path):
    """No SOURCE_DATE_EPOCH and no date: every date is the source file's modification time, never the clock's, in
    every format, the PDF/X-4 press file's creation date included (WeasyPrint dates PDF/X by the clock by default)."""
    if not ICC.is_file():
        pytest.skip(f"no CMYK ICC profile at {ICC} (scripts/setup.sh test fetches one)")
    clock = "+1100d" if shutil.which("faketime") else None
    if not clock:
        print("faketime is not installed: the second build runs later by seconds, not years")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCE_DATE_EPOCH", "PUBLISH_", "TZ"))}
    builds = []
    for name, zone, later in (("a", "UTC", None), ("b", "Pacific/Kiritimati", clock)):
        root = tmp_path / name
        (root / "source").mkdir(parents=True)
        (root / "pyproject.toml").write_text(f'[tool.publish]\npress_icc = "{ICC}"\n', encoding="utf-8")
        source = root / "source" / "undated.md"
        source.write_text("---\ntitle: Undated\nauthor: A Committee\n---\n\n## One\n\nA claim.[^1]\n\n[^1]: A note.\n",
                          encoding="utf-8")
        os.utime(source, (1_000_000_000, 1_000_000_000))  # 2001-09-09T01:46:40Z
        env = {**base, "TZ": zone, "PUBLISH_CACHE": str(tmp_path / f"cache-{name}")}  # no build served from the other's
        builds.append((root, start_build(root, env, 0o022, later)))
    for _, build in builds:
        _, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
    (a, _), (b, _) = builds
    names = sorted(p.name for p in (a / "dist").iterdir())
    assert names == sorted(["manifest.json", *(f"undated.{ext}" for ext in FORMATS)])
    assert [n for n in names if (a / "dist" / n).read_bytes() != (b / "dist" / n).read_bytes()] == []
    from pypdf import PdfReader

    press = PdfReader(a / "dist" / "undated.press.pdf")
    assert "/OutputIntents" in press.trailer["/Root"]  # PDF/X-4
    info = press.trailer["/Info"]
    assert (info["/CreationDate"], info["/ModDate"]) == ("D:20010909014640Z", "D:20010909014640Z")
    with zipfile.ZipFile(a / "dist" / "undated.epub") as z:
        assert b'<meta property="dcterms:modified">2001-09-09T01:46:40Z</meta>' in z.read("EPUB/content.opf")
        assert {info.date_time for info in z.infolist()} == {(2001, 9, 9, 1, 46, 40)}


@pytest.mark.parametrize("value", ["yesterday", "1.5", "-1", "0x10", "²", "9" * 13, "99999999999999999999"])
def test_a_malformed_source_date_epoch_is_p132(tmp_path, monkeypatch, capsys, value):
    from publish.cli import main

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text("---\ntitle: T\nauthor: A\n---\n\nText.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert main(["build", "--format", "html"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"SOURCE_DATE_EPOCH:1:1: error P132: {value[:40]!r} is not a number of seconds"), err
    assert "Traceback" not in err and not (tmp_path / "dist").exists()
