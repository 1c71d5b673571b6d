"""Renderers: one module per output format, each turning a Document into an Output; FORMATS says what each is."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import Diagnostic


@dataclass(frozen=True)
class Output:
    """One rendered file, not yet written."""

    format: str
    filename: str
    data: bytes
    pages: int | None = None
    warnings: tuple[Diagnostic, ...] = ()
    pages_of: str = ""  # the format whose PDF pages it places as they are (the booklet and press: "pdf")


@dataclass(frozen=True)
class Format:
    """Everything the pipeline, preflight, `check` and the command line know about one output format."""

    name: str
    suffix: str  # the file is <slug><suffix>
    renderer: str  # "module:function", imported only when the format is built
    summary: str  # for --help and the README
    prints: bool = False  # made from the A5 print edition, so needs WeasyPrint's layout
    pdf: bool = False  # a PDF: preflight reads it back after the build and `check` does again
    imports: tuple[str, ...] = ()  # what the renderer imports, loaded before the build forks
    default: bool = True  # built when neither --format nor [tool.publish] formats names the formats

    def filename(self, slug: str) -> str:
        return f"{slug}{self.suffix}"

    def render(self):
        module, function = self.renderer.split(":")
        return getattr(importlib.import_module(module), function)


_PRINT = ("publish.render.printed", "publish.preflight", "weasyprint", "weasyprint.text.fonts", "pypdf", "pyphen", "segno")

FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("pdf", ".pdf", "publish.render.pdf:render_pdf", "A5 pages, tagged for screen readers (PDF/UA-1)",
           prints=True, pdf=True, imports=_PRINT),
    Format("press", ".press.pdf", "publish.render.press:render_press", "A5 with 3 mm bleed and crop marks, for the print shop",
           prints=True, pdf=True, imports=(*_PRINT, "pydyf")),
    Format("booklet", ".booklet.pdf", "publish.render.booklet:render_booklet",
           "the A5 pages imposed two-up on A4, for a duplex office printer", prints=True, pdf=True, imports=_PRINT),
    Format("epub", ".epub", "publish.render.epub:render_epub", "EPUB 3 with the print edition's page numbers",
           prints=True, imports=(*_PRINT, "ebooklib.epub", "pypdfium2", "lxml.etree")),
    Format("html", ".html", "publish.render.html:render_html", "one self-contained web page", imports=("lxml.etree",)),
    Format("leaflet", ".leaflet.pdf", "publish.render.leaflet:render_leaflet",
           "a short text on one A5 sheet, both sides, two copies to an A4 sheet (only when asked for)",
           pdf=True, imports=_PRINT, default=False),
)}
DEFAULT_FORMATS = tuple(name for name, f in FORMATS.items() if f.default)
