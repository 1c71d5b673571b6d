"""<slug>.pdf: the A5 edition for screens and digital printing, tagged for screen readers (PDF/UA-1)."""

from __future__ import annotations

from ..config import Config
from ..markup import Document
from . import Output
from .weasy import captured_logs, layout_print


def render_pdf(config: Config, document: Document) -> Output:
    """Lay out the print edition and write a tagged PDF whose /ID is derived from its content."""
    with captured_logs(document) as warnings:
        laid_out = layout_print(config, document)
        data = laid_out.write_pdf(pdf_identifier=True, pdf_variant="pdf/ua-1")
    return Output("pdf", f"{document.source.slug}.pdf", data, len(laid_out.pages), tuple(warnings))
