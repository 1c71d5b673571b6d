"""Language-aware quotes, dashes and spaces, applied once so every edition has the same characters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from markdown.treeprocessors import Treeprocessor

from .languages import NBSP, Language, language

DIALOGUE = re.compile(r"^[-–—] ")  # a paragraph opening with a dash is a line of dialogue

# Spaces and dashes the bundled faces lack, as the nearest ones they have: without this the
# PDF would embed a system fallback font for a single character (Babel writes "2022\u202fг.").
MISSING_IN_FONTS = str.maketrans({"\u202f": NBSP, "\u2007": NBSP, "\u2009": " ", "\u2008": " ", "\u200a": "",
                                  "\u2010": "-", "\u2012": "–", "\u2015": "—"})

SKIP = {"code", "pre", "kbd", "samp", "script", "style"}
ASIDE_DASHES = re.compile(r"( +)[-–—] +(?=\S)")  # a spaced hyphen or dash between words: an aside's dash
NUMBER_RANGE = re.compile(r"(?<![\d-])(\d{1,4})-(\d{1,4})(?![\d-])")
MINUS = re.compile(r"(?<![\w-])-(?=\d)")
SPACES = re.compile(r" {2,}")
# A number and its unit stay on one line: "75 %", "40 000 tenge", "5 км". These symbols in every language, and the
# words of each language's record.
UNIT_SYMBOLS = ("%", "‰", "°", "km", "m", "cm", "mm", "kg", "g", "t", "ha", "l", "h", "min", "kWh", "MW",
                "₸", "€", r"\$", "£", "₽", "₴", "₺")
CALL_PUNCTUATION = re.compile(r"^[.,;:!?]+")  # where a note call moves after the punctuation
ABBREVIATION_NUMBER = re.compile(r"\b([^\W\d_]{1,4}\.) (?=\d)")  # "Jan. 7", "No. 5", "p. 12" stay on one line


@lru_cache(maxsize=32)
def _rules(record: Language) -> tuple[re.Pattern | None, re.Pattern, re.Pattern | None, re.Pattern | None]:
    """A record's short words, units and spaced punctuation as patterns, made once."""
    short = re.compile(rf"(?<!\w)([{re.escape(record.short_words)}]) (?=\w)") if record.short_words else None
    units = "|".join((*UNIT_SYMBOLS, *map(re.escape, record.units)))
    unit = re.compile(rf"(?<=\d) (?=(?:{units})(?!\w))")
    high = "".join(c for c in record.space_before if c != ":")
    # "pourquoi ?", "non ;": a no-break space before (here U+00A0; the narrow one is not in the fonts). A colon
    # only before a space or the end, so that times and URLs (10:30, https:) keep theirs.
    before = re.compile(rf"(?<=[\w»)\]]) ?([{re.escape(high)}])") if high else None
    colon = re.compile(r"(?<=[\w»)\]]) ?:(?=\s|$)") if ":" in record.space_before else None
    return short, unit, before, colon


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


def fix_text(text: str, record: Language, opens_paragraph: bool = False) -> str:
    """Dashes, ranges, minus signs and spaces in one run of plain text."""
    short, unit, before, colon = _rules(record)
    text = text.translate(MISSING_IN_FONTS)
    if opens_paragraph and record.dialogue:
        text = DIALOGUE.sub(record.dialogue, text)
    if short:
        text = short.sub(f"\\1{NBSP}", text)
    if not record.paired_dashes:  # those pair their dashes across the whole paragraph: see paired_dashes()
        text = ASIDE_DASHES.sub(record.dash[0], text)
    text = NUMBER_RANGE.sub(r"\1–\2", text)
    text = MINUS.sub("−", text)
    text = ABBREVIATION_NUMBER.sub(f"\\1{NBSP}", text)
    text = unit.sub(NBSP, text)
    if before:
        text = before.sub(f"{NBSP}\\1", text)
    if colon:
        text = colon.sub(f"{NBSP}:", text)
    return SPACES.sub(" ", text)


class TypographyTreeprocessor(Treeprocessor):
    """Sets every text node outside code in the typography of the language's record (publish/languages)."""

    def __init__(self, md, lang: str) -> None:
        super().__init__(md)
        self.record = language(lang)

    def run(self, root: ET.Element) -> None:
        blocks = [block for block in root.iter() if block.tag in BLOCK_TEXT]
        for block in blocks:
            educate_quotes(block, self.record)
        self._walk(root)
        if self.record.paired_dashes:  # else fix_text set them
            for block in blocks:
                paired_dashes(block, *self.record.dash)
        if self.record.note_call == "after punctuation":
            calls_after_punctuation(root)

    def _walk(self, element: ET.Element) -> None:
        if element.tag in SKIP:
            return
        if element.text:
            element.text = fix_text(element.text, self.record, opens_paragraph=element.tag == "p")
        for child in element:
            self._walk(child)
            if child.tail:
                child.tail = fix_text(child.tail, self.record)


OPENERS = "([{—–-\u00a0/«„‚“‘"
STRAIGHT_QUOTES = re.compile("[\"']")
BLOCK_TEXT = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "figcaption"}


def educate_quotes(block: ET.Element, record: Language) -> None:
    """Straight quotes to the language's marks, across the block's inline elements: outer marks, inner
    marks for quotes inside quotes, and ’ for apostrophes. "a "b" c" -> «a „b“ c» in Russian. A record whose
    quotes are straight (the neutral one) keeps them as typed and sets only apostrophes between letters."""
    outer, inner = record.quotes, record.inner_quotes
    state = {"before": " ", "double": 0, "single": 0}

    def educate(text: str) -> str:
        out, done = [], 0
        for match in STRAIGHT_QUOTES.finditer(text):  # only the quotes change; the text between is copied
            n, char = match.start(), match.group()
            before = text[n - 1] if n > done else state["before"]  # right after a quote: the mark it became
            after = text[n + 1] if n + 1 < len(text) else " "
            opens = before.isspace() or before in OPENERS
            if record.straight_quotes:
                mark = "’" if char == "'" and before.isalnum() and after.isalnum() else char
            elif char == '"':
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
                mark = inner[1]  # in English ’, which is also an apostrophe: "the workers' union"
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
    space ("ouvrières –\u00a0la plupart\u00a0– sont"). A dash without its pair opens an aside to the sentence's end.
    `opener` and `closer` replace the spaces around the dash too."""
    dashes = 0

    def close_up(match: re.Match) -> str:
        nonlocal dashes
        dashes += 1
        return opener if dashes % 2 else closer

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
