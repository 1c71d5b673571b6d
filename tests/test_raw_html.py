"""Raw HTML in the Markdown body: sanitised to an allowlist by default, kept with raw_html = "trusted"."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from publish import build
from publish.config import load_config
from publish.errors import PublishError
from publish.markup import to_document
from publish.pipeline import check
from publish.sources import load

HEAD = "---\ntitle: Raw\nauthor: Someone\n---\n"  # lines 1-4; the body starts on line 5
XHTML = "http://www.w3.org/1999/xhtml"


def png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir()
    return tmp_path


def write(project: Path, body: str) -> Path:
    path = project / "source" / "raw.md"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def convert(project: Path, body: str, raw_html: str = "sanitise"):
    return to_document(load(write(project, body), "source/raw.md"), raw_html)


def tree(body: str) -> etree._Element:
    """The body as the EPUB reads it: XHTML, parsed by an XML parser."""
    return etree.fromstring(f'<div xmlns="{XHTML}">{body}</div>')


def refused(project: Path, body: str, raw_html: str = "sanitise") -> list:
    with pytest.raises(PublishError) as caught:
        convert(project, body, raw_html)
    return list(caught.value.diagnostics)


def elements(body: str, name: str) -> list[etree._Element]:
    return tree(body).findall(f".//{{{XHTML}}}{name}")


# --- what the sanitiser keeps ---------------------------------------------------------------------


def test_a_div_with_class_and_id_survives(project):
    body = convert(project, '\nIntro.\n\n<div class="note" id="x">\nA note written in HTML, with no Markdown in it.\n</div>\n\nAfter.\n').body
    [div] = elements(body, "div")
    assert (div.get("class"), div.get("id")) == ("note", "x")
    assert "A note written in HTML" in div.text


def test_a_span_with_lang_survives(project):
    body = convert(project, '\nThey said <span lang="ru">да</span> at once.\n').body
    [span] = elements(body, "span")
    assert (span.get("lang"), span.text) == ("ru", "да")


def test_a_table_cell_keeps_its_alignment_and_nothing_else_of_its_style(project):
    body = convert(project, '\n<table><tr><td style="text-align: right; color: red">1</td>'
                            '<td style="background:url(https://evil.example/t.png)">2</td></tr></table>\n').body
    cells = elements(body, "td")
    assert [c.get("style") for c in cells] == ["text-align:right", None]
    assert "evil.example" not in body


def test_markdown_table_alignment_survives(project):
    body = convert(project, "\n| a | b |\n|:--|--:|\n| 1 | 2 |\n").body
    assert [c.get("style") for c in elements(body, "td")] == ["text-align:left", "text-align:right"]


def test_footnotes_keep_their_markup(project):
    body = convert(project, "\nText.[^1]\n\n[^1]: The note.\n").body
    [ref] = elements(body, "sup")
    assert ref.get("id") == "fnref-1" and ref[0].get("class") == "footnote-ref" and ref[0].get("href") == "#fn-1"
    [note] = [d for d in elements(body, "div") if d.get("class") == "footnote"]
    [back] = [a for a in note.iter(f"{{{XHTML}}}a") if a.get("class") == "footnote-backref"]
    assert back.get("href") == "#fnref-1" and back.get("title")
    assert note.find(f".//{{{XHTML}}}li").get("id") == "fn-1"


def test_a_raw_image_inside_the_folder_is_an_asset_and_a_figure(project):
    (project / "source" / "dot.png").write_bytes(png())
    document = convert(project, '\n<img src="dot.png" alt="A dot" title="The caption">\n')
    assert [a.href for a in document.assets] == ["dot.png"]
    [figure] = elements(document.body, "figure")
    assert figure.find(f"{{{XHTML}}}figcaption").text == "The caption"


def test_links_between_raw_html_and_markdown(project):
    body = convert(project, '\n<div id="box">Box</div>\n\nSee [the box](#box), or <a href="#top">the top</a>.\n\n'
                            '## Top {#top}\n').body
    assert [a.get("href") for a in elements(body, "a")] == ["#box", "#top"]


# --- what the sanitiser drops ----------------------------------------------------------------------


def test_a_script_disappears_with_its_content(project):
    body = convert(project, "\nBefore <script>alert(1)</script> after.\n\n<script>\nalert(2)\n</script>\n").body
    assert "script" not in body and "alert" not in body
    assert "Before  after." in body


def test_event_handlers_disappear(project):
    body = convert(project, '\nA <b onclick="alert(1)">bold</b> <span onmouseover="alert(2)" class="x">move</span>.\n').body
    assert "alert" not in body and "onclick" not in body and "onmouseover" not in body
    assert [s.get("class") for s in elements(body, "span")] == ["x"]
    assert elements(body, "b")[0].text == "bold"


def test_a_javascript_link_loses_its_href_and_warns(project):
    document = convert(project, '\nClick <a href="javascript:alert(1)">here</a> or <a href="data:text/html,x">there</a>.\n')
    assert "javascript" not in document.body and "data:" not in document.body
    assert elements(document.body, "a") == [] and "<p>Click here or there.</p>" in document.body
    assert [(d.line, d.code, d.severity) for d in document.warnings] == [(6, "P120", "warning")] * 2


@pytest.mark.parametrize(
    "snippet, gone",
    [
        ('<iframe src="https://evil.example/"></iframe>', "iframe"),
        ('<form action="https://evil.example/"><input name="q"><button>Send evil</button></form>', "form"),
        ('<object data="https://evil.example/x.swf"><embed src="https://evil.example/x.swf">evil fallback</object>', "object"),
        ('<style>p { background: url(https://evil.example/t.png) }</style>', "style"),
    ],
)
def test_embedded_pages_forms_and_plugins_disappear(project, snippet, gone):
    body = convert(project, f"\nBefore.\n\n{snippet}\n\nAfter.\n").body
    assert gone not in body and "evil" not in body
    assert "Before." in body and "After." in body


def test_a_style_that_fetches_disappears(project):
    body = convert(project, '\n<p style="background:url(http://evil.example/t.png)">Styled.</p>\n').body
    assert "evil.example" not in body and "style" not in body
    assert elements(body, "p")[0].text == "Styled."


def test_comments_and_foreign_prefixes_do_not_reach_the_xhtml(project):
    body = convert(project, "\n<p>Pasted<o:p></o:p> from a word processor<!-- a -- comment -->.</p>\n").body
    assert "<!--" not in body and "o:p" not in body and "xmlns" not in body
    assert elements(body, "p")[0].text == "Pasted from a word processor."


# --- raw images and links are checked like Markdown ones -------------------------------------------


@pytest.mark.parametrize("src", ["../../etc/passwd", "/etc/hostname", "https://evil.example/x.png",
                                 "file:///etc/hostname", "data:image/png;base64,iVBORw0KGgo="])
def test_a_raw_image_outside_the_folder_is_p105_naming_the_line(project, src):
    (project / "outside.png").write_bytes(png())
    [d] = refused(project, f'\nIntro.\n\nA picture: <img src="{src}" alt="x">\n')  # line 8
    assert (d.path, d.line, d.col, d.code) == ("source/raw.md", 8, 22, "P105")
    assert src in d.message


def test_a_raw_link_to_a_missing_id_is_a_p122_warning_and_loses_its_href(project):
    document = convert(project, '\nIntro.\n\nSee <a href="#nowhere">below</a>.\n')
    [d] = document.warnings
    assert (d.line, d.col, d.code, d.severity) == (8, 14, "P122", "warning")
    assert "nowhere" in d.message and "<p>See below.</p>" in document.body


def test_a_raw_relative_link_without_source_url_is_a_p120_warning(project):
    document = convert(project, '\nSee <a href="other.html">there</a>.\n')
    [d] = document.warnings
    assert (d.line, d.code, d.severity) == (6, "P120", "warning")
    assert "<p>See there.</p>" in document.body


def test_check_reports_raw_html_problems(project):
    write(project, '\nSee <a href="#nowhere">below</a>.\n')
    problems = check(["source/raw.md"], root=project, out=project / "dist")
    assert ("source/raw.md", 6, "P122") in [(d.path, d.line, d.code) for d in problems]


# --- the XHTML the EPUB embeds --------------------------------------------------------------------

MESSY = """
<div class="note" lang="fr">
<p>Camarades,<br>nous sommes&nbsp;à vos côtés &mdash; <b>unclosed bold
<p>Second paragraph &copy; 2022 with <img src="dot.png" alt="dot"> and <span></span> and <a id="anchor"></a>.
</div>

