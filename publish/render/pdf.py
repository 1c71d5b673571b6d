"""<slug>.pdf: the A5 edition for screens and digital printing, tagged for screen readers (PDF/UA-1)."""

from __future__ import annotations

from ..config import Config
from ..markup import Document
from . import Output
from .printed import PrintLayout
from .weasy import captured_logs


def render_pdf(config: Config, document: Document, layout: PrintLayout) -> Output:
    """Write the print edition as a tagged PDF whose /ID is derived from its content."""
    laid_out = layout.copy()
    with captured_logs(document) as warnings:
        data = laid_out.write_pdf(pdf_identifier=True, pdf_variant="pdf/ua-1")
    return Output("pdf", f"{document.source.slug}.pdf", data, len(laid_out.pages), tuple(warnings))
