"""A catalogue of hostile and broken inputs, each with its exact outcome.

Every case is a small project built through the command line (in-process, every render in its forked child).
Each asserts the exit status, the diagnostic (code, a fragment of the message, the file it names), that no
traceback was printed, that the bad source left no artifact, that dist/ holds no temporary file, and that
the canary, a file outside the project with a random token in it, reached neither any output (PDF streams
decoded, attachments, EPUB entries, data: URIs in the web page) nor the messages.
"""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from publish.cli import main

TOKEN = "CANARY" + secrets.token_hex(8).upper()
DIAGNOSTIC = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning) (?P<code>[PR]\d{3}): (?P<message>.+)$")
TRUSTED = 'raw_html = "trusted"\n'


class Link(str):
    """A symbolic link to this target ({out} is the folder outside the project)."""


class Fifo:
    """A named pipe: opening it for reading would block a naive reader for ever."""


@dataclass(frozen=True)
class Case:
    id: str
    body: str = "Some text.\n"
    head: str = ""  # more front-matter lines
    files: dict = field(default_factory=dict)  # path in the project -> str | bytes | Link | Fifo
    settings: str = ""  # lines of [tool.publish]
    code: str | None = None  # the expected error; None: the source builds
    warns: str | None = None  # the expected warning of a source that builds (says and line then apply to it)
    says: str = ""  # a fragment of the message
    where: str = "source/hostile.md"  # the file the diagnostic names
    line: int | None = None
    formats: str = "pdf,epub,html"
    raw: bytes | None = None  # the source file's bytes, instead of head + body
    slug: str = "hostile"  # the source that must leave no artifact


def png(width: int = 2, height: int = 2) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 40, 200)).save(out, "JPEG")
    return out.getvalue()


def noise() -> bytes:
    """A PNG of random pixels: it compresses to nothing, so cutting it short cuts its pixel data."""
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(out, "PNG")
    return out.getvalue()


def bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG that claims 30,000 × 30,000 pixels in a few hundred bytes: 900 million once decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 30001 * 64)  # a start only: the size alone must refuse it
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def canaries(out: Path) -> None:
    """The folder outside the project: the same token as text, CSS, Markdown, SVG text and a JPEG comment."""
    out.mkdir()
    (out / "canary.txt").write_text(TOKEN + "\n", encoding="utf-8")
    (out / "canary.css").write_text(f'body::before {{ content: "{TOKEN}" }} /* {TOKEN} */\n', encoding="utf-8")
    (out / "canary.md").write_text(f"---\ntitle: {TOKEN}\nauthor: A\n---\n\n{TOKEN}\n", encoding="utf-8")
    (out / "canary.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><text x="0" y="15">'
                                    f"{TOKEN}</text></svg>", encoding="utf-8")
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(image, "JPEG", comment=TOKEN.encode())
    (out / "canary.jpg").write_bytes(image.getvalue())
    (out / "dir").mkdir()
    (out / "dir" / "canary.jpg").write_bytes(image.getvalue())
    (out / "dir" / "index.md").write_text(f"---\ntitle: {TOKEN}\nauthor: A\n---\n\n{TOKEN}\n", encoding="utf-8")


