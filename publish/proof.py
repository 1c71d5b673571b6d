"""Contact sheets: every page of a built PDF on one PNG, as facing spreads, and the booklet's and the leaflet's sheets
on others."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .dist import write_atomic
from .errors import Diagnostic, PublishError

PAGE_WIDTH = 300  # px for one A5 page: body text stays legible, a 12-page sheet stays well under 2 MB
GUTTER = 4  # px between the two pages of a spread (the spine)
SPREAD_GAP = 40  # px between spreads, and between the front and back of a booklet sheet
MAX_SPREADS_PER_ROW = 8
MARGIN = 32  # px around the whole sheet
HEADER = 36  # px for the title line at the top
LABEL = 24  # px under each page for its number
ROW_GAP = 24  # px between rows, below the labels
BACKGROUND = (232, 232, 232)
BORDER = (160, 160, 160)  # 1 px hairline just outside each page, so white pages show
INK = (80, 80, 80)
LABEL_FONT = "PTSans-Regular.ttf"


@dataclass(frozen=True)
class ProofResult:
    """What `proof` wrote, and the problems it met; `ok` is False when a source had an error."""

    written: tuple[Path, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True)
class Grid:
    """Where pages go: rows of groups (spreads, or sheet sides) of `slots` pages, each page a `size` box."""

    size: tuple[int, int]
    slots: int
    groups: int
    per_row: int

    @property
    def rows(self) -> int:
        return -(-self.groups // self.per_row)

    @property
    def group_width(self) -> int:
        return self.slots * self.size[0] + (self.slots - 1) * GUTTER

    def canvas(self) -> tuple[int, int]:
        """The whole sheet's size in px."""
        columns = min(self.groups, self.per_row)
        width = 2 * MARGIN + columns * self.group_width + (columns - 1) * SPREAD_GAP
        height = 2 * MARGIN + HEADER + self.rows * (self.size[1] + LABEL) + (self.rows - 1) * ROW_GAP
        return width, height

    def origin(self, group: int, slot: int) -> tuple[int, int]:
        """Top-left px of the page in `slot` of `group`."""
        row, column = divmod(group, self.per_row)
        x = MARGIN + column * (self.group_width + SPREAD_GAP) + slot * (self.size[0] + GUTTER)
        y = MARGIN + HEADER + row * (self.size[1] + LABEL + ROW_GAP)
        return x, y


def spreads(count: int) -> list[tuple[int | None, int | None]]:
    """Facing pages as a reader sees them: page 1 alone on the right, then 2|3, 4|5, … (1-based)."""
    found: list[tuple[int | None, int | None]] = [(None, 1)] if count else []
    for left in range(2, count + 1, 2):
        found.append((left, left + 1 if left + 1 <= count else None))
    return found


def spreads_per_row(count: int) -> int:
    """Spreads in a row of the contact sheet: a roughly square grid (2 x 2 for 7 pages, 3 x 3 for 16), at most 8 wide."""
    return min(MAX_SPREADS_PER_ROW, max(1, math.isqrt(len(spreads(count)) - 1) + 1))


def proof(paths: Iterable[str | Path] | None = None, *, root: str | Path = ".", out: str | Path = "dist") -> ProofResult:
    """Write `<slug>.proof.png`, `<slug>.booklet.proof.png` and (for a built leaflet) `<slug>.leaflet.proof.png` in
    `out` for every source under `paths`."""
    from .config import load_config
    from .pipeline import _discover, _display, _within
    from .sources import slug_of

    config = load_config(root)
    files, diagnostics = _discover(config, paths)
    out_dir = _within(config, out)
    written: list[Path] = []
    for path in files:
        try:
            done, warnings = _proof_source(out_dir, slug_of(path), _display(config, path), str(out))
        except PublishError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        written.extend(done)
        diagnostics.extend(warnings)
    return ProofResult(tuple(written), tuple(diagnostics))


