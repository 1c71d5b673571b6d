"""<slug>.press.pdf: A5 trim, 3 mm bleed, crop marks outside the bleed, pages padded for saddle stitching."""

from __future__ import annotations

import hashlib
import re
import uuid

from ..config import Config
from ..impose import pad_order, padded
from ..markup import Document
from . import Output
from .printed import BLEED, PrintEdition, layout_print
from .weasy import captured_logs, render_document

MM = 72 / 25.4
SLUG_AREA = 9  # mm of paper beyond the bleed that carries the crop marks
MARK_GAP, MARK_LENGTH = 1, 6  # mm: marks start 1 mm outside the bleed so they never print on the sheet
BLANK_PAGE = "<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>"


def render_press(config: Config, document: Document, edition: PrintEdition) -> Output:
    """The print edition's layout with its bleed, padded to a multiple of 4 before the back cover; PDF/X-4 in the
    project's inks when a profile is set (then laid out again: every colour changes)."""
    options = {"pdf_variant": "pdf/x-4"} if config.press_icc else {}
    laid_out = None if config.press_icc else edition.laid_out()  # outside the capture below: its warnings are the edition's
    with captured_logs(document) as warnings:
        if laid_out is None:
            css = (f'@page {{ bleed: {BLEED}mm }} @color-profile device-cmyk {{ src: url("{config.press_icc.as_uri()}"); '
                   "components: cyan, magenta, yellow, black; }\n")
            laid_out = layout_print(config, document, css, ("press-cmyk.css",), **options)
        pages = laid_out.pages
        blank = _blank_page(config, document)
        order = pad_order(len(pages), padded(len(pages)))
        press = laid_out.copy([pages[i] if i is not None else blank for i in order])
        data = press.write_pdf(pdf_identifier=True, finisher=_finish, **options)
    return Output("press", f"{document.source.slug}.press.pdf", data, len(order), tuple(warnings))


def _finish(document, pdf) -> None:
    _crop_marks(document, pdf)
    _stable_document_id(pdf)


def _stable_document_id(pdf) -> None:
    """WeasyPrint writes a random xmp.did:<uuid4> for PDF/X; derive it from the content instead."""
    import pydyf

    metadata = [o for o in pdf.objects if isinstance(o, pydyf.Stream) and o.extra.get("Type") == "/Metadata"]
    if not metadata:
        return
    digest = hashlib.sha256()
    for obj in pdf.objects:
        if obj is not metadata[0] and obj.free != "f":
            digest.update(obj.data)
    stable = f"xmp.did:{uuid.UUID(bytes=digest.digest()[:16], version=4)}".encode()
    metadata[0].stream = [re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, chunk) if isinstance(chunk, bytes) else chunk
                          for chunk in metadata[0].stream]


def _blank_page(config: Config, document: Document):
    """One empty page with the same size and bleed, to pad with."""
    css = f"@page {{ size: A5; bleed: {BLEED}mm; margin: 0; @bottom-right {{ content: none }} @bottom-left {{ content: none }} }}"
    return render_document(config, document, BLANK_PAGE, (), css).pages[0]


def _crop_marks(document, pdf) -> None:
    """Widen each page's MediaBox past the bleed and draw crop marks there (WeasyPrint draws them inside it)."""
    import pydyf

    for page in (obj for obj in pdf.objects if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"):
        left, bottom, right, top = (float(v) for v in page["TrimBox"])
        outer = (BLEED + SLUG_AREA) * MM
        page["MediaBox"] = pydyf.Array([left - outer, bottom - outer, right + outer, top + outer])
        marks = pydyf.Stream(compress=True)
        marks.push_state()
        marks.set_line_width(0.25)
        marks.stream.append(b"1 1 1 1 K")  # registration: the marks print on every plate
        start, end = (BLEED + MARK_GAP) * MM, (BLEED + MARK_GAP + MARK_LENGTH) * MM
        for x, y, sx, sy in ((left, bottom, -1, -1), (right, bottom, 1, -1), (left, top, -1, 1), (right, top, 1, 1)):
            marks.move_to(x + sx * start, y)
            marks.line_to(x + sx * end, y)
            marks.move_to(x, y + sy * start)
            marks.line_to(x, y + sy * end)
        marks.stroke()
        marks.pop_state()
        pdf.add_object(marks)
        # First, so the marks are drawn in default user space, before WeasyPrint's stream flips the y axis.
        contents = page["Contents"]
        page["Contents"] = pydyf.Array([marks.reference, *(contents if isinstance(contents, list) else [contents])])
