"""Issue 16: every edition clean in independent accessibility checkers.

The A5 PDFs of the seed, of a long text with a contents page, of notes on sections that each open a page, of a
text with pictures, of texts in Russian and Kazakh, and of a text of awkward lists and a table pass pdfua (the
machine-checkable part of PDF/UA-1) and outloud (PDF/UA-1 and WCAG 2.2) with no finding at all. Their web editions
and every EPUB content document pass axe-core (WCAG 2.2 A/AA and best practice) in Chromium, at a phone's 390 px
and a desktop's 1280 px. Each checker runs once over every file (one process for the PDFs per checker, one
Chromium for every page at both widths); each source's test reads its own result. The tags themselves are checked
too, without the checkers: running heads and folios are pagination artifacts, the QR code an artifact beside a
link, links printable, and the pages paint their words in reading order (pdftotext -raw).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, SEED, which_or_skip

FIXTURES = REPO / "tests" / "fixtures" / "epub" / "source"
# Lists loose and nested, in a quotation, more than nine items, a long heading in the contents, a table.
AWKWARD = """---
title: Lists, quotations and a table
author: Test Collective
lang: en
source_url: https://example.org/lists?a=1&b=2
summary: The shapes of text whose tags are easy to get wrong.
---

## A section heading long enough to wrap onto a second line of the contents page at the size it is set there

Before the list.

1. one
2. two
3. three
4. four
5. five
6. six
7. seven
8. eight
9. nine
10. ten
11. eleven

After the list.

> Quoted before a list.
>
> - a bullet
> - another bullet
>
> Quoted after it.

## Loose items

- An item with a paragraph.

    And a second paragraph.

    - nested one
    - nested two

    A paragraph after the nested list.

- A plain item.

## A table

| Year | Strikes |
|------|---------|
| 2011 | 14      |
| 2022 | 200     |

The end.
"""
SOURCES = ("chapters", "footnotes-paged", "images", "ru-cyrillic", "kk-kazakh", "awkward")
SLUGS = (SEED, *SOURCES)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The fixtures built in every edition once for the module (the seed comes from the session's `built`)."""
    from publish import build

    root = tmp_path_factory.mktemp("accessible")
    source = root / "source"
    source.mkdir()
    for name in ("chapters", "ru-cyrillic", "kk-kazakh"):
        shutil.copy(FIXTURES / f"{name}.md", source / f"{name}.md")
    head, body = (FIXTURES / "footnotes.md").read_text(encoding="utf-8").split("\n---\n", 1)
    (source / "footnotes-paged.md").write_text(f"{head}\nsection_breaks: page\n---\n{body}", encoding="utf-8")
    shutil.copytree(FIXTURES / "images", source / "images")
    (source / "awkward.md").write_text(AWKWARD, encoding="utf-8")
    manifest = build([source], out=root / "dist", root=root, formats=["pdf", "epub", "html"], jobs=2)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return root / "dist"


def edition(project, built, slug: str, suffix: str):
    return (built[0] if slug == SEED else project) / f"{slug}{suffix}"


# --- the PDFs in pdfua and outloud ---------------------------------------------------------------------------

# pdfua 0.1.3 cannot evaluate its empty-heading rule on a heading whose /K is an array (every heading WeasyPrint
# writes): it asks pikepdf for an attribute that pikepdf answers with a ValueError, not an AttributeError.
KNOWN_SKIPS = {"pdfua": ("UA-14-001: rule raised ValueError",)}


@pytest.fixture(scope="module")
def pdf_reports(project, built):
    """checker -> slug -> its Report on that slug's A5 PDF; each installed checker runs once on all of them."""
    from publish.accessibility import check, installed

    paths = {str(edition(project, built, slug, ".pdf")): slug for slug in SLUGS}
    started = time.monotonic()
    reports = check([Path(p) for p in paths])
    print(f"{' and '.join(installed()) or 'no checker'} on {len(paths)} PDFs in {time.monotonic() - started:.1f} s")
    found: dict[str, dict[str, object]] = {}
    for report in reports:
        found.setdefault(report.checker, {})[paths[report.path]] = report
    return found


@pytest.mark.parametrize("checker", ["pdfua", "outloud"])
@pytest.mark.parametrize("slug", SLUGS)
def test_the_a5_pdf_passes_the_pdf_ua_checkers_with_no_finding(pdf_reports, checker, slug):
    if checker not in pdf_reports:
        pytest.skip(f"{checker} is not installed (pip install {checker}; scripts/setup.sh test installs it)")
    report = pdf_reports[checker][slug]
    findings = [f"{f.severity} {f.rule} (page {f.page}): {f.message}" for f in report.findings]
    assert not report.error and findings == [], report.error or "\n".join(findings)
    unexplained = [s for s in report.skipped if not s.startswith(KNOWN_SKIPS.get(checker, ()))]
    assert unexplained == [], unexplained


