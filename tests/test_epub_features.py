"""Issue 4's EPUB features, checked against the PDF built from the same source: print page numbers,
pop-up footnotes next to page-bottom footnotes, chapters, the cover, reader-safe CSS, fixed zip stamps."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, SEED, which_or_skip
from lxml import etree

X = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops", "opf": "http://www.idpf.org/2007/opf"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SUBJECTS = ["The workers", "Their committee", "Nobody in the town", "A teacher", "The railway union", "The city council",
            "Every delegation", "The oil drillers", "Some journalists", "The miners"]
VERBS = ["stopped", "discussed", "photographed", "answered", "printed", "carried", "counted", "defended", "rewrote"]
OBJECTS = ["the pumps on the third day", "the demands on a school blackboard", "the news from the capital",
           "a leaflet for the night shift", "the list of the arrested", "the strike fund", "the curfew order"]


def long_text() -> str:
    """Three chapters of plain, varied sentences, with notes called in the first and the third."""
    import random

    pick = random.Random(4).choice
    chapters = []
    for n, title in enumerate(("The strike begins", "The committees", "What comes next"), start=1):
        paragraphs = []
        for _ in range(7):
            paragraphs.append(" ".join(f"{pick(SUBJECTS)} {pick(VERBS)} {pick(OBJECTS)}." for _ in range(9)))
        paragraphs[2] += " Called here.[^first]" if n == 1 else ""
        paragraphs[1] += " And here.[^second]" if n == 3 else ""
        chapters.append(f"## {title}\n\n" + "\n\n".join(paragraphs))
    notes = ("[^first]: The first note, set at the foot of its page.\n\n"
             "[^second]: The second note, in the third chapter.\n\n    Its second paragraph.\n")
    front = "---\ntitle: A long strike\nauthor: Strike Committee\ndate: 2022-01-10\nlang: en\n---\n\n"
    return front + "\n\n".join(chapters) + "\n\n" + notes


@pytest.fixture(scope="module")
def long_build(tmp_path_factory):
    from publish import build

    root = tmp_path_factory.mktemp("long")
    (root / "source").mkdir()
    (root / "source" / "long-strike.md").write_text(long_text(), encoding="utf-8")
    out = root / "dist"
    manifest = build([root / "source"], out=out, root=root, formats=["pdf", "epub", "html"])  # what the tests read
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return out


def spine_docs(epub: Path) -> list[tuple[str, etree._Element]]:
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        hrefs = {i.get("id"): i.get("href") for i in opf.xpath("//opf:item", namespaces=X)}
        order = [hrefs[r.get("idref")] for r in opf.xpath("//opf:itemref", namespaces=X)]
        return [(name, etree.fromstring(z.read(f"EPUB/{name}"))) for name in order]


def page_list(epub: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(epub) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    return [(a.text, a.get("href")) for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=X)]


def reading_text(epub: Path) -> tuple[str, list[tuple[int, str]]]:
    """The spine's text with spaces collapsed (notes left out), and (offset, page label) for each pagebreak marker."""
    text, markers = [], []
    length = 0

    def walk(node) -> None:
        nonlocal length
        if node.get("role") in ("doc-noteref", "doc-footnote"):
            return
        if node.get(EPUB_TYPE) == "pagebreak":
            markers.append((length, node.get("aria-label")))
        for piece in (node.text or "",):
            text.append(piece)
            length += len(piece)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
                text.append(child.tail or "")
                length += len(child.tail or "")

    for _, doc in spine_docs(epub):
        walk(doc.find("x:body", X))
    joined = "".join(text)
    return joined, markers


def pdf_pages(pdf: Path) -> list[str]:
    pdftotext = which_or_skip("pdftotext")
    out = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]


def sentence_starts(page: str) -> list[str]:
    """Sentence openings that begin on this page and whose first line is whole: 'The city council promised'."""
    found = []
    for line in page.splitlines()[2:]:
        for match in re.finditer(r"(?:^|[.!?] )([A-Z][a-z]+(?: [a-z]+){3,})", line):
            if not line.endswith("-") or match.end() < len(line) - 12:
                found.append(match.group(1))
    return found


def marker_before(text: str, markers: list[tuple[int, str]], snippet: str) -> str | None:
    at = re.sub(r"\s+", " ", text).find(snippet)
    collapsed = [(len(re.sub(r"\s+", " ", text[:offset])), label) for offset, label in markers]
    before = [label for offset, label in collapsed if offset <= at]
    return before[-1] if at >= 0 and before else None


