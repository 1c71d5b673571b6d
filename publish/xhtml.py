"""The body fragment as an lxml tree: parse, serialise, and the EPUB namespace, for the edition transforms."""

from __future__ import annotations

import re

EPUB_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "section", "div", "aside",
                    "table", "pre", "ol", "ul", "dl", "hr"})
_EPUB_XMLNS = re.compile(f' xmlns:epub="{re.escape(EPUB_NS)}"')


def parse(fragment: str):
    """The fragment's elements under one unqualified <div>."""
    from lxml import etree

    return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{fragment}</div>')


def serialize(root) -> str:
    """The children of `root` as XHTML text; the epub: prefix is declared once by the page template."""
    from lxml import etree

    inner = (root.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in root)
    return _EPUB_XMLNS.sub("", inner)


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
