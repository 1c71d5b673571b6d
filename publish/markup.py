"""Markdown -> a Document: one checked HTML fragment shared by every edition."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import markdown
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from .errors import Diagnostic, PublishError
from .labels import join_names
from .sources import Meta, Source, check_image
from .typography import TypographyTreeprocessor, smarty_config

SAFE_SCHEMES = ("http://", "https://", "mailto:")
# Attributes Markdown and attribute lists may set; event handlers and styles could run or fetch things.
SAFE_ATTRIBUTES = {"id", "class", "href", "src", "alt", "title", "lang", "dir", "colspan", "rowspan", "start", "reversed", "value"}
TABLE_ALIGN = re.compile(r"^text-align: (left|right|center);$")
NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Asset:
    """A file the text refers to: copied into the EPUB, inlined in the web page."""

    path: Path
    href: str


@dataclass(frozen=True)
class Document:
    """A source turned into HTML: what the edition templates are filled with."""

    source: Source
    body: str
    headings: tuple[Heading, ...]
    assets: tuple[Asset, ...]
    inline: dict[str, str]  # front-matter text set as HTML (quotes, dashes, *emphasis*)
    plain: dict[str, str]  # the same as plain text, for metadata

    @property
    def meta(self) -> Meta:
        return self.source.meta


class SafetyCheck(Treeprocessor):
    """Refuse links, images and attributes that would reach outside the pamphlet; collect images; make figures."""

    def __init__(self, md, source: Source) -> None:
        super().__init__(md)
        self.source = source
        self.problems: list[Diagnostic] = []
        self.assets: dict[str, Asset] = {}

    def run(self, root: ET.Element) -> None:
        ids = {e.get("id") for e in root.iter() if e.get("id")}
        for parent in list(root.iter()):
            for child in list(parent):
                self._attributes(child)
                if child.tag == "a":
                    self._link(parent, child, ids)
                elif child.tag == "img":
                    self._image(child)
        self._figures(root)

    def _attributes(self, element: ET.Element) -> None:
        for name, value in element.attrib.items():
            if name not in SAFE_ATTRIBUTES and not (name == "style" and TABLE_ALIGN.match(value)):
                self._problem(name, "P121", f"attribute {name!r} is not allowed (allowed: {', '.join(sorted(SAFE_ATTRIBUTES))})")

    def _link(self, parent: ET.Element, a: ET.Element, ids: set[str]) -> None:
        href = a.get("href", "")
        if href in ("", "#"):  # scraped empty links: keep the words, drop the link
            _unwrap(parent, a)
        elif href.startswith("#"):
            if href[1:] not in ids:
                self._problem(href, "P122", f"link {href!r}: no heading or element has the id {href[1:]!r}")
        elif not href.startswith(SAFE_SCHEMES):
            self._problem(href, "P120", f"link {href!r}: only http(s), mailto and #fragment links are allowed")

    def _image(self, img: ET.Element) -> None:
        src = img.get("src", "")
        try:
            path = check_image(src, self.source.folder)
        except ValueError as exc:
            self._problem(src, "P105", f"image {exc}")
            return
        self.assets.setdefault(src, Asset(path, src))

    def _figures(self, root: ET.Element) -> None:
        """A paragraph holding only an image becomes a figure; its title becomes the caption."""
        for p in root.iter("p"):
            kids = list(p)
            if len(kids) == 1 and kids[0].tag == "img" and not (p.text or "").strip() and not (kids[0].tail or "").strip():
                img = kids[0]
                p.tag, p.text = "figure", None
                title = img.attrib.pop("title", "")
                img.tail = None
                if title:
                    ET.SubElement(p, "figcaption").text = title

    def _problem(self, needle: str, code: str, message: str) -> None:
        line, col = _locate(self.source, needle)
        self.problems.append(Diagnostic(self.source.display, line, col, code, message))


def _unwrap(parent: ET.Element, child: ET.Element) -> None:
    """Replace `child` by its content inside `parent`."""
    index = list(parent).index(child)
    text = (child.text or "")
    if len(child):
        grandchildren = list(child)
        for offset, grandchild in enumerate(grandchildren):
            parent.insert(index + 1 + offset, grandchild)
        grandchildren[-1].tail = (grandchildren[-1].tail or "") + (child.tail or "")
    else:
        text += child.tail or ""
    previous = parent[index - 1] if index else None
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text
    parent.remove(child)


def _locate(source: Source, needle: str) -> tuple[int, int]:
    """Line and column of `needle` in the body: as a link target or attribute first, else anywhere."""
    lines = source.body.splitlines()
    for pattern in (f"]({needle}", f"]: {needle}", f"<{needle}>", f"{needle}=", needle):
        for number, line in enumerate(lines):
            col = line.find(pattern)
            if col >= 0:
                return source.body_line + number, col + 1 + (len(pattern) - len(needle) if pattern.startswith(("]", "<")) else 0)
    return source.body_line, 1


INLINE_KEYS = ("title", "subtitle", "summary", "caption", "photo_credit", "publisher", "license")
LIST_KEYS = ("author", "translator")
TAG = re.compile(r"<[^>]+>")


def to_document(source: Source) -> Document:
    """Convert the Markdown body; raise PublishError listing every bad link or image."""
    md = _markdown(source)
    checker = SafetyCheck(md, source)
    md.treeprocessors.register(checker, "publish-links", 4)
    body = _xml_entities(md.convert(source.body))
    if checker.problems:
        raise PublishError(sorted(checker.problems))
    headings = tuple(_headings(md.toc_tokens))
    inline, plain = _front_matter_text(source)
    assets = dict(checker.assets)
    if source.meta.image:  # the lead photo travels with the text too
        assets.setdefault(source.meta.image, Asset(check_image(source.meta.image, source.folder), source.meta.image))
    return Document(source, body, headings, tuple(assets.values()), inline, plain)


def _front_matter_text(source: Source) -> tuple[dict[str, str], dict[str, str]]:
    """Typeset the front-matter strings with the same Markdown and typography as the body."""
    md = _markdown(source)
    inline: dict[str, str] = {}
    for key in INLINE_KEYS:
        inline[key] = _inline(md, getattr(source.meta, key))
    for key in LIST_KEYS:
        names = tuple(_inline(md, name) for name in getattr(source.meta, key))
        inline[key] = join_names(names, source.meta.lang)
    plain = {key: plain_text(value) for key, value in inline.items()}
    return inline, plain


def plain_text(fragment: str) -> str:
    """An HTML fragment's text: tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", fragment))


def _inline(md: markdown.Markdown, text: str) -> str:
    if not text:
        return ""
    converted = _xml_entities(md.reset().convert(text))
    return converted.removeprefix("<p>").removesuffix("</p>")


def _markdown(source: Source) -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "def_list", "toc", "smarty"],
        extension_configs={
            "toc": {"slugify": slugify_unicode, "toc_depth": "2-3"},
            "footnotes": {"SEPARATOR": "-"},  # ids without ":" are valid XML names
            "smarty": smarty_config(source.meta.lang),
        },
        output_format="xhtml",
    )
    # Raw HTML in a pamphlet is never needed and is how scripts and remote files get in: show it as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(TypographyTreeprocessor(md, source.meta.lang), "publish-typography", 3)
    return md


def _headings(tokens: list[dict]):
    for token in tokens:
        yield Heading(token["level"], token["id"], html.unescape(token["name"]))
        yield from _headings(token["children"])


def _xml_entities(fragment: str) -> str:
    """Named HTML entities are not XML: write them as characters so the EPUB's XHTML parses."""
    return NAMED_ENTITY.sub(
        lambda m: m.group(0) if m.group(1) in XML_ENTITIES else html.unescape(m.group(0)), fragment
    )
