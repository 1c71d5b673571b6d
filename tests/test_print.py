"""The print formats: press PDF boxes, marks, padding and PDF/X-4; booklet sheets; tagged PDF; preflight."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, SEED

from publish import build
from publish.cli import main
from publish.preflight import preflight

MM = 72 / 25.4
A5 = (419.53, 595.28)
ICC = Path(os.environ.get("PUBLISH_TEST_ICC", REPO / ".cache/icc/ISOcoated_v2_300_bas.icc"))


def reader(path):
    from pypdf import PdfReader

    return PdfReader(path)


def box(page, name):
    return [float(v) for v in page[name]]


def half_texts(path, sheet: int) -> tuple[str, str]:
    """The text on the left and the right half of one side of an imposed sheet."""
    import pypdfium2

    page = pypdfium2.PdfDocument(str(path))[sheet]
    width, height = page.get_size()
    text = page.get_textpage()
    return text.get_text_bounded(0, 0, width / 2, height).strip(), text.get_text_bounded(width / 2, 0, width, height).strip()


def project(tmp_path, source_text: str | None = None, settings: str = "", print_css_extra: str = "", files=()):
    """A pamphlet project with one source, optional [tool.publish] settings and an extended print.css."""
    root = tmp_path / "project"
    (root / "source").mkdir(parents=True)
    text = source_text or (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8")
    (root / "source" / "pamphlet.md").write_text(text, encoding="utf-8")
    if settings:
        (root / "pyproject.toml").write_text("[tool.publish]\n" + settings, encoding="utf-8")
    if print_css_extra:
        (root / "styles").mkdir()
        (root / "styles" / "print.css").write_text((REPO / "styles" / "print.css").read_text() + print_css_extra)
    for name, data in files:
        (root / "source" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "source" / name).write_bytes(data)
    return root


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


# --- press -----------------------------------------------------------------------------------


def test_press_boxes_padding_and_back_cover(built):
    out, _ = built
    press = reader(out / f"{SEED}.press.pdf")
    digital = reader(out / f"{SEED}.pdf")
    assert len(press.pages) % 4 == 0 and len(press.pages) >= len(digital.pages)
    for page in press.pages:
        trim, bleed, media = box(page, "/TrimBox"), box(page, "/BleedBox"), box(page, "/MediaBox")
        assert (round(trim[2] - trim[0], 2), round(trim[3] - trim[1], 2)) == A5
        assert [round(b - t, 3) for b, t in zip(bleed, trim)] == [round(-3 * MM, 3)] * 2 + [round(3 * MM, 3)] * 2
        assert media[0] < bleed[0] and media[1] < bleed[1] and media[2] > bleed[2] and media[3] > bleed[3]
    texts = [p.extract_text() for p in press.pages]
    assert "READ IT ONLINE" in texts[-1].upper() and "READ IT ONLINE" not in texts[-2].upper()  # the back cover, last
    padding = len(press.pages) - len(digital.pages)
    assert all(not t.strip() for t in texts[len(digital.pages) - 1 : -1]) and padding == 1  # seed: 7 pages + 1 blank


def test_crop_marks_lie_outside_the_bleed(built):
    from pypdf.generic import ContentStream

    out, _ = built
    press = reader(out / f"{SEED}.press.pdf")
    for page in press.pages:
        bleed, media = box(page, "/BleedBox"), box(page, "/MediaBox")
        first = page["/Contents"][0].get_object()
        points = [tuple(float(v) for v in operands) for operands, op in ContentStream(first, press).operations if op in (b"m", b"l")]
        assert len(points) == 16  # two strokes at each of the four corners
        for x, y in points:
            assert not (bleed[0] < x < bleed[2] and bleed[1] < y < bleed[3]), (x, y)  # never inside the bleed
            assert media[0] <= x <= media[2] and media[1] <= y <= media[3]


def test_page_background_reaches_into_the_bleed(tmp_path):
    import pypdfium2

    root = project(tmp_path, print_css_extra="@page { background: rgb(200, 0, 0) }\n")
    manifest = build(out=root / "dist", root=root, formats=["press"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    page = pypdfium2.PdfDocument(str(root / "dist" / "pamphlet.press.pdf"))[0]
    image = page.render(scale=2).to_pil().convert("RGB")  # 144 dpi: 1 mm = 5.67 px
    media_left = float(page.get_mediabox()[0])
    trim_left_px = (0 - media_left) * 2
    y = image.height // 2
    in_bleed = image.getpixel((int(trim_left_px - 1.5 * MM * 2), y))
    beyond = image.getpixel((int(trim_left_px - 6 * MM * 2), y))
    assert in_bleed[0] > 150 and in_bleed[1] < 60, in_bleed
    assert beyond == (255, 255, 255), beyond


@pytest.mark.skipif(not ICC.is_file(), reason=f"no CMYK ICC profile at {ICC} (scripts/setup.sh test fetches one)")
def test_press_is_pdfx4_with_the_cmyk_output_intent_and_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    root = project(tmp_path, settings=f'press_icc = "{ICC}"\n')
    first = build(out=root / "a", root=root, formats=["press"])
    second = build(out=root / "b", root=root, formats=["press"])
    assert first.ok and second.ok, [str(d) for d in first.diagnostics]
    data = (root / "a" / "pamphlet.press.pdf").read_bytes()
    assert data == (root / "b" / "pamphlet.press.pdf").read_bytes()
    pdf = reader(io.BytesIO(data))
    catalog = pdf.trailer["/Root"]
    intent = catalog["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and intent["/DestOutputProfile"].get_object()["/N"] == 4
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    assert re.search(r"xmp\.did:[0-9a-f-]{36}", xmp)
    assert all(box(p, "/TrimBox") for p in pdf.pages) and len(pdf.pages) % 4 == 0
    assert b"/DeviceRGB" not in data  # text and house colours are inks, not RGB
    assert not [d for d in first.diagnostics if d.severity == "error"]


def test_press_without_a_profile_is_a_plain_pdf(built):
    out, _ = built
    catalog = reader(out / f"{SEED}.press.pdf").trailer["/Root"]
    assert "/OutputIntents" not in catalog


def test_unknown_setting_and_missing_profile_are_clear_errors(tmp_path, capsys):
    root = project(tmp_path, settings='press_icc = "nowhere.icc"\n')
    os.chdir(root)
    try:
        assert main(["build", "--format", "press"]) == 1
        assert "P133" in capsys.readouterr().err
        (root / "pyproject.toml").write_text('[tool.publish]\npress_ic = "x"\n')
        assert main(["build", "--format", "press"]) == 1
        assert "unknown [tool.publish] setting 'press_ic'" in capsys.readouterr().err
        (root / "pyproject.toml").write_text('[tool.publish]\nsignature = "16-abc"\n')
        assert main(["build", "--format", "html"]) == 1  # refused where the setting is read, whatever the format
        assert "P133: signature: signature '16-abc' is neither" in capsys.readouterr().err
    finally:
        os.chdir(REPO)


# --- digital PDF -------------------------------------------------------------------------------


def test_digital_pdf_is_tagged_with_title_language_and_bookmarks(built):
    out, _ = built
    pdf = reader(out / f"{SEED}.pdf")
    catalog = pdf.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    assert "/StructTreeRoot" in catalog and catalog["/StructTreeRoot"]["/K"]
    assert catalog["/Lang"] == "en" and catalog["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert re.search(r"pdfuaid:part=\"1\"|pdfuaid:part>1<", catalog["/Metadata"].get_object().get_data().decode())
    assert pdf.metadata.title.startswith("Socialist Movement of Kazakhstan")
    assert [o.title for o in pdf.outline if not isinstance(o, list)][-1] == "Colophon"


# --- booklet -----------------------------------------------------------------------------------


def test_seed_booklet_sheets_are_a4_landscape_in_saddle_stitch_order(built):
    out, _ = built
    path = out / f"{SEED}.booklet.pdf"
    pdf = reader(path)
    assert len(pdf.pages) == 4  # 8 pages: 2 sheets, front and back
    for page in pdf.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == (841.89, 595.28)
    front1, back1, front2, back2 = (half_texts(path, n) for n in range(4))
    assert "READ IT ONLINE" in front1[0].upper() and front1[1].startswith("STRUGGLE-LA-LUCHA")  # 8 | 1: back and front cover
    assert back1 == ("", "")  # 2 | 7: the cover's verso and the padding page
    assert front2[0].endswith("6") and front2[1].startswith("In a statement")  # 6 | 3: a folio, and the opening page (none)
    assert back2[0].endswith("4") and back2[1].endswith("5")  # 4 | 5


LONG_SECTION = "\n\n## {n}. Part {n}\n\n" + (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8").split("---\n", 2)[2]


@pytest.fixture(scope="module")
def forty_pages(tmp_path_factory):
    """A pamphlet of about 40 pages, imposed in signatures chosen from 16-40."""
    tmp = tmp_path_factory.mktemp("long")
    text = "---\ntitle: A long pamphlet\nauthor: Test Collective\nlang: en\n---\n" + "".join(LONG_SECTION.format(n=n) for n in range(1, 13))
    root = project(tmp, source_text=text, settings='signature = "16-40"\npaper_thickness = 0.1\n')
    manifest = build(out=root / "dist", root=root)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return root / "dist", manifest


def test_forty_page_pamphlet_in_every_print_format(forty_pages):
    from publish.impose import choose_signature

    out, manifest = forty_pages
    pages = {a.format: a.pages for a in manifest.artifacts}
    assert 36 <= pages["pdf"] <= 44 and pages["press"] % 4 == 0 and pages["press"] - pages["pdf"] < 4
    signature = choose_signature(pages["pdf"], "16-40")
    assert pages["booklet"] == pages["press"] // 2 and pages["press"] % signature == 0
    for fmt in ("pdf", "press", "booklet"):
        name = "pamphlet" + ("" if fmt == "pdf" else f".{fmt}") + ".pdf"
        assert preflight((out / name).read_bytes(), fmt, name) == []
    press = reader(out / "pamphlet.press.pdf").pages
    assert press[-1].extract_text().split("\n")[:2] == ["A long pamphlet", "Test Collective"]  # the back cover's imprint
    assert not press[-2].extract_text().strip() or press[-2].extract_text() != press[-1].extract_text()


# --- preflight ---------------------------------------------------------------------------------


def test_low_resolution_image_is_a_warning_naming_it_and_strict_makes_it_fatal(tmp_path):
    text = "---\ntitle: Photo\nauthor: A\n---\n\nText before.\n\n![A small photo](images/small.png)\n"
    root = project(tmp_path, source_text=text, files=[("images/small.png", png(200, 150))])
    manifest = build(out=root / "dist", root=root, formats=["pdf"])
    warnings = [d for d in manifest.diagnostics if d.code == "P310"]
    assert manifest.ok and warnings and warnings[0].severity == "warning"
    assert warnings[0].path == "source/pamphlet.md" and "images/small.png" in warnings[0].message
    assert re.search(r"is \d+ ppi", warnings[0].message)
    strict = build(out=root / "strict", root=root, formats=["pdf"], strict=True)
    assert not strict.ok and not (root / "strict" / "pamphlet.pdf").exists()


def test_sharp_image_gives_no_warning(tmp_path):
    text = "---\ntitle: Photo\nauthor: A\n---\n\n![A sharp photo](images/sharp.png)\n"
    root = project(tmp_path, source_text=text, files=[("images/sharp.png", png(1400, 1000))])
    manifest = build(out=root / "dist", root=root, formats=["pdf"])
    assert manifest.ok and not [d for d in manifest.diagnostics if d.code == "P310"]


def test_weasyprint_warning_about_a_missing_image_becomes_a_diagnostic(tmp_path, capsys):
    root = project(tmp_path, print_css_extra=".titlepage { background: url(missing-texture.png) }\n")
    manifest = build(out=root / "dist", root=root, formats=["pdf"])
    found = [d for d in manifest.diagnostics if d.code == "R200"]
    assert manifest.ok and found and "missing-texture.png" in found[0].message and found[0].path == "source/pamphlet.md"
    os.chdir(root)
    try:
        assert main(["build", "--format", "pdf", "--strict", "--out", "strict"]) == 1
        assert "error R200" in capsys.readouterr().err and not (root / "strict" / "pamphlet.pdf").exists()
    finally:
        os.chdir(REPO)


def test_preflight_refuses_unembedded_fonts_and_wrong_boxes(built):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(419.53, 595.28)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 500 Td (Hello) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    data = io.BytesIO()
    writer.write(data)
    problems = preflight(data.getvalue(), "pdf", "x.pdf")
    assert [(d.code, d.severity) for d in problems] == [("P301", "error")] and "Helvetica" in problems[0].message
    out, _ = built
    wrong = preflight((out / f"{SEED}.pdf").read_bytes(), "press", "x.press.pdf")
    assert {d.code for d in wrong} == {"P302"} and any("multiple of 4" in d.message for d in wrong)
    assert preflight((out / f"{SEED}.press.pdf").read_bytes(), "press", "x") == []
    assert preflight((out / f"{SEED}.booklet.pdf").read_bytes(), "booklet", "x") == []


def test_preflight_flags_a_page_without_text():
    import weasyprint

    data = weasyprint.HTML(string="<style>@page{size:A5}</style><div style='height:40mm;background:#000'></div>").write_pdf()
    [problem] = preflight(data, "pdf", "x.pdf")
    assert (problem.code, problem.severity) == ("P311", "warning") and "page 1" in problem.message


def test_check_validates_built_outputs(tmp_path, capsys):
    root = project(tmp_path)
    os.chdir(root)
    try:
        assert main(["build", "--format", "pdf,press"]) == 0
        capsys.readouterr()
        assert main(["check"]) == 0
        shutil.copy(root / "dist" / "pamphlet.pdf", root / "dist" / "pamphlet.press.pdf")
        assert main(["check"]) == 1
        err = capsys.readouterr().err
        assert "dist/pamphlet.press.pdf:1:1: error P302" in err and "warning P322" in err
    finally:
        os.chdir(REPO)


def test_a_character_the_bundled_fonts_lack_is_a_warning_at_its_line(tmp_path):
    text = "---\ntitle: Stars\nauthor: A\n---\n\nPlain line.\n\nA dingbat ✱ here.\n"
    root = project(tmp_path, source_text=text)
    manifest = build(out=root / "dist", root=root, formats=["pdf"])
    fallbacks = [d for d in manifest.diagnostics if d.code == "P303"]
    if not fallbacks:
        pytest.skip("no system font on this machine draws ✱, so nothing fell back")
    assert manifest.ok and (fallbacks[0].line, fallbacks[0].col) == (8, 11)
    assert "✱" in fallbacks[0].message and fallbacks[0].severity == "warning"
    assert not build(out=root / "strict", root=root, formats=["pdf"], strict=True).ok


SCRIPTS = "---\ntitle: Scripts 漢字\nauthor: A\n---\n\nPlain line.\n\nChinese 中文, Japanese 日本語, a smile 😀, Arabic العربية, and 漢字 again.\n"
SMILE = "---\ntitle: Smile\nauthor: A\n---\n\nPlain line.\n\n  A smile 😀 and عربي.\n"


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """Two sources with characters no bundled face has (CJK, an emoji, Arabic), built in the three PDF formats: the
    CJK letters come out as empty boxes, or in a system font where one has them."""
    root = project(tmp_path_factory.mktemp("scripts"), source_text=SCRIPTS)
    (root / "source" / "smile.md").write_text(SMILE, encoding="utf-8")
    return build(out=root / "dist", root=root, formats=["pdf", "press", "booklet"], jobs=2)


def test_characters_no_font_has_are_one_warning_per_source_naming_them_at_the_first(scripts):
    assert scripts.ok and not [d for d in scripts.diagnostics if d.code == "R200"], [str(d) for d in scripts.diagnostics]
    warned = {d.path: d for d in scripts.diagnostics if d.code == "P303"}
    assert len(warned) == len([d for d in scripts.diagnostics if d.code == "P303"]) == 2
    long, short = warned["source/pamphlet.md"], warned["source/smile.md"]
    assert (long.line, long.col, long.severity) == (2, 16, "warning")  # the title's 漢
    assert long.message.startswith("15 characters in none of the project's fonts: 漢 (U+6F22), 字 (U+5B57), "
                                   "中 (U+4E2D), 文 (U+6587), 日 (U+65E5) and 10 more; the PDFs show them ")
    assert (short.line, short.col) == (8, 11)
    assert short.message.startswith("5 characters in none of the project's fonts: 😀 (U+1F600), ع (U+0639), "
                                    "ر (U+0631), ب (U+0628), ي (U+064A); the PDFs show them ")
    for d in (long, short):
        assert d.message.endswith("Put a font that has them in the project's fonts/ folder, named as the bundled "
                                  "face it replaces (fonts/PTSerif-Regular.ttf, …), or take them out")


def test_a_note_holding_a_list_stays_in_the_note(tmp_path):
    """Blocks inside a note (a list, a quotation) stay in the note at the page foot: an <li> in the paragraph that
    calls the note used to close it, putting the list and the rest of the paragraph in the text."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "n.md").write_text(
        "---\ntitle: T\nauthor: A\n---\n\nA claim with a note.[^a] And more text after it.\n\n"
        "[^a]: The note has a list:\n\n    - first point;\n    - second point.\n\n    > A quotation.\n\n"
        "    1. one\n    2. two\n\n    And a closing paragraph.\n", encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["pdf"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    text = [line.strip() for line in subprocess.run(["pdftotext", "-layout", "-f", "3", "-l", "3", str(tmp_path / "dist" / "n.pdf"), "-"],
                                                      capture_output=True, text=True, check=True).stdout.splitlines() if line.strip()]
    assert text[0] == "A claim with a note.1 And more text after it."
    assert text[1:] == ["1. The note has a list:", "• first point;", "• second point.", "A quotation.", "1. one", "2. two",
                        "And a closing paragraph."], text


def test_italics_of_a_face_without_an_italic_are_not_taken_for_a_fallback_font(tmp_path):
    """PT Sans and PT Mono have no italic: emphasis in a title (PT Sans) or code in the italic standfirst is drawn
    slanted from the bundled upright file, which WeasyPrint names "…-Oblique"; that is no system font (P303)."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "i.md").write_text(
        '---\ntitle: "The *Real* Story"\nsubtitle: "A **bold** `code` claim"\nauthor: A\nsummary: "With `code` inside"\n'
        "---\n\n## A *heading* with emphasis\n\nText with **`bold code`**.\n\n- a list\n    - nested\n        - deeper\n",
        encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["pdf"])
    assert manifest.ok and not manifest.diagnostics, [str(d) for d in manifest.diagnostics]
    fonts = subprocess.run(["pdffonts", str(tmp_path / "dist" / "i.pdf")], capture_output=True, text=True, check=True).stdout
    assert "PT-Sans-Bold-Oblique" in fonts and "PT-Mono-Oblique" in fonts and "PT-Mono-Bold" in fonts  # what it is about
    assert "DejaVu" not in fonts  # nested lists' bullets are the text face's own (it has no ◦ or ▪)
