"""Markdown -> a Document: one checked HTML fragment shared by every edition."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import markdown
import nh3
from lxml import etree
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .config import RAW_HTML
from .errors import Diagnostic, PublishError
from .languages import missing
from .links import LinkPolicy, Project
from .outline import Heading, shape
from .repair import FLOW_ONLY, note_part, repair
from .sources import Meta, Source, check_image
from .translations import Edition
from .typography import TypographyTreeprocessor, smarty_config
from .values import front_matter
from .xhtml import serialize

# Attributes Markdown and attribute lists may set; event handlers and styles could run or fetch things.
SAFE_ATTRIBUTES = {"id", "class", "href", "src", "alt", "title", "lang", "dir", "colspan", "rowspan", "start", "reversed", "value"}
TABLE_ALIGN = re.compile(r"^text-align: (left|right|center);$")

# Raw HTML in the body ([tool.publish] raw_html): sanitised to the allowlist below, or passed through as written.
# What Markdown itself writes, and the inline and block tags a pamphlet may reasonably write by hand.
ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "img", "hr", "br", "wbr",
    "sup", "sub", "div", "span", "figure", "figcaption", "section", "aside", "header", "footer", "address",
    "abbr", "dfn", "small", "cite", "q", "del", "ins", "mark", "kbd", "samp", "var", "s", "u", "b", "i",
    "bdi", "bdo", "ruby", "rt", "rp",
}
# Dropped with everything inside them: code, styles, embedded pages and plugins, forms, foreign markup.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "noembed",
    "noframes", "template", "form", "button", "select", "textarea", "svg", "math", "title",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt"},
    "th": {"colspan", "rowspan", "style"},  # style: text-align only, as Markdown tables write it
    "td": {"colspan", "rowspan", "style"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}
CELL_ALIGN = re.compile(r"(?:^|;)\s*text-align\s*:\s*(left|right|center|justify|start|end)\s*(?:;|$)", re.IGNORECASE)
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")  # no ":": a prefix would be unbound in the XHTML
# Elements inside each other: WeasyPrint lays out recursively (about 240 levels of lists break it) and
# libxml2 silently cuts a tree at 255, so anything deeper is refused (P111) rather than lost or crashed on.
MAX_DEPTH = 100
# Elements whose content is not shown (or is dropped with them): one left open swallows the rest of the text.
SWALLOWING = re.compile(r"<(script|style|textarea|title|iframe|noscript|noembed|noframes|template|xmp|object|svg|math)\b",
                        re.IGNORECASE)
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
    headings: tuple[Heading, ...]  # the outline: sections (<h2>) and two levels under them
    assets: tuple[Asset, ...]
    inline: dict[str, str]  # front-matter text set as inline HTML (quotes, dashes, *emphasis*, links): values.py
    plain: dict[str, str]  # the same as plain text, for metadata
    warnings: tuple[Diagnostic, ...] = ()  # lint: what builds but readers will miss
    linked: tuple[Path, ...] = ()  # the project's pamphlet files its links were looked up in, found or not
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # author, translator: each name as plain text
    editions: tuple[Edition, ...] = ()  # every language edition of its text, its own included; () if it has no other

    @property
    def meta(self) -> Meta:
        return self.source.meta


class MarkdownInBlocks(Preprocessor):
    """Markdown written between a block tag on a line of its own and a blank line is Markdown, as CommonMark (and
    pandoc, which writes texts so) has it: <div class="chapter"> then a blank line then "# Chapter 1". Python-Markdown
    would keep all of it raw up to </div>, so converted texts printed their Markdown as letters; md_in_html's
    markdown="1" says to read it as Markdown."""

    OPENING = re.compile(r"^(<(?:div|section|article|aside|header|footer|main|nav|figure)\b(?![^>]*\bmarkdown=)[^>]*?)(/?)>\s*$")

    def run(self, lines: list[str]) -> list[str]:
        out = []
        for n, line in enumerate(lines):
            match = self.OPENING.match(line)
            if match and not match.group(2) and (n + 1 == len(lines) or not lines[n + 1].strip()):
                line = f'{match.group(1)} markdown="1">'
            out.append(line)
        return out


class AttributeCheck(Treeprocessor):
    """Drop, with a warning, attributes that Markdown's attribute lists set outside the allowlist (raw HTML is
    stashed and not seen here: the sanitiser has its own list)."""

    def __init__(self, md, source: Source) -> None:
        super().__init__(md)
        self.source = source
        self.problems: list[Diagnostic] = []

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for name, value in list(element.attrib.items()):
                if name not in SAFE_ATTRIBUTES and not (name == "style" and TABLE_ALIGN.match(value)):
                    del element.attrib[name]
                    self.problems.append(_problem(self.source, name, "P121", f"attribute {name!r} is not allowed and "
                                                  f"is left out (allowed: {', '.join(sorted(SAFE_ATTRIBUTES))})", "warning"))


class ImageCheck:
    """Every image the text asks for, raw HTML included, must be a sound file in the source's folder (P105)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Diagnostic] = []
        self.images: dict[str, Path | None] = {}  # src -> the checked file, or None when refused

    def images_in(self, root: etree._Element) -> None:
        """Check every image before sanitising would quietly drop a data: or file: src."""
        for img in root.iter("img"):
            src = img.get("src")
            if src is None:
                self.problems.append(_problem(self.source, "<img", "P105", "image without a src"))
            else:
                self._image(src)

    def assets_in(self, root: etree._Element) -> dict[str, Asset]:
        """The good images still in the tree, in order of appearance (the sanitiser only ever removes a src)."""
        return {src: Asset(path, src) for img in root.iter("img") if (src := img.get("src")) is not None
                and (path := self._image(src))}

    def _image(self, src: str) -> Path | None:
        if src not in self.images:
            try:
                self.images[src] = check_image(src, self.source.folder)
            except ValueError as exc:
                self.images[src] = None
                self.problems.append(_problem(self.source, src, "P105", f"image {exc}"))
        return self.images[src]


