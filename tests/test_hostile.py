"""Hostile Markdown: raw HTML, scripts, links and images that try to reach outside the pamphlet."""

from __future__ import annotations

import hashlib
import html
import json
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from publish.errors import PublishError
from publish.fetch import FetchRefused, FetchStopped, local_path, weasyprint_fetcher
from publish.markup import to_document
from publish.pipeline import build
from publish.sources import load

HEAD = "---\ntitle: Hostile\nauthor: Someone\n---\n"  # lines 1-4; the body starts on line 5


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document or fragment."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag):]

    def handle_data(self, data):
        self.text.append(data)

    def named(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.tags if tag == name]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir()
    return tmp_path


def write(project: Path, body: str, name: str = "hostile.md", head: str = HEAD) -> Path:
    path = project / "source" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + body, encoding="utf-8")
    return path


def body_of(path: Path) -> str:
    return to_document(load(path, "source/hostile.md")).body


def converted(path: Path) -> tuple[str, list]:
    """The body HTML and no diagnostics, or no body and the diagnostics that refused it."""
    try:
        return body_of(path), []
    except PublishError as exc:
        return "", list(exc.diagnostics)


def warned(path: Path) -> tuple[str, list]:
    """The body HTML and its warnings about links and attributes (not about alt text)."""
    document = to_document(load(path, "source/hostile.md"))
    return document.body, [d for d in document.warnings if d.code != "P110"]


def refused(path: Path) -> list:
    with pytest.raises(PublishError) as caught:
        to_document(load(path, "source/hostile.md"))
    return list(caught.value.diagnostics)


RAW = """
Before <script>alert(1)</script> after.

<script>alert(2)</script>

<iframe src="https://evil.example/"></iframe>

A <b onmouseover="alert(3)">bold</b> move.
"""


# --- raw HTML is sanitised -----------------------------------------------------------------------


def test_raw_html_in_the_body_is_sanitised(project):
    body = body_of(write(project, RAW))
    tags = Tags(body)
    names = {tag for tag, _ in tags.tags}
    assert not names & {"script", "iframe"}, names
    assert tags.named("b") == [{}]  # the tag is kept, its event handler is not
    assert "alert" not in body and "evil.example" not in body
    assert "Before  after." in tags.all_text
    assert "A bold move." in tags.all_text


def test_raw_image_outside_the_pamphlet_is_p105_naming_the_line(project):
    [d] = refused(write(project, RAW + '\n<img src="/etc/passwd">\n'))  # line 14
    assert (d.code, d.line, d.col) == ("P105", 14, 11)
    assert "/etc/passwd" in d.message


def test_html_edition_carries_no_hostile_html(project):
    write(project, RAW)
    manifest = build(["source/hostile.md"], out=project / "dist", formats=["html"], root=project)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    page = (project / "dist" / "hostile.html").read_text(encoding="utf-8")
    tags = Tags(page)
    assert not tags.named("iframe")
    assert "alert" not in page and "evil.example" not in page
    assert all(not k.startswith("on") for _, attrs in tags.tags for k in attrs)
    assert "A <b>bold</b> move." in page


def test_hostile_front_matter_is_escaped_in_the_html_edition(project):
    head = (
        "---\n"
        "title: \"<script>alert('title')</script> Title\"\n"
        "author: \"<img src=x onerror=alert(1)>\"\n"
        "summary: \"</title><script>alert('summary')</script>\"\n"
        "---\n"
    )
    write(project, "\nText.\n", head=head)
    manifest = build(["source/hostile.md"], out=project / "dist", formats=["html"], root=project)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    page = (project / "dist" / "hostile.html").read_text(encoding="utf-8")
    tags = Tags(page)
    assert "<script>alert" not in page
    assert not [a for a in tags.named("img") if a.get("src") == "x"]
    assert all(not k.startswith("on") for _, attrs in tags.tags for k in attrs)
    title = html.unescape(page.split("<title>", 1)[1].split("</title>", 1)[0])
    assert title.startswith("<script>alert(") and title.endswith("</script> Title"), title


