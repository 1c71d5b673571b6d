"""Write outputs into --out: each file complete or not at all, then the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .errors import Diagnostic


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def artifact_for(name: str, fmt: str, source: str, lang: str, data: bytes, pages: int | None) -> Artifact:
    """Describe written bytes for the manifest."""
    return Artifact(name, fmt, source, lang, len(data), hashlib.sha256(data).hexdigest(), pages)
