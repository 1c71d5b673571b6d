"""publish proof: the contact sheets of a built pamphlet, as facing spreads and as booklet sheets."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEED

from publish import proof as proofs
from publish.cli import main
from publish.proof import proof

A5 = (419.53, 595.28)  # pt
A4_LANDSCAPE = (841.89, 595.28)


@pytest.fixture()
def out(built, tmp_path) -> Path:
    """A fresh --out holding the seed's built reading PDF, booklet and manifest."""
    dist, _ = built
    target = tmp_path / "dist"
    target.mkdir()
    for name in (f"{SEED}.pdf", f"{SEED}.booklet.pdf", "manifest.json"):
        shutil.copy(dist / name, target / name)
    return target


def open_pdf(path: Path):
    import pypdfium2

    return pypdfium2.PdfDocument(path)


def open_png(path: Path):
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.convert("RGB")


def rendered(page, width: int, height: int):
    """The page drawn as the sheet draws it, independently of the sheet, in a `width` x `height` box."""
    image = page.render(scale=width / page.get_width(), fill_color=(255, 255, 255, 255)).to_pil().convert("RGB")
    return image.crop((0, 0, width, height))


def same(a, b) -> bool:
    from PIL import ImageChops

    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def darkest(image) -> int:
    return min(image.convert("L").getextrema())


def inked(image) -> float:
    """Share of pixels darker than mid-grey: type at 300 px is grey, but a page of it is a few percent of dark pixels."""
    grey = image.convert("L")
    return sum(grey.histogram()[:128]) / (grey.size[0] * grey.size[1])


