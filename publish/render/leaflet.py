"""<slug>.leaflet.pdf: a short text on one A5 sheet, front and back, set as large as lets it fit, two copies to an
A4 landscape sheet for a duplex office printer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import Config
from ..editions import render
from ..errors import Diagnostic, PublishError
from ..impose import two_copies
from ..links import between_pamphlets
from ..markup import Document
from ..xhtml import parse, serialize
from . import FORMATS, Output
from .printed import PrintEdition, _qr_code, ragged
from .weasy import captured_logs, render_document

SIZES = (10.5, 10.0, 9.5, 9.0, 8.5)  # pt, the pamphlet's body size down to the floor: tried largest first
SIDES = (2, 4)  # one sheet printed on both sides; failing that, two
SHEETS = ("base.css", "print.css", "leaflet.css")


@dataclass(frozen=True)
class Fit:
    """One trial layout: the type size, whether the lead photo is in, and WeasyPrint's laid-out document."""

    size: float
    photo: bool
    laid_out: object

    @property
    def sides(self) -> int:
        return len(self.laid_out.pages)


def size_css(size: float) -> str:
    """The type at `size` pt, its leading and the margins following it (the pamphlet's at 10.5 pt)."""
    scale = size / SIZES[0]
    leading = round(1.32 + 0.08 * (size - SIZES[-1]) / (SIZES[0] - SIZES[-1]), 3)  # a little tighter when smaller
    top, side, bottom = (round(mm * scale, 2) for mm in (12, 14, 12))
    note = round(max(7.0, size * 0.8), 2)
    return (f"html {{ font-size: {size}pt; line-height: {leading}; }}\n"
            f"@page leaflet {{ margin: {top}mm {side}mm {bottom}mm; }}\n"
            f".footnote {{ font-size: {note}pt; }}\n")


def leaflet_html(config: Config, document: Document, photo: bool) -> str:
    """The leaflet's HTML: notes where they are called, the lead photo if `photo`, a QR code to the source."""
    from markupsafe import Markup

    from .. import notes

    root = parse(document.body)
    notes.for_print(root)
    between_pamphlets(root, config.base_url)
    # The imprint is a note at the foot of the last side, and a note is laid out from a span in a paragraph (as
    # notes.for_print makes them): its paragraphs become block spans.
    imprint = re.sub(r"</p>\s+<p\b", "</p><p", render(config, "imprint.html.j2", document).strip())  # no blank lines
    imprint = re.sub(r"<(/?)p\b", r"<\1span", imprint)
    return render(config, "leaflet.html.j2", document, body=Markup(serialize(root)), photo=photo,
                  imprint=Markup(imprint), qr=_qr_code(document.meta.source_url))


def fit(config: Config, document: Document) -> tuple[Fit, tuple[Diagnostic, ...]]:
    """The largest size at which the text fits on two sides, else on four (a warning), measured by laying it out;
    an error when it does not fit on four at the floor. With a lead photo that keeps the text from fitting where
    it fits without, the photo is left out (a note)."""
    display = document.source.display
    html = {photo: leaflet_html(config, document, photo) for photo in {bool(document.meta.image), False}}
    tried: dict[tuple[float, bool], Fit] = {}

    def lay_out(size: float, photo: bool) -> Fit:
        if (size, photo) not in tried:
            laid = render_document(config, document, html[photo], SHEETS, size_css(size))
            tried[(size, photo)] = Fit(size, photo, laid)
        return tried[(size, photo)]

    found: list[Diagnostic] = []
    floor = lay_out(SIZES[-1], False)  # the text alone at the floor says how many sides it needs
    sides = next((s for s in SIDES if floor.sides <= s), None)
    if sides is None:
        raise PublishError([Diagnostic(display, 1, 1, "P181", f"the text does not fit a leaflet: it takes {floor.sides} "
                                       f"A5 sides at {SIZES[-1]:g} pt, and a leaflet has at most {SIDES[-1]}; make a "
                                       "pamphlet of it (the pdf or booklet format)")])
    photo = bool(document.meta.image)
    if photo and lay_out(SIZES[-1], True).sides > sides:
        photo = False
        found.append(Diagnostic(display, 1, 1, "P182", f"the lead photo {document.meta.image} is left out of the "
                                f"leaflet: with it, the text does not fit on {sides} sides even at {SIZES[-1]:g} pt",
                                "note"))
    if sides > SIDES[0]:
        found.append(Diagnostic(display, 1, 1, "P180", f"the text does not fit one leaflet sheet (two sides) even at "
                                f"{SIZES[-1]:g} pt: the leaflet takes two sheets, four sides", "warning"))
    low, high = 0, len(SIZES) - 1  # SIZES[high] fits; find the first (largest) size that does
    while low < high:
        middle = (low + high) // 2
        if lay_out(SIZES[middle], photo).sides <= sides:
            high = middle
        else:
            low = middle + 1
    return lay_out(SIZES[high], photo), tuple(found)


def render_leaflet(config: Config, document: Document, edition: PrintEdition) -> Output:
    """The leaflet laid out at the size that fits, its sides padded to whole sheets and placed two-up on A4."""
    with captured_logs(document) as logged:
        chosen, found = fit(config, document)
        data = chosen.laid_out.write_pdf(pdf_identifier=True)
    sides = -(-chosen.sides // 2) * 2  # an odd side count leaves the last back blank
    return Output("leaflet", FORMATS["leaflet"].filename(document.source.slug), two_copies(data, sides), sides,
                  warnings=found + tuple(dict.fromkeys(logged)) + ragged(document))  # each trial layout says the same
