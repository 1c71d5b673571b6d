"""The text's sections, whatever heading level it starts at: what every contents list and chapter split reads.

A text's shallowest heading level is its sections. The headings are renumbered so that sections are always
<h2> under the pamphlet's own <h1> title (`#` chapters become <h2>, their `##` sub-sections <h3>, and a text
whose headings start at `###` moves up; a level skipped, `####` right under `##`, closes up), so every edition,
stylesheet and checker (screen readers, Ace) sees one structure.
A text that opens with a lone heading (shallower than every other) sets it apart: repeating the front-matter title,
it is left out (the title page already sets it); saying something else (`# Changes` over `## Version 2`, …), it
stays as the text's own <h1> title. Either way the headings under it are the sections. Every heading has an id by
now (repair.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .xhtml import HEADINGS, remove_keeping_tail

SECTION = 2  # the heading level of a section, once renumbered: <h1> is the pamphlet's title
DEPTH = 3  # sections and two levels under them reach the contents lists
_NOT_WORD = re.compile(r"\W+")


@dataclass(frozen=True)
class Heading:
    level: int  # 2 for a section, 3 and 4 under it
    id: str
    text: str


@dataclass(frozen=True)
class Entry:
    """A heading with the headings nested under it, for contents lists."""

    heading: Heading
    children: tuple[Entry, ...] = ()


def shape(tree, title: str) -> tuple[tuple[Heading, ...], str, bool]:
    """Renumber the headings of `tree` (an lxml body) so sections are <h2>, after setting apart a lone opening
    heading (left out when it repeats the title, kept as the text's own <h1> title when it does not). Return the
    outline (the headings of the top DEPTH levels that have words), the opening heading's words ("" when there is
    none) and whether it was left out."""
    found = list(tree.iter(*HEADINGS))
    opening, left_out = "", False
    if _opens_alone(tree, found):
        first = found.pop(0)
        opening = _text(first)
        left_out = _words(opening) == _words(title) != ""
        if left_out:
            remove_keeping_tail(first)
        elif found:  # `# Changes` over `## Version 2` …: the text's title, above its sections
            first.tag = "h1"
        else:  # the one heading of the text: an ordinary section
            found, opening = [first], ""
    if not found:
        return (), opening, left_out
    shift = SECTION - min(int(e.tag[1]) for e in found)
    outline, previous = [], SECTION - 1
    for element in found:
        level = previous = min(int(element.tag[1]) + shift, previous + 1, 6)  # a skipped level closes up
        element.tag = f"h{level}"
        if SECTION <= level < SECTION + DEPTH and _text(element):
            outline.append(Heading(level, element.get("id"), _text(element)))
    return tuple(outline), opening, left_out


def nest(headings: tuple[Heading, ...]) -> tuple[Entry, ...]:
    """The outline as a tree: each heading under the last shallower one before it."""
    top: list = []
    stack: list[tuple[int, list]] = [(0, top)]
    for heading in headings:
        while stack[-1][0] >= heading.level:
            stack.pop()
        children: list = []
        stack[-1][1].append((heading, children))
        stack.append((heading.level, children))

    def freeze(items: list) -> tuple[Entry, ...]:
        return tuple(Entry(heading, freeze(children)) for heading, children in items)

    return freeze(top)


def _opens_alone(tree, headings: list) -> bool:
    """The text opens with a heading shallower than every other."""
    if not headings or tree[0] is not headings[0] or (tree.text or "").strip():
        return False
    return not any(other.tag <= headings[0].tag for other in headings[1:])


def _words(text: str) -> str:
    return _NOT_WORD.sub("", text).casefold()


def _text(heading) -> str:
    """A heading's words, without its note calls."""
    parts = [heading.text or ""]
    for child in heading:
        if not (child.tag == "sup" and child.find("a[@class='footnote-ref']") is not None):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())
