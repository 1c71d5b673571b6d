"""The seed pamphlet's three editions, checked by structure and text."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile

from conftest import REPO, SEED, which_or_skip
from lxml import etree

A5 = (419.53, 595.28)
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
CAPTION = "Communist organizations in Moscow rally in solidarity with workers’ uprising in Kazakhstan, Jan.\u00a07."
CREDITS = ("Photo: United Communist Party", "Translation by In Defense of Communism")
REJOINED = ("From the very beginning the protests", "This gave rise to President Kassym-Zhomart Tokayev",
            "and on the night of Jan.\u00a05–6, special forces", "the entire extractive and large-scale industry of the country!")
KAZAKH = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"


def letters(text: str) -> str:
    """Letters and digits only: compares text across line breaks and hyphenation."""
    return re.sub(r"[\W_]+", "", text)


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def epub_doc(epub, name):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read(f"EPUB/{name}"))


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_pages_are_a5(built):
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / f"{SEED}.pdf")
    assert len(reader.pages) >= 4
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A5


def test_pdf_metadata_and_bookmarks(built):
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / f"{SEED}.pdf")
    info = reader.metadata
    assert info.title == "Socialist Movement of Kazakhstan calls for international solidarity"
    assert info.author == "Socialist Movement of Kazakhstan"
    assert info.subject.startswith("In a statement about the large-scale mobilizations")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[0] == info.title and "Colophon" in titles


def test_pdf_text_has_credits_caption_and_rejoined_paragraphs(built):
    out, _ = built
    text = letters(pdf_text(out / f"{SEED}.pdf"))
    for phrase in (CAPTION, *CREDITS, *REJOINED, "https://www.struggle-la-lucha.org/2022/01/10/"):
        assert letters(phrase) in text, phrase


def test_pdf_title_and_blank_pages_have_no_running_head(built):
    from pypdf import PdfReader

    out, _ = built
    pages = PdfReader(out / f"{SEED}.pdf").pages
    assert pages[1].extract_text().strip() == ""  # the title page's verso is left empty
    assert not re.search(r"^\s*1\s*$", pages[0].extract_text(), re.M)  # no folio on the title page
    lines = [{line.strip().upper() for line in page.extract_text().splitlines()} for page in pages]
    author, title = "SOCIALIST MOVEMENT OF KAZAKHSTAN", "SOCIALIST MOVEMENT OF KAZAKHSTAN CALLS FOR INTERNATIONAL SOLIDARITY"
    assert author not in lines[2] and title not in lines[2]  # the opening page has no running head
    assert author in lines[3] and "4" in lines[3]  # verso: author and folio (set in spaced capitals)
    assert title in lines[4] and "5" in lines[4]  # recto: title and folio


def test_pdf_embeds_only_the_bundled_fonts(built):
    pdffonts = which_or_skip("pdffonts")
    out, _ = built
    listing = subprocess.run([pdffonts, out / f"{SEED}.pdf"], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    names = {row[0].split("+", 1)[-1] for row in rows}
    assert names and names <= {"PT-Serif", "PT-Serif-Italic", "PT-Serif-Bold", "PT-Serif-BoldItalic",
                                "PT-Sans", "PT-Sans-Bold", "PT-Mono"}, names
    assert all(row[-5] == "yes" for row in rows), listing  # the "emb" column


def test_bundled_fonts_cover_latin_and_kazakh_cyrillic():
    from fontTools.ttLib import TTFont

    from publish.fonts import FACES

    needed = KAZAKH + "ÀÉÎÕÜßąćęłńśźżčďěňřšťůžőű«»„“”‘’–—…№"
    for face in FACES:
        cmap = TTFont(REPO / "fonts" / face.file).getBestCmap()
        missing = [c for c in needed if ord(c) not in cmap]
        assert not missing, (face.file, missing)
    assert (REPO / "fonts" / "LICENSE-ParaType.txt").is_file()


# --- EPUB ------------------------------------------------------------------------------------


def test_epub_container_and_metadata(built):
    out, _ = built
    epub = out / f"{SEED}.epub"
    with zipfile.ZipFile(epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
    opf = epub_doc(epub, "content.opf")
    meta = opf.find("opf:metadata", NS)
    text = lambda xpath: [e.text for e in meta.xpath(xpath, namespaces=NS)]  # noqa: E731
    assert text("dc:title") == ["Socialist Movement of Kazakhstan calls for international solidarity"]
    assert text("dc:creator") == ["Socialist Movement of Kazakhstan"]
    assert text("dc:language") == ["en"] and opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert text("dc:date") == ["2022-01-10"] and text("dc:publisher") == ["Struggle-La-Lucha"]
    translator = meta.xpath("dc:contributor", namespaces=NS)[0]
    assert translator.text == "In Defense of Communism"
    role = meta.xpath(f"opf:meta[@refines='#{translator.get('id')}'][@property='role']", namespaces=NS)[0]
    assert (role.text, role.get("scheme")) == ("trl", "marc:relators")
    identifier = text("dc:identifier")[0]
    assert identifier.startswith("urn:uuid:")


def test_epub_identifier_is_stable(built, tmp_path):
    from publish import build

    out, _ = built
    build([REPO / "source"], out=tmp_path, root=REPO, formats=["epub"])
    ids = [epub_doc(d / f"{SEED}.epub", "content.opf").xpath("//dc:identifier/text()", namespaces=NS) for d in (out, tmp_path)]
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_epub_cover_nav_and_fonts(built):
    out, _ = built
    epub = out / f"{SEED}.epub"
    opf = epub_doc(epub, "content.opf")
    items = {i.get("id"): i for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    assert [i for i in items.values() if i.get("properties") == "cover-image"][0].get("media-type") == "image/png"
    assert [i for i in items.values() if i.get("properties") == "nav"]
    spine = [r.get("idref") for r in opf.xpath("//opf:spine/opf:itemref", namespaces=NS)]
    assert spine[0] == "cover" and all(r.get("linear") != "no" for r in opf.xpath("//opf:itemref", namespaces=NS))
    cover = epub_doc(epub, "cover.xhtml")
    assert cover.xpath("//x:img[@role='doc-cover']/@alt", namespaces=NS)[0].startswith("Socialist Movement")
    nav = epub_doc(epub, "nav.xhtml")
    assert nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS) == ["titlepage.xhtml", "text.xhtml", "colophon.xhtml"]
    fonts = [i.get("href") for i in items.values() if i.get("media-type") == "font/ttf"]
    assert "fonts/PTSerif-Regular.ttf" in fonts
    with zipfile.ZipFile(epub) as z:
        assert "font-family: \"PT Serif\"" in z.read("EPUB/style.css").decode()


def test_epub_text_has_credits_caption_and_whole_paragraphs(built):
    out, _ = built
    epub = out / f"{SEED}.epub"
    text = epub_doc(epub, "text.xhtml")
    assert text.get("lang") == "en"
    paragraphs = ["".join(p.itertext()) for p in text.iter("{http://www.w3.org/1999/xhtml}p")]
    for phrase in REJOINED:
        assert any(phrase in p for p in paragraphs), phrase
    assert CAPTION in paragraphs and CREDITS[0] in paragraphs
    assert len(text.xpath("//x:ol/x:li", namespaces=NS)) == 5  # the demands are a list
    title = "".join(epub_doc(epub, "titlepage.xhtml").itertext())
    assert CREDITS[1] in title and "January 10, 2022" in title
    colophon = "".join(epub_doc(epub, "colophon.xhtml").itertext())
    assert "https://www.struggle-la-lucha.org/2022/01/10/" in colophon and "Struggle-La-Lucha" in colophon


def test_epubcheck_reports_nothing(built, epubcheck, tmp_path):
    out, _ = built
    report = tmp_path / "epubcheck.json"
    epubcheck.run(out / f"{SEED}.epub", report)
    result = json.loads(report.read_text())
    assert result["checker"]["checkerVersion"].startswith("5.")
    assert result["messages"] == [], result["messages"]


def test_ace_reports_no_violations(built, ace, tmp_path):
    out, _ = built
    run = ace(out / f"{SEED}.epub", tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    violations = [(a["earl:test"]["dct:title"], doc["earl:testSubject"]["url"])
                  for doc in report["assertions"] for a in doc.get("assertions", [])
                  if a["earl:result"]["earl:outcome"] == "fail"]
    assert violations == [] and report["earl:result"]["earl:outcome"] == "pass"


# --- web -------------------------------------------------------------------------------------


def test_html_is_self_contained_and_responsive(built):
    out, _ = built
    page = (out / f"{SEED}.html").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1"/>' in page
    assert "<script" not in page and "<link" not in page
    remote = re.findall(r"""(?:src|href)=["'](https?:[^"']+)""", page) + re.findall(r"url\(\s*[\"']?https?:", page)
    assert remote == ["https://www.struggle-la-lucha.org/2022/01/10/socialist-movement-of-kazakhstan-calls-for-international-solidarity/"]
    assert page.count("src: url(\"data:font/woff;base64,") == 6
    assert "@media" in page