def _figures(root: etree._Element) -> None:
    """A paragraph holding only an image becomes a figure; its title becomes the caption."""
    for p in list(root.iter("p")):
        kids = list(p)
        if len(kids) == 1 and kids[0].tag == "img" and not (p.text or "").strip() and not (kids[0].tail or "").strip():
            img = kids[0]
            p.tag, p.text, img.tail = "figure", None, None
            title = img.attrib.pop("title", "")
            if title:
                etree.SubElement(p, "figcaption").text = title


def _list_items(root: etree._Element) -> None:
    """Each list gets class "list" and each item's content one wrapper of class "item-text" (a <span>, or a <div>
    around blocks), so that styles/base.css can colour the numbers through the item itself and set its words back
    in the text's colour, face and weight. ::marker rules would do it without the wrapper, but Calibre's conversion
    for Kindle drops them (tests/test_epub_css.py). The notes' own list (notes.py takes it apart) is left alone."""
    for listing in list(root.iter("ol", "ul")):
        items = [item for item in listing if item.tag == "li"]
        if any(note_part(item) for item in items):
            continue
        listing.set("class", " ".join((listing.get("class") or "").split() + ["list"]))
        for item in items:
            if not len(item) and not (item.text or "").strip():
                continue
            blocks = any(isinstance(e.tag, str) and e.tag in FLOW_ONLY for child in item for e in child.iter())
            wrapper = etree.Element("div" if blocks else "span", {"class": "item-text"})
            wrapper.text, item.text = item.text, None
            wrapper.extend(list(item))
            item.append(wrapper)


# A note's call, [^label]: the label without spaces, brackets, parentheses or backslashes. Python-Markdown's own
# pattern takes any text up to a "]", so the link [^(\[1\])](#ftn1) that converters write for a note number
# became a call of the note "(\[1\", and the rest of the link stray characters.
NOTE_CALL = re.compile(r"\[\^([^\]\[\s\\()]+)\]")


def _problem(source: Source, needle: str, code: str, message: str, severity: str = "error") -> Diagnostic:
    line, col = _locate(source, needle)
    return Diagnostic(source.display, line, col, code, message, severity)


def _locate(source: Source, needle: str) -> tuple[int, int]:
    """Line and column of `needle` in the body: as a link target or attribute first, else anywhere."""
    lines = source.body.splitlines()
    patterns = (f"]({needle}", f"]: {needle}", f"<{needle}>", f"{needle}=", f'="{needle}"', f"='{needle}'", needle)
    for pattern in patterns:
        for number, line in enumerate(lines):
            col = line.find(pattern)
            if col >= 0:
                return source.body_line + number, col + 1 + (pattern.find(needle) if pattern[0] in "]<=" else 0)
    for number, line in enumerate(lines):  # written with entities (&#106;avascript:): the line, at least
        if needle in html.unescape(line):
            return source.body_line + number, 1
    return source.body_line, 1


TAG = re.compile(r"<[^>]+>")


