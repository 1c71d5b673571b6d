"""Write outputs into --out: each file complete or not at all, then the manifest, which describes every artifact
there: this run's, and earlier runs' with whether they are stale (their source changed or went since)."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from . import __version__
from .errors import Diagnostic, PublishError


@dataclass(frozen=True)
class Artifact:
    """One file of the run, as listed in manifest.json."""

    path: str
    format: str
    source: str
    lang: str
    bytes: int
    sha256: str
    pages: int | None = None
    source_sha256: str = ""  # the state of the source it was built from, as source_digest says ("" when unknown)
    stale: bool = False  # its source has changed (or gone) since it was built

    def as_dict(self) -> dict:
        entry = asdict(self)
        if self.pages is None:
            del entry["pages"]
        if not self.source_sha256:
            del entry["source_sha256"]
        slug = _artifact_name(self.path)[1]
        if slug:  # which text it is an edition of, read from its name (never from an entry read back)
            text, _, edition = slug.partition(".")
            entry["text"], entry["original"] = text, not edition
            if edition:
                entry["edition"] = edition
        return entry


@dataclass(frozen=True)
class Manifest:
    """What a build produced, and every problem it met."""

    artifacts: tuple[Artifact, ...]  # every artifact in the folder
    diagnostics: tuple[Diagnostic, ...] = ()
    failed: tuple[str, ...] = field(default=())
    written: tuple[str, ...] = ()  # the paths of those this build wrote

    @property
    def built(self) -> tuple[Artifact, ...]:
        return tuple(a for a in self.artifacts if a.path in self.written)

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict:
        return {"tool": "publish", "version": __version__, "artifacts": [a.as_dict() for a in self.artifacts]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, data: bytes) -> None:
    """Write aside in the same folder, then rename into place: readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_held():
        tmp = _write_aside(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def write_set(folder: Path, files: dict[str, bytes]) -> None:
    """Write every file aside first, then rename them all into place: a failure (a full disk) replaces none."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, str] = {}
    for name in files:  # a folder (or a FIFO) where a file goes would fail its rename after the others had been made
        target = folder / name
        if (target.exists() or target.is_symlink()) and not (target.is_file() or target.is_symlink()):
            raise IsADirectoryError(errno.EISDIR, f"{name} is in the way: not a file", str(target))
    with signals_held():
        try:
            for name, data in files.items():
                staged[name] = _write_aside(folder / name, data)
            for name, tmp in list(staged.items()):
                os.replace(tmp, folder / name)
                del staged[name]
        finally:  # only left when something failed
            for tmp in staged.values():
                Path(tmp).unlink(missing_ok=True)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while files are written and renamed (or a child is forked): they land after, never
    between a temporary file's creation and its rename or removal, so an interrupted build leaves neither litter
    nor half a set (nor an interrupt lost inside a fork handler)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def check_writable(folder: Path, shown: str) -> None:
    """Create `folder` and a file in it now, so a read-only or missing --out fails before any rendering (P160)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".publish-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise PublishError([Diagnostic(shown, 1, 1, "P160", f"cannot write to the output folder: {exc.strerror or exc}")]) from None


def _write_aside(path: Path, data: bytes) -> str:
    """A complete, synced temporary file next to `path` (same folder, so the rename is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def artifact_for(name: str, fmt: str, source: str, lang: str, data: bytes, pages: int | None, source_sha256: str) -> Artifact:
    """Describe written bytes for the manifest."""
    return Artifact(name, fmt, source, lang, len(data), hashlib.sha256(data).hexdigest(), pages, source_sha256)


def source_digest(data: bytes) -> str:
    """A source's state: the SHA-256 of its bytes as the build reads them, without a byte-order mark and with any
    line ending as \\n (so a checkout with Windows line endings gives the same manifest)."""
    return hashlib.sha256(data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


@contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """One build at a time reads, merges and writes the folder's manifest (builds into one folder may overlap)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def everything_in(folder: Path, shown: str, root: Path, fresh: list[Artifact]) -> tuple[tuple[Artifact, ...], tuple[Diagnostic, ...]]:
    """Every artifact in `folder`: this run's, then earlier runs' still there (from the manifest there, or found by
    name beside a source of the project), each older one marked stale when its source changed or went since it was
    built; and a warning naming each stale one."""
    found = {a.path: a for a in fresh}
    state = cache(lambda source: source_digest(source.read_bytes()))  # a source's five files: one read of it
    for entry in _listed(folder / "manifest.json"):
        name = str(entry.get("path", ""))
        if name not in found and _artifact_name(name)[0] and (folder / name).is_file():
            found[name] = _earlier(folder / name, entry, root, state)
    for path in sorted(folder.iterdir()):
        fmt, slug = _artifact_name(path.name)
        if fmt and path.name not in found and path.is_file():
            base, dot, lang = slug.partition(".")
            source = next((s for s in (Path("source") / f"{slug}.md", Path("source") / base / f"index{dot}{lang}.md")
                           if (root / s).is_file()), None)
            if source:  # a file of ours no manifest lists (one deleted, or a build of an older version)
                found[path.name] = _earlier(path, {"format": fmt, "source": source.as_posix()}, root, state)
    artifacts = _ordered(found.values())
    warnings = tuple(Diagnostic(f"{shown}/{a.path}", 1, 1, "P165", _why_stale(a, root), "warning") for a in artifacts if a.stale)
    return artifacts, warnings


def record(folder: Path, artifacts: list[Artifact]) -> None:
    """Put one source's files, just written, in the folder's manifest: a build interrupted after it leaves a
    manifest that describes them. The end of the build settles every entry (everything_in)."""
    written = {a.path for a in artifacts}
    with folder_locked(folder):
        earlier = (_as_artifact(entry) for entry in _listed(folder / "manifest.json"))
        kept = [a for a in earlier if a and a.path not in written and (folder / a.path).is_file()]
        write_atomic(folder / "manifest.json", Manifest(_ordered([*kept, *artifacts])).to_json().encode("utf-8"))


def _ordered(artifacts) -> tuple[Artifact, ...]:
    """By source, then in the order of the formats."""
    from .render import FORMATS

    order = list(FORMATS)
    return tuple(sorted(artifacts, key=lambda a: (a.source, order.index(a.format) if a.format in order else 99, a.path)))


def _as_artifact(entry: dict) -> Artifact | None:
    """A manifest entry as it stands, if it is one of ours."""
    fields = {name: entry.get(name) for name in Artifact.__dataclass_fields__ if name in entry}
    try:
        artifact = Artifact(**fields)
    except TypeError:  # a field missing
        return None
    texts = (artifact.path, artifact.format, artifact.source, artifact.lang, artifact.sha256, artifact.source_sha256)
    good = (all(isinstance(t, str) for t in texts) and _artifact_name(artifact.path)[0]
            and all(isinstance(n, int) and not isinstance(n, bool) for n in (artifact.bytes, artifact.pages or 0))
            and isinstance(artifact.stale, bool))
    return artifact if good else None


def _listed(manifest: Path) -> list[dict]:
    """The entries of an earlier manifest, or none when it is missing or not one."""
    try:
        artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts")
    except (OSError, ValueError, AttributeError, RecursionError):
        return []
    return [a for a in artifacts if isinstance(a, dict)] if isinstance(artifacts, list) else []


def _artifact_name(name: str) -> tuple[str, str]:
    """(format, slug) when `name` is <slug><suffix> of one of the formats, else ("", "")."""
    from .render import FORMATS
    from .sources import name_problem

    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
        slug = name[:-len(fmt.suffix)]
        if name.endswith(fmt.suffix) and slug and name_problem(slug) is None:
            return fmt.name, slug
    return "", ""


def _earlier(path: Path, entry: dict, root: Path, state) -> Artifact:
    """An artifact an earlier run wrote, as its manifest entry says when the file is still what the entry
    describes; stale when its source is gone or differs from the state it was built from (for an entry that does
    not say which state, when the source is newer than the file). `state(path)` is a source's source_digest."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    described = entry.get("sha256") == sha
    source = str(entry.get("source", ""))
    built_from = str(entry.get("source_sha256", "")) if described else ""
    source_path = _in_project(root, source)
    if not source_path:
        stale = True
    elif built_from:
        stale = state(source_path) != built_from
    else:
        stale = source_path.stat().st_mtime > path.stat().st_mtime
    pages = entry.get("pages") if described else _pages(data)
    return Artifact(path.name, str(entry.get("format", "")), source, str(entry.get("lang", "")), len(data), sha,
                    pages if isinstance(pages, int) and not isinstance(pages, bool) else None, built_from, stale)


def _in_project(root: Path, source: str) -> Path | None:
    """The source file a manifest entry names, if it is one inside the project (a manifest is not trusted)."""
    try:
        path = (root / source).resolve() if source else None
        return path if path and path.is_relative_to(root.resolve()) and path.is_file() else None
    except (OSError, ValueError):  # a name no file system holds (a NUL, longer than it allows): no source of ours
        return None


def _pages(data: bytes) -> int | None:
    if not data.startswith(b"%PDF"):
        return None
    from .pdfs import read

    try:
        return len(read(data).pages)
    except Exception:  # not a PDF pypdf can read: the manifest says nothing of its pages
        return None


def _why_stale(artifact: Artifact, root: Path) -> str:
    if not _in_project(root, artifact.source):
        return f"stale: its source {artifact.source or '(unknown)'} is gone; delete it, or restore the source and build"
    return (f"stale: built from an earlier state of {artifact.source}, not rebuilt by this build; "
            f"rebuild it with `publish build {artifact.source} --format {artifact.format}`")
