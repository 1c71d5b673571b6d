"""<slug>.html: one self-contained page (styles, fonts and images inlined) that opens from disk."""

from __future__ import annotations

import base64
from html import escape

from markupsafe import Markup

from .. import notes
from ..config import Config
from ..editions import render, stylesheet
from ..fetch import read_file
from ..fonts import faces_for, font_face_css, font_path, screen_characters, subset
from ..labels import labels_for
from ..markup import Document
from ..sources import IMAGE_TYPES
from ..xhtml import parse, serialize
from . import FORMATS, Output


def render_html(config: Config, document: Document, layout: object) -> Output:
    """Render the web edition; fonts are WOFF subsets of the page's own characters (WOFF2 would save a sixth of the
    page's size, gzipped, for five times the build time: brotli at its best is slow)."""
    root = parse(document.body)
    for _, aside in notes.for_screen(root, epub=False, label=labels_for(document.meta.lang).note):
        root.append(aside)  # notes after the text, each with a link back to its call
    body = Markup(serialize(root))
    text, faces = screen_characters(config, document), faces_for(document.body)
    urls = {f.file: _data_uri("font/woff", subset(font_path(config, f), text, "woff")) for f in faces}
    css = font_face_css(urls, faces) + stylesheet(config, "base.css", "web.css")
    page = render(config, "web.html.j2", document, body=body, css=Markup(css.replace("</", "<\\/")),
                  link_editions=True)  # relative links to the other editions' pages work from --out, or at base_url
    for asset in document.assets:
        kind = IMAGE_TYPES[asset.path.suffix.lower()]
        page = page.replace(f'src="{escape(asset.href)}"', f'src="{_data_uri(kind, read_file(asset.path, (document.source.folder,), asset.href))}"')
    return Output("html", FORMATS["html"].filename(document.source.slug), page.encode("utf-8"))


def _data_uri(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
