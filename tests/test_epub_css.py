"""The EPUB's stylesheet as a browser engine computes it (Chromium, the engine of many reading apps): the title page
and colophon keep their left alignment, the text is justified only where it is hyphenated, links are seen."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

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
    chromium = which_or_skip("chromium")
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
