"""Issue 13: an exit status of 0 means valid files. Ids stay unique through every stage that adds them (the text, its
notes, the templates, the page markers), a note is never hidden by an id the text gives itself, a note called from
a note is not lost, and no date EPUBCheck refuses reaches the package.

Every EPUB here is also checked by EPUBCheck at the session's end (tests/conftest.py); these tests pin what the
reader gets."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from publish import build

X = {"x": "http://www.w3.org/1999/xhtml"}
FRONT = "---\ntitle: {title}\nauthor: A Committee\n{extra}---\n\n"
SOURCES = {
    # the text's own ids beside those Markdown gives the notes, and one id given to two headings
    "own-ids": FRONT.format(title="Own ids", extra="date: 2022-01-10\n")
    + "## Alpha {#x}\n\nA paragraph that takes the id of the note.\n{: #fn-1 }\n\nAnother that takes the id of its call.\n{: #fnref-1 }\n\n"
    + "A claim.[^1] [Back to Alpha](#x).\n\nOne that takes the id of a call never made.\n{: #fnref-2 }\n\n"
    + "## Beta {#x}\n\nThe second section.\n\n"
    + "[^1]: The first note, which must reach every edition.\n\n[^2]: A note nobody calls.\n",
    # a note called only from another note
    "nested-notes": FRONT.format(title="Nested notes", extra="date: 2022-01-10\n")
    + "## Only\n\nA claim.[^outer] Another.[^last]\n\n"
    + "[^outer]: The outer note, which cites another.[^inner]\n\n[^inner]: The inner note.\n\n[^last]: The last note.\n",
    # a year before 1000: four digits in the package's dates
    "ancient": FRONT.format(title="Ancient", extra="date: 0999\n") + "Text of a chronicle.\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("valid-epub")
    (root / "source").mkdir()
    for slug, text in SOURCES.items():
        (root / "source" / f"{slug}.md").write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)  # the front matter's dates, 0999 among them
        manifest = build([root / "source"], out=root / "dist", root=root, formats=["epub", "html"], jobs=2)
    return root / "dist", manifest


def documents(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as z:
        return {name.removeprefix("EPUB/"): etree.fromstring(z.read(name)) for name in z.namelist()
                if name.endswith((".xhtml", ".opf"))}


def ids(tree) -> Counter:
    return Counter(e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id") is not None)


def dangling(files: dict[str, etree._Element]) -> list[str]:
    """Every href to a #fragment of the package that no id answers."""
    found = []
    for name, tree in files.items():
        for a in tree.iter(f"{{{X['x']}}}a"):
            target, _, fragment = a.get("href", "").partition("#")
            if fragment and (target or name) in files and fragment not in ids(files[target or name]):
                found.append(f"{name}: {a.get('href')}")
    return found


def test_a_note_keeps_its_id_and_the_texts_own_ids_are_renamed(project):
    out, manifest = project
    files = documents(out / "own-ids.epub")
    assert not [(name, i) for name, tree in files.items() for i, n in ids(tree).items() if n > 1]
    assert dangling(files) == []
    text = files["text.xhtml"]
    [call] = text.xpath("//x:a[@class='noteref']", namespaces=X)
    [note] = text.xpath(f"//x:aside[@id='{call.get('href')[1:]}']", namespaces=X)
    assert "The first note, which must reach every edition." in "".join(note.itertext())
    assert note.xpath("string(.//x:a[@role='doc-backlink']/@href)", namespaces=X) == f"#{call.get('id')}"
    paragraphs = {"".join(p.itertext()): p.get("id") for p in text.iter(f"{{{X['x']}}}p")}
    assert paragraphs["A paragraph that takes the id of the note."] == "fn-1-2"
    assert paragraphs["Another that takes the id of its call."] == "fnref-1-2"
    assert text.xpath("string(//x:a[.='Back to Alpha']/@href)", namespaces=X) == "#x"  # the first of the two
    assert files["text-2.xhtml"].xpath("string(//x:h2/@id)", namespaces=X) == "x-2"
    web = etree.HTML((out / "own-ids.html").read_bytes())
    assert "The first note, which must reach every edition." in "".join(web.xpath("//aside[@id='fn-1']//text()"))
    # a note called nowhere is said to be left out, even when the text gives something its call's id
    assert [d.code for d in manifest.diagnostics if d.path.endswith("own-ids.md")] == ["P113"]