@pytest.mark.parametrize(
    "snippet, attribute, line",
    [
        ('A paragraph.\n{: onclick="alert(1)" }\n', "onclick", 7),
        ('[link](https://example.org){: onmouseover="alert(2)" }\n', "onmouseover", 6),
        ('## Heading {: onfocus="alert(3)" tabindex="0" }\n', "onfocus", 6),
    ],
)
def test_attribute_lists_cannot_add_event_handlers(project, snippet, attribute, line):
    """Either the source is refused at the attribute's line, or the attribute never reaches the HTML."""
    body, diagnostics = converted(write(project, "\n" + snippet))
    if diagnostics:
        assert {d.line for d in diagnostics} == {line}, [str(d) for d in diagnostics]
        assert any(attribute in d.message for d in diagnostics), [str(d) for d in diagnostics]
    else:
        attributes = [k for _, attrs in Tags(body).tags for k in attrs]
        assert not [k for k in attributes if k.lower().startswith("on")], body


def test_attribute_lists_cannot_pull_remote_files_through_style(project):
    body, diagnostics = converted(write(project, "\nStyled.\n{: style=\"background:url(https://evil.example/t.png)\" }\n"))
    if diagnostics:
        assert [(d.line, "style" in d.message) for d in diagnostics] == [(7, True)], [str(d) for d in diagnostics]
    else:
        assert "evil.example" not in body, body


def test_attribute_lists_cannot_swap_in_a_bad_href(project):
    body, [d] = warned(write(project, '\n[a](https://example.org){: href="javascript:alert(1)" }\n'))
    assert (d.code, d.line, d.severity) == ("P120", 6, "warning")
    assert "javascript" not in body and "<a" not in body and body.strip() == "<p>a</p>"


def test_attribute_lists_cannot_swap_in_a_bad_src(project):
    (project / "source" / "pic.png").write_bytes(png())
    [d] = refused(write(project, '\n![x](pic.png){: src="/etc/passwd" }\n'))
    assert (d.code, d.line) == ("P105", 6)


def test_quote_in_a_link_url_does_not_break_out_of_the_attribute(project):
    body, [d] = warned(write(project, '\n[click](https://example.org/" onmouseover="alert(3))\n'))
    assert Tags(body).named("a") == [] and "<p>click)</p>" in body
    assert (d.code, d.line, d.severity) == ("P120", 6, "warning") and "not a URL" in d.message


# --- images that reach outside: P105 -----------------------------------------------------------


@pytest.mark.parametrize("src", ["../../etc/passwd", "/etc/hostname", "file:///etc/hostname", "https://evil.example/x.png",
                                 "data:image/svg+xml,<svg/onload=alert(1)>", "images/../../outside.png"])
def test_image_outside_the_pamphlet_is_p105_naming_the_line(project, src):
    (project / "outside.png").write_bytes(png())
    path = write(project, f"\nIntro.\n\n![x]({src})\n")  # the image is on line 8
    [d] = refused(path)
    assert (d.path, d.code, d.line) == ("source/hostile.md", "P105", 8)
    assert d.severity == "error"
    assert src.split("<")[0] in d.message


def test_every_bad_image_is_reported_at_once(project):
    body = "\n![a](../../etc/passwd)\n\nText.\n\n![b](/etc/hostname)\n\n![c](file:///etc/hostname)\n"
    diagnostics = refused(write(project, body))
    assert sorted((d.line, d.code) for d in diagnostics) == [(6, "P105"), (10, "P105"), (12, "P105")]


def test_reference_style_image_outside_is_p105_on_the_definition_line(project):
    diagnostics = refused(write(project, "\n![x][pic]\n\n[pic]: /etc/hostname\n"))
    assert [(d.code, d.line) for d in diagnostics] == [("P105", 8)]


def test_image_symlinked_outside_is_p105(project, tmp_path):
    target = tmp_path / "secret.png"
    target.write_bytes(png())
    (project / "source" / "pic.png").symlink_to(target)
    [d] = refused(write(project, "\n![x](pic.png)\n"))
    assert (d.code, d.line) == ("P105", 6)
    assert "outside" in d.message


