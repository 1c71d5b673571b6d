"""Issue 5's design, checked on built files: typography per language, hyphenation, the covers, the QR code,
themes and tokens, the contents page."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
from conftest import REPO, SEED, which_or_skip

NB = "\u00a0"
PAIRS = [
    ("en", 'He said "she called it "the plan" twice" - and left.', f"He said “she called it ‘the plan’ twice”{NB}– and left."),
    ("en", "It's the workers' union, 'quoted' here...", "It’s the workers’ union, ‘quoted’ here…"),
    ("en", "From 1917-1921, 75 % more, -5 degrees, Jan. 7.", f"From 1917–1921, 75{NB}% more, −5 degrees, Jan.{NB}7."),
    ("ru", 'Он сказал: "это "план" партии" - и ушёл.', f"Он сказал: «это „план“ партии»{NB}— и{NB}ушёл."),
    ("ru", "— Мы не уйдём, - сказал он.", f"—{NB}Мы не уйдём,{NB}— сказал он."),  # "- " would open a list
    ("kk", 'Ол "бұл "жоспар" емес" - деді, 5 км.', f"Ол «бұл “жоспар” емес»{NB}— деді, 5{NB}км."),
    ("de", 'Er sagte "das "Ziel" ist klar" - und ging.', f"Er sagte „das ‚Ziel‘ ist klar“{NB}– und ging."),
    ("fr", 'Il a dit "non" ; puis : pourquoi ? Voilà ! L\'homme.',
     f"Il a dit «{NB}non{NB}»{NB}; puis{NB}: pourquoi{NB}? Voilà{NB}! L’homme."),
    ("es", 'Dijo "el "plan" era otro" y se fue...', "Dijo «el “plan” era otro» y se fue…"),
    ("es", "Las obreras - la mayoría, de *Aktau* - se quedaron.", "Las obreras —la mayoría, de <em>Aktau</em>— se quedaron."),
    ("es", "— Vamos - dijo ella - ahora.", "—Vamos —dijo ella— ahora."),  # dialogue, then an aside
    ("es", "Vino tarde - como siempre.", "Vino tarde —como siempre."),  # an aside to the end of the sentence
    ("fr", "Les ouvrières - la plupart - sont restées.", f"Les ouvrières –{NB}la plupart{NB}– sont restées."),
    ("de", "Die Arbeiterinnen - die meisten - blieben.", f"Die Arbeiterinnen{NB}– die meisten{NB}– blieben."),
    ("en", 'Code stays: `"x" - y...` and "z".', "Code stays: <code>\"x\" - y...</code> and “z”."),
]


def typeset(tmp_path, lang: str, body: str) -> str:
    from publish.markup import to_document
    from publish.sources import load

    path = tmp_path / f"t-{lang}.md"
    path.write_text(f"---\ntitle: T\nauthor: A\nlang: {lang}\n---\n\n{body}\n", encoding="utf-8")
    return to_document(load(path)).body.strip().removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(("lang", "source", "expected"), PAIRS)
def test_quotes_dashes_and_spaces_per_language(tmp_path, lang, source, expected):
    assert typeset(tmp_path, lang, source).replace("&quot;", '"') == expected


def test_english_note_call_follows_the_punctuation(tmp_path):
    body = typeset(tmp_path, "en", "A claim[^1]. Another[^2], and more.\n\n[^1]: One.\n[^2]: Two.")
    assert re.search(r"claim\.<sup[^>]*>.*?</sup> Another,<sup", body), body


def pdf_text(path, raw: bool = False) -> str:
    """pdftotext's text; `raw` keeps the hyphens at line ends that the default mode joins up."""
    pdftotext = which_or_skip("pdftotext")
    mode = ["-raw"] if raw else []
    return subprocess.run([pdftotext, *mode, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    """Without spaces: letter-spaced capitals ("S T R U G G L E") read as words again."""
    return re.sub(r"\s+", "", text)


def test_asides_reach_the_pdf_and_the_epub_with_each_language_s_dashes(tmp_path):
    import zipfile

    from publish import build

    asides = {"es": ("Las obreras - la mayoría - se quedaron.", "obreras —la mayoría— se"),
              "fr": ("Les ouvrières - la plupart - sont restées.", f"ouvrières –{NB}la plupart{NB}– sont"),
              "de": ("Die Arbeiterinnen - die meisten - blieben.", f"Arbeiterinnen{NB}– die meisten{NB}– blieben")}
    (tmp_path / "source").mkdir()
    for lang, (text, _) in asides.items():
        (tmp_path / "source" / f"{lang}.md").write_text(f"---\ntitle: T\nauthor: A\nlang: {lang}\n---\n\n{text}\n", encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["pdf", "epub"]).ok
    for lang, (_, expected) in asides.items():
        assert expected.replace(NB, " ") in pdf_text(tmp_path / "dist" / f"{lang}.pdf").replace(NB, " ")
        with zipfile.ZipFile(tmp_path / "dist" / f"{lang}.epub") as z:
            assert expected in z.read("EPUB/text.xhtml").decode()


def test_seed_pdf_has_no_straight_quotes_or_typed_dashes(built):
    out, _ = built
    lines = pdf_text(out / f"{SEED}.pdf").splitlines()
    text = "\n".join(line for line in lines if not re.match(r"^(\S ){4,}", line))  # not the letter-spaced capitals
    assert "’" in text and "–" in text  # the typography is there…
    for bad in ('"', "'", " - ", "--", "...", "  "):  # … and what it replaces is not
        assert bad not in text, bad


def hyphenated_words(text: str, source: str) -> list[str]:
    """Words broken at a line end by hyphenation: "soli-" + "darity" where the source has "solidarity"."""
    words = set(re.findall(r"\w+", source.lower()))
    return [a + b for a, b in re.findall(r"(\w+)-\n(\w+)", text) if (a + b).lower() in words]


def test_english_text_is_hyphenated(built):
    out, _ = built
    found = hyphenated_words(pdf_text(out / f"{SEED}.pdf", raw=True), (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8"))
    assert found, "no word is hyphenated in the justified English text"


def test_kazakh_has_no_hyphenation_and_says_so_once(tmp_path):
    from publish import build

    fixture = REPO / "tests" / "fixtures" / "features" / "source" / "kk-features"
    manifest = build([fixture], out=tmp_path, root=REPO / "tests" / "fixtures" / "features", formats=["pdf"])
    assert manifest.ok
    notes = [d for d in manifest.diagnostics if d.code == "P170"]
    assert len(notes) == 1 and notes[0].severity == "note" and "'kk'" in notes[0].message
    assert not [d for d in manifest.diagnostics if d.severity == "error"]
    source = (fixture / "index.md").read_text(encoding="utf-8")
    assert hyphenated_words(pdf_text(tmp_path / "kk-features.pdf", raw=True), source) == []
    strict = build([fixture], out=tmp_path / "strict", root=REPO / "tests" / "fixtures" / "features", formats=["pdf"],
                   strict=True)
    assert "P170" in {d.code for d in strict.diagnostics if d.severity == "note"}


def test_cover_and_back_cover(built):
    out, _ = built
    pages = pdf_text(out / f"{SEED}.pdf").split("\f")[:-1]
    cover, back = squash(pages[0]), squash(pages[-1])
    assert cover.startswith(squash("STRUGGLE-LA-LUCHA Socialist Movement of Kazakhstan calls for international solidarity"))
    assert squash("Translation by In Defense of Communism") in cover and cover.endswith(squash("JANUARY 10, 2022"))
    for part in ("In a statement about the large-scale mobilizations", "Translation by In Defense of Communism",
                 "First published by Struggle-La-Lucha", "READ IT ONLINE", "STRUGGLE-LA-LUCHA"):
        assert squash(part) in back, part
    assert not pages[1].strip()  # the inside of the cover is left empty


def test_qr_code_on_the_back_cover_decodes_to_the_source_url(built):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a QR decoder) is not installed; make test installs it")
    import pypdfium2

    out, _ = built
    pdf = pypdfium2.PdfDocument(out / f"{SEED}.pdf")
    image = pdf[len(pdf) - 1].render(scale=300 / 72).to_pil()
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    url = re.search(r"^source_url: (\S+)", (REPO / "source" / f"{SEED}.md").read_text(encoding="utf-8"), re.M).group(1)
    assert found == [url]


def page_brightness(pdf, number: int) -> float:
    import pypdfium2
    from PIL import ImageStat

    page = pypdfium2.PdfDocument(pdf)[number - 1]
    return ImageStat.Stat(page.render(scale=0.3).to_pil().convert("L")).mean[0]


def project(tmp_path, settings: str):
    root = tmp_path / "project"
    shutil.copytree(REPO / "source", root / "source")
    (root / "pyproject.toml").write_text(f"[tool.publish]\n{settings}\n", encoding="utf-8")
    return root


def test_photocopy_theme_changes_the_look_through_the_tokens(built, tmp_path):
    from publish import build

    out, _ = built
    root = project(tmp_path, 'theme = "photocopy"')
    manifest = build([root / "source"], out=root / "dist", root=root, formats=["pdf", "epub"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    assert page_brightness(out / f"{SEED}.pdf", 1) < 120 < page_brightness(root / "dist" / f"{SEED}.pdf", 1)
    with zipfile.ZipFile(root / "dist" / f"{SEED}.epub") as z:
        css = z.read("EPUB/style.css").decode()
    assert "#9b1c13" not in css and "PT Serif" in css.split("h1, h2, h3")[1][:200]  # headings in the text face


def test_unknown_theme_is_a_clear_error(tmp_path):
    from publish import build
    from publish.errors import PublishError

    root = project(tmp_path, 'theme = "neon"')
    with pytest.raises(PublishError) as caught:
        build([root / "source"], out=root / "dist", root=root, formats=["html"])
    [problem] = caught.value.diagnostics
    assert problem.code == "P133" and "neon" in problem.message and "photocopy" in problem.message


def test_tokens_are_resolved_for_e_readers(built):
    out, _ = built
    with zipfile.ZipFile(out / f"{SEED}.epub") as z:
        css = z.read("EPUB/style.css").decode()
    page = (out / f"{SEED}.html").read_text(encoding="utf-8")
    for sheet in (css, page):
        assert "var(" not in sheet and ":root" not in sheet
    assert "#9b1c13" in css and '"PT Serif", serif' in css


def test_contents_page_for_three_sections_with_their_page_numbers(tmp_path):
    from publish import build

    chapters = "\n\n".join(f"## Part {n}\n\n" + "\n\n".join(["Words of the part, set to fill the page. " * 12] * 6)
                           for n in ("one", "two", "three"))
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "parts.md").write_text(f"---\ntitle: Parts\nauthor: A\nsection_breaks: page\n---\n\n{chapters}\n", encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["pdf"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    pages = pdf_text(tmp_path / "dist" / "parts.pdf").split("\f")
    contents = squash(pages[1])
    assert contents.startswith("Contents"), contents  # a heading in the text face, not in capitals
    for name in ("one", "two", "three"):
        listed = int(re.search(rf"Part{name}(\d+)", contents).group(1))
        opening = [n for n, p in enumerate(pages, start=1) if n > 2 and f"Part {name}\n" in p]
        assert opening == [listed]  # the number printed is the page the section is on
        assert pages[listed - 1].strip().startswith(f"Part {name}")  # which it opens: a new page, no running head
