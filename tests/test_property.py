"""Property: any body text and any front-matter values of the right keys give valid outputs or a clean PublishError.

Never another exception. The stages are called directly (not through build(), which would turn a crash into
a P900 diagnostic), with the real renderers. Examples are bounded so that CI stays fast: the web and EPUB
editions for most, the PDF for a few.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.config import load_config
from publish.errors import PublishError
from publish.markup import to_document
from publish.render.epub import render_epub
from publish.render.html import render_html
from publish.render.pdf import render_pdf
from publish.render.printed import PrintEdition
from publish.sources import ALLOWED, load

SCALARS = st.one_of(
    st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none(),
    st.dates().map(str), st.sampled_from(["en", "ru", "kk", "es-419", "x", "images/none.png", "https://example.org/"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))
ANY_FRONT = st.fixed_dictionaries({"title": VALUES, "author": VALUES},  # the right keys, any values at all
                                  optional={key: VALUES for key in ALLOWED if key not in ("title", "author")})
# Any characters a writer can type or paste (RTL, combining marks, emoji, unassigned code points); control
# characters come through VALUES, in the test of any values at all.
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
NAMES = st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3))
PLAUSIBLE = {  # the values a writer means to give, with any text in them: most build, so the body gets exercised
    "subtitle": TEXT, "summary": TEXT, "caption": TEXT, "photo_credit": TEXT, "publisher": TEXT, "license": TEXT,
    "image_alt": TEXT, "identifier": TEXT, "translator": NAMES, "keywords": NAMES,
    "date": st.dates().flatmap(lambda d: st.sampled_from([d.isoformat(), d.isoformat()[:7], d.isoformat()[:4]])),
    "lang": st.sampled_from(["en", "es", "ru", "kk", "de", "tr", "ar", "zh-Hans", "kk-Cyrl", "fr-CA"]),
    "source_url": st.from_regex(r"https?://[a-z]{1,8}\.org/[^\s<>\"]{0,12}", fullmatch=True),
}
FRONT = st.fixed_dictionaries({"title": TEXT, "author": NAMES}, optional=PLAUSIBLE)
MARKDOWN = st.sampled_from(["# ", "## ", "> ", "- ", "1. ", "*", "**", "_", "`", "```\n", "[", "](", ")", "![a](", "[^1]",
                            "[^1]: ", "<div>", "</div>", "<img src=x>", "<script>", "&amp;", "&", "|", "---", "\n", "\n\n",
                            "{: #id .c }", "\t", "\r\n", "    ", "<!--", "-->", "<![CDATA[", "\x00", "\u00ad", "\ufeff",
                            "<table><tr><td>", "| a | b |\n|---|---|\n| 1 | 2 |\n", "Term\n: Definition\n", "\u202e", "😀"])
BODY = st.lists(st.one_of(st.text(max_size=20), MARKDOWN), max_size=40).map("".join)
RAW_FRONT = st.text(max_size=60)  # front matter that is not even YAML


def source_file(folder: Path, front: dict | str, body: str) -> Path:
    header = front if isinstance(front, str) else yaml.safe_dump(front, allow_unicode=True)
    path = folder / "source" / "pamphlet.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{header}\n---\n{body}", encoding="utf-8")
    return path


def check_html(data: bytes) -> None:
    page = lxml.html.document_fromstring(data)
    assert page.tag == "html" and page.find("body") is not None


def check_epub(data: bytes) -> None:
    """A zip with the stored mimetype first, and every XML entry well-formed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and z.read("mimetype") == b"application/epub+zip"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert z.testzip() is None
        for info in infos:
            if info.filename.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                etree.fromstring(z.read(info.filename))


def outputs(front: dict | str, body: str, raw_html: str, formats: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(folder)
        try:
            document = to_document(load(source_file(Path(folder), front, body), "source/pamphlet.md"), raw_html)
            layout = PrintEdition(config, document)
            made = {f: {"html": render_html, "epub": render_epub, "pdf": render_pdf}[f](config, document, layout) for f in formats}
        except PublishError as exc:
            assert exc.diagnostics and all(d.path == "source/pamphlet.md" and d.code[0] == "P" for d in exc.diagnostics)
            event(f"refused: {exc.diagnostics[0].code}")
            return
    event("built")
    for fmt, output in made.items():
        assert output.data
        if fmt == "html":
            check_html(output.data)
        elif fmt == "epub":
            check_epub(output.data)
        else:
            from pypdf import PdfReader

            assert len(PdfReader(io.BytesIO(output.data)).pages) == output.pages >= 1


FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def fixed_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")


@settings(FAST, max_examples=15)
@given(front=FRONT, body=BODY, raw_html=st.sampled_from(["sanitise", "trusted"]))
def test_any_body_and_front_matter_text_give_an_epub_and_a_web_page_or_a_clean_error(front, body, raw_html):
    outputs(front, body, raw_html, ("html", "epub"))  # the EPUB lays out the print edition too (page list, cover)


@FAST
@given(front=st.one_of(ANY_FRONT, RAW_FRONT), body=st.text(max_size=200))
def test_any_front_matter_values_or_any_text_at_all_give_a_web_page_or_a_clean_error(front, body):
    outputs(front, body, "sanitise", ("html",))


@settings(FAST, max_examples=5)
@given(front=FRONT, body=BODY)
def test_any_body_and_front_matter_text_give_a_pdf_or_a_clean_error(front, body):
    outputs(front, body, "sanitise", ("pdf",))