def test_missing_image_is_p105(project):
    [d] = refused(write(project, "\nText.\n\n![x](images/absent.png)\n"))
    assert (d.code, d.line) == ("P105", 8)
    assert "not found" in d.message


def test_p105_names_the_line_of_the_image_not_an_earlier_mention(project):
    [d] = refused(write(project, "\nNever read /etc/hostname in a pamphlet.\n\n![x](/etc/hostname)\n"))
    assert (d.code, d.line) == ("P105", 8)


def test_image_inside_the_folder_is_inlined_in_the_html_edition(project):
    images = project / "source" / "images"
    images.mkdir()
    (images / "dot.png").write_bytes(png())
    write(project, "\n![A dot](images/dot.png \"A caption\")\n")
    document = to_document(load(project / "source" / "hostile.md"))
    assert [a.href for a in document.assets] == ["images/dot.png"]
    assert "<figcaption>A caption</figcaption>" in document.body
    build(["source/hostile.md"], out=project / "dist", formats=["html"], root=project)
    page = (project / "dist" / "hostile.html").read_text(encoding="utf-8")
    srcs = [a["src"] for a in Tags(page).named("img")]
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs), srcs


# --- links: P120 warnings, the words kept without the link ---------------------------------------


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JavaScript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>x</b>",
     "file:///etc/passwd", "&#106;avascript:alert(1)"],
)
def test_unsafe_link_is_a_p120_warning_naming_the_line_and_loses_its_href(project, href):
    path = write(project, f"\nIntro.\n\nClick [a]({href}) now.\n")  # line 8
    body, [d] = warned(path)
    assert (d.path, d.code, d.line, d.severity) == ("source/hostile.md", "P120", 8, "warning")
    assert "link" in d.message
    assert "<a" not in body and "<p>Click a now.</p>" in body


def test_a_protocol_relative_link_is_https(project):
    body, problems = warned(write(project, "\n[a](//example.org/x)\n"))
    assert problems == [] and [a["href"] for a in Tags(body).named("a")] == ["https://example.org/x"]


def test_reference_style_javascript_link_is_p120(project):
    body, [d] = warned(write(project, "\nSee [this][x].\n\n[x]: javascript:alert(1)\n"))
    assert (d.code, d.line) == ("P120", 8)
    assert "<a" not in body


def test_bad_links_and_images_are_reported_together(project):
    body = "\n[a](javascript:alert(1))\n\n![b](../../etc/passwd)\n"
    diagnostics = refused(write(project, body))
    assert sorted((d.line, d.code, d.severity) for d in diagnostics) == [(6, "P120", "warning"), (8, "P105", "error")]


@pytest.mark.parametrize(
    "markdown, paragraph",
    [
        ("See [the report](#) now.", "<p>See the report now.</p>"),
        ("[a](#)", "<p>a</p>"),
        ("See [the report]() now.", "<p>See the report now.</p>"),
        ("See [**bold** words](#) now.", "<p>See <strong>bold</strong> words now.</p>"),
        ("First [one](#), then [two](#).", "<p>First one, then two.</p>"),
    ],
)
def test_empty_links_are_unwrapped_to_text(project, markdown, paragraph):
    body = body_of(write(project, "\n" + markdown + "\n"))
    assert "<a" not in body
    assert body.strip() == paragraph


def test_safe_links_are_kept(project):
    body = body_of(write(project, "\n## Part one\n\n[web](https://example.org/a?b=1&c=2), [mail](mailto:x@example.org), [up](#part-one).\n"))
    hrefs = [a["href"] for a in Tags(body).named("a")]
    assert hrefs == ["https://example.org/a?b=1&c=2", "mailto:x@example.org", "#part-one"]


# --- the renderers' fetcher ----------------------------------------------------------------------


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "styles").mkdir(parents=True)
    (root / "styles" / "base.css").write_text("p {}", encoding="utf-8")
    return root


@pytest.mark.parametrize("url", ["http://example.org/x.css", "https://example.org/font.woff2", "ftp://example.org/x",
                                 "//example.org/x.png", "file://evil.example/etc/passwd"])
def test_fetch_refuses_remote_urls(allowed, url):
    with pytest.raises(FetchRefused):
        local_path(url, (allowed,))


