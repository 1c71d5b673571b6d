"""Saddle-stitch imposition: A5 pages two-up on A4 landscape sheets, signature by signature."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

MM = 72 / 25.4
SHEET = (841.89, 595.28)  # A4 landscape, pt
SIZE_TOLERANCE = 0.5  # pt: pages this close in size count as equal
INFO_KEYS = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate")
_RANGE = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")


@dataclass(frozen=True)
class Sheet:
    """One sheet of paper: 1-based positions in the padded book on each half (left, right) of each side."""

    front: tuple[int, int]
    back: tuple[int, int]
    signature_index: int
    sheet_index_in_signature: int


@dataclass(frozen=True)
class Placement:
    """Where one source page lands: sheet side, half (0 left, 1 right) and creep shift toward the spine."""

    side: int
    half: int
    source: int
    shift: float


@dataclass(frozen=True)
class Geometry:
    """The source page's trim box and the scale that fits it into half a sheet."""

    box: tuple[float, float, float, float]
    scale: float


def padded(pages: int, multiple: int = 4) -> int:
    """`pages` rounded up to a multiple of `multiple`: 0 stays 0, 1 becomes 4."""
    if pages < 0 or multiple < 1:
        raise ValueError(f"cannot pad {pages} pages to a multiple of {multiple}")
    return -(-pages // multiple) * multiple


def pad_order(pages: int, total: int) -> list[int | None]:
    """0-based source pages in reading order, blanks (None) before the last page so the back cover stays last."""
    if not 0 <= pages <= total:
        raise ValueError(f"cannot lay out {pages} pages on {total}")
    if pages <= 1:  # a single page is the front cover; the blanks follow it
        return list(range(pages)) + [None] * (total - pages)
    return list(range(pages - 1)) + [None] * (total - pages) + [pages - 1]


MAX_SIGNATURE = 256  # pages in one folded signature: 64 sheets, more than any stapler or fold takes


def choose_signature(pages: int, spec: int | str | None) -> int:
    """Pages per signature: the whole book for None/0, a multiple of 4, or the best size in a range "16-40"."""
    if pages < 1:
        raise ValueError(f"nothing to impose: the document has {pages} pages")
    if isinstance(spec, str) and spec.strip().isdecimal():  # not isdigit: "²" is a digit int() cannot read
        spec = int(spec)
    if spec is None or spec == 0:
        return padded(pages)
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec < 0 or spec % 4:
            raise ValueError(f"signature {spec} is not a multiple of 4 pages")
        if spec > MAX_SIGNATURE:
            raise ValueError(f"signature {spec} is more pages than one fold holds (at most {MAX_SIGNATURE}, "
                             f"{MAX_SIGNATURE // 4} sheets); use 0 for the whole book as one, or a range such as '16-40'")
        return spec
    low, high = _parse_range(spec, pages)
    return _best_in_range(pages, low, high)


def _parse_range(spec: object, pages: int) -> tuple[int, int]:
    """A range "A-B" (either end may be left open, as in PDF::Imposition) as multiples of 4 inside it."""
    match = _RANGE.fullmatch(spec) if isinstance(spec, str) else None
    if match is None:
        raise ValueError(f"signature {spec!r} is neither a multiple of 4 nor a range such as '16-40'")
    low = padded(max(int(match[1] or 4), 1))
    high = min(int(match[2]) // 4 * 4, MAX_SIGNATURE) if match[2] else padded(pages)
    if high < 4:
        raise ValueError(f"signature range {spec!r} allows no multiple of 4 pages")
    if low > high:
        raise ValueError(f"signature range {spec!r} holds no multiple of 4 (lowest {low}, highest {high})")
    return low, high


def _best_in_range(pages: int, low: int, high: int) -> int:
    """The size in low..high wasting the fewest blank pages; ties go to the larger size (PDF::Imposition)."""
    whole = padded(pages)
    if whole <= low:  # the book fits one fold no bigger than the smallest allowed
        return whole
    sizes = range(low, high + 1, 4)
    return min(sizes, key=lambda size: (padded(pages, size) - pages, -size))


def sheets(total: int, signature: int) -> list[Sheet]:
    """Every sheet in print order: the signatures stacked, each from its outermost sheet inwards.

    Duplex printing flips on the short edge, so a back is not rotated: its left half lies
    behind the front's right half.
    """
    if signature < 4 or signature % 4 or total % signature:
        raise ValueError(f"{total} pages do not split into signatures of {signature}")
    found = []
    for index, start in enumerate(range(0, total, signature)):
        for k in range(signature // 4):
            last, first = start + signature - 2 * k, start + 1 + 2 * k
            found.append(Sheet((last, first), (first + 1, last - 1), index, k))
    return found


def placements(sheet: Sheet, order: list[int | None], creep: float) -> list[Placement]:
    """The source pages on one sheet; blanks are simply not placed."""
    found = []
    for side, halves in enumerate((sheet.front, sheet.back)):
        for half, position in enumerate(halves):
            source = order[position - 1]
            if source is not None:
                found.append(Placement(side, half, source, sheet.sheet_index_in_signature * creep))
    return found


def impose(pdf: bytes, *, signature: int | str | None = None, paper_thickness_mm: float = 0.1) -> bytes:
    """Two A5 pages per A4 landscape side in saddle-stitch order, with creep compensation; deterministic."""
    from pypdf import PdfWriter

    from .pdfs import read

    reader = read(pdf)
    count = len(reader.pages)
    size = choose_signature(count, signature)
    geometry = _geometry(reader)
    total = padded(count, size)
    order = pad_order(count, total)
    writer = PdfWriter()
    for sheet in sheets(total, size):
        sides = [writer.add_blank_page(*SHEET), writer.add_blank_page(*SHEET)]
        on_sheet = placements(sheet, order, paper_thickness_mm * MM)
        for side, page in enumerate(sides):
            _draw(writer, page, reader, geometry, [p for p in on_sheet if p.side == side])
    copy_metadata(reader, writer)
    # pypdf writes no /ID unless it encrypts, and a random one when it does: derive ours from the input.
    digest = hashlib.md5(pdf + repr((size, paper_thickness_mm)).encode()).digest()
    writer._ID = _identifier(digest)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _geometry(reader) -> Geometry:
    """The common trim box of all pages and the scale (never above 1) that fits it into half a sheet."""
    boxes = []
    for number, page in enumerate(reader.pages, start=1):
        if page.rotation % 360:
            raise ValueError(f"page {number} is rotated by {page.rotation}°; impose expects upright pages")
        boxes.append(tuple(float(v) for v in page.trimbox))
    box = boxes[0]
    width, height = box[2] - box[0], box[3] - box[1]
    for number, other in enumerate(boxes, start=1):
        if abs(other[2] - other[0] - width) > SIZE_TOLERANCE or abs(other[3] - other[1] - height) > SIZE_TOLERANCE:
            raise ValueError(f"page {number} is {other[2] - other[0]:.1f} × {other[3] - other[1]:.1f} pt,"
                             f" page 1 is {width:.1f} × {height:.1f} pt: impose needs equal pages")
    return Geometry(box, min(1.0, SHEET[0] / 2 / width, SHEET[1] / height))


CUT_MARK = 8 * MM  # how far the leaflet's cut mark reaches in from each long edge: past a printer's unprinted margin


def two_copies(pdf: bytes, sides: int = 0) -> bytes:
    """A leaflet's A5 sides two-up on A4 landscape: each front twice on one side of a sheet, its back twice on the
    other, with a cut mark at the middle of the long edges; deterministic.

    Duplex printing flips on the short edge and a back is not rotated (see `sheets`): the back's left half lies
    behind the front's right half, and both halves of a side carry the same page, so every back stands upright
    behind a copy of its own front."""
    from pypdf import PdfWriter

    from .pdfs import read

    reader = read(pdf)
    geometry = _geometry(reader)
    writer = PdfWriter()
    x = SHEET[0] / 2
    mark = f"q 0.3 w 0 G {_numbers((x, 0))} m {_numbers((x, CUT_MARK))} l S " \
           f"{_numbers((x, SHEET[1] - CUT_MARK))} m {_numbers((x, SHEET[1]))} l S Q"
    for side in range(max(sides, len(reader.pages))):  # front, back, front, back: an A4 side per A5 side, or blank
        page = writer.add_blank_page(*SHEET)
        if side < len(reader.pages):
            _draw(writer, page, reader, geometry, [Placement(0, half, side, 0.0) for half in (0, 1)], mark)
    copy_metadata(reader, writer)
    writer._ID = _identifier(hashlib.md5(pdf + f"two copies, {sides} sides".encode()).digest())  # as in `impose`
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _draw(writer, page, reader, geometry: Geometry, placed: list[Placement], marks: str = "") -> None:
    """Paint the placed pages on one side of a sheet, each a form clipped to its own half, then `marks`."""
    from pypdf.generic import ContentStream, DecodedStreamObject, DictionaryObject, NameObject

    if not placed:
        return
    forms, operations, made = DictionaryObject(), [], {}
    for placement in placed:
        name = f"/P{placement.half}"
        if placement.source not in made:  # a page placed twice (the leaflet's copies) is one form, written once
            made[placement.source] = _form(writer, reader.pages[placement.source], geometry.box)
        forms[NameObject(name)] = made[placement.source]
        operations.append(_paint(name, placement, geometry))
    if marks:
        operations.append(marks)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): forms})
    stream = DecodedStreamObject()
    stream.set_data("\n".join(operations).encode("ascii"))
    page.replace_contents(ContentStream(stream, writer))
    page.compress_content_streams()


