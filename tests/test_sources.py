"""Front matter: every problem is a Diagnostic(path, line, col, code, message) naming the offending key.

Line numbers are those of the file: the opening '---' is line 1, the first key is line 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.errors import Diagnostic, PublishError
from publish.sources import Meta, load

SPEC_KEYS = (
    "title", "subtitle", "author", "translator", "date", "lang", "publisher", "source_url", "summary",
    "image", "image_alt", "caption", "photo_credit", "cover", "license", "identifier", "keywords",
)

BODY = "\nSome text.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    source = tmp_path / "project" / "source"
    source.mkdir(parents=True)
    return source


def write(folder: Path, text: str, name: str = "pamphlet.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def problems(path: Path, display: str = "source/pamphlet.md") -> tuple[Diagnostic, ...]:
    with pytest.raises(PublishError) as caught:
        load(path, display)
    diagnostics = caught.value.diagnostics
    assert diagnostics, "PublishError raised without any diagnostic"
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.path == display
        assert d.severity == "error"
    return diagnostics


def only(path: Path, display: str = "source/pamphlet.md") -> Diagnostic:
    diagnostics = problems(path, display)
    assert len(diagnostics) == 1, [str(d) for d in diagnostics]
    return diagnostics[0]


# --- P100: the front matter block itself ------------------------------------------------------


def test_missing_front_matter_is_p100(folder):
    d = only(write(folder, "# Just a heading\n\ntitle: not front matter\n"))
    assert (d.code, d.line, d.col) == ("P100", 1, 1)
    assert "front matter" in d.message


def test_front_matter_not_on_first_line_is_p100(folder):
    d = only(write(folder, "\n---\ntitle: T\nauthor: A\n---\n\nText\n"))
    assert (d.code, d.line) == ("P100", 1)


def test_unclosed_front_matter_is_p100(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: A\n\nThe body, but no closing line.\n"))
    assert (d.code, d.line) == ("P100", 1)
    assert "not closed" in d.message


def test_empty_file_is_p100(folder):
    assert only(write(folder, "")).code == "P100"


# --- P101: YAML that does not parse ----------------------------------------------------------


def test_invalid_yaml_reports_its_line_and_column(folder):
    path = write(folder, "---\ntitle: T\nauthor: A\nsummary: a: b\n---\n" + BODY)
    d = only(path)
    assert (d.code, d.line, d.col) == ("P101", 4, 11)
    assert d.message.startswith("invalid YAML")
    assert "mapping values are not allowed" in d.message


def test_tab_indented_yaml_reports_its_line(folder):
    d = only(write(folder, "---\ntitle: T\n\tauthor: A\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P101", 3, 1)


def test_unterminated_flow_list_reports_its_line(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: [a, b\nlang: en\n---\n" + BODY))
    assert (d.code, d.line) == ("P101", 4)


def test_front_matter_that_is_not_a_mapping_is_p101(folder):
    d = only(write(folder, "---\n- title\n- author\n---\n" + BODY))
    assert (d.code, d.line) == ("P101", 2)
    assert "mapping" in d.message


# --- P102: unknown keys -----------------------------------------------------------------------


def test_unknown_key_names_its_line_column_and_the_allowed_keys(folder):
    path = write(folder, "---\ntitle: T\nauthor: A\nlang: en\ncolour: red\n---\n" + BODY)
    d = only(path)
    assert (d.code, d.line, d.col) == ("P102", 5, 1)
    assert "'colour'" in d.message
    allowed = d.message.split("allowed:", 1)[1]
    for key in SPEC_KEYS:
        assert key in allowed, f"allowed-key list lacks {key!r}: {d.message}"


def test_unknown_key_column_follows_indentation(folder):
    path = write(folder, "---\n  title: T\n  author: A\n  colour: red\n---\n" + BODY)
    d = only(path)
    assert (d.code, d.line, d.col) == ("P102", 4, 3)


def test_unknown_key_after_a_multiline_value_counts_lines_exactly(folder):
    text = (
        "---\n"                      # 1
        "title: T\n"                 # 2
        "author: A\n"                # 3
        "summary: >-\n"              # 4
        "  one\n"                    # 5
        "  two\n"                    # 6
        "\n"                         # 7
        "  three\n"                  # 8
        "keywords:\n"                # 9
        "  - a\n"                    # 10
        "  - b\n"                    # 11
        "# a comment\n"              # 12
        "photographer: Someone\n"    # 13
        "---\n" + BODY
    )
    d = only(write(folder, text))
    assert (d.code, d.line, d.col) == ("P102", 13, 1)
    assert "'photographer'" in d.message


def test_lines_are_counted_the_same_with_crlf_and_a_bom(folder):
    text = "\ufeff---\r\ntitle: T\r\nauthor: A\r\ncolour: red\r\n---\r\n\r\nText\r\n"
    d = only(write(folder, text))
    assert (d.code, d.line, d.col) == ("P102", 4, 1)


def test_unknown_key_spelled_like_a_yaml_boolean_keeps_its_name_and_line(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: A\non: monday\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P102", 4, 1)
    assert "'on'" in d.message


# --- P103: required keys ----------------------------------------------------------------------


def test_missing_title_is_p103(folder):
    d = only(write(folder, "---\nauthor: A\nlang: en\n---\n" + BODY))
    assert d.code == "P103"
    assert "'title'" in d.message
    assert d.line == 1


def test_missing_author_is_p103(folder):
    d = only(write(folder, "---\ntitle: T\n---\n" + BODY))
    assert d.code == "P103"
    assert "'author'" in d.message


def test_empty_front_matter_misses_both_required_keys(folder):
    diagnostics = problems(write(folder, "---\n---\n" + BODY))
    assert sorted((d.code, d.message.split()[-1]) for d in diagnostics) == [
        ("P103", "'author'"),
        ("P103", "'title'"),
    ]


@pytest.mark.parametrize("value", ["''", "'   '", "[]", "[A, '']", "{name: A}", "42"])
def test_author_must_be_a_non_empty_string_or_list_of_strings(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: {value}\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 3, 1)
    assert d.message.startswith("author:")


# --- several problems at once -----------------------------------------------------------------


def test_every_problem_in_one_file_is_reported_at_once(folder):
    text = (
        "---\n"                          # 1
        "title: T\n"                     # 2
        "colour: red\n"                  # 3  P102
        "date: 10 January 2022\n"        # 4  P104
        "lang: english language\n"       # 5  P104
        "source_url: ftp://example.org\n"  # 6  P104
        "flavour: salty\n"               # 7  P102
        "---\n" + BODY                   # author missing: P103
    )
    diagnostics = problems(write(folder, text))
    found = sorted((d.line, d.code) for d in diagnostics)
    assert found == [(1, "P103"), (3, "P102"), (4, "P104"), (5, "P104"), (6, "P104"), (7, "P102")]
    messages = " | ".join(d.message for d in diagnostics)
    for word in ("'colour'", "'flavour'", "date", "lang", "source_url", "'author'"):
        assert word in messages
    # the exception's text is the same diagnostics, one per line, in path:line:col form
    with pytest.raises(PublishError) as caught:
        load(folder / "pamphlet.md", "source/pamphlet.md")
    assert str(caught.value).splitlines() == [str(d) for d in caught.value.diagnostics]
    assert "source/pamphlet.md:3:1: error P102: unknown key 'colour'" in str(caught.value)


# --- P104: values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["10 January 2022", "2022-1-10", "22-01-10", "2022/01/10", "'2022-13'", "'2022-00-10'", "2022-01-10 12:00:00", "yes"],
)
def test_bad_date_is_p104_on_the_date_line(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: A\nlang: en\ndate: {value}\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 5, 1)
    assert d.message.startswith("date:")
    assert "YYYY" in d.message


@pytest.mark.parametrize("value", ["2022-02-30", "2022-13-01"])
def test_impossible_calendar_date_is_p104_not_a_crash(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: A\ndate: {value}\n---\n" + BODY))
    assert (d.code, d.line) == ("P104", 4)


def test_quoted_impossible_calendar_date_is_p104(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: A\ndate: '2022-02-30'\n---\n" + BODY))
    assert (d.code, d.line) == ("P104", 4)


@pytest.mark.parametrize("value", ["english", "e", "en_US", "'en us'", "12", "en-"])
def test_bad_lang_is_p104_on_the_lang_line(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: A\nlang: {value}\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 4, 1)
    assert d.message.startswith("lang:")


@pytest.mark.parametrize(
    "value",
    ["ftp://example.org/x", "javascript:alert(1)", "www.example.org", "'https://exa mple.org'", "file:///etc/passwd"],
)
def test_bad_source_url_is_p104_on_its_line(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: A\nsource_url: {value}\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 4, 1)
    assert d.message.startswith("source_url:")


def test_image_outside_the_source_folder_is_p104(folder):
    (folder.parent / "secret.jpg").write_bytes(b"\xff\xd8\xff")  # exists, but outside source/
    d = only(write(folder, "---\ntitle: T\nauthor: A\nimage: ../secret.jpg\nimage_alt: x\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 4, 1)
    assert "outside" in d.message
    assert "../secret.jpg" in d.message


@pytest.mark.parametrize("value", ["/etc/hostname", "file:///etc/hostname", "https://example.org/a.jpg"])
def test_image_must_be_a_relative_path(folder, value):
    d = only(write(folder, f"---\ntitle: T\nauthor: A\nimage: {value}\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P104", 4, 1)
    assert "relative" in d.message


def test_missing_image_is_p104(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: A\nlang: en\nimage: images/nope.jpg\n---\n" + BODY))
    assert (d.code, d.line) == ("P104", 5)
    assert "not found" in d.message
    assert "images/nope.jpg" in d.message


def test_missing_cover_is_p104_on_the_cover_line(folder):
    d = only(write(folder, "---\ntitle: T\nauthor: A\ncover: cover.jpg\n---\n" + BODY))
    assert (d.code, d.line) == ("P104", 4)
    assert d.message.startswith("cover:")


def test_image_symlinked_out_of_the_folder_is_p104(folder, tmp_path):
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(b"\xff\xd8\xff")
    (folder / "lead.jpg").symlink_to(outside)
    d = only(write(folder, "---\ntitle: T\nauthor: A\nimage: lead.jpg\n---\n" + BODY))
    assert (d.code, d.line) == ("P104", 4)
    assert "outside" in d.message


# --- P107, P108: the file itself ---------------------------------------------------------------


def test_non_utf8_file_is_p107(folder):
    path = folder / "pamphlet.md"
    path.write_bytes("---\ntitle: Café\nauthor: A\n---\n\nTexte.\n".encode("latin-1"))
    d = only(path)
    assert d.code == "P107"
    assert "UTF-8" in d.message


@pytest.mark.parametrize("name", ["Bad Name.md", "UPPER.md", "trailing-.md", "émigré.md", "a--b.md"])
def test_file_name_that_is_not_a_slug_is_p108(folder, name):
    path = write(folder, "---\ntitle: T\nauthor: A\n---\n" + BODY, name=name)
    d = only(path, f"source/{name}")
    assert d.code == "P108"
    assert repr(Path(name).stem) in d.message


def test_folder_source_takes_its_slug_from_the_folder(folder):
    (folder / "Not A Slug").mkdir()
    path = write(folder / "Not A Slug", "---\ntitle: T\nauthor: A\n---\n" + BODY, name="index.md")
    d = only(path, "source/Not A Slug/index.md")
    assert d.code == "P108"
    assert "'Not A Slug'" in d.message


def test_missing_file_is_p106(folder):
    d = only(folder / "absent.md", "source/absent.md")
    assert d.code == "P106"


# --- a valid source ---------------------------------------------------------------------------


def test_valid_source_is_coerced(folder):
    images = folder / "images"
    images.mkdir()
    from PIL import Image

    Image.new("RGB", (4, 3), (200, 30, 30)).save(images / "rally.jpg")  # a real JPEG: images are decoded when checked
    text = (
        "---\n"
        "title: Socialist Movement of Kazakhstan calls for international solidarity\n"
        "author: Socialist Movement of Kazakhstan\n"
        "translator: [In Defense of Communism, Someone Else]\n"
        "date: 2022-01-10\n"
        "lang: kk-Cyrl\n"
        "source_url: https://www.struggle-la-lucha.org/2022/01/10/x/\n"
        "image: images/rally.jpg\n"
        "image_alt: A crowd with red flags\n"
        "keywords: [Kazakhstan, general strike]\n"
        "---\n"
        "\n"
        "First paragraph.\n"
    )
    source = load(write(folder, text, name="kazakhstan-solidarity.md"), "source/kazakhstan-solidarity.md")
    meta = source.meta
    assert isinstance(meta, Meta)
    assert source.slug == "kazakhstan-solidarity"
    assert source.display == "source/kazakhstan-solidarity.md"
    assert meta.title == "Socialist Movement of Kazakhstan calls for international solidarity"
    assert meta.author == ("Socialist Movement of Kazakhstan",)
    assert meta.translator == ("In Defense of Communism", "Someone Else")
    assert meta.date == "2022-01-10" and isinstance(meta.date, str)
    assert meta.lang == "kk-Cyrl"
    assert meta.image == "images/rally.jpg"
    assert meta.keywords == ("Kazakhstan", "general strike")
    assert source.body.strip() == "First paragraph."
    assert source.body_line == 12  # the line after the closing '---' (line 11)
    assert source.key_lines["date"] == (5, 1)
    assert source.key_lines["keywords"] == (10, 1)


def test_author_list_and_defaults(folder):
    source = load(write(folder, "---\ntitle: T\nauthor:\n  - First Author\n  - ' Second '\n---\n" + BODY))
    assert source.meta.author == ("First Author", "Second")
    assert source.meta.lang == "en"
    assert source.meta.date == ""
    assert source.meta.translator == ()
    assert source.meta.keywords == ()


@pytest.mark.parametrize(
    "value, expected",
    [("2022", "2022"), ("2022-01", "2022-01"), ("'2022-01-10'", "2022-01-10"), ("2022-01-10", "2022-01-10")],
)
def test_partial_dates_are_kept_as_strings(folder, value, expected):
    source = load(write(folder, f"---\ntitle: T\nauthor: A\ndate: {value}\n---\n" + BODY))
    assert source.meta.date == expected


def test_dot_dot_dot_also_closes_front_matter(folder):
    source = load(write(folder, "---\ntitle: T\nauthor: A\n...\n\nBody.\n"))
    assert source.meta.title == "T"
    assert source.body.strip() == "Body."


def test_a_key_given_twice_is_p109_on_its_second_line(folder):
    d = only(write(folder, "---\ntitle: One\nauthor: A\ntitle: Two\n---\n" + BODY))
    assert (d.code, d.line, d.col) == ("P109", 4, 1)
    assert "'title'" in d.message and "line 2" in d.message


def test_a_number_is_a_title(folder):
    meta = load(write(folder, "---\ntitle: 1984\nauthor: A\n---\n" + BODY)).meta
    assert meta.title == "1984"
