"""<slug>.epub: EPUB 3 with a cover, nav, NCX, print page numbers, pop-up notes, accessibility metadata and subset fonts."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from markupsafe import Markup

from .. import chapters, notes
from ..config import Config
from ..editions import modified, render, stylesheet, w3c_datetime
from ..fetch import read_file
from ..fonts import faces_for, font_face_css, font_path, screen_characters, subset
from ..labels import labels_for
from ..languages import Labels
from ..links import between_pamphlets
from ..markup import Document
from ..outline import nest
from ..pagelist import PageTarget, mark_pages, page_lines
from ..repair import settle
from ..sources import IMAGE_TYPES
from ..xhtml import open_empty, parse
from . import FORMATS, Output
from .cover import cover_from_first_page
from .printed import PrintEdition

XHTML = "application/xhtml+xml"
# A zip dates its files from 1980 to 2107 (MS-DOS dates: seven bits of years from 1980, seconds in twos): an earlier
# or later SOURCE_DATE_EPOCH or front-matter date dates them at that end, as Python's zipfile does when it is told
# not to be strict (strict_timestamps=False). The package's dcterms:modified keeps the date itself.
ZIP_FIRST = datetime(1980, 1, 1, tzinfo=timezone.utc)
ZIP_LAST = datetime(2107, 12, 31, 23, 59, 58, tzinfo=timezone.utc)


def identifier(document: Document) -> str:
    """The front matter's identifier, or a UUID derived from the pamphlet, the same on every build."""
    meta = document.meta
    return meta.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, meta.source_url or 'publish:' + document.source.slug + ':' + meta.title)}"