def to_document(source: Source, raw_html: str = "sanitise", project: Project | None = None) -> Document:
    """Convert the Markdown body; raise PublishError listing every missing or refused image (with the warnings).

    Raw HTML is sanitised to the allowlist (`raw_html="sanitise"`) or kept as written ("trusted");
    either way the body comes out as well-formed XHTML, and its images are checked. Links go where links.py
    says (`project` tells links to other pamphlets of the project from the rest), and headings are
    renumbered so that sections are <h2> (outline.py).
    """
    if raw_html not in RAW_HTML:
        raise ValueError(f"raw_html must be one of {', '.join(RAW_HTML)}, not {raw_html!r}")
    _check_nesting(source)
    try:
        return _to_document(source, raw_html, project or Project())
    except RecursionError:  # Python-Markdown recurses per level of emphasis, list and quote
        raise PublishError([Diagnostic(source.display, source.body_line, 1, "P111", "the text is nested too deeply to "
                                       "convert (emphasis, lists or quotes inside each other thousands of times)")]) from None


def _check_nesting(source: Source) -> None:
    """Refuse quotes and lists nested beyond MAX_DEPTH before Markdown recurses into them (P111, at the line)."""
    for number, line in enumerate(source.body.split("\n")):
        marks = len(line) - len(line.lstrip(" \t>"))
        quotes, indent = line[:marks].count(">"), len(line[:marks].replace(">", "").expandtabs(4))
        if quotes > MAX_DEPTH or indent > 4 * MAX_DEPTH:
            what = f"{quotes} levels of block quotes" if quotes > MAX_DEPTH else f"indented {indent} columns (lists nested that deep)"
            raise PublishError([Diagnostic(source.display, source.body_line + number, 1, "P111",
                                           f"{what}: text may be nested at most {MAX_DEPTH} levels deep")])


def _check_depth(source: Source, tree: etree._Element) -> None:
    """The converted text nested beyond MAX_DEPTH elements (raw HTML, or Markdown): P111 rather than a silent cut."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    if deepest > MAX_DEPTH:
        raise PublishError([Diagnostic(source.display, source.body_line, 1, "P111",
                                       f"elements nested {deepest}{'+' if deepest >= 250 else ''} levels deep: "
                                       f"text may be nested at most {MAX_DEPTH} levels deep")])


def _to_document(source: Source, raw_html: str, project: Project) -> Document:
    md = _markdown(source)
    attributes = AttributeCheck(md, source)
    md.treeprocessors.register(attributes, "publish-attributes", 4)
    converted = md.convert(source.body)
    images, links = ImageCheck(source), LinkPolicy(source.path, source.meta.source_url, project)
    tree = _parse(converted)
    _check_depth(source, tree)
    images.images_in(tree)  # every image asked for, before sanitising would quietly drop a data: or file: src
    if raw_html == "sanitise":
        links.judge_unsafe(tree)
        tree = _parse(sanitise(converted))
    assets = images.assets_in(tree)
    uncalled, unwritten = _notes(source, tree)
    repair(tree)
    _figures(tree)
    _list_items(tree)
    values = front_matter(source)
    headings, opening, left_out = shape(tree, values.plain["title"])
    links.apply(tree)
    warnings = attributes.problems + [_problem(source, href, v.code, v.message, v.severity) for href, v in links.problems()]
    warnings += list(values.warnings)
    warnings += _unclosed(source, converted) + uncalled
    if opening:
        what = "repeats the title: it is left out of the text, whose title page sets it" if left_out else \
            "stands alone above the others: it is kept as the text's own title, and the headings under it are its sections"
        warnings.append(_problem(source, opening, "P124", f"the first heading {opening!r} {what}", "note"))
    no_record = missing(source.meta.lang)
    if no_record:  # once per source, as a note: --strict does not fail on it
        warnings.append(Diagnostic(source.display, *source.key_lines.get("lang", (1, 1)), "P171", no_record, "note"))
    if images.problems or unwritten or values.errors:
        raise PublishError(sorted(set(images.problems + unwritten + list(values.errors) + warnings)))
    if source.meta.image:  # the lead photo travels with the text too
        assets.setdefault(source.meta.image, Asset(check_image(source.meta.image, source.folder), source.meta.image))
    return Document(source, serialize(tree), headings, tuple(assets.values()), values.inline, values.plain,
                    tuple(sorted(set(warnings))) + _missing_alt(source, tree), tuple(sorted(links.probed)), values.names)


def _notes(source: Source, tree) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Notes never called (warnings: they are left out) and calls of notes never written (errors: Python-Markdown
    leaves them as the letters "[^x]" in the text, in every edition)."""
    uncalled = []
    # Called: a call Markdown wrote links to it (a text's own id "fnref-2" does not call note 2).
    called = {a.get("href", "") for a in tree.iter("a") if a.get("class") == "footnote-ref"}
    for item in [li for li in tree.iter("li") if note_part(li)]:
        label = item.get("id").removeprefix("fn-")
        if f"#fn-{label}" not in called:
            item.getparent().remove(item)
            uncalled.append(_problem(source, f"[^{label}]:", "P113", f"note [^{label}] is never called: it is left "
                                     f"out (call it with [^{label}] where it belongs)", "warning"))
    unwritten: dict[str, Diagnostic] = {}
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        texts = [] if _in_code(element) else [element.text]
        texts += [] if element.getparent() is None or _in_code(element.getparent()) else [element.tail]
        for label in (m.group(1) for text in texts if text for m in NOTE_CALL.finditer(text)):
            unwritten.setdefault(label, _problem(source, f"[^{label}]", "P112", f"note [^{label}] is called but never "
                                                 f"written: add a line [^{label}]: and the note's text"))
    return uncalled, list(unwritten.values())


