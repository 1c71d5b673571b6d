"""The bundled faces, and subsets of them for editions that carry their own fonts (EPUB, web)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import Config
from .errors import Diagnostic, fail
from .markup import plain_text


@dataclass(frozen=True)
class Face:
    family: str
    weight: str
    style: str
    file: str


FACES = (
    Face("PT Serif", "normal", "normal", "PTSerif-Regular.ttf"),
    Face("PT Serif", "normal", "italic", "PTSerif-Italic.ttf"),
    Face("PT Serif", "bold", "normal", "PTSerif-Bold.ttf"),
    Face("PT Serif", "bold", "italic", "PTSerif-BoldItalic.ttf"),
    Face("PT Sans", "normal", "normal", "PTSans-Regular.ttf"),
    Face("PT Sans", "bold", "normal", "PTSans-Bold.ttf"),
    Face("PT Mono", "normal", "normal", "PTMono-Regular.ttf"),
)


def faces_for(body: str) -> tuple[Face, ...]:
    """The faces an edition of `body` (HTML) needs: the mono face only when there is code."""
    has_code = "<code" in body or "<pre" in body
    return tuple(f for f in FACES if f.family != "PT Mono" or has_code)


def characters(*pages: str) -> str:
    """Every character the pages show: tags dropped, entities decoded."""
    return "".join(sorted(set(plain_text("".join(pages)))))


def font_face_css(urls: dict[str, str], faces: tuple[Face, ...] = FACES) -> str:
    """@font-face rules for `faces`, each pointing at urls[file]."""
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; font-style: {f.style}; '
        f'src: url("{urls[f.file]}"); }}\n'
        for f in faces
    )


def project_font_names(config: Config) -> frozenset[str]:
    """Normalised full and PostScript names of every font file the project can use (its own and the bundled)."""
    from fontTools.ttLib import TTFont

    from .preflight import normalised

    names = set()
    for directory in config.dirs("fonts"):
        for path in sorted(p for p in directory.glob("*.[ot]tf") if p.resolve().is_relative_to(directory.resolve())):
            font_names = TTFont(path, lazy=True)["name"]
            names.update(normalised(font_names.getDebugName(i) or "") for i in (4, 6))
    return frozenset(names - {""})


def uncovered(config: Config, text: str) -> str:
    """The characters of `text` that none of the bundled faces draws (spaces and controls aside)."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for face in FACES:
        covered.update(TTFont(font_path(config, face), lazy=True).getBestCmap())
    return "".join(sorted({c for c in text if ord(c) not in covered and c.isprintable() and not c.isspace()}))


# WeasyPrint's warning for each drawing of a character no font has (render/weasy.py makes it an R200).
NOTDEF = re.compile(r'^\.notdef glyph rendered for Unicode string unsupported by fonts: ".*" \(U\+([0-9A-F]{4,6})\)$', re.S)
NAMED = 5  # characters a warning names before "and N more"


def missing_glyphs(config: Config, document, found: tuple[Diagnostic, ...], fallbacks: list[str],
                   drawn_in: str = "the PDFs") -> tuple[Diagnostic, ...]:
    """`found` with WeasyPrint's .notdef warnings (one per character drawn, in every PDF) taken out, and, when any
    character was drawn (in `drawn_in`) in a system font (`fallbacks`, from preflight) or as an empty box, one P303
    for the source that names the characters the project's fonts lack and points at the first."""
    boxes = "".join(chr(int(m[1], 16)) for d in found if d.code == "R200" and (m := NOTDEF.match(d.message)))
    kept = tuple(d for d in found if not (d.code == "R200" and NOTDEF.match(d.message)))
    if not boxes and not fallbacks:
        return kept
    shown = plain_text(document.body) + "".join(document.plain.values())
    lacking = set(uncovered(config, shown)) | set(boxes)
    first = _first_places(document.source, lacking)
    ordered = sorted(lacking, key=lambda c: (first.get(c, (1 << 30, 0)), c))
    names = ", ".join(f"{c} (U+{ord(c):04X})" for c in ordered[:NAMED]) + (f" and {len(ordered) - NAMED} more" if len(ordered) > NAMED else "")
    drawn = [f"in a system font the project does not ship ({', '.join(fallbacks)})"] if fallbacks else []
    drawn += [f"as empty boxes ({' '.join(sorted(set(boxes), key=ordered.index))})"] if boxes else []
    what = (f"{len(ordered)} character{'s' * (len(ordered) != 1)} in none of the project's fonts: {names}" if ordered
            else "characters that are not in the text (the styles' or the labels') are in none of the project's fonts")
    message = (f"{what}; {drawn_in} show them {' or '.join(drawn)}. Put a font that has them in the project's fonts/ "
               "folder, named as the bundled face it replaces (fonts/PTSerif-Regular.ttf, …), or take them out")
    line, col = min(first.values(), default=(1, 1))
    return kept + (Diagnostic(document.source.display, line, col, "P303", message, "warning"),)


