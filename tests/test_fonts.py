"""The EPUB and the web edition carry font subsets that hold every character they can show (publish/fonts.py)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import subprocess
import zipfile

import pytest
from conftest import which_or_skip
from fontTools.ttLib import TTFont

from publish import build

SOURCE = """---
title: Хроника
author: Редакция
publisher: Борьба
date: 2022-01-10
lang: ru
---

Если a < b = c > d, то `x <= y` — «правда». The office of AVA, fine.
"""


def cmap(data: bytes) -> set[str]:
    return {chr(code) for code in TTFont(io.BytesIO(data)).getBestCmap()}


def by_name(fonts) -> dict[str, tuple[int, frozenset[str]]]:
    """Each font by its full name: its number of glyphs and the characters it maps."""
    found = {}
    for data in fonts:
        font = TTFont(io.BytesIO(data))
        found[font["name"].getDebugName(4)] = (len(font.getGlyphOrder()), frozenset(cmap(data)))
    return found


def test_both_screen_editions_carry_the_same_cuts_with_every_character_in_both_cases(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "fonts.md").write_text(SOURCE, encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["epub", "html"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    with zipfile.ZipFile(tmp_path / "dist" / "fonts.epub") as z:
        epub = {name.rsplit("/", 1)[1]: z.read(name) for name in z.namelist() if name.endswith(".ttf")}
    page = (tmp_path / "dist" / "fonts.html").read_text(encoding="utf-8")
    web = [base64.b64decode(m) for m in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page)]
    assert len(web) == len(epub) == 7  # six text faces and the mono face, for the code
    sans = cmap(epub["PTSans-Regular.ttf"])
    # the publisher and the date are set in capitals by the stylesheet: their capitals are in the cut
    assert set("БОРЬБАЯНВАРЯ") <= sans and set("борьбаянваря") <= sans
    assert set("<=>«»—") <= cmap(epub["PTSerif-Regular.ttf"])
    assert by_name(web) == by_name(epub.values())  # one cut per face, in both editions
    assert len(by_name(web)) == 7 and None not in by_name(web)  # the names survive the cut
    serif = TTFont(io.BytesIO(epub["PTSerif-Regular.ttf"]))
    features = {table: {r.FeatureTag for r in serif[table].table.FeatureList.FeatureRecord} for table in ("GSUB", "GPOS")}
    assert "liga" in features["GSUB"] and "kern" in features["GPOS"], features  # ligatures and kerning too


LANGUAGES = {  # a title, a publisher and a text in each language the labels ship in
    "en": ("Forty days", "Struggle", "The workers stayed - most of them."),
    "es": ("Crónica de cuarenta días", "Lucha", "Las obreras - la mayoría - se quedaron: ¿y ahora? ¡Adelante!"),
    "fr": ("Quarante jours", "Lutte", "Les ouvrières - la plupart - sont restées ; pourquoi ? « Voilà »."),
    "de": ("Vierzig Tage", "Kampf", "Die Arbeiterinnen - die meisten - blieben. Straße, Größe, Übermut."),
    "ru": ("Сорок дней", "Борьба", "Рабочие - большинство - остались. Ёж, щи, объём."),
    "kk": ("Қырық күн", "Күрес", "Жұмысшылар - көпшілігі - қалды. Әйел, ғылым, қазақ, өнер, ұлт, үй, һ, і."),
}
# One page that holds every XHTML file in a frame and writes, for each, its rendered text (innerText: after
# text-transform) and the ::before, ::after and ::marker strings of its elements. One Chromium run for them all.
PROBE = """<!DOCTYPE html><html><body>%s<script>
window.onload = function () {
  var shown = {};
  document.querySelectorAll('iframe').forEach(function (frame) {
    var doc = frame.contentDocument, found = [doc.body.innerText];
    doc.querySelectorAll('*').forEach(function (e) {
      ['::before', '::after', '::marker'].forEach(function (p) {
        var c = frame.contentWindow.getComputedStyle(e, p).content;
        if (c && c[0] === '"') found.push(JSON.parse(c));
      });
    });
    shown[frame.getAttribute('src')] = found.join(' ');
  });
  document.body.setAttribute('data-shown', JSON.stringify(shown));
};
</script></body></html>"""


@pytest.mark.parametrize("theme", ["", "photocopy"])
def test_no_character_an_epub_shows_falls_outside_its_fonts_in_any_language_or_theme(tmp_path, theme):
    """Read back what Chromium shows of every XHTML file (capitals made by the stylesheet, generated content) and
    check each character is in the embedded cut of every face that draws it: none falls back to another font."""
    chromium = which_or_skip("chromium")
    from publish.config import load_config
    from publish.fonts import FACES, font_path

    (tmp_path / "source").mkdir()
    if theme:
        (tmp_path / "pyproject.toml").write_text(f'[tool.publish]\ntheme = "{theme}"\n')
    for lang, (title, publisher, text) in LANGUAGES.items():
        (tmp_path / "source" / f"{lang}.md").write_text(
            f"---\ntitle: {title}\nauthor: A\npublisher: {publisher}\ndate: 2024-03-15\nlang: {lang}\nsummary: {title}.\n"
            f"source_url: https://example.org/{lang}\n---\n\n## {title}\n\n{text}[^1]\n\n1. {title}\n2. {text}\n\n[^1]: {text}\n",
            encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["epub"]).ok
    config = load_config(tmp_path)
    full = {face.file: cmap(font_path(config, face).read_bytes()) for face in FACES}
    pages = []
    for lang in LANGUAGES:
        zipfile.ZipFile(tmp_path / "dist" / f"{lang}.epub").extractall(tmp_path / lang)
        pages += sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / lang / "EPUB").glob("*.xhtml"))
    probe = tmp_path / "probe.html"
    probe.write_text(PROBE % "".join(f'<iframe src="{page}" width="390" height="800"></iframe>' for page in pages))
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--allow-file-access-from-files", "--virtual-time-budget=20000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=300).stdout
    found = re.search(r'data-shown="([^"]*)"', dom)
    assert found, f"Chromium showed nothing: {dom[-500:]}"
    shown_in = json.loads(html.unescape(found.group(1)))
    assert sorted(shown_in) == sorted(pages)  # every file was read
    for lang in LANGUAGES:
        folder = tmp_path / lang
        cut = {path.name: cmap(path.read_bytes()) for path in (folder / "EPUB" / "fonts").iterdir()}
        shown = set("".join(text for page, text in shown_in.items() if page.startswith(f"{lang}/")))
        shown = {c for c in shown if not c.isspace() and c.isprintable()}
        missing = {name: "".join(sorted(c for c in shown if c in full[name] and c not in cut[name])) for name in cut}
        assert not any(missing.values()), f"{lang}{' ' + theme if theme else ''}: {missing}"