Markdown with a <span lang="ru" class="x">word</span> and &hellip; entities.

<table><tr><th style="text-align:center">Head<td>cell
</table>
"""


def test_the_body_is_well_formed_xhtml_with_no_named_entities(project):
    (project / "source" / "dot.png").write_bytes(png())
    body = convert(project, MESSY).body
    root = tree(body)  # raises if it is not well-formed
    assert "&nbsp;" not in body and "&mdash;" not in body and "&copy;" not in body and "xmlns" not in body
    assert "\u00a0à vos côtés — " in "".join(root.itertext())
    assert "<span></span>" in body and "<span/>" not in body  # an HTML parser must read the same tree


def test_an_epub_with_raw_html_is_well_formed_xhtml(project):
    (project / "source" / "dot.png").write_bytes(png())
    write(project, MESSY)
    manifest = build(["source/raw.md"], out=project / "dist", formats=["epub"], root=project)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    with zipfile.ZipFile(project / "dist" / "raw.epub") as epub:
        pages = [n for n in epub.namelist() if n.endswith(".xhtml")]
        assert pages
        texts = []
        for name in pages:
            root = etree.fromstring(epub.read(name))  # raises on anything that is not well-formed XML
            texts.append("".join(root.itertext()))
        assert any("Camarades," in t for t in texts)


# --- raw_html = "trusted" -------------------------------------------------------------------------


def trusted(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.publish]\nraw_html = "trusted"\n', encoding="utf-8")


def test_trusted_raw_html_keeps_styles(project):
    trusted(project)
    assert load_config(project).raw_html == "trusted"
    write(project, '\nA <span style="color:red">red</span> word.\n')
    manifest = build(["source/raw.md"], out=project / "dist", formats=["html"], root=project)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    page = (project / "dist" / "raw.html").read_text(encoding="utf-8")
    assert '<span style="color:red">red</span>' in page


def test_trusted_raw_html_is_still_xhtml_and_still_checked(project):
    body = convert(project, '\n<p>Line<br>break&nbsp;<span style="color:red">red</span><o:p></o:p></p>\n', "trusted").body
    assert [s.get("style") for s in elements(body, "span")] == ["color:red"]
    [d] = refused(project, '\n<img src="../../etc/passwd">\n', "trusted")
    assert (d.line, d.code) == (6, "P105")
    document = convert(project, '\n<a href="javascript:alert(1)">x</a>\n', "trusted")
    assert [(d.line, d.code, d.severity) for d in document.warnings] == [(6, "P120", "warning")]
    assert "javascript" not in document.body and "<a" not in document.body


def test_front_matter_html_stays_text_in_trusted_mode(project):
    path = project / "source" / "raw.md"
    path.write_text("---\ntitle: \"<b>Bold</b> title\"\nauthor: Someone\n---\n\nText.\n", encoding="utf-8")
    document = to_document(load(path, "source/raw.md"), "trusted")
    assert document.inline["title"] == "&lt;b&gt;Bold&lt;/b&gt; title"


@pytest.mark.parametrize("value", ['"off"', "true", '"Trusted"'])
def test_an_unknown_raw_html_setting_is_p133(project, value):
    (project / "pyproject.toml").write_text(f"[tool.publish]\nraw_html = {value}\n", encoding="utf-8")
    with pytest.raises(PublishError) as caught:
        load_config(project)
    [d] = caught.value.diagnostics
    assert d.code == "P133" and "raw_html" in d.message


def converted(tmp_path: Path, body: str):
    from publish.markup import to_document
    from publish.sources import load

    path = tmp_path / "converted.md"
    path.write_text(f"---\ntitle: T\nauthor: A\nlang: ru\n---\n\n{body}\n", encoding="utf-8")
    return to_document(load(path, "source/converted.md"))


def test_markdown_between_a_block_tag_and_a_blank_line_is_read_as_markdown(tmp_path):
    """What pandoc writes from HTML: <div> on its own line, a blank line, then Markdown, as CommonMark reads it."""
    body = converted(tmp_path, '<div class="chapter">\n\n<div>\n\n# Глава 1\n\nТекст *важный*.\n\n</div>\n\n</div>\n\n'
                               '<div class="raw">\n# not a heading\n</div>').body
    assert "<h2" in body and "<em>важный</em>" in body and "# Глава" not in body
    assert "# not a heading" in body  # a tag followed by more HTML on the next line stays raw, as before


def test_a_link_whose_words_start_with_a_caret_is_a_link_not_a_note_call(tmp_path):
    """Converters write a note number as the link [^(\\[1\\])](#ftn1): Python-Markdown took "[^(\\[1\\]" for the call of a
    note, which now fails a source (P112); it is a link."""
    document = converted(tmp_path, "Текст.[^(\\[1\\])](#ftn1)\n\n<div id=\"ftn1\">\n\n1. Сноска.\n\n</div>")
    assert not [d for d in document.warnings if d.code == "P112"]
    assert '<a href="#ftn1">^([1])</a>' in document.body and "[^(" not in document.body
    with pytest.raises(PublishError) as failed:
        converted(tmp_path, "Мало[^cinco] текста.")
    assert [d.code for d in failed.value.diagnostics] == ["P112"]


def test_a_div_of_the_texts_own_called_footnote_is_kept_in_every_edition(tmp_path):
    """DocBook, converted, writes its notes as <div class="footnote" id="ftn1">: only Python-Markdown's list of notes
    is taken apart; this div, and the link to it, stay."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "docbook.md").write_text(
        "---\ntitle: T\nauthor: A\nlang: ru\n---\n\nТекст.[^(\\[1\\])](#ftn1) И нота[^a].\n\n"
        '<div id="ftn1" class="footnote">\n\n[^(\\[1\\])](#idm1) Сноска из DocBook.\n\n</div>\n\n[^a]: Нота Markdown.\n',
        encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["epub", "html", "pdf"]).ok
    with zipfile.ZipFile(tmp_path / "dist" / "docbook.epub") as z:
        text = z.read("EPUB/text.xhtml").decode()
    page = (tmp_path / "dist" / "docbook.html").read_text(encoding="utf-8")
    for edition in (text, page):
        assert "Сноска из DocBook." in edition and 'id="ftn1"' in edition and 'href="#ftn1"' in edition
        assert "Нота Markdown." in edition  # the Markdown note is still made a note
