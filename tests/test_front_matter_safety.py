"""Front-matter values are inline text under the body's rules: no script, remote file or event handler in any
edition, no block (heading, list, quote, code) made of what was typed, diagnostics at the value's own line."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import which_or_skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.errors import PublishError
from publish.markup import to_document
from publish.pipeline import build
from publish.sources import load

XHTML = "{http://www.w3.org/1999/xhtml}"
DC = "{http://purl.org/dc/elements/1.1/}"
HOSTILE = """---
title: "#MeToo in Kazakhstan: [click](javascript:alert(document.domain))"
subtitle: '*Hi*{: onclick="alert(1)" }'
author: ["*Jane* Doe", "<b>Bob</b>"]
translator: "[Ann](data:text/html,<script>alert(2)</script>)"
summary: "1. May - see [the report](https://example.org/report)"
caption: "> Quoted | a | b"
photo_credit: "- Reuters"
publisher: "[Home](#top)"
license: |
  CC BY 4.0

      indented
  ## not a heading
---

Text.
"""
TITLE = "#MeToo in Kazakhstan: click"
SUMMARY = "1. May\u00a0– see the report"  # the spaced hyphen set as a dash, as in the body
LICENSE = "CC BY 4.0 indented ## not a heading"  # the YAML block joined into one line
# (line, code, key) of each warning: the line of the value's key
WARNINGS = {(2, "P120", "title"), (3, "P121", "subtitle"), (5, "P120", "translator"), (9, "P120", "publisher")}
BLOCKS = {"h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "table", "hr", "img"}  # h2: the colophon's
INLINE = {"a", "em", "strong", "code"}
HOLDERS = {"title", "subtitle", "author", "translator", "publisher", "standfirst", "caption", "credit", "work"}
UNSAFE = re.compile(rb"javascript:|data:text|onclick|alert\(|127\.0\.0\.1")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, object]:
    project = tmp_path_factory.mktemp("front-matter")
    (project / "source").mkdir()
    (project / "source" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    manifest = build(["source"], out=project / "dist", formats=["pdf", "epub", "html"], root=project)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return project / "dist", manifest


def write(tmp_path: Path, head: str, body: str = "Text.\n") -> Path:
    path = tmp_path / "source" / "values.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: T\nauthor: A\n{head}---\n\n{body}", encoding="utf-8")  # head starts on line 4
    return path


def document(path: Path):
    return to_document(load(path, "source/values.md"))


def tags_in(fragment: str) -> set[str]:
    return {e.tag for e in etree.fromstring(f"<div>{fragment}</div>").iter()} - {"div"}


def blocks_from_values(page) -> list[str]:
    """What is not an inline element in the elements that hold values, and the blocks anywhere in the page."""
    tags = [e.tag.removeprefix(XHTML) for e in page.iter() if isinstance(e.tag, str)]
    inside = [e.tag.removeprefix(XHTML) for holder in page.iter() if holder.get("class") in HOLDERS
              for e in holder.iterdescendants() if isinstance(e.tag, str)]
    return [t for t in tags if t in BLOCKS] + [t for t in inside if t not in INLINE | {"cite", "br"}]


# --- every edition -------------------------------------------------------------------------------------------


def test_each_problem_is_a_warning_at_the_line_of_its_key(hostile):
    _, manifest = hostile
    found = {(d.line, d.code, d.message.split(":")[0]) for d in manifest.diagnostics if d.code.startswith("P12")}
    assert found == WARNINGS, [str(d) for d in manifest.diagnostics]
    assert all(d.severity == "warning" and d.path.endswith("hostile.md") for d in manifest.diagnostics
               if d.code.startswith("P12"))


def test_web_edition_has_no_script_handler_or_block_from_a_value(hostile):
    out, _ = hostile
    data = (out / "hostile.html").read_bytes()
    assert not UNSAFE.search(data), UNSAFE.search(data)
    page = etree.fromstring(data)
    assert blocks_from_values(page) == []
    assert not [name for e in page.iter() for name in e.attrib if name.lower().startswith("on")]
    assert page.findtext(f"{XHTML}head/{XHTML}title") == TITLE
    [h1] = page.iter(f"{XHTML}h1")
    assert "".join(h1.itertext()) == TITLE and not len(h1)
    text = {e.get("class"): "".join(e.itertext()) for e in page.iter(f"{XHTML}p") if e.get("class")}
    assert text["subtitle"] == "Hi" and text["author"] == "Jane Doe and <b>Bob</b>"
    assert text["standfirst"] == SUMMARY and text["caption"] == "> Quoted | a | b"
    assert text["credit"] == "Photo: - Reuters" and text["publisher"] == "Home"
    assert [a.get("href") for a in page.iter(f"{XHTML}a") if a.get("href", "").startswith("http")][0] == \
        "https://example.org/report"


def test_epub_is_valid_and_its_metadata_is_text(hostile, epubcheck, tmp_path):
    out, _ = hostile
    report = tmp_path / "report.json"
    epubcheck.run(out / "hostile.epub", report)
    assert json.loads(report.read_text())["messages"] == []
    with zipfile.ZipFile(out / "hostile.epub") as z:
        for name in z.namelist():
            assert not UNSAFE.search(z.read(name)), name
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        titlepage = etree.fromstring(z.read("EPUB/titlepage.xhtml"))
        colophon = etree.fromstring(z.read("EPUB/colophon.xhtml"))
    assert opf.findtext(f".//{DC}title") == TITLE
    assert [e.text for e in opf.iter(f"{DC}creator")] == ["Jane Doe", "<b>Bob</b>"]
    assert opf.findtext(f".//{DC}contributor") == "Ann"
    assert opf.findtext(f".//{DC}description") == SUMMARY and opf.findtext(f".//{DC}rights") == LICENSE
    assert opf.findtext(f".//{DC}publisher") == "Home"
    [h1] = titlepage.iter(f"{XHTML}h1")
    assert "".join(h1.itertext()) == TITLE and not len(h1)
    assert blocks_from_values(titlepage) == blocks_from_values(colophon) == []
    assert LICENSE in "".join(colophon.itertext())


def test_pdf_shows_each_value_as_typed_and_its_metadata_is_text(hostile):
    from pypdf import PdfReader

    out, _ = hostile
    pdftotext = which_or_skip("pdftotext")
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(out / "hostile.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for shown in (TITLE, "Photo: - Reuters", "> Quoted | a | b", "1. May", "Translation by Ann", "Jane Doe and <b>Bob</b>",
                  LICENSE):
        assert shown in flat, shown
    reader = PdfReader(out / "hostile.pdf")
    info = reader.metadata
    assert (info.title, info.author, info.subject) == (TITLE, "Jane Doe and <b>Bob</b>", SUMMARY)
    uris = [str(a.get_object()["/A"].get("/URI")) for page in reader.pages for a in page.get("/Annots", [])
            if "/A" in a.get_object()]
    assert uris and not [u for u in uris if not u.startswith("https://")], uris
    assert not UNSAFE.search((out / "hostile.pdf").read_bytes())


# --- what a value may hold ----------------------------------------------------------------------------------


@pytest.mark.parametrize("head, line", [
    ('summary: "![t](http://127.0.0.1:8/t.png)"\n', 4),
    ('caption: Shot\nphoto_credit: "![x](pic.png) Reuters"\n', 5),
    ("subtitle: |\n  One\n\n  ![a](/etc/hostname)\n", 4),
])
def test_an_image_in_a_value_fails_the_source_at_its_line(tmp_path, head, line):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(PublishError) as caught:
        document(write(tmp_path, head))
    [d] = caught.value.diagnostics
    assert (d.code, d.line, d.severity) == ("P105", line, "error") and "front-matter value" in d.message


@pytest.mark.parametrize("value, html, text", [
    ("#MeToo in Kazakhstan", "#MeToo in Kazakhstan", None),
    ("- Reuters", "- Reuters", None),
    ("1. May", "1. May", None),
    ("> not a quote", "&gt; not a quote", "> not a quote"),
    ("* not | a list |", "* not | a list |", None),
    ("    Indented", "Indented", None),
    ("Rule\n\n---\n\nafter", "Rule — after", None),  # "---" is an em dash to smarty, as in the body
    ("Title\n=====", "Title =====", None),
    ("[ref]: https://example.org/", "[ref]: https://example.org/", None),
    ("<b>Bold</b> & <i>it</i>", "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;it&lt;/i&gt;", "<b>Bold</b> & <i>it</i>"),
    ("a\u00a0b  *c*", "a\u00a0b <em>c</em>", "a\u00a0b c"),
    ('"Quoted" `code`', "“Quoted” <code>code</code>", "“Quoted” code"),
])
def test_a_value_reads_as_typed_on_one_line(tmp_path, value, html, text):
    made = document(write(tmp_path, f"subtitle: {json.dumps(value, ensure_ascii=False)}\n"))
    assert made.inline["subtitle"] == html
    assert made.plain["subtitle"] == (text if text is not None else html)
    assert not [d for d in made.warnings if d.code != "P124"]


def test_a_spaced_hyphen_in_a_value_is_the_languages_dash_as_in_the_body(tmp_path):
    made = document(write(tmp_path, 'lang: ru\nphoto_credit: "- Reuters"\ncaption: "Рабочие - за"\n'))
    assert made.plain["photo_credit"] == "—\u00a0Reuters" and made.plain["caption"] == "Рабочие\u00a0— за"


def test_links_in_a_value_follow_the_link_policy(tmp_path):
    head = ('source_url: https://example.org/news/item\n'
            'summary: "[web](https://example.org/a) [mail](mailto:x@example.org) [up](../about/) <https://example.org/b>"\n'
            'caption: "[here](#text) [js](JavaScript:alert(1)) [ent](&#106;avascript:alert(1)) [f](file:///etc/passwd)"\n')
    made = document(write(tmp_path, head))
    hrefs = re.findall(r'href="([^"]*)"', made.inline["summary"])
    assert hrefs == ["https://example.org/a", "mailto:x@example.org", "https://example.org/about/", "https://example.org/b"]
    assert made.plain["caption"] == "here js ent f" and "href" not in made.inline["caption"]
    assert sorted((d.line, d.code) for d in made.warnings) == [(6, "P120")] * 4
    assert any("cannot link into the text" in d.message for d in made.warnings)


def test_attribute_lists_in_a_value_set_only_lang_class_dir_and_title(tmp_path):
    head = "subtitle: '*Hola*{: lang=es .x } y *bye*{: id=bye style=\"color:red\" onmouseover=alert(1) }'\n"
    made = document(write(tmp_path, head))
    assert made.inline["subtitle"] == '<em class="x" lang="es">Hola</em> y <em>bye</em>'
    assert sorted((d.line, d.code, d.message.split("'")[1]) for d in made.warnings) == \
        [(4, "P121", "id"), (4, "P121", "onmouseover"), (4, "P121", "style")]


@pytest.mark.parametrize("head", ['title: "[](https://example.org/)"\n', 'author: ["B", "[](#)"]\n', "subtitle: '` `'\n"])
def test_a_value_with_no_words_once_read_is_p104_at_its_line(tmp_path, head):
    path = tmp_path / "source" / "values.md"
    path.parent.mkdir()
    rest = "".join(f"{key}: {key[0].upper()}\n" for key in ("title", "author") if not head.startswith(key))
    path.write_text(f"---\n{head}{rest}---\n\nText.\n", encoding="utf-8")  # the value on line 2
    with pytest.raises(PublishError) as caught:
        document(path)
    assert [(d.code, d.line) for d in caught.value.diagnostics] == [("P104", 2)]


def test_emphasis_nested_thousands_deep_in_a_value_is_p111_at_its_line(tmp_path):
    with pytest.raises(PublishError) as caught:
        document(write(tmp_path, "subtitle: '" + "*" * 3000 + "a" + "*" * 3000 + "'\n"))
    assert [(d.code, d.line) for d in caught.value.diagnostics] == [("P111", 4)]


SNIPPETS = st.sampled_from(["# ", "## ", "> ", "- ", "1. ", "* ", "*", "**", "_", "`", "```", "\n", "\n\n", "    ",
                            "[", "](", ")", "![a](", "[x]: ", "<b>", "<div>", "<script>", "&amp;", "&", "|", "---",
                            "===", "{: #id onclick=x }", "javascript:alert(1)", "https://example.org", "#top", "\u00a0"])
VALUE = st.lists(st.one_of(st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), max_size=8), SNIPPETS),
                 min_size=1, max_size=12).map("".join).filter(str.strip)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                               HealthCheck.function_scoped_fixture])
@given(value=VALUE)
def test_any_markdown_in_a_value_stays_inline_text(tmp_path, value):
    try:
        made = document(write(tmp_path, f"summary: {json.dumps(value, ensure_ascii=False)}\n"))
    except PublishError as exc:  # an image, or no words left: refused at the value's line
        assert {(d.code, d.line) for d in exc.diagnostics} <= {("P104", 4), ("P105", 4), ("P111", 4)}, exc
        return
    elements = list(etree.fromstring(f"<div>{made.inline['summary']}</div>").iterdescendants())
    assert {e.tag for e in elements} <= INLINE, made.inline["summary"]
    assert {name for e in elements for name in e.attrib} <= {"href", "class", "lang", "dir", "title"}
    assert all(e.get("href", "https://").startswith(("https://", "http://", "mailto:")) for e in elements)
    assert "\n" not in made.plain["summary"]
