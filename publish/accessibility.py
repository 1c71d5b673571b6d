"""The tagged A5 PDFs checked by two independent PDF/UA checkers, when they are installed (pip install pdfua outloud):
pdfua, the machine-checkable part of PDF/UA-1, and outloud, PDF/UA-1 and WCAG 2.2 with checks of reading order,
running heads and links. Each runs once, in a child process, on every file it is given."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic

CHECKERS = ("pdfua", "outloud")
SEVERITY = {"error": "error", "warning": "warning", "info": "note"}


@dataclass(frozen=True)
class Finding:
    """One thing a checker found in a PDF."""

    rule: str  # the checker's own rule ID: UA-13-004 (pdfua), FIG-001 (outloud)
    severity: str  # error, warning or note
    message: str
    page: int | None = None


@dataclass(frozen=True)
class Report:
    """What one checker said about one PDF."""

    checker: str
    path: str
    findings: tuple[Finding, ...] = ()
    skipped: tuple[str, ...] = ()  # rules the checker could not evaluate, each with its reason
    error: str = ""  # the checker could not read the file, or gave no report for it


def installed() -> tuple[str, ...]:
    """The checkers importable by this Python."""
    return tuple(name for name in CHECKERS if importlib.util.find_spec(name) is not None)


def check(paths: list[Path], checkers: tuple[str, ...] | None = None, timeout: float = 600) -> list[Report]:
    """Every installed checker (or `checkers`) on every PDF of `paths`, one process per checker."""
    if not paths:
        return []
    reports: list[Report] = []
    for checker in installed() if checkers is None else checkers:
        reports += (_pdfua if checker == "pdfua" else _outloud)([str(p) for p in paths], timeout)
    return reports


def diagnostics(paths: dict[Path, str]) -> list[Diagnostic]:
    """The installed checkers' findings on the PDFs of `paths` (each mapped to the name it is shown by) as
    diagnostics: the checker's rule ID as the code, its name and the page in the message."""
    found = []
    for report in check(list(paths)):
        shown = paths.get(Path(report.path), report.path)
        if report.error:
            error = report.error.replace(report.path, shown)
            found.append(Diagnostic(shown, 1, 1, "P335", f"{report.checker} could not check it: {error}", "warning"))
        for f in report.findings:
            where = f" (page {f.page})" if f.page else ""
            found.append(Diagnostic(shown, 1, 1, f.rule, f"{report.checker}: {f.message}{where}", f.severity))
    return found


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *command], capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def _pdfua(paths: list[str], timeout: float) -> list[Report]:
    """pdfua check --format json: one JSON object per file, one after the other."""
    run = _run(["-m", "pdfua", "check", "--format", "json", *paths], timeout)
    decoder, text, at, objects = json.JSONDecoder(), run.stdout, 0, {}
    while (at := _skip_space(text, at)) < len(text):
        try:
            obj, at = decoder.raw_decode(text, at)
        except ValueError:
            break
        objects[obj.get("file")] = obj
    return [_pdfua_report(path, objects.get(path), run.stderr) for path in paths]


def _pdfua_report(path: str, obj: dict | None, stderr: str) -> Report:
    if obj is None or obj.get("error"):
        return Report("pdfua", path, error=(obj or {}).get("error") or stderr.strip()[-300:] or "no report")
    findings = tuple(Finding(f["rule_id"], SEVERITY.get(f.get("severity"), "warning"), f.get("message", ""), f.get("page"))
                     for f in obj.get("findings", ()))
    skipped = tuple(f"{s['rule_id']}: {s.get('reason', '')}" for s in obj.get("skipped", ()))
    return Report("pdfua", path, findings, skipped)


def _outloud(paths: list[str], timeout: float) -> list[Report]:
    """outloud --json -: one JSON document with a result per file."""
    run = _run(["-m", "outloud.cli", "--json", "-", "--fail-on", "never", *paths], timeout)
    try:
        results = {r["path"]: r for r in json.loads(run.stdout)["results"]}
    except (ValueError, KeyError, TypeError):
        results = {}
    reports = []
    for path in paths:
        result = results.get(path)
        if result is None or result.get("error"):
            reports.append(Report("outloud", path, error=(result or {}).get("error") or run.stderr.strip()[-300:] or "no report"))
            continue
        reports.append(Report("outloud", path, tuple(
            Finding(f["rule"], SEVERITY.get(f.get("severity"), "warning"), f.get("message", ""), f.get("page"))
            for f in result.get("findings", ()))))
    return reports


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at