def test_publish_check_reports_what_the_pdf_ua_checkers_find(tmp_path, monkeypatch, capsys):
    """A picture without alt text is a figure a screen reader cannot read: both checkers say so in `publish check`,
    as errors naming the file and the page; the press file, for printers, is not theirs to check."""
    from publish.accessibility import CHECKERS, installed
    from publish.cli import main

    if set(installed()) != set(CHECKERS):
        pytest.skip("pdfua and outloud are not installed (pip install pdfua outloud; scripts/setup.sh test does)")
    (tmp_path / "source").mkdir()
    shutil.copy(FIXTURES / "images" / "images" / "rally.png", tmp_path / "source" / "rally.png")
    (tmp_path / "source" / "mute.md").write_text("---\ntitle: Mute\nauthor: A\n---\n\nWords.\n\n![](rally.png)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--format", "pdf,press"]) == 0
    capsys.readouterr()
    assert main(["check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert "dist/mute.pdf:1:1: error UA-13-004: pdfua: Figure has neither /Alt nor /ActualText, so it is invisible to " \
           "a screen reader (WCAG 1.1.1). (page 3)" in lines, lines
    assert any(line.startswith("dist/mute.pdf:1:1: error FIG-001: outloud: 1 /Figure element(s) have no /Alt") and
               line.endswith("(page 3)") for line in lines), lines
    assert not any("mute.press.pdf" in line and ("UA-" in line or "outloud" in line) for line in lines), lines


def test_a_pdf_the_checkers_cannot_read_is_a_warning_naming_the_checker(tmp_path):
    from publish.accessibility import diagnostics, installed

    if not installed():
        pytest.skip("neither pdfua nor outloud is installed (pip install pdfua outloud; scripts/setup.sh test does)")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    found = diagnostics({tmp_path / "broken.pdf": "dist/broken.pdf"})
    assert sorted((d.path, d.severity, d.code, d.message.split(":")[0]) for d in found) == sorted(
        ("dist/broken.pdf", "warning", "P335", f"{checker} could not check it") for checker in installed()), found
    assert not any(str(tmp_path) in d.message for d in found), found


# --- the tags, read without the checkers ----------------------------------------------------------------------


def content_of(page) -> bytes:
    return page.get_contents().get_data()


def test_running_heads_and_folios_are_pagination_artifacts_and_every_mcid_is_in_the_tree(built):
    """Page 4 of the seed has a running head and a folio: both are /Artifact /Pagination, not tagged content, and
    every marked-content sequence left on every page has its element in the tag tree (none is orphaned)."""
    from pypdf import PdfReader

    reader = PdfReader(built[0] / f"{SEED}.pdf")
    stream = content_of(reader.pages[3])
    furniture = re.findall(rb"/Artifact\s*<<\s*/Type\s*/Pagination\s*>>\s*BDC(.*?)EMC", stream, re.S)
    assert len(furniture) == 2, stream[-600:]  # the running head and the folio
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    parents = tree["/ParentTree"]["/Nums"]
    for index, page in enumerate(reader.pages):
        mcids = [int(m) for m in re.findall(rb"/MCID\s+(\d+)", content_of(page))]
        entries = parents[2 * index + 1]
        assert all(mcid < len(entries) and entries[mcid] is not None for mcid in mcids), (index + 1, mcids)
        orphans = [mcid for mcid in mcids if not _in_tree(entries[mcid].get_object(), tree)]
        assert orphans == [], f"page {index + 1}: content tagged but not in the tag tree: MCIDs {orphans}"


def _in_tree(elem, root) -> bool:
    while "/P" in elem:
        elem = elem["/P"].get_object()
    return elem == root


def test_the_qr_code_is_an_artifact_beside_a_printable_link_to_the_source(built):
    """The back cover's QR code repeats the imprint's link for a phone's camera: it is no /Figure (a screen reader
    skips it) but an artifact, and its caption "Read it online" links to the same URL, printable like every link."""
    from pypdf import PdfReader

    from publish.sources import load

    url = load(REPO / "source" / f"{SEED}.md").meta.source_url
    reader = PdfReader(built[0] / f"{SEED}.pdf")
    back = reader.pages[-1]
    figures = [e for e in _elements(reader.trailer["/Root"]["/StructTreeRoot"]) if e.get("/S") == "/Figure"]
    assert figures == [], [dict(e) for e in figures]
    assert re.search(rb"/Artifact\s+BMC", content_of(back))
    links = [a.get_object() for a in back["/Annots"]]
    assert {a["/A"]["/URI"] for a in links} == {url}  # the imprint's URL (on one line or two) and the caption
    assert all(a["/F"] & 4 for page in reader.pages for a in (page.get("/Annots") or ()) if a.get_object()["/Subtype"] == "/Link")
    layout = subprocess.run([which_or_skip("pdftotext"), "-bbox", "-f", str(len(reader.pages)), str(built[0] / f"{SEED}.pdf"),
                             "-"], capture_output=True, text=True, check=True).stdout
    height = float(back.mediabox.height)
    words = {w: tuple(map(float, box)) for *box, w in re.findall(
        r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>', layout)}
    x0, top, x1, bottom = words["ONLINE"]  # the caption, set in capitals; pdftotext measures from the top
    caption = (x0, height - bottom, x1, height - top)
    assert any(_covers(_rect(a), caption) for a in links), (caption, [_rect(a) for a in links])


def _rect(annotation) -> tuple[float, ...]:
    x0, y0, x1, y1 = map(float, annotation["/Rect"])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _covers(outer, inner, slack: float = 1) -> bool:
    return (outer[0] - slack <= inner[0] and outer[1] - slack <= inner[1] and inner[2] <= outer[2] + slack
            and inner[3] <= outer[3] + slack)


@pytest.mark.parametrize("kind", ["press", "booklet"])
def test_the_print_files_claim_no_accessibility_and_carry_no_tags(built, kind):
    """The README sends readers to <slug>.pdf, not to the printers' files: these have no tag tree, no links and
    no PDF/UA claim, so nothing pretends a screen reader can read them."""
    from pypdf import PdfReader

    reader = PdfReader(built[0] / f"{SEED}.{kind}.pdf")
    root = reader.trailer["/Root"]
    metadata = root["/Metadata"].get_object().get_data().decode() if "/Metadata" in root else ""
    assert "/StructTreeRoot" not in root and "/MarkInfo" not in root and "pdfuaid" not in metadata
    assert not any("/Annots" in page or "/StructParents" in page for page in reader.pages)


def _elements(node):
    kids = node.get("/K")
    kids = kids if isinstance(kids, list) else [] if kids is None else [kids]
    for kid in kids:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and kid.get("/Type") not in ("/OBJR", "/MCR"):
            yield kid
            yield from _elements(kid)


def test_pages_paint_their_words_in_reading_order(project, built):
    """What pdftotext -raw reads (the order the page paints, which text extraction and some readers follow): a list
    number before its words and the paragraph after the list after it, a contents entry before its page number."""
    pdftotext = which_or_skip("pdftotext")

    def raw(pdf, page: int) -> str:
        text = subprocess.run([pdftotext, "-raw", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        return " ".join(text.split())

    seed = " ".join(raw(built[0] / f"{SEED}.pdf", n) for n in (5, 6))
    demands = [m.start() for m in re.finditer(r"\b[1-5]\. \w", seed)]
    assert len(demands) == 5 and demands == sorted(demands), seed
    assert seed.index("5. Legalization") < seed.index("We call on all the workers"), seed
    contents = raw(project / "chapters.pdf", 2)
    assert re.search(r"Chapter One: The Fields \d+ Work and wages \d+", contents), contents
    awkward = " ".join(raw(project / "awkward.pdf", n) for n in (3, 4))
    assert re.search(r"Before the list\. 1\. one 2\. two .* 10\. ten 11\. eleven After the list\.", awkward), awkward


def test_a_list_item_of_blocks_has_a_body_and_a_table_head_heads_its_columns(project):
    from pypdf import PdfReader

    reader = PdfReader(project / "awkward.pdf")
    elements = list(_elements(reader.trailer["/Root"]["/StructTreeRoot"]))
    items = [e for e in elements if e.get("/S") == "/LI"]
    kids = [sorted({k.get_object()["/S"] for k in item["/K"] if "/S" in k.get_object()}) for item in items]
    assert kids and all(set(k) <= {"/Lbl", "/LBody"} and "/LBody" in k for k in kids), kids
    heads = [e for e in elements if e.get("/S") == "/TH"]
    assert len(heads) == 2 and all(h["/A"]["/Scope"] == "/Column" for h in heads), heads


# --- the web edition and the EPUB's documents in axe-core ----------------------------------------------------

# axe-core's page-level rules presume a document is a whole web page: an EPUB content document is one part of a
# publication whose title (<h1>) is on its title page and whose landmarks are in its navigation document. Ace by
# DAISY leaves out the same rules for the same reason (all but landmark-one-main, which its own build of axe
# does not report on these documents).
EPUB_RULES_OFF = ("bypass", "region", "page-has-heading-one", "landmark-one-main")
# The EPUB's page-break markers are <span role="doc-pagebreak" aria-label="5">, as the DAISY knowledge base has
# them; axe-core resolves the span's role without the DPUB roles here and so calls the label one a plain <span>
# may not have (Ace's axe does not).
KNOWN = {("aria-prohibited-attr", "doc-pagebreak")}
WIDTHS = (390, 1280)
PROBE = r"""<!DOCTYPE html><html lang="en"><head><title>axe</title></head><body>%s<script>
var AXE = %s, OFF = %s, TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
window.onload = async function () {
  var found = {};
  for (const frame of document.querySelectorAll('iframe')) {
    var view = frame.contentWindow, page = frame.dataset.page, rules = {}, key = page + ' ' + frame.width;
    if (/\.xhtml$/.test(page)) OFF.forEach(function (id) { rules[id] = {enabled: false}; });
    try {
      view.eval(AXE);
      var result = await view.axe.run(view.document, {runOnly: {type: 'tag', values: TAGS}, rules: rules,
                                                      resultTypes: ['violations'], iframes: false});
      found[key] = result.violations.map(function (v) {
        return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
          var node = view.document.querySelector(n.target[0]);
          return {target: n.target.join(' '), role: node ? node.getAttribute('role') : null};
        })};
      });
    } catch (e) { found[key] = 'axe did not run: ' + e; }
  }
  document.body.setAttribute('data-axe', JSON.stringify(found));
};
</script></body></html>"""


@pytest.fixture(scope="module")
def axe_violations(project, built, tmp_path_factory):
    """'<slug>.html' or '<slug>.epub/<document>' -> width -> its violations (or why axe did not run), from one
    Chromium run over every web edition and EPUB content document at both widths."""
    chromium = which_or_skip("chromium")
    candidates = [os.environ.get("PUBLISH_AXE", ""), str(REPO / ".cache/axe/node_modules/axe-core/axe.min.js")]
    axe = next((c for c in candidates if c and os.path.isfile(c)), None)
    if not axe:
        pytest.skip("axe-core is not installed (scripts/setup.sh test installs it into .cache/axe)")
    folder = tmp_path_factory.mktemp("axe")
    pages = {}
    for slug in SLUGS:
        shutil.copy(edition(project, built, slug, ".html"), folder / f"{slug}.html")
        pages[f"{slug}.html"] = f"{slug}.html"
        with zipfile.ZipFile(edition(project, built, slug, ".epub")) as z:
            z.extractall(folder / slug)
        for document in sorted((folder / slug).rglob("*.xhtml")):
            pages[f"{slug}.epub/{document.name}"] = document.relative_to(folder).as_posix()
    frames = "".join(f'<iframe data-page="{html.escape(page)}" src="{html.escape(page)}" width="{width}" height="900"></iframe>'
                     for page in pages.values() for width in WIDTHS)
    probe = folder / "probe.html"
    probe.write_text(PROBE % (frames, json.dumps(Path(axe).read_text(encoding="utf-8")), json.dumps(EPUB_RULES_OFF)),
                     encoding="utf-8")
    started = time.monotonic()
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--allow-file-access-from-files", "--window-size=1400,1000",
                          "--virtual-time-budget=600000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=600).stdout
    print(f"axe-core on {len(pages)} documents at {len(WIDTHS)} widths in {time.monotonic() - started:.1f} s")
    found = re.search(r'data-axe="([^"]*)"', dom)
    assert found, f"Chromium gave no axe results: {dom[-500:]}"
    results = json.loads(html.unescape(found.group(1)))
    return {name: {width: results.get(f"{path} {width}", "no result") for width in WIDTHS} for name, path in pages.items()}


def axe_problems(results: dict) -> list[str]:
    problems = []
    for width, violations in results.items():
        if isinstance(violations, str):
            problems.append(f"{width} px: {violations}")
            continue
        for v in violations:
            nodes = [n["target"] for n in v["nodes"] if (v["id"], n["role"]) not in KNOWN]
            if nodes:
                problems.append(f"{width} px: {v['id']} ({v['impact']}) {v['help']}: {', '.join(nodes[:5])}")
    return problems


@pytest.mark.parametrize("slug", SLUGS)
def test_the_web_edition_has_no_axe_violation_on_a_phone_or_a_desktop(axe_violations, slug):
    problems = axe_problems(axe_violations[f"{slug}.html"])
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_epub_document_has_no_axe_violation_on_a_phone_or_a_desktop(axe_violations, slug):
    documents = {name: results for name, results in axe_violations.items() if name.startswith(f"{slug}.epub/")}
    assert len(documents) >= 4, sorted(axe_violations)  # cover, title page, text, colophon, navigation
    problems = [f"{name}: {p}" for name, results in documents.items() for p in axe_problems(results)]
    assert problems == [], "\n".join(problems)
