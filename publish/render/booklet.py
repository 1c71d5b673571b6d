"""<slug>.booklet.pdf: the A5 pages (no bleed) two-up on A4 landscape in saddle-stitch order, for duplex office printers."""

from __future__ import annotations

import io

from ..config import Config
from ..impose import impose
from ..markup import Document
from . import Output
from .printed import PrintLayout
from .weasy import captured_logs


def render_booklet(config: Config, document: Document, layout: PrintLayout) -> Output:
    """Impose the A5 edition with the project's signature and paper thickness."""
    laid_out = layout.copy()
    with captured_logs(document) as warnings:
        pages = laid_out.write_pdf(pdf_identifier=True)
    data = impose(pages, signature=config.signature, paper_thickness_mm=config.paper_thickness)
    from pypdf import PdfReader

    sheets = len(PdfReader(io.BytesIO(data)).pages)
    return Output("booklet", f"{document.source.slug}.booklet.pdf", data, sheets, tuple(warnings))