def _paint(name: str, placement: Placement, geometry: Geometry) -> str:
    """Content operators: clip to the half, then draw the page centred in it and moved toward the spine.

    Creep: nested sheets folded together wrap around each other, so an inner sheet's fore-edge
    sticks out beyond the outer ones and loses more to the trim. Moving sheet k's pages toward
    the fold by k paper thicknesses keeps every page's outer margin alike after trimming.
    """
    half_width, height = SHEET[0] / 2, SHEET[1]
    x0, y0, x1, y1 = geometry.box
    scale = geometry.scale
    inset = (half_width - (x1 - x0) * scale) / 2
    left = inset + placement.shift if placement.half == 0 else half_width + inset - placement.shift
    bottom = (height - (y1 - y0) * scale) / 2
    clip = (placement.half * half_width, 0.0, half_width, height)
    matrix = (scale, 0.0, 0.0, scale, left - x0 * scale, bottom - y0 * scale)
    return f"q {_numbers(clip)} re W n {_numbers(matrix)} cm {name} Do Q"


def _numbers(values: tuple[float, ...]) -> str:
    """PDF numbers with fixed precision, so identical input writes identical bytes."""
    return " ".join(f"{value:.4f}".rstrip("0").rstrip(".") or "0" for value in values)


def _form(writer, source, box: tuple[float, float, float, float]):
    """The source page as a form XObject in `writer`, clipped to its trim box by /BBox."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    contents = source.get_contents()
    form = DecodedStreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in box)
    resources = source.get("/Resources")
    if resources is not None:
        form[NameObject("/Resources")] = resources.get_object().clone(writer)
    if "/Group" in source:  # a transparency group keeps its blending inside the form
        form[NameObject("/Group")] = source["/Group"].get_object().clone(writer)
    return writer._add_object(form.flate_encode())


def copy_metadata(reader, writer, keys: tuple[str, ...] | None = INFO_KEYS) -> None:
    """Keep the document information (the title, author and the like: `keys`, or all of it), each value as it was
    read (PDF/X's /Trapped stays a name), the language and the PDF version."""
    from pypdf.generic import NameObject

    read = reader.metadata or {}
    info = writer._info.get_object()  # not add_metadata, which would write every value as a string
    for key in read if keys is None else [k for k in keys if k in read]:
        info[NameObject(key)] = read.raw_get(key).clone(writer)
    lang = reader.trailer["/Root"].get("/Lang")
    if lang is not None:
        writer.root_object[NameObject("/Lang")] = lang.get_object().clone(writer)
    writer.pdf_header = reader.pdf_header


def _identifier(digest: bytes):
    """A trailer /ID of two equal halves, as for a file written for the first time."""
    from pypdf.generic import ArrayObject, ByteStringObject

    return ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