def test_a_note_called_from_a_note_follows_it(project):
    out, _ = project
    files = documents(out / "nested-notes.epub")
    assert dangling(files) == []
    asides = files["text.xhtml"].xpath("//x:aside", namespaces=X)
    texts = [" ".join("".join(a.itertext()).split()) for a in asides]
    assert texts == ["1. The outer note, which cites another.2", "2. The inner note.", "3. The last note."]
    [inner_call] = asides[0].xpath(".//x:a[@class='noteref']", namespaces=X)
    assert inner_call.get("href") == f"#{asides[1].get('id')}"
    web = etree.HTML((out / "nested-notes.html").read_bytes())
    assert "The inner note." in "".join(web.xpath(f"//aside[@id='{asides[1].get('id')}']//text()"))


def test_a_year_before_1000_is_written_with_four_digits_or_refused(project):
    """The package's dcterms:modified must read CCYY-MM-DDThh:mm:ssZ (EPUBCheck refused "999-01-01T00:00:00Z")."""
    out, manifest = project
    said = [d for d in manifest.diagnostics if d.path.endswith("ancient.md")]
    if not (out / "ancient.epub").exists():  # a date this early may be refused as a date
        assert [d.code for d in said] == ["P104"], said
        return
    assert said == []  # and no warning from WeasyPrint about the print edition's date either
    opf = documents(out / "ancient.epub")["content.opf"]
    namespaces = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
    assert opf.xpath("string(//opf:meta[@property='dcterms:modified'])", namespaces=namespaces) == "0999-01-01T00:00:00Z"
    assert opf.xpath("string(//dc:date)", namespaces=namespaces) == "0999"


def xhtml(body: str):
    return etree.fromstring(f'<html xmlns="{X["x"]}"><body>{body}</body></html>')


def test_the_last_pass_keeps_ids_unique_and_fragments_answered_whatever_the_templates_add():
    from publish.repair import settle

    files = {
        "text.xhtml": xhtml('<section id="intro" aria-labelledby="gone"><h2 id="intro">A</h2><p id="intro">b</p>'
                            '<a href="#intro">first</a> <a href="#nowhere">lost</a> <a id="keep" href="#nowhere">kept</a>'
                            ' <a href="text-2.xhtml#b">there</a> <a href="text-2.xhtml#c">not there</a>'
                            ' <a href="https://example.org/#x">out</a></section>'),
        "text-2.xhtml": xhtml('<p id="b" aria-labelledby="b">b</p>'),
    }
    settle(files)
    text = files["text.xhtml"]
    assert [e.get("id") for e in text.iter() if e.get("id")] == ["intro", "intro-2", "intro-3", "keep"]
    assert text.find(".//x:section", X).get("aria-labelledby") is None
    assert [(a.text, a.get("href")) for a in text.iter(f"{{{X['x']}}}a")] == [
        ("first", "#intro"), ("kept", None), ("there", "text-2.xhtml#b"), ("out", "https://example.org/#x")]
    assert "".join(text.itertext()) == "Abfirst lost kept there not there out"  # the words of every link stay
    assert files["text-2.xhtml"].find(".//x:p", X).get("aria-labelledby") == "b"


@pytest.mark.invalid_epub  # its files are called .epub and are not EPUBs: the session's EPUBCheck leaves them out
def test_the_session_checks_each_epub_once_by_its_own_name_and_leaves_out_what_a_test_broke_on_purpose(tmp_path):
    from conftest import EveryEpub, sha256

    session = EveryEpub()
    session.base = tmp_path
    files = {"test_a0/dist/a.epub": b"one", "test_a0/dist/copy.epub": b"one", "publish-cache0/k/b.epub": b"two",
             "test_b0/dist/b.epub": b"two", "test_broken0/dist/c.epub": b"three", "test_checked0/d.epub": b"four",
             "test_a0/dist/a.pdf": b"five", "publish-cache0/k/.part-x1/e.epub": b""}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    session.left_out.add(tmp_path / "test_broken0")
    session.checked.add(sha256(tmp_path / "test_checked0/d.epub"))
    assert [str(p.relative_to(tmp_path)) for p in session.found()] == ["test_a0/dist/a.epub", "test_b0/dist/b.epub"]
