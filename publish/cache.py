"""The build cache: each source's files and diagnostics from its last successful build, kept in the user's cache
folder (see `location`), so that a rebuild of an unchanged source renders nothing (and imports no WeasyPrint).
It lives outside the project so that no repository can bring entries of its own: a cached file is published as built.

An entry is found by a key made of everything that can change the files: the tool (its version and its own code),
the libraries that render, the project's settings, styles, fonts and templates, the formats asked for,
SOURCE_DATE_EPOCH, the source's own bytes and the language editions of its text (translations.py). It is used only if the files the source drew in (its images, its
cover) still have the same contents and the pamphlets its links point to still exist or are still missing, and if
every stored file still has the sha256 it was stored with. An entry is written in a folder aside and renamed into
place, so an interrupted build leaves no half-written entry; the folder can be deleted at any time, and the folders
of projects that no longer exist are deleted by the next build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__
from .config import Config
from .errors import Diagnostic

# What lays out, draws and packs the files: a new version of any may change their bytes.
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "pyphen", "fonttools", "uharfbuzz",
             "ebooklib", "markdown", "jinja2", "pyyaml", "pypdf", "pypdfium2", "pillow", "lxml", "nh3", "segno", "babel",
             "python-slugify")
PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Inputs:
    """What one build of a source drew on besides its own text: files by content, pamphlets by whether they exist,
    and the source's modification time when it dates the editions (no SOURCE_DATE_EPOCH, no date in the front matter)."""

    files: tuple[Path, ...] = ()
    probed: tuple[Path, ...] = ()
    dated_by: Path | None = None

    def fingerprint(self) -> dict[str, str]:
        """Each input's state now: "sha256:…" for a file read, "exists" or "missing" for a pamphlet probed, "mtime:…"."""
        found = {str(path): "sha256:" + _file_digest(path) for path in self.files}
        found.update({str(path): _presence(path) for path in self.probed})
        if self.dated_by:
            found[f"{self.dated_by}\0mtime"] = _mtime(self.dated_by)
        return found


@dataclass(frozen=True)
class Hit:
    """A source's files and diagnostics as its last build left them."""

    lang: str
    outputs: tuple  # render.Output
    diagnostics: tuple[Diagnostic, ...]


class Cache:
    """Lookups and stores for one build: `formats` of sources in the project of `config`; with `read` false (--force)
    nothing is looked up, and what is rendered replaces what was kept."""

    def __init__(self, config: Config, formats: tuple[str, ...], read: bool = True) -> None:
        from importlib import metadata

        self.folder, self.root, self.formats, self.read = location(config.root), config.root, formats, read
        _forget_projects_gone(self.folder.parent)
        digest = hashlib.sha256(repr((__version__, formats, config.epoch)).encode())
        for library in LIBRARIES:
            try:
                digest.update(f"{library} {metadata.version(library)}\n".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{library} -\n".encode())
        for path in [config.root / "pyproject.toml", *([config.press_icc] if config.press_icc else []),
                     *_files(PACKAGE, *config.dirs("styles"), *config.dirs("fonts"), *config.dirs("templates"))]:
            digest.update(f"{path}\0{_file_digest(path)}\n".encode())
        self.common = digest.hexdigest()

    def key(self, source: bytes, display: str, editions: str = "") -> str:
        """The entry's name: which source, under which settings (so that a source's older versions can be told
        apart and dropped), and its text with the language editions of it that exist (each names and links the
        others: a translation added, gone or in another language changes the files)."""
        text = hashlib.sha256(f"{self.common}\0{display}\0{editions}\0".encode() + source).hexdigest()
        return f"{hashlib.sha256(display.encode()).hexdigest()[:16]}-{self.common[:16]}-{text[:32]}"

    def get(self, key: str) -> Hit | None:
        """The entry stored under `key`, if its inputs are unchanged and its files intact."""
        from .render import Output

        if not self.read:
            return None
        entry = self.folder / key
        try:
            record = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
            if any(_state(name, was) != was for name, was in record["inputs"].items()):
                return None
            if [item["format"] for item in record["outputs"]] != list(self.formats):
                return None
            outputs = []
            for item in record["outputs"]:
                if Path(item["filename"]).name != item["filename"] or item["filename"].startswith("."):
                    return None  # never a path: the name is written into --out
                data = (entry / item["filename"]).read_bytes()
                if hashlib.sha256(data).hexdigest() != item["sha256"]:
                    return None
                outputs.append(Output(item["format"], item["filename"], data, item["pages"]))
            diagnostics = tuple(Diagnostic(**d) for d in record["diagnostics"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Hit(record["lang"], tuple(outputs), diagnostics)

    def put(self, key: str, inputs: dict[str, str], lang: str, outputs: tuple, diagnostics: tuple[Diagnostic, ...]) -> None:
        """Store one source's build; a cache that cannot be written (a read-only project) is only not used."""
        record = {"lang": lang, "inputs": inputs, "diagnostics": [asdict(d) for d in diagnostics],
                  "outputs": [{"format": o.format, "filename": o.filename, "pages": o.pages,
                               "sha256": hashlib.sha256(o.data).hexdigest()} for o in outputs]}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "project").write_text(str(self.root), encoding="utf-8")
            aside = Path(tempfile.mkdtemp(prefix=".part-", dir=self.folder))
            try:
                for output in outputs:
                    (aside / output.filename).write_bytes(output.data)
                (aside / "entry.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
                target, stale = self.folder / key, None
                if target.exists():  # the same text drawing on changed inputs: its old entry goes
                    stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=self.folder))
                    target.rename(stale / key)
                os.replace(aside, target)
                if stale:
                    shutil.rmtree(stale, ignore_errors=True)
                for older in self.folder.glob(key.rsplit("-", 1)[0] + "-*"):  # the source's earlier texts
                    if older.name != key:
                        shutil.rmtree(older, ignore_errors=True)
            except OSError:
                shutil.rmtree(aside, ignore_errors=True)
        except OSError:
            pass


def location(root: Path) -> Path:
    """The cache of the project at `root`: a folder named after it in $PUBLISH_CACHE, or else in the user's cache
    folder ($XDG_CACHE_HOME, or ~/.cache) under publish/."""
    base = os.environ.get("PUBLISH_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "publish"
    return Path(base) / hashlib.sha256(str(root).encode()).hexdigest()[:16]


def _forget_projects_gone(base: Path) -> None:
    """Delete the caches of projects whose folder is gone (a CI checkout, a test's temporary folder)."""
    try:
        for folder in base.iterdir():
            try:
                gone = not Path((folder / "project").read_text(encoding="utf-8")).is_dir()
            except OSError:
                continue  # being written, or not one of ours
            if gone:
                shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass


def _files(*folders: Path) -> list[Path]:
    """Every file under `folders`, in a stable order."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return found


def _state(name: str, recorded: str) -> str:
    """An input as it is now, in the terms it was recorded in (Inputs.fingerprint)."""
    path = Path(name.removesuffix("\0mtime"))
    if recorded.startswith("mtime:"):
        return _mtime(path)
    return "sha256:" + _file_digest(path) if recorded.startswith("sha256:") else _presence(path)


def _presence(path: Path) -> str:
    return "exists" if path.is_file() else "missing"


def _mtime(path: Path) -> str:
    try:
        return f"mtime:{int(path.stat().st_mtime)}"  # in whole seconds, as editions.modified reads it
    except OSError:
        return "missing"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"
