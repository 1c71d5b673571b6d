"""Print page numbers in the EPUB: where each page of the A5 PDF begins, found in WeasyPrint's layout.

Each page's lines of text (its main flow; not running heads, folios, footnotes, generated numbers or
what the print edition alone has, marked "print-only")
are looked up in order in the EPUB's text, so the marker for page N sits where page N's first line
starts. Images count as lines of their own (the n-th image of the book on both sides), so a page
that opens with a figure is marked before the figure. A page that starts inside a hyphenated word
gets its marker after that word."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import count

from .xhtml import BLOCKS, element, local_name

KEEP_INSIDE = frozenset({"li", "td", "th", "dt", "dd", "figcaption", "caption"})
LIST_PARENTS = frozenset({"ol", "ul", "dl", "table", "thead", "tbody", "tfoot", "tr"})
NOT_IN_PRINT_FLOW = frozenset({"doc-noteref", "doc-footnote"})  # set as page-bottom notes in the PDF


@dataclass(frozen=True)
class PageTarget:
    label: str
    file: str
    id: str


def page_lines(laid_out) -> list[list[str]]:
    """The text of each line in each page's main flow, from a WeasyPrint Document."""
    from weasyprint.formatting_structure import boxes

    images = count()

    def lines(box, out: list[str]) -> None:
        if "print-only" in (getattr(box, "element", None) is not None and box.element.get("class") or ""):
            return
        if isinstance(box, boxes.ReplacedBox) and box.element_tag == "img":
            out.append(_image_token(next(images)))
        elif isinstance(box, boxes.LineBox):
            text = "".join(texts(box))
            if text.strip():
                out.append(text)
            return
        for child in getattr(box, "children", ()):
            lines(child, out)

    def texts(box) -> Iterable[str]:
        if "::" in (box.element_tag or ""):  # list numbers, footnote calls, generated content
            return
        if isinstance(box, boxes.TextBox):
            yield box.text
        elif isinstance(box, boxes.ReplacedBox) and box.element_tag == "img":
            yield _image_token(next(images))
        for child in getattr(box, "children", ()):
            yield from texts(child)

    pages = []
    for page in laid_out.pages:
        found: list[str] = []
        for child in page._page_box.children:
            if not isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
                lines(child, found)
        pages.append(found)
    return pages


def mark_pages(parts: list[tuple[str, object]], pages: list[list[str]]) -> list[PageTarget]:
    """Insert a pagebreak marker for every page into `parts` ((file, XHTML tree) in reading order)."""
    chunks, stream, where = _text_stream(parts)
    starts: list[int | None] = []
    cursor = 0
    for lines in pages:
        start = None
        for line in lines:
            found = _find(stream, _normal(line), cursor)
            if found is not None:
                start = found[0] if start is None else start
                cursor = found[1]
        starts.append(start)
    # A page with no text of its own (a blank verso) is marked where the next page begins.
    following = len(stream)
    for n in range(len(starts) - 1, -1, -1):
        starts[n] = following = starts[n] if starts[n] is not None else following
    groups: dict[int, list[int]] = {}
    for number, start in enumerate(starts, start=1):
        groups.setdefault(start, []).append(number)
    targets = []
    for start in sorted(groups, reverse=True):  # from the end, so earlier offsets stay valid
        chunk, offset = where[start] if start < len(where) else (len(chunks) - 1, len(chunks[-1][3]))
        file, node, kind, text = chunks[chunk]
        markers = [_marker(n) for n in groups[start]]
        _insert(node, kind, _after_word(text, offset), markers)
        targets += [PageTarget(str(n), file, f"pagebreak-{n}") for n in groups[start]]
    return sorted(targets, key=lambda t: int(t.label))


def _text_stream(parts):
    """Every text node in reading order, and the text without spaces, case-folded, mapped back to them."""
    chunks: list[tuple[str, object, str, str]] = []

    images = count()

    def walk(file: str, node) -> None:
        if node.tag != "{http://www.w3.org/1999/xhtml}head" and node.get("role") not in NOT_IN_PRINT_FLOW:
            if local_name(node) == "img":
                chunks.append((file, node, "before", _image_token(next(images))))
            if node.text:
                chunks.append((file, node, "text", node.text))
            for child in node:
                if isinstance(child.tag, str):
                    walk(file, child)
        if node.tail and local_name(node) not in ("body", "html"):  # text after the body is no page's: a marker
            chunks.append((file, node, "tail", node.tail))          # put there is outside the document (RSC-005)

    for file, tree in parts:
        walk(file, tree)
    chars, where = [], []
    for n, (_, _, _, text) in enumerate(chunks):
        for offset, char in enumerate(text):
            if char.isspace() or char == "\u00ad":  # what _normal leaves out
                continue
            folded = char.casefold()  # one letter, or more ("ß" -> "ss"), each mapped back to it
            chars.append(folded)
            where += [(n, offset)] * len(folded)
    return chunks, "".join(chars), where


def _image_token(n: int) -> str:
    return f"\ufffcimage{n}\ufffc"


def _normal(text: str) -> str:
    return "".join(char for char in text.casefold() if not char.isspace() and char != "\u00ad")


def _find(stream: str, needle: str, cursor: int) -> tuple[int, int] | None:
    """Where a line is, from `cursor` on; a line broken by hyphenation is tried without its hyphen."""
    for candidate in (needle, needle[:-1] if needle.endswith("-") else None):
        if candidate:
            at = stream.find(candidate, cursor)
            if at >= 0:
                return at, at + len(candidate)
    return None


def _after_word(text: str, offset: int) -> int:
    if 0 < offset < len(text) and text[offset - 1].isalnum() and text[offset].isalnum():
        while offset < len(text) and text[offset].isalnum():
            offset += 1
    return offset


def _marker(number: int):
    return element("span", None, id=f"pagebreak-{number}", role="doc-pagebreak", aria_label=str(number),
                   epub_type="pagebreak")


def _insert(node, kind: str, offset: int, markers: list) -> None:
    """Put `markers` at `offset` in the node's text or tail, or before an image; at the start of a block, before the block."""
    text = (node.text if kind == "text" else node.tail) or ""
    if kind == "before" or (kind == "text" and not text[:offset].strip()):
        start = _block_start(node)
        if local_name(start.getparent()) not in LIST_PARENTS and (local_name(start) in BLOCKS or start is node and kind == "before"):
            for marker in markers:
                start.addprevious(marker)
            return
        node, kind, text, offset = start, "text", start.text or "", 0
    markers[-1].tail = text[offset:]
    if kind == "text":
        node.text = text[:offset]
        for index, marker in enumerate(markers):
            node.insert(index, marker)
    else:
        node.tail = text[:offset]
        for marker in reversed(markers):
            node.addnext(marker)


def _block_start(node):
    """Climb from an element whose content starts at a page to the outermost element that starts there too."""
    while local_name(node) not in KEEP_INSIDE:
        parent = node.getparent()
        if parent is None or local_name(parent) == "body" or parent[0] is not node or (parent.text or "").strip():
            break
        node = parent
    return node
