"""No build opens a connection unless the project allows the host; an allowed host gets no redirect followed.

A real HTTP listener on 127.0.0.1 counts every request it receives.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publish.cli import main

DIAGNOSTIC = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error (?P<code>P\d{3}): (?P<message>.+)$", re.M)
HEAD = "---\ntitle: Net\nauthor: A\n---\n\n"


class Listener:
    """A local web server that records every path asked for."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                hits.append(self.path)
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/target.css")
                    self.end_headers()
                    return
                body = b"p { color: rgb(10, 20, 30) }\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def listener(monkeypatch):
    server = Listener()
    server.thread.start()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")  # a CI proxy must not stand in for the listener
    monkeypatch.delenv("http_proxy", raising=False)
    yield server
    server.server.shutdown()
    server.server.server_close()


def project(tmp_path: Path, monkeypatch, sources: dict[str, str], settings: str = "") -> Path:
    (tmp_path / "source").mkdir()
    for name, text in sources.items():
        (tmp_path / "source" / name).write_text(text, encoding="utf-8")
    if settings:
        (tmp_path / "pyproject.toml").write_text("[tool.publish]\n" + settings, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    return tmp_path


def errors(err: str) -> dict[str, tuple[str, str]]:
    return {m["path"]: (m["code"], m["message"]) for m in DIAGNOSTIC.finditer(err)}


def test_no_build_connects_to_a_host_it_was_not_allowed(listener, tmp_path, monkeypatch, capsys):
    url = listener.url
    project(tmp_path, monkeypatch, {
        "md-image.md": HEAD + f"![x]({url}/a.png)\n",
        "raw-image.md": HEAD + f'<p><img src="{url}/b.png" alt="x"></p>\n',
        "lead-image.md": f"---\ntitle: Net\nauthor: A\nimage: {url}/c.png\n---\n\nText.\n",
        "dropped.md": HEAD + f'<link rel="stylesheet" href="{url}/d.css"><style>@import url({url}/e.css);</style>'
                             f'<p style="background: url({url}/f.png)">Text.</p>\n',
        "links-only.md": f"---\ntitle: Net\nauthor: A\nsource_url: {url}/origin\n---\n\nSee [the original]({url}/g).\n",
    })
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    found = errors(err)
    assert found["source/md-image.md"][0] == "P105"
    assert found["source/raw-image.md"][0] == "P105"
    assert found["source/lead-image.md"][0] == "P104"
    assert "source/dropped.md" not in found and "source/links-only.md" not in found, err
    assert (tmp_path / "dist" / "dropped.pdf").is_file() and (tmp_path / "dist" / "links-only.epub").is_file()
    assert listener.hits == []


def test_trusted_html_cannot_connect_either(listener, tmp_path, monkeypatch, capsys):
    url = listener.url
    project(tmp_path, monkeypatch, {
        "stylesheet.md": HEAD + f'<link rel="stylesheet" href="{url}/a.css">\n',
        "import.md": HEAD + f"<style>@import url({url}/b.css);</style>\n\nText.\n",
        "background.md": HEAD + f'<div style="background-image: url({url}/c.png)">Text.</div>\n',
        "attachment.md": HEAD + f'<link rel="attachment" href="{url}/d.txt">\n',
        "object.md": HEAD + f'<object data="{url}/e.svg" type="image/svg+xml"></object>\n',
    }, settings='raw_html = "trusted"\n')
    assert main(["build", "--jobs", "2"]) == 1
    found = errors(capsys.readouterr().err)
    for name in ("stylesheet", "import", "background", "attachment", "object"):
        code, message = found[f"source/{name}.md"]
        assert code == "P150" and "host '127.0.0.1' is not in allowed_hosts" in message, (name, message)
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["manifest.json"]
    assert listener.hits == []


def test_an_allowed_host_is_fetched_and_no_other(listener, tmp_path, monkeypatch, capsys):
    url = listener.url
    project(tmp_path, monkeypatch, {
        "allowed.md": HEAD + f'<link rel="stylesheet" href="{url}/allowed.css">\n\nText.\n',
        "other-name.md": HEAD + f'<link rel="stylesheet" href="http://localhost:{listener.port}/other.css">\n',
    }, settings=f'raw_html = "trusted"\nallowed_hosts = ["127.0.0.1:{listener.port}"]\n')
    assert main(["build", "--format", "pdf,html"]) == 1
    found = errors(capsys.readouterr().err)
    assert "source/allowed.md" not in found
    assert found["source/other-name.md"][0] == "P150" and "'localhost' is not in allowed_hosts" in found["source/other-name.md"][1]
    assert (tmp_path / "dist" / "allowed.pdf").is_file()
    assert set(listener.hits) == {"/allowed.css"}


def test_an_allowed_host_gets_no_redirect_followed(listener, tmp_path, monkeypatch, capsys):
    project(tmp_path, monkeypatch, {"redirect.md": HEAD + f'<link rel="stylesheet" href="{listener.url}/redirect.css">\n'},
            settings=f'raw_html = "trusted"\nallowed_hosts = ["127.0.0.1:{listener.port}"]\n')
    assert main(["build", "--format", "pdf"]) == 1
    code, message = errors(capsys.readouterr().err)["source/redirect.md"]
    assert code == "P150" and f"redirected to '{listener.url}/target.css', and redirects are not followed" in message
    assert listener.hits == ["/redirect.css"]


@pytest.mark.parametrize("value", ['"example.org"', '["https://example.org/"]', "[1]", '["a b"]'])
def test_allowed_hosts_must_be_a_list_of_host_names(tmp_path, monkeypatch, capsys, value):
    project(tmp_path, monkeypatch, {"a.md": HEAD + "Text.\n"}, settings=f"allowed_hosts = {value}\n")
    assert main(["build", "--format", "html"]) == 1
    [(path, (code, message))] = errors(capsys.readouterr().err).items()
    assert path.endswith("pyproject.toml") and code == "P133" and message.startswith("allowed_hosts:")