def _proof_source(out_dir: Path, slug: str, display: str, shown_out: str) -> tuple[list[Path], list[Diagnostic]]:
    """The sheets of one source and any warning: a missing reading PDF is an error (unless the leaflet is all there
    is), a missing booklet a warning; a leaflet, which is built only when asked for, gets its sheet when it is there."""
    pdf, booklet, leaflet = (out_dir / f"{slug}{suffix}" for suffix in (".pdf", ".booklet.pdf", ".leaflet.pdf"))
    sheets, warnings = [], []
    if pdf.is_file():
        sheets.append((out_dir / f"{slug}.proof.png", contact_sheet(_read(pdf, display), title=pdf.name)))
        if booklet.is_file():
            sheets.append((out_dir / f"{slug}.booklet.proof.png", booklet_sheet(_read(booklet, display), title=booklet.name)))
        else:
            warnings.append(Diagnostic(display, 1, 1, "P341", f"{slug}.booklet.pdf is not built in {shown_out}: no "
                                       "booklet proof", "warning"))
    elif not leaflet.is_file():
        raise PublishError([Diagnostic(display, 1, 1, "P340", f"{slug}.pdf is not built; run publish build first")])
    if leaflet.is_file():
        sheets.append((out_dir / f"{slug}.leaflet.proof.png", booklet_sheet(_read(leaflet, display), title=leaflet.name,
                                                                            copies=True)))
    for target, data in sheets:
        write_atomic(target, data)
    return [target for target, _ in sheets], warnings


def _read(path: Path, display: str):
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(path.read_bytes())
    except (pypdfium2.PdfiumError, OSError) as exc:
        raise PublishError([Diagnostic(display, 1, 1, "P342", f"cannot read {path.name}: {exc}")]) from None


def contact_sheet(document, *, title: str = "") -> bytes:
    """Every page of an open pypdfium2 document (or PDF bytes) as facing spreads on one PNG."""
    document = _open(document)
    count = len(document)
    grid = Grid(_slot_size(document, PAGE_WIDTH), 2, len(spreads(count)), spreads_per_row(count))
    placed = [(number, group, slot) for group, pair in enumerate(spreads(count))
              for slot, number in enumerate(pair) if number is not None]
    return _draw(document, grid, [(n, g, s, str(n)) for n, g, s in placed], f"{title} · {count} pages")


def booklet_sheet(document, *, title: str = "", copies: bool = False) -> bytes:
    """Each A4 sheet of an imposed booklet (or of a leaflet, two `copies` to a sheet) as a row: its front, then its
    back, each labelled."""
    document = _open(document)
    count = len(document)
    grid = Grid(_slot_size(document, 2 * PAGE_WIDTH), 1, count, 2)
    placed = [(n + 1, n, 0, f"sheet {n // 2 + 1} {'back' if n % 2 else 'front'}") for n in range(count)]
    sheets = -(-count // 2)
    what = ", two copies to a sheet, cut in the middle" if copies else ""
    return _draw(document, grid, placed, f"{title} · {sheets} sheet{'s' if sheets != 1 else ''}, printed both sides{what}")


def _open(document):
    import pypdfium2

    return pypdfium2.PdfDocument(document) if isinstance(document, bytes | bytearray) else document


def _slot_size(document, width: int) -> tuple[int, int]:
    """A box `width` px wide, as tall as the tallest page scaled to that width (PDFium rounds up)."""
    height = max(math.ceil(page.get_height() * width / page.get_width() - 1e-6) for page in document)
    return width, height


def _draw(document, grid: Grid, placed: list[tuple[int, int, int, str]], header: str) -> bytes:
    """Paste each page (1-based number) into its slot with a hairline border and a label; return PNG bytes."""
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", grid.canvas(), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((MARGIN, MARGIN + HEADER // 2), header, fill=INK, font=_font(15), anchor="lm")
    small = _font(13)
    for number, group, slot, label in placed:
        x, y = grid.origin(group, slot)
        image = render_page(document[number - 1], grid.size[0]).crop((0, 0, *grid.size))
        sheet.paste(image, (x, y))
        draw.rectangle((x - 1, y - 1, x + grid.size[0], y + grid.size[1]), outline=BORDER)
        draw.text((x + grid.size[0] // 2, y + grid.size[1] + LABEL // 2 + 1), label, fill=INK, font=small, anchor="mm")
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()


def render_page(page, width: int):
    """One PDF page drawn `width` px wide on white, as an RGB PIL image."""
    return page.render(scale=width / page.get_width(), fill_color=(255, 255, 255, 255)).to_pil().convert("RGB")


def _font(size: int):
    """The bundled PT Sans for labels; Pillow's own face when it is not found."""
    from PIL import ImageFont

    from .config import PACKAGE_DIR

    for folder in (PACKAGE_DIR / "fonts", PACKAGE_DIR.parent / "fonts"):
        if (folder / LABEL_FONT).is_file():
            return ImageFont.truetype(str(folder / LABEL_FONT), size)
    return ImageFont.load_default(size)
