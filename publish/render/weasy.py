"""What every WeasyPrint render shares: bundled fonts, the project-only fetcher, logs as diagnostics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from .. import notes
from ..config import Config
from ..editions import render, stylesheet
from ..errors import Diagnostic
from ..fetch import weasyprint_fetcher
from ..fonts import FACES, font_face_css, font_path
from ..markup import Document
from ..xhtml import parse, serialize


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs(document: Document) -> Iterator[list[Diagnostic]]:
    """Turn WeasyPrint's warnings and errors into diagnostics naming the source."""
    found: list[Diagnostic] = []
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        for record in handler.records:
            found.append(Diagnostic(document.source.display, 1, 1, "R200", record.getMessage(), "warning"))


CONTENTS_FROM = 3  # top-level sections: from this many on, a contents page, and each section opens a page


def layout_print(config: Config, document: Document, extra_css: str = "", sheets: tuple[str, ...] = (), **options):
    """The print edition laid out on A5 pages, its notes at the foot of the page: what pdf, press and booklet write out."""
    return render_document(config, document, print_html(config, document), ("base.css", "print.css", *sheets),
                           extra_css, **options)


def print_html(config: Config, document: Document) -> str:
    """The print edition's HTML: notes moved to where they are called, contents for long texts, a QR code to the source."""
    from markupsafe import Markup

    root = parse(document.body)
    notes.for_print(root)
    top = min((h.level for h in document.headings), default=0)
    sections = [h for h in document.headings if h.level == top]
    chapters = len(sections) >= CONTENTS_FROM
    return render(config, "print.html.j2", document, body=Markup(serialize(root)),
                  contents=sections if chapters else [], chapters=f"chapters-h{top}" if chapters else "",
                  qr=_qr_code(document.meta.source_url), hyphenation=hyphenates(document.meta.lang))


def hyphenates(lang: str) -> bool:
    """Whether pyphen (WeasyPrint's hyphenator) has a dictionary for `lang`; without one the text is set ragged-right."""
    import pyphen

    return pyphen.language_fallback(lang.replace("-", "_")) is not None


def _qr_code(url: str):
    """An inline SVG QR code for `url` (medium error correction), drawn in the text colour."""
    from markupsafe import Markup

    if not url:
        return ""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True)
    return Markup(svg.replace('stroke="#000"', 'stroke="currentColor"'))


class PrintLayout:
    """The A5 edition laid out once per source, for every format that needs it: pdf, booklet, and the
    EPUB's page list and cover. Writers take `.copy()`s, so one write cannot change another's bytes."""

    def __init__(self, config: Config, document: Document) -> None:
        self.config, self.document = config, document
        self._laid_out = None
        self.warnings: tuple[Diagnostic, ...] = ()

    def copy(self):
        if self._laid_out is None:
            with captured_logs(self.document) as found:
                self._laid_out = layout_print(self.config, self.document)
            lang = self.document.meta.lang
            if not hyphenates(lang):  # said once per source, as a note: --strict does not fail on it
                found.append(Diagnostic(self.document.source.display, 1, 1, "P170", f"no hyphenation dictionary for "
                                        f"{lang!r}: the text is set ragged-right, without hyphens", "note"))
            self.warnings = tuple(found)
        return self._laid_out.copy()


def render_document(config: Config, document: Document, html: str, sheets: tuple[str, ...], extra_css: str = "", **options):
    """Lay out `html` with the bundled fonts and `sheets`; only project files may be read.

    `options` are WeasyPrint's (pdf_variant…): a PDF variant's output intent is chosen at layout time."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    allowed = (document.source.folder, *config.dirs("fonts"), *config.dirs("styles"))
    if config.press_icc:
        allowed += (config.press_icc,)
    fetcher = weasyprint_fetcher(allowed)
    fonts, profiles = FontConfiguration(), {}  # shared by the stylesheet and the layout, like the fonts
    urls = {face.file: font_path(config, face).resolve().as_uri() for face in FACES}
    css = CSS(string=font_face_css(urls) + stylesheet(config, *sheets) + extra_css, font_config=fonts,
              color_profiles=profiles, url_fetcher=fetcher)
    base_url = document.source.folder.as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, color_profiles=profiles, **options)
