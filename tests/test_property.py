"""Property: any body text and any front-matter values of the right keys give valid outputs or a clean PublishError.

Never another exception. The stages are called directly (not through build(), which would turn a crash into
a P900 diagnostic), with the real renderers. Examples are bounded so that CI stays fast: the web and EPUB
editions for most, the PDF for a few.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import tomllib
import zipfile
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.config import SETTINGS, load_config
from publish.errors import PublishError
from publish.markup import to_document
from publish.render import FORMATS
from publish.render.epub import render_epub
from publish.render.html import render_html
from publish.render.pdf import render_pdf
from publish.render.printed import PrintEdition
from publish.sources import ALLOWED, load

SCALARS = st.one_of(
    st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none(),
    st.dates().map(str), st.sampled_from(["en", "ru", "kk", "es-419", "x", "images/none.png", "https://example.org/"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))
ANY_FRONT = st.fixed_dictionaries({"title": VALUES, "author": VALUES},  # the right keys, any values at all
                                  optional={key: VALUES for key in ALLOWED if key not in ("title", "author")})
# Any characters a writer can type or paste (RTL, combining marks, emoji, unassigned code points); control
# characters come through VALUES, in the test of any values at all.
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
NAMES = st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3))
PLAUSIBLE = {  # the values a writer means to give, with any text in them: most build, so the body gets exercised
    "subtitle": TEXT, "summary": TEXT, "caption": TEXT, "photo_credit": TEXT, "publisher": TEXT, "license": TEXT,
    "image_alt": TEXT, "identifier": TEXT, "translator": NAMES, "keywords": NAMES,
    "date": st.dates().flatmap(lambda d: st.sampled_from([d.isoformat(), d.isoformat()[:7], d.isoformat()[:4]])),
    "lang": st.sampled_from(["en", "es", "ru", "kk", "de", "tr", "ar", "zh-Hans", "kk-Cyrl", "fr-CA"]),
    "source_url": st.from_regex(r"https?://[a-z]{1,8}\.org/[^\s<>\"]{0,12}", fullmatch=True),
}
FRONT = st.fixed_dictionaries({"title": TEXT, "author": NAMES}, optional=PLAUSIBLE)
MARKDOWN = st.sampled_from(["# ", "## ", "> ", "- ", "1. ", "*", "**", "_", "`", "```\n", "[", "](", ")", "![a](", "[^1]",
                            "[^1]: ", "<div>", "</div>", "<img src=x>", "<script>", "&amp;", "&", "|", "---", "\n", "\n\n",
                            "{: #id .c }", "\t", "\r\n", "    ", "<!--", "-->", "<![CDATA[", "\x00", "\u00ad", "\ufeff",
                            "<table><tr><td>", "| a | b |\n|---|---|\n| 1 | 2 |\n", "Term\n: Definition\n", "\u202e", "😀"])
BODY = st.lists(st.one_of(st.text(max_size=20), MARKDOWN), max_size=40).map("".join)
RAW_FRONT = st.text(max_size=60)  # front matter that is not even YAML


def source_file(folder: Path, front: dict | str, body: str) -> Path:
    header = front if isinstance(front, str) else yaml.safe_dump(front, allow_unicode=True)
    path = folder / "source" / "pamphlet.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{header}\n---\n{body}", encoding="utf-8")
    return path


def check_html(data: bytes) -> None:
    page = lxml.html.document_fromstring(data)
    assert page.tag == "html" and page.find("body") is not None


def check_epub(data: bytes) -> None:
    """A zip with the stored mimetype first, and every XML entry well-formed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and z.read("mimetype") == b"application/epub+zip"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert z.testzip() is None
        for info in infos:
            if info.filename.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                etree.fromstring(z.read(info.filename))


