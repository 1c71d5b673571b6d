"""One record per language: its typography, its hyphenation, its name in itself and the labels the editions print.

Each record is a file here, `<tag>.toml` (README, Languages). A regional record (`pt-PT.toml`) may say
`based_on = "pt"` and give only what differs; a tag without a record of its own uses its base language's
(`de-AT` -> de), and a language without any record is set neutrally with English labels (`language()`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

NBSP = "\u00a0"
NOTE_CALLS = ("after punctuation", "as typed")  # English moves a note call after the full stop; the rest keep it
STRAIGHT = (('"', '"'), ("'", "'"))  # the neutral record's quotes: as typed


@dataclass(frozen=True)
class Labels:
    """The words the editions print around the text."""

    photo: str  # before the photo credit: "Photo:"
    translation: str  # before the translators: "Translation by"
    photo_note: str  # over a caption without its photo: "On the photograph in the original publication"
    first_published: str  # before the publisher in the colophon: "First published by"
    contents: str
    cover: str
    license: str  # before the licence: "Licence:"
    title_page: str
    colophon: str
    and_word: str  # between the last two names of a list: "A, B and C"
    pages: str  # the EPUB's list of print pages
    landmarks: str  # the EPUB's landmarks
    read_online: str  # under the QR code
    qr_code: str  # the QR code's title, before its address: "QR code"
    note: str  # a footnote's name to screen readers, before its number: "Note"
    also_in: str  # before the other languages the text is published in: "Also in:"
    translated_from: str  # a translation's credit, before the original's language (in itself): "Translated from"
    languages: str  # the web edition's language switch, as screen readers name it


@dataclass(frozen=True)
class Language:
    """Everything publish knows about one language."""

    tag: str  # BCP 47, as the file is named: "en", "pt-PT"
    endonym: str  # the language's name in itself, as a reader picks it from a list: "Español", "Қазақша"
    hyphenation: str  # pyphen's dictionary for it; "" for none: the text is set ragged-right (note P170)
    quotes: tuple[str, str]  # what "double quotes" become; straight ones are left as typed
    inner_quotes: tuple[str, str]  # quotes inside quotes, and 'single quotes'
    dash: tuple[str, str]  # a spaced hyphen opening an aside and closing it, with the spaces around each
    dialogue: str  # a paragraph opening with a dash and a space is dialogue: its dash becomes this ("": as typed)
    short_words: str  # letters that, as one-letter words, are bound to the next word by a no-break space
    space_before: str  # punctuation that takes a no-break space before it
    units: tuple[str, ...]  # words after a number that stay on its line (symbols such as km, %, € always do)
    note_call: str  # "after punctuation": a call typed before a full stop or comma moves after it; or "as typed"
    sample: str  # a first paragraph for `publish new`, typed with straight quotes and a spaced hyphen
    labels: Labels

    def __post_init__(self) -> None:
        for name in ("quotes", "inner_quotes", "dash"):
            pair = getattr(self, name)
            if len(pair) != 2 or not all(isinstance(s, str) and s for s in pair):
                raise ValueError(f"{self.tag}: {name} is a pair of non-empty strings, not {pair!r}")
        if self.note_call not in NOTE_CALLS:
            raise ValueError(f"{self.tag}: note_call is one of {', '.join(NOTE_CALLS)}, not {self.note_call!r}")

    @property
    def paired_dashes(self) -> bool:
        """Whether an aside's two dashes differ, so that they are told apart by counting (Spanish, French)."""
        return self.dash[0] != self.dash[1]

    @property
    def straight_quotes(self) -> bool:
        """Whether quotes are left as typed (the neutral record)."""
        return self.quotes == STRAIGHT[0]


FOLDER = Path(__file__).parent


def _load() -> dict[str, Language]:
    """Every record in FOLDER, keyed by its tag in lower case; a broken record fails loudly, naming its file."""
    raw, records = {}, {}
    for path in sorted(FOLDER.glob("*.toml")):
        try:
            raw[path.stem] = tomllib.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # TOMLDecodeError too
            raise ValueError(f"publish/languages/{path.name}: {exc}") from None
    for stem in raw:
        try:
            records[stem.lower()] = _record(stem, _merged(stem, raw))
        except (TypeError, ValueError, KeyError) as exc:  # a field missing or unknown, a based_on with no record
            raise ValueError(f"publish/languages/{stem}.toml: {exc}") from None
    return records