def test_fetch_refuses_files_outside_the_allowed_folders(allowed, tmp_path):
    outside = tmp_path / "secret.css"
    outside.write_text("x", encoding="utf-8")
    sibling = tmp_path / "proj-evil"
    sibling.mkdir()
    (sibling / "a.css").write_text("x", encoding="utf-8")
    for url in (
        "file:///etc/hostname",
        outside.as_uri(),
        (allowed / "styles" / ".." / ".." / "secret.css").as_uri(),
        f"file://{allowed}/styles/%2e%2e/%2e%2e/secret.css",
        (sibling / "a.css").as_uri(),
    ):
        with pytest.raises(FetchRefused):
            local_path(url, (allowed,))


def test_fetch_refuses_a_symlink_out_of_the_allowed_folders(allowed, tmp_path):
    outside = tmp_path / "secret.css"
    outside.write_text("x", encoding="utf-8")
    (allowed / "styles" / "link.css").symlink_to(outside)
    with pytest.raises(FetchRefused):
        local_path((allowed / "styles" / "link.css").as_uri(), (allowed,))


def test_fetch_reports_a_missing_file_as_missing_not_refused(allowed):
    """Missing is a WeasyPrint warning (R200) like any missing file; refused is an error (P150)."""
    with pytest.raises(FileNotFoundError):
        local_path((allowed / "styles" / "absent.css").as_uri(), (allowed,))


def test_fetch_reads_files_inside_the_allowed_folders(allowed, tmp_path):
    other = tmp_path / "fonts"
    other.mkdir()
    (other / "a font.ttf").write_bytes(b"\0")
    assert local_path((allowed / "styles" / "base.css").as_uri(), (allowed,)) == (allowed / "styles" / "base.css").resolve()
    assert local_path((other / "a font.ttf").as_uri(), (allowed, other)) == (other / "a font.ttf").resolve()
    assert local_path(f"file://localhost{allowed}/styles/base.css", (allowed,)).name == "base.css"


def test_weasyprint_fetcher_refuses_the_network_and_passes_data_urls(allowed):
    """A refusal stops WeasyPrint (a BaseException, which it does not turn into a warning) and is logged for the source."""
    fetcher = weasyprint_fetcher((allowed,))
    for url in ("https://example.org/tracker.png", "file:///etc/hostname"):
        with pytest.raises(FetchStopped, match="refused to load"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    assert fetcher.fetch((allowed / "styles" / "base.css").as_uri()).read() == b"p {}"


# --- what the EPUB and the web edition read: the same rules ----------------------------------------------


def test_read_file_reads_a_regular_file_inside(allowed):
    from publish.fetch import read_file

    assert read_file(allowed / "styles" / "base.css", (allowed,)) == b"p {}"


def test_read_file_refuses_a_link_out_a_fifo_and_a_file_too_large(allowed, tmp_path):
    import os

    from publish.fetch import read_file

    (tmp_path / "secret.png").write_bytes(b"secret")
    (allowed / "styles" / "link.png").symlink_to(tmp_path / "secret.png")
    os.mkfifo(allowed / "styles" / "pipe.png")  # a naive read would wait for a writer for ever
    (allowed / "styles" / "big.png").write_bytes(b"\0" * 2048)
    with pytest.raises(FetchRefused, match="symbolic link to a file outside"):
        read_file(allowed / "styles" / "link.png", (allowed,))
    with pytest.raises(FetchRefused, match="not a regular file"):
        read_file(allowed / "styles" / "pipe.png", (allowed,))
    with pytest.raises(FetchRefused, match="larger than"):
        read_file(allowed / "styles" / "big.png", (allowed,), limit=1024)
    with pytest.raises(FetchRefused, match="outside the project"):
        read_file(tmp_path / "secret.png", (allowed,))


def test_fetch_refuses_devices_and_names_them(allowed):
    for url in ("file:///dev/zero", "file:///dev/stdin", "file:///proc/self/environ"):
        with pytest.raises(FetchRefused, match="device or process file"):
            local_path(url, (allowed,))


# --- nothing reaches P900: values out of what a format, a setting or an option can hold -------------------------

DIAGNOSTIC = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|note) "
                        r"(?P<code>[PR]\d{3}): (?P<message>.+)$", re.M)