def _first_places(source, characters: set[str]) -> dict[str, tuple[int, int]]:
    """Line and column in the source file (front matter too) where each of `characters` first appears."""
    from .sources import read_text

    try:
        text = read_text(source.path, source.display)
    except OSError:
        return {}
    first: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        for col, char in enumerate(line, start=1):
            if char in characters and char not in first:
                first[char] = (number, col)
    return first


def font_path(config: Config, face: Face) -> Path:
    return config.find("fonts", face.file)


def screen_characters(config: Config, document) -> str:
    """Every character the EPUB or the web edition can show, in one set, so that both carry the same subsets and
    each face is cut once per source: the web page (title page, text, notes, colophon), the labels (the EPUB's
    navigation), the digits of note and page numbers and list markers, what the screen stylesheets write
    themselves (generated content, quotation marks), and all of it in capitals and in small letters."""
    from dataclasses import astuple

    from markupsafe import Markup

    from .editions import render, stylesheet
    from .labels import labels_for

    page = render(config, "web.html.j2", document, body=Markup(document.body), css="", link_editions=True)
    css = stylesheet(config, *SCREEN_SHEETS)
    shown = characters(page, *astuple(labels_for(document.meta.lang)), "0123456789.")
    shown += generated_text(css, quotes="<q" in document.body)  # not through the tag stripper: "<" is a character here
    return "".join(sorted(set(shown + shown.upper() + shown.lower())))  # what text-transform may show (the date in capitals)


SCREEN_SHEETS = ("base.css", "epub.css", "web.css")  # both screen editions' sheets: they share one cut
# Declarations whose strings are drawn as text (the hr's asterisks, a marker of the project's own), and the strings.
GENERATED = re.compile(r"(?<![\w-])(content|quotes|hyphenate-character|list-style(?:-type)?)\s*:\s*([^;{}]*)")
CSS_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'", re.S)
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n]?|\n|(.))", re.S)
URL = re.compile(r"url\((?:[^()\"']|\"[^\"]*\"|'[^']*')*\)")


def generated_text(css: str, quotes: bool = False) -> str:
    """The characters of the strings `css` draws as text: content, hyphenate-character and list-style strings, and
    with `quotes` (the text has <q> elements) the quotation marks of every language it sets (styles/base.css)."""
    found = []
    for prop, value in GENERATED.findall(css):
        if prop != "quotes" or quotes:
            for double, single in CSS_STRING.findall(URL.sub("", value)):
                found.append(CSS_ESCAPE.sub(_unescape, double or single))
    return "".join(found)


def _unescape(escape: re.Match) -> str:
    """One CSS escape as its character: a code point out of Unicode's range is U+FFFD, as in CSS."""
    if escape[1] is None:
        return escape[2] or ""  # an escaped newline is nothing
    code = int(escape[1], 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def subset(path: Path, text: str, flavor: str | None = None) -> bytes:
    """The face cut down to the characters of `text` (and the hyphen), unhinted; woff2 when asked. The cut is made
    once for a face and text (the EPUB and the web edition ask for the same one) and compressed on demand."""
    cut = _cut(path, text)
    if flavor is None:
        return cut
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(cut), recalcTimestamp=False)
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


@lru_cache(maxsize=16)
def _cut(path: Path, text: str) -> bytes:
    """HarfBuzz's subsetter (the one WeasyPrint uses for the PDFs): a hundred times faster than fontTools'. Every
    layout feature and name record is kept, hints are dropped (screens and e-ink render unhinted outlines well)."""
    import uharfbuzz as hb

    request = hb.SubsetInput()
    for char in set(text + "-\u00ad"):
        request.unicode_set.add(ord(char))
    # Every layout feature (ligatures, kerning, small caps, …) and every name record. HarfBuzz's sets start with a
    # default few, so they are emptied first: inverting them as they are would keep all but those few.
    for every in (request.layout_feature_tag_set, request.name_id_set):
        every.clear()
        every.invert()
    request.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NOTDEF_OUTLINE
    try:
        return hb.subset(hb.Face(hb.Blob(path.read_bytes())), request).blob.data
    except RuntimeError:
        raise fail(f"fonts/{path.name}", "P130", f"fonts/{path.name} cannot be cut down for the EPUB and web "
                   "edition: it is not a font HarfBuzz can read") from None
