"""<slug>.press.pdf: A5 trim, 3 mm bleed, crop marks outside the bleed, pages padded for saddle stitching."""

from __future__ import annotations

import hashlib
import io
import re
import uuid

from ..config import Config
from ..editions import modified, w3c_datetime
from ..impose import copy_metadata, pad_order, padded
from ..markup import Document
from . import FORMATS, Output
from .printed import BLEED, PrintEdition, layout_print, trimmed
from .weasy import captured_logs

MM = 72 / 25.4
SLUG_AREA = 9  # mm of paper beyond the bleed that carries the crop marks
MARK_GAP, MARK_LENGTH = 1, 6  # mm: marks start 1 mm outside the bleed so they never print on the sheet


def render_press(config: Config, document: Document, edition: PrintEdition) -> Output:
    """The A5 PDF made a print shop's file: pages padded to a multiple of 4 before the back cover, trim and bleed
    boxes, crop marks. With a press profile the edition is laid out again in the profile's inks (every colour
    changes) and written as PDF/X-4 first."""
    if not config.press_icc:
        a5 = edition.pdf()  # outside the capture below: its warnings are the edition's
    with captured_logs(document) as warnings:
        if config.press_icc:
            css = (f'@page {{ bleed: {BLEED}mm }} @color-profile device-cmyk {{ src: url("{config.press_icc.as_uri()}"); '
                   "components: cyan, magenta, yellow, black; }\n")
            laid_out = layout_print(config, document, css, ("press-cmyk.css",), pdf_variant="pdf/x-4")
            if not laid_out.metadata.created:  # PDF/X must have one, and WeasyPrint's default is the clock
                laid_out.metadata.created = w3c_datetime(modified(config, document))
            a5 = trimmed(laid_out).write_pdf(pdf_identifier=True, pdf_variant="pdf/x-4", finisher=_stable_document_id)
    data, pages = for_the_press(a5)
    return Output("press", FORMATS["press"].filename(document.source.slug), data, pages, tuple(warnings), "" if config.press_icc else "pdf")


def for_the_press(pdf: bytes) -> tuple[bytes, int]:
    """`pdf`'s pages (trimmed A5, whose backgrounds WeasyPrint painted into the bleed beyond the page edge) with the
    bleed and the crop marks' margin shown, and blank pages before the last to make a multiple of 4; tags, links
    and a PDF/UA claim left behind (this file goes to a press), a PDF/X output intent kept. Returns it and its pages."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject

    from ..pdfs import read

    reader = read(pdf)
    writer = PdfWriter()
    width, height = (float(v) for v in reader.pages[0].trimbox[2:])
    order = pad_order(len(reader.pages), padded(len(reader.pages)))
    marks = writer._add_object(_crop_marks(width, height))
    for index in order:
        if index is None:
            page = writer.add_blank_page(width, height)
        else:
            source = reader.pages[index]
            left_behind = {key: source.pop(key) for key in (NameObject("/StructParents"), NameObject("/Tabs"),
                                                           NameObject("/Annots")) if key in source}
            try:
                page = writer.add_page(source)
            finally:  # the reader is shared (pdfs.py): it stays as it was read
                source.update(left_behind)
        _set_boxes(page, width, height)
        contents = page.raw_get("/Contents") if "/Contents" in page else ArrayObject()
        page[NameObject("/Contents")] = ArrayObject([marks, *(contents if isinstance(contents, ArrayObject) else [contents])])
    root = reader.trailer["/Root"]
    if "/OutputIntents" in root:  # PDF/X: its intent and the XMP that declares it
        for key in ("/OutputIntents", "/Metadata"):
            writer.root_object[NameObject(key)] = root[key].clone(writer)
    copy_metadata(reader, writer, keys=None)
    digest = hashlib.md5(pdf + b"press").digest()  # a /ID from the content, as for every file we write
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(order)


def _set_boxes(page, width: float, height: float) -> None:
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    for name, margin in (("/TrimBox", 0), ("/BleedBox", BLEED * MM), ("/MediaBox", (BLEED + SLUG_AREA) * MM)):
        page[NameObject(name)] = ArrayObject(FloatObject(round(v, 4)) for v in (-margin, -margin, width + margin, height + margin))
    page.pop(NameObject("/CropBox"), None)
    page.pop(NameObject("/ArtBox"), None)


def _crop_marks(width: float, height: float):
    """Crop marks at the corners of the trim, in the slug area only (they start 1 mm outside the bleed, so they
    never print on the sheet), in registration colour: drawn first, in default user space."""
    from pypdf.generic import DecodedStreamObject

    start, end = (BLEED + MARK_GAP) * MM, (BLEED + MARK_GAP + MARK_LENGTH) * MM
    lines = ["q", "0.25 w", "1 1 1 1 K"]  # registration: the marks print on every plate
    for x, y, sx, sy in ((0, 0, -1, -1), (width, 0, 1, -1), (0, height, -1, 1), (width, height, 1, 1)):
        lines += [f"{x + sx * start:.4f} {y:.4f} m", f"{x + sx * end:.4f} {y:.4f} l",
                  f"{x:.4f} {y + sy * start:.4f} m", f"{x:.4f} {y + sy * end:.4f} l"]
    lines += ["S", "Q"]
    stream = DecodedStreamObject()
    stream.set_data("\n".join(lines).encode("ascii"))
    return stream.flate_encode()


def _stable_document_id(document, pdf) -> None:
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
