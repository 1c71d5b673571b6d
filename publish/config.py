"""Project settings: where styles, fonts and templates come from."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import PublishError, fail

PACKAGE_DIR = Path(__file__).resolve().parent


SETTINGS = ("styles", "fonts", "templates", "press_icc", "signature", "paper_thickness", "raw_html", "theme",
            "allowed_hosts", "render_timeout", "render_memory", "base_url", "formats")
RAW_HTML = ("sanitise", "trusted")  # what happens to HTML written in a pamphlet's Markdown
MAX_TIMEOUT = 86_400  # render_timeout: a day; a render longer than that has hung
MAX_MEMORY = 1_048_576  # render_memory: a terabyte, in MB
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: later dates cannot be written in a PDF or an EPUB


def _default_dir(name: str) -> Path:
    """The shipped default folder: inside the wheel, or at the top of a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


@dataclass(frozen=True)
class Config:
    """Settings for one project; a project's own files shadow the defaults."""

    root: Path
    search: tuple[tuple[str, tuple[Path, ...]], ...]
    epoch: int | None = None  # SOURCE_DATE_EPOCH: the one clock reproducible outputs may read
    press_icc: Path | None = None  # CMYK output profile: the press PDF becomes PDF/X-4
    signature: int | str | None = None  # booklet: pages per signature, or a range such as "16-40"
    paper_thickness: float = 0.1  # booklet creep compensation, mm per sheet (80 g/m² paper)
    raw_html: str = "sanitise"  # "trusted": raw HTML in the text is kept as written, scripts included
    theme: str = ""  # styles/themes/<theme>.css, laid over the design tokens
    allowed_hosts: frozenset[str] = frozenset()  # hosts (or host:port) WeasyPrint may download from; none by default
    render_timeout: float = 300.0  # seconds one source may take to render in every format
    render_memory: int = 3072  # MB of address space one source's render may add
    base_url: str = ""  # where the web editions are published: the PDF and EPUB link other pamphlets there
    formats: tuple[str, ...] = ()  # what `publish build` makes without --format (render.DEFAULT_FORMATS when empty)

    def find(self, kind: str, name: str) -> Path:
        """The first `kind/name` (styles, fonts, templates) in the project, then the defaults."""
        for directory in self.dirs(kind):
            candidate = directory / name
            if candidate.is_file():
                if not candidate.resolve().is_relative_to(directory.resolve()):  # a link out of the project
                    raise fail(f"{kind}/{name}", "P150", f"refused to read {kind}/{name}: a symbolic link to a file outside the project")
                return candidate
        raise fail(f"{kind}/{name}", "P130", f"no {kind} file named {name!r} in the project or the defaults")

    def dirs(self, kind: str) -> tuple[Path, ...]:
        """Search folders for `kind`, project first."""
        return dict(self.search)[kind]


def load_config(root: Path | str = ".") -> Config:
    """Read the project at `root`: its own styles/fonts/templates, then the packaged ones."""
    root = Path(root).resolve()
    pyproject = root / "pyproject.toml"
    settings, lines = _tool_settings(pyproject)
    bad = _Problem(pyproject, lines)
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise bad(unknown[0], f"unknown [tool.publish] setting {unknown[0]!r} (allowed: {', '.join(SETTINGS)})", "P131")
    search = []
    for kind in ("styles", "fonts", "templates"):
        own = _folder(root, kind, settings.get(kind, kind), bad) if kind in settings else root / kind
        default = _default_dir(kind)
        dirs = (own, default) if own.is_dir() and own.resolve() != default.resolve() else (default,)
        search.append((kind, dirs))
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch and not (re.fullmatch(r"[0-9]{1,12}", epoch) and int(epoch) <= MAX_EPOCH):
        raise fail("SOURCE_DATE_EPOCH", "P132", f"{epoch[:40]!r} is not a number of seconds since 1970 (up to the year 9999)")
    config = Config(
        root=root,
        search=tuple(search),
        epoch=int(epoch) if epoch else None,
        press_icc=_icc(root, settings.get("press_icc"), bad),
        signature=_signature(settings.get("signature"), bad),
        paper_thickness=_thickness(settings.get("paper_thickness", 0.1), bad),
        raw_html=_raw_html(settings.get("raw_html", "sanitise"), bad),
        theme=_theme(settings.get("theme", ""), bad),
        allowed_hosts=_hosts(settings.get("allowed_hosts", []), bad),
        render_timeout=_number(settings, "render_timeout", 300.0, MAX_TIMEOUT, bad, "seconds"),
        render_memory=int(_number(settings, "render_memory", 3072, MAX_MEMORY, bad, "MB")),
        base_url=_base_url(settings.get("base_url", ""), bad),
        formats=_formats(settings.get("formats"), bad),
    )
    _check_theme(config, bad)
    return config


