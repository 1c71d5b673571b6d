"""The build cache: an unchanged source is not rendered again, anything that can change its files is."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from publish import build
from publish.cache import location

REPO = Path(__file__).resolve().parent.parent
TEXT = "---\ntitle: {title}\nauthor: A. Writer\ndate: 2024-05-01\n---\n\n{body}\n"


def png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 800), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def project(tmp_path):
    """Three pamphlets, one with a photo and one that links to a pamphlet not written yet."""
    root = tmp_path / "project"
    (root / "source" / "images").mkdir(parents=True)
    (root / "source" / "images" / "photo.png").write_bytes(png((200, 40, 40)))
    (root / "source" / "one.md").write_text(TEXT.format(title="One", body="![A red field](images/photo.png)\n\nFirst."))
    (root / "source" / "two.md").write_text(TEXT.format(title="Two", body="See [the reply](reply.md)."))
    (root / "source" / "three.md").write_text(TEXT.format(title="Three", body="Third."))
    return root


def entries(root: Path) -> dict[str, bytes]:
    """The cache's entries: a rendered source writes its entry (a new one, or anew when its inputs changed)."""
    folder = location(root)
    return {p.name: (p / "entry.json").read_bytes() for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")} if folder.is_dir() else {}


def rendered(before: dict[str, bytes], root: Path) -> int:
    """How many sources the last build rendered, rather than took from the cache."""
    return sum(1 for key, record in entries(root).items() if before.get(key) != record)


def outputs(root: Path, out: str = "dist") -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / out).iterdir()}


def test_a_rebuild_with_nothing_changed_renders_nothing_and_gives_the_same_files(project):
    first = build(out=project / "dist", root=project, formats=["html", "epub"])
    before = entries(project)
    assert first.ok and len(before) == 3
    made = outputs(project)
    (project / "dist" / "one.html").unlink()  # a file deleted from --out comes back from the cache
    second = build(out=project / "dist", root=project, formats=["html", "epub"])
    assert entries(project) == before  # nothing rendered, nothing stored again
    assert outputs(project) == made  # the manifest too: every artifact listed, same hashes
    assert second.diagnostics == first.diagnostics  # warnings are said again (the link to reply.md)
    assert any(d.code == "P120" or "reply" in d.message for d in second.diagnostics)


def test_changing_one_source_or_its_image_rebuilds_that_source_only(project):
    build(out=project / "dist", root=project, formats=["html"])
    before = entries(project)
    (project / "source" / "three.md").write_text(TEXT.format(title="Three", body="Third, changed."))
    build(out=project / "dist", root=project, formats=["html"])
    assert rendered(before, project) == 1 and "Third, changed." in (project / "dist" / "three.html").read_text()
    assert len(entries(project)) == 3  # the entry of three.md's older text is gone: the cache does not grow
    before = entries(project)
    old = (project / "dist" / "one.html").read_bytes()
    (project / "source" / "images" / "photo.png").write_bytes(png((40, 40, 200)))
    build(out=project / "dist", root=project, formats=["html"])
    assert rendered(before, project) == 1 and (project / "dist" / "one.html").read_bytes() != old


def test_a_pamphlet_that_appears_rebuilds_the_ones_that_link_to_it(project):
    build(out=project / "dist", root=project, formats=["html"])
    assert 'href="reply.html"' not in (project / "dist" / "two.html").read_text()
    before = entries(project)
    (project / "source" / "reply.md").write_text(TEXT.format(title="Reply", body="A reply."))
    manifest = build(out=project / "dist", root=project, formats=["html"])
    assert rendered(before, project) == 2  # the new pamphlet, and two.md whose link now resolves
    assert 'href="reply.html"' in (project / "dist" / "two.html").read_text()
    assert len(manifest.artifacts) == 4


@pytest.mark.parametrize("change", ["settings", "style", "formats", "epoch"])
def test_what_every_source_depends_on_rebuilds_them_all(project, monkeypatch, change):
    build(out=project / "dist", root=project, formats=["html"])
    before = entries(project)
    formats = ["html"]
    if change == "settings":
        (project / "pyproject.toml").write_text('[tool.publish]\ntheme = "photocopy"\n')
    elif change == "style":
        (project / "styles").mkdir()
        (project / "styles" / "web.css").write_text((REPO / "styles" / "web.css").read_text() + "\nbody { color: #222 }\n")
    elif change == "formats":
        formats = ["html", "epub"]
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(out=project / "dist", root=project, formats=formats)
    assert rendered(before, project) == 3


def test_without_a_date_the_files_modification_time_is_an_input(tmp_path):
    (tmp_path / "source").mkdir()
    source = tmp_path / "source" / "undated.md"
    source.write_text("---\ntitle: Undated\nauthor: A\n---\n\nText.\n")
    os.utime(source, (1_600_000_000, 1_600_000_000))
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    before = entries(tmp_path)
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert entries(tmp_path) == before
    os.utime(source, (1_700_000_000, 1_700_000_000))  # the editions' date changes with it
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert rendered(before, tmp_path) == 1


