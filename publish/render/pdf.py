"""<slug>.pdf: the A5 edition for screens and digital printing, tagged for screen readers (PDF/UA-1)."""

from __future__ import annotations

from ..config import Config
from ..markup import Document
from . import FORMATS, Output
from .printed import PrintEdition


def render_pdf(config: Config, document: Document, edition: PrintEdition) -> Output:
    """The print edition's A5 PDF, as written once for every format that uses it."""
    return Output("pdf", FORMATS["pdf"].filename(document.source.slug), edition.pdf(), len(edition.laid_out().pages))
