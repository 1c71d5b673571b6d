"""A Kazakh pamphlet in a folder with images, footnotes, a table and code: the rest of the Markdown surface."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest
from conftest import REPO, which_or_skip
from lxml import etree
from PIL import Image

FIXTURE = REPO / "tests" / "fixtures" / "features"
SLUG = "kk-features"
X = {"x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    from publish import build

    out = tmp_path_factory.mktemp("features")
    manifest = build([FIXTURE / "source"], out=out, root=FIXTURE)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return out


def xhtml(out, name):
    with zipfile.ZipFile(out / f"{SLUG}.epub") as z:
        return etree.fromstring(z.read(f"EPUB/{name}"))


def text_files(out):
    """The text's XHTML files in reading order: text.xhtml, text-2.xhtml, …"""
    with zipfile.ZipFile(out / f"{SLUG}.epub") as z:
        names = sorted((n for n in z.namelist() if n.startswith("EPUB/text")), key=lambda n: (len(n), n))
    return [xhtml(out, n.removeprefix("EPUB/")) for n in names]


def test_kazakh_typography_and_labels(features):
    texts = text_files(features)
    assert len(texts) == 2  # split at its one top-level heading
    assert all(t.get("lang") == "kk" for t in texts)
    body = "".join("".join(t.itertext()) for t in texts)
    assert "«қарапайым»" in body and "«бүкіл елдің»" in body  # Kazakh quotation marks, not “”
    assert "Біз\u00a0— Маңғыстау" in body  # em dash bound to the word before
    assert "2–4 қаңтар" in body  # range with an en dash
    assert "Сурет: Ынтымақ мұрағаты" in body
    title = "".join(xhtml(features, "titlepage.xhtml").itertext())
    assert "Аударған: Әлия Нұрғалиқызы" in title and "Қазақстан социалистік қозғалысы және Жаңаөзен мұнайшылары" in title


def test_lead_photo_alt_is_not_the_caption_and_images_travel(features):
    text = xhtml(features, "text.xhtml")
    lead = text.xpath("//x:figure[@class='lead-photo']", namespaces=X)[0]
    assert lead.xpath("x:img/@alt", namespaces=X) == ["Алаңда қызыл жалаулармен тұрған жұмысшылар"]
    assert "Жаңаөзендегі митинг" in "".join(lead.xpath("x:figcaption//text()", namespaces=X))
    inline = [f for t in text_files(features) for f in t.xpath("//x:figure[not(@class)]", namespaces=X)][0]
    assert inline.xpath("x:figcaption/text()", namespaces=X) == ["Ақтаудағы митинг, 5 қаңтар."]
    with zipfile.ZipFile(features / f"{SLUG}.epub") as z:
        assert {"EPUB/images/rally.png", "EPUB/images/lead.png", "EPUB/cover.png"} <= set(z.namelist())
        cover_page = Image.open(z.open("EPUB/cover.png"))
    opf = xhtml(features, "content.opf")
    cover = opf.xpath("//*[@properties='cover-image']")[0]
    assert (cover.get("href"), cover.get("media-type")) == ("cover.png", "image/png")
    # The designed cover, an A5 page with the title on it, not the `cover` photo it shows (2:3 here).
    assert abs(cover_page.height / cover_page.width - 210 / 148) < 0.01
    page = (features / f"{SLUG}.html").read_text(encoding="utf-8")
    assert 'src="images/rally.png"' not in page and page.count('src="data:image/png;base64,') == 2


def test_headings_become_bookmarks_and_nav_entries(features):
    from pypdf import PdfReader

    outline = PdfReader(features / f"{SLUG}.pdf").outline
    flat = [item.title for item in outline if not isinstance(item, list)]
    nested = [item.title for sub in outline if isinstance(sub, list) for item in sub if not isinstance(item, list)]
    assert flat[0] == "Жұмысшылар ынтымақтастығы туралы" and "Біздің талаптарымыз" in nested
    nav = xhtml(features, "nav.xhtml")
    assert "Біздің талаптарымыз" in nav.xpath("//x:nav//x:a/text()", namespaces=X)


@pytest.mark.parametrize("name", [f"{SLUG}.pdf", "ru-statement.pdf", f"{SLUG}.press.pdf", "ru-statement.booklet.pdf"])
def test_kazakh_and_russian_pdfs_use_only_bundled_fonts(features, name):
    pdffonts = which_or_skip("pdffonts")
    listing = subprocess.run([pdffonts, features / name], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:] if line.strip()}
    assert names and all(name.startswith("PT-") for name in names), names
    assert "PT-Mono" in names or not name.startswith(SLUG)


@pytest.mark.parametrize("name", [SLUG, "ru-statement"])
def test_every_fixture_epub_passes_epubcheck(features, epubcheck, tmp_path, name):
    report = tmp_path / "report.json"
    epubcheck.run(features / f"{name}.epub", report)
    assert json.loads(report.read_text())["messages"] == []


def test_russian_typography(features):
    with zipfile.ZipFile(features / "ru-statement.epub") as z:
        text = etree.fromstring(z.read("EPUB/text.xhtml"))
        title = "".join(etree.fromstring(z.read("EPUB/titlepage.xhtml")).itertext())
    paragraphs = ["".join(p.itertext()) for p in text.iter("{http://www.w3.org/1999/xhtml}p")]
    body = "\n".join(paragraphs)
    assert "Жанаозена\u00a0— в\u00a0авангарде" in body  # em dash after a no-break space; "в" bound to its word
    assert "«национализации»" in body and "\"" not in body
    assert any(p.startswith("—\u00a0Мы не уйдём,\u00a0— сказал") for p in paragraphs)  # a line of dialogue
    assert "1993–1995" in body and "Фото: Объединённая коммунистическая партия" in body
    assert "Перевод: Редакция" in title and "10 января 2022\u00a0г." in title  # Babel's U+202F is not in the fonts
