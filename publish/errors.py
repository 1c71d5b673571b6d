"""Diagnostics: every problem with a source is data, printed as path:line:col."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in a source or an output."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        path = CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", self.path)  # a file named "a\nb": still one line
        return f"{path}:{self.line}:{self.col}: {self.severity} {self.code}: {self.message}"


class PublishError(Exception):
    """Raised with every diagnostic collected for one source."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def fail(path: str, code: str, message: str, line: int = 1, col: int = 1) -> PublishError:
    """Build a PublishError holding a single diagnostic."""
    return PublishError([Diagnostic(path, line, col, code, message)])
