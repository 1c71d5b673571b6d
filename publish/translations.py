"""Which editions of one text exist: its original (source/<slug>.md) and its translations (source/<slug>.<lang>.md,
or source/<slug>/index.<lang>.md), so that each edition can name and link the others (README, Translations).

Found once per build, over every source of the project's folder of sources and of the folders the build was given,
not only the sources being built: a build of one edition still links the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from .errors import PublishError


@dataclass(frozen=True)
class Edition:
    """One language edition of a text, as the other editions name and link it."""

    lang: str  # its front matter's lang (BCP 47): "es", "es-MX"
    endonym: str  # the language's name in itself: "Español"
    slug: str  # the stem of its files: "a.es"
    href: str  # its web edition: "a.es.html", or that page at base_url when the project sets one
    original: bool  # the text the others were translated from (no language in its file name)


def collection_of(path: Path) -> tuple[Path, str]:
    """The folder of sources `path` sits in and its text's slug without a language: source/a.es.md and
    source/a/index.es.md -> (source, 'a')."""
    from .sources import slug_of

    folder = path.parent.parent if path.name.startswith("index.") else path.parent
    return folder, slug_of(path).partition(".")[0]


def find_editions(files: Iterable[Path], base_url: str = "") -> dict[Path, tuple[Edition, ...]]:
    """For each source file of a text published in more than one language, every edition of that text (its own
    included): the original first, then the translations by language tag. A source whose name or front matter is
    wrong is no edition (its own build says why); a text with one edition is left out."""
    from .sources import name_problem, slug_of

    named: dict[tuple[Path, str], dict[str, Path]] = {}
    for path in sorted(set(files), key=str):
        if name_problem(slug_of(path)) is None:
            named.setdefault(collection_of(path), {}).setdefault(slug_of(path), path)  # a clash (P161): the first
    found: dict[Path, tuple[Edition, ...]] = {}
    for members in named.values():
        if len(members) < 2:  # no front matter read for a text in one language: most projects, every rebuild
            continue
        editions = {path: edition for path in members.values() if (edition := _edition(path, base_url))}
        if len(editions) > 1:
            ordered = tuple(sorted(editions.values(), key=lambda e: (not e.original, e.slug)))
            found.update((path, ordered) for path in editions)
    return found


def _edition(path: Path, base_url: str) -> Edition | None:
    """The edition `path` is, or None when its front matter cannot be read or says another language than its name."""
    from .render import FORMATS
    from .sources import edition_of, slug_of

    slug = slug_of(path)
    lang, suffix = _declared_lang(path), edition_of(slug)
    if lang is None or (suffix and not (lang.lower() == suffix or lang.lower().startswith(suffix + "-"))):
        return None
    href = FORMATS["html"].filename(slug)
    if base_url:
        href = urljoin(base_url if base_url.endswith("/") else base_url + "/", href)
    return Edition(lang, _endonym(lang), slug, href, not suffix)


def _declared_lang(path: Path) -> str | None:
    """The `lang` a source's front matter gives (en when it gives none), read without the rest of its checks;
    None when the file or its front matter cannot be read."""
    from .sources import LANG, read_text, split_front_matter

    try:
        data = split_front_matter(read_text(path, str(path)), str(path))
    except (OSError, PublishError):
        return None
    lang = data.get("lang", "en")
    return lang.strip() if isinstance(lang, str) and LANG.match(lang.strip()) else None


def _endonym(tag: str) -> str:
    from .languages import language

    return language(tag).endonym