CASES = [
    # --- images in the text that reach outside the pamphlet's folder: P105 ------------------------------------
    Case("md-image-absolute", "![x]({out}/canary.jpg)\n", code="P105", says="must be a path relative", line=5),
    Case("md-image-dotdot", "![x](../../outside/canary.jpg)\n", code="P105", says="outside the source's folder", line=5),
    Case("md-image-file-url", "![x](file://{out}/canary.jpg)\n", code="P105", says="file://", line=5),
    Case("md-image-symlink", "![x](pic.jpg)\n", files={"source/pic.jpg": Link("{out}/canary.jpg")},
         code="P105", says="'pic.jpg' points outside", line=5),
    Case("md-image-folder-symlink", "![x](imgs/canary.jpg)\n", files={"source/imgs": Link("{out}/dir")},
         code="P105", says="outside the source's folder", line=5),
    Case("md-image-device-symlink", "![x](zero.png)\n", files={"source/zero.png": Link("/dev/zero")},
         code="P105", says="'zero.png' points outside", line=5),
    Case("md-image-fifo", "![x](pipe.png)\n", files={"source/pipe.png": Fifo()},
         code="P105", says="'pipe.png' is not a regular file", line=5),
    Case("md-image-remote", "![x](http://192.0.2.1/x.png)\n", code="P105", says="must be a path relative", line=5),
    Case("raw-img-dotdot", '<p><img src="../../outside/canary.jpg" alt="x"></p>\n', code="P105", says="outside", line=5),
    Case("raw-img-data-svg", "<img src=\"data:image/svg+xml,<svg/onload=alert(1)>\" alt=\"x\">\n", code="P105",
         says="data:", line=5),
    # --- sanitised raw HTML: what would load something is dropped, and the source builds ------------------------
    Case("raw-attachment-dropped", '<link rel="attachment" href="file://{out}/canary.txt">\n\nText.\n'),
    Case("raw-style-import-dropped", '<style>@import url("file://{out}/canary.css");</style>\n\nText.\n'),
    Case("raw-style-attribute-dropped", '<div style="background:url(file://{out}/canary.jpg)">Text.</div>\n'),
    Case("raw-object-embed-iframe-dropped", '<object data="file://{out}/canary.svg"></object><embed src="{out}/canary.svg">'
         '<iframe src="file://{out}/canary.txt"></iframe>\n\nText.\n'),
    Case("raw-srcset-dropped", '<p><img src="dot.png" srcset="file://{out}/canary.jpg 2x" alt="A dot"></p>\n',
         files={"source/dot.png": png()}),
    Case("raw-script-and-handlers-dropped", '<p onclick="fetch(\'file://{out}/canary.txt\')">Text.<script>x()</script></p>\n'),
    Case("attribute-list-style", 'Text.\n{{: style="background:url(file://{out}/canary.jpg)" }}\n', warns="P121",
         says="'style' is not allowed", line=6),
    Case("link-file-url", "[x](file://{out}/canary.txt)\n", warns="P120", says="only http(s), mailto", line=5),
    Case("link-outside-the-project", "[x](../../outside/canary.md) [y](../../outside/)\n", warns="P120",
         says="no source_url", line=5),
    # --- trusted raw HTML: the fetcher is the last line, and refuses (P150) ----------------------------------
    Case("trusted-attachment", '<link rel="attachment" href="file://{out}/canary.txt">\n', settings=TRUSTED,
         code="P150", says="canary.txt': outside the project", line=5),
    Case("trusted-stylesheet-dotdot", '<link rel="stylesheet" href="../../outside/canary.css">\n', settings=TRUSTED,
         code="P150", says="canary.css': outside the project", line=5),
    Case("trusted-style-import", '<style>@import url("file://{out}/canary.css");</style>\n', settings=TRUSTED,
         code="P150", says="outside the project", line=5),
    Case("trusted-style-background", '<div style="background-image: url({out}/canary.jpg)">x</div>\n', settings=TRUSTED,
         code="P150", says="canary.jpg': outside the project", line=5),
    Case("trusted-object-svg", '<object data="file://{out}/canary.svg" type="image/svg+xml"></object>\n', settings=TRUSTED,
         code="P150", says="canary.svg': outside the project", line=5),
    Case("trusted-attachment-symlink", '<link rel="attachment" href="notes.txt">\n', settings=TRUSTED,
         files={"source/notes.txt": Link("{out}/canary.txt")}, code="P150", says="symbolic link to a file outside", line=5),
    Case("trusted-attachment-fifo", '<link rel="attachment" href="pipe.txt">\n', settings=TRUSTED,
         files={"source/pipe.txt": Fifo()}, code="P150", says="pipe.txt': not a regular file", line=5),
    Case("trusted-stylesheet-device", '<link rel="stylesheet" href="file:///dev/stdin">\n', settings=TRUSTED,
         code="P150", says="device or process file", line=5),
    Case("trusted-stylesheet-remote", '<link rel="stylesheet" href="http://192.0.2.1/x.css">\n', settings=TRUSTED,
         code="P150", says="host '192.0.2.1' is not in allowed_hosts", line=5),
    # --- the project's own files, linked out of it -----------------------------------------------------------
    Case("source-symlink", files={"source/leak.md": Link("{out}/canary.md")}, code="P150", says="symbolic link",
         where="source/leak.md", slug="leak"),
    Case("source-folder-symlink", files={"source/leak": Link("{out}/dir")}, code="P150", says="symbolic link",
         where="source/leak/index.md", slug="leak"),
    Case("style-symlink", files={"styles/web.css": Link("{out}/canary.css")}, code="P150", says="symbolic link",
         where="styles/web.css", formats="html"),
    Case("template-symlink", files={"templates/web.html.j2": Link("{out}/canary.txt")}, code="P150",
         says="symbolic link", where="templates/web.html.j2", formats="html"),
    Case("font-symlink", files={"fonts/PTSerif-Regular.ttf": Link("{out}/canary.txt")}, code="P150",
         says="symbolic link", where="fonts/PTSerif-Regular.ttf", formats="html"),
    # --- front matter ----------------------------------------------------------------------------------------
    Case("front-image-dotdot", head="image: ../../outside/canary.jpg\n", code="P104", says="outside", line=4),
    Case("front-cover-absolute", head="cover: {out}/canary.jpg\n", code="P104", says="must be a path relative", line=4),
    Case("front-image-symlink", head="image: lead.jpg\n", files={"source/lead.jpg": Link("{out}/canary.jpg")},
         code="P104", says="outside", line=4),
    Case("yaml-python-object", head='keywords: !!python/object/apply:os.system ["echo {token} > {out}/pwned"]\n',
         code="P101", says="could not determine a constructor", line=4),
    Case("yaml-python-name", head="summary: !!python/name:os.system\n", code="P101", says="python/name", line=4),
    Case("yaml-duplicate-key", head="title: Again\n", code="P109", says="'title' is given twice", line=4),
    Case("yaml-unquoted-colon", head='subtitle: La huelga: crónica de "cuarenta" días\n', code="P101",
         says='must be in quotes: subtitle: "La huelga: crónica de \\"cuarenta\\" días"', line=4),
    # --- notes -----------------------------------------------------------------------------------------------------
    Case("note-call-without-note", "Un mínimo[^cinco] de la zona, `[^code]` no.\n", code="P112",
         says="note [^cinco] is called but never written", line=5),
    Case("note-never-called", "Texto[^uno].\n\n[^uno]: Llamada.\n\n[^dos]: Nadie la llama: {token}\n", warns="P113",
         says="note [^dos] is never called: it is left out", line=9),
    Case("key-misspelt", head="licence: CC BY\n", code="P102", says="unknown key 'licence': did you mean 'license'?", line=4),
    Case("yaml-alias-bomb", head="keywords: &a [x, x, x, x, x, x, x, x, x]\nsummary: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
         "date: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", code="P104", says="is not YYYY", line=6),
    Case("yaml-huge-number", head="subtitle: " + "9" * 5000 + "\n", code="P101",
         says="a number of 5,000 digits is longer than a number may be: put it in quotes", line=4),
    # --- front-matter values: inline text under the body's rules, at the value's line --------------------------
    Case("front-value-file-image", head='caption: "![x](file://{out}/canary.jpg)"\n', code="P105",
         says="caption: image 'file://", line=4),
    Case("front-value-remote-image", head='summary: "Hi ![t](http://192.0.2.1/t.png)"\n', code="P105",
         says="in a front-matter value", line=4),
    Case("front-value-javascript-link", head='subtitle: "Hi [click](javascript:alert(document.domain))"\n',
         warns="P120", says="subtitle: link 'javascript:alert(document.domain)' cannot be followed", line=4),
    Case("front-value-event-handler", head="subtitle: '*Hi*{{: onclick=\"alert(1)\" }}'\n", warns="P121",
         says="subtitle: attribute 'onclick' is not allowed", line=4, formats="html"),
    Case("front-value-blocks", head="summary: |\n  First\n\n      indented\n  # One\n  - two\n  ```\n  three\n  ```\n"
         "photo_credit: \"- Reuters\"\n", formats="epub,html"),
    Case("yaml-deep-nesting", head="keywords: " + "[" * 5000 + "\n", code="P101", says="invalid YAML", line=4),
    # --- the file itself ---------------------------------------------------------------------------------------
    Case("latin-1", raw="---\ntitle: Café\nauthor: A\n---\n\nTexte.\n".encode("latin-1"), code="P107",
         says="byte 14 (0xe9)", line=2),
    Case("utf-16", raw="---\ntitle: T\nauthor: A\n---\n".encode("utf-16"), code="P107", says="byte 0 (0xff)", line=1),
    Case("empty-file", raw=b"", code="P100", says="missing front matter"),
    Case("nul-bytes", raw=b"---\ntitle: T\nauthor: A\n---\n\nText\0with\0nuls.\n"),
    Case("front-matter-only", raw=b"---\ntitle: T\nauthor: A\n---\n"),
    Case("bom-crlf-no-heading", raw=b"\xef\xbb\xbf---\r\ntitle: T\r\nauthor: A\r\n---\r\n\r\nJust a paragraph.\r\n"),
    # --- images that are not what they claim -----------------------------------------------------------------
    Case("image-missing", "![x](images/absent.png)\n", code="P105", says="file 'images/absent.png' not found", line=5),
    Case("front-cover-missing", head="cover: absent.jpg\n", code="P104", says="file 'absent.jpg' not found", line=4),
    Case("image-empty", "![x](e.png)\n", files={"source/e.png": b""}, code="P105", says="'e.png' is empty", line=5),
    Case("image-truncated", "![x](t.png)\n", files={"source/t.png": noise()[:3000]}, code="P105",
         says="'t.png' is truncated", line=5),
    Case("image-not-an-image", "![x](n.png)\n", files={"source/n.png": "<html>not a picture</html>"}, code="P105",
         says="'n.png' is not a PNG image", line=5),
    Case("image-jpeg-named-png", "![x](j.png)\n", files={"source/j.png": jpeg()}, code="P105",
         says="'j.png' is not a PNG image", line=5),
    Case("image-bomb", "![x](b.png)\n", files={"source/b.png": bomb()}, code="P105",
         says="'b.png' has 900,000,000 pixels; an image may have at most 50,000,000", line=5),
    Case("image-too-many-pixels", "![x](m.png)\n", files={"source/m.png": bomb(8000, 8000)}, code="P105",
         says="'m.png' is 8000×8000 = 64,000,000 pixels; an image may have at most 50,000,000", line=5),
    Case("image-oversized", "![x](big.jpg)\n", files={"source/big.jpg": b"\xff\xd8\xff" + b"\0" * (41 * 1024 * 1024)},
         code="P105", says="'big.jpg' is 42,991,619 bytes", line=5),
    Case("front-image-truncated", head="image: t.jpg\nimage_alt: x\n", files={"source/t.jpg": jpeg()[:200]},
         code="P104", says="'t.jpg' is truncated", line=4),
    Case("svg-script", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'},
         code="P105", says="holds a <script>", line=5),
    Case("svg-external-image", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg" '
         'xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="file://{out}/canary.jpg" width="9" height="9"/></svg>'},
         code="P105", says="must be self-contained", line=5),
    Case("svg-entity-bomb", "![x](s.svg)\n", files={"source/s.svg": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
         '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&d;&d;&d;</text></svg>'},
         code="P105", says="'s.svg' declares a DOCTYPE of its own", line=5),
    # SVG that loads a stylesheet however it is written: EPUBCheck refuses it (RSC-006, RSC-007), the PDF drops the image
    Case("svg-xml-stylesheet", "![x](s.svg)\n", files={"source/s.svg": '<?xml-stylesheet href="file://{out}/canary.css" '
         'type="text/css"?><svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>'},
         code="P105", says="'s.svg' links a stylesheet (<?xml-stylesheet?>)", line=5),
    Case("svg-escaped-import", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg"><style>'
         '@\\69mport "file://{out}/canary.css";</style><rect width="9" height="9"/></svg>'},
         code="P105", says="'s.svg' imports a stylesheet (@import)", line=5),
    Case("svg-import-split-by-a-comment", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg">'
         '<style>@IM<!-- -->PORT "file://{out}/canary.css";</style><rect width="9" height="9"/></svg>'},
         code="P105", says="'s.svg' imports a stylesheet (@import)", line=5),
    Case("svg-escaped-url-in-a-style-attribute", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg">'
         '<rect width="9" height="9" style="fill: U\\72 l(file://{out}/canary.svg#a)"/></svg>'},
         code="P105", says="loads another file or URL through a style url()", line=5),
    Case("svg-url-in-a-presentation-attribute", "![x](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg">'
         '<rect width="9" height="9" fill="url(\'file://{out}/canary.svg#a\')"/></svg>'},
         code="P105", says="loads another file or URL through a style url()", line=5),
    Case("svg-own-gradient-builds", "![A red square](s.svg)\n", files={"source/s.svg": '<svg xmlns="http://www.w3.org/2000/svg" '
         'width="9" height="9"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
         '<style>rect {{ stroke: url(#g) }}</style><rect width="9" height="9" fill="url(#g)"/></svg>'}),
    # --- pathological Markdown: bounded time, or a clean P111 ----------------------------------------------------
    Case("backticks-50000", "`" * 50000 + "\n", formats="html"),
    Case("block-quotes-10000", "> " * 10000 + "deep\n", code="P111", says="10000 levels of block quotes", line=5),
    Case("lists-1000-deep", "".join("    " * i + "- item\n" for i in range(1000)), code="P111",
         says="lists nested that deep", line=106),
    Case("emphasis-50000", "*" * 50000 + "a" + "*" * 50000 + "\n", code="P111", says="nested too deeply"),
    Case("raw-divs-10000", "<div>" * 10000 + "deep" + "</div>" * 10000 + "\n", code="P111", says="nested 254+ levels"),
    Case("brackets-50000-over-time", "[" * 50000 + "\n", settings="render_timeout = 2\n", code="P151",
         says="longer than its budget of 2 s"),
]


