"""Visual regression: pages 1-3 of the seed's A5 PDF, drawn small and grey, against stored references.

Update the references on purpose after a design change, and look at them before committing:

    .venv/bin/pytest tests/test_visual.py --update-references      (or PUBLISH_UPDATE_REFERENCES=1)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, SEED

REFERENCES = Path(__file__).parent / "references"
PAGES = (1, 2, 3)
DPI = 40  # an A5 page is 234 x 331 px: layout, type sizes and colour blocks show, rendering noise does not
EPOCH = "1641772800"
MAX_MEAN = 1.0  # mean absolute difference per pixel, of 255
MAX_CHANGED = 0.0025  # share of pixels that differ by more than CHANGED levels
CHANGED = 64
UPDATE_COMMAND = ".venv/bin/pytest tests/test_visual.py --update-references"


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory):
    """The seed's A5 PDF built with a fixed SOURCE_DATE_EPOCH, open in PDFium."""
    import pypdfium2

    from publish import build

    out = tmp_path_factory.mktemp("visual")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        manifest = build([REPO / "source" / f"{SEED}.md"], out=out, root=REPO, formats=["pdf"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return pypdfium2.PdfDocument(out / f"{SEED}.pdf")


def render(document, number: int):
    """Page `number` (1-based) at DPI, greyscale on white."""
    page = document[number - 1]
    return page.render(scale=DPI / 72, grayscale=True, fill_color=(255, 255, 255, 255)).to_pil().convert("L")


def reference_path(number: int) -> Path:
    return REFERENCES / f"{SEED}-page{number}.png"


def mismatch(actual, expected) -> str | None:
    """Why two renders differ beyond the tolerance, or None when they match."""
    from PIL import ImageChops, ImageStat

    if actual.size != expected.size:
        return f"size {actual.size[0]}x{actual.size[1]} px, reference {expected.size[0]}x{expected.size[1]} px"
    difference = ImageChops.difference(actual.convert("L"), expected.convert("L"))
    mean = ImageStat.Stat(difference).mean[0]
    changed = sum(difference.histogram()[CHANGED + 1:]) / (actual.size[0] * actual.size[1])
    if mean > MAX_MEAN or changed > MAX_CHANGED:
        return (f"mean difference {mean:.2f}/255 (limit {MAX_MEAN}), {changed:.2%} of pixels changed by more than "
                f"{CHANGED} levels (limit {MAX_CHANGED:.2%})")
    return None


def diff_image(actual, expected):
    """What changed, dark on white, strengthened so faint changes show."""
    from PIL import ImageChops, ImageOps

    difference = ImageChops.difference(actual.convert("L"), expected.convert("L").resize(actual.size))
    return ImageOps.invert(difference.point(lambda v: min(255, v * 4)))


def updating(request) -> bool:
    return bool(request.config.getoption("--update-references")) or os.environ.get("PUBLISH_UPDATE_REFERENCES") == "1"


def shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def check_against(actual, reference: Path, workdir: Path, name: str) -> None:
    """Fail, saving the actual render and a diff image in `workdir`, unless `actual` matches `reference`."""
    from PIL import Image

    if not reference.is_file():
        pytest.fail(f"no reference {shown(reference)} for {name}; create it with `{UPDATE_COMMAND}`, "
                    "look at it, and commit it", pytrace=False)
    with Image.open(reference) as stored:
        expected = stored.convert("L")
    problem = mismatch(actual, expected)
    if problem:
        actual_path, diff_path = workdir / f"{name}.actual.png", workdir / f"{name}.diff.png"
        actual.save(actual_path)
        diff_image(actual, expected).save(diff_path)
        pytest.fail(f"{name} no longer looks like {shown(reference)}: {problem}\n"
                    f"  actual: {actual_path}\n  diff:   {diff_path}\n"
                    f"If the change is intended, update the references with `{UPDATE_COMMAND}`.", pytrace=False)


@pytest.mark.parametrize("number", PAGES)
def test_page_matches_reference(seed_pdf, number, request, tmp_path):
    actual, reference = render(seed_pdf, number), reference_path(number)
    if updating(request):
        reference.parent.mkdir(exist_ok=True)
        actual.save(reference, "PNG", optimize=True)
        pytest.skip(f"rewrote {shown(reference)}: look at it, then commit it")
    check_against(actual, reference, tmp_path, f"page{number}")


def test_page_1_against_page_3s_reference_fails_with_images_to_look_at(seed_pdf, tmp_path):
    """The comparison can fail: the title page is not the first page of text, and the failure says where to look."""
    reference = tmp_path / "page3.png"
    render(seed_pdf, 3).save(reference)
    with pytest.raises(pytest.fail.Exception) as failure:
        check_against(render(seed_pdf, 1), reference, tmp_path, "page1")
    message = str(failure.value)
    assert "page1 no longer looks like" in message and "--update-references" in message
    assert (tmp_path / "page1.actual.png").is_file() and (tmp_path / "page1.diff.png").is_file()
    assert f"actual: {tmp_path / 'page1.actual.png'}" in message


def test_a_missing_reference_fails_and_says_how_to_create_it(seed_pdf, tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"no reference .*create it with `.*--update-references`"):
        check_against(render(seed_pdf, 1), tmp_path / "absent.png", tmp_path, "page1")


def test_a_changed_line_is_a_mismatch_and_an_identical_page_is_not(seed_pdf):
    from PIL import ImageChops, ImageDraw

    page = render(seed_pdf, 3)
    assert mismatch(page, page.copy()) is None
    blotted = page.copy()
    ImageDraw.Draw(blotted).rectangle((50, 100, 120, 106), fill=0)  # about one line of text, 45 mm long
    assert mismatch(blotted, page)
    assert mismatch(ImageChops.offset(page, 0, 1), page), "the text moved down by 1 px (0.6 mm) must show"
    assert "size" in mismatch(page.crop((0, 0, 234, 300)), page)
    diff = diff_image(blotted, page)
    assert diff.getpixel((10, 10)) == 255 and diff.getpixel((60, 103)) < 128