def render_epub(config: Config, document: Document, edition: PrintEdition) -> Output:
    """Assemble the package with ebooklib, then store it as a reproducible zip."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    parts, where = _parts(config, document)
    cover_name, cover_data = _cover(document, edition)
    cover_page = render(config, "epub.html.j2", document, part="cover", part_title=labels_for(document.meta.lang).cover,
                        cover=cover_name)
    images = _image_names(document)
    pages, targets = _finish_parts(parts, page_lines(edition.laid_out()), images)
    _metadata(book, document)
    _add_style(book, config, document, screen_characters(config, document))
    for asset in {asset.path: asset for asset in document.assets}.values():
        name = images[asset.href]
        book.add_item(epub.EpubItem(uid=_id(name), file_name=name, media_type=_media_type(name), content=read_file(asset.path, (document.source.folder,), asset.href)))
    cover = epub.EpubItem(uid="cover-image", file_name=cover_name, media_type=_media_type(cover_name), content=cover_data)
    cover.properties = ["cover-image"]
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers, Kindle
    book.spine = [book.add_item(epub.EpubItem(uid=Path(name).stem, file_name=name, media_type=XHTML, content=content))
                  for name, content in {"cover.xhtml": cover_page.encode(), **pages}.items()]
    _add_navigation(book, config, document, where, targets)
    return Output("epub", FORMATS["epub"].filename(document.source.slug), _write(book, modified(config, document)))


def _parts(config: Config, document: Document) -> tuple[dict[str, str], dict[str, str]]:
    """Title page, the text (one file per section, each with the notes it calls) and colophon, as XHTML."""
    labels = labels_for(document.meta.lang)
    root = parse(document.body)
    between_pamphlets(root, config.base_url)
    asides = notes.for_screen(root, epub=True, label=labels.note)
    split, where = chapters.split(root, asides)
    title = document.plain["title"]
    parts = {"titlepage.xhtml": render(config, "epub.html.j2", document, part="titlepage", part_title=labels.title_page)}
    for n, chapter in enumerate(split):
        parts[chapter.file] = render(config, "epub.html.j2", document, part="text" if n == 0 else "chapter",
                                     part_title=title, body=Markup(chapter.html), heading_id=chapter.heading_id)
    parts["colophon.xhtml"] = render(config, "epub.html.j2", document, part="colophon", part_title=labels.colophon)
    return parts, where


def _image_names(document: Document) -> dict[str, str]:
    """Each image reference's file in the package: ASCII without spaces (EPUBCheck refuses or warns about
    the rest), one per image file however it is written ("a b.png", "a%20b.png")."""
    from slugify import slugify

    by_file: dict[Path, str] = {}
    for asset in document.assets:
        if asset.path not in by_file:
            stem, suffix = slugify(asset.path.stem) or "image", asset.path.suffix.lower()
            name, n = f"images/{stem}{suffix}", 1
            while name in by_file.values():
                n += 1
                name = f"images/{stem}-{n}{suffix}"
            by_file[asset.path] = name
    return {asset.href: by_file[asset.path] for asset in document.assets}


def _finish_parts(parts: dict[str, str], lines: list[list[str]], images: dict[str, str]) -> tuple[dict[str, bytes], list[PageTarget]]:
    """Point images at their package names and mark where each page of the print edition begins."""
    from lxml import etree

    trees = {name: etree.fromstring(xhtml.encode()) for name, xhtml in parts.items()}
    for tree in trees.values():
        for img in tree.iter("{http://www.w3.org/1999/xhtml}img"):
            img.set("src", images.get(img.get("src"), img.get("src")))
    targets = mark_pages(list(trees.items()), lines)
    settle(trees)  # every stage has added its ids by now: the text's, the notes', the templates', the page markers'
    for tree in trees.values():
        open_empty(tree)  # <span …></span>: the page markers read the same to an HTML parser
    pages = {name: b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + etree.tostring(tree, encoding="utf-8")
             for name, tree in trees.items()}
    return pages, targets


def _add_style(book, config: Config, document: Document, text: str) -> None:
    """The stylesheet, and the bundled faces cut down to the characters the book shows."""
    from ebooklib import epub

    faces = faces_for(document.body)
    for face in faces:
        book.add_item(epub.EpubItem(uid=_id(face.file), file_name=f"fonts/{face.file}", media_type="font/ttf",
                                    content=subset(font_path(config, face), text)))
    css = font_face_css({f.file: f"fonts/{f.file}" for f in faces}, faces) + stylesheet(config, "base.css", "epub.css")
    book.add_item(epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=css.encode()))


def _add_navigation(book, config: Config, document: Document, where: dict[str, str], pages: list[PageTarget]) -> None:
    """The EPUB 3 nav document (toc, landmarks, page list) and an NCX for older readers."""
    from ebooklib import epub

    toc = _toc(document, where, labels_for(document.meta.lang))
    nav = epub.EpubItem(uid="nav", file_name="nav.xhtml", media_type=XHTML,
                        content=render(config, "nav.xhtml.j2", document, toc=toc, pages=pages).encode())
    nav.properties = ["nav"]
    book.add_item(nav)
    book.add_item(epub.EpubNcx())

    def link(entry: dict):
        here = epub.Link(entry["href"], entry["label"], _id(entry["href"]))
        return (here, [link(child) for child in entry["children"]]) if entry["children"] else here

    book.toc = [link(entry) for entry in toc]


def _toc(document: Document, where: dict[str, str], labels: Labels) -> list[dict]:
    """Title page, the text with its sections and two levels under them (each in the file that holds it), colophon."""
    def entry(item) -> dict:
        heading = item.heading
        return {"href": f"{where[heading.id]}#{heading.id}", "label": heading.text, "children": [entry(c) for c in item.children]}

    return [
        {"href": "titlepage.xhtml", "label": labels.title_page, "children": []},
        {"href": "text.xhtml", "label": document.plain["title"],
         "children": [entry(item) for item in nest(tuple(h for h in document.headings if h.id in where))]},
        {"href": "colophon.xhtml", "label": labels.colophon, "children": []},
    ]


def _metadata(book, document: Document) -> None:
    meta, plain = document.meta, document.plain
    book.set_identifier(identifier(document))
    book.set_title(plain["title"])
    book.set_language(meta.lang)
    for n, name in enumerate(document.names["author"]):  # the names as text, without their *emphasis*
        book.add_author(name, uid=f"creator{n}", role="aut")
    for n, name in enumerate(document.names["translator"]):
        book.add_metadata("DC", "contributor", name, {"id": f"translator{n}"})
        book.add_metadata(None, "meta", "trl", {"refines": f"#translator{n}", "property": "role", "scheme": "marc:relators"})
    if meta.date:
        book.add_metadata("DC", "date", meta.date)
    for key, term in (("publisher", "publisher"), ("summary", "description"), ("license", "rights"), ("source_url", "source")):
        value = plain[key] if key in plain else getattr(meta, key)  # the values as text; source_url as written
        if value:
            book.add_metadata("DC", term, value)
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    # The page list follows the A5 PDF built from the same source.
    book.add_metadata(None, "meta", FORMATS["pdf"].filename(document.source.slug) + " (A5 print edition)", {"property": "pageBreakSource"})
    visual = bool(meta.image or document.assets)
    access = [("accessMode", "textual"), ("accessModeSufficient", "textual"),
              ("accessibilityFeature", "structuralNavigation"), ("accessibilityFeature", "tableOfContents"),
              ("accessibilityFeature", "readingOrder"), ("accessibilityFeature", "pageBreakMarkers"),
              ("accessibilityFeature", "pageNavigation"), ("accessibilityHazard", "none"),
              ("accessibilitySummary", "Text with headings, a table of contents, page numbers of the printed edition "
               "and language marked; no content depends on images, colour or sound.")]
    if visual:
        access += [("accessMode", "visual"), ("accessibilityFeature", "alternativeText")]
    for prop, value in access:
        book.add_metadata(None, "meta", value, {"property": f"schema:{prop}"})
    book.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", {"property": "dcterms:conformsTo"})


def _cover(document: Document, edition: PrintEdition) -> tuple[str, bytes]:
    """The designed cover, portrait with the title on it, whatever the front matter's `cover` image (which the
    print edition's first page shows): that page, drawn as an image."""
    return "cover.png", cover_from_first_page(edition.first_page_pdf())


def _id(name: str) -> str:
    return "x-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _media_type(name: str) -> str:
    return IMAGE_TYPES[Path(name).suffix.lower()]


def _write(book, when: datetime) -> bytes:
    """Write with ebooklib's writer directly (write_epub returns False instead of raising), then re-zip."""
    from ebooklib import epub

    class Writer(epub.EpubWriter):
        def _write_opf_file(self, root):
            # Ace: the package must declare its language; ebooklib only sets dc:language.
            root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
            # ebooklib writes the date with strftime, year 999 as "999": EPUBCheck wants four digits.
            root.find("metadata/meta[@property='dcterms:modified']").text = w3c_datetime(when)
            super()._write_opf_file(root)

    raw = io.BytesIO()
    writer = Writer(raw, book, {"mtime": when, "epub3_pages": False, "epub3_landmark": False})
    writer.process()
    writer.write()
    return _reproducible_zip(raw.getvalue(), when)


def _reproducible_zip(data: bytes, when: datetime) -> bytes:
    """Same entries, fixed timestamps and order: mimetype first and stored, the rest deflated."""
    stamp = min(max(when, ZIP_FIRST), ZIP_LAST).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        for name in ["mimetype"] + sorted(n for n in names if n != "mimetype"):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()