@pytest.mark.parametrize("which", ["seed", "long"])
def test_page_list_has_an_entry_for_every_pdf_page_in_order(which, built, long_build):
    from pypdf import PdfReader

    out, slug = (built[0], SEED) if which == "seed" else (long_build, "long-strike")
    pages = len(PdfReader(out / f"{slug}.pdf").pages)
    entries = page_list(out / f"{slug}.epub")
    assert [label for label, _ in entries] == [str(n) for n in range(1, pages + 1)]
    docs = dict(spine_docs(out / f"{slug}.epub"))
    for label, href in entries:  # every entry points at its marker, which a screen reader can name
        file, anchor = href.split("#")
        marker = docs[file].xpath(f"//*[@id='{anchor}']")[0]
        assert (marker.get(EPUB_TYPE), marker.get("role"), marker.get("aria-label")) == ("pagebreak", "doc-pagebreak", label)
    _, markers = reading_text(out / f"{slug}.epub")
    assert [label for _, label in markers] == [label for label, _ in entries]  # in reading order


@pytest.mark.parametrize("which", ["seed", "long"])
def test_marker_before_a_sentence_is_the_pdf_page_it_starts_on(which, built, long_build):
    out, slug = (built[0], SEED) if which == "seed" else (long_build, "long-strike")
    text, markers = reading_text(out / f"{slug}.epub")
    checked = {}
    for number, page in enumerate(pdf_pages(out / f"{slug}.pdf"), start=1):
        for snippet in sentence_starts(page):
            if re.sub(r"\s+", " ", text).count(snippet) == 1:
                checked[snippet] = number
                assert marker_before(text, markers, snippet) == str(number), snippet
    assert len(set(checked.values())) >= 3, checked  # sentences on at least three different pages


def test_page_source_and_page_navigation_are_declared(built):
    out, _ = built
    with zipfile.ZipFile(out / f"{SEED}.epub") as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert opf.xpath("//opf:meta[@property='pageBreakSource']/text()", namespaces=X) == [f"{SEED}.pdf (A5 print edition)"]
    features = opf.xpath("//opf:meta[@property='schema:accessibilityFeature']/text()", namespaces=X)
    assert {"pageBreakMarkers", "pageNavigation"} <= set(features)


def test_chapters_are_files_and_links_and_toc_follow_them(long_build):
    docs = dict(spine_docs(long_build / "long-strike.epub"))
    assert list(docs) == ["cover.xhtml", "titlepage.xhtml", "text.xhtml", "text-2.xhtml", "text-3.xhtml", "colophon.xhtml"]
    for name in ("text-2.xhtml", "text-3.xhtml"):
        section = docs[name].xpath("//x:section[@epub:type='chapter']", namespaces=X)[0]
        assert section.get("role") == "doc-chapter"
        assert section.xpath("x:h2/@id", namespaces=X) == [section.get("aria-labelledby")]
    with zipfile.ZipFile(long_build / "long-strike.epub") as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    toc = nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=X)
    assert toc == ["titlepage.xhtml", "text.xhtml", "text.xhtml#the-strike-begins", "text-2.xhtml#the-committees",
                   "text-3.xhtml#what-comes-next", "colophon.xhtml"]


def test_footnotes_pop_up_in_the_epub(long_build):
    docs = dict(spine_docs(long_build / "long-strike.epub"))
    for file, number in (("text.xhtml", "1"), ("text-3.xhtml", "2")):
        doc = docs[file]
        ref = doc.xpath("//x:a[@epub:type='noteref']", namespaces=X)[0]
        assert (ref.get("role"), ref.text) == ("doc-noteref", number)
        aside = doc.xpath(f"//x:aside[@id='{ref.get('href')[1:]}']", namespaces=X)[0]  # in the same file
        assert (aside.get(EPUB_TYPE), aside.get("role")) == ("footnote", "doc-footnote")
        back = aside.xpath(".//x:a[@role='doc-backlink']", namespaces=X)[0]
        assert back.get("href") == f"#{ref.get('id')}" and back.text == f"{number}."
    assert "Its second paragraph." in "".join(docs["text-3.xhtml"].itertext())
    with zipfile.ZipFile(long_build / "long-strike.epub") as z:
        everything = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "\u21a9" not in everything and "footnote-backref" not in everything  # no arrow the fonts lack


def test_footnotes_sit_at_the_foot_of_the_pdf_page_that_calls_them(long_build):
    pages = [re.sub(r"\s+", " ", p) for p in pdf_pages(long_build / "long-strike.pdf")]
    for call, note in (("Called here.", "The first note, set at the foot of its page."),
                       ("And here.", "The second note, in the third chapter.")):
        [page] = [p for p in pages if call in p]
        assert note in page and page.index(note) > page.index(call)  # on the same page, below the text
    assert "\u21a9" not in "".join(pages)


