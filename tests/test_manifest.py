"""dist/ tells the truth (issue 12, item 11): manifest.json describes every artifact in the output folder, with the
source state each was built from, and an artifact its source has moved on from is marked stale and named."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from test_watch import wait_for

from publish import build
from publish.cli import main
from publish.watch import Preview, watch

TEXT = "---\ntitle: Truth\nauthor: A\n---\n\n{body}\n"
ALL = ["pdf", "press", "booklet", "epub", "html"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(dist: Path) -> dict[str, dict]:
    return {a["path"]: a for a in json.loads((dist / "manifest.json").read_text(encoding="utf-8"))["artifacts"]}


def assert_describes_the_folder(dist: Path) -> None:
    listed = entries(dist)
    assert sorted(listed) == sorted(p.name for p in dist.iterdir() if p.name != "manifest.json"), listed
    for name, entry in listed.items():
        data = (dist / name).read_bytes()
        assert (entry["bytes"], entry["sha256"]) == (len(data), sha(data)), name


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("truth")
    (root / "source").mkdir()
    (root / "source" / "truth.md").write_text(TEXT.format(body="The first state."), encoding="utf-8")
    (root / "source" / "other.md").write_text(TEXT.format(body="Another text."), encoding="utf-8")
    assert build(out=root / "dist", root=root, formats=ALL).ok
    return root


def test_a_partial_rebuild_keeps_the_other_entries_and_marks_them_stale(project, tmp_path, capsys, monkeypatch):
    root = tmp_path / "p"
    root.mkdir()
    for name in ("source", "dist"):
        (root / name).mkdir()
        for file in (project / name).iterdir():
            (root / name / file.name).write_bytes(file.read_bytes())
    first = entries(root / "dist")
    source = root / "source" / "truth.md"
    source.write_text(TEXT.format(body="The second state."), encoding="utf-8")
    now = sha(source.read_bytes())  # written with \n line endings: the digest of the text

    monkeypatch.chdir(root)
    assert main(["build", "source/truth.md", "--format", "html,pdf"]) == 0
    err = capsys.readouterr().err
    listed = entries(root / "dist")
    assert_describes_the_folder(root / "dist")
    assert len(listed) == 10  # both sources' five files, though this build wrote two
    for name in ("truth.html", "truth.pdf"):
        assert listed[name]["source_sha256"] == now and listed[name]["stale"] is False
        assert f"wrote dist/{name}" in err
    for name in ("truth.epub", "truth.press.pdf", "truth.booklet.pdf"):
        assert listed[name] == first[name] | {"stale": True}, name  # as built, from the first state
        assert f"dist/{name}:1:1: warning P165: stale: built from an earlier state of source/truth.md" in err
        assert f"wrote dist/{name}" not in err
    assert all(not listed[f"other{s}"]["stale"] for s in (".pdf", ".press.pdf", ".booklet.pdf", ".epub", ".html"))
    assert err.count("P165") == 3

    assert build(out=root / "dist", root=root).ok  # every format again: nothing stale
    assert not any(entry["stale"] for entry in entries(root / "dist").values())


def test_a_failed_build_lists_yesterdays_files_as_stale_and_a_gone_source_too(project, tmp_path):
    root = tmp_path / "p"
    (root / "source").mkdir(parents=True)
    (root / "dist").mkdir()
    for file in (project / "dist").iterdir():
        (root / "dist" / file.name).write_bytes(file.read_bytes())
    (root / "source" / "truth.md").write_text("---\ntitle: Truth\nauthor: A\nlicence: x\n---\n\nBroken.\n", encoding="utf-8")

    manifest = build(out=root / "dist", root=root)
    assert not manifest.ok and not manifest.built
    listed = entries(root / "dist")
    assert_describes_the_folder(root / "dist")
    assert len(listed) == 10 and all(entry["stale"] for entry in listed.values())  # not "artifacts": []
    stale = {d.path.rsplit("/", 1)[1]: d.message for d in manifest.diagnostics if d.code == "P165"}
    assert sorted(stale) == sorted(listed)
    assert "earlier state of source/truth.md" in stale["truth.epub"]
    assert "its source source/other.md is gone" in stale["other.epub"]


def test_files_no_manifest_lists_are_found_beside_their_sources(project, tmp_path):
    root = tmp_path / "p"
    (root / "source").mkdir(parents=True)
    (root / "dist").mkdir()
    for file in (project / "source").iterdir():
        (root / "source" / file.name).write_bytes(file.read_bytes())
    for file in (project / "dist").iterdir():
        if file.name != "manifest.json":
            (root / "dist" / file.name).write_bytes(file.read_bytes())
    (root / "dist" / "index.html").write_text("<p>the publisher's own page</p>", encoding="utf-8")
    (root / "dist" / "manifest.json").write_text('{"artifacts": [{}, {"path": "../x.pdf"}, 5]}', encoding="utf-8")

    manifest = build([root / "source" / "other.md"], out=root / "dist", root=root, formats=["html"])
    assert manifest.ok and [a.path for a in manifest.built] == ["other.html"]
    listed = entries(root / "dist")
    assert "index.html" not in listed  # not ours: no source/index.md
    assert sorted(listed) == sorted(p.name for p in (project / "dist").iterdir() if p.name != "manifest.json")
    assert listed["truth.pdf"]["pages"] == entries(project / "dist")["truth.pdf"]["pages"]
    assert listed["truth.pdf"]["source"] == "source/truth.md" and listed["truth.pdf"]["format"] == "pdf"
    assert "source_sha256" not in listed["truth.pdf"]  # which state it was built from, no manifest says
    assert not listed["truth.pdf"]["stale"]  # but it is newer than its source


def test_check_names_what_went_stale_since_the_build(project, tmp_path, capsys, monkeypatch):
    root = tmp_path / "p"
    for name in ("source", "dist"):
        (root / name).mkdir(parents=True)
        for file in (project / name).iterdir():
            if name == "source" or file.suffix == ".html":  # no EPUBs: EPUBCheck is not what this is about
                (root / name / file.name).write_bytes(file.read_bytes())
    html = [a for a in entries(project / "dist").values() if a["format"] == "html"]
    (root / "dist" / "manifest.json").write_text(json.dumps({"artifacts": html}), encoding="utf-8")
    (root / "source" / "other.md").write_text(TEXT.format(body="Changed after the build."), encoding="utf-8")
    monkeypatch.chdir(root)
    main(["check"])
    err = capsys.readouterr().err
    assert [line.split(":")[0] for line in err.splitlines() if "P165" in line] == ["dist/other.html"], err


def test_watch_says_which_formats_it_leaves_stale(tmp_path):
    source = tmp_path / "source" / "watched.md"
    source.parent.mkdir()
    source.write_text(TEXT.format(body="First version."), encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["html", "epub"]).ok
    preview, manifests = Preview(), []
    thread = threading.Thread(target=watch, args=(None,), daemon=True,
                              kwargs=dict(out="dist", formats=("html",), port=0, root=tmp_path, report=manifests.append, preview=preview))
    thread.start()
    try:
        wait_for(lambda: preview.url)
        source.write_text(TEXT.format(body="Second version."), encoding="utf-8")
        wait_for(lambda: len(manifests) >= 2)
    finally:
        preview.stopping.set()
        thread.join(timeout=10)
    first, second = manifests[0], manifests[-1]
    assert not [d for d in first.diagnostics if d.code == "P165"]  # the epub was of the same state
    assert [(d.path, d.code) for d in second.diagnostics] == [("dist/watched.epub", "P165")]
    assert [a.path for a in second.built] == ["watched.html"]
    listed = entries(tmp_path / "dist")
    assert listed["watched.epub"]["stale"] and not listed["watched.html"]["stale"]


def test_a_translations_files_keep_their_entries(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text(TEXT.format(body="The original."), encoding="utf-8")
    (tmp_path / "source" / "a.es.md").write_text(TEXT.format(body="La traducción.").replace("author: A", "author: A\nlang: es"),
                                                 encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["html"]).ok
    assert build([tmp_path / "source" / "a.md"], out=tmp_path / "dist", root=tmp_path, formats=["html"]).ok
    listed = entries(tmp_path / "dist")
    assert sorted(listed) == ["a.es.html", "a.html"] and listed["a.es.html"]["lang"] == "es"
    (tmp_path / "dist" / "manifest.json").unlink()
    assert build([tmp_path / "source" / "a.md"], out=tmp_path / "dist", root=tmp_path, formats=["html"]).ok
    assert entries(tmp_path / "dist")["a.es.html"]["source"] == "source/a.es.md"  # found beside its source
