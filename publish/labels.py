"""Words the editions print around the text, in the pamphlet's language."""

from __future__ import annotations

from .languages import Labels, language
from .typography import MISSING_IN_FONTS


def labels_for(lang: str) -> Labels:
    """The labels of `lang`'s record (publish/languages): its base language's for a region without one, English for
    a language without a record (P171 says so)."""
    return language(lang).labels


def join_names(names: tuple[str, ...], lang: str) -> str:
    """('A', 'B', 'C') -> 'A, B and C'."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {labels_for(lang).and_word} {names[-1]}"


def human_date(date: str, lang: str) -> str:
    """'2022-01-10' -> 'January 10, 2022' in the pamphlet's language (CLDR, through Babel)."""
    from datetime import date as Date

    from babel.core import UnknownLocaleError
    from babel.dates import format_date, format_skeleton

    parts = [int(p) for p in date.split("-")] if date else []
    if len(parts) < 2:
        return date
    locale = lang.replace("-", "_")
    try:
        day = Date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
        text = format_date(day, "long", locale=locale) if len(parts) == 3 else format_skeleton("yMMMM", day, locale=locale)
    except (UnknownLocaleError, ValueError):
        return date
    return text.translate(MISSING_IN_FONTS)