def test_force_renders_again_and_a_damaged_or_half_written_entry_is_never_served(project):
    build(out=project / "dist", root=project, formats=["html"])
    made = outputs(project)
    (key,) = [k for k in entries(project) if (location(project) / k / "three.html").is_file()]
    record = json.loads((location(project) / key / "entry.json").read_text())
    record["diagnostics"].append({"path": "source/three.md", "line": 1, "col": 1, "code": "P999",
                                  "message": "from the cache", "severity": "warning"})
    (location(project) / key / "entry.json").write_text(json.dumps(record))
    assert "P999" in {d.code for d in build(out=project / "dist", root=project, formats=["html"]).diagnostics}
    assert "P999" not in {d.code for d in build(out=project / "dist", root=project, formats=["html"], force=True).diagnostics}
    assert "P999" not in {d.code for d in build(out=project / "dist", root=project, formats=["html"]).diagnostics}  # replaced
    # An entry whose file was changed on disk, or a folder an interrupted build left aside, is not used.
    (location(project) / key / "three.html").write_bytes(b"<p>damaged</p>")
    (location(project) / ".part-x").mkdir()
    build(out=project / "dist", root=project, formats=["html"])
    assert outputs(project) == made
    # Nor is an entry that names a file outside --out.
    record = json.loads((location(project) / key / "entry.json").read_text())
    record["outputs"][0]["filename"] = "../evil.html"
    (location(project) / key / "evil.html").write_bytes(b"<p>evil</p>")
    (location(project) / key / "entry.json").write_text(json.dumps(record))
    build(out=project / "dist", root=project, formats=["html"])
    assert outputs(project) == made and not (project / "evil.html").exists()
    assert sorted(p.name for p in project.iterdir()) == ["dist", "source"]  # the cache is not in the project


def test_the_cache_of_a_project_that_is_gone_is_deleted(tmp_path):
    for name in ("kept", "gone"):
        (tmp_path / name / "source").mkdir(parents=True)
        (tmp_path / name / "source" / "a.md").write_text(TEXT.format(title="A", body="Text."))
        build(out=tmp_path / name / "dist", root=tmp_path / name, formats=["html"])
    import shutil

    shutil.rmtree(tmp_path / "gone")
    assert location(tmp_path / "gone").is_dir()
    build(out=tmp_path / "kept" / "dist", root=tmp_path / "kept", formats=["html"])
    assert not location(tmp_path / "gone").exists() and entries(tmp_path / "kept")


def test_strict_fails_on_a_cached_warning(project):
    assert build(out=project / "dist", root=project, formats=["html"]).ok
    strict = build(out=project / "strict", root=project, formats=["html"], strict=True)
    assert not strict.ok and "source/two.md" in strict.failed
    assert not (project / "strict" / "two.html").exists() and (project / "strict" / "three.html").exists()


def test_a_rebuild_from_the_cache_does_not_import_weasyprint(project):
    command = [sys.executable, "-c", "import sys; from publish.cli import main; code = main(['build', '--format', 'pdf,epub']); "
               "print('weasyprint' in sys.modules); sys.exit(code)"]
    first = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and first.stdout.strip() == "True", first.stderr
    again = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.strip() == "False", again.stderr
    assert "wrote dist/one.pdf" in again.stderr and json.loads((project / "dist" / "manifest.json").read_text())["artifacts"]


@pytest.mark.parametrize("in_process", [False, True], ids=["forked", "in-process"])
def test_strict_fails_on_a_weasyprint_warning_in_a_second_build_in_the_same_process(tmp_path, monkeypatch, in_process):
    """A layout's WeasyPrint warnings belong to that build: a second render in the same process (watch, a library
    user) and a build served from the cache both still report them, and --strict fails on them."""
    if in_process:
        monkeypatch.setenv("PUBLISH_DEBUG", "1")  # no child processes: WeasyPrint's state stays in this one
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text(TEXT.format(title="A", body="Text."))
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "print.css").write_text((REPO / "styles" / "print.css").read_text()
                                                   + "\n.titlepage { background: url(missing-texture.png) }\n")
    for force in (True, True, False):  # rendered, rendered again, then from the cache
        lenient = build(out=tmp_path / "dist", root=tmp_path, formats=["pdf", "epub"], force=force)
        said = [d for d in lenient.diagnostics if d.code == "R200" and "missing-texture" in d.message]
        assert lenient.ok and len(said) == 1, said  # once, however many formats print from the layout
        strict = build(out=tmp_path / "strict", root=tmp_path, formats=["pdf", "epub"], strict=True, force=force)
        assert not strict.ok and "R200" in {d.code for d in strict.diagnostics if d.severity == "error"}
