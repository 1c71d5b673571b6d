"""Paper: a pamphlet's sections run on, so no page of text is left part empty before the last; a text long enough to
be a book opens each section on a new page; front matter's section_breaks forces either way (issue 12, item 5)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import which_or_skip

from publish import build

REPO = Path(__file__).resolve().parent.parent
TOP, BOTTOM = 16 / 25.4 * 72, 595.28 - 22 / 25.4 * 72  # the A5 type area in points (styles/tokens.css margins)
LINE = 14.7  # one line of body text, in points


def with_setting(text: str, setting: str) -> str:
    head, body = text.split("\n---\n", 1)
    return f"{head}\nsection_breaks: {setting}\n---\n{body}"


def persuasion_chapters(count: int) -> str:
    """The first `count` chapters of the long benchmark text (Jane Austen, about 3,000 words each)."""
    text = (REPO / "benchmarks/texts/persuasion.md").read_text(encoding="utf-8")
    return text[:[m.start() for m in re.finditer(r"^# Chapter", text, re.M)][count]]


@pytest.fixture(scope="module")
def pamphlets(tmp_path_factory) -> Path:
    which_or_skip("pdftotext")
    project = tmp_path_factory.mktemp("fill")
    source = project / "source"
    source.mkdir()
    fixtures = REPO / "tests/fixtures/epub/source"
    for name in ("chapters", "h1-chapters", "footnotes"):
        (source / f"{name}.md").write_bytes((fixtures / f"{name}.md").read_bytes())
    (source / "seed.md").write_bytes((REPO / "source/kazakhstan-solidarity.md").read_bytes())
    chapters = (fixtures / "chapters.md").read_text(encoding="utf-8")
    (source / "chapters-paged.md").write_text(with_setting(chapters, "page"), encoding="utf-8")
    (source / "book.md").write_text(persuasion_chapters(3), encoding="utf-8")
    (source / "book-run-on.md").write_text(with_setting(persuasion_chapters(3), "none"), encoding="utf-8")
    manifest = build([source], out=project / "dist", root=project, formats=["pdf"], jobs=2)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return project / "dist"


def pages(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Each page's words in the type area (not the running head or folio) as (top, bottom, word), in reading order."""
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for page in layout.split("<page ")[1:]:
        words = [(float(a), float(b), html) for a, b, html in
                 re.findall(r'<word xMin="[0-9.]+" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="([0-9.]+)">([^<]*)</word>', page)]
        found.append([w for w in words if TOP < w[0] and w[1] < BOTTOM])
    return found


def text_pages(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """The pages of the text: from page 3 (after the cover and its inside or the contents) to the one before the
    back cover."""
    return pages(pdf)[2:-1]


@pytest.mark.parametrize("slug", ["seed", "chapters", "h1-chapters", "footnotes", "book-run-on"])
def test_every_page_of_a_pamphlet_but_its_last_is_full(pamphlets, slug):
    """Within six lines (of about 33) of the type area's foot: what is left is space the next block could not use —
    a paragraph's first two lines (`orphans: 2`), a three-line paragraph that cannot be split two and one
    (`widows: 2`), or a heading with its space above, kept with the lines under it. The seed's page 3 ends a line
    and a third short because the next paragraph's first two lines do not fit there. With a new page per section,
    the chapters fixture left pages half empty."""
    text = text_pages(pamphlets / f"{slug}.pdf")
    assert len(text) >= 2
    short = {n: round((BOTTOM - max(b for _, b, _ in words)) / LINE, 1) for n, words in enumerate(text[:-1], 3)}
    assert all(lines <= 6 for lines in short.values()), f"lines left empty at the foot of each page: {short}"


def section_tops(pdf: Path, headings: list[str]) -> list[bool]:
    """For each heading, whether it is the first thing on its page."""
    tops = []
    for heading in headings:
        for words in text_pages(pdf):
            if heading in " ".join(w for _, _, w in words):
                tops.append(" ".join(w for _, _, w in words[:len(heading.split())]) == heading)
                break
        else:
            raise AssertionError(f"{heading!r} not found in {pdf.name}")
    return tops


def test_a_book_opens_each_section_on_a_new_page_and_the_settings_force_either_way(pamphlets):
    chapters = ["Chapter 2", "Chapter 3"]
    assert section_tops(pamphlets / "book.pdf", chapters) == [True, True]
    assert section_tops(pamphlets / "book-run-on.pdf", chapters) == [False, False]
    sections = re.findall(r"^## (.+)$", (REPO / "tests/fixtures/epub/source/chapters.md").read_text(encoding="utf-8"), re.M)
    assert section_tops(pamphlets / "chapters-paged.pdf", sections[1:]) == [True] * (len(sections) - 1)
    assert not all(section_tops(pamphlets / "chapters.pdf", sections[1:]))  # one may fall at a page top


def test_an_unknown_section_breaks_value_is_an_error_at_its_line(tmp_path, capsys):
    from publish.cli import main

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "x.md").write_text("---\ntitle: T\nauthor: A\nsection_breaks: always\n---\n\nText.\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "source"), "--out", str(tmp_path / "dist"), "--format", "html"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"x\.md:4:\d+: error P104: section_breaks: 'always' is not one of auto, page, none", err), err
