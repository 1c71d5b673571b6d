"""Preflight: read a written PDF back and refuse what a printer would choke on, warn about what looks wrong."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Diagnostic

MM = 72 / 25.4
A5 = (419.53, 595.28)
A4_LANDSCAPE = (841.89, 595.28)
BLEED = 3 * MM
MIN_PPI = 300
TOLERANCE = 0.05  # pt
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class ImageUse:
    """One image drawn on a page, with its resolution at the printed size."""

    page: int
    pixels: tuple[int, int]
    ppi: float


def preflight(data: bytes, fmt: str, path: str, image_names: dict[tuple[int, int], str] | None = None,
              project_fonts: frozenset[str] | None = None, drawn: bool = True) -> list[Diagnostic]:
    """Every problem in a PDF of format pdf, press, booklet or leaflet (A4 sheets, as the booklet's): errors
    (unembedded fonts, wrong boxes) and warnings.

    `project_fonts` are the normalised names of the fonts the project ships; any other font is a system fallback.
    Without `drawn`, what the pages draw (image resolution, text) is not read: the caller read the same pages in
    the PDF they were placed from."""
    from .pdfs import read

    reader = read(data)
    found: list[Diagnostic] = []

    def report(code: str, message: str, severity: str = "error") -> None:
        found.append(Diagnostic(path, 1, 1, code, message, severity))

    fonts = _all_fonts(reader)
    for font in sorted(_unembedded_fonts(fonts)):
        report("P301", f"font {font} is not embedded")
    fallbacks = _fallbacks(fonts, project_fonts)
    if fallbacks:
        report("P303", f"{', '.join(fallbacks)}, not the project's, drew characters its fonts lack: put a font that has "
               "them in the project's fonts/ folder, named as the bundled face it replaces, or take them out of the "
               "text (publish build names them)", "warning")
    for message in _box_problems(reader, fmt):
        report("P302", message)
    names = image_names or {}
    uses, textless = _drawn(data) if drawn else ([], [])
    for use in uses:
        if use.ppi < MIN_PPI - 0.5:
            name = names.get(use.pixels, f"an image of {use.pixels[0]}×{use.pixels[1]} px")
            report("P310", f"{name} on page {use.page} is {use.ppi:.0f} ppi at its printed size (print wants {MIN_PPI})", "warning")
    for number in textless:
        report("P311", f"page {number} has content but no text: are its fonts outlined or rasterised?", "warning")
    return found


def fallback_fonts(reader, project_fonts: frozenset[str] | None) -> list[str]:
    """The fonts a PDF (a pypdf reader) uses that the project does not ship: system fonts a character fell back to."""
    return _fallbacks(_all_fonts(reader), project_fonts)


def _fallbacks(fonts: list, project_fonts: frozenset[str] | None) -> list[str]:
    return sorted(f for f in _font_names(fonts) if project_fonts and not _ours(normalised(f), project_fonts))


def _ours(name: str, project_fonts: frozenset[str]) -> bool:
    """One of the project's fonts, or one slanted or emboldened from it: a face with no italic or bold of its own
    (PT Sans, PT Mono) set so is drawn from the file it has, and named "PT-Sans-Oblique", "PT-Mono-Bold"."""
    for synthesised in ("", "oblique", "bold"):
        name = name.removesuffix(synthesised)
        if name in project_fonts:
            return True
    return False


def image_names(assets) -> dict[tuple[int, int], str]:
    """Pixel size -> file name of the pamphlet's images ("a.png or b.png" when sizes match), so warnings can name them."""
    from PIL import Image

    names: dict[tuple[int, int], list[str]] = {}
    seen: set = set()
    for asset in assets:
        if asset.path in seen:  # one name per file, as first written
            continue
        seen.add(asset.path)
        try:
            with Image.open(asset.path) as image:
                names.setdefault(image.size, []).append(asset.href)
        except OSError:  # SVG and other vector images have no pixels to count
            continue
    return {size: " or ".join(hrefs) for size, hrefs in names.items()}


def _unembedded_fonts(fonts: list) -> set[str]:
    missing = set()
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant.get("/FontDescriptor")
        if descriptor is None or not any(key in descriptor.get_object() for key in FONT_FILES):
            missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return missing


def _font_names(fonts: list) -> set[str]:
    """The fonts' names, without the subset prefix ("ABCDEF+PT-Serif" -> "PT-Serif")."""
    return {str(font.get("/BaseFont", "?")).lstrip("/").split("+", 1)[-1] for font in fonts}


def _all_fonts(reader) -> list:
    """Every font the pages use (not Type 3: those are drawings), each once however many pages share it."""
    found = {}
    for page in reader.pages:
        for font in _fonts(page.get("/Resources")):
            if font.get("/Subtype") != "/Type3":
                found.setdefault(id(font), font)  # pypdf hands out one object per indirect reference
    return list(found.values())


def normalised(name: str) -> str:
    """'PT-Serif-Italic', 'PT Serif Italic' and 'PTSerif-Italic' all -> 'ptserifitalic'."""
    return "".join(c for c in name.lower() if c.isalnum())


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


def _drawn(data: bytes) -> tuple[list[ImageUse], list[int]]:
    """One pass of PDFium (which parses content streams fast) over every page and the forms on it: each image drawn
    with its resolution, and the pages that paint something (text, images, fills; not only crop-mark strokes) but
    have no extractable text."""
    import pypdfium2
    from pypdfium2 import raw

    uses, textless = [], []
    for number, page in enumerate(pypdfium2.PdfDocument(data), start=1):
        paints = False
        for obj in page.get_objects(max_depth=8):
            if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
                left, bottom, right, top = obj.get_bounds()
                pixels = tuple(obj.get_px_size())
                ppi = min(pixels[0] * 72 / max(right - left, 1e-6), pixels[1] * 72 / max(top - bottom, 1e-6))
                uses.append(ImageUse(number, pixels, ppi))
            paints = paints or _paints(obj)
        if paints and not _has_text(page):
            textless.append(number)
    return uses, textless


def _has_text(page) -> bool:
    text = page.get_textpage()
    count = text.count_chars()
    return count > 0 and (count > 64 or bool(text.get_text_range().strip()))  # a long run is never all spaces


def _paints(obj) -> bool:
    import ctypes

    from pypdfium2 import raw

    if obj.type in (raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_SHADING):
        return True
    if obj.type != raw.FPDF_PAGEOBJ_PATH:
        return False
    fill, stroke = ctypes.c_int(0), ctypes.c_int(0)
    raw.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke))
    return fill.value != raw.FPDF_FILLMODE_NONE
