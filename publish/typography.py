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

# Quotes inside quotes: a second level of the outer marks becomes these (TYPOGRAPHY.md).
INNER_QUOTES = {"en": ("‘", "’"), "ru": ("„", "“"), "uk": ("„", "“"), "kk": ("“", "”"), "de": ("‚", "‘"),
                "es": ("“", "”"), "fr": ("“", "”")}

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
ASIDE_DASHES = re.compile(r"( +)[-–—] +(?=\S)")  # spaced, in a paragraph's text: the opener keeps the space before it
PAIRED_DASHES = {"es": ("—", "— "), "fr": (f"–{NBSP}", f"{NBSP}– ")}  # lang -> opening and closing dash of an aside
NUMBER_RANGE = re.compile(r"(?<![\d-])(\d{1,4})-(\d{1,4})(?![\d-])")
MINUS = re.compile(r"(?<![\w-])-(?=\d)")
SPACES = re.compile(r" {2,}")
# A number and its unit stay on one line: "75 %", "40 000 tenge", "5 км".
UNIT = re.compile(r"(?<=\d) (?=(?:%|‰|°|km|m|cm|mm|kg|g|t|ha|l|h|min|kWh|MW|₸|€|\$|£|₽|tenge|км|м|см|мм|кг|г|т|га|л|ч|мин|"
                  r"тг|теңге|руб|млн|млрд|тыс)(?!\w))")
FRENCH_HIGH_PUNCTUATION = re.compile(r"(?<=[\w»)\]]) ?([;!?])")  # narrow no-break space before ; ! ? (here U+00A0)
FRENCH_COLON = re.compile(r"(?<=[\w»)\]]) ?:(?=\s|$)")
CALL_PUNCTUATION = re.compile(r"^[.,;:!?]+")  # English sets a note call after the punctuation
ABBREVIATION_NUMBER = re.compile(r"\b([^\W\d_]{1,4}\.) (?=\d)")  # "Jan. 7", "No. 5", "p. 12" stay on one line


def base_lang(lang: str) -> str:
    """'ru-RU' -> 'ru'."""
    return lang.split("-")[0].lower()


