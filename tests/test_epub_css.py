"""The EPUB's stylesheet as a browser engine computes it (Chromium, the engine of many reading apps): the title page
and colophon keep their left alignment, the text is justified only where it is hyphenated, links are seen."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import which_or_skip

from publish import build

# Runs in the XHTML: each element's computed alignment, underline and hyphenation, written into the DOM.
PROBE = """<script>//<![CDATA[
var found = [];
document.querySelectorAll('p, li, a, h1').forEach(function (e) {
  var s = getComputedStyle(e);
  found.push([e.tagName.toLowerCase(), e.getAttribute('class') || '', e.getAttribute('role') || '', e.textContent.trim(),
              s.textAlign, s.textDecorationLine, s.hyphens]);
});
document.body.setAttribute('data-computed', JSON.stringify(found));
//]]></script>"""
TEXT = "---\ntitle: Crónica de cuarenta días\nauthor: Ana\nlang: {lang}\ndate: 2024-03-15\n---\n\n" \
       "Las obreras se quedaron en la plaza. Un [enlace](https://example.org/x) y una nota[^uno].\n\n[^uno]: La nota.\n"


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """lang -> file -> [(tag, class, role, text, text-align, text-decoration-line, hyphens)] in Chromium."""
    chromium = which_or_skip("chromium", "chromium")
    root = tmp_path_factory.mktemp("epub-css")
    (root / "source").mkdir()
    for lang in ("es", "kk"):
        (root / "source" / f"{lang}.md").write_text(TEXT.format(lang=lang), encoding="utf-8")
    assert build(out=root / "dist", root=root, formats=["epub"]).ok
    found: dict[str, dict[str, list]] = {}
    for lang in ("es", "kk"):
        unpacked = root / lang
        zipfile.ZipFile(root / "dist" / f"{lang}.epub").extractall(unpacked)
        for name in ("titlepage.xhtml", "text.xhtml", "colophon.xhtml"):
            page = unpacked / "EPUB" / name
            page.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
            dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--dump-dom", page.as_uri()],
                                 capture_output=True, text=True, timeout=120).stdout
            data = re.search(r'data-computed="([^"]*)"', dom)
            assert data, f"Chromium gave no computed styles for {name}: {dom[:500]}"
            found.setdefault(lang, {})[name] = json.loads(data.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return found


def test_title_page_and_colophon_are_not_justified(computed):
    for name in ("titlepage.xhtml", "colophon.xhtml"):
        aligned = {text: align for tag, _, _, text, align, _, _ in computed["es"][name] if tag in ("p", "h1", "li")}
        assert aligned and set(aligned.values()) <= {"left", "start"}, (name, aligned)


def test_text_is_justified_only_where_it_is_hyphenated(computed):
    [(_, _, _, _, align, _, hyphens)] = [e for e in computed["es"]["text.xhtml"] if e[0] == "p" and e[3].startswith("Las obreras")]
    assert (align, hyphens) == ("justify", "auto")
    [(_, _, _, _, align, _, _)] = [e for e in computed["kk"]["text.xhtml"] if e[0] == "p" and e[3].startswith("Las obreras")]
    assert align in ("left", "start")  # Kazakh: no hyphenation dictionary, so ragged-right as in print


def test_links_are_seen_and_note_calls_are_not_underlined(computed):
    links = {(role, text): line for tag, _, role, text, _, line, _ in computed["es"]["text.xhtml"] if tag == "a"}
    assert links[("", "enlace")] == "underline"
    assert links[("doc-noteref", "1")] == "none"


# List numbers. Calibre's ebook-convert, which Kindle readers turn EPUBs into AZW3 with, drops ::marker rules, so the
# numbers take their accent colour, face and weight from the item itself and the words are set back in the text's
# (styles/base.css, markup.py). Each test reads every item's number (::marker) and first words as Chromium computes them.
LISTS = ("---\ntitle: Demands\nauthor: Ana\nlang: en\n---\n\nThe workers agreed on the following.\n\n"
         "1. A wage rise of **twenty** per cent.\n2. The organisers back:\n    - at the pits;\n    - at the mill.\n"
         "3. Safe shafts.\n\nThey asked for:\n\n- an end to fines;\n- a public hearing.\n\nA loose list:\n\n"
         "1. First paragraph of the item.\n\n    Its second paragraph.\n\n2. The second item.\n\n"
         '<ol start="7"><li>Seven, from HTML.</li><li>Eight.</li></ol>\n\nNothing more was said.\n')
MARKER_PROBE = """<script>//<![CDATA[
var found = [];
document.querySelectorAll('li').forEach(function (li) {
  var words = document.createTreeWalker(li, NodeFilter.SHOW_TEXT, {acceptNode: function (n) {
    return /\\S/.test(n.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP; }}).nextNode();
  var m = getComputedStyle(li, '::marker'), w = getComputedStyle(words ? words.parentElement : li);
  found.push([li.parentElement.tagName.toLowerCase(), words ? words.data.trim() : '', m.color, m.fontWeight, m.fontFamily,
              w.color, w.fontWeight, w.fontFamily]);
});
document.body.setAttribute('data-computed', JSON.stringify(found));
//]]></script>"""
ACCENT, TEXT_COLOUR = "rgb(155, 28, 19)", "rgb(26, 26, 26)"  # --colour-accent and --colour-text in styles/tokens.css
MARKER_RULE = re.compile(r"[^{}]*::marker[^{}]*\{[^{}]*\}")


@pytest.fixture(scope="module")
def lists_epub(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("epub-lists")
    (root / "source").mkdir()
    (root / "source" / "lists.md").write_text(LISTS, encoding="utf-8")
    assert build(out=root / "dist", root=root, formats=["epub"]).ok
    return root / "dist" / "lists.epub"


def list_styles(pages: list[Path]) -> list[list[str]]:
    """[list tag, first words, number's colour, weight and face, words' colour, weight and face] for every item."""
    chromium = which_or_skip("chromium", "chromium")
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "wage rise" not in text:  # not the text (Calibre adds a contents page of its own)
            continue
        page.write_text(text.replace("</body>", MARKER_PROBE + "</body>"), encoding="utf-8")
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        data = re.search(r'data-computed="([^"]*)"', dom)
        assert data, f"Chromium gave no computed styles for {page.name}: {dom[:500]}"
        found += json.loads(html.unescape(data.group(1)))
    return found


def assert_numbers_accented(found: list[list[str]]) -> None:
    words = [item[1] for item in found]
    assert words[:4] == ["A wage rise of", "The organisers back:", "at the pits;", "at the mill."], words
    assert len(found) == 11, words
    for tag, text, colour, weight, face, text_colour, text_weight, text_face in found:
        number = (colour, weight, face.split(",")[0]) if tag == "ol" else (colour,)
        assert number == ((ACCENT, "700", '"PT Sans"') if tag == "ol" else (ACCENT,)), (text, number)
        assert (text_colour, text_weight, text_face.split(",")[0]) == (TEXT_COLOUR, "400", '"PT Serif"'), text


def test_list_numbers_are_accented_and_the_words_are_not(lists_epub, tmp_path):
    zipfile.ZipFile(lists_epub).extractall(tmp_path)
    assert_numbers_accented(list_styles([tmp_path / "EPUB" / "text.xhtml"]))


def test_list_numbers_need_no_marker_rule(lists_epub, tmp_path):
    """As a converter that drops ::marker rules reads the EPUB: the numbers keep their colour, face and weight."""
    zipfile.ZipFile(lists_epub).extractall(tmp_path)
    css = tmp_path / "EPUB" / "style.css"
    css.write_text(MARKER_RULE.sub("", css.read_text(encoding="utf-8")), encoding="utf-8")
    assert_numbers_accented(list_styles([tmp_path / "EPUB" / "text.xhtml"]))


@pytest.mark.parametrize("kind", ["azw3", "epub"])
@pytest.mark.invalid_epub  # Calibre's EPUB, not publish's: EPUBCheck refuses what Calibre writes
def test_list_numbers_survive_calibre(lists_epub, tmp_path, kind):
    """The EPUB converted by Calibre for Kindle (AZW3, read back as the HTML and CSS it stores) or as an EPUB."""
    convert = which_or_skip("ebook-convert", "calibre")
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(tmp_path / "calibre-config")}
    converted = tmp_path / f"converted.{kind}"
    subprocess.run([convert, str(lists_epub), str(converted)], check=True, capture_output=True, timeout=300, env=env)
    if kind == "azw3":
        subprocess.run([which_or_skip("calibre-debug", "calibre"), "--explode-book", str(converted), str(tmp_path / "book")],
                       check=True, capture_output=True, timeout=300, env=env)
    else:
        zipfile.ZipFile(converted).extractall(tmp_path / "book")
    pages = sorted(p for p in (tmp_path / "book").rglob("*") if p.suffix in (".html", ".xhtml"))
    assert_numbers_accented(list_styles(pages))
