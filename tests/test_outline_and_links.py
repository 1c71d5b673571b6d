"""Issue 10: chapters at any heading level reach every contents list; links never stop a build.

Each case is built once (PDF, EPUB and web edition) and checked in the files a reader gets: the EPUB's nav and
NCX, its chapter files, the PDF's bookmarks and contents page, the hrefs of the web page, the EPUB's XHTML and
the PDF's link annotations.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, which_or_skip
from lxml import etree

from publish import build
from publish.cli import main

X = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPOCH = "1641772800"
FRONT = "---\ntitle: {title}\nauthor: A Committee\ndate: 2022-01-10\n{extra}---\n\n"
WORDS = "Words of the section, enough of them to read as a paragraph of a real pamphlet. " * 3

Tree = list  # [(label, Tree), …]


def section(marks: str, title: str) -> str:
    return f"{marks} {title}\n\n{WORDS}\n\n"


MIX = (FRONT.format(title="Mixed Levels", extra="")
       + "An opening paragraph before any heading.\n\n"
       + section("#", "Part One") + section("##", "Background") + section("###", "The oil towns") + section("####", "Too deep")
       + section("##", "Demands")
       + section("#", "Part Two") + section("###", "Skipped a level")
       + section("#", "Part Three"))
TITLE_REPEAT = (FRONT.format(title="The Title Said *Twice*", extra="")
                + section("#", "The title said twice") + section("##", "First") + section("##", "Second")
                + section("###", "Detail") + section("##", "Third"))
H3_ONLY = FRONT.format(title="Only Threes", extra="") + section("###", "Alpha") + section("###", "Beta")
OWN_TITLE = (FRONT.format(title="Yandex Music API — changes", extra="lang: ru\n") + section("#", "Список изменений")
             + section("##", "Версия 3.2.2") + section("###", "Исправления") + section("##", "Версия 3.2.1")
             + section("##", "Версия 3.2.0"))


@pytest.fixture(scope="module")
def outlines(tmp_path_factory) -> Path:
    """The h1-chapters and chapters fixtures, a mix of levels, a title repeat and a text of ### headings, built once."""
    project = tmp_path_factory.mktemp("outlines")
    (project / "source").mkdir()
    texts = {name: (REPO / "tests/fixtures/epub/source" / f"{name}.md").read_text(encoding="utf-8")
             for name in ("h1-chapters", "chapters")}
    texts.update({"mix": MIX, "title-repeat": TITLE_REPEAT, "h3-only": H3_ONLY, "own-title": OWN_TITLE})
    for name, text in texts.items():
        if name in ("h1-chapters", "chapters", "mix"):  # short texts: their sections open pages when told to
            head, body = text.split("\n---\n", 1)
            text = f"{head}\nsection_breaks: page\n---\n{body}"
        (project / "source" / f"{name}.md").write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        manifest = build([project / "source"], out=project / "dist", root=project, formats=["pdf", "epub", "html"], jobs=2)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return project


def nav_toc(epub: Path, around: tuple[str, str] = ("Title page", "Colophon")) -> Tree:
    """The nav document's table of contents under the pamphlet's title entry, as (label, children) pairs."""
    with zipfile.ZipFile(epub) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))

    def walk(ol) -> Tree:
        return [(li.xpath("string(x:a)", namespaces=X), walk(li.find("x:ol", X)) if li.find("x:ol", X) is not None else [])
                for li in ol.findall("x:li", X)]

    [toc] = nav.xpath("//x:nav[@epub:type='toc']/x:ol", namespaces=X)
    entries = walk(toc)
    assert [label for label, _ in entries][0::2] == list(around), entries
    return entries[1][1]


def ncx_toc(epub: Path) -> Tree:
    with zipfile.ZipFile(epub) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))

    def walk(point) -> Tree:
        return [(p.xpath("string(ncx:navLabel/ncx:text)", namespaces=X), walk(p)) for p in point.findall("ncx:navPoint", X)]

    return walk(ncx.find("ncx:navMap", X))[1][1]


