"""publish new: a fresh source/<slug>.md with every front-matter key explained and a sample in its language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .errors import fail

# What each front-matter key is for, as the comment beside it (sources.ALLOWED, in its order).
HINTS = {
    "subtitle": "...",
    "translator": '...            # printed as "{labels.translation} ..."',
    "publisher": "...",
    "source_url": "https://...    # where it first appeared: the QR code and links resolve against it",
    "summary": "...               # the standfirst, the back-cover blurb and the description",
    "image": "images/photo.jpg    # the lead photo, under the standfirst",
    "image_alt": "...             # what the lead photo shows, for screen readers",
    "caption": "...               # caption of the lead photo",
    "photo_credit": '...          # printed as "{labels.photo} ..."',
    "cover": "images/cover.jpg    # a picture across the top of the cover",
    "license": "CC BY-SA 4.0",
    "identifier": "urn:isbn:...   # else one is made from source_url or the title",
    "keywords": "[..., ...]",
    "section_breaks": "auto      # print: page = each section on a new page, none = run on",
}


def scaffold(title: str, lang: str = "en", today: dt.date | None = None) -> str:
    """The file's text: title, author, date and lang set, every other key commented out with what it is for."""
    from .languages import RECORDS, language
    from .sources import ALLOWED

    record, shipped = language(lang), ", ".join(sorted(record.tag for record in RECORDS.values()))
    safe_title = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = ["---", f"title: {safe_title}", "author: Your Organisation", f"date: {(today or dt.date.today()).isoformat()}",
             f"lang: {lang}                     # BCP 47; with quotes, dashes and labels of its own: {shipped}"]
    lines += [f"# {key}: {HINTS[key].format(labels=record.labels)}" for key in ALLOWED if key in HINTS]
    # a first paragraph in the language, typed as people type: the build sets its quotes and dashes
    return "\n".join([*lines, "---", "", record.sample, ""])


def new_source(title: str, root: Path | str = ".", lang: str = "en") -> Path:
    """Write source/<slug>.md for `title`; never overwrite an existing file."""
    from slugify import slugify

    from .sources import LANG

    if not LANG.match(lang):
        raise fail("--lang", "P142", f"{lang!r} is not a language tag (BCP 47: en, es, pt-BR, kk …)")
    slug = slugify(title, max_length=60, word_boundary=True)
    if not slug:
        raise fail("source", "P140", f"cannot make a file name from the title {title!r}")
    path = Path(root) / "source" / f"{slug}.md"
    if path.exists():
        raise fail(str(path), "P141", "already exists; choose another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scaffold(title, lang), encoding="utf-8")
    return path
