"""The cover image for e-readers: the title page drawn on a coloured ground, as a PNG."""

from __future__ import annotations

import io

from ..config import Config
from ..editions import render
from ..markup import Document
from .weasy import render_document

WIDTH = 1400  # px; 2:3, the shape Kobo and Kindle stores ask for


def render_cover(config: Config, document: Document) -> bytes:
    """Lay out the cover page with WeasyPrint and rasterise it with PDFium."""
    import pypdfium2

    html = render(config, "cover.html.j2", document)
    pdf = render_document(config, document, html, ("base.css", "cover.css")).write_pdf()
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=WIDTH / page.get_width()).to_pil().convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
