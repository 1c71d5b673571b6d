"""The EPUB and the web edition carry font subsets that hold every character they can show (publish/fonts.py)."""

from __future__ import annotations

import base64
import io
import re
import zipfile

from fontTools.ttLib import TTFont

from publish import build

SOURCE = """---
title: Хроника
author: Редакция
publisher: Борьба
date: 2022-01-10
lang: ru
---

Если a < b = c > d, то `x <= y` — «правда». The office of AVA, fine.
"""


def cmap(data: bytes) -> set[str]:
    return {chr(code) for code in TTFont(io.BytesIO(data)).getBestCmap()}


def by_name(fonts) -> dict[str, tuple[int, frozenset[str]]]:
    """Each font by its full name: its number of glyphs and the characters it maps."""
    found = {}
    for data in fonts:
        font = TTFont(io.BytesIO(data))
        found[font["name"].getDebugName(4)] = (len(font.getGlyphOrder()), frozenset(cmap(data)))
    return found


def test_both_screen_editions_carry_the_same_cuts_with_every_character_in_both_cases(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "fonts.md").write_text(SOURCE, encoding="utf-8")
    manifest = build([tmp_path / "source"], out=tmp_path / "dist", root=tmp_path, formats=["epub", "html"])
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    with zipfile.ZipFile(tmp_path / "dist" / "fonts.epub") as z:
        epub = {name.rsplit("/", 1)[1]: z.read(name) for name in z.namelist() if name.endswith(".ttf")}
    page = (tmp_path / "dist" / "fonts.html").read_text(encoding="utf-8")
    web = [base64.b64decode(m) for m in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page)]
    assert len(web) == len(epub) == 7  # six text faces and the mono face, for the code
    sans = cmap(epub["PTSans-Regular.ttf"])
    # the publisher and the date are set in capitals by the stylesheet: their capitals are in the cut
    assert set("БОРЬБАЯНВАРЯ") <= sans and set("борьбаянваря") <= sans
    assert set("<=>«»—") <= cmap(epub["PTSerif-Regular.ttf"])
    assert by_name(web) == by_name(epub.values())  # one cut per face, in both editions
    assert len(by_name(web)) == 7 and None not in by_name(web)  # the names survive the cut
    serif = TTFont(io.BytesIO(epub["PTSerif-Regular.ttf"]))
    features = {table: {r.FeatureTag for r in serif[table].table.FeatureList.FeatureRecord} for table in ("GSUB", "GPOS")}
    assert "liga" in features["GSUB"] and "kern" in features["GPOS"], features  # ligatures and kerning too
