"""HTML as people paste it, brought within what XHTML allows: the EPUB's schema refuses what a browser forgives.

- ids: unique, clear of the ids the edition templates use, and usable in a #fragment; links follow them.
  Every heading has one (Markdown gives its own; one written as raw HTML gets one from its words).
- lists: only <li> directly in <ul>/<ol> (a list nested without its <li> joins the item before it).
- definition lists: no <dd> before the first <dt>.
- phrasing: no block inside a paragraph, heading or preformatted block (its words stay, its tag goes).

`settle` is the EPUB's last pass, once its templates and page markers are in: ids unique per file, links answered.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .xhtml import HEADINGS, local_name, unwrap

# Ids the edition templates give their own parts (title page, text, colophon, contents, nav, page list).
RESERVED_IDS = frozenset({"titlepage", "text", "colophon", "colophon-heading", "cover", "contents-heading", "toc",
                          "toc-heading", "landmarks", "landmarks-heading", "page-list", "page-list-heading"})
RESERVED_ID = re.compile(r"^pagebreak-\d+$")  # the EPUB's print page markers
NOT_ID = re.compile(r"[^\w.-]+")  # what would break a #fragment or a URL
PHRASING_ONLY = frozenset({"p", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "span", "em", "strong", "b", "i", "u", "s",
                           "code", "small", "sub", "sup", "cite", "q", "abbr", "dfn", "mark", "kbd", "samp", "var",
                           "bdi", "bdo", "ruby", "rt", "rp", "caption", "figcaption", "dt"})
FLOW_ONLY = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
                       "pre", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "figure", "figcaption",
                       "section", "aside", "header", "footer", "address", "hr"})


def repair(tree) -> None:
    """Bring `tree` (an lxml body under a <div>) within the XHTML content model, in place."""
    _phrasing(tree)
    _lists(tree)
    _definitions(tree)
    _ids(tree)


def _ids(tree) -> None:
    """Rename ids that repeat, clash with a template's or hold characters a fragment cannot, and give a heading
    written as raw HTML the id Markdown gives its own; #links follow the first element of each id.

    The notes' own ids (their calls' fnref-N, their fn-N) are claimed first: the notes and their calls find each
    other by them (notes.py), so a text's own {: #fn-1 } is the one renamed, not the note it would have hidden."""
    seen: set[str] = set()
    first: dict[str, str] = {}
    notes = [element for element in tree.iter() if note_part(element)]
    for element in notes + [element for element in tree.iter() if not note_part(element)]:
        old = element.get("id")
        if old is None and element.tag not in HEADINGS:
            continue
        new = NOT_ID.sub("-", old if old is not None else "".join(element.itertext()).lower()).strip("-") or "id"
        new = fresh_id(new, seen)
        seen.add(new)
        if old is not None:
            first.setdefault(old, new)
        if new != old:
            element.set("id", new)
    for a in tree.iter("a"):
        href = a.get("href", "")
        if href.startswith("#") and first.get(href[1:], href[1:]) != href[1:]:
            a.set("href", "#" + first[href[1:]])


def fresh_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `-3`, … when it is taken or is one of the ids the editions give their own parts."""
    if wanted not in taken and wanted not in RESERVED_IDS and not RESERVED_ID.match(wanted):
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def note_part(element) -> bool:
    """A note call (<sup><a class="footnote-ref">) or a note (<li id="fn-…"> in the notes list) Markdown wrote."""
    if element.tag == "sup":
        return len(element) == 1 and element[0].tag == "a" and element[0].get("class") == "footnote-ref"
    listing = element.getparent() if element.tag == "li" else None
    return (listing is not None and listing.tag == "ol" and (element.get("id") or "").startswith("fn-")
            and listing.getparent() is not None and listing.getparent().get("class") == "footnote")


def _lists(tree) -> None:
    for parent in list(tree.iter("ul", "ol")):
        if (parent.text or "").strip():
            item = parent.makeelement("li", {})
            item.text, parent.text = parent.text, None
            parent.insert(0, item)
        for child in list(parent):
            if child.tag == "li" or not isinstance(child.tag, str):
                continue
            previous = child.getprevious()
            if child.tag in ("ul", "ol") and previous is not None and previous.tag == "li":
                previous.append(child)  # a nested list written without its <li>: it belongs to the item before
                continue
            item = parent.makeelement("li", {})
            child.addprevious(item)
            item.append(child)
        for child in parent:  # words after an item belong in it
            if child.tail and child.tail.strip():
                last = child[-1] if len(child) else None
                if last is not None:
                    last.tail = (last.tail or "") + child.tail
                else:
                    child.text = (child.text or "") + child.tail
                child.tail = None


def _definitions(tree) -> None:
    for dl in tree.iter("dl"):
        for child in dl:
            if child.tag == "dt":
                break
            if child.tag == "dd":  # a definition without a term: an empty one keeps the list valid
                child.addprevious(dl.makeelement("dt", {}))
                break


def _phrasing(tree) -> None:
    """A block inside a paragraph, heading or <pre> loses its tag (raw HTML such as <pre> around Markdown)."""
    for element in list(tree.iter(*PHRASING_ONLY)):
        for block in [e for e in element.iterdescendants() if e.tag in FLOW_ONLY]:
            if element.tag == "pre":  # its lines stay lines
                block.tail = "\n" + (block.tail or "")
            if block.get("id"):  # links to it still land there
                anchor = block.makeelement("span", {"id": block.get("id")})
                anchor.tail, block.text = block.text, None
                block.insert(0, anchor)
            unwrap(block)


def settle(files: dict[str, object]) -> None:
    """The last pass over XHTML files that link to one another (the EPUB's, templates and page markers in): each id
    once in its file, each #fragment link to an id its file holds (else the words stay, without the link), each
    aria-labelledby to an id of its own file. The stages before keep this true; this keeps it true whatever a
    project's own templates add."""
    ids = {name: _unique_in(tree) for name, tree in files.items()}
    for name, tree in files.items():
        for node in list(tree.iter()):
            if not isinstance(node.tag, str):
                continue
            for attribute in ("aria-labelledby", "aria-describedby"):
                if node.get(attribute) is not None and not set(node.get(attribute).split()) <= ids[name]:
                    del node.attrib[attribute]
            href = node.get("href") if local_name(node) == "a" else None
            if href is None or "#" not in href or ":" in href.partition("#")[0]:
                continue
            target, _, fragment = href.partition("#")
            if (target or name) in files and not {fragment, unquote(fragment)} & ids[target or name]:
                del node.attrib["href"]
                if node.get("id") is None:
                    unwrap(node)


def _unique_in(tree) -> set[str]:
    """Rename every repeat of an id in `tree` (the first keeps it); return the ids."""
    seen: set[str] = set()
    for node in tree.iter():
        if isinstance(node.tag, str) and node.get("id") is not None:
            if node.get("id") in seen:
                node.set("id", fresh_id(node.get("id"), seen))
            seen.add(node.get("id"))
    return seen
