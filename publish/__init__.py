"""publish: Markdown pamphlets to a print-ready A5 PDF, an EPUB 3 and a web edition."""

from __future__ import annotations

__version__ = "0.1.0"

from .dist import Artifact, Manifest  # noqa: E402
from .errors import Diagnostic, PublishError  # noqa: E402
from .pipeline import build  # noqa: E402

__all__ = ["build", "Artifact", "Manifest", "Diagnostic", "PublishError", "__version__"]
