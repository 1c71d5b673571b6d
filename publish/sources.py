"""Find pamphlet sources; split and validate their YAML front matter."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote

import yaml

from .errors import Diagnostic, PublishError, fail

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A translation's file name ends in its language, lower-cased: source/<slug>.<lang>.md, source/<slug>/index.<lang>.md.
EDITION = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
# The words of the file names publish writes (render/__init__.py FORMATS, proof.py), each with one: never a language.
OUTPUT_WORDS = {"press": "{}.press.pdf", "booklet": "{}.booklet.pdf", "leaflet": "{}.leaflet.pdf", "proof": "{}.proof.png", "pdf": "{}.pdf",
                "epub": "{}.epub", "html": "{}.html", "png": "{}.proof.png", "json": "manifest.json"}
NOT_LANGUAGES = frozenset(OUTPUT_WORDS) | {"md"}  # a.md.md is a slip, not a text in a language "md"
DATE = re.compile(r"^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class _Loader(yaml.SafeLoader):
    """Safe YAML as people write front matter: 'on', 'yes' and 'no' stay words, dates stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML integer; one too long for Python's int (over 4,300 digits) is a YAML error at its own line."""
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        digits = sum(c.isdigit() for c in node.value)
        what = f"a number of {digits:,} digits is longer than a number may be" if digits > 1000 else \
            f"{node.value[:40]!r} is not a number"
        raise yaml.constructor.ConstructorError(None, None, f"{what}: put it in quotes to have it as text",
                                                node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _int)


@dataclass(frozen=True)
class Meta:
    """Front matter, validated; list-valued keys are tuples."""

    title: str
    author: tuple[str, ...]
    subtitle: str = ""
    translator: tuple[str, ...] = ()
    date: str = ""
    lang: str = "en"
    publisher: str = ""
    source_url: str = ""
    summary: str = ""
    image: str = ""
    image_alt: str = ""
    caption: str = ""
    photo_credit: str = ""
    cover: str = ""
    license: str = ""
    identifier: str = ""
    keywords: tuple[str, ...] = ()
    section_breaks: str = "auto"  # print: "page" starts each section on a new page, "none" runs them on


SECTION_BREAKS = ("auto", "page", "none")
LIST_KEYS = {"author", "translator", "keywords"}
# The image formats every edition can carry (EPUB 3 core media types), by file suffix.
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml"}
FILE_KEYS = ("image", "cover")
ALLOWED = tuple(f.name for f in fields(Meta))
REQUIRED = ("title", "author")


@dataclass(frozen=True)
class Source:
    """One pamphlet: where it lives, its metadata and its Markdown body."""

    path: Path
    display: str
    slug: str
    meta: Meta
    body: str
    body_line: int
    key_lines: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def folder(self) -> Path:
        """The folder its images are looked up in."""
        return self.path.parent


