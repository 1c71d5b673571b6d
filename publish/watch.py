"""publish watch: rebuild on change and serve --out on localhost, reloading open pages after each build."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .dist import Manifest, check_writable
from .errors import PublishError
from .pipeline import build

RELOAD = b"<script>new EventSource('/_events').onmessage = () => location.reload();</script>"
WATCHED = ("source", "styles", "fonts", "templates", "pyproject.toml")


class Preview:
    """The build generation and a condition the event streams wait on."""

    def __init__(self) -> None:
        self.url = ""
        self.generation = 0
        self.changed = threading.Condition()
        self.stopping = threading.Event()

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()


class Handler(SimpleHTTPRequestHandler):
    """Files from --out; HTML pages get the reload script, /_events streams a message per build."""

    preview: Preview

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/_events":
            return self._events()
        path = Path(self.translate_path(self.path))
        if path.suffix == ".html" and path.is_file():
            body = path.read_bytes().replace(b"</body>", RELOAD + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().do_GET()

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.preview.generation
        while not self.preview.stopping.is_set():
            with self.preview.changed:
                self.preview.changed.wait(timeout=1)
            if self.preview.generation != seen:
                seen = self.preview.generation
                try:
                    self.wfile.write(b"data: reload\n\n")
                    self.wfile.flush()
                except OSError:
                    return

    def log_message(self, *args) -> None:  # keep the terminal for build messages
        pass


def serve(out: Path, preview: Preview, port: int) -> ThreadingHTTPServer:
    """Start serving `out` on 127.0.0.1 in a background thread; port 0 picks a free one."""
    handler = type("PreviewHandler", (Handler,), {"preview": preview})
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(out)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _rebuild(paths, **options) -> Manifest:
    """A build; a project problem (an invalid pyproject.toml being edited) is reported like a failed source, and
    watching goes on."""
    try:
        return build(paths, **options)
    except PublishError as exc:
        return Manifest((), exc.diagnostics, tuple(d.path for d in exc.diagnostics))


def _watched(root: Path, usual, change, path: str) -> bool:
    """A change to a file under WATCHED (not to the output, the repository or an editor's swap files: `usual`)."""
    relative = Path(path).relative_to(root).parts if Path(path).is_relative_to(root) else ()
    return bool(relative) and relative[0] in WATCHED and usual(change, path)


def watch(paths: Iterable[str] | None, *, out: str | Path = "dist", formats: Iterable[str] = ("html", "pdf"),
          port: int = 8000, root: str | Path = ".", report: Callable[[Manifest], None] = print,
          preview: Preview | None = None) -> None:
    """Build, serve, and rebuild whenever a source, style, font, template or pyproject.toml changes."""
    from watchfiles import DefaultFilter
    from watchfiles import watch as changes

    root = Path(root).resolve()
    out_dir = (root / out).resolve()
    preview = preview or Preview()
    check_writable(out_dir, str(out))  # P160 for an --out that is a file, or read-only
    server = serve(out_dir, preview, port)
    rebuild = partial(_rebuild, list(paths) if paths else None, out=out, formats=tuple(formats), root=root)
    report(rebuild())
    preview.url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"serving {out_dir} at {preview.url} (Ctrl-C to stop)")
    try:  # the whole project, so that a pyproject.toml or styles/ made after the start is seen; only WATCHED counts
        for _ in changes(root, watch_filter=partial(_watched, root, DefaultFilter()), stop_event=preview.stopping, debounce=200,
                         rust_timeout=500):
            report(rebuild())
            preview.bump()
    except KeyboardInterrupt:
        pass
    finally:
        preview.stopping.set()
        server.shutdown()