def pdf_outline(pdf: Path, back: str = "Colophon") -> tuple[Tree, dict[str, tuple[int, float]]]:
    """The bookmarks under the title, and for each its page (1-based) and how high on the page it points."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    where = {}

    def walk(items) -> Tree:
        tree: Tree = []
        for item in items:
            if isinstance(item, list):
                tree[-1] = (tree[-1][0], walk(item))
            else:
                tree.append((item.title, []))
                where[item.title] = (reader.get_destination_page_number(item) + 1, float(item.top or 0))
        return tree

    top = walk(reader.outline)
    assert [label for label, _ in top][1:] == [back], top
    return top[0][1], where


def contents_page(pdf: Path, heading: str = "Contents") -> list[tuple[str, int]]:
    """The PDF's contents page (page 2) as (entry, page number) lines, read by poppler's pdftotext."""
    text = subprocess.run([which_or_skip("pdftotext"), "-layout", "-f", "2", "-l", "2", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert text.split()[0] == heading, text
    return [(m.group(1).strip(), int(m.group(2))) for m in re.finditer(r"^(.*?\S)\s*(\d+)\s*$", text, re.M)]


def flatten(tree: Tree) -> list[str]:
    return [label for label, children in tree for label in [label, *flatten(children)]]


H1_CHAPTERS = [
    ("First Letter", [("Who we are", []), ("What we ask", [])]),
    ("Second Letter", [("The other cities", []), ("Our committee", [])]),
    ("Third Letter", [("The last days", []), ("What we learned", [])]),
]
H2_CHAPTERS = [
    ("Chapter One: The Fields", [("Work and wages", []), ("The settlements", [])]),
    ("Chapter Two: Privatization", [("The first strikes", []), ("The union question", [])]),
    ("Chapter Three: 2011", [("The trials", []), ("Memory", [])]),
    ("Chapter Four: 2022", [("The general strike", []), ("What remains", [])]),
    ("Epilogue", []),
]
MIXED = [
    ("Part One", [("Background", [("The oil towns", [])]), ("Demands", [])]),
    ("Part Two", [("Skipped a level", [])]),
    ("Part Three", []),
]


@pytest.mark.parametrize("slug, expected", [("h1-chapters", H1_CHAPTERS), ("chapters", H2_CHAPTERS), ("mix", MIXED)])
def test_sections_and_two_levels_reach_nav_ncx_bookmarks_and_contents(outlines, slug, expected):
    dist = outlines / "dist"
    assert nav_toc(dist / f"{slug}.epub") == expected
    assert ncx_toc(dist / f"{slug}.epub") == expected
    bookmarks, where = pdf_outline(dist / f"{slug}.pdf")
    assert bookmarks == expected
    contents = contents_page(dist / f"{slug}.pdf")
    assert [entry for entry, _ in contents] == flatten(expected)
    assert all(page == where[entry][0] for entry, page in contents), (contents, where)


@pytest.mark.parametrize("slug, expected", [("h1-chapters", H1_CHAPTERS), ("chapters", H2_CHAPTERS), ("mix", MIXED)])
def test_each_section_opens_a_page_and_an_epub_file(outlines, slug, expected):
    dist = outlines / "dist"
    _, where = pdf_outline(dist / f"{slug}.pdf")
    pages = [where[label][0] for label, _ in expected]
    assert pages == sorted(set(pages)), where
    assert all(where[label][1] > 595.28 - 110 for label, _ in expected[1:]), where  # at the top of its page
    first = expected[0][0]  # the first may follow the standfirst on the text's opening page, which is page 3
    assert where[first][0] == 3 or where[first][1] > 595.28 - 110, where
    with zipfile.ZipFile(dist / f"{slug}.epub") as z:
        files = sorted((n for n in z.namelist() if re.fullmatch(r"EPUB/text(-\d+)?\.xhtml", n)), key=lambda n: (len(n), n))
        sections = []
        for n, name in enumerate(files):
            doc = etree.fromstring(z.read(name))
            headings = doc.xpath("//x:main//x:h2", namespaces=X)
            assert len(headings) <= 1, name  # one section a file (the first may open with text before any heading)
            sections += ["".join(h.itertext()) for h in headings]
            if n:  # every file after the first opens with its section's heading
                assert doc.xpath("//x:section[@epub:type='chapter']/*[1]", namespaces=X) == headings
    assert sections == [label for label, _ in expected]


def test_headings_are_renumbered_so_sections_are_h2(outlines):
    page = (outlines / "dist" / "mix.html").read_text(encoding="utf-8").split("<main>")[1].split("</main>")[0]
    levels = re.findall(r"<h([1-6]) id=\"([^\"]+)\"", page)
    assert levels == [("2", "part-one"), ("3", "background"), ("4", "the-oil-towns"), ("5", "too-deep"), ("3", "demands"),
                      ("2", "part-two"), ("3", "skipped-a-level"), ("2", "part-three")]  # a skipped level closes up
    page = (outlines / "dist" / "h3-only.html").read_text(encoding="utf-8").split("<main>")[1].split("</main>")[0]
    assert re.findall(r"<h([1-6]) id=\"([^\"]+)\"", page) == [("2", "alpha"), ("2", "beta")]
    assert nav_toc(outlines / "dist" / "h3-only.epub") == [("Alpha", []), ("Beta", [])]


def test_a_first_heading_that_repeats_the_title_is_left_out(outlines, capsys):
    dist = outlines / "dist"
    expected = [("First", []), ("Second", [("Detail", [])]), ("Third", [])]
    assert nav_toc(dist / "title-repeat.epub") == expected
    assert pdf_outline(dist / "title-repeat.pdf")[0] == expected
    page = (dist / "title-repeat.html").read_text(encoding="utf-8")
    assert "The title said twice</h" not in page and page.count("The Title Said") >= 2  # <title>, title page
    manifest = build([outlines / "source" / "title-repeat.md"], out=outlines / "again", root=outlines, formats=["html"])
    [note] = [d for d in manifest.diagnostics if d.code == "P124"]
    assert (note.severity, note.line) == ("note", 7)


def test_a_lone_first_heading_that_is_not_the_title_is_kept_as_the_texts_own_title(outlines):
    dist = outlines / "dist"
    expected = [("Версия 3.2.2", [("Исправления", [])]), ("Версия 3.2.1", []), ("Версия 3.2.0", [])]
    assert nav_toc(dist / "own-title.epub", ("Титульный лист", "Выходные данные")) == expected and ncx_toc(dist / "own-title.epub") == expected
    assert pdf_outline(dist / "own-title.pdf", "Выходные данные")[0] == expected
    assert [entry for entry, _ in contents_page(dist / "own-title.pdf", "Содержание")] == flatten(expected)
    page = (dist / "own-title.html").read_text(encoding="utf-8").split("<main>")[1].split("</main>")[0]
    assert re.findall(r"<h([1-6]) id=\"[^\"]+\">([^<]*)<", page)[:2] == [("1", "Список изменений"), ("2", "Версия 3.2.2")]
    manifest = build([outlines / "source" / "own-title.md"], out=outlines / "again", root=outlines, formats=["html"])
    [note] = [d for d in manifest.diagnostics if d.code == "P124"]
    assert (note.severity, note.line) == ("note", 8) and "kept as the text's own title" in note.message


# --- links ------------------------------------------------------------------------------------------------------

SOURCE_URL = "https://example.org/2022/01/10/links/"  # also the colophon's link
LINKS = """---
title: Links
author: A
source_url: https://example.org/2022/01/10/links/
---

