"""Language-aware quotes, dashes and spaces, applied once so every edition has the same characters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown.treeprocessors import Treeprocessor

NBSP = "\u00a0"

# What "double quotes" in the source become, per language (TYPOGRAPHY.md); English otherwise.
# Single quotes stay ‘ ’, so that apostrophes are right in every language.
QUOTES = {
    "en": ("“", "”"),
    "es": ("«", "»"),
    "de": ("„", "“"),
    "fr": ("«" + NBSP, NBSP + "»"),
    "ru": ("«", "»"),
    "kk": ("«", "»"),
    "uk": ("«", "»"),
}

# The dash that replaces a spaced hyphen: Russian and Kazakh use an em dash, the rest a spaced en dash.
ASIDE_DASH = {"ru": "—", "kk": "—", "uk": "—"}

# One-letter words bound to the next word with a no-break space, so no line ends with one.
SHORT_WORDS = {"ru": re.compile(r"(?<!\w)([вксуоиаяВКСУОИАЯ]) (?=\w)")}
DIALOGUE = re.compile(r"^[-–—] ")  # a paragraph opening with a dash is a line of dialogue

# Spaces and dashes the bundled faces lack, as the nearest ones they have: without this the
# PDF would embed a system fallback font for a single character (Babel writes "2022\u202fг.").
MISSING_IN_FONTS = str.maketrans({"\u202f": NBSP, "\u2007": NBSP, "\u2009": " ", "\u2008": " ", "\u200a": "",
                                  "\u2010": "-", "\u2012": "–", "\u2015": "—"})

SKIP = {"code", "pre", "kbd", "samp", "script", "style"}
SPACED_HYPHEN = re.compile(r"(?<=\S) +[-–—] +(?=\S)")
NUMBER_RANGE = re.compile(r"(?<![\d-])(\d{1,4})-(\d{1,4})(?![\d-])")
MINUS = re.compile(r"(?<![\w-])-(?=\d)")
SPACES = re.compile(r" {2,}")
ABBREVIATION_NUMBER = re.compile(r"\b([^\W\d_]{1,4}\.) (?=\d)")  # "Jan. 7", "No. 5", "p. 12" stay on one line


def base_lang(lang: str) -> str:
    """'ru-RU' -> 'ru'."""
    return lang.split("-")[0].lower()


def smarty_config(lang: str) -> dict:
    """Python-Markdown smarty settings giving this language's quotes as characters, not entities."""
    ldquo, rdquo = QUOTES.get(base_lang(lang), QUOTES["en"])
    return {
        "smart_angled_quotes": True,
        "substitutions": {
            "left-double-quote": ldquo,
            "right-double-quote": rdquo,
            "left-single-quote": "‘",
            "right-single-quote": "’",
            "left-angle-quote": "«",
            "right-angle-quote": "»",
            "ndash": "–",
            "mdash": "—",
            "ellipsis": "…",
        },
    }


def fix_text(text: str, lang: str, opens_paragraph: bool = False) -> str:
    """Dashes, ranges, minus signs and spaces in one run of plain text."""
    lang = base_lang(lang)
    dash = ASIDE_DASH.get(lang, "–")
    text = text.translate(MISSING_IN_FONTS)
    if opens_paragraph and lang in ASIDE_DASH:
        text = DIALOGUE.sub(f"—{NBSP}", text)
    if lang in SHORT_WORDS:
        text = SHORT_WORDS[lang].sub(f"\\1{NBSP}", text)
    text = SPACED_HYPHEN.sub(f"{NBSP}{dash} ", text)
    text = NUMBER_RANGE.sub(r"\1–\2", text)
    text = MINUS.sub("−", text)
    text = ABBREVIATION_NUMBER.sub(f"\\1{NBSP}", text)
    return SPACES.sub(" ", text)


class TypographyTreeprocessor(Treeprocessor):
    """Runs fix_text over every text node outside code."""

    def __init__(self, md, lang: str) -> None:
        super().__init__(md)
        self.lang = lang

    def run(self, root: ET.Element) -> None:
        self._walk(root)

    def _walk(self, element: ET.Element) -> None:
        if element.tag in SKIP:
            return
        if element.text:
            element.text = fix_text(element.text, self.lang, opens_paragraph=element.tag == "p")
        for child in element:
            self._walk(child)
            if child.tail:
                child.tail = fix_text(child.tail, self.lang)