def _merged(stem: str, raw: dict[str, dict]) -> dict:
    """A record's data with what it takes from the record it is `based_on`, its labels key by key."""
    data = dict(raw[stem])
    base = data.pop("based_on", None)
    if base is None:
        return data
    parent = _merged(base, raw)
    return {**parent, **data, "labels": {**parent.get("labels", {}), **data.get("labels", {})}}


def _record(stem: str, data: dict) -> Language:
    if data.get("tag") != stem:
        raise ValueError(f"tag is {data.get('tag')!r}, but the file says {stem!r}")
    pairs = {name: tuple(data[name]) for name in ("quotes", "inner_quotes", "dash", "units") if name in data}
    return Language(**{**data, **pairs, "labels": Labels(**data.get("labels", {}))})  # TypeError: a field missing


RECORDS: dict[str, Language] = _load()


def find(tag: str) -> Language | None:
    """The record for a BCP 47 tag: its own, else that of the tag with its last subtags dropped (pt-BR -> pt)."""
    parts = tag.lower().split("-")
    for end in range(len(parts), 0, -1):
        record = RECORDS.get("-".join(parts[:end]))
        if record is not None:
            return record
    return None


def language(tag: str) -> Language:
    """The record for `tag`, or the neutral one (see `neutral`) when publish has none."""
    return find(tag) or neutral(tag)


@lru_cache(maxsize=32)
def neutral(tag: str) -> Language:
    """For a language without a record: quotes left as typed (apostrophes between letters become ’), a spaced
    hyphen an en dash, no rules of any one language, English labels, and pyphen's dictionary if it has one."""
    return replace(RECORDS["en"], tag=tag, endonym=name(tag, tag) or tag, hyphenation=_pyphen(tag),
                   quotes=STRAIGHT[0], inner_quotes=STRAIGHT[1], dash=(f"{NBSP}– ", f"{NBSP}– "), dialogue="",
                   short_words="", space_before="", units=(), note_call="as typed")


def name(tag: str, in_language: str = "en") -> str:
    """What CLDR (through Babel) calls the language of `tag` (without its region) in `in_language`, capitalised;
    "" if it does not know it: 'nl-BE' -> 'Dutch', or in 'nl' 'Nederlands'."""
    from babel import Locale, UnknownLocaleError

    try:
        found = Locale.parse(in_language, sep="-").languages.get(Locale.parse(tag, sep="-").language, "")
    except (UnknownLocaleError, ValueError):
        return ""
    return found[:1].upper() + found[1:]


def missing(tag: str) -> str:
    """What note P171 says of a tag without a record; "" when it has one."""
    if find(tag) is not None:
        return ""
    called = name(tag)
    base = tag.split("-")[0].lower()
    return (f"publish has no record for the language {tag!r}{f' ({called})' if called else ''}: it is set with neutral "
            f"typography (quotes as typed, a spaced hyphen as an en dash) and English labels; to add the language, "
            f"write publish/languages/{base}.toml (README, Languages)")


def hyphenates(tag: str) -> bool:
    """Whether text in `tag` is hyphenated; without a dictionary it is set ragged-right."""
    return bool(language(tag).hyphenation)


def _pyphen(tag: str) -> str:
    import pyphen

    return pyphen.language_fallback(tag.replace("-", "_")) or ""


def quotes_css() -> str:
    """The `quotes` of <q> in each language, as the text's own quotes are set: the neutral ones by default, then
    each record's (a base language before its regions, which follow it in the cascade)."""
    rules = [f"html {{ quotes: {_css_quotes(*STRAIGHT)}; }}"]
    for record in sorted(RECORDS.values(), key=lambda r: (r.tag.count("-"), r.tag)):
        rules.append(f"html:lang({record.tag}) {{ quotes: {_css_quotes(record.quotes, record.inner_quotes)}; }}")
    return "\n".join(rules) + "\n"


def _css_quotes(outer: tuple[str, str], inner: tuple[str, str]) -> str:
    return " ".join(_css_string(mark) for mark in outer + inner)


def _css_string(text: str) -> str:
    return '"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):x} " for c in text) + '"'


LABEL_KEYS = tuple(f.name for f in fields(Labels))
