"""The one URL fetcher: renderers may read files inside the allowed folders, nothing else."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit


class FetchRefused(Exception):
    """A document asked for something outside the project: a remote URL or a stray file."""


def local_path(url: str, allowed: tuple[Path, ...]) -> Path:
    """Map a file: URL to a path inside one of `allowed`, or raise FetchRefused."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"refused to fetch {url!r}: only files inside the project are read")
    path = Path(unquote(parts.path)).resolve()
    if not any(path == root.resolve() or path.is_relative_to(root.resolve()) for root in allowed):
        raise FetchRefused(f"refused to read {path.name!r}: it is outside the project")
    if not path.is_file():
        raise FetchRefused(f"file {path.name!r} not found")
    return path


def weasyprint_fetcher(allowed: tuple[Path, ...]):
    """A WeasyPrint URL fetcher limited to `allowed` folders (data: URLs pass through)."""
    import mimetypes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = local_path(url, allowed)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})

    return ProjectFetcher(allowed_protocols=("file", "data"))
