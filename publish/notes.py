"""Footnotes per medium: page-bottom floats in print, pop-up asides in the EPUB and on the web.

Python-Markdown writes every note at the end, as `div.footnote > ol > li#fn-N`, and each call as
`sup#fnref-N > a.footnote-ref`. Its backlink is U+21A9, which the bundled fonts lack; neither
form below keeps it."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .repair import FLOW_ONLY
from .xhtml import EPUB_TYPE, element, remove_keeping_tail


@dataclass(frozen=True)
class Note:
    id: str  # fn-N
    number: str  # as printed at the call
    ref_id: str  # fnref-N: the first call


def take_notes(root) -> dict[str, object]:
    """Remove the notes list from `root`; return each note's <li>, by id."""
    found = {}
    for block in root.findall(".//div[@class='footnote']"):
        if not any((li.get("id") or "").startswith("fn-") for li in block.iterfind("ol/li")):
            continue  # a div of the text's own that is called footnote (DocBook writes them): not the notes list
        for li in block.iter("li"):
            if li.get("id"):
                for backref in li.findall(".//a[@class='footnote-backref']"):
                    remove_keeping_tail(backref)
                _strip_trailing_space(li)
                found[li.get("id")] = li
        remove_keeping_tail(block)
    return found


def for_print(root) -> None:
    """Put each note's text where it is called, as a `float: footnote` span; WeasyPrint numbers the call."""
    notes = take_notes(root)
    for sup, note_id in list(_calls(root)):
        li = notes.pop(note_id, None)
        if li is None:  # a second call of the same note: its number, unlinked, kept on the line of the word before
            sup.text = sup[0].text
            sup.remove(sup[0])
            sup.set("class", "footnote-again")
            _bind_to_word_before(sup)
            continue
        span = element("span", None, id=note_id)
        span.set("class", "footnote")
        for child in li:
            child = copy.deepcopy(child)
            child.tail = None
            for block in [child, *(e for e in child.iter() if e is not child and e.tag in FLOW_ONLY)]:
                # blocks, at any depth, become spans set as blocks (styles/print.css): a <p> cannot hold a <p> or
                # an <li>, and the HTML parser would close the paragraph there, taking the rest out of the note
                block.set("class", " ".join(filter(None, ("footnote-" + block.tag, block.get("class")))))
                block.tag = "span"
            span.append(child)
        span.tail = sup.tail
        sup.getparent().replace(sup, span)


def for_screen(root, epub: bool, label: str = "Note") -> list[tuple[object, object]]:
    """Calls become noterefs; each note becomes an aside with a numbered backlink ("1.", not an arrow), named
    "`label` 1" (in the text's language): a screen reader that does not know doc-footnote takes an aside for a
    complementary landmark, and two of them in a file must have names that tell them apart.

    Returns (call, aside) pairs in reading order, for the caller to place each aside after the section that calls
    it: Apple Books and Kobo pop up an epub:type="footnote" aside from its noteref. A note called only from another
    note follows that note, paired with the call in the text that leads to both."""
    notes = take_notes(root)
    asides: list[tuple[object, object]] = []  # (call in the text, aside)
    seen: set[str] = set()
    calls: list = []
    # (call, note id, the call in the text it is reached from), depth first: a note's own notes follow it
    pending = [(sup, note_id, None) for sup, note_id in reversed(list(_calls(root)))]
    while pending:
        sup, note_id, leading = pending.pop()
        calls.append(sup)
        a = sup[0]
        a.set("class", "noteref")
        a.set("role", "doc-noteref")
        if epub:
            a.set(EPUB_TYPE, "noteref")
        if note_id in seen or note_id not in notes:
            continue
        seen.add(note_id)
        a.set("id", sup.get("id"))
        aside = _aside(notes[note_id], note_id, a.text, sup.get("id"), epub, label)
        leading = a if leading is None else leading
        asides.append((leading, aside))
        pending.extend((inner, inner_id, leading) for inner, inner_id in reversed(list(_calls(aside))))
    for sup in calls:  # unwrap <sup>: the noteref carries its own raised style
        a = sup[0]
        a.tail = sup.tail
        sup.getparent().replace(sup, a)
    return asides


def _aside(note, note_id: str, number: str, call_id: str, epub: bool, label: str):
    """The note's blocks in an aside named "`label` `number`", its first paragraph opening with the number linked
    back to the call."""
    aside = element("aside", None, id=note_id, role="doc-footnote", aria_label=f"{label} {number}")
    aside.set("class", "footnote")
    if epub:
        aside.set(EPUB_TYPE, "footnote")
    for child in note:
        aside.append(copy.deepcopy(child))
    back = element("a", f"{number}.", href="#" + call_id, role="doc-backlink")
    back.tail = " "
    first = aside[0] if len(aside) and aside[0].tag == "p" else None
    if first is None:
        first = element("p")
        aside.insert(0, first)
    back.tail += first.text or ""
    first.text = None
    first.insert(0, back)
    return aside


def _bind_to_word_before(node) -> None:
    """Wrap `node` and the word before it in a no-wrap span, so a line never starts with the number."""
    previous, parent = node.getprevious(), node.getparent()
    before = (previous.tail if previous is not None else parent.text) or ""
    head, _, word = before.rpartition(" ")
    if not word:
        return
    wrapper = element("span", word)
    wrapper.set("class", "nowrap")
    if previous is not None:
        previous.tail = head + " " if head or before.startswith(" ") else head
    else:
        parent.text = head + " " if head or before.startswith(" ") else head
    wrapper.tail, node.tail = node.tail, None
    node.addprevious(wrapper)
    wrapper.append(node)


def _calls(root):
    for sup in root.iter("sup"):
        if len(sup) == 1 and sup[0].tag == "a" and sup[0].get("class") == "footnote-ref":
            yield sup, sup[0].get("href", "")[1:]


def _strip_trailing_space(li) -> None:
    """Python-Markdown puts a no-break space before the backlink it ends the note with."""
    last = li[-1] if len(li) else li
    if len(last):
        last[-1].tail = (last[-1].tail or "").rstrip("\u00a0 \n") or None
    elif last.text:
        last.text = last.text.rstrip("\u00a0 \n")
