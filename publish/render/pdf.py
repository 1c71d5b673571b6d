"""<slug>.pdf: the A5 edition for screens and digital printing."""

from __future__ import annotations

from ..config import Config
from ..editions import render
from ..markup import Document
from . import Output
from .weasy import captured_logs, render_document


def render_pdf(config: Config, document: Document) -> Output:
    """Lay out the print edition and write a PDF whose /ID is derived from its content."""
    html = render(config, "print.html.j2", document)
    with captured_logs(document) as warnings:
        laid_out = render_document(config, document, html, ("base.css", "print.css"))
        data = laid_out.write_pdf(pdf_identifier=True)
    return Output("pdf", f"{document.source.slug}.pdf", data, len(laid_out.pages), tuple(warnings))
