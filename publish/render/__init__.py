"""Renderers: one module per output format, each turning a Document into an Output."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Diagnostic


@dataclass(frozen=True)
class Output:
    """One rendered file, not yet written."""

    format: str
    filename: str
    data: bytes
    pages: int | None = None
    warnings: tuple[Diagnostic, ...] = ()
