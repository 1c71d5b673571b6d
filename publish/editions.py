"""Fill the Jinja2 edition templates (print, epub, web) from a Document."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from . import __version__
from .config import Config
from .errors import PublishError, fail
from .labels import human_date
from .languages import hyphenates, language, quotes_css
from .markup import Document


@lru_cache(maxsize=8)
def _environment(template_dirs: tuple[Path, ...]):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from jinja2.loaders import split_template_path

    class ConfinedLoader(FileSystemLoader):
        """A template that is a symbolic link out of its folder is refused, not read (P150)."""

        def get_source(self, environment, template):
            for folder in template_dirs:
                candidate = folder.joinpath(*split_template_path(template))
                if candidate.is_file():
                    if not candidate.resolve().is_relative_to(folder.resolve()):
                        raise fail(f"templates/{template}", "P150",
                                   f"refused to read templates/{template}: a symbolic link to a file outside the project")
                    break
            return super().get_source(environment, template)

    return Environment(
        loader=ConfinedLoader([str(d) for d in template_dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def warm_templates(config: Config, skip: tuple[str, ...] = ()) -> None:
    """Compile every edition template but `skip` now (forked renders then find them compiled); missing ones fail
    later, as before."""
    from jinja2 import TemplateError

    environment = _environment(config.dirs("templates"))
    for name in environment.list_templates(filter_func=lambda n: n.endswith(".j2") and n not in skip):
        try:
            environment.get_template(name)
        except (TemplateError, PublishError):
            pass


def render(config: Config, template: str, document: Document, **extra: object) -> str:
    """Render one edition template with the document's parts and labels."""
    from markupsafe import Markup

    meta = document.meta
    record = language(meta.lang)
    context = {
        "meta": meta,
        "inline": {key: Markup(value) for key, value in document.inline.items()},
        "plain": document.plain,
        "body": Markup(document.body),
        "language": record,  # its endonym, its typography (publish/languages)
        "labels": record.labels,
        "hyphenation": hyphenates(meta.lang),  # without it the text is set ragged-right (styles: .no-hyphenation)
        "date": human_date(meta.date, meta.lang),
        "version": __version__,
        "modified": w3c_datetime(modified(config, document)),
        **_editions(document),
        "link_editions": bool(config.base_url),  # the web edition links them always; the PDF and EPUB at base_url only
    }
    context.update(extra)
    return _environment(config.dirs("templates")).get_template(template).render(context)


def _editions(document: Document) -> dict:
    """The language editions of the text: all of them (the web edition's switch and alternate links), the others
    (listed as "Also in:") and, for a translation, its original ("Translated from")."""
    slug = document.source.slug
    others = tuple(e for e in document.editions if e.slug != slug)
    original = next((e for e in others if e.original), None)
    return {"editions": document.editions, "other_editions": others, "original": original, "slug": slug}


def modified(config: Config, document: Document) -> datetime:
    """SOURCE_DATE_EPOCH when set; else the front matter's date (midnight UTC); else the file's modification time.

    Never the clock: every rebuild of the same sources must give the same bytes."""
    if config.epoch is not None:
        return datetime.fromtimestamp(config.epoch, timezone.utc)
    if document.meta.date:
        year, month, day = (document.meta.date.split("-") + ["1", "1"])[:3]
        return datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
    return datetime.fromtimestamp(int(document.source.path.stat().st_mtime), timezone.utc)


def w3c_datetime(when: datetime) -> str:
    """`when` (UTC) as 0999-01-01T00:00:00Z: strftime("%Y") writes year 999 with three digits, which EPUBCheck and
    WeasyPrint refuse."""
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z"


def stylesheet(config: Config, *names: str) -> str:
    """The design tokens, the project's theme, each language's quotation marks for <q> (from its record, before the
    named stylesheets, which may change them) and the named stylesheets, with every var() replaced by its value."""
    tokens = ("tokens.css", *((f"themes/{config.theme}.css",) if config.theme else ()))
    read = [config.find("styles", name).read_text(encoding="utf-8") for name in (*tokens, *names)]
    return resolve_tokens("\n".join([*read[:len(tokens)], quotes_css(), *read[len(tokens):]]))


TOKEN_BLOCK = re.compile(r":root\s*\{([^}]*)\}")
TOKEN = re.compile(r"(--[\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)")
VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)")


def resolve_tokens(css: str) -> str:
    """Replace var(--token) with the last value given to it in a :root block, and drop those blocks.

    E-readers (Kobo's, Kindle's) ignore custom properties; plain values work everywhere."""
    tokens: dict[str, str] = {}
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for block in TOKEN_BLOCK.finditer(css):
        tokens.update(TOKEN.findall(block.group(1)))
    css = TOKEN_BLOCK.sub("", css)
    for _ in range(8):  # tokens may name tokens
        resolved = VAR.sub(lambda m: tokens.get(m.group(1), m.group(2) or m.group(0)), css)
        if resolved == css:
            break
        css = resolved
    return css

