"""The body fragment as an lxml tree: parse, serialise, and the EPUB namespace, for the edition transforms."""

from __future__ import annotations

import html
import re

EPUB_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "section", "div", "aside",
                    "table", "pre", "ol", "ul", "dl", "hr"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"})
_EPUB_XMLNS = re.compile(f' xmlns:epub="{re.escape(EPUB_NS)}"')


def parse(fragment: str):
    """The fragment's elements under one unqualified <div>."""
    from lxml import etree

    return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{fragment}</div>')


def serialize(root) -> str:
    """The children of `root` as XHTML that HTML parsers read the same way (<br/>, but never <p/>);
    the epub: prefix is declared once by the page template."""
    from lxml import etree

    open_empty(root)
    inner = html.escape(root.text or "", quote=False) + "".join(etree.tostring(child, encoding="unicode") for child in root)
    return _EPUB_XMLNS.sub("", inner)


def local_name(node) -> str:
    """The tag without its namespace: "{http://www.w3.org/1999/xhtml}p" -> "p"."""
    return node.tag.split("}")[-1]


def open_empty(root) -> None:
    """Give empty non-void elements an empty text, so lxml writes <td></td>, not <td/>."""
    for node in root.iter():
        if isinstance(node.tag, str) and local_name(node) not in VOID and node.text is None and not len(node):
            node.text = ""


def element(tag: str, text: str | None = None, **attributes: str):
    """A new element; `epub_type` becomes epub:type."""
    from lxml import etree

    if "epub_type" in attributes:
        attributes[EPUB_TYPE] = attributes.pop("epub_type")
    made = etree.Element(tag, {k.replace("_", "-") if k.startswith("aria") else k: v for k, v in attributes.items()},
                         nsmap={"epub": EPUB_NS})
    made.text = text
    return made


def remove_keeping_tail(node) -> None:
    """Remove `node` from its parent; its tail text stays where it was."""
    parent, previous = node.getparent(), node.getprevious()
    if node.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def unwrap(node) -> None:
    """Replace `node` by its text and children (lxml.html's drop_tag, for any lxml element)."""
    parent, previous, children = node.getparent(), node.getprevious(), list(node)
    index = parent.index(node)
    before = (node.text or "") + ("" if children else node.tail or "")
    if children:
        children[-1].tail = (children[-1].tail or "") + (node.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + before
    else:
        parent.text = (parent.text or "") + before
    parent.remove(node)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
