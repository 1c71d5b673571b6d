"""Front-matter values as inline text: emphasis, code and links, under the body's link and attribute rules.

A value is set inside a heading, a paragraph of the cover or the colophon, and in metadata, so it never becomes a
block: it is read by a Markdown with the paragraph as its only block, on one line, and it never takes HTML. Its
images are refused (P105), its links follow links.py (P120) and its attributes a short list (P121), each problem
at the line of the value's key.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import lxml.html
import markdown
import nh3
from markdown.blockprocessors import ParagraphProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import Registry

from .errors import Diagnostic
from .labels import join_names
from .links import KEPT_SCHEMES, LinkPolicy, Project, Verdict, unlink
from .sources import Source
from .typography import TypographyTreeprocessor, smarty_config
from .xhtml import serialize

INLINE_KEYS = ("title", "subtitle", "summary", "caption", "photo_credit", "publisher", "license")
LIST_KEYS = ("author", "translator")
# What a value may come out as. No `id`: a value is set two or three times in one edition (cover, title page,
# colophon), and an id given twice is invalid.
VALUE_TAGS = {"a", "em", "strong", "code"}
VALUE_ATTRIBUTES = {"class", "lang", "dir", "title"}
WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")  # ASCII only: a no-break space typed in a value stays one


@dataclass(frozen=True)
class Values:
    """The front-matter values as inline XHTML and as plain text, and what was wrong with them."""

    inline: dict[str, str]  # key -> inline XHTML (quotes, dashes, *emphasis*, links)
    plain: dict[str, str]  # key -> the same as text, for metadata and <title>
    names: dict[str, tuple[str, ...]]  # author, translator -> each name as text (EPUB creators)
    errors: tuple[Diagnostic, ...]  # an image in a value (P105), nothing left to read (P104), emphasis too deep (P111)
    warnings: tuple[Diagnostic, ...]  # links not followed (P120), attributes left out (P121)


def front_matter(source: Source) -> Values:
    """Set every text value of the front matter as one line of inline text, checking it like the body."""
    reader = _Reader(source)
    inline: dict[str, str] = {}
    plain: dict[str, str] = {}
    names: dict[str, tuple[str, ...]] = {}
    for key in INLINE_KEYS:
        inline[key], plain[key] = reader.value(key, getattr(source.meta, key))
    for key in LIST_KEYS:
        pairs = [reader.value(key, name) for name in getattr(source.meta, key)]
        inline[key] = join_names(tuple(html for html, _ in pairs), source.meta.lang)
        plain[key] = join_names(tuple(text for _, text in pairs), source.meta.lang)
        names[key] = tuple(text for _, text in pairs)
    problems = sorted(set(reader.problems))
    return Values(inline, plain, names, tuple(d for d in problems if d.severity == "error"),
                  tuple(d for d in problems if d.severity != "error"))


class _Reader:
    """One inline-only Markdown for all of a source's values, and the problems found in them."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Diagnostic] = []
        self.md = _markdown(source.meta.lang)
        self.attributes = AttributeCheck(self.md)
        self.md.treeprocessors.register(self.attributes, "publish-value-attributes", 4)

    def value(self, key: str, text: str) -> tuple[str, str]:
        """The value as inline XHTML and as text."""
        text = WHITESPACE.sub(" ", text).strip()  # a YAML block of several lines is one line of text
        if not text:
            return "", ""
        self.attributes.found = []
        try:
            converted = self.md.reset().convert(text)
        except RecursionError:  # Python-Markdown recurses per level of emphasis
            self._problem(key, "P111", "the value is nested too deeply to convert (emphasis inside emphasis "
                                       "thousands of times)")
            return "", ""
        for name in dict.fromkeys(self.attributes.found):
            self._problem(key, "P121", f"attribute {name!r} is not allowed in a front-matter value and is left out "
                                       f"(allowed: {', '.join(sorted(VALUE_ATTRIBUTES))})", "warning")
        root = lxml.html.fragment_fromstring(converted, create_parent="div")  # entities decoded: &#106;avascript:
        images = self._images(key, root)
        self._links(key, root)
        cleaned = nh3.clean(serialize(root), tags=VALUE_TAGS, attributes={"*": VALUE_ATTRIBUTES, "a": {"href"}},
                            url_schemes=set(KEPT_SCHEMES), strip_comments=True, link_rel=None)
        root = lxml.html.fragment_fromstring(cleaned, create_parent="div")
        if not images and not "".join(root.itertext()).strip():  # "[](https://…)": an empty title is invalid EPUB
            self._problem(key, "P104", f"{text[:200]!r} has no words once its Markdown is read")
        return serialize(root), "".join(root.itertext())

    def _images(self, key: str, root) -> int:
        """A value is text: an image in it fails the source, as a missing or remote image in the body does."""
        images = list(root.iter("img"))
        for img in images:
            self._problem(key, "P105", f"image {img.get('src', '')[:200]!r} in a front-matter value: a value is text "
                                       "(put images in the text, or the lead photo in image and the cover in cover)")
            img.drop_tree()
        return len(images)

    def _links(self, key: str, root) -> None:
        """The body's link policy, except that a value can link neither into the text nor to another pamphlet."""
        policy = LinkPolicy(self.source.path, self.source.meta.source_url, Project())
        for a in list(root.iter("a")):
            href = a.get("href")
            if href is None:
                a.drop_tag()
                continue
            verdict = _into_text(href) or policy.judge(href, set())
            if verdict.code:
                self._problem(key, verdict.code, verdict.message, verdict.severity)
            if verdict.href is None:
                unlink(a)
            else:
                a.set("href", verdict.href)

    def _problem(self, key: str, code: str, message: str, severity: str = "error") -> None:
        line, col = self.source.key_lines.get(key, (1, 1))
        self.problems.append(Diagnostic(self.source.display, line, col, code, f"{key}: {message}", severity))


def _into_text(href: str) -> Verdict | None:
    """A #fragment in a value: the cover, title page and colophon are apart from the text (its own EPUB files)."""
    if href.strip().startswith("#") and href.strip() != "#":
        return Verdict(None, "P120", f"link {href[:200]!r} cannot be followed (a front-matter value cannot link into "
                                     "the text): its words are kept without the link")
    return None


class AttributeCheck(Treeprocessor):
    """Drop the attributes an attribute list sets outside VALUE_ATTRIBUTES (and href, src, alt), noting their names."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.found: list[str] = []

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for name in list(element.attrib):
                if name not in VALUE_ATTRIBUTES | {"href", "src", "alt"}:
                    del element.attrib[name]
                    self.found.append(name)


def _markdown(lang: str) -> markdown.Markdown:
    """Python-Markdown reading inline syntax only: its one block processor makes the paragraph the value sits in."""
    md = markdown.Markdown(extensions=["attr_list", "smarty"], extension_configs={"smarty": smarty_config(lang)},
                           output_format="xhtml")
    md.parser.blockprocessors = Registry()  # no heading, list, quote, code block, rule or link definition
    md.parser.blockprocessors.register(ParagraphProcessor(md.parser), "paragraph", 10)
    md.preprocessors.deregister("html_block")  # front-matter values never take HTML: it is shown as typed
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(TypographyTreeprocessor(md, lang), "publish-typography", 3)
    return md