def setup(project: Path, case: Case) -> None:
    out = project.parent / "outside"
    fill = {"out": str(out), "token": TOKEN}
    (project / "source").mkdir(parents=True)
    if case.settings:
        (project / "pyproject.toml").write_text("[tool.publish]\n" + case.settings, encoding="utf-8")
    source = project / "source" / "hostile.md"
    if case.raw is not None:
        source.write_bytes(case.raw)
    else:
        head = "---\ntitle: Hostile\nauthor: Someone\n" + case.head.format(**fill) + "---\n"  # the body's first line: 5 + head
        source.write_text(head + case.body.format(**fill), encoding="utf-8")
    for name, content in case.files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            path.symlink_to(content.format(**fill))
        elif isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.format(**fill), encoding="utf-8")


def views(path: Path):
    """Every form the bytes of an output take: as stored, unzipped, PDF streams decoded and text, data: URIs decoded."""
    data = path.read_bytes()
    yield data
    if data.startswith(b"PK"):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield z.read(name)
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader
        from pypdf.generic import StreamObject

        reader = PdfReader(path)
        for number in range(1, int(reader.trailer["/Size"])):
            try:
                obj = reader.get_object(number)
            except Exception:  # a free entry
                continue
            if isinstance(obj, StreamObject):
                yield obj.get_data()
        for page in reader.pages:
            yield page.extract_text().encode("utf-8")
        for contents in reader.attachments.values():
            yield from contents
    for match in re.finditer(rb"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)", data):
        yield base64.b64decode(match.group(1))


