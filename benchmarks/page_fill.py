"""How much paper section breaks cost: each text built with `section_breaks: page` and `none`, side by side.

Run: .venv/bin/python benchmarks/page_fill.py [FILE.md ...]
Default texts: the seed, the fixtures of tests/fixtures/epub/source with sections, and benchmarks/texts/persuasion.md.
For each: words, sections, words per section, and for both settings the A5 pages, the press file's pages (padded to a
multiple of four) and how much of the text pages' type area is empty. `auto` (publish/render/printed.py,
sections_open_pages) should choose `page` only where it costs little. Output goes to a temporary folder."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOP, BOTTOM = 16 / 25.4 * 72, 595.28 - 22 / 25.4 * 72  # the A5 type area, in points (styles/tokens.css margins)


def empty_share(pdf: Path, pages: int) -> float:
    """The share of the type area left empty under the last line, over the text pages (page 3 to the one before
    the back cover)."""
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    empty = []
    for number, page in enumerate(layout.split("<page ")[1:], 1):
        if not 3 <= number < pages:
            continue
        lows = [float(y) for y in re.findall(r'yMax="([0-9.]+)"', page) if TOP < float(y) < BOTTOM]
        if lows:
            empty.append((BOTTOM - max(lows)) / (BOTTOM - TOP))
    return sum(empty) / len(empty) if empty else 0.0


def measure(text: Path, setting: str, work: Path) -> tuple[int, int, float]:
    from publish import build

    head, body = text.read_text(encoding="utf-8").split("\n---\n", 1)
    project = work / f"{text.stem}-{setting}"
    (project / "source").mkdir(parents=True)
    (project / "source" / "text.md").write_text(f"{head}\nsection_breaks: {setting}\n---\n{body}", encoding="utf-8")
    for image in text.parent.glob("images"):
        (project / "source" / "images").symlink_to(image)
    manifest = build(out=project / "dist", root=project, formats=["pdf", "press"], force=True)
    pages = {a.format: a.pages for a in manifest.artifacts}
    return pages["pdf"], pages["press"], empty_share(project / "dist" / "text.pdf", pages["pdf"])


def main(texts: list[Path]) -> None:
    from publish.render.printed import sections_open_pages

    print(f"{'text':32} {'words':>6} {'sect':>4} {'w/sect':>6}  {'page: A5 press empty':>22}  {'none: A5 press empty':>22}  auto")
    with tempfile.TemporaryDirectory() as tmp:
        for text in texts:
            source = text.read_text(encoding="utf-8").split("\n---\n", 1)[1]
            words = len(re.sub(r"[#*_>`\[\]()|-]", " ", source).split())
            top = min((len(h) for h in re.findall(r"^(#+) ", source, re.M)), default=0)
            sections = len(re.findall(rf"^{'#' * top} ", source, re.M)) if top else 0
            rows = [measure(text, setting, Path(tmp)) for setting in ("page", "none")]
            auto = "page" if sections_open_pages("auto", sections, words) else "none"
            cells = "  ".join(f"{a5:>10} {press:>5} {share:>5.0%}" for a5, press, share in rows)
            print(f"{text.stem[:32]:32} {words:>6} {sections:>4} {words // max(sections, 1):>6}  {cells}  {auto}")


if __name__ == "__main__":
    fixtures = ROOT / "tests" / "fixtures" / "epub" / "source"
    default = [ROOT / "source" / "kazakhstan-solidarity.md",
               *(fixtures / f"{n}.md" for n in ("chapters", "footnotes", "h1-chapters", "ru-cyrillic", "duplicate-headings")),
               ROOT / "benchmarks" / "texts" / "persuasion.md"]
    main([Path(a) for a in sys.argv[1:]] or default)
