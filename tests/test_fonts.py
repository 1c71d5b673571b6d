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
# A pamphlet with every part the screen editions draw around the text, most of it after CSS: the publisher and date
# and the photo note's label in capitals, subtitle, translation and photo credits, licence, a note (its call and its
# number), a numbered list from 7 (markers), a bulleted list, a quotation, <q> within <q> (the language's quotation
# marks, styles/base.css), a thematic break (its asterisks, generated) and code (the mono face).
PAMPHLET = """---
title: {title}
subtitle: {publisher}
author: A
translator: B
publisher: {publisher}
date: 2024-03-15
lang: {lang}
summary: {title}.
caption: {title}
photo_credit: C
license: CC BY 4.0
source_url: https://example.org/{lang}
---

## {title}

{text}[^1] <q>{publisher}, <q>{title}</q></q>

<ol start="7"><li>{title}</li><li>{text}</li></ol>

***

{title} `a <= b`

- {publisher}

> {text}

[^1]: {text}
"""
# One page that holds every page of both editions in a frame and writes, for each, its rendered text (innerText:
# after text-transform) and what its elements' ::before, ::after and ::marker boxes show: their strings, the marks
# their open-quote and close-quote take, and list numbers. Disc, circle and square markers are drawn as shapes, not
# letters. Generated content it cannot read is listed as unread. One Chromium run for them all.
PROBE = r"""<!DOCTYPE html><html><body>%s<script>
function unquote(s) {  // a CSS string as a computed style writes it: quoted, with escapes
  return s.slice(1, -1).replace(/\\([0-9a-fA-F]{1,6}) ?|\\([^])/g, function (m, hex, c) {
    return hex ? String.fromCodePoint(parseInt(hex, 16)) : c;
  });
}
function strings(value) { return (value.match(/"(?:[^"\\]|\\[^])*"/g) || []).map(unquote); }
function ordinal(item) {  // the number of a list item (HTML's ordinal value: start, reversed, value)
  var list = item.parentElement, ol = list.localName === 'ol', items = [], n;
  for (var c = list.firstElementChild; c; c = c.nextElementSibling) if (c.localName === 'li') items.push(c);
  n = ol && list.hasAttribute('start') ? list.start : ol && list.reversed ? items.length : 1;
  for (var i = 0; i < items.length && items[i] !== item; i++) {
    n = items[i].hasAttribute('value') ? items[i].value : n;
    n += ol && list.reversed ? -1 : 1;
  }
  return item.hasAttribute('value') ? item.value : n;
}
window.onload = function () {
  var shown = {}, unread = [];
  document.querySelectorAll('iframe').forEach(function (frame) {
    var doc = frame.contentDocument, view = frame.contentWindow, page = frame.getAttribute('src'), found = [doc.body.innerText];
    doc.querySelectorAll('*').forEach(function (e) {
      ['::before', '::after', '::marker'].forEach(function (p) {
        var style = view.getComputedStyle(e, p), content = style.content, type = style.listStyleType;
        if (p === '::marker') {
          if (view.getComputedStyle(e).display.indexOf('list-item') < 0) return;
          if (content === 'normal' && type === 'decimal') content = '"' + ordinal(e) + '. "';
          else if (content === 'normal' && type[0] === '"') content = type;
          else if (content === 'normal' && /^(disc|circle|square|none)$/.test(type)) return;
        }
        if (/(^| )(open|close)-quote/.test(content)) {
          if (style.quotes[0] !== '"') unread.push(page + ' ' + e.localName + p + ': quotes ' + style.quotes);
          found.push.apply(found, strings(style.quotes));
        }
        found.push.apply(found, strings(content));
        var rest = content.replace(/"(?:[^"\\]|\\[^])*"/g, '').replace(/(no-)?(open|close)-quote/g, '').trim();
        if (rest && rest !== 'none' && rest !== 'normal') unread.push(page + ' ' + e.localName + p + ': ' + content);
      });
    });
    shown[page] = found.join(' ');
  });
  document.body.setAttribute('data-shown', JSON.stringify({shown: shown, unread: unread}));
};
</script></body></html>"""