def discover(paths: list[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """Expand PATH arguments into source files, sorted; also the paths that do not exist, and the files found
    in a folder that are symbolic links out of it (never read: a pull request could link to any file)."""
    found: list[Path] = []
    missing: list[Path] = []
    escaped: list[Path] = []
    for path in paths:
        try:
            if path.is_file():
                found.append(path)
            elif (path / "index.md").is_file():
                found.append(path / "index.md")
                for file in sorted(path.glob("index.*.md")):  # its translations
                    (found if file.resolve().is_relative_to(path.resolve()) else escaped).append(file)
            elif path.is_dir():
                for file in sorted(path.glob("*.md")) + sorted(path.glob("*/index.md")) + sorted(path.glob("*/index.*.md")):
                    (found if file.resolve().is_relative_to(path.resolve()) else escaped).append(file)
            else:
                missing.append(path)
        except OSError:  # a name longer than the file system allows: it cannot be there
            missing.append(path)
    unique = sorted(dict.fromkeys(p.resolve() for p in found), key=str)
    return unique, missing, escaped


def slug_of(path: Path) -> str:
    """The name a source's files take: source/<slug>.md or source/<slug>/index.md -> <slug>, and a translation's
    source/<slug>.<lang>.md or source/<slug>/index.<lang>.md -> <slug>.<lang>."""
    if path.name == "index.md" or (path.name.startswith("index.") and path.suffix == ".md"):
        return path.parent.name + path.name[len("index"):-len(".md")]
    return path.stem


def edition_of(name: str) -> str:
    """The language a valid name (see name_problem) ends in, "" for an original: 'a.pt-br' -> 'pt-br'."""
    return name.partition(".")[2]


def name_problem(name: str, path: Path | None = None) -> str | None:
    """Why `name` (slug_of) cannot name a source's files, with one that can; None when it can."""
    slug, dot, lang = name.partition(".")
    if SLUG.match(slug) and (not dot or (EDITION.match(lang) and lang not in NOT_LANGUAGES)):
        return None
    if dot and SLUG.match(slug) and lang.lower() in OUTPUT_WORDS:
        example = OUTPUT_WORDS[lang.lower()].format(slug)
        why = (f"{lang!r} is not a language but a word of the file names publish writes (such as {example}); a dot "
               f"in the name comes only before a translation's language, as in {slug}.es.md")
    elif dot and SLUG.match(slug) and EDITION.match(lang.lower()) and lang.lower() not in NOT_LANGUAGES:
        why = f"the language after the dot is written in lower case, as in {slug}.{lang.lower()}"
    elif dot and SLUG.match(slug):
        why = f"{lang!r} is not a language tag; a dot in the name comes only before a translation's language, as in {slug}.es.md"
    else:
        why = "a slug is lower-case letters, digits and single hyphens, then .<lang> for a translation"
    suggested = _suggested(name)
    if suggested and path is not None:
        folder = path.name != f"{name}.md"
        lang = edition_of(suggested)
        rename = f"{suggested.partition('.')[0]}/index{'.' + lang if lang else ''}.md" if folder else f"{suggested}.md"
        return f"name {name!r} is not a slug: {why}; rename it {rename}"
    return f"name {name!r} is not a slug: {why}" + (f"; call it {suggested!r}" if suggested else "")


def _suggested(name: str) -> str:
    """A valid name close to `name`: python-slugify's, keeping a language after the dot (My_Text.ES -> my-text.es)."""
    from slugify import slugify

    head, dot, tail = name.rpartition(".")
    if dot and EDITION.match(tail.lower()) and tail.lower() not in NOT_LANGUAGES and slugify(head):
        return f"{slugify(head)}.{tail.lower()}"
    return slugify(name)


def load(path: Path, display: str | None = None) -> Source:
    """Read and validate one source; raise PublishError with every problem found."""
    display = display or str(path)
    path = path.resolve()
    try:
        text = read_text(path, display)
    except FileNotFoundError:
        raise fail(display, "P106", "no such source file") from None
    except OSError as exc:  # no permission, a name too long for the file system
        raise fail(display, "P106", f"cannot read the source: {exc.strerror or exc}") from None
    slug = slug_of(path)
    problem = name_problem(slug, path)
    if problem:
        raise fail(display, "P108", problem)
    header, body, body_line = _split(text, display)
    data, lines = _parse_yaml(header, display)
    meta = _validate(data, lines, display, path.parent)
    _edition_agrees(slug, meta, lines, display)
    return Source(path, display, slug, meta, body, body_line, lines)


def _edition_agrees(name: str, meta: Meta, lines: dict, display: str) -> None:
    """A translation's file name and its front matter name one language (a.es.md: lang es, or es-MX)."""
    lang = edition_of(name)
    if not lang or meta.lang.lower() == lang or meta.lang.lower().startswith(lang + "-"):
        return
    said = f"lang is {meta.lang!r}" if "lang" in lines else f"has no lang, so it is {meta.lang!r}"
    raise fail(display, "P114", f"the file name {Path(display).name} says the text is in {lang!r} but its front matter {said}: "
               f"set lang: {lang}, or rename the file", *lines.get("lang", (1, 1)))


def split_front_matter(text: str, display: str) -> dict:
    """The front matter of a source's text as YAML gives it, unchecked; PublishError when it cannot be read."""
    return _parse_yaml(_split(text, display)[0], display)[0]


def read_text(path: Path, display: str) -> str:
    """The file as UTF-8 text with LF line ends (CRLF and CR become LF, so they build the same bytes)."""
    if path.exists() and not path.is_file():  # a FIFO would block the build; a folder or device is no text either
        raise fail(display, "P150", "refused to read it: not a regular file (a folder, FIFO or device); a source is a "
                   "Markdown file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = data.count(b"\n", 0, exc.start) + 1, exc.start - data.rfind(b"\n", 0, exc.start)
        raise fail(display, "P107", f"not UTF-8 text: byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded; "
                   "save the file as UTF-8", line, col) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str, display: str) -> tuple[str, str, int]:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise fail(display, "P100", "missing front matter: the file must start with a line '---'")
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() in ("---", "..."):
            return "".join(lines[1 : number - 1]), "".join(lines[number:]), number + 1
    raise fail(display, "P100", "front matter is not closed by a line '---'")


def _parse_yaml(header: str, display: str) -> tuple[dict, dict[str, int]]:
    """Safe-load the front matter and remember the line of each key (offset by the '---' line)."""
    try:
        node = yaml.compose(header, Loader=_Loader)
        data = yaml.load(header, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:  # a !!python/… tag too: the safe loader knows no constructor for it
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 2, mark.column + 1) if mark else (2, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(display, "P101", f"invalid YAML: {problem}{_yaml_hint(header, mark, problem)}", line, col) from None
    except (ValueError, RecursionError) as exc:  # [[[[…]]]] thousands deep: the line where the brackets pile up
        rows = header.splitlines() or [""]
        line = max(range(len(rows)), key=lambda n: rows[n].count("[") + rows[n].count("{")) + 2
        raise fail(display, "P101", f"invalid YAML: {type(exc).__name__}: {str(exc)[:200]}", line, 1) from None
    if data is None:
        data, node = {}, None
    if not isinstance(data, dict):
        raise fail(display, "P101", "front matter must be a mapping of keys to values", 2, 1)
    lines: dict[str, tuple[int, int]] = {}
    for key_node, _ in node.value if node is not None else ():
        where = (key_node.start_mark.line + 2, key_node.start_mark.column + 1)
        if str(key_node.value) in lines:
            raise fail(display, "P109", f"key {key_node.value!r} is given twice (first on line {lines[str(key_node.value)][0]})", *where)
        lines[str(key_node.value)] = where
    return data, lines


def _yaml_hint(header: str, mark, problem: str) -> str:
    """What to do about the YAML mistakes people make: a colon and a space inside an unquoted value."""
    if mark is None or problem != "mapping values are not allowed here":
        return ""
    text = header.splitlines()[mark.line] if mark.line < len(header.splitlines()) else ""
    key, _, value = text.partition(":")
    if not value.strip():
        return ""
    quoted = value.strip().replace("\\", "\\\\").replace('"', '\\"')
    return f' (a value that holds ": " must be in quotes: {key.strip()}: "{quoted}")'


def _validate(data: dict, lines: dict, display: str, folder: Path) -> Meta:
    problems: list[Diagnostic] = []

    def problem(key: str, code: str, message: str) -> None:
        line, col = lines.get(key, (1, 1))
        problems.append(Diagnostic(display, line, col, code, message))

    values: dict[str, object] = {}
    for key, value in data.items():
        key = str(key)
        if key not in ALLOWED:
            close = difflib.get_close_matches(key.lower(), ALLOWED, n=1, cutoff=0.75)
            guess = f": did you mean {close[0]!r}?" if close else ""
            problem(key, "P102", f"unknown key {key!r}{guess} (allowed: {', '.join(ALLOWED)})")
            continue
        try:
            values[key] = _coerce(key, value, folder)
        except ValueError as exc:
            problem(key, "P104", f"{key}: {exc}")
    for key in REQUIRED:
        if key not in data:
            problems.append(Diagnostic(display, 1, 1, "P103", f"missing required key {key!r}"))
    if problems:
        raise PublishError(sorted(problems))
    return Meta(**values)


def _coerce(key: str, value: object, folder: Path) -> object:
    """Turn one YAML value into the Meta field type, or raise ValueError saying why."""
    if key in LIST_KEYS:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, str) and i.strip() for i in items):
            raise ValueError("expected a non-empty string or a list of strings")
        for item in items:
            _printable(item)
        return tuple(i.strip() for i in items)
    if key == "date":
        text = str(value) if isinstance(value, (str, int)) else repr(type(value).__name__)
        if isinstance(value, bool) or not DATE.match(text):
            raise ValueError(f"{text if len(text) <= 40 else text[:37] + '...'!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if text.startswith("0000"):  # no such year in the calendars PDF, EPUB and Python date: 1 BC is followed by AD 1
            raise ValueError(f"{text!r}: there is no year 0000; years run from 0001 to 9999")
        if not _real_day(text):
            raise ValueError(f"{text!r} is not a day of the calendar")
        return text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # title: 1984
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    value = _printable(value.strip())
    if key == "lang" and not LANG.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag such as en, es, ru or kk")
    if key == "section_breaks" and value not in SECTION_BREAKS:
        raise ValueError(f"{value!r} is not one of {', '.join(SECTION_BREAKS)}")
    if key == "source_url" and not re.match(r"^https?://[^\s<>\"]+$", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    if key in FILE_KEYS:
        check_image(value, folder)
    return value


def _printable(text: str) -> str:
    """A control character (a backspace pasted from a word processor) cannot be set in XHTML or a PDF: say which."""
    bad = NOT_XML_CHAR.search(text)
    if bad:
        raise ValueError(f"contains the control character U+{ord(bad.group()):04X}, which no edition can show")
    return text


def _real_day(text: str) -> bool:
    try:
        return len(text) < 10 or bool(dt.date.fromisoformat(text))
    except ValueError:
        return False


def check_image(reference: str, folder: Path) -> Path:
    """check_local_file, for a file that must be an image every edition can carry."""
    from .images import check_image_file

    path = check_local_file(reference, folder)
    if path.suffix.lower() not in IMAGE_TYPES:
        raise ValueError(f"{reference!r} is not an image ({', '.join(sorted(IMAGE_TYPES))})")
    try:
        check_image_file(path)
    except ValueError as exc:
        raise ValueError(f"{reference!r} {exc}") from None
    return path


def check_local_file(reference: str, folder: Path) -> Path:
    """Resolve a relative file reference inside `folder`; refuse anything outside it or missing."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", reference) or reference.startswith(("/", "\\")):
        raise ValueError(f"{reference!r} must be a path relative to the source file")
    if "\0" in unquote(reference):
        raise ValueError(f"{reference!r} holds a NUL character, which no file name can")
    try:
        target = (folder / unquote(reference)).resolve()  # a Markdown link may write a space as %20
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"{reference!r} points outside the source's folder")
        if target.exists() and not target.is_file():
            raise ValueError(f"{reference!r} is not a regular file")
        if not target.is_file():
            raise ValueError(f"file {reference!r} not found")
    except OSError as exc:  # a name longer than the file system allows (ENAMETOOLONG), a loop of links
        raise ValueError(f"{reference!r} cannot be looked up: {exc.strerror or exc}") from None
    return target