def _in_code(element) -> bool:
    return any(e.tag in ("code", "pre") for e in (element, *element.iterancestors()))


def _unclosed(source: Source, converted: str) -> list[Diagnostic]:
    """A raw <style>, <script>, … never closed takes every word after it along when it is dropped: say so (P125)."""
    found = []
    for match in SWALLOWING.finditer(converted):
        tag = match.group(1).lower()
        if not re.search(rf"</{tag}\s*>", converted[match.end():], re.IGNORECASE):
            found.append(_problem(source, match.group(0), "P125", f"<{tag}> is never closed: it is dropped, and with it "
                                  "all the text after it", "warning"))
            break  # what follows is inside it
    return found


def _missing_alt(source: Source, tree: etree._Element) -> tuple[Diagnostic, ...]:
    """A warning for the lead photo without `image_alt` and for each image in the text without alt text."""
    found = []
    if source.meta.image and not source.meta.image_alt.strip():
        line, col = source.key_lines.get("image", (1, 1))
        found.append(Diagnostic(source.display, line, col, "P110", "the lead image has no image_alt: screen readers "
                                "and e-readers will have nothing to say about it (the caption is not alt text)", "warning"))
    for img in tree.iter("img"):
        if not (img.get("alt") or "").strip():
            line, col = _locate(source, img.get("src", ""))
            found.append(Diagnostic(source.display, line, col, "P110", f"image {img.get('src')!r} has no alt text: "
                                    "write what it shows in ![…](…)", "warning"))
    return tuple(found)


def sanitise(fragment: str) -> str:
    """The HTML fragment reduced to the allowlist: no scripts, styles, event handlers, embeds or unsafe URLs."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_cell_style_only,
        url_schemes={"http", "https", "mailto"},  # relative paths and #fragments are kept, and checked afterwards
        filter_style_properties={"text-align"},
        strip_comments=True,
        link_rel=None,
    )


def _cell_style_only(tag: str, name: str, value: str) -> str | None:
    """Of a table cell's style only a plain alignment survives, written afresh."""
    if name != "style":
        return value
    align = CELL_ALIGN.search(value)
    return f"text-align: {align.group(1).lower()};" if align else None


def _parse(fragment: str) -> etree._Element:
    """An HTML fragment as a tree under a <div>, holding only what XML can say: no comments, no prefixed names."""
    root = lxml.html.fragment_fromstring(NOT_XML_CHAR.sub("", fragment), create_parent="div")
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        node.drop_tree()  # keeps the text after it
    for element in list(root.iter()):
        if element is not root and not XML_NAME.match(element.tag):  # <o:p> from a word processor: keep its words
            element.drop_tag()
            continue
        for name in list(element.attrib):
            if not XML_NAME.match(name) or name == "xmlns":
                del element.attrib[name]
    return root


def plain_text(fragment: str) -> str:
    """An HTML fragment's text: tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", fragment))


def _markdown(source: Source) -> markdown.Markdown:
    md = markdown.Markdown(
        # md_in_html: Markdown Extra's markdown="1" on raw HTML, as texts converted from other tools use it
        extensions=["footnotes", "tables", "attr_list", "def_list", "fenced_code", "toc", "smarty",
                    "md_in_html"],
        extension_configs={
            "toc": {"slugify": slugify_unicode},  # ids for every heading
            "footnotes": {"SEPARATOR": "-"},  # ids without ":" are valid XML names
            "smarty": smarty_config(source.meta.lang),
        },
        output_format="xhtml",
    )
    footnotes = md.inlinePatterns["footnote"]
    md.inlinePatterns.register(type(footnotes)(NOTE_CALL.pattern, footnotes.footnotes), "footnote", 175)
    md.preprocessors.register(MarkdownInBlocks(md), "publish-markdown-in-blocks", 25)  # before html_block (20)
    md.treeprocessors.register(TypographyTreeprocessor(md, source.meta.lang), "publish-typography", 3)
    return md
