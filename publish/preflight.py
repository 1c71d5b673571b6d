"""Preflight: read a written PDF back and refuse what a printer would choke on, warn about what looks wrong."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from .errors import Diagnostic

MM = 72 / 25.4
A5 = (419.53, 595.28)
A4_LANDSCAPE = (841.89, 595.28)
BLEED = 3 * MM
MIN_PPI = 300
PDF_FORMATS = ("pdf", "press", "booklet")
TOLERANCE = 0.05  # pt
PAINT = {"f", "F", "f*", "B", "B*", "b", "b*", "sh", "Tj", "TJ", "'", '"', "Do", "BI"}
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class ImageUse:
    """One image drawn on a page, with its resolution at the printed size."""

    page: int
    pixels: tuple[int, int]
    ppi: float


def preflight(data: bytes, fmt: str, path: str, image_names: dict[tuple[int, int], str] | None = None) -> list[Diagnostic]:
    """Every problem in a PDF of format pdf, press or booklet: errors (unembedded fonts, wrong boxes) and warnings."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    found: list[Diagnostic] = []

    def report(code: str, message: str, severity: str = "error") -> None:
        found.append(Diagnostic(path, 1, 1, code, message, severity))

    for font in sorted(_unembedded_fonts(reader)):
        report("P301", f"font {font} is not embedded")
    for message in _box_problems(reader, fmt):
        report("P302", message)
    names = image_names or {}
    for use in _image_uses(reader):
        if use.ppi < MIN_PPI - 0.5:
            name = names.get(use.pixels, f"an image of {use.pixels[0]}×{use.pixels[1]} px")
            report("P310", f"{name} on page {use.page} is {use.ppi:.0f} ppi at its printed size (print wants {MIN_PPI})", "warning")
    for number, page in enumerate(reader.pages, start=1):
        if _paints(page) and not page.extract_text().strip():
            report("P311", f"page {number} has content but no text: are its fonts outlined or rasterised?", "warning")
    return found


def image_names(assets) -> dict[tuple[int, int], str]:
    """Pixel size -> file name of the pamphlet's images, so warnings can name them."""
    from PIL import Image

    names = {}
    for asset in assets:
        try:
            with Image.open(asset.path) as image:
                names.setdefault(image.size, asset.href)
        except OSError:  # SVG and other vector images have no pixels to count
            continue
    return names


def _unembedded_fonts(reader) -> set[str]:
    missing = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources")):
            if font.get("/Subtype") == "/Type3":
                continue
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None or not any(key in descriptor.get_object() for key in FONT_FILES):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return missing


def _fonts(resources, depth: int = 0):
    """Font dictionaries in a resource dictionary and in the form XObjects it uses."""
    if resources is None or depth > 8:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"), depth + 1)


def _box_problems(reader, fmt: str) -> list[str]:
    """Box sizes per format, one message per kind of problem with the pages it affects."""
    problems = [f"{len(reader.pages)} pages: saddle stitching needs a multiple of 4"] if fmt == "press" and len(reader.pages) % 4 else []
    pages_with: dict[str, list[int]] = {}
    for number, page in enumerate(reader.pages, start=1):
        for message in _page_box_problems(page, fmt):
            pages_with.setdefault(message, []).append(number)
    for message, pages in pages_with.items():
        where = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]} ({len(pages)} pages)"
        problems.append(f"{where}: {message}")
    return problems


def _page_box_problems(page, fmt: str) -> list[str]:
    trim, bleed, media = (_rect(page, box) for box in ("/TrimBox", "/BleedBox", "/MediaBox"))
    if fmt == "press":
        wanted = {"TrimBox": (_size(trim), A5), "BleedBox": (_size(bleed), (A5[0] + 2 * BLEED, A5[1] + 2 * BLEED))}
    else:
        wanted = {"MediaBox": (_size(media), A5 if fmt == "pdf" else A4_LANDSCAPE)}
    problems = [f"{box} is {size[0]:.2f} × {size[1]:.2f} pt, not {expected[0]:.2f} × {expected[1]:.2f}"
                for box, (size, expected) in wanted.items() if any(abs(a - b) > TOLERANCE for a, b in zip(size, expected))]
    if fmt == "press" and not all(abs(t - b - BLEED * s) < TOLERANCE for t, b, s in zip(trim, bleed, (1, 1, -1, -1))):
        problems.append("BleedBox is not 3 mm outside the TrimBox on every side")
    return problems


def _rect(page, box: str) -> tuple[float, float, float, float]:
    """A page box as (x0, y0, x1, y1); an absent TrimBox or BleedBox defaults to the MediaBox, as in PDF."""
    return tuple(float(v) for v in (page.get(box) or page["/MediaBox"]))


def _size(rect: tuple[float, float, float, float]) -> tuple[float, float]:
    return rect[2] - rect[0], rect[3] - rect[1]


def _paints(page) -> bool:
    """Does the page draw anything besides strokes (crop marks), looking inside the forms it draws?"""
    contents = page.get_contents()
    return contents is not None and _stream_paints(contents, page.get("/Resources"), page.pdf, 0)


def _stream_paints(contents, resources, pdf, depth: int) -> bool:
    from pypdf.generic import ContentStream

    xobjects = (resources.get_object().get("/XObject") or {}) if resources is not None else {}
    stream = contents if isinstance(contents, ContentStream) else ContentStream(contents, pdf)
    for operands, operator in stream.operations:
        name = operator.decode("latin-1")
        if name == "Do" and operands[0] in xobjects:
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") != "/Form" or (
                depth < 8 and _stream_paints(xobject, xobject.get("/Resources"), pdf, depth + 1)
            ):
                return True
        elif name in PAINT and name != "Do":
            return True
    return False


def _image_uses(reader) -> list[ImageUse]:
    uses: list[ImageUse] = []
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        if contents is not None:
            _walk(contents, page.get("/Resources"), (1, 0, 0, 1, 0, 0), number, page.pdf, uses, 0)
    return uses


def _walk(contents, resources, ctm, number: int, pdf, uses: list[ImageUse], depth: int) -> None:
    """Follow q/Q/cm through a content stream (and its forms) to find the printed size of each image."""
    from pypdf.generic import ContentStream

    if depth > 8:
        return
    xobjects = (resources.get_object().get("/XObject") or {}) if resources is not None else {}
    stack = []
    stream = contents if isinstance(contents, ContentStream) else ContentStream(contents, pdf)
    for operands, operator in stream.operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q" and stack:
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif operator == b"Do" and operands[0] in xobjects:
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Image":
                pixels = (int(xobject["/Width"]), int(xobject["/Height"]))
                width_in, height_in = math.hypot(ctm[0], ctm[1]) / 72, math.hypot(ctm[2], ctm[3]) / 72
                ppi = min(pixels[0] / width_in if width_in else math.inf, pixels[1] / height_in if height_in else math.inf)
                uses.append(ImageUse(number, pixels, ppi))
            elif xobject.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in xobject.get("/Matrix", (1, 0, 0, 1, 0, 0)))
                _walk(xobject, xobject.get("/Resources"), _multiply(matrix, ctm), number, pdf, uses, depth + 1)


def _multiply(m, n):
    """The PDF matrix product m × n (apply m, then n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)