Write to <nobody@example.org> or [the office](mailto:office@example.org).
Read [our aims](/about/aims/), [a search](/url?x=1) and [chapter two](chapter-2.xhtml).
See [the reply](reply.md), [its top](../source/reply/index.md#top), [its web page](reply.html) and [the folder](reply/#top).
Also [ftp](ftp://example.org/file), [call us](tel:+441234), [a template]({{ user.url }}) and [a script](javascript:alert(1)).
Jump [down](#later) and [nowhere](#missing); [self](links.md#later).

## Later

The end.
"""
NO_URL = """---
title: No URL
author: A
---

Read [our aims](/about/aims/) and [the other](other.html); see [the reply](reply/index.md#top).
"""
REPLY = "---\ntitle: Reply\nauthor: B\n---\n\n## Top\n\nThe reply.\n"


def links_project(root: Path, base_url: str = "") -> Path:
    (root / "source" / "reply").mkdir(parents=True)
    (root / "source" / "links.md").write_text(LINKS, encoding="utf-8")
    (root / "source" / "no-url.md").write_text(NO_URL, encoding="utf-8")
    (root / "source" / "reply" / "index.md").write_text(REPLY, encoding="utf-8")
    if base_url:
        (root / "pyproject.toml").write_text(f'[tool.publish]\nbase_url = "{base_url}"\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> tuple[Path, object]:
    root = links_project(tmp_path_factory.mktemp("links"))
    manifest = build([root / "source"], out=root / "dist", root=root, formats=["pdf", "epub", "html"], jobs=2)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return root, manifest


@pytest.fixture(scope="module")
def linked_with_base(tmp_path_factory) -> Path:
    root = links_project(tmp_path_factory.mktemp("links-base"), "https://pamphlets.example.net/en")
    manifest = build([root / "source" / "links.md"], out=root / "dist", root=root, formats=["pdf", "epub", "html"], jobs=2)
    assert manifest.ok and not [d for d in manifest.diagnostics if d.code == "P123"], [str(d) for d in manifest.diagnostics]
    return root


def web_links(page: Path) -> list[tuple[str, str]]:
    html = etree.HTML(page.read_bytes())
    return [("".join(a.itertext()), a.get("href")) for a in html.iter("a") if a.get("href") and a.xpath("ancestor::main")]


def epub_links(epub: Path) -> list[tuple[str, str | None]]:
    with zipfile.ZipFile(epub) as z:
        return [("".join(a.itertext()), a.get("href")) for n in sorted(z.namelist()) if re.fullmatch(r"EPUB/text(-\d+)?\.xhtml", n)
                for a in etree.fromstring(z.read(n)).iter(f"{{{X['x']}}}a") if a.xpath("ancestor::x:main", namespaces=X)
                and not a.get("role")]


def pdf_uris(pdf: Path) -> list[str]:
    """The PDF's link targets in order; a link broken over two lines has two annotations, counted once."""
    from pypdf import PdfReader

    uris = [annot.get_object()["/A"].get("/URI") for page in PdfReader(pdf).pages for annot in page.get("/Annots") or []
            if "/A" in annot.get_object() and "/URI" in annot.get_object()["/A"]]
    return [uri for n, uri in enumerate(uris) if n == 0 or uris[n - 1] != uri]


FOLLOWED = [
    ("nobody@example.org", "mailto:nobody@example.org"),
    ("the office", "mailto:office@example.org"),
    ("our aims", "https://example.org/about/aims/"),
    ("a search", "https://example.org/url?x=1"),
    ("chapter two", "https://example.org/2022/01/10/links/chapter-2.xhtml"),
]
IN_EPUB = [("down", "text-2.xhtml#later"), ("self", "text-2.xhtml#later")]  # "Later" opens the second chapter file
PAMPHLET = [("the reply", "reply.html"), ("its top", "reply.html#top"), ("its web page", "reply.html"), ("the folder", "reply.html#top")]


def test_web_edition_links(linked):
    root, _ = linked
    assert web_links(root / "dist" / "links.html") == FOLLOWED + PAMPHLET + [("down", "#later"), ("self", "#later")]
    page = (root / "dist" / "links.html").read_text(encoding="utf-8")
    for words in ("ftp", "call us", "a template", "a script", "nowhere"):
        assert re.search(rf"[ >]{re.escape(words)}[ <),;.]", page), words  # the words stay, without the link
    assert "javascript" not in page and "ftp:" not in page and "tel:" not in page and "{{" not in page


def test_epub_and_pdf_without_base_url_keep_the_words_of_links_between_pamphlets(linked):
    root, _ = linked
    links = epub_links(root / "dist" / "links.epub")
    assert [link for link in links if link[1]] == FOLLOWED + IN_EPUB
    assert {words for words, href in links if href is None} == set()  # unlinked words are not <a> at all
    assert "the reply" in "".join(etree.fromstring(zipfile.ZipFile(root / "dist" / "links.epub").read("EPUB/text.xhtml")).itertext())
    assert [u for u in pdf_uris(root / "dist" / "links.pdf") if u != SOURCE_URL] == [href for _, href in FOLLOWED]


def test_epub_and_pdf_with_base_url_link_to_the_web_editions(linked_with_base):
    dist = linked_with_base / "dist"
    at_base = [(words, f"https://pamphlets.example.net/en/{href}") for words, href in PAMPHLET]
    assert epub_links(dist / "links.epub") == FOLLOWED + at_base + IN_EPUB
    assert web_links(dist / "links.html") == FOLLOWED + PAMPHLET + [("down", "#later"), ("self", "#later")]
    assert [u for u in pdf_uris(dist / "links.pdf") if u != SOURCE_URL] == [href for _, href in FOLLOWED + at_base]


def test_links_that_cannot_be_followed_are_warnings_at_their_line(linked):
    _, manifest = linked
    found = sorted((d.path, d.line, d.code, d.severity, re.search(r"link '([^']*)'", d.message).group(1))
                   for d in manifest.diagnostics if d.code in ("P120", "P122", "P123"))
    assert found == [
        ("source/links.md", 9, "P123", "note", "../source/reply/index.md#top"),
        ("source/links.md", 9, "P123", "note", "reply.html"),
        ("source/links.md", 9, "P123", "note", "reply.md"),
        ("source/links.md", 9, "P123", "note", "reply/#top"),
        ("source/links.md", 10, "P120", "warning", "ftp://example.org/file"),
        ("source/links.md", 10, "P120", "warning", "javascript:alert(1)"),
        ("source/links.md", 10, "P120", "warning", "tel:+441234"),
        ("source/links.md", 10, "P120", "warning", "{{ user.url }}"),
        ("source/links.md", 11, "P122", "warning", "#missing"),
        ("source/no-url.md", 6, "P120", "warning", "/about/aims/"),
        ("source/no-url.md", 6, "P120", "warning", "other.html"),
        ("source/no-url.md", 6, "P123", "note", "reply/index.md#top"),
    ], found


def test_strict_makes_link_warnings_errors_but_not_notes(tmp_path, monkeypatch, capsys):
    root = links_project(tmp_path)
    monkeypatch.chdir(root)
    assert main(["build", "--strict", "--format", "html", "source/links.md"]) == 1
    err = capsys.readouterr().err
    assert "source/links.md:10:" in err and " error P120: " in err and " error P122: " in err
    assert " note P123: " in err and " error P123" not in err
    clean = LINKS.replace(LINKS.splitlines()[9], "").replace("[nowhere](#missing)", "nowhere")
    (root / "source" / "links.md").write_text(clean, encoding="utf-8")
    assert main(["build", "--strict", "--format", "html", "source/links.md"]) == 0, capsys.readouterr().err


# --- attribute lists ----------------------------------------------------------------------------------------------


def test_attributes_outside_the_allowlist_are_dropped_with_a_warning(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "attrs.md").write_text(
        "---\ntitle: Attributes\nauthor: A\n---\n\n"
        'A paragraph.\n{: foo="bar" .kept }\n\n'
        'Another.\n{: onclick="alert(1)" style="background: url(http://evil.example/x.png)" #named }\n',
        encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["html", "epub"])
    assert manifest.ok
    found = sorted((d.line, d.code, d.severity, re.search(r"attribute '([^']+)'", d.message).group(1)) for d in manifest.diagnostics)
    assert found == [(7, "P121", "warning", "foo"), (10, "P121", "warning", "onclick"), (10, "P121", "warning", "style")]
    page = (tmp_path / "dist" / "attrs.html").read_text(encoding="utf-8")
    assert '<p class="kept">A paragraph.</p>' in page and '<p id="named">Another.</p>' in page
    assert "foo=" not in page and "onclick" not in page and "evil.example" not in page


@pytest.mark.parametrize("value", ['"example.org"', '"ftp://example.org/"', "1", '"https://exa mple.org/"'])
def test_a_bad_base_url_is_p133(tmp_path, value):
    from publish.config import load_config
    from publish.errors import PublishError

    (tmp_path / "pyproject.toml").write_text(f"[tool.publish]\nbase_url = {value}\n", encoding="utf-8")
    with pytest.raises(PublishError) as caught:
        load_config(tmp_path)
    [d] = caught.value.diagnostics
    assert d.code == "P133" and "base_url" in d.message