def test_html_has_credits_caption_and_whole_paragraphs(built):
    out, _ = built
    tree = etree.HTML((out / f"{SEED}.html").read_bytes())
    assert tree.get("lang") == "en"
    paragraphs = ["".join(p.itertext()) for p in tree.iter("p")]
    for phrase in (*REJOINED, CAPTION, *CREDITS):
        assert any(phrase in p for p in paragraphs), phrase


def test_typography_is_the_same_in_every_edition(built):
    out, _ = built
    html_text = "".join(etree.HTML((out / f"{SEED}.html").read_bytes()).xpath("//main//text()"))
    epub_text = "".join(epub_doc(out / f"{SEED}.epub", "text.xhtml").xpath("//x:main//text()", namespaces=NS))
    assert html_text.split() == epub_text.split()
    for bad in ('"', "'", " - ", "--", "...", "  "):
        assert bad not in html_text, bad
    assert "Jan.\u00a04–5" in html_text and "workers’ and communist" in html_text
    assert "\u00a0– to nationalize" in html_text  # spaced en dash, bound to the word before


# --- manifest, API, reproducibility ------------------------------------------------------------


def test_manifest_lists_every_artifact_with_its_hash(built):
    from pypdf import PdfReader

    out, manifest = built
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest.as_dict() and on_disk["tool"] == "publish"
    entries = {a["path"]: a for a in on_disk["artifacts"]}
    assert set(entries) == {f"{SEED}.pdf", f"{SEED}.press.pdf", f"{SEED}.booklet.pdf", f"{SEED}.epub", f"{SEED}.html"}
    for name, entry in entries.items():
        data = (out / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        assert entry["source"] == f"source/{SEED}.md" and entry["lang"] == "en"
    for name in (f"{SEED}.pdf", f"{SEED}.press.pdf", f"{SEED}.booklet.pdf"):
        assert entries[name]["pages"] == len(PdfReader(out / name).pages)
    assert "pages" not in entries[f"{SEED}.epub"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*entries, "manifest.json"])


def test_builds_are_byte_for_byte_reproducible(tmp_path, monkeypatch):
    from publish import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    first = build([REPO / "source"], out=tmp_path / "a", root=REPO)
    second = build([REPO / "source"], out=tmp_path / "b", root=REPO)
    assert first.as_dict() == second.as_dict()
    for artifact in first.artifacts:
        assert (tmp_path / "a" / artifact.path).read_bytes() == (tmp_path / "b" / artifact.path).read_bytes()
    with zipfile.ZipFile(tmp_path / "a" / f"{SEED}.epub") as z:
        assert {i.date_time for i in z.infolist()} == {(2022, 1, 10, 0, 0, 0)}


def test_cli_path_imports_no_heavy_library():
    code = ("import sys, publish.cli, publish.pipeline; from publish.cli import main; main(['--version']) if False else None;"
            "heavy = [m for m in ('weasyprint', 'ebooklib', 'pypdfium2', 'fontTools') if m in sys.modules]; print(heavy)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert run.stdout.strip() == "[]"
