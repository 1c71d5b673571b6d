"""publish new: a fresh source/<slug>.md with every front-matter key explained."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .errors import fail

TEMPLATE = """---
title: {title}
author: Your Organisation
# subtitle: ...
# translator: ...            # "Translation by ..."
date: {date}
lang: en                     # BCP 47: en, es, ru, kk ...
# publisher: ...
# source_url: https://...     # where it first appeared
# summary: ...                # standfirst and description
# caption: ...                # caption of the lead photo
# photo_credit: ...           # "Photo: ..."
# license: CC BY-SA 4.0
# keywords: [..., ...]
---

Write the text here. A blank line starts a new paragraph.
"""


def new_source(title: str, root: Path | str = ".") -> Path:
    """Write source/<slug>.md for `title`; never overwrite an existing file."""
    from slugify import slugify

    slug = slugify(title, max_length=60, word_boundary=True)
    if not slug:
        raise fail("source", "P140", f"cannot make a file name from the title {title!r}")
    path = Path(root) / "source" / f"{slug}.md"
    if path.exists():
        raise fail(str(path), "P141", "already exists; choose another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_title = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    path.write_text(TEMPLATE.format(title=safe_title, date=dt.date.today().isoformat()), encoding="utf-8")
    return path
