"""`publish merge` (issue 14): the folders of a sharded build, joined, are the folder an unsharded build writes, file
for file and byte for byte, manifest included; a shard without a manifest, a file that is not what its manifest
lists, and two shards holding different files of one name are refused, and nothing is written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from publish import build
from publish.cli import main

TEXT = "---\ntitle: {title}\nauthor: A Writer\ndate: 2022-01-{day:02d}\n---\n\n## One\n\n{title}: the first part.\n\n## Two\n\nThe second.\n"
FORMATS = ["pdf", "press", "booklet", "epub", "html"]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> Path:
    """Three sources built whole into full/, and as two shards into s1/ and s2/ (the shards come from the cache)."""
    root = tmp_path_factory.mktemp("shards")
    (root / "source").mkdir()
    for day, slug in enumerate(("alpha", "beta", "gamma"), 1):
        (root / "source" / f"{slug}.md").write_text(TEXT.format(title=slug.title(), day=day), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        assert build(out=root / "full", root=root, formats=FORMATS).ok
        for k in (1, 2):
            assert build(out=root / f"s{k}", root=root, formats=FORMATS, shard=(k, 2)).ok
    return root


def test_the_shards_merged_are_the_unsharded_build_byte_for_byte(sharded, monkeypatch, capsys):
    monkeypatch.chdir(sharded)
    one, two = files(sharded / "s1"), files(sharded / "s2")
    assert one.keys() - {"manifest.json"} and two.keys() - {"manifest.json"}
    assert not (one.keys() & two.keys()) - {"manifest.json"}  # the shards really split the sources

    assert main(["merge", "s1", "s2", "--out", "merged"]) == 0
    assert "merged 2 folders into merged: 15 files" in capsys.readouterr().err
    merged, full = files(sharded / "merged"), files(sharded / "full")
    assert merged.keys() == full.keys() and len(full) == 16
    assert [name for name in full if merged[name] != full[name]] == []  # manifest.json too: the same bytes
    listed = [a["path"] for a in json.loads(merged["manifest.json"])["artifacts"]]
    assert listed[:5] == ["alpha.pdf", "alpha.press.pdf", "alpha.booklet.pdf", "alpha.epub", "alpha.html"]

    assert main(["merge", "s2", "s1", "merged", "--out", "merged"]) == 0  # again, in another order, into itself
    assert files(sharded / "merged") == full


def copy_of(sharded: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(sharded / name, tmp_path / name))


def refused(argv: list[str], capsys) -> list[str]:
    assert main(argv) == 1
    return [line for line in capsys.readouterr().err.splitlines() if ": error " in line]


def test_a_folder_without_a_manifest_is_refused_and_nothing_is_written(sharded, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_of(sharded, tmp_path, "s1")
    copy_of(sharded, tmp_path, "s2")
    (tmp_path / "s2" / "manifest.json").unlink()
    errors = refused(["merge", "s1", "s2", "missing", "--out", "out"], capsys)
    assert errors == ["s2:1:1: error P350: no manifest.json in it: give merge the --out folders of `publish build --shard K/N`",
                      "missing:1:1: error P350: no such folder: give merge the --out folders of `publish build --shard K/N`"]
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_what_its_manifest_lists_is_refused(sharded, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_of(sharded, tmp_path, "s1")
    two = copy_of(sharded, tmp_path, "s2")
    victim = next(p for p in sorted(two.iterdir()) if p.suffix == ".html")
    victim.write_bytes(victim.read_bytes()[:-100])  # cut short
    (tmp_path / "out").mkdir()
    [error] = refused(["merge", "s1", "s2", "--out", "out"], capsys)
    assert error.startswith(f"s2/{victim.name}:1:1: error P351: is not the file its manifest lists: sha256 ")
    assert list((tmp_path / "out").iterdir()) == []  # nothing copied, no temporary file left


def test_two_shards_with_different_files_of_one_name_are_refused(sharded, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    copy_of(sharded, tmp_path, "s1")
    other = Path(shutil.copytree(sharded / "s1", tmp_path / "again"))  # the same shard, built elsewhere differently
    name = next(p.name for p in sorted(other.iterdir()) if p.suffix == ".html")
    data = b"<!doctype html><title>Built elsewhere</title>\n"
    (other / name).write_bytes(data)
    manifest = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    entry = next(a for a in manifest["artifacts"] if a["path"] == name)
    entry["bytes"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()  # its manifest is right about it
    (other / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    [error] = refused(["merge", "s1", "again", "--out", "out"], capsys)
    assert error.startswith(f"again/{name}:1:1: error P352: differs from s1/{name}: two shards built one file differently")
    assert not (tmp_path / "out").exists()


def test_an_entry_naming_a_file_outside_the_folder_is_refused(sharded, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    one = copy_of(sharded, tmp_path, "s1")
    (tmp_path / "secret.html").write_text("not an artifact", encoding="utf-8")
    manifest = json.loads((one / "manifest.json").read_text(encoding="utf-8"))
    manifest["artifacts"][0]["path"] = "../secret.html"
    (one / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    errors = refused(["merge", "s1", "--out", "out"], capsys)
    assert errors == ["s1/manifest.json:1:1: error P350: entry 1 is not an artifact publish writes (a field missing or of "
                      "the wrong kind, or a name not <slug>.<format>)"]
    assert not (tmp_path / "out").exists()
