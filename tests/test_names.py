"""Source names: a slug, or a slug and a translation's language; two sources that would write one file fail, named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import which_or_skip

from publish import build
from publish.cli import main


def text(title: str, body: str, lang: str = "") -> str:
    return f"---\ntitle: {title}\nauthor: Someone\n" + (f"lang: {lang}\n" if lang else "") + f"---\n\n{body}\n"


def add(root: Path, name: str, content: str) -> None:
    path = root / "source" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def pdf_text(path: Path) -> str:
    return subprocess.run([which_or_skip("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def diagnostics(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " error " in line or " warning " in line]


@pytest.fixture(scope="module")
def project(tmp_path_factory, build_cache):
    """One project holding every kind of name, built once (PDF, press PDF, web page) with the command line."""
    root = tmp_path_factory.mktemp("names")
    add(root, "a.md", text("Original", "Words of the original."))
    add(root, "a.press.md", text("Press", "Words of the misnamed source."))
    add(root, "a.es.md", text("Traducción", "Palabras de la traducción.", lang="es"))
    add(root, "b.md", text("File", "Words of the file."))
    add(root, "b/index.md", text("Folder", "Words of the folder."))
    add(root, "My_Text.md", text("Capitals", "Words under capitals."))
    return root


@pytest.fixture(scope="module")
def built(project):
    """Exit status, diagnostics as printed, and manifest.json."""
    manifest = build(["source"], out=project / "dist", root=project, formats=("pdf", "press", "html"), jobs=2)
    return int(not manifest.ok), "\n".join(map(str, manifest.diagnostics)), json.loads(
        (project / "dist" / "manifest.json").read_text(encoding="utf-8"))


def test_a_file_and_a_folder_of_one_name_fail_together_naming_both(project, built):
    status, stderr, manifest = built
    assert status == 1
    clash = [d for d in diagnostics(stderr) if " P161: " in d]
    assert clash == ["source/b.md:1:1: error P161: source/b.md and source/b/index.md would both write b.pdf, b.press.pdf "
                     "and b.html: rename one of them; neither is built"]
    assert not [a for a in manifest["artifacts"] if a["source"].startswith("source/b")]
    assert not list((project / "dist").glob("b.*"))


def test_a_format_word_after_the_dot_is_refused_and_the_original_keeps_its_press_file(project, built):
    status, stderr, manifest = built
    refused = [d for d in diagnostics(stderr) if d.startswith("source/a.press.md:")]
    assert refused == ["source/a.press.md:1:1: error P108: name 'a.press' is not a slug: 'press' is not a language but "
                       "a word of the file names publish writes (such as a.press.pdf); a dot in the name comes only "
                       "before a translation's language, as in a.es.md; rename it a-press.md"]
    press = [a for a in manifest["artifacts"] if a["path"] == "a.press.pdf"]
    assert [a["source"] for a in press] == ["source/a.md"]
    assert "Words of the original." in pdf_text(project / "dist" / "a.press.pdf")
    assert not list((project / "dist").glob("a.press.*.pdf")) and not (project / "dist" / "a.press.html").exists()


def test_a_translation_is_an_edition_not_a_collision(project, built):
    status, stderr, manifest = built
    by_path = {a["path"]: a for a in manifest["artifacts"]}
    assert by_path["a.es.pdf"]["source"] == "source/a.es.md" and by_path["a.es.pdf"]["lang"] == "es"
    assert by_path["a.pdf"]["source"] == "source/a.md" and by_path["a.pdf"]["lang"] == "en"
    assert "Palabras de la traducción." in pdf_text(project / "dist" / "a.es.pdf")
    assert "Words of the original." in pdf_text(project / "dist" / "a.pdf")
    assert not [d for d in diagnostics(stderr) if "source/a.md" in d or "source/a.es.md" in d]


def test_capitals_and_underscores_are_refused_with_a_name_to_use(project, built):
    status, stderr, manifest = built
    assert [d for d in diagnostics(stderr) if d.startswith("source/My_Text.md:")] == [
        "source/My_Text.md:1:1: error P108: name 'My_Text' is not a slug: a slug is lower-case letters, digits and "
        "single hyphens, then .<lang> for a translation; rename it my-text.md"]
    assert not [a for a in manifest["artifacts"] if "text" in a["path"].lower()]


def test_each_file_is_listed_once(built):
    paths = [a["path"] for a in built[2]["artifacts"]]
    assert sorted(paths) == ["a.es.html", "a.es.pdf", "a.es.press.pdf", "a.html", "a.pdf", "a.press.pdf"]


def test_check_reports_the_same_collision(project, built, monkeypatch, capsys):
    monkeypatch.chdir(project)
    (project / "nothing-built").mkdir(exist_ok=True)
    assert main(["check", "--out", "nothing-built"]) == 1
    found = diagnostics(capsys.readouterr().err)
    assert [d for d in found if " P161: " in d] == [
        "source/b.md:1:1: error P161: source/b.md and source/b/index.md would both write b.pdf, b.press.pdf, "
        "b.booklet.pdf, b.epub and b.html: rename one of them; neither is built"]


# --- quick ones: the web page only -------------------------------------------------------------


@pytest.fixture
def small(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    monkeypatch.delenv("PUBLISH_DEBUG", raising=False)
    return tmp_path


def test_every_shard_finds_the_collision_and_neither_builds_it(small, capsys):
    add(small, "c.md", text("File", "File."))
    add(small, "c/index.md", text("Folder", "Folder."))
    for name in ("alpha", "bravo", "delta"):
        add(small, f"{name}.md", text(name.title(), name))
    results = {}
    for shard in ("1/2", "2/2"):
        status = main(["build", "--format", "html", "--shard", shard, "--out", f"out{shard[0]}"])
        results[shard] = status, diagnostics(capsys.readouterr().err)
    expected = ["source/c.md:1:1: error P161: source/c.md and source/c/index.md would both write c.html: rename one "
                "of them; neither is built"]
    assert results == {"1/2": (1, expected), "2/2": (1, expected)}
    built = sorted(p.name for shard in ("out1", "out2") for p in (small / shard).glob("*.html"))
    assert built == ["alpha.html", "bravo.html", "delta.html"]


def test_sources_of_two_folders_with_one_name_collide_and_the_others_build(small, capsys):
    add(small, "d.md", text("Here", "Here."))
    other = small / "other"
    other.mkdir()
    (other / "d.md").write_text(text("There", "There."), encoding="utf-8")
    add(small, "d/index.md", text("Folder", "Folder."))
    add(small, "unrelated.md", text("Unrelated", "Words of the unrelated pamphlet."))
    assert main(["build", "source", "other", "--format", "html"]) == 1
    assert diagnostics(capsys.readouterr().err) == [
        "other/d.md:1:1: error P161: other/d.md, source/d.md and source/d/index.md would all write d.html: rename one "
        "of them; none is built"]
    manifest = json.loads((small / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert [(a["path"], a["source"]) for a in manifest["artifacts"]] == [("unrelated.html", "source/unrelated.md")]
    assert "Words of the unrelated pamphlet." in (small / "dist" / "unrelated.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (small / "dist").iterdir()) == ["manifest.json", "unrelated.html"]


def test_a_translation_in_a_folder_is_found_and_named_by_it(small, capsys):
    add(small, "e/index.md", text("Original", "Original words."))
    add(small, "e/index.pt-br.md", text("Tradução", "Palavras traduzidas.", lang="pt-BR"))
    assert main(["build", "--format", "html"]) == 0, capsys.readouterr().err
    manifest = json.loads((small / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert {a["path"]: (a["source"], a["lang"]) for a in manifest["artifacts"]} == {
        "e.html": ("source/e/index.md", "en"), "e.pt-br.html": ("source/e/index.pt-br.md", "pt-BR")}
    assert "Palavras traduzidas." in (small / "dist" / "e.pt-br.html").read_text(encoding="utf-8")


def test_a_translation_whose_lang_disagrees_is_p114_at_the_lang_line(small, capsys):
    add(small, "f.fr.md", text("Texte", "Des mots.", lang="de"))
    add(small, "g.fr.md", text("Texte", "Des mots."))
    assert main(["build", "--format", "html"]) == 1
    assert diagnostics(capsys.readouterr().err) == [
        "source/f.fr.md:4:1: error P114: the file name f.fr.md says the text is in 'fr' but its front matter lang is "
        "'de': set lang: fr, or rename the file",
        "source/g.fr.md:1:1: error P114: the file name g.fr.md says the text is in 'fr' but its front matter has no "
        "lang, so it is 'en': set lang: fr, or rename the file"]
    assert not (small / "dist").exists() or not list((small / "dist").glob("*.html"))


@pytest.mark.parametrize("path, problem", [
    ("a.md", None), ("a-b-2.md", None), ("a.es.md", None), ("a.pt-br.md", None), ("a.es-419.md", None),
    ("a/index.md", None), ("a/index.kk.md", None),
    ("A.md", "rename it a.md"), ("a_b.md", "rename it a-b.md"), ("a.pt-BR.md", "written in lower case"),
    ("a.booklet.md", "such as a.booklet.pdf"), ("a.pdf.md", "such as a.pdf"), ("a.md.md", "'md' is not a language tag"),
    ("a.draft.md", "rename it a-draft.md"), ("a/index.press.md", "rename it a-press/index.md"),
    ("My Folder/index.es.md", "rename it my-folder/index.es.md"), ("a..b.md", "rename it a-b.md"),
])
def test_name_rule(path, problem):
    from publish.sources import name_problem, slug_of

    found = name_problem(slug_of(Path("source") / path), Path("source") / path)
    assert found == problem if problem is None else problem in found


def test_every_word_of_the_output_file_names_is_refused_as_a_language():
    from publish.render import FORMATS
    from publish.sources import OUTPUT_WORDS

    words = {word for f in FORMATS.values() for word in f.suffix.split(".") if word} | {"proof", "png"}  # proof.py
    assert words <= set(OUTPUT_WORDS)
