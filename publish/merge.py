"""`publish merge`: join the output folders of a sharded build (`--shard K/N`) into one, as an unsharded build
would have written it: every artifact copied whole, one manifest listing them all in the build's order."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .dist import Artifact, Manifest, _as_artifact, _ordered, check_writable, signals_held, write_atomic
from .errors import Diagnostic, PublishError


@dataclass(frozen=True)
class Listed:
    """An artifact as one shard's manifest lists it, and where that shard keeps it."""

    artifact: Artifact
    folder: Path
    shown: str  # the folder as the user named it


def merge(folders: Iterable[str | Path], out: str | Path) -> Manifest:
    """Copy every artifact the manifests of `folders` list into `out` and write one manifest of them all; raises
    PublishError, writing nothing, when a folder has no manifest (P350), a listed file is missing or is not what its
    entry says (P351), or two folders hold different files of one name (P352)."""
    out_dir, shown_out = Path(out), str(out)
    inputs = [(Path(f), str(f)) for f in folders]
    if (out_dir / "manifest.json").is_file() and all(not _same(out_dir, f) for f, _ in inputs):
        inputs.append((out_dir, shown_out))  # what --out holds already is one more shard, kept under the same rules
    chosen: dict[str, Listed] = {}
    problems: list[Diagnostic] = []
    for folder, shown in inputs:
        listed, bad = _read_manifest(folder, shown)
        problems += bad
        for item in listed:
            first = chosen.get(item.artifact.path)
            if first is None or (first.artifact.sha256 == item.artifact.sha256 and first.artifact.stale and not item.artifact.stale):
                chosen[item.artifact.path] = item
            elif first.artifact.sha256 != item.artifact.sha256:
                problems.append(Diagnostic(f"{shown}/{item.artifact.path}", 1, 1, "P352",
                                           f"differs from {first.shown}/{first.artifact.path}: two shards built one file "
                                           "differently (from different sources or settings); build them again from one commit"))
    if problems:
        raise PublishError(problems)
    made = not out_dir.exists()
    check_writable(out_dir, shown_out)
    try:
        _copy_all(out_dir, list(chosen.values()))
    except PublishError:
        if made:  # a refused merge leaves no trace, not even the folder it would have made
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    manifest = Manifest(_ordered(item.artifact for item in chosen.values()), written=tuple(chosen))
    try:
        write_atomic(out_dir / "manifest.json", manifest.to_json().encode("utf-8"))
    except OSError as exc:
        raise PublishError([Diagnostic(f"{shown_out}/manifest.json", 1, 1, "P160", f"cannot write: {exc.strerror or exc}")]) from None
    return manifest


def _read_manifest(folder: Path, shown: str) -> tuple[list[Listed], list[Diagnostic]]:
    """The artifacts a shard's manifest lists, or why it lists none that can be trusted."""
    where = f"{shown}/manifest.json"
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        why = "no such folder" if not folder.is_dir() else "no manifest.json in it"
        return [], [Diagnostic(shown, 1, 1, "P350", f"{why}: give merge the --out folders of `publish build --shard K/N`")]
    except (OSError, ValueError, RecursionError) as exc:
        return [], [Diagnostic(where, 1, 1, "P350", f"cannot be read as a manifest: {getattr(exc, 'strerror', None) or exc}")]
    entries = data.get("artifacts") if isinstance(data, dict) and data.get("tool") == "publish" else None
    if not isinstance(entries, list):
        return [], [Diagnostic(where, 1, 1, "P350", "not a manifest written by publish (no \"artifacts\" list)")]
    listed, problems = [], []
    for n, entry in enumerate(entries, 1):
        artifact = _as_artifact(entry) if isinstance(entry, dict) else None
        if artifact is None:
            problems.append(Diagnostic(where, 1, 1, "P350", f"entry {n} is not an artifact publish writes "
                                                            "(a field missing or of the wrong kind, or a name not <slug>.<format>)"))
        else:
            listed.append(Listed(artifact, folder, shown))
    return listed, problems


def _copy_all(out_dir: Path, items: list[Listed]) -> None:
    """Copy every file aside into `out_dir`, checking each against its entry as it is read, then rename them all
    into place: a file that is not what its shard's manifest says (P351), or a failure, replaces nothing."""
    staged: dict[str, str] = {}
    with signals_held():
        try:
            problems = [p for item in items if (p := _stage(out_dir, item, staged))]
            if problems:
                raise PublishError(problems)
            for name, tmp in list(staged.items()):
                os.replace(tmp, out_dir / name)
                del staged[name]
        except OSError as exc:
            raise PublishError([Diagnostic(str(out_dir), 1, 1, "P160", f"cannot write: {exc.strerror or exc}")]) from None
        finally:  # only left when something failed
            for tmp in staged.values():
                Path(tmp).unlink(missing_ok=True)


def _stage(out_dir: Path, item: Listed, staged: dict[str, str]) -> Diagnostic | None:
    """Copy one listed file next to its place in `out_dir` while hashing it; a problem if it is not the file listed."""
    name, expected = item.artifact.path, item.artifact
    shown = f"{item.shown}/{name}"
    source = item.folder / name
    if _same(item.folder, out_dir):  # --out's own file: checked in place, not copied onto itself
        return _check_in_place(source, shown, expected)
    try:
        if source.is_symlink() or not source.is_file():
            raise FileNotFoundError
        reader = open(source, "rb")
    except OSError:
        return Diagnostic(shown, 1, 1, "P351", "listed in the manifest but missing, unreadable, or not a regular file")
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out_dir)
    staged[name] = tmp
    digest = hashlib.sha256()
    with reader, os.fdopen(fd, "wb") as writer:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
        size = writer.tell()
    os.chmod(tmp, 0o644)
    return _mismatch(shown, expected, size, digest.hexdigest())


def _check_in_place(path: Path, shown: str, expected: Artifact) -> Diagnostic | None:
    if path.is_symlink() or not path.is_file():
        return Diagnostic(shown, 1, 1, "P351", "listed in the manifest but missing, or not a regular file")
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return _mismatch(shown, expected, path.stat().st_size, digest.hexdigest())


def _mismatch(shown: str, expected: Artifact, size: int, sha256: str) -> Diagnostic | None:
    if (size, sha256) == (expected.bytes, expected.sha256):
        return None
    return Diagnostic(shown, 1, 1, "P351", f"is not the file its manifest lists: sha256 {sha256[:12]}…, {size:,} bytes, "
                                           f"listed as {expected.sha256[:12]}…, {expected.bytes:,} bytes (changed since the build, or cut short)")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False