def leaks(folder: Path) -> list[str]:
    needles = (TOKEN.encode(), TOKEN.encode("utf-16-be"), base64.b64encode(TOKEN.encode())[:16])
    return [p.name for p in folder.rglob("*") if p.is_file() and any(n in v for v in views(p) for n in needles)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch, capsys):
    project = tmp_path / "project"
    canaries(tmp_path / "outside")
    setup(project, case)
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    monkeypatch.delenv("PUBLISH_DEBUG", raising=False)

    status = main(["build", "--format", case.formats])
    out, err = capsys.readouterr()

    assert "Traceback" not in err + out
    assert TOKEN not in err + out, "the canary's content reached a message"
    dist = project / "dist"
    built = sorted(p.name for p in dist.iterdir())
    assert not [n for n in built if n.startswith(".")], f"temporary files left: {built}"
    assert not leaks(dist), "the canary reached an output"
    assert not (tmp_path / "outside" / "pwned").exists()
    found = [m for m in map(DIAGNOSTIC.match, err.splitlines()) if m]
    errors = [m for m in found if m["severity"] == "error"]
    if case.code is None:
        assert status == 0, err
        assert not errors, err
        assert {f"hostile.{ext}" for ext in case.formats.split(",")} <= set(built)
        assert case.warns is None or any(m["code"] == case.warns and case.says in m["message"] and
                                         (case.line is None or int(m["line"]) == case.line) for m in found), err
        return
    assert status == 1, err
    assert not [n for n in built if n.split(".")[0] in (case.slug, "canary")], "a refused source left an artifact"
    assert any(m["code"] == case.code and m["path"] == case.where and case.says in m["message"]
               and (case.line is None or int(m["line"]) == case.line) for m in errors), err


def test_the_catalogue_is_big_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_canary_detector_finds_the_token_where_it_is(tmp_path: Path, monkeypatch, capsys):
    """The control: a pamphlet that carries the token on purpose (its text, and a JPEG comment) is caught in every format."""
    project = tmp_path / "project"
    setup(project, Case("control", f"{TOKEN}\n\n![A square](square.jpg)\n"))
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(image, "JPEG", comment=b"x" + TOKEN.encode())
    (project / "source" / "square.jpg").write_bytes(image.getvalue())
    monkeypatch.chdir(project)
    assert main(["build"]) == 0, capsys.readouterr().err
    assert sorted(leaks(project / "dist")) == ["hostile.booklet.pdf", "hostile.epub", "hostile.html", "hostile.pdf",
                                               "hostile.press.pdf"]
    (project / "source" / "hostile.md").write_text("---\ntitle: T\nauthor: A\n---\n\n![A square](square.jpg)\n")
    assert main(["build", "--format", "pdf,epub,html", "--out", "dist2"]) == 0
    assert sorted(leaks(project / "dist2")) == ["hostile.epub", "hostile.html", "hostile.pdf"]  # the image alone
