"""The print edition: the A5 pamphlet's HTML (cover, contents, text with notes at the page foot, back cover),
laid out by WeasyPrint once per source and shared by the formats that print it."""

from __future__ import annotations

from .. import notes
from ..config import Config
from ..editions import render
from ..errors import Diagnostic
from ..links import between_pamphlets
from ..markup import Document
from ..outline import SECTION, nest
from ..xhtml import parse, serialize
from .weasy import captured_logs, render_document

CONTENTS_FROM = 3  # top-level sections: from this many on, a contents page, and each section opens a page


def layout_print(config: Config, document: Document, extra_css: str = "", sheets: tuple[str, ...] = (), **options):
    """The print edition laid out on A5 pages, its notes at the foot of the page: what pdf, press and booklet write out."""
    return render_document(config, document, print_html(config, document), ("base.css", "print.css", *sheets),
                           extra_css, **options)


def print_html(config: Config, document: Document) -> str:
    """The print edition's HTML: notes moved to where they are called, contents (sections and two levels under them)
    for texts of CONTENTS_FROM sections or more, a QR code to the source."""
    from markupsafe import Markup

    root = parse(document.body)
    notes.for_print(root)
    between_pamphlets(root, config.base_url)
    contents = nest(document.headings)
    chapters = sum(1 for h in document.headings if h.level == SECTION) >= CONTENTS_FROM
    return render(config, "print.html.j2", document, body=Markup(serialize(root)), contents=contents if chapters else (),
                  chapters=chapters, qr=_qr_code(document.meta.source_url), hyphenation=hyphenates(document.meta.lang))


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