@dataclass(frozen=True)
class _Problem:
    """Makes the PublishError for a bad setting, pointing at the line of pyproject.toml that sets it."""

    pyproject: Path
    lines: dict[str, int]

    def __call__(self, key: str, message: str, code: str = "P133") -> PublishError:
        line = self.lines.get(f"tool.publish.{key}") or self.lines.get("tool.publish") or self.lines.get("tool") or 1
        return fail(str(self.pyproject), code, message, line)


def _folder(root: Path, kind: str, value: object, bad: _Problem) -> Path:
    """The project's own styles, fonts or templates folder named by the setting: a folder inside the project."""
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise bad(kind, f"{kind}: {_shown(value)} is not the name of a folder in the project, such as \"{kind}\"")
    try:
        folder = (root / value).resolve()
        inside, there = folder.is_relative_to(root), folder.is_dir()
    except OSError as exc:  # a name longer than the file system allows
        raise bad(kind, f"{kind}: {_shown(value)} cannot be looked up: {exc.strerror or exc}") from None
    if not inside:
        raise bad(kind, f"{kind}: {_shown(value)} is outside the project: name a folder inside it")
    if not there:
        raise bad(kind, f"{kind}: there is no folder {_shown(value)} in the project")
    return folder


def _shown(value: object) -> str:
    """A setting's value as the message quotes it: a very long one cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_theme(config: Config, bad: _Problem) -> None:
    if not config.theme:
        return
    found = sorted({p.stem for d in config.dirs("styles") for p in (d / "themes").glob("*.css")})
    if config.theme not in found:
        raise bad("theme", f"theme: no styles/themes/{config.theme}.css (themes: {', '.join(found) or 'none'})")


def _theme(value: object, bad: _Problem) -> str:
    if isinstance(value, str):  # _check_theme looks it up among the themes' file names
        return value
    raise bad("theme", f"theme: {_shown(value)} is not the name of a theme, such as \"photocopy\"")


def _icc(root: Path, value: object, bad: _Problem) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise bad("press_icc", f"press_icc: {_shown(value)} is not the path of an ICC profile")
    try:
        path = (root / value).resolve()
        found = path.is_file()
    except OSError as exc:
        raise bad("press_icc", f"press_icc: {_shown(value)} cannot be looked up: {exc.strerror or exc}") from None
    if not found:
        raise bad("press_icc", f"press_icc: no ICC profile at {_shown(value)}")
    return path


def _signature(value: object, bad: _Problem) -> int | str | None:
    """Checked here, where the setting is read, with the parser the imposition itself uses."""
    from .impose import choose_signature

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise bad("signature", f"signature: {_shown(value)} is neither a page count nor a range such as \"16-40\"")
    try:
        choose_signature(1, value)
    except ValueError as exc:
        raise bad("signature", f"signature: {exc}") from None
    return value


def _thickness(value: object, bad: _Problem) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise bad("paper_thickness", f"paper_thickness: {_shown(value)} is not a thickness in mm between 0 and 1")


def _raw_html(value: object, bad: _Problem) -> str:
    if isinstance(value, str) and value in RAW_HTML:
        return value
    raise bad("raw_html", f"raw_html: {_shown(value)} is neither \"sanitise\" nor \"trusted\"")


def _hosts(value: object, bad: _Problem) -> frozenset[str]:
    if isinstance(value, list) and all(isinstance(h, str) and re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", h) for h in value):
        return frozenset(h.lower() for h in value)
    raise bad("allowed_hosts", f"allowed_hosts: {_shown(value)} is not a list of host names such as [\"example.org\"]")


def _base_url(value: object, bad: _Problem) -> str:
    if value == "" or (isinstance(value, str) and re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s?#]*)?", value)):
        return value
    raise bad("base_url", f"base_url: {_shown(value)} is not an http(s) address such as \"https://example.org/pamphlets/\"")


def _formats(value: object, bad: _Problem) -> tuple[str, ...]:
    """The default formats, named as --format names them."""
    from .render import DEFAULT_FORMATS, FORMATS

    if value is None:
        return DEFAULT_FORMATS
    if (isinstance(value, list) and value and all(isinstance(f, str) for f in value)
            and all(f in FORMATS for f in value)):
        return tuple(dict.fromkeys(value))
    raise bad("formats", f"formats: {_shown(value)} is not a list of formats such as "
              f"[\"pdf\", \"leaflet\"] (formats: {', '.join(FORMATS)})")


def _number(settings: dict, key: str, default: float, most: float, bad: _Problem, unit: str) -> float:
    """A budget: more than 0 and at most `most` (inf and nan are neither)."""
    value = settings.get(key, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= most:
        return float(value)
    raise bad(key, f"{key}: {_shown(value)} is not a number of {unit} more than 0 and at most {most:,}")


def _tool_settings(pyproject: Path) -> tuple[dict, dict[str, int]]:
    """[tool.publish] of pyproject.toml, and the line each of its settings is on."""
    if not pyproject.is_file():
        return {}, {}
    try:
        text = pyproject.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(str(pyproject), "P131", f"cannot read pyproject.toml: {exc}") from None
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # not TOML; a 5,000-digit number; [[[[…]]]] thousands deep
        raise _unreadable(pyproject, text, exc) from None
    lines = _key_lines(text)
    tool = data.get("tool", {})
    settings = tool.get("publish", {}) if isinstance(tool, dict) else None
    if not isinstance(settings, dict):  # tool = 5, or [tool] publish = 5
        where = "tool.publish" if isinstance(tool, dict) else "tool"
        raise fail(str(pyproject), "P131", f"{where} is not a table: write the settings under a line [tool.publish]",
                   lines.get(where, 1))
    return settings, lines


def _unreadable(pyproject: Path, text: str, exc: Exception) -> PublishError:
    """P131 for a pyproject.toml tomllib cannot read, at the line it names, or else the longest line."""
    rows = text.splitlines() or [""]
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if where:
        line, col = int(where[1]), int(where[2])
    elif "at end of document" in str(exc):
        line, col = len(rows), 1
    else:  # a number too long for Python's int, or nesting too deep for tomllib: both make the longest line
        line, col = max(range(len(rows)), key=lambda n: len(rows[n])) + 1, 1
    problem = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else \
        "it is nested too deeply" if isinstance(exc, RecursionError) else "a number is longer than 4,300 digits"
    return fail(str(pyproject), "P131", f"cannot read pyproject.toml: {problem[:200]}", line, col)


KEY_LINE = re.compile(r"""^\s*(\[\[?)?\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*(\]|=)""")


def _key_lines(text: str) -> dict[str, int]:
    """The first line of each table header and key of a TOML file, by dotted name (tool.publish.styles)."""
    # tomllib keeps no positions, and a message should point at the setting that is wrong.
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = KEY_LINE.match(line)
        if not match:
            continue
        name = ".".join(part.strip().strip("\"'") for part in re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", match[2]))
        if match[1]:  # [table] or [[array of tables]]
            table = name
            lines.setdefault(name, number)
        else:
            lines.setdefault(f"{table}.{name}" if table else name, number)
    return lines