@pytest.fixture(scope="module", params=["", "photocopy"], ids=["default", "photocopy"])
def screens(request, tmp_path_factory):
    """Both screen editions of the pamphlet in every language, in one theme, and what Chromium shows of each page:
    one build and one Chromium run, read by the test below for the EPUB and for the web edition."""
    chromium = which_or_skip("chromium")
    from publish.config import load_config

    theme, tmp_path = request.param, tmp_path_factory.mktemp("screens")
    (tmp_path / "source").mkdir()
    if theme:
        (tmp_path / "pyproject.toml").write_text(f'[tool.publish]\ntheme = "{theme}"\n')
    for lang, (title, publisher, text) in LANGUAGES.items():
        (tmp_path / "source" / f"{lang}.md").write_text(
            PAMPHLET.format(lang=lang, title=title, publisher=publisher, text=text), encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["epub", "html"]).ok
    pages = {}  # (edition, lang) -> its pages, as the probe names them
    for lang in LANGUAGES:
        zipfile.ZipFile(tmp_path / "dist" / f"{lang}.epub").extractall(tmp_path / lang)
        pages["epub", lang] = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / lang / "EPUB").glob("*.xhtml"))
        pages["html", lang] = [f"dist/{lang}.html"]
    every = [page for group in pages.values() for page in group]
    probe = tmp_path / "probe.html"
    probe.write_text(PROBE % "".join(f'<iframe src="{page}" width="390" height="800"></iframe>' for page in every))
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--allow-file-access-from-files", "--virtual-time-budget=20000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=300).stdout
    found = re.search(r'data-shown="([^"]*)"', dom)
    assert found, f"Chromium showed nothing: {dom[-500:]}"
    read = json.loads(html.unescape(found.group(1)))
    assert sorted(read["shown"]) == sorted(every)  # every page was read
    assert not read["unread"], f"generated content the probe cannot read: {read['unread']}"
    return theme, tmp_path, load_config(tmp_path), pages, read["shown"]


def cuts(edition: str, folder, lang: str) -> dict[str, set[str]]:
    """The characters of each face an edition carries, by the file it was cut from."""
    from publish.fonts import FACES

    if edition == "epub":
        return {path.name: cmap(path.read_bytes()) for path in (folder / lang / "EPUB" / "fonts").iterdir()}
    file = {(f.family, f.weight, f.style): f.file for f in FACES}
    rule = r'font-family: "([^"]+)"; font-weight: (\w+); font-style: (\w+); src: url\("data:font/woff;base64,([^"]+)"\)'
    page = (folder / "dist" / f"{lang}.html").read_text(encoding="utf-8")
    return {file[family, weight, style]: cmap(base64.b64decode(data)) for family, weight, style, data in re.findall(rule, page)}


@pytest.mark.parametrize("edition", ["epub", "html"])
def test_no_character_an_epub_or_web_edition_shows_falls_outside_its_fonts_in_any_language_or_theme(screens, edition):
    """Read back what Chromium shows of every page (capitals made by the stylesheet, generated content, list numbers)
    and check each character is in the embedded cut of every face that draws it: none falls back to another font."""
    from publish.fonts import FACES, font_path
    from publish.languages import language

    theme, folder, config, pages, shown_in = screens
    full = {face.file: cmap(font_path(config, face).read_bytes()) for face in FACES}
    falls_back = {}
    for lang in LANGUAGES:
        cut = cuts(edition, folder, lang)
        assert len(cut) == 7, sorted(cut)  # every face, the mono one for the code too
        shown = set("".join(shown_in[page] for page in pages[edition, lang]))
        # the probe reads generated content: the break's asterisks, the list's second number, the <q>s' marks
        assert {"*", "8"} | set("".join(language(lang).quotes + language(lang).inner_quotes)) <= shown, (edition, lang, sorted(shown))
        shown = {c for c in shown if not c.isspace() and c.isprintable()}
        nowhere = "".join(sorted(c for c in shown if not any(c in chars for chars in full.values())))
        missing = {name: "".join(sorted(c for c in shown if c in full[name] and c not in cut[name])) for name in cut}
        missing = {name: chars for name, chars in missing.items() if chars} | ({"no bundled face": nowhere} if nowhere else {})
        if missing:
            falls_back[lang] = missing
    assert not falls_back, f"{edition}{' ' + theme if theme else ''}: {falls_back}"