def test_web_edition_has_notes_with_backlinks(long_build):
    page = (long_build / "long-strike.html").read_text(encoding="utf-8")
    assert page.count('role="doc-noteref"') == 2 and page.count('role="doc-footnote"') == 2
    assert "\u21a9" not in page and "epub:type" not in page


def test_cover_is_the_pdf_first_page_and_is_linear_and_in_the_landmarks(built, tmp_path):
    from PIL import Image, ImageChops, ImageStat

    out, _ = built
    with zipfile.ZipFile(out / f"{SEED}.epub") as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        png = Image.open(z.open("EPUB/cover.png"))
    assert png.size[0] == 1400 and abs(png.size[1] / png.size[0] - 210 / 148) < 0.01  # an A5 page
    assert opf.xpath("//opf:itemref[@idref='cover']/@linear", namespaces=X) in ([], ["yes"])
    assert "cover.xhtml" in nav.xpath("//x:nav[@epub:type='landmarks']//x:a[@epub:type='cover']/@href", namespaces=X)
    pdftoppm = which_or_skip("pdftoppm")
    subprocess.run([pdftoppm, "-r", "30", "-f", "1", "-l", "1", "-gray", "-png", str(out / f"{SEED}.pdf"), str(tmp_path / "p")], check=True)
    first = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    difference = ImageStat.Stat(ImageChops.difference(first, png.convert("L").resize(first.size))).mean[0]
    assert difference < 12, difference  # the same page: title, rules and date in the same places


def test_a_landscape_cover_photo_still_gives_the_designed_portrait_cover(tmp_path):
    from PIL import Image, ImageChops, ImageStat

    from publish import build

    (tmp_path / "source").mkdir()
    Image.new("RGB", (1800, 1000), (30, 110, 60)).save(tmp_path / "source" / "wide.png")
    (tmp_path / "source" / "wide.md").write_text("---\ntitle: Crónica de cuarenta días\nauthor: Ana\nlang: es\n"
                                                 "cover: wide.png\n---\n\nTexto.\n", encoding="utf-8")
    assert build(out=tmp_path / "dist", root=tmp_path, formats=["pdf", "epub"]).ok
    with zipfile.ZipFile(tmp_path / "dist" / "wide.epub") as z:
        assert "EPUB/wide.png" not in z.namelist() and "EPUB/cover.png" in z.namelist()
        cover = Image.open(z.open("EPUB/cover.png")).convert("L")
    assert cover.width == 1400 and abs(cover.height / cover.width - 210 / 148) < 0.01  # portrait, an A5 page
    pdftoppm = which_or_skip("pdftoppm")
    subprocess.run([pdftoppm, "-r", "30", "-f", "1", "-l", "1", "-gray", "-png", str(tmp_path / "dist" / "wide.pdf"),
                    str(tmp_path / "p")], check=True)
    first = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    assert ImageStat.Stat(ImageChops.difference(first, cover.resize(first.size))).mean[0] < 12  # the page, title and all


def test_epub_css_is_safe_for_kobo_apple_books_and_kindle(built):
    out, _ = built
    with zipfile.ZipFile(out / f"{SEED}.epub") as z:
        css = z.read("EPUB/style.css").decode()
        fonts = [n for n in z.namelist() if n.startswith("EPUB/fonts/")]
        opf = z.read("EPUB/content.opf").decode()
    assert not re.search(r"position\s*:\s*fixed", css)
    assert not re.search(r"\d(vw|vh|vmin|vmax)\b", css)
    assert fonts and all(f'href="{f.removeprefix("EPUB/")}" media-type="font/ttf"' in opf or
                         f.removeprefix("EPUB/") in opf for f in fonts)
    for font in fonts:
        assert f'url("{font.removeprefix("EPUB/")}")' in css or f"url({font.removeprefix('EPUB/')})" in css


def test_zip_stamps_and_modified_date_come_from_the_source_date_without_source_date_epoch(tmp_path, monkeypatch):
    from publish import build

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    build([REPO / "source"], out=tmp_path / "a", root=REPO, formats=["epub"])
    (tmp_path / "b").mkdir()
    build([REPO / "source"], out=tmp_path / "b", root=REPO, formats=["epub"])
    first, second = ((tmp_path / d / f"{SEED}.epub").read_bytes() for d in "ab")
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / f"{SEED}.epub") as z:
        infos = z.infolist()
        opf = z.read("EPUB/content.opf").decode()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    assert {i.date_time for i in infos} == {(2022, 1, 10, 0, 0, 0)}  # the front matter's date
    assert {i.external_attr >> 16 for i in infos} == {0o644}
    assert '<meta property="dcterms:modified">2022-01-10T00:00:00Z</meta>' in opf