def page_box(number: int, count: int) -> tuple[int, int, int, int]:
    """Where page `number` should be on the reading sheet: spreads 1 | 2-3 | 4-5 …, ceil(sqrt(spreads)) to a row."""
    width, height = 300, math.ceil(A5[1] * 300 / A5[0])
    spread, slot = (0, 1) if number == 1 else (number // 2, number % 2)
    per_row = math.ceil(math.sqrt(count // 2 + 1))
    row, column = divmod(spread, per_row)
    x = 32 + column * (2 * width + 4 + 40) + slot * (width + 4)
    y = 32 + 36 + row * (height + 24 + 24)
    return x, y, x + width, y + height


def test_library_writes_both_sheets_and_leaves_the_manifest_alone(out):
    manifest = (out / "manifest.json").read_bytes()
    result = proof([REPO / "source"], root=REPO, out=out)
    assert result.ok and result.diagnostics == ()
    assert result.written == (out / f"{SEED}.proof.png", out / f"{SEED}.booklet.proof.png")
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in result.written)
    assert (out / "manifest.json").read_bytes() == manifest
    assert not list(out.glob(".*.part"))


def test_reading_sheet_is_a_grid_of_facing_spreads(out):
    proof([REPO / "source"], root=REPO, out=out)
    sheet, pdf = open_png(out / f"{SEED}.proof.png"), open_pdf(out / f"{SEED}.pdf")
    count = len(pdf)
    spreads = count // 2 + 1
    per_row = math.ceil(math.sqrt(spreads))
    rows = math.ceil(spreads / per_row)
    height = math.ceil(A5[1] * 300 / A5[0])
    assert sheet.size == (2 * 32 + per_row * 604 + (per_row - 1) * 40, 2 * 32 + 36 + rows * (height + 24) + (rows - 1) * 24)
    for number in range(1, count + 1):
        box = page_box(number, count)
        assert same(sheet.crop(box), rendered(pdf[number - 1], 300, 426)), f"page {number} is not at {box}"
        assert sheet.getpixel((box[0] - 1, box[1] + 50)) == proofs.BORDER, f"page {number} has no hairline border"
        label = sheet.crop((box[0], box[3] + 2, box[2], box[3] + 24))
        assert darkest(label) < 160, f"no page number under page {number}"
    x0, y0, _, y1 = page_box(1, count)
    assert sheet.getpixel((x0 - 150, (y0 + y1) // 2)) == proofs.BACKGROUND, "page 1 must stand alone on the right"


def test_a_blank_page_is_white_and_a_text_page_has_ink(out):
    proof([REPO / "source"], root=REPO, out=out)
    sheet, pdf = open_png(out / f"{SEED}.proof.png"), open_pdf(out / f"{SEED}.pdf")
    count = len(pdf)
    assert inked(sheet.crop(page_box(3, count))) > 0.01, "page 3 opens the text: it must show dark type"
    blank = [n for n in range(1, count + 1) if darkest(rendered(pdf[n - 1], 300, 426)) == 255]
    if not blank:
        pytest.skip("the seed has no blank page at the moment")
    assert darkest(sheet.crop(page_box(blank[0], count))) == 255


def test_booklet_sheet_shows_each_sheet_front_then_back(out):
    proof([REPO / "source"], root=REPO, out=out)
    sheet, pdf = open_png(out / f"{SEED}.booklet.proof.png"), open_pdf(out / f"{SEED}.booklet.pdf")
    sides = len(pdf)
    rows = math.ceil(sides / 2)
    height = math.ceil(A4_LANDSCAPE[1] * 600 / A4_LANDSCAPE[0])
    assert sheet.size == (2 * 32 + 2 * 600 + 40, 2 * 32 + 36 + rows * (height + 24) + (rows - 1) * 24)
    for index in range(sides):
        row, column = divmod(index, 2)
        x, y = 32 + column * 640, 32 + 36 + row * (height + 48)
        assert same(sheet.crop((x, y, x + 600, y + height)), rendered(pdf[index], 600, height)), f"booklet side {index + 1}"


def test_same_pdf_gives_the_same_png_bytes(out):
    first = proof([REPO / "source"], root=REPO, out=out)
    kept = [p.read_bytes() for p in first.written]
    second = proof([REPO / "source"], root=REPO, out=out)
    assert [p.read_bytes() for p in second.written] == kept


def test_a_sheet_is_small_enough_to_pass_around(out):
    proof([REPO / "source"], root=REPO, out=out)
    assert (out / f"{SEED}.proof.png").stat().st_size < 2_000_000
    assert (out / f"{SEED}.booklet.proof.png").stat().st_size < 2_000_000


def test_grid_for_other_page_counts():
    assert proofs.spreads(1) == [(None, 1)]
    assert proofs.spreads(6) == [(None, 1), (2, 3), (4, 5), (6, None)]
    assert proofs.spreads(7) == [(None, 1), (2, 3), (4, 5), (6, 7)]
    assert [proofs.spreads_per_row(n) for n in (1, 2, 7, 12, 16, 40, 400)] == [1, 2, 2, 3, 3, 5, 8]


def test_cli_writes_the_sheets(out):
    run = subprocess.run([sys.executable, "-m", "publish", "proof", "source", "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"wrote {out / f'{SEED}.proof.png'} (" in run.stderr
    assert f"{SEED}.booklet.proof.png" in run.stderr
    assert (out / f"{SEED}.proof.png").is_file()


@pytest.fixture()
def project(built, tmp_path, monkeypatch) -> Path:
    """Two sources, only the first of them built (its PDF under the second's name is absent)."""
    dist, _ = built
    (tmp_path / "source").mkdir()
    for slug in ("alpha", "beta"):
        shutil.copy(REPO / "source" / f"{SEED}.md", tmp_path / "source" / f"{slug}.md")
    (tmp_path / "dist").mkdir()
    shutil.copy(dist / f"{SEED}.pdf", tmp_path / "dist" / "alpha.pdf")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_missing_pdf_is_an_error_and_the_other_sources_still_get_their_proofs(project, capsys):
    assert main(["proof"]) == 1
    err = capsys.readouterr().err
    assert "source/beta.md:1:1: error P340: beta.pdf is not built; run publish build first" in err
    assert "source/alpha.md:1:1: warning P341: alpha.booklet.pdf is not built" in err
    assert (project / "dist" / "alpha.proof.png").is_file()
    assert not (project / "dist" / "beta.proof.png").exists()
    assert "Traceback" not in err


def test_library_reports_the_missing_pdf(project):
    result = proof(root=project)
    assert not result.ok
    assert [d.code for d in result.diagnostics] == ["P341", "P340"]
    assert result.written == (project / "dist" / "alpha.proof.png",)


def test_only_a_booklet_missing_is_a_warning_and_exit_0(project, capsys):
    assert main(["proof", "source/alpha.md"]) == 0
    assert "warning P341" in capsys.readouterr().err


def test_unknown_path_and_unreadable_pdf(project, capsys):
    (project / "dist" / "beta.pdf").write_bytes(b"%PDF-1.7 not really")
    assert main(["proof", "source/beta.md", "source/gamma.md"]) == 1
    err = capsys.readouterr().err
    assert "source/gamma.md:1:1: error P106" in err
    assert "source/beta.md:1:1: error P342: cannot read beta.pdf" in err
