"""Booklet imposition on real PDFs: order on every half sheet, blanks, creep, clipping, determinism."""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from publish.impose import Sheet, choose_signature, impose, pad_order, padded, sheets

REPO = Path(__file__).resolve().parent.parent
MM = 72 / 25.4
A4_LANDSCAPE = (841.89, 595.28)
HALF = A4_LANDSCAPE[0] / 2
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


# --- test documents -------------------------------------------------------------------------


@functools.cache
def numbered(count: int, coloured: bool = False) -> bytes:
    """An A5 PDF of `count` pages, each showing its own number big; coloured: odd red, even blue."""
    import weasyprint

    colours = "@page :right { background: #f00 } @page :left { background: #00f }" if coloured else ""
    pages = "".join(f"<div>{number}</div>" for number in range(1, count + 1))
    html = (f"<html lang='en-GB'><head><title>Numbers</title><meta name='author' content='Tester'>"
            f"<style>@page {{ size: A5; margin: 0 }} {colours}"
            f" div {{ font: 120pt sans-serif; text-align: center; padding-top: 200pt }}"
            f" div + div {{ break-before: page }}</style></head><body>{pages}</body></html>")
    data = weasyprint.HTML(string=html).write_pdf()
    assert _page_count(data) == count
    return data


@functools.cache
def first_pages(count: int) -> bytes:
    """The first `count` pages of one 41-page numbered document (one WeasyPrint run for every test)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(numbered(41))))
    for index in range(len(writer.pages) - 1, count - 1, -1):
        writer.remove_page(index)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


# --- reading imposed sheets back (with PDFium, an engine independent of pypdf) ---------------


def chars(data: bytes, index: int) -> list[tuple[str, float, float]]:
    """Every visible character on a page with the left and bottom of its box."""
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(data)[index]
    text = page.get_textpage()
    found = []
    for i in range(text.count_chars()):
        char = text.get_text_range(i, 1)
        if char.strip():
            left, bottom, _, _ = text.get_charbox(i)
            found.append((char, left, bottom))
    return found


def halves(data: bytes) -> list[tuple[str, str]]:
    """The text on the (left, right) half of every side of every sheet."""
    found = []
    for index in range(_page_count(data)):
        on_page = chars(data, index)
        left = "".join(c for c, x, _ in on_page if x < HALF)
        right = "".join(c for c, x, _ in on_page if x >= HALF)
        found.append((left, right))
    return found


def pixel(data: bytes, index: int, x: float, y: float) -> tuple[int, int, int]:
    """The rendered colour at (x, y) pt from the bottom left of a side, at 2 px per pt."""
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(data)[index].render(scale=2).to_pil().convert("RGB")
    return image.getpixel((round(x * 2), round((A4_LANDSCAPE[1] - y) * 2)))


# --- the expected order, worked out by folding paper rather than by formula ------------------


def fold_reading_order(sheet_count: int) -> list[tuple[int, int, int]]:
    """(sheet, side, half) of each book page when nested sheets are folded and read front to back.

    Reading a folded stack: the right halves of the fronts and the left halves of the backs come
    first, outermost sheet to innermost; past the centre, the backs' right halves and the fronts'
    left halves follow from the innermost sheet back out.
    """
    first = [(k, side, half) for k in range(sheet_count) for side, half in ((0, 1), (1, 0))]
    second = [(k, side, half) for k in reversed(range(sheet_count)) for side, half in ((1, 1), (0, 0))]
    return first + second


def expected_halves(pages: int, signature: int) -> list[tuple[str, str]]:
    """The page number a reader should find on each half; blanks pad in front of the last page."""
    total = -(-pages // signature) * signature

    def label(position: int) -> str:
        if pages == 1:
            return "1" if position == 1 else ""
        if position < pages:
            return str(position)
        return str(pages) if position == total else ""

    grid: dict[tuple[int, int, int], str] = {}
    per_signature = signature // 4
    for start in range(0, total, signature):
        offset = start // 4
        for position, (k, side, half) in enumerate(fold_reading_order(per_signature), start=start + 1):
            grid[(offset + k, side, half)] = label(position)
    return [(grid[(k, side, 0)], grid[(k, side, 1)]) for k in range(total // 4) for side in (0, 1)]


def test_the_folding_model_matches_the_worked_example():
    assert expected_halves(8, 8) == [("8", "1"), ("2", "7"), ("6", "3"), ("4", "5")]


# --- order on the sheets ----------------------------------------------------------------------


@pytest.mark.parametrize("pages", range(1, 18))
def test_single_fold_order(pages):
    imposed = impose(first_pages(pages))
    assert halves(imposed) == expected_halves(pages, padded(pages))


@pytest.mark.parametrize(("pages", "spec", "size"), [(17, 8, 8), (40, "16-40", 40), (41, "16-40", 24),
                                                     (24, 12, 12), (41, "8-12", 12), (9, 4, 4)])
def test_signatures_stack_in_order(pages, spec, size):
    imposed = impose(first_pages(pages), signature=spec)
    assert halves(imposed) == expected_halves(pages, size)


@pytest.mark.parametrize(("pages", "spec"), [(2, None), (5, None), (17, 8), (41, "16-40"), (24, 12), (10, 4)])
def test_last_page_is_the_back_cover(pages, spec):
    size = choose_signature(pages, spec)
    total = padded(pages, size)
    outermost_of_last = (total - size) // 4  # sheet index of the last signature's outer sheet
    imposed = halves(impose(first_pages(pages), signature=spec))
    assert imposed[2 * outermost_of_last][0] == str(pages)
    assert [side for side in imposed if str(pages) in side] == [imposed[2 * outermost_of_last]]


def test_sheets_are_a4_landscape_and_as_many_as_needed():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(impose(first_pages(17), signature=8)))
    assert len(reader.pages) == 2 * 24 // 4
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.left), float(box.bottom)) == (0, 0)
        assert float(box.width) == pytest.approx(A4_LANDSCAPE[0], abs=0.01)
        assert float(box.height) == pytest.approx(A4_LANDSCAPE[1], abs=0.01)


def test_pages_are_centred_in_their_halves_at_full_size():
    import pypdfium2 as pdfium

    source = first_pages(4)
    width = pdfium.PdfDocument(source)[0].get_size()[0]
    inset = (HALF - width) / 2
    imposed = impose(source, paper_thickness_mm=0)
    originals = {c: (x, y) for index in range(4) for c, x, y in chars(source, index)}
    for index in range(2):
        for char, x, y in chars(imposed, index):
            home_x, home_y = originals[char]
            offset = inset if x < HALF else HALF + inset
            assert (x - home_x, y - home_y) == pytest.approx((offset, 0), abs=0.01), char


def test_blank_sides_paint_nothing():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(impose(first_pages(1))))
    assert reader.pages[0].get_contents() is not None
    assert reader.pages[1].get_contents() is None  # the back holds blanks 2 and 3
    assert halves(impose(first_pages(1))) == [("", "1"), ("", "")]


# --- creep and clipping -----------------------------------------------------------------------


def test_creep_moves_inner_sheets_toward_the_spine():
    source = first_pages(16)
    flat, crept = impose(source, paper_thickness_mm=0), impose(source, paper_thickness_mm=0.5)
    moved = {}
    for index in range(8):
        sheet = index // 2
        for (char, x0, y0), (same, x1, y1) in zip(chars(flat, index), chars(crept, index)):
            assert char == same and y1 == pytest.approx(y0, abs=0.01)
            toward_spine = x1 - x0 if x0 < HALF else x0 - x1
            assert toward_spine == pytest.approx(sheet * 0.5 * MM, abs=0.01), (index, char)
            moved[sheet] = toward_spine
    assert moved[0] == pytest.approx(0, abs=0.01)
    assert moved[3] == pytest.approx(1.5 * MM, abs=0.01)


def test_creep_restarts_in_every_signature():
    flat, crept = (impose(first_pages(16), signature=8, paper_thickness_mm=t) for t in (0, 1))
    # sheet order: signature 0 sheets 0, 1; signature 1 sheets 0, 1 -> fronts at indices 0, 2, 4, 6
    shifts = [chars(crept, index)[0][1] - chars(flat, index)[0][1] for index in (0, 2, 4, 6)]
    assert shifts == pytest.approx([0, MM, 0, MM], abs=0.01)


def test_a_crept_page_is_clipped_to_its_own_half():
    source = numbered(16, coloured=True)
    outer, inner = 0, 6  # fronts of the outermost (16|1) and innermost (10|7) sheets
    imposed = impose(source, paper_thickness_mm=3)  # innermost sheet moves 9 mm toward the spine
    middle = A4_LANDSCAPE[1] / 2
    assert pixel(imposed, inner, HALF - 2, middle) == BLUE  # page 10 ends at the spine ...
    assert pixel(imposed, inner, HALF + 2, middle) == RED  # ... and page 7 starts there
    assert pixel(imposed, inner, 10, middle) == WHITE  # its fore-edge moved in by 9 mm
    assert pixel(imposed, inner, A4_LANDSCAPE[0] - 10, middle) == WHITE
    assert pixel(imposed, outer, 10, middle) == BLUE
    assert pixel(imposed, outer, A4_LANDSCAPE[0] - 10, middle) == RED


# --- the file itself --------------------------------------------------------------------------


def test_output_is_byte_identical_across_runs_and_processes():
    source = first_pages(12)
    once = impose(source, signature="4-8", paper_thickness_mm=0.2)
    assert impose(source, signature="4-8", paper_thickness_mm=0.2) == once
    script = ("import sys; from publish.impose import impose; "
              "sys.stdout.buffer.write(impose(sys.stdin.buffer.read(), signature='4-8', paper_thickness_mm=0.2))")
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(REPO)}
    other = subprocess.run([sys.executable, "-c", script], input=source, capture_output=True, env=env, check=True)
    assert other.stdout == once


def test_identifier_is_derived_from_input_and_settings():
    from pypdf import PdfReader

    def identifier(data: bytes):
        return PdfReader(io.BytesIO(data)).trailer["/ID"]

    source = first_pages(6)
    first = identifier(impose(source))
    assert first[0] == first[1] and len(first[0]) == 16
    assert identifier(impose(source, paper_thickness_mm=0.3)) != first
    assert identifier(impose(first_pages(7))) != first


def test_title_author_and_language_are_kept():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(impose(first_pages(5))))
    assert reader.metadata.title == "Numbers"
    assert reader.metadata.author == "Tester"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/CreationDate" not in reader.metadata  # nothing time-dependent is added


def test_fonts_are_shared_not_copied_per_page():
    from pypdf import PdfReader

    def font_files(data: bytes) -> set[int]:
        found: set[int] = set()

        def walk(resources) -> None:
            resources = resources.get_object() if resources is not None else {}
            for font in (resources.get("/Font") or {}).values():
                for descendant in font.get_object().get("/DescendantFonts", [font]):
                    descriptor = descendant.get_object().get("/FontDescriptor")
                    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                        if descriptor is not None and key in descriptor.get_object():
                            found.add(descriptor.get_object().raw_get(key).idnum)
            for xobject in (resources.get("/XObject") or {}).values():
                walk(xobject.get_object().get("/Resources"))

        for page in PdfReader(io.BytesIO(data)).pages:
            walk(page.get("/Resources"))
        return found

    source = first_pages(40)
    assert len(font_files(impose(source, signature=8))) == len(font_files(source)) > 0


def test_importing_the_module_does_not_import_pypdf():
    script = ("import importlib.util, sys; "
              f"spec = importlib.util.spec_from_file_location('impose', {str(REPO / 'publish/impose.py')!r}); "
              "module = sys.modules['impose'] = importlib.util.module_from_spec(spec); "
              "spec.loader.exec_module(module); "
              "assert module.padded(5) == 8; print('pypdf' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- bad input ---------------------------------------------------------------------------------


def _blank_pdf(*sizes: tuple[float, float], rotate: int = 0) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for width, height in sizes:
        writer.add_blank_page(width, height)
    if rotate:
        writer.pages[-1].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("pdf", "message"), [
    (_blank_pdf(), "0 pages"),
    (_blank_pdf((419.53, 595.28), (595.28, 841.89)), "page 2 is 595.3 × 841.9 pt"),
    (_blank_pdf((419.53, 595.28), (419.53, 595.28), rotate=90), "page 2 is rotated"),
])
def test_impose_refuses_what_it_cannot_fold(pdf, message):
    with pytest.raises(ValueError, match=message):
        impose(pdf)


def test_impose_refuses_a_bad_signature():
    with pytest.raises(ValueError, match="signature 6 is not a multiple of 4"):
        impose(first_pages(3), signature=6)


# --- arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(("pages", "multiple", "result"), [(0, 4, 0), (1, 4, 4), (4, 4, 4), (5, 4, 8),
                                                          (17, 8, 24), (24, 12, 24), (41, 24, 48)])
def test_padded(pages, multiple, result):
    assert padded(pages, multiple) == result


@pytest.mark.parametrize(("pages", "total", "order"), [
    (0, 0, []),
    (1, 4, [0, None, None, None]),
    (2, 4, [0, None, None, 1]),
    (4, 4, [0, 1, 2, 3]),
    (5, 8, [0, 1, 2, 3, None, None, None, 4]),
    (7, 12, [0, 1, 2, 3, 4, 5, None, None, None, None, None, 6]),
])
def test_pad_order(pages, total, order):
    assert pad_order(pages, total) == order


@pytest.mark.parametrize(("pages", "spec", "size"), [
    (10, None, 12),  # one fold holding everything
    (10, 0, 12),
    (10, "0", 12),
    (1, None, 4),
    (17, 8, 8),
    (17, "8", 8),
    (10, 16, 16),  # a fixed size larger than the book is obeyed
    (40, "16-40", 40),  # fits one fold inside the range
    (10, "16-40", 12),  # smaller than the range: one fold, as PDF::Imposition does
    (41, "16-40", 24),  # 16 and 24 both waste 7 pages (48): the larger wins
    (44, "8-24", 24),  # 8, 12, 16 and 24 all make 48: the largest
    (33, "12-20", 12),  # 36 = 3 x 12 wastes 3; 16 -> 48 and 20 -> 40 waste more
    (50, "16-40", 28),  # 56 = 2 x 28 wastes 6, the least of any size
    (60, "16-40", 20),  # 3 x 20, no waste
    (41, "10-30", 24),  # bounds shrink to the multiples of 4 inside: 12..28
    (30, "-16", 16),  # open lower end: from 4
    (30, "8-", 32),  # open upper end: up to the whole book
    (17, " 8 - 8 ", 8),
])
def test_choose_signature(pages, spec, size):
    assert choose_signature(pages, spec) == size


@pytest.mark.parametrize(("pages", "spec", "message"), [
    (10, 6, "signature 6 is not a multiple of 4"),
    (10, -4, "signature -4 is not a multiple of 4"),
    (10, "1-3", "'1-3' allows no multiple of 4"),
    (10, "20-16", "'20-16' holds no multiple of 4"),
    (10, "13-15", "'13-15' holds no multiple of 4"),
    (10, "sixteen", "'sixteen' is neither a multiple of 4 nor a range"),
    (10, "16-40-2", "'16-40-2' is neither"),
    (10, "", "'' is neither"),
    (10, 4.0, "4.0 is neither"),
    (0, None, "0 pages"),
])
def test_choose_signature_refuses(pages, spec, message):
    with pytest.raises(ValueError, match=message):
        choose_signature(pages, spec)


def test_sheets_for_eight_pages():
    assert sheets(8, 8) == [Sheet((8, 1), (2, 7), 0, 0), Sheet((6, 3), (4, 5), 0, 1)]


def test_sheets_stack_signatures():
    assert sheets(8, 4) == [Sheet((4, 1), (2, 3), 0, 0), Sheet((8, 5), (6, 7), 1, 0)]


@pytest.mark.parametrize(("total", "signature"), [(10, 4), (8, 6), (8, 0), (0, 0)])
def test_sheets_refuse_uneven_splits(total, signature):
    with pytest.raises(ValueError, match=f"{total} pages do not split into signatures of {signature}"):
        sheets(total, signature)