def run(argv: list[str], capsys) -> tuple[int, list[re.Match], str]:
    """main(argv) in-process: its exit status, the diagnostics it printed, and all of stderr."""
    from publish.cli import main

    status = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "P900" not in err, err
    return status, list(DIAGNOSTIC.finditer(err)), err


@pytest.fixture
def here(project, monkeypatch):
    """The project as the current folder, with one good source and no SOURCE_DATE_EPOCH."""
    monkeypatch.chdir(project)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write(project, "\nText.\n", name="good.md")
    return project


@pytest.mark.parametrize("date, says", [("0000", "there is no year 0000"), ("2022-02-30", "is not a day of the calendar")])
def test_a_date_no_calendar_has_is_p104_at_its_line(project, date, says):
    [d] = refused(write(project, "\nText.\n", head=f'---\ntitle: T\nauthor: A\ndate: "{date}"\n---\n'))
    assert (d.code, d.line, d.col) == ("P104", 4, 1) and says in d.message, str(d)


@pytest.fixture(scope="module")
def far_dates(tmp_path_factory):
    """Sources dated 0999 and 2150 (no SOURCE_DATE_EPOCH: they date the EPUB's files), and one whose source_url no
    QR code holds, built as PDF and EPUB once; and a source built as EPUB with a SOURCE_DATE_EPOCH in 2286."""
    root = tmp_path_factory.mktemp("far-dates")
    long_url = "https://example.org/" + "x" * 3000
    heads = {"old": 'date: "0999-03"\n', "future": "date: 2150-06-01\nsource_url: https://example.org/\n", "long-url": f"date: 2022-01-10\nsource_url: {long_url}\n"}
    for slug, lines in heads.items():
        write(root, "\nText.\n", name=f"{slug}.md", head=f"---\ntitle: T\nauthor: A\n{lines}---\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        dated = build(["source"], out=root / "dist", formats=["pdf", "epub"], root=root)
        late = root / "late"
        write(late, "\nText.\n", name="late.md", head="---\ntitle: T\nauthor: A\n---\n")
        patch.setenv("SOURCE_DATE_EPOCH", "9999999999")  # 2286-11-20T17:46:39Z
        epoch = build(["source"], out=late / "dist", formats=["epub"], root=late)
    return root, dated, late, epoch


def epub_dates(path: Path) -> tuple[str, set[tuple]]:
    """The package's dcterms:modified, and the timestamps of the zip's entries."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        opf = z.read("EPUB/content.opf").decode()
        stamps = {info.date_time for info in z.infolist()}
    return re.search(r'property="dcterms:modified">([^<]*)<', opf).group(1), stamps


def pdf_dates(path: Path) -> tuple[str, str]:
    from pypdf import PdfReader

    info = PdfReader(path).metadata
    return info["/CreationDate"], info["/ModDate"]


def test_a_date_before_the_year_1000_is_written_with_four_digits(far_dates):
    """strftime wrote the year 999 as "999": EPUBCheck refused the package (RSC-005) and the PDF lost its ModDate."""
    root, manifest, _, _ = far_dates
    assert "source/old.md" not in manifest.failed, [str(d) for d in manifest.diagnostics]
    modified, stamps = epub_dates(root / "dist" / "old.epub")
    assert modified == "0999-03-01T00:00:00Z" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)
    assert stamps == {(1980, 1, 1, 0, 0, 0)}  # the first a zip can hold
    assert pdf_dates(root / "dist" / "old.pdf") == ("D:099903", "D:09990301000000Z")


def test_a_date_after_2107_dates_the_epubs_files_at_the_last_time_a_zip_holds(far_dates):
    root, manifest, _, _ = far_dates
    assert "source/future.md" not in manifest.failed, [str(d) for d in manifest.diagnostics]
    assert epub_dates(root / "dist" / "future.epub") == ("2150-06-01T00:00:00Z", {(2107, 12, 31, 23, 59, 58)})
    assert pdf_dates(root / "dist" / "future.pdf")[1] == "D:21500601000000Z"


def test_a_source_date_epoch_after_2107_builds_an_epub(far_dates):
    _, _, late, manifest = far_dates
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    assert epub_dates(late / "dist" / "late.epub") == ("2286-11-20T17:46:39Z", {(2107, 12, 31, 23, 59, 58)})


def test_a_source_url_no_qr_code_holds_leaves_it_out_with_p126_at_its_line(far_dates):
    import subprocess

    root, manifest, _, _ = far_dates
    [d] = [d for d in manifest.diagnostics if d.path == "source/long-url.md"]
    assert (d.code, d.line, d.severity) == ("P126", 5, "warning") and "3,020 bytes" in d.message, str(d)
    text = subprocess.run(["pdftotext", str(root / "dist" / "long-url.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    reference = subprocess.run(["pdftotext", str(root / "dist" / "future.pdf"), "-"], capture_output=True, text=True,
                               check=True).stdout
    label = "READITONLINE"  # under the QR code, in spaced capitals
    assert label in re.sub(r"\s", "", reference) and label not in re.sub(r"\s", "", text.upper())


@pytest.mark.parametrize("settings, line, code, says", [
    ("tool = 5\n", 1, "P131", "tool is not a table"),
    ("[tool]\npublish = 5\n", 2, "P131", "tool.publish is not a table"),
    ("[tool.publish]\nstyles = 5\n", 2, "P133", "styles: 5 is not the name of a folder"),
    ("[tool.publish]\nraw_html = \"trusted\"\nrender_timeout = inf\n", 3, "P133", "render_timeout: inf is not a number of seconds"),
    ("[tool.publish]\nrender_timeout = nan\n", 2, "P133", "render_timeout: nan is not"),
    ("[tool.publish]\nrender_timeout = 1e300\n", 2, "P133", "at most 86,400"),
    ("[tool.publish]\nrender_memory = inf\n", 2, "P133", "render_memory: inf is not a number of MB"),
    ("[tool.publish]\nsignature = 100000000000\n", 2, "P133", "more pages than one fold holds"),
    ("[tool.publish]\nfonts = \"../..\"\n", 2, "P133", "is outside the project"),
    ("[tool.publish]\ntemplates = \"nowhere\"\n", 2, "P133", "there is no folder 'nowhere'"),
    ("[tool.publish]\ntheme = [\"photocopy\"]\n", 2, "P133", "is not the name of a theme"),
    ("[tool]\npublish.render_memory = -1\n", 2, "P133", "render_memory: -1"),
    ("[tool.publish]\nraw_html = \"sanitise\"\nrender_memory = " + "9" * 5000 + "\n", 3, "P131", "longer than 4,300 digits"),
    ("[tool.publish]\nrender_memory = " + "[" * 5000 + "]" * 5000 + "\n", 2, "P131", "nested too deeply"),
])
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_setting_of_the_wrong_type_or_out_of_range_is_an_error_at_its_line(here, capsys, settings, line, code, says, command):
    (here / "pyproject.toml").write_text(settings, encoding="utf-8")
    status, [d], err = run([command, "--format", "html"] if command == "build" else [command], capsys)
    assert status == 1 and not (here / "dist").exists()
    assert (Path(d["path"]).name, int(d["line"]), d["code"]) == ("pyproject.toml", line, code) and says in d["message"], err


@pytest.mark.parametrize("manifest, says", [
    ('{"artifacts":[{}]}', "artifact 1 is not a file name with its format"),
    ('{"artifacts":[{"path":"good.html","format":"html"}, 5]}', "artifact 2 is not"),
    ('{"artifacts":[{"path":"..","format":"pdf"}]}', "artifact 1 is not"),
    ('{"artifacts":{}}', 'no list of "artifacts"'),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_a_malformed_manifest_is_p320_under_check(here, capsys, manifest, says):
    (here / "dist").mkdir()
    (here / "dist" / "manifest.json").write_text(manifest, encoding="utf-8")
    status, found, err = run(["check"], capsys)
    assert status == 1 and any(m["code"] == "P320" and says in m["message"] and m["path"].endswith("manifest.json")
                               for m in found), err


def test_a_manifest_naming_a_source_no_file_system_holds_is_not_a_crash(here, capsys):
    assert run(["build", "--format", "html"], capsys)[0] == 0
    for source in ("\u0000", "x" * 300):
        sha256 = hashlib.sha256((here / "dist" / "good.html").read_bytes()).hexdigest()
        entry = {"path": "good.html", "format": "html", "source": source, "sha256": sha256}
        (here / "dist" / "manifest.json").write_text(json.dumps({"artifacts": [entry]}), encoding="utf-8")
        status, found, err = run(["check"], capsys)
        assert status == 0 and [m["code"] for m in found if m["path"] == "dist/good.html"] == ["P165"], err


@pytest.mark.parametrize("argv, option, says", [
    (["watch", "--port", "70000"], "--port", "70000 is not a port"),
    (["watch", "--port", "-1"], "--port", "-1 is not a port"),
    (["build", "--format", "html,html"], "--format", "html is given twice"),
    (["build", "--jobs", "0"], "--jobs", "give 1 or more"),
    (["build", "--jobs", "many"], "--jobs", "'many' is not a whole number"),
    (["build", "--out", "dist\0"], "--out", "holds a NUL character"),
    (["check", "--out", "x" * 300], "--out", "longer than a file name may be"),
    (["build", "x" * 300], "publish build", "longer than a file name may be"),
    (["frobnicate"], "publish", "invalid choice: 'frobnicate'"),
])
def test_a_bad_option_is_p134_naming_it_and_exits_2(here, capsys, argv, option, says):
    status, [d], err = run(argv, capsys)
    assert status == 2 and err.startswith("usage: publish")
    assert (d["path"], d["line"], d["col"], d["code"]) == (option, "1", "1", "P134") and says in d["message"], err
    assert not (here / "dist").exists()


def test_a_folder_named_like_a_source_is_refused_and_the_others_build(here, capsys):
    (here / "source" / "x.md").mkdir()
    status, [d], err = run(["build", "--format", "html"], capsys)
    assert status == 1 and (d["path"], d["code"]) == ("source/x.md", "P150") and "not a regular file" in d["message"], err
    assert sorted(p.name for p in (here / "dist").iterdir()) == ["good.html", "manifest.json"]


def test_an_image_name_longer_than_the_file_system_allows_is_an_error_at_its_line(project):
    name = "x" * 300 + ".png"
    [d] = refused(write(project, "\nText.\n", head=f"---\ntitle: T\nauthor: A\nimage: {name}\n---\n"))
    assert (d.code, d.line) == ("P104", 4) and "File name too long" in d.message, str(d)
    [d] = refused(write(project, f"\nText.\n\n![a]({name})\n"))
    assert (d.code, d.line) == ("P105", 8) and "File name too long" in d.message, str(d)
    [d] = refused(write(project, "\n![a](%00.png)\n"))
    assert (d.code, d.line) == ("P105", 6) and "NUL" in d.message, str(d)


def test_a_link_to_a_name_longer_than_the_file_system_allows_is_only_a_link(project):
    """Whether it is another pamphlet of the project is looked up on disk, where no such name can be."""
    from publish.links import Project

    path = write(project, f"\n[a]({'x' * 300}.md) and [b]({'x' * 300}/).\n",
                 head="---\ntitle: T\nauthor: A\nsource_url: https://example.org/a/\n---\n")
    document = to_document(load(path, "source/hostile.md"), "sanitise", Project(project, ""))
    hrefs = [a["href"] for a in Tags(document.body).named("a")]
    assert hrefs == [f"https://example.org/a/{'x' * 300}.md", f"https://example.org/a/{'x' * 300}/"]
    assert [d for d in document.warnings if d.code != "P110"] == []


def test_a_format_named_twice_through_the_library_is_built_once(here):
    manifest = build(["source/good.md"], out=here / "dist", formats=["html", "html"], root=here)
    assert manifest.ok and [a.path for a in manifest.artifacts] == ["good.html"], [str(d) for d in manifest.diagnostics]