def smarty_config(lang: str) -> dict:
    """Python-Markdown smarty settings: dashes, ellipses and << >> as characters. Quotes are left to
    educate_quotes, which knows each language's inner quotes."""
    return {
        "smart_quotes": False,
        "smart_angled_quotes": True,
        "substitutions": {
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
    if opens_paragraph and lang == "es":  # a line of dialogue: the raya touches the words
        text = DIALOGUE.sub("—", text)
    if lang not in PAIRED_DASHES:  # those pair their dashes across the whole paragraph: see paired_dashes()
        text = SPACED_HYPHEN.sub(f"{NBSP}{dash} ", text)
    text = NUMBER_RANGE.sub(r"\1–\2", text)
    text = MINUS.sub("−", text)
    text = ABBREVIATION_NUMBER.sub(f"\\1{NBSP}", text)
    text = UNIT.sub(NBSP, text)
    if lang == "fr":
        text = FRENCH_COLON.sub(f"{NBSP}:", FRENCH_HIGH_PUNCTUATION.sub(f"{NBSP}\\1", text))
    return SPACES.sub(" ", text)


class TypographyTreeprocessor(Treeprocessor):
    """Runs fix_text over every text node outside code."""

    def __init__(self, md, lang: str) -> None:
        super().__init__(md)
        self.lang = lang

    def run(self, root: ET.Element) -> None:
        lang = base_lang(self.lang)
        for block in root.iter():
            if block.tag in BLOCK_TEXT:
                educate_quotes(block, lang)
        self._walk(root)
        if lang in PAIRED_DASHES:
            for block in root.iter():
                if block.tag in BLOCK_TEXT:
                    paired_dashes(block, *PAIRED_DASHES[lang])
        if lang == "en":
            calls_after_punctuation(root)

    def _walk(self, element: ET.Element) -> None:
        if element.tag in SKIP:
            return
        if element.text:
            element.text = fix_text(element.text, self.lang, opens_paragraph=element.tag == "p")
        for child in element:
            self._walk(child)
            if child.tail:
                child.tail = fix_text(child.tail, self.lang)


OPENERS = "([{—–-\u00a0/«„‚“‘"
STRAIGHT_QUOTES = re.compile("[\"']")
BLOCK_TEXT = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "figcaption"}


def educate_quotes(block: ET.Element, lang: str) -> None:
    """Straight quotes to the language's marks, across the block's inline elements: outer marks, inner
    marks for quotes inside quotes, and ’ for apostrophes. "a "b" c" -> «a „b“ c» in Russian."""
    outer = QUOTES.get(lang, QUOTES["en"])
    inner = INNER_QUOTES.get(lang, INNER_QUOTES["en"])
    state = {"before": " ", "double": 0, "single": 0}

    def educate(text: str) -> str:
        out, done = [], 0
        for match in STRAIGHT_QUOTES.finditer(text):  # only the quotes change; the text between is copied
            n, char = match.start(), match.group()
            before = text[n - 1] if n > done else state["before"]  # right after a quote: the mark it became
            after = text[n + 1] if n + 1 < len(text) else " "
            opens = before.isspace() or before in OPENERS
            if char == '"':
                if opens or not state["double"]:
                    state["double"] += 1
                    mark = outer[0] if state["double"] == 1 else inner[0]
                else:
                    mark = outer[1] if state["double"] == 1 else inner[1]
                    state["double"] -= 1
            elif before.isalnum() and (after.isalnum() or not state["single"]):
                mark = "’"  # don't, l’homme, the workers’
            elif opens and not after.isspace():
                state["single"] += 1
                mark = inner[0]
            else:
                state["single"] = max(0, state["single"] - 1)
                mark = inner[1] if state["single"] or lang != "en" else "’"
            out += [text[done:n], mark]
            state["before"], done = mark[-1], n + 1
        if done < len(text):
            out.append(text[done:])
            state["before"] = text[-1]
        return "".join(out)

    def walk(element: ET.Element) -> None:
        if element.tag in SKIP:
            state["before"] = "x"
            return
        if element.text:
            element.text = educate(element.text)
        for child in element:
            if child.tag not in BLOCK_TEXT:
                walk(child)
            if child.tail:
                child.tail = educate(child.tail)

    walk(block)


def paired_dashes(block: ET.Element, opener: str, closer: str) -> None:
    """Asides between a pair of spaced dashes, across the block's inline elements, each dash bound to its aside:
    Spanish closes the raya up to it ("obreras —la mayoría— se quedaron"), French binds the tiret with a no-break
    space ("ouvrières –\u00a0la plupart\u00a0– sont"). A dash without its pair opens an aside to the sentence's end."""
    dashes = 0

    def close_up(match: re.Match) -> str:
        nonlocal dashes
        dashes += 1
        return match.group(1) + opener if dashes % 2 else closer

    def walk(element: ET.Element) -> None:
        if element.tag in SKIP:
            return
        if element.text:
            element.text = ASIDE_DASHES.sub(close_up, element.text)
        for child in element:
            if child.tag not in BLOCK_TEXT:
                walk(child)
            if child.tail:
                child.tail = ASIDE_DASHES.sub(close_up, child.tail)

    walk(block)


def calls_after_punctuation(root: ET.Element) -> None:
    """A footnote call written before a full stop or comma moves after it: "word[^1]." -> "word.¹"."""
    for parent in root.iter():
        previous = None
        for child in list(parent):
            is_call = child.tag == "sup" and any(a.get("class") == "footnote-ref" for a in child)
            found = CALL_PUNCTUATION.match(child.tail or "") if is_call else None
            if found:
                if previous is None:
                    parent.text = (parent.text or "") + found.group(0)
                else:
                    previous.tail = (previous.tail or "") + found.group(0)
                child.tail = child.tail[found.end():]
            previous = child
