"""What every WeasyPrint render shares: bundled fonts, the project-only fetcher, logs as diagnostics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import Config
from ..editions import stylesheet
from ..errors import Diagnostic, PublishError
from ..fetch import SOURCE_URL, FetchRefused, FetchStopped, weasyprint_fetcher
from ..fonts import FACES, font_face_css, font_path
from ..markup import Document


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs(document: Document) -> Iterator[list[Diagnostic]]:
    """Turn WeasyPrint's warnings into diagnostics naming the source; a refused fetch fails the source (P150)."""
    found: list[Diagnostic] = []
    handler, refusals = _Collect(), _Collect()
    logger, fetches = logging.getLogger("weasyprint"), logging.getLogger("publish.fetch")
    logger.addHandler(handler)
    fetches.addHandler(refusals)
    try:
        yield found
    except FetchStopped:
        if not refusals.records:
            raise
    finally:
        logger.removeHandler(handler)
        fetches.removeHandler(refusals)
        for record in handler.records:
            found.append(Diagnostic(document.source.display, 1, 1, "R200", record.getMessage(), "warning"))
    refused = [r.refused for r in refusals.records if isinstance(getattr(r, "refused", None), FetchRefused)]
    if refused:
        raise PublishError(dict.fromkeys(refusal(document, exc) for exc in refused))


def refusal(document: Document, exc: FetchRefused) -> Diagnostic:
    """P150 naming the source and the reference, at the line that writes it when the body does."""
    line, col = document.source.body_line, 1
    url = exc.url
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    for number, text in enumerate(document.source.body.splitlines()):
        at = next((text.find(n) for n in (url, tail) if n and text.find(n) >= 0), -1)
        if at >= 0:
            line, col = document.source.body_line + number, at + 1
            break
    return Diagnostic(document.source.display, line, col, "P150", str(exc))


def render_document(config: Config, document: Document, html: str, sheets: tuple[str, ...], extra_css: str = "", **options):
    """Lay out `html` with the bundled fonts and `sheets`; only project files may be read.

    `options` are WeasyPrint's (pdf_variant…): a PDF variant's output intent is chosen at layout time."""
    from ..weasyprint_import import import_weasyprint

    import_weasyprint()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    allowed = (document.source.folder, *config.dirs("fonts"), *config.dirs("styles"))
    if config.press_icc:
        allowed += (config.press_icc,)
    fetcher = weasyprint_fetcher(allowed, config.allowed_hosts, document.source.folder)
    fonts, profiles = FontConfiguration(), {}  # shared by the stylesheet and the layout, like the fonts
    urls = {face.file: font_path(config, face).resolve().as_uri() for face in FACES}
    css = CSS(string=font_face_css(urls) + stylesheet(config, *sheets) + extra_css, font_config=fonts,
              color_profiles=profiles, url_fetcher=fetcher)
    base_url = SOURCE_URL  # not the real folder: its path would reach the PDF (see fetch.SOURCE_URL)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, color_profiles=profiles, **options)
