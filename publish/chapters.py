"""Split the EPUB's text into one XHTML file per section (<h2>: see outline.py), keeping links and notes whole."""

from __future__ import annotations

from dataclasses import dataclass

from .outline import SECTION
from .xhtml import HEADINGS, serialize

SECTION_TAG = f"h{SECTION}"


@dataclass(frozen=True)
class Chapter:
    file: str  # text.xhtml, text-2.xhtml, …
    heading_id: str  # "" for the opening part before the first heading
    html: str


def split(root, asides: list[tuple[object, object]]) -> tuple[tuple[Chapter, ...], dict[str, str]]:
    """Cut `root`'s children before each section heading; each note follows the chapter that calls it.

    Returns the chapters and, for every id, the file that holds it (for links and the table of contents)."""
    groups = _groups(root)
    owner = {id(child): n for n, group in enumerate(groups) for child in group}
    for call, aside in asides:
        top = call
        while top.getparent() is not root:
            top = top.getparent()
        groups[owner[id(top)]].append(aside)
    files = ["text.xhtml"] + [f"text-{n}.xhtml" for n in range(2, len(groups) + 1)]
    where = {node.get("id"): files[n] for n, group in enumerate(groups) for child in group
             for node in child.iter() if node.get("id")}
    chapters = []
    for n, group in enumerate(groups):
        holder = root.makeelement("div")
        for child in group:
            for a in child.iter("a"):
                target = a.get("href", "")
                if target.startswith("#") and where.get(target[1:], files[n]) != files[n]:
                    a.set("href", where[target[1:]] + target)
            holder.append(child)
        heading = group[0].get("id", "") if group and group[0].tag in HEADINGS else ""
        chapters.append(Chapter(files[n], heading, serialize(holder)))
    return tuple(chapters), where


def _groups(root) -> list[list]:
    """The root's children, cut before each section heading."""
    groups: list[list] = [[]]
    for child in root:
        if child.tag == SECTION_TAG and groups[-1]:
            groups.append([])
        groups[-1].append(child)
    return groups
