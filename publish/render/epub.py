"""<slug>.epub: EPUB 3 with a cover, nav, NCX, accessibility metadata and subset fonts."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from ..config import Config
from ..editions import modified, render, stylesheet
from ..fonts import characters, faces_for, font_face_css, font_path, subset
from ..labels import labels_for
from ..markup import Document
from ..sources import IMAGE_TYPES, check_image
from . import Output
from .cover import render_cover
from .weasy import captured_logs

PARTS = ("cover", "titlepage", "text", "colophon")


def identifier(document: Document) -> str:
    """The front matter's identifier, or a UUID derived from the pamphlet, the same on every build."""
    meta = document.meta
    return meta.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, meta.source_url or 'publish:' + document.source.slug + ':' + meta.title)}"


def render_epub(config: Config, document: Document) -> Output:
    """Assemble the package with ebooklib, then store it as a reproducible zip."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    _metadata(book, document)
    with captured_logs(document) as warnings:
        cover_name, cover_data = _cover(config, document)
    pages = {part: render(config, "epub.html.j2", document, part=part, part_title=_part_title(document, part), cover=cover_name)
             for part in PARTS}
    _add_style(book, config, document, characters(*pages.values()))
    for asset in document.assets:
        book.add_item(epub.EpubItem(uid=_id(asset.href), file_name=asset.href, media_type=_media_type(asset.href),
                                    content=asset.path.read_bytes()))
    cover = epub.EpubItem(uid="cover-image", file_name=cover_name, media_type=_media_type(cover_name), content=cover_data)
    cover.properties = ["cover-image"]
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers, Kindle
    book.spine = [book.add_item(epub.EpubItem(uid=part, file_name=f"{part}.xhtml", media_type="application/xhtml+xml",
                                              content=pages[part].encode())) for part in PARTS]
    _add_navigation(book, config, document)
    return Output("epub", f"{document.source.slug}.epub", _write(book, modified(config, document)), warnings=tuple(warnings))


def _add_style(book, config: Config, document: Document, text: str) -> None:
    """The stylesheet, and the bundled faces cut down to the characters the book shows."""
    from ebooklib import epub

    faces = faces_for(document.body)
    for face in faces:
        book.add_item(epub.EpubItem(uid=_id(face.file), file_name=f"fonts/{face.file}", media_type="font/ttf",
                                    content=subset(font_path(config, face), text)))
    css = font_face_css({f.file: f"fonts/{f.file}" for f in faces}, faces) + stylesheet(config, "base.css", "epub.css")
    book.add_item(epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=css.encode()))


def _add_navigation(book, config: Config, document: Document) -> None:
    """The EPUB 3 nav document (toc and landmarks) and an NCX for older readers."""
    from ebooklib import epub

    toc = _toc(document, labels_for(document.meta.lang))
    nav = epub.EpubItem(uid="nav", file_name="nav.xhtml", media_type="application/xhtml+xml",
                        content=render(config, "nav.xhtml.j2", document, toc=toc).encode())
    nav.properties = ["nav"]
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = [epub.Link(e["href"], e["label"], _id(e["href"])) for e in toc]


def _metadata(book, document: Document) -> None:
    meta, plain = document.meta, document.plain
    book.set_identifier(identifier(document))
    book.set_title(plain["title"])
    book.set_language(meta.lang)
    for n, name in enumerate(meta.author):
        book.add_author(name, uid=f"creator{n}", role="aut")
    for n, name in enumerate(meta.translator):
        book.add_metadata("DC", "contributor", name, {"id": f"translator{n}"})
        book.add_metadata(None, "meta", "trl", {"refines": f"#translator{n}", "property": "role", "scheme": "marc:relators"})
    if meta.date:
        book.add_metadata("DC", "date", meta.date)
    for key, term in (("publisher", "publisher"), ("summary", "description"), ("license", "rights"), ("source_url", "source")):
        if plain.get(key) or getattr(meta, key):
            book.add_metadata("DC", term, plain.get(key) or getattr(meta, key))
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    visual = bool(meta.image or document.assets)
    access = [("accessMode", "textual"), ("accessModeSufficient", "textual"),
              ("accessibilityFeature", "structuralNavigation"), ("accessibilityFeature", "tableOfContents"),
              ("accessibilityFeature", "readingOrder"), ("accessibilityHazard", "none"),
              ("accessibilitySummary", "Text with headings, a table of contents and language marked; "
               "no content depends on images, colour or sound.")]
    if visual:
        access += [("accessMode", "visual"), ("accessibilityFeature", "alternativeText")]
    for prop, value in access:
        book.add_metadata(None, "meta", value, {"property": f"schema:{prop}"})
    book.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", {"property": "dcterms:conformsTo"})


def _toc(document: Document, labels: dict) -> list[dict]:
    children = [{"href": f"text.xhtml#{h.id}", "label": h.text} for h in document.headings if h.level == 2]
    return [
        {"href": "titlepage.xhtml", "label": labels["title_page"], "children": []},
        {"href": "text.xhtml", "label": document.plain["title"], "children": children},
        {"href": "colophon.xhtml", "label": labels["colophon"], "children": []},
    ]


def _cover(config: Config, document: Document) -> tuple[str, bytes]:
    """The front matter's cover image, or the title page drawn as one."""
    meta = document.meta
    if meta.cover:
        return "cover" + Path(meta.cover).suffix.lower(), check_image(meta.cover, document.source.folder).read_bytes()
    return "cover.png", render_cover(config, document)


def _part_title(document: Document, part: str) -> str:
    labels = labels_for(document.meta.lang)
    return {"cover": labels["cover"], "titlepage": labels["title_page"], "colophon": labels["colophon"]}.get(part, document.plain["title"])


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
            super()._write_opf_file(root)

    raw = io.BytesIO()
    writer = Writer(raw, book, {"mtime": when, "epub3_pages": False, "epub3_landmark": False})
    writer.process()
    writer.write()
    return _reproducible_zip(raw.getvalue(), when)


def _reproducible_zip(data: bytes, when: datetime) -> bytes:
    """Same entries, fixed timestamps and order: mimetype first and stored, the rest deflated."""
    stamp = max(when, datetime(1980, 1, 1, tzinfo=timezone.utc)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        for name in ["mimetype"] + sorted(n for n in names if n != "mimetype"):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()
