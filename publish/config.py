"""Project settings: where styles, fonts and templates come from."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import fail

PACKAGE_DIR = Path(__file__).resolve().parent


SETTINGS = ("styles", "fonts", "templates", "press_icc", "signature", "paper_thickness", "raw_html", "theme",
            "allowed_hosts", "render_timeout", "render_memory", "base_url", "formats")
RAW_HTML = ("sanitise", "trusted")  # what happens to HTML written in a pamphlet's Markdown
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
    settings = _tool_settings(pyproject)
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise fail(str(pyproject), "P131", f"unknown [tool.publish] setting {unknown[0]!r} (allowed: {', '.join(SETTINGS)})")
    search = []
    for kind in ("styles", "fonts", "templates"):
        own = root / settings.get(kind, kind)
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
        press_icc=_icc(root, settings.get("press_icc"), pyproject),
        signature=_signature(settings.get("signature"), pyproject),
        paper_thickness=_thickness(settings.get("paper_thickness", 0.1), pyproject),
        raw_html=_raw_html(settings.get("raw_html", "sanitise"), pyproject),
        theme=str(settings.get("theme", "")),
        allowed_hosts=_hosts(settings.get("allowed_hosts", []), pyproject),
        render_timeout=_positive(settings, "render_timeout", 300.0, pyproject),
        render_memory=int(_positive(settings, "render_memory", 3072, pyproject)),
        base_url=_base_url(settings.get("base_url", ""), pyproject),
        formats=_formats(settings.get("formats"), pyproject),
    )
    _check_theme(config, pyproject)
    return config


def _check_theme(config: Config, pyproject: Path) -> None:
    if not config.theme:
        return
    found = sorted({p.stem for d in config.dirs("styles") for p in (d / "themes").glob("*.css")})
    if config.theme not in found:
        raise fail(str(pyproject), "P133", f"theme: no styles/themes/{config.theme}.css (themes: {', '.join(found) or 'none'})")


def _icc(root: Path, value: object, pyproject: Path) -> Path | None:
    if value is None:
        return None
    path = (root / str(value)).resolve()
    if not path.is_file():
        raise fail(str(pyproject), "P133", f"press_icc: no ICC profile at {value!r}")
    return path


def _signature(value: object, pyproject: Path) -> int | str | None:
    """Checked here, where the setting is read, with the parser the imposition itself uses."""
    from .impose import choose_signature

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise fail(str(pyproject), "P133", f"signature: {value!r} is neither a page count nor a range such as \"16-40\"")
    try:
        choose_signature(1, value)
    except ValueError as exc:
        raise fail(str(pyproject), "P133", f"signature: {exc}") from None
    return value


def _thickness(value: object, pyproject: Path) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise fail(str(pyproject), "P133", f"paper_thickness: {value!r} is not a thickness in mm between 0 and 1")


def _raw_html(value: object, pyproject: Path) -> str:
    if value in RAW_HTML:
        return value
    raise fail(str(pyproject), "P133", f"raw_html: {value!r} is neither \"sanitise\" nor \"trusted\"")


def _hosts(value: object, pyproject: Path) -> frozenset[str]:
    if isinstance(value, list) and all(isinstance(h, str) and re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", h) for h in value):
        return frozenset(h.lower() for h in value)
    raise fail(str(pyproject), "P133", f"allowed_hosts: {value!r} is not a list of host names such as [\"example.org\"]")


def _base_url(value: object, pyproject: Path) -> str:
    if value == "" or (isinstance(value, str) and re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s?#]*)?", value)):
        return value
    raise fail(str(pyproject), "P133", f"base_url: {value!r} is not an http(s) address such as \"https://example.org/pamphlets/\"")


def _formats(value: object, pyproject: Path) -> tuple[str, ...]:
    """The default formats, named as --format names them."""
    from .render import DEFAULT_FORMATS, FORMATS

    if value is None:
        return DEFAULT_FORMATS
    if (isinstance(value, list) and value and all(isinstance(f, str) for f in value)
            and all(f in FORMATS for f in value)):
        return tuple(dict.fromkeys(value))
    raise fail(str(pyproject), "P133", f"formats: {value!r} is not a list of formats such as "
               f"[\"pdf\", \"leaflet\"] (formats: {', '.join(FORMATS)})")


def _positive(settings: dict, key: str, default: float, pyproject: Path) -> float:
    value = settings.get(key, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise fail(str(pyproject), "P133", f"{key}: {value!r} is not a positive number")


def _tool_settings(pyproject: Path) -> dict:
    if not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(str(pyproject), "P131", f"cannot read pyproject.toml: {exc}") from None
    return data.get("tool", {}).get("publish", {})
