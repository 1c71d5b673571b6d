"""The print edition: the A5 pamphlet's HTML (cover, contents, text with notes at the page foot, back cover),
laid out by WeasyPrint once per source and shared by the formats that print it."""

from __future__ import annotations

import copy
from functools import lru_cache

from .. import notes
from ..config import Config
from ..editions import render
from ..errors import Diagnostic
from ..languages import hyphenates
from ..links import between_pamphlets
from ..markup import Document
from ..outline import SECTION, nest
from ..xhtml import parse, serialize
from . import tagging
from .weasy import captured_logs, render_document

BLEED = 3  # mm on every side beyond the trim, in the press file
CONTENTS_FROM = 3  # top-level sections: from this many on, a contents page
# Sections open a page of their own only in a text long enough to be a book: three or more sections of this many words
# on average (about four A5 pages each, so the half page a section leaves empty on average wastes an eighth of the
# paper at most). A shorter text runs its sections on; front matter's section_breaks forces either way.
PAGE_PER_SECTION_FROM = 1500


def layout_print(config: Config, document: Document, extra_css: str = "", sheets: tuple[str, ...] = (), **options):
    """The print edition laid out on A5 pages, its notes at the foot of the page: what pdf, press and booklet write out."""
    return render_document(config, document, print_html(config, document), ("base.css", "print.css", *sheets),
                           extra_css, **options)


def print_html(config: Config, document: Document) -> str:
    """The print edition's HTML: notes moved to where they are called, contents (sections and two levels under them)
    for texts of CONTENTS_FROM sections or more, sections on new pages in a long text, a QR code to the source."""
    from markupsafe import Markup

    root = parse(document.body)
    notes.for_print(root)
    between_pamphlets(root, config.base_url)
    sections = sum(1 for h in document.headings if h.level == SECTION)
    return render(config, "print.html.j2", document, body=Markup(serialize(root)),
                  contents=nest(document.headings) if sections >= CONTENTS_FROM else (),
                  chapters=sections_open_pages(document.meta.section_breaks, sections, len("".join(root.itertext()).split())),
                  qr=_qr_code(document.meta.source_url, qr_alt(document)))


def sections_open_pages(choice: str, sections: int, words: int) -> bool:
    """Whether each section of the print edition starts a new page: as front matter's section_breaks says (page,
    none), or for "auto" only in a text of CONTENTS_FROM sections or more averaging PAGE_PER_SECTION_FROM words."""
    if choice != "auto":
        return choice == "page"
    return sections >= CONTENTS_FROM and words >= PAGE_PER_SECTION_FROM * sections


def qr_alt(document: Document) -> str:
    """The back cover's QR code's title, "QR code: <source_url>", by which the tagged PDF finds it (render/tagging.py)."""
    from ..labels import labels_for

    url = document.meta.source_url
    return f"{labels_for(document.meta.lang).qr_code}: {url}" if url else ""


@lru_cache(maxsize=16)
def _qr_code(url: str, title: str = ""):
    """An inline SVG QR code for `url` (medium error correction), drawn in the text colour, titled `title`; "" for an
    address longer than the largest QR code holds (2,331 bytes), which PrintEdition warns about (P126)."""
    from markupsafe import Markup

    if not url:
        return ""
    import segno

    try:
        svg = segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, title=title or None)
    except segno.DataOverflowError:
        return ""
    return Markup(svg.replace('stroke="#000"', 'stroke="currentColor"'))


def _without_qr_code(document: Document) -> list[Diagnostic]:
    """P126, at source_url's line, when the back cover has no QR code because the address does not fit in one."""
    url = document.meta.source_url
    if not url or _qr_code(url, qr_alt(document)):
        return []
    line, col = document.source.key_lines.get("source_url", (1, 1))
    return [Diagnostic(document.source.display, line, col, "P126", f"source_url is {len(url.encode()):,} bytes long, "
                       "more than a QR code holds (2,331): the back cover is printed without one; a shorter address "
                       "(without tracking parameters, or a short link) gets its QR code", "warning")]


class PrintEdition:
    """The A5 edition of one source, laid out by WeasyPrint once (with the press file's bleed) and written as the
    A5 PDF once, for every format that prints from it: pdf, press, booklet, and the EPUB's page list and cover.
    What WeasyPrint warns while doing either is kept once, in `warnings`."""

    def __init__(self, config: Config, document: Document) -> None:
        self.config, self.document = config, document
        self._laid_out = None
        self._pdf: bytes | None = None
        self.warnings: tuple[Diagnostic, ...] = ()

    def laid_out(self):
        """WeasyPrint's laid-out document; its pages carry the bleed (see `trimmed` for pages without)."""
        if self._laid_out is None:
            with captured_logs(self.document) as found:
                self._laid_out = layout_print(self.config, self.document, f"@page {{ bleed: {BLEED}mm }}")
            self.warnings += tuple(found) + tuple(_without_qr_code(self.document)) + ragged(self.document)
        return self._laid_out

    def trimmed(self, pages=None):
        """A document of `pages` (default: all) cut at the trim: bleed only changes where WeasyPrint writes the page
        edges (the cover's ground is painted past them, out of sight), so the same layout serves both."""
        return trimmed(self.laid_out(), pages)

    def pdf(self) -> bytes:
        """The A5 PDF: trim size, tagged (PDF/UA-1, with what render/tagging.py adds), its /ID derived from its content."""
        if self._pdf is None:
            pages = self.trimmed()  # laid out first: the layout's warnings are said once, by laid_out
            with captured_logs(self.document) as found:
                self._pdf = pages.write_pdf(pdf_identifier=True, pdf_variant="pdf/ua-1",
                                            finisher=tagging.finisher(qr_alt(self.document)))
            self.warnings += tuple(found)
        return self._pdf

    def first_page_pdf(self) -> bytes:
        """A PDF whose first page is the cover: the A5 PDF when it is written anyway, else the cover page alone."""
        if self._pdf is not None:
            return self._pdf
        cover = self.trimmed(self.laid_out().pages[:1])
        with captured_logs(self.document) as found:
            data = cover.write_pdf()
        self.warnings += tuple(found)
        return data


def ragged(document: Document) -> tuple[Diagnostic, ...]:
    """P170 when the text's language has no hyphenation dictionary, as a note (--strict does not fail on it); the
    pipeline says it once however many layouts set the text."""
    lang = document.meta.lang
    if hyphenates(lang):
        return ()
    return (Diagnostic(document.source.display, 1, 1, "P170", f"no hyphenation dictionary for {lang!r}: the text is "
                       "set ragged-right, without hyphens", "note"),)


def trimmed(laid_out, pages=None):
    """A copy of WeasyPrint's `laid_out` document (or of its `pages`) whose pages end at the trim."""
    return laid_out.copy([_without_bleed(page) for page in (laid_out.pages if pages is None else pages)])


def _without_bleed(page):
    trimmed = copy.copy(page)
    trimmed.bleed = dict.fromkeys(page.bleed, 0)
    return trimmed
