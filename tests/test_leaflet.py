"""The leaflet: a short text on one A5 sheet, front and back, two copies to an A4 sheet printed duplex."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEED, which_or_skip

EPOCH = "1700000000"
A4_LANDSCAPE = (841.89, 595.28)
HALF = A4_LANDSCAPE[0] / 2
FLOOR = 8.5  # pt: the smallest body type a leaflet is set in
LAST_SENTENCE = "the entire extractive and large-scale industry of the country!"


def words_of(markdown: str) -> list[str]:
    """The seed's body paragraphs, in order, each as its letters and digits only (what any layout keeps)."""
    body = markdown.split("---\n", 2)[2]
    return [squeeze(p) for p in body.strip().split("\n\n") if p.strip()]


def squeeze(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def long_text(words: int) -> str:
    """A statement of about `words` words, made of the seed's own paragraphs."""
    body = (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    paragraphs = [p for p in body.strip().split("\n\n") if not p[0].isdigit()]
    chosen, count = [], 0
    while count < words:
        chosen.append(paragraphs[len(chosen) % len(paragraphs)])
        count += len(chosen[-1].split())
    return "\n\n".join(chosen)


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "publish", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The seed, a 2,000-word and a 6,000-word statement, the seed with a lead photo and a short text with one, built
    once as leaflets (the project's only default format)."""
    root = tmp_path_factory.mktemp("leaflet")
    (root / "source").mkdir()
    shutil.copy(REPO / "source" / f"{SEED}.md", root / "source" / f"{SEED}.md")
    for name, words in (("long", 2000), ("huge", 6000)):
        (root / "source" / f"{name}.md").write_text(f"---\ntitle: A {name} statement\nauthor: Someone\n---\n\n"
                                                    f"{long_text(words)}\n\nThe last words of the {name} text.\n")
    from PIL import Image

    Image.new("RGB", (1500, 900), (155, 28, 19)).save(root / "source" / "rally.png")  # 317 ppi at the text's width
    seed = (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8")
    photo = "image: rally.png\nimage_alt: A rally\n"
    (root / "source" / "pictured.md").write_text(seed.replace("caption:", photo + "caption:", 1), encoding="utf-8")
    (root / "source" / "short.md").write_text(f"---\ntitle: A short call\nauthor: Someone\n{photo}---\n\n"
                                              f"{long_text(150)}\n", encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.publish]\nformats = ["leaflet"]\n')
    return root, run(root, "build")


def text(pdf: Path, page: int, half: int, *options: str) -> str:
    """pdftotext of one half (0 left, 1 right) of one A4 page."""
    tool = which_or_skip("pdftotext")
    crop = ["-x", str(round(half * HALF)), "-y", "0", "-W", str(math.floor(HALF)), "-H", str(round(A4_LANDSCAPE[1]))]
    return subprocess.run([tool, "-f", str(page), "-l", str(page), *crop, *options, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_the_seed_is_one_a4_landscape_sheet_printed_both_sides(project):
    from pypdf import PdfReader

    root, built = project
    assert f"wrote dist/{SEED}.leaflet.pdf" in built.stderr and f"{SEED}.pdf " not in built.stderr  # only the leaflet
    pages = PdfReader(root / "dist" / f"{SEED}.leaflet.pdf").pages
    assert [(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in pages] == [A4_LANDSCAPE] * 2
    entry = next(a for a in json.loads((root / "dist" / "manifest.json").read_text())["artifacts"]
                 if a["path"] == f"{SEED}.leaflet.pdf")
    assert (entry["format"], entry["pages"]) == ("leaflet", 2)


def test_both_halves_of_each_side_carry_the_same_text(project):
    pdf = project[0] / "dist" / f"{SEED}.leaflet.pdf"
    for page in (1, 2):
        left, right = text(pdf, page, 0), text(pdf, page, 1)
        assert len(left.split()) > 100 and left == right, f"side {page}"
    front, back = text(pdf, 1, 0), text(pdf, 2, 0)
    assert "Socialist Movement of Kazakhstan calls" in front and "strugglelalucha" in squeeze(front)  # the title block
    assert LAST_SENTENCE in " ".join(back.split())  # the text ends on the back…
    assert "Read it online" in back and "Read it online" not in front  # …over the imprint and its QR code


def test_the_whole_text_is_there_in_order(project):
    pdf = project[0] / "dist" / f"{SEED}.leaflet.pdf"
    printed = squeeze(text(pdf, 1, 0) + text(pdf, 2, 0))
    at = 0
    for number, paragraph in enumerate(words_of((REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8"))):
        found = printed.find(paragraph, at)
        assert found >= 0, f"paragraph {number + 1} is missing or out of order: {paragraph[:60]}"
        at = found + len(paragraph)


def font_sizes(pdf: Path) -> dict[str, set[float]]:
    """Each font's sizes in pt as drawn (the text matrix times the placement on the sheet)."""
    from pypdf import PdfReader

    sizes: dict[str, set[float]] = {}
    for page in PdfReader(pdf).pages:
        def visit(found, cm, tm, font, size):
            if found.strip() and font:
                scale = math.hypot(tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3])
                sizes.setdefault(str(font["/BaseFont"]).split("+")[-1], set()).add(round(size * scale, 2))
        page.extract_text(visitor_text=visit)
    return sizes


def test_the_text_is_set_no_smaller_than_the_floor(project):
    sizes = font_sizes(project[0] / "dist" / f"{SEED}.leaflet.pdf")
    text_face = sizes["PT-Serif"] | sizes["PT-Serif-Italic"]
    assert text_face and FLOOR - 0.01 <= min(text_face) and max(sizes["PT-Serif"]) <= 10.5


def placements(pdf: Path) -> list[list[tuple[float, ...]]]:
    """For each A4 side, the matrices its A5 pages are drawn with (`a b c d e f cm /Pn Do`)."""
    from pypdf import PdfReader

    found = []
    for page in PdfReader(pdf).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        found.append([tuple(float(v) for v in m.split()) for m in re.findall(r"((?:-?[\d.]+ ){6})cm /P\d Do", stream)])
    return found


def test_the_backs_stand_upright_behind_their_fronts_on_a_short_edge_flip(project):
    """Turned over on its short edge, a sheet's point (x, y) on the back lies behind (W - x, y) on the front: each A5
    back, upright and unrotated, must fill exactly the box of the front copy it lies behind."""
    pdf = project[0] / "dist" / f"{SEED}.leaflet.pdf"
    front, back = placements(pdf)
    assert len(front) == len(back) == 2
    width = 419.53  # the A5 page
    for matrix in front + back:
        assert matrix[:4] == (1, 0, 0, 1)  # upright: neither rotated nor mirrored
    front_boxes = sorted((e, f) for *_, e, f in front)
    behind = sorted((A4_LANDSCAPE[0] - e - width, f) for *_, e, f in back)
    assert all(abs(x - y) < 0.5 and abs(f - g) < 0.01 for (x, f), (y, g) in zip(front_boxes, behind))
    tool = which_or_skip("pdftotext")
    first = subprocess.run([tool, "-f", "2", "-l", "2", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    y_min = float(re.search(r'<word xMin="[\d.]+" yMin="([\d.]+)"', first)[1])
    assert y_min < 60  # the back's first line at the head of the sheet, as the front's title


def test_a_2000_word_text_takes_two_sheets_with_a_warning(project):
    root, built = project
    assert "source/long.md:1:1: warning P180: the text does not fit one leaflet sheet (two sides)" in built.stderr
    pdf = root / "dist" / "long.leaflet.pdf"
    from pypdf import PdfReader

    assert len(PdfReader(pdf).pages) == 4
    assert "The last words of the long text." in text(pdf, 4, 0) and text(pdf, 4, 0) == text(pdf, 4, 1)
    assert min(font_sizes(pdf)["PT-Serif"]) >= FLOOR - 0.01


def test_a_6000_word_text_is_an_error_that_says_to_make_a_pamphlet(project):
    root, built = project
    assert built.returncode == 1
    assert re.search(r"source/huge\.md:1:1: error P181: the text does not fit a leaflet: it takes \d+ A5 sides at "
                     r"8\.5 pt, and a leaflet has at most 4; make a pamphlet of it", built.stderr)
    assert not (root / "dist" / "huge.leaflet.pdf").exists()


def test_the_leaflet_is_reproducible_and_passes_preflight(project, tmp_path, monkeypatch):
    from publish import build

    root, _ = project
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = build([root / "source" / f"{SEED}.md"], out=tmp_path, root=root, force=True)
    assert again.ok and [a.format for a in again.artifacts] == ["leaflet"], [str(d) for d in again.diagnostics]
    assert (tmp_path / f"{SEED}.leaflet.pdf").read_bytes() == (root / "dist" / f"{SEED}.leaflet.pdf").read_bytes()
    from publish.preflight import preflight

    assert preflight((tmp_path / f"{SEED}.leaflet.pdf").read_bytes(), "leaflet", "x.leaflet.pdf") == []


def test_proof_shows_the_leaflet_sheet(project):
    root, _ = project
    done = run(root, "proof", f"source/{SEED}.md")
    assert done.returncode == 0, done.stderr  # no reading PDF built: the leaflet alone is proofed, no P340
    from PIL import Image

    with Image.open(root / "dist" / f"{SEED}.leaflet.proof.png") as image:
        assert image.width > 2 * 600 and image.height > 300  # front and back side by side, 600 px each


def test_formats_setting(tmp_path):
    from publish.config import load_config
    from publish.errors import PublishError

    assert load_config(tmp_path).formats == ("pdf", "press", "booklet", "epub", "html")  # no leaflet by default
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\nformats = ["pdf", "leaflet"]\n')
    assert load_config(tmp_path).formats == ("pdf", "leaflet")
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\nformats = ["pdf", "flyer"]\n')
    with pytest.raises(PublishError) as caught:
        load_config(tmp_path)
    assert [d.code for d in caught.value.diagnostics] == ["P133"] and "flyer" in caught.value.diagnostics[0].message


def images_on(pdf: Path) -> list[int]:
    """The A4 sides (1-based) that draw an image, however deep in forms."""
    import pypdfium2
    from pypdfium2 import raw

    return [n for n, page in enumerate(pypdfium2.PdfDocument(pdf), start=1)
            if any(o.type == raw.FPDF_PAGEOBJ_IMAGE for o in page.get_objects(max_depth=8))]


def test_the_lead_photo_sits_under_the_title_when_the_text_fits_with_it(project):
    root, built = project
    pdf = root / "dist" / "short.leaflet.pdf"
    assert images_on(pdf) == [1]  # on the front, twice (one image drawn in each copy's form)
    front = text(pdf, 1, 0)
    assert front.index("A short call") < front.index("Someone") < front.index(long_text(150).split()[0])
    assert "short.md" not in built.stderr  # fits, with nothing to say


def test_a_lead_photo_that_keeps_the_text_from_fitting_is_left_out_with_a_note(project):
    root, built = project
    assert ("source/pictured.md:1:1: note P182: the lead photo rally.png is left out of the leaflet: with it, the text "
            "does not fit on 2 sides even at 8.5 pt") in built.stderr
    pdf = root / "dist" / "pictured.leaflet.pdf"
    assert images_on(pdf) == [] and LAST_SENTENCE in " ".join(text(pdf, 2, 0).split())


@pytest.mark.parametrize("formats", [["leaflet"], ["pdf", "leaflet"]])
def test_a_language_without_hyphenation_is_said_once(tmp_path, formats):
    from publish import build

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "kk.md").write_text("---\ntitle: Үндеу\nauthor: Біреу\nlang: kk\n---\n\n"
                                               "Барлық елдердің пролетарлары, бірігіңдер!\n", encoding="utf-8")
    manifest = build(out=tmp_path / "dist", root=tmp_path, formats=formats)
    assert manifest.ok and [a.format for a in manifest.artifacts] == formats
    assert [d.severity for d in manifest.diagnostics if d.code == "P170"] == ["note"]
    assert "Барлық елдердің пролетарлары" in " ".join(text(tmp_path / "dist" / "kk.leaflet.pdf", 1, 1).split())