def outputs(front: dict | str, body: str, raw_html: str, formats: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(folder)
        try:
            document = to_document(load(source_file(Path(folder), front, body), "source/pamphlet.md"), raw_html)
            layout = PrintEdition(config, document)
            made = {f: {"html": render_html, "epub": render_epub, "pdf": render_pdf}[f](config, document, layout) for f in formats}
        except PublishError as exc:
            assert exc.diagnostics and all(d.path == "source/pamphlet.md" and d.code[0] == "P" for d in exc.diagnostics)
            event(f"refused: {exc.diagnostics[0].code}")
            return
    event("built")
    for fmt, output in made.items():
        assert output.data
        if fmt == "html":
            check_html(output.data)
        elif fmt == "epub":
            check_epub(output.data)
        else:
            from pypdf import PdfReader

            assert len(PdfReader(io.BytesIO(output.data)).pages) == output.pages >= 1


FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def fixed_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")


@settings(FAST, max_examples=15)
@given(front=FRONT, body=BODY, raw_html=st.sampled_from(["sanitise", "trusted"]))
def test_any_body_and_front_matter_text_give_an_epub_and_a_web_page_or_a_clean_error(front, body, raw_html):
    outputs(front, body, raw_html, ("html", "epub"))  # the EPUB lays out the print edition too (page list, cover)


@FAST
@given(front=st.one_of(ANY_FRONT, RAW_FRONT), body=st.text(max_size=200))
def test_any_front_matter_values_or_any_text_at_all_give_a_web_page_or_a_clean_error(front, body):
    outputs(front, body, "sanitise", ("html",))


@settings(FAST, max_examples=5)
@given(front=FRONT, body=BODY)
def test_any_body_and_front_matter_text_give_a_pdf_or_a_clean_error(front, body):
    outputs(front, body, "sanitise", ("pdf",))


# --- values of the wrong type, or out of range, for every key, setting and option: an error at their line, never
# P900 or a traceback. Front matter and settings through `publish check` (which lints without rendering), options
# through the command line itself, all in-process (PUBLISH_DEBUG: an exception would surface here).

ODD = st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Mn", "Co", "Cn"))  # controls, bidi marks, combining, unassigned
LEAF = st.one_of(
    st.integers(), st.integers(min_value=10**18, max_value=10**300), st.integers(max_value=-1),
    st.floats(), st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, 5e-324, -0.0]),
    st.booleans(), st.just(""), st.text(max_size=12), st.text(ODD, min_size=1, max_size=8),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=300, max_size=2000),
)
WRONG = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=6)
LINE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+):(?P<col>\d+): error (?P<code>[PR]\d{3}): .+$", re.M)
ONE_BY_ONE = settings(max_examples=8, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def debug(monkeypatch, tmp_path):
    """In-process (no forked children, so a crash is an exception here), in a project of its own."""
    monkeypatch.setenv("PUBLISH_DEBUG", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "source").mkdir()
    return tmp_path


def run_main(argv: list[str], capfd) -> tuple[int, str]:
    from publish.cli import main

    capfd.readouterr()
    status = main(argv)
    err = capfd.readouterr().err
    assert "P900" not in err and "Traceback" not in err, err
    assert status in (0, 1, 2), (status, err)
    assert status == 0 or LINE.search(err), (status, err)  # a failure says where and why
    return status, err


def toml(value) -> str:
    """A TOML value for any of WRONG's values (tomllib only reads)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F or c in '"\\' else c for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml(str(k))} = {toml(v)}" for k, v in value.items()) + "}"


@pytest.mark.parametrize("key", ALLOWED)
@ONE_BY_ONE
@given(value=WRONG)
def test_a_front_matter_value_of_any_type_is_taken_or_an_error_at_its_key(debug, capfd, key, value):
    front = {"title": "T", "author": "A"} | {key: value}
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    (debug / "source" / "a.md").write_text(f"---\n{header}---\nText.\n", encoding="utf-8")
    line = 2 + next(n for n, text in enumerate(header.splitlines()) if text.startswith(f"{key}:"))
    status, err = run_main(["check"], capfd)
    found = [m for m in LINE.finditer(err) if m["path"] == "source/a.md"]
    assert status == (1 if found else 0), err
    assert all(int(m["line"]) == line and m["code"] in ("P104", "P110") for m in found), (line, err)


@pytest.mark.parametrize("key", SETTINGS)
@ONE_BY_ONE
@given(value=WRONG)
def test_a_setting_of_any_type_is_taken_or_an_error_at_its_line(debug, capfd, key, value):
    text = f"[tool.publish]\n{key} = {toml(value)}\n"
    assert tomllib.loads(text)["tool"]["publish"][key] == value or value != value or isinstance(value, (list, dict))
    (debug / "pyproject.toml").write_text(text, encoding="utf-8")
    (debug / "source" / "a.md").write_text("---\ntitle: T\nauthor: A\n---\nText.\n", encoding="utf-8")
    status, err = run_main(["check"], capfd)
    assert status == 0 or [(m["line"], m["code"]) for m in LINE.finditer(err) if m["path"].endswith("pyproject.toml")] \
        in ([("2", "P131")], [("2", "P133")]), err


ARGUMENT = st.one_of(
    st.integers().map(str), st.sampled_from(["99999999999999999999999", "1e308", "inf", "-inf", "nan", "-1", "0", "65536",
                                             "html", "html,html", "html,", ",", "1/2", "0/0", "2/1", "en", "EN-us", "."]),
    st.floats().map(str), st.text(max_size=12), st.text(ODD, min_size=1, max_size=8), st.text(min_size=250, max_size=600),
    st.binary(max_size=12).map(os.fsdecode),  # what a command line holds: bytes, undecodable ones as surrogates
    st.lists(st.text(max_size=5), max_size=4).map(",".join), WRONG.map(json.dumps),
)
OPTIONS = [("build", "PATH"), ("build", "--out"), ("build", "--format"), ("build", "--jobs"), ("build", "--shard"),
           ("check", "PATH"), ("check", "--out"), ("watch", "PATH"), ("watch", "--out"), ("watch", "--format"),
           ("watch", "--port"), ("proof", "PATH"), ("proof", "--out"), ("new", "TITLE"), ("new", "--lang")]
FAST_FORMAT = {"build": ["--format", "html"], "watch": ["--format", "html"]}


@pytest.mark.parametrize("command, option", OPTIONS)
@ONE_BY_ONE
@given(value=ARGUMENT)
def test_a_command_line_option_of_any_value_runs_or_is_an_error_naming_it(debug, capfd, monkeypatch, command, option, value):
    """Every option and argument: exit 0, or 1 or 2 with a diagnostic, whatever its value. Paths stay in the project
    (no absolute path, no ..): a value that names a folder is one a build may write into."""
    if option in ("PATH", "--out") and (value.startswith(("/", "~", "-")) or ".." in value):
        value = "x" + value.replace("..", "").lstrip("/~-")
    fixed = [] if option == "--format" else FAST_FORMAT.get(command, [])
    argv = [command, *fixed, *([value] if option in ("PATH", "TITLE") else [option, value])]
    if command == "new" and option == "--lang":
        argv.insert(1, "A title")
    (debug / "source" / "a.md").write_text("---\ntitle: T\nauthor: A\n---\nText.\n", encoding="utf-8")
    if command == "watch":  # one build, no server and no waiting for changes
        monkeypatch.setattr("publish.watch.serve", lambda out, preview, port: FakeServer())
        monkeypatch.setattr("watchfiles.watch", lambda *paths, **options: iter(()))
        if option == "--format" and value.strip(",") and set(value.split(",")) - {"", "html"} <= set(FORMATS):
            argv = [command, "--format", "html"]  # a valid list with print formats would render PDFs: covered elsewhere
    elif command == "build" and option == "--format":
        if set(value.split(",")) - {"", "html"} <= set(FORMATS) and value.strip(","):
            argv = [command, "--format", "html"]
    run_main(argv, capfd)


class FakeServer:
    server_address = ("127.0.0.1", 0)

    def shutdown(self) -> None:
        pass
