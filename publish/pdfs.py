"""Our own PDFs read back: one pypdf reader per file, shared by the steps that read it (booklet, press, preflight).

Parsing is what costs: a tagged PDF's structure tree is thousands of objects, and pypdf reads them all on opening
the catalogue. The readers are only read from; a step that must change a page changes its copy in a writer."""

from __future__ import annotations

import io
from functools import lru_cache


@lru_cache(maxsize=4)
def read(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))
