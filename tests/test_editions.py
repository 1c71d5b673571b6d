"""Language editions of one text (publish/translations.py): the seed in English with Spanish and Russian translations
beside it, built in one call; each edition in its own language names and links the others, in every format."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pytest
from conftest import REPO, SEED, which_or_skip
from test_cache import entries

from publish import build

NB = "\u00a0"
ES = """---
title: El Movimiento Socialista de Kazajistán llama a la solidaridad internacional
author: Movimiento Socialista de Kazajistán
translator: Lucha y Resistencia
date: 2022-01-10
lang: es
---

6 de enero. En Kazajistán hay ahora un verdadero levantamiento popular. Los petroleros lo llaman "la huelga del gas" - y no se equivocan - desde el primer día.

Las protestas comenzaron en Zhanaozén, donde los colectivos laborales exigieron "aumentos salariales" y la libertad sindical.
"""
RU = """---
title: Социалистическое движение Казахстана призывает к международной солидарности
author: Социалистическое движение Казахстана
translator: Рабочая солидарность
date: 2022-01-10
lang: ru
---

6 января. В Казахстане сейчас настоящее народное восстание. Нефтяники называют его "газовой забастовкой" - и они правы.

Протесты начались в Жанаозене, где трудовые коллективы потребовали "повышения зарплат" и свободы профсоюзов.
"""
ENDONYMS = {"en": "English", "es": "Español", "ru": "Русский"}
FILES = {"en": f"{SEED}", "es": f"{SEED}.es", "ru": f"{SEED}.ru"}


def project(root: Path, base_url: str = "") -> Path:
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO / "source" / f"{SEED}.md", root / "source")
    (root / "source" / f"{SEED}.es.md").write_text(ES, encoding="utf-8")
    (root / "source" / f"{SEED}.ru.md").write_text(RU, encoding="utf-8")
    if base_url:
        (root / "pyproject.toml").write_text(f'[tool.publish]\nbase_url = "{base_url}"\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """The three editions built in one call, every format; returns (out, manifest)."""
    root = project(tmp_path_factory.mktemp("editions"))
    manifest = build([root / "source"], out=root / "dist", root=root)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return root / "dist", manifest


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """With base_url set, the Spanish edition alone, as PDF, EPUB and web page: it still links the other two."""
    root = project(tmp_path_factory.mktemp("published"), "https://example.org/pamphlets/")
    manifest = build([root / "source" / f"{SEED}.es.md"], out=root / "dist", root=root, formats=["pdf", "epub", "html"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return root / "dist"


def labels(lang: str):
    from publish.languages import language

    return language(lang).labels


def page(out: Path, lang: str):
    return lxml.html.fromstring((out / f"{FILES[lang]}.html").read_bytes())


def squashed(text: str) -> str:
    """Runs of spaces and line ends as one space; no-break spaces kept."""
    return re.sub(r"[ \t\n]+", " ", text).strip()


def body_text(tree) -> str:
    return squashed("".join(tree.body.itertext()))


def epub_file(out: Path, lang: str, name: str) -> str:
    with zipfile.ZipFile(out / f"{FILES[lang]}.epub") as z:
        return z.read(f"EPUB/{name}").decode("utf-8")


def epub_text(out: Path, lang: str) -> str:
    from lxml import etree

    with zipfile.ZipFile(out / f"{FILES[lang]}.epub") as z:
        texts = ["".join(etree.fromstring(z.read(n)).itertext()) for n in z.namelist() if n.endswith(".xhtml")]
    return squashed(" ".join(texts))


def pdf_pages(path: Path) -> list[str]:
    which_or_skip("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return [squashed(p) for p in text.split("\f") if p.strip()]


def test_each_edition_is_set_in_its_own_language(editions):
    out, _ = editions
    es, ru = body_text(page(out, "es")), body_text(page(out, "ru"))
    assert "«la huelga del gas» —y no se equivocan— desde" in es
    assert f"«газовой забастовкой»{NB}— и{NB}они правы" in ru
    assert f"{labels('es').translation} Lucha y Resistencia" in es and f"{labels('ru').translation} Рабочая солидарность" in ru
    english = {v for k, v in dataclasses.asdict(labels("en")).items() if k != "and_word"}
    for lang in ("es", "ru"):
        texts = {"html": body_text(page(out, lang)), "epub": epub_text(out, lang),
                 "pdf": " ".join(pdf_pages(out / f"{FILES[lang]}.pdf"))}
        for edition, text in texts.items():
            for label in english:
                assert label not in text, (lang, edition, label)
            assert labels(lang).also_in in text and labels(lang).translated_from in text, (lang, edition)


def test_web_editions_link_each_other_and_switch_language(editions):
    out, _ = editions
    for lang in ENDONYMS:
        tree = page(out, lang)
        alternates = {link.get("hreflang"): link.get("href") for link in tree.xpath("//head/link[@rel='alternate']")}
        assert alternates == {other: f"{FILES[other]}.html" for other in ENDONYMS}, lang
        (nav,) = tree.xpath("//nav[contains(@class, 'editions')]")
        assert nav.get("aria-label") == labels(lang).languages
        links = nav.xpath(".//a")
        assert [(a.get("href"), a.get("lang"), a.get("hreflang"), a.text) for a in links] == [
            (f"{FILES[other]}.html", other, other, ENDONYMS[other]) for other in ENDONYMS]
        assert [a.get("hreflang") for a in links if a.get("aria-current") == "true"] == [lang]
        (also,) = tree.xpath("//footer//p[@class='editions']")
        assert [a.get("href") for a in also.xpath("a")] == [f"{FILES[o]}.html" for o in ENDONYMS if o != lang]


def test_epub_colophon_and_pdf_back_cover_name_the_others_in_their_own_languages(editions):
    out, _ = editions
    for lang in ENDONYMS:
        others = ", ".join(ENDONYMS[o] for o in ENDONYMS if o != lang)
        colophon = lxml.html.fromstring(epub_file(out, lang, "colophon.xhtml").encode())
        (also,) = colophon.xpath("//p[@class='editions']")
        assert squashed(also.text_content()) == f"{labels(lang).also_in} {others}"
        assert not also.xpath(".//a") and [s.get("lang") for s in also.xpath("span")] == [o for o in ENDONYMS if o != lang]
        back = pdf_pages(out / f"{FILES[lang]}.pdf")[-1]
        assert f"{labels(lang).also_in} {others}" in back, back
    for lang in ("es", "ru"):  # a translation names the language it was translated from
        line = f"{labels(lang).translated_from} English"
        assert line in body_text(lxml.html.fromstring(epub_file(out, lang, "titlepage.xhtml").encode()))
        assert line in pdf_pages(out / f"{FILES[lang]}.pdf")[-1] and line in pdf_pages(out / f"{FILES[lang]}.pdf")[0]
    assert labels("en").translated_from not in epub_text(out, "en")


def test_with_base_url_the_pdf_and_epub_link_the_web_editions(published):
    from publish.pdfs import read

    out = published
    urls = {o: f"https://example.org/pamphlets/{FILES[o]}.html" for o in ENDONYMS}
    colophon = lxml.html.fromstring(epub_file(out, "es", "colophon.xhtml").encode())
    assert [(a.get("href"), a.get("hreflang"), a.text) for a in colophon.xpath("//p[@class='editions']/a")] == [
        (urls["en"], "en", "English"), (urls["ru"], "ru", "Русский")]
    pdf = read((out / f"{SEED}.es.pdf").read_bytes())
    linked = {a.get_object()["/A"].get("/URI") for p in pdf.pages for a in p.get("/Annots") or ()
              if a.get_object().get("/Subtype") == "/Link" and "/A" in a.get_object()}
    assert {urls["en"], urls["ru"]} <= linked
    tree = page(out, "es")
    assert {link.get("href") for link in tree.xpath("//head/link[@rel='alternate']")} == set(urls.values())


def test_manifest_groups_the_editions_of_a_text(editions):
    out, _ = editions
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    assert len(entries) == 15 and {e["text"] for e in entries} == {SEED}
    for entry in entries:
        slug = entry["path"].split(".")[0] + ("." + entry["edition"] if "edition" in entry else "")
        assert entry["path"].startswith(slug + ".") and entry["original"] == (entry["lang"] == "en")
        assert entry.get("edition") == (None if entry["original"] else entry["lang"])
        assert {"path", "format", "source", "lang", "bytes", "sha256", "source_sha256", "stale"} <= entry.keys()


def test_a_manifest_without_the_edition_fields_still_reads(tmp_path):
    from publish.dist import artifact_for, record

    (tmp_path / "a.html").write_bytes(b"<p>a</p>")
    (tmp_path / "a.es.html").write_bytes(b"<p>b</p>")
    old = artifact_for("a.html", "html", "source/a.md", "en", b"<p>a</p>", None, "").as_dict()
    for key in ("text", "original", "edition"):
        old.pop(key, None)
    (tmp_path / "manifest.json").write_text(json.dumps({"tool": "publish", "artifacts": [old]}), encoding="utf-8")
    record(tmp_path, [artifact_for("a.es.html", "html", "source/a.es.md", "es", b"<p>b</p>", None, "")])
    entries = {e["path"]: e for e in json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["artifacts"]}
    assert entries["a.html"]["text"] == "a" and entries["a.html"]["original"] is True and "edition" not in entries["a.html"]
    assert (entries["a.es.html"]["text"], entries["a.es.html"]["original"], entries["a.es.html"]["edition"]) == ("a", False, "es")


def test_a_translation_added_later_is_linked_from_the_cached_original(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text("---\ntitle: A\nauthor: B\n---\n\nText.\n", encoding="utf-8")
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert "a.es.html" not in (tmp_path / "dist" / "a.html").read_text(encoding="utf-8")
    before = entries(tmp_path)
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert entries(tmp_path) == before  # nothing changed: a.md came from the cache
    (tmp_path / "source" / "a.es.md").write_text("---\ntitle: A\nauthor: B\nlang: es\n---\n\nTexto.\n", encoding="utf-8")
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert len(set(entries(tmp_path).values()) - set(before.values())) == 2  # a.md rendered again, and a.es.md
    tree = lxml.html.fromstring((tmp_path / "dist" / "a.html").read_bytes())
    assert tree.xpath("//link[@rel='alternate'][@hreflang='es']/@href") == ["a.es.html"]
    (tmp_path / "source" / "a.es.md").unlink()
    build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert not lxml.html.fromstring((tmp_path / "dist" / "a.html").read_bytes()).xpath("//link[@rel='alternate']")


def test_a_translation_that_is_not_built_is_not_linked(tmp_path):
    """Two Spanish editions that would write the same files (P161) and a Russian one whose name and lang disagree
    (P114) fail; the original links none of them."""
    (tmp_path / "source" / "a").mkdir(parents=True)
    (tmp_path / "source" / "a.md").write_text("---\ntitle: A\nauthor: B\n---\n\nText.\n", encoding="utf-8")
    for path in ("a.es.md", "a/index.es.md"):
        (tmp_path / "source" / path).write_text("---\ntitle: A\nauthor: B\nlang: es\n---\n\nTexto.\n", encoding="utf-8")
    (tmp_path / "source" / "a.ru.md").write_text("---\ntitle: A\nauthor: B\nlang: uk\n---\n\nТекст.\n", encoding="utf-8")
    manifest = build(out=tmp_path / "dist", root=tmp_path, formats=["html"])
    assert {d.code for d in manifest.diagnostics} == {"P161", "P114"} and [a.path for a in manifest.built] == ["a.html"]
    tree = lxml.html.fromstring((tmp_path / "dist" / "a.html").read_bytes())
    assert not tree.xpath("//link[@rel='alternate'] | //nav | //p[@class='editions']")


def test_epubcheck_finds_nothing_in_any_edition(editions, published, epubcheck, tmp_path):
    out, _ = editions
    for n, epub in enumerate([*(out / f"{FILES[lang]}.epub" for lang in ENDONYMS), published / f"{SEED}.es.epub"]):
        report = tmp_path / f"{n}.json"
        epubcheck.run(epub, report)
        assert json.loads(report.read_text(encoding="utf-8"))["messages"] == [], epub.name


AXE = """
const puppeteer = require(process.argv[2]);
const fs = require('fs');
(async () => {
  const browser = await puppeteer.launch({executablePath: process.argv[5], args: ['--no-sandbox']});
  const page = await browser.newPage();
  await page.goto('file://' + process.argv[4]);
  await page.addScriptTag({content: fs.readFileSync(process.argv[3], 'utf8')});
  const result = await page.evaluate(async () => await axe.run());
  console.log(JSON.stringify(result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.html)}))));
  await browser.close();
})();
"""


def test_the_language_switch_is_accessible(editions, ace_command, tmp_path):
    """axe-core (the copy Ace by DAISY brings) on the Russian web edition in Chromium: no violation."""
    import os

    modules = Path(ace_command[0]).parents[1] if Path(ace_command[0]).parent.name == ".bin" else None
    found = [modules / "puppeteer-core", modules / "@daisy" / "axe-core-for-ace" / "axe.min.js"] if modules else []
    node = shutil.which("node")
    if not node or not found or not all(p.exists() for p in found):
        pytest.skip("node, puppeteer-core or axe-core is not installed (they come with Ace by DAISY)")
    out, _ = editions
    script = tmp_path / "axe.js"
    script.write_text(AXE, encoding="utf-8")
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    run = subprocess.run([node, str(script), str(found[0]), str(found[1]), str(out / f"{SEED}.ru.html"), chromium],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
    assert re.search(r'aria-current="true"', (out / f"{SEED}.ru.html").read_text(encoding="utf-8"))
