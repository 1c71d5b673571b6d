"""What every WeasyPrint render shares: bundled fonts, the project-only fetcher, logs as diagnostics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import Config
from ..editions import stylesheet
from ..errors import Diagnostic
from ..fetch import weasyprint_fetcher
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
    """Turn WeasyPrint's warnings and errors into diagnostics naming the source."""
    found: list[Diagnostic] = []
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        for record in handler.records:
            found.append(Diagnostic(document.source.display, 1, 1, "R200", record.getMessage(), "warning"))


def render_document(config: Config, document: Document, html: str, sheets: tuple[str, ...], extra_css: str = "", **options):
    """Lay out `html` with the bundled fonts and `sheets`; only project files may be read.

    `options` are WeasyPrint's (pdf_variant…): a PDF variant's output intent is chosen at layout time."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    allowed = (document.source.folder, *config.dirs("fonts"), *config.dirs("styles"))
    if config.press_icc:
        allowed += (config.press_icc,)
    fetcher = weasyprint_fetcher(allowed)
    fonts, profiles = FontConfiguration(), {}  # shared by the stylesheet and the layout, like the fonts
    urls = {face.file: font_path(config, face).resolve().as_uri() for face in FACES}
    css = CSS(string=font_face_css(urls) + stylesheet(config, *sheets) + extra_css, font_config=fonts,
              color_profiles=profiles, url_fetcher=fetcher)
    base_url = document.source.folder.as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, color_profiles=profiles, **options)
