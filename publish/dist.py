"""Write outputs into --out: each file complete or not at all, then the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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

    def as_dict(self) -> dict:
        entry = asdict(self)
        if self.pages is None:
            del entry["pages"]
        return entry


@dataclass(frozen=True)
class Manifest:
    """What a build produced, and every problem it met."""

    artifacts: tuple[Artifact, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    failed: tuple[str, ...] = field(default=())

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


def artifact_for(name: str, fmt: str, source: str, lang: str, data: bytes, pages: int | None) -> Artifact:
    """Describe written bytes for the manifest."""
    return Artifact(name, fmt, source, lang, len(data), hashlib.sha256(data).hexdigest(), pages)
