"""<slug>.booklet.pdf: the A5 pages (no bleed) two-up on A4 landscape in saddle-stitch order, for duplex office printers."""

from __future__ import annotations

from ..config import Config
from ..impose import choose_signature, impose, padded
from ..markup import Document
from . import FORMATS, Output
from .printed import PrintEdition


def render_booklet(config: Config, document: Document, edition: PrintEdition) -> Output:
    """Impose the A5 PDF with the project's signature and paper thickness."""
    data = impose(edition.pdf(), signature=config.signature, paper_thickness_mm=config.paper_thickness)
    pages = len(edition.laid_out().pages)
    sides = padded(pages, choose_signature(pages, config.signature)) // 2  # two A5 pages to a side of A4
    return Output("booklet", FORMATS["booklet"].filename(document.source.slug), data, sides, pages_of="pdf")
