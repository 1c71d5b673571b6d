"""The one way renderers read files and URLs: regular files inside the allowed folders, or hosts the project allows."""

from __future__ import annotations

import errno
import logging
import mimetypes
import os
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The base URL of a source's folder inside WeasyPrint. WeasyPrint names an image after its URL's hash, so the real
# folder would put the checkout's location into every PDF with an image: builds in two folders would differ.
SOURCE_URL = "file:///publish-source/"
MAX_BYTES = 64 * 1024 * 1024  # one file or download; more is not a pamphlet's resource
TIMEOUT = 10  # seconds for a download from an allowed host
LOG = logging.getLogger("publish.fetch")


class FetchRefused(Exception):
    """A document asked for something outside the project: a remote URL, a stray or special file."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to load {url!r}: {reason}")
        self.url, self.reason = url, reason


class FetchStopped(BaseException):
    """Raised inside WeasyPrint after a refusal: a BaseException, so WeasyPrint stops instead of warning and going on."""


@dataclass(frozen=True)
class Policy:
    """What may be read: regular files under `roots` (folders, or single files), and http(s) from `hosts` only."""

    roots: tuple[Path, ...]
    hosts: frozenset[str] = frozenset()
    source: Path | None = None  # the folder SOURCE_URL stands for

    def read(self, url: str) -> tuple[bytes, str, str]:
        """The bytes, content type and final URL of `url`; FetchRefused, or FileNotFoundError when it is missing."""
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            return fetch_remote(url, self.hosts)
        real = url
        if self.source is not None and url.startswith(SOURCE_URL):
            real = self.source.resolve().as_uri() + "/" + url.removeprefix(SOURCE_URL)
        path = local_path(real, self.roots)
        data = read_file(path, self.roots, real)
        return data, mimetypes.guess_type(path.name)[0] or "application/octet-stream", url if real != url else path.as_uri()


def local_path(url: str, allowed: tuple[Path, ...]) -> Path:
    """Map a file: URL to an existing path inside one of `allowed`, or raise FetchRefused (FileNotFoundError if missing)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise FetchRefused(url, "only files inside the project are read" + _hint(parts.scheme))
    written = Path(os.path.normpath(unquote(parts.path)))
    path = written.resolve()
    if not inside(path, allowed):
        if written.is_relative_to("/dev") or written.is_relative_to("/proc"):
            raise FetchRefused(url, "a device or process file, outside the project")
        if inside(written, allowed):
            raise FetchRefused(url, "a symbolic link to a file outside the project")
        raise FetchRefused(url, "outside the project")
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "no such file", path.name)
    if not path.is_file():
        raise FetchRefused(url, "not a regular file")
    return path


def inside(path: Path, roots: tuple[Path, ...]) -> bool:
    """Whether `path` is one of `roots` or below one of them (each root resolved: the project may live behind a link)."""
    return any(path == root or path.is_relative_to(root) for root in (r.resolve() for r in roots))


def read_file(path: Path, roots: tuple[Path, ...], name: str | None = None, limit: int = MAX_BYTES) -> bytes:
    """Read a regular file that resolves inside `roots`: no link out, no FIFO or device, at most `limit` bytes."""
    name = name or str(path)
    resolved = path.resolve()
    if not inside(resolved, roots):
        raise FetchRefused(name, "a symbolic link to a file outside the project" if inside(path.absolute(), roots) else "outside the project")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if resolved.exists() and not resolved.is_file():  # before opening: opening a device can do things
        raise FetchRefused(name, "not a regular file")
    try:
        fd = os.open(resolved, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was resolved
            raise FetchRefused(name, "a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FetchRefused(name, "not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FetchRefused(name, f"larger than {limit // (1024 * 1024)} MB")
    return data


def fetch_remote(url: str, hosts: frozenset[str], timeout: float = TIMEOUT) -> tuple[bytes, str, str]:
    """Download from a host the project allows ([tool.publish] allowed_hosts), following no redirect."""
    import urllib.error
    import urllib.request

    from . import __version__

    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").lower()
        names = {host, f"{host}:{parts.port}"} if parts.port else {host}
    except ValueError:
        raise FetchRefused(url, "not a valid URL") from None
    if not host or not names & hosts:
        raise FetchRefused(url, f"host {host!r} is not in allowed_hosts" if host else "not a valid URL")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the 3xx response then surfaces as an HTTPError

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"User-Agent": f"publish/{__version__}"})
    try:
        with opener.open(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise FetchRefused(url, f"redirected to {exc.headers.get('Location', '?')!r}, and redirects are not followed") from None
        raise FileNotFoundError(errno.ENOENT, f"HTTP {exc.code}", url) from None
    if len(data) > MAX_BYTES:
        raise FetchRefused(url, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    return data, kind, url


def _hint(scheme: str) -> str:
    return " (allow a host with allowed_hosts in [tool.publish])" if scheme.lower() in ("http", "https") else ""


@cache
def _fetcher_class():
    """WeasyPrint 70 takes a URLFetcher subclass; made on first use so that the CLI path never imports WeasyPrint."""
    from .weasyprint_import import import_weasyprint

    import_weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Everything WeasyPrint loads (stylesheets, fonts, images, attachments, color profiles) comes through here."""

        def __init__(self, policy: Policy) -> None:
            super().__init__(timeout=TIMEOUT, allowed_protocols=("file", "data", "http", "https"), allow_redirects=False)
            self.policy = policy

        def fetch(self, url, headers=None):
            if url[:5].lower() == "data:":
                return super().fetch(url, headers)
            try:
                data, kind, final = self.policy.read(url)
            except FetchRefused as exc:
                LOG.error("%s", exc, extra={"refused": exc})  # weasy.captured_logs turns this into an error naming the source
                raise FetchStopped(str(exc)) from None
            return URLFetcherResponse(final, data, {"Content-Type": kind})

    return ProjectFetcher


def weasyprint_fetcher(allowed: tuple[Path, ...], hosts: frozenset[str] = frozenset(), source: Path | None = None):
    """The project's WeasyPrint URL fetcher: files under `allowed`, http(s) from `hosts` (data: URLs pass through);
    SOURCE_URL stands for the `source` folder."""
    return _fetcher_class()(Policy(tuple(allowed), frozenset(hosts), source))