def test_image_file_names_with_spaces_and_cyrillic_get_safe_package_names(tmp_path):
    from PIL import Image

    from publish import build

    folder = tmp_path / "source" / "photos"
    (folder / "images").mkdir(parents=True)
    for name in ("photo one.png", "фото.png", "photo-one.png"):
        Image.new("RGB", (300, 200), (120, 30, 30)).save(folder / "images" / name)
    (folder / "index.md").write_text(
        "---\ntitle: Photos\nauthor: A\n---\n\n![A red square](<images/photo one.png>)\n\n"
        "![Another red square](images/фото.png)\n\n![A third](images/photo%20one.png)\n\n![A fourth](images/photo-one.png)\n",
        encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["epub", "pdf"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    with zipfile.ZipFile(tmp_path / "dist" / "photos.epub") as z:
        images = sorted(n for n in z.namelist() if n.startswith("EPUB/images/"))
        text = etree.fromstring(z.read("EPUB/text.xhtml"))
    assert images == ["EPUB/images/foto.png", "EPUB/images/photo-one-2.png", "EPUB/images/photo-one.png"]
    sources = text.xpath("//x:img/@src", namespaces=X)
    assert sources == ["images/photo-one.png", "images/foto.png", "images/photo-one.png", "images/photo-one-2.png"]
    pdfimages = which_or_skip("pdfimages")
    listed = subprocess.run([pdfimages, "-list", str(tmp_path / "dist" / "photos.pdf")], capture_output=True, text=True).stdout
    assert len(listed.splitlines()) - 2 == 4


def test_missing_alt_text_is_a_lint_warning_that_names_the_line(tmp_path):
    from PIL import Image

    from publish import build
    from publish.pipeline import check

    folder = tmp_path / "source" / "photos"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (300, 200), (120, 30, 30)).save(folder / "images" / "lead.png")
    (folder / "index.md").write_text(
        "---\ntitle: Photos\nauthor: A\nimage: images/lead.png\ncaption: A rally.\n---\n\n"
        "Some text.\n\n![](images/lead.png)\n\n![A red square](images/lead.png)\n", encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["epub"])
    found = [(d.line, d.col, d.code, d.severity) for d in manifest.diagnostics]
    assert found == [(4, 1, "P110", "warning"), (10, 5, "P110", "warning")]
    assert manifest.ok  # a warning: the EPUB is still built
    assert [(d.line, d.code) for d in check([tmp_path / "source"], root=tmp_path, out=tmp_path / "dist")
            if d.code == "P110"] == [(4, "P110"), (10, "P110")]
    strict = build([tmp_path / "source"], out=tmp_path / "strict", root=tmp_path, formats=["epub"], strict=True)
    assert not strict.ok and not (tmp_path / "strict" / "photos.epub").exists()


def test_page_that_opens_with_a_figure_is_marked_before_the_figure(tmp_path):
    from PIL import Image

    from publish import build

    folder = tmp_path / "source" / "album"
    (folder / "images").mkdir(parents=True)
    body = []
    for n in range(5):
        Image.new("RGB", (600, 400), (40 * n, 60, 90)).save(folder / "images" / f"p{n}.png")
        body.append(f"![Photograph {n}](images/p{n}.png \"Caption {n}.\")\n\nA short line after photograph {n}.")
    (folder / "index.md").write_text("---\ntitle: Album\nauthor: A\n---\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["pdf", "epub"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    pdfimages = which_or_skip("pdfimages")
    listed = subprocess.run([pdfimages, "-list", str(tmp_path / "dist" / "album.pdf")], capture_output=True, text=True).stdout
    image_pages = [line.split()[0] for line in listed.splitlines()[2:]]
    assert len(image_pages) == 5
    pages = [p for name, doc in spine_docs(tmp_path / "dist" / "album.epub") if name != "cover.xhtml" for p in doc.iter()
             if p.get(EPUB_TYPE) == "pagebreak" or p.tag == "{http://www.w3.org/1999/xhtml}img"]
    current, seen = None, []
    for node in pages:
        if node.get(EPUB_TYPE) == "pagebreak":
            current = node.get("aria-label")
            assert node.getparent().tag != "{http://www.w3.org/1999/xhtml}figcaption"
        else:
            seen.append(current)
    assert seen == image_pages  # each photograph follows the marker of the PDF page it is printed on
