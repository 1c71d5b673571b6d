"""A corpus of real Markdown this project did not write builds: Python-Markdown's own test texts and documentation,
and the CommonMark spec (tests/fixtures/corpus/README.md says where each came from and under which licence).

Each text is copied verbatim, after a generated front matter, into a temporary project as source/<slug>.md and the
whole corpus is built once for the module (EPUB, web page and A5 PDF, four jobs). Then: at least 95 % of the texts
build; every text that does not fails only because it names an image file that really is not there, or calls a
note it never writes; EPUBCheck (the session's one JVM, tests/EpubCheckBatch.java) finds no error in any EPUB; and
every web page and EPUB XHTML file parses and links only to http(s), mailto, relative paths or fragments.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import time
import zipfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO
from lxml import etree, html

CORPUS = REPO / "tests" / "fixtures" / "corpus"
EPOCH = "1723766400"  # 2024-08-16, the day Python-Markdown 3.7 was released
FORMATS = ("epub", "html", "pdf")
SHARE = 0.95
SAFE_SCHEMES = {"", "http", "https", "mailto"}

# Each folder of the corpus: a short name for the slugs and what its texts' front matter says.
ORIGINS = {
    "python-markdown": {
        "prefix": "pymd",
        "author": "Python-Markdown contributors",
        "date": "2024-08-16",
        "license": "BSD 3-Clause License",
        "url": "https://github.com/Python-Markdown/markdown/blob/3.7/{path}",
    },
    "commonmark-spec": {
        "prefix": "commonmark",
        "author": "John MacFarlane",
        "date": "2024-01-28",
        "license": "CC BY-SA 4.0",
        "url": "https://spec.commonmark.org/0.31.2/",
    },
}
# ![alt](target "title"), ![alt](<target>), [id]: target, <img src="target">: what a text may ask for as an image.
IMAGE_REFERENCE = re.compile(r"""!\[[^\]]*\]\(\s*<?([^)\s>]+)"""
                             r"""|^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)"""
                             r"""|<img\b[^>]*\bsrc=["']?([^"'\s>]+)""", re.MULTILINE | re.IGNORECASE)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg")
QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")


def slug_of(origin: str, relative: Path) -> str:
    parts = [ORIGINS[origin]["prefix"], *(p for p in relative.with_suffix("").parts if p not in ("tests", "test_cmark_spec"))]
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower())).strip("-")


def title_of(relative: Path) -> str:
    name = relative.parent.name if relative.stem == "index" and relative.parent.name else relative.stem
    words = re.sub(r"[-_]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def discover() -> dict[str, tuple[str, Path]]:
    """slug -> (origin, path of the text inside its origin folder) for every text of the corpus."""
    found: dict[str, tuple[str, Path]] = {}
    for origin in ORIGINS:
        for path in sorted((CORPUS / origin).rglob("*")):
            if path.suffix in (".md", ".txt") and not path.name.startswith(("LICENSE", "README")):
                relative = path.relative_to(CORPUS / origin)
                slug = slug_of(origin, relative)
                assert slug not in found, f"two texts give the slug {slug}: {found[slug]} and {relative}"
                found[slug] = (origin, relative)
    return found


DOCUMENTS = discover()


def front_matter(origin: str, relative: Path) -> str:
    about = ORIGINS[origin]
    fields = {
        "title": title_of(relative),
        "author": about["author"],
        "lang": "en",
        "date": about["date"],
        "license": about["license"],
        "source_url": about["url"].format(path=relative.as_posix()),
    }
    return "---\n" + "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in fields.items()) + "---\n\n"


def images_asked_for(text: str) -> set[str]:
    return {unquote(next(g for g in m.groups() if g)).split("#")[0].split("?")[0] for m in IMAGE_REFERENCE.finditer(text)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Every text built in one run, under a fixed SOURCE_DATE_EPOCH; returns (out_dir, manifest)."""
    from publish import build

    project = tmp_path_factory.mktemp("corpus-project")
    source = project / "source"
    source.mkdir()
    for slug, (origin, relative) in DOCUMENTS.items():
        original = CORPUS / origin / relative
        data = original.read_bytes()
        (source / f"{slug}.md").write_bytes(front_matter(origin, relative).encode("utf-8") + data)
        for name in images_asked_for(data.decode("utf-8", "replace")):  # only those the sdist really has
            image = (original.parent / name).resolve()
            if (name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith("/") and ".." not in Path(name).parts
                    and image.is_file() and image.is_relative_to(CORPUS)):
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(image, source / name)
    out = project / "dist"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        started = time.monotonic()
        # Four jobs on two cores: no slower alone, and under pytest-xdist this build, the longest step of the run,
        # gets most of the machine instead of half while the other worker's tests take the rest.
        manifest = build([source], out=out, root=project, formats=list(FORMATS), jobs=4)
        print(f"\nbuilt {len(DOCUMENTS)} texts into {len(manifest.artifacts)} files in {time.monotonic() - started:.1f} s")
    return out, manifest


def built_slugs(manifest) -> set[str]:
    made = {a.path for a in manifest.artifacts}
    return {slug for slug in DOCUMENTS if all(f"{slug}.{fmt}" in made for fmt in FORMATS)}


def diagnostics_of(manifest, slug: str) -> list:
    return [d for d in manifest.diagnostics if Path(d.path).name == f"{slug}.md"]


def report(manifest, slugs) -> str:
    """Every diagnostic of each of `slugs`, under the text's path in the corpus."""
    return "\n".join(f"{slug} ({DOCUMENTS[slug][0]}/{DOCUMENTS[slug][1].as_posix()}):\n  "
                     + "\n  ".join(str(d) for d in diagnostics_of(manifest, slug)) for slug in sorted(slugs))


CLASSES = {"P120": "P120 links", "P121": "P121 attributes", "P122": "P122 fragments", "P105": "P105 images",
           "P900": "P900 internal errors", "P111": "P111 nesting", "P153": "P153 crashes"}


def grouped(manifest, slugs) -> str:
    """The errors of the texts that failed, by kind, each with the texts it stopped."""
    kinds: dict[str, list[str]] = defaultdict(list)
    for slug in sorted(slugs):
        for d in diagnostics_of(manifest, slug):
            if d.severity == "error":
                kinds[CLASSES.get(d.code, f"{d.code} other")].append(f"{slug}: {d.code} {d.message}")
    return "\n".join(f"{kind} ({len(lines)}):\n  " + "\n  ".join(lines) for kind, lines in sorted(kinds.items()))


def named_file(message: str) -> str | None:
    """The file a P105 message names: the first quoted string in it."""
    quoted = QUOTED.search(message)
    return ast.literal_eval(quoted.group()) if quoted else None


def missing_for_real(slug: str, reference: str | None) -> bool:
    """True when `reference`, read against the text's folder in the corpus (where the sdist had it), is no file there.
    A remote image (http://…) is no file there either: a build opens no connection, so it is missing too."""
    if not reference:
        return False
    origin, relative = DOCUMENTS[slug]
    folder = (CORPUS / origin / relative).parent
    return not (folder / unquote(reference).split("#")[0].split("?")[0].lstrip("/")).is_file()


def test_corpus_is_real_and_licensed():
    assert len(DOCUMENTS) >= 100, len(DOCUMENTS)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in DOCUMENTS)
    assert (CORPUS / "README.md").is_file()
    assert (CORPUS / "python-markdown" / "LICENSE.md").is_file()
    assert (CORPUS / "commonmark-spec" / "LICENSE-CC-BY-SA-4.0.txt").is_file()
    for origin in ORIGINS:
        assert any(o == origin for o, _ in DOCUMENTS.values()), origin


def test_most_texts_build_in_every_format(corpus):
    _, manifest = corpus
    built = built_slugs(manifest)
    failed = set(DOCUMENTS) - built
    print(f"{len(built)} of {len(DOCUMENTS)} texts built ({len(built) / len(DOCUMENTS):.1%})")
    print(grouped(manifest, failed))
    assert len(built) >= SHARE * len(DOCUMENTS), (f"only {len(built)} of {len(DOCUMENTS)} texts built; the others:\n"
                                                 + report(manifest, failed))


def test_a_text_fails_only_for_an_image_or_a_note_that_is_really_missing(corpus):
    _, manifest = corpus
    failed = sorted(set(DOCUMENTS) - built_slugs(manifest))
    print(report(manifest, failed))
    wrong = {}
    for slug in failed:
        errors = [d for d in diagnostics_of(manifest, slug) if d.severity == "error"]
        bad = [d for d in errors if not (d.code == "P105" and missing_for_real(slug, named_file(d.message))
                                         or d.code == "P112" and note_missing_for_real(slug, d.message))]
        if bad or not errors:
            wrong[slug] = bad or ["failed without an error diagnostic"]
    assert not wrong, "texts that failed for something else than a missing image:\n" + "\n".join(
        f"{slug}:\n  " + "\n  ".join(str(d) for d in problems) for slug, problems in wrong.items())


def note_missing_for_real(slug: str, message: str) -> bool:
    """Whether the note a P112 names is written nowhere in the text, not even inside raw HTML."""
    label = re.search(r"note \[\^([^\]]+)\]", message).group(1)
    origin, relative = DOCUMENTS[slug]
    return f"[^{label}]:" not in (CORPUS / origin / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def epubcheck_reports(corpus, epubcheck, tmp_path_factory) -> dict[str, dict]:
    """EPUBCheck 5 on every built EPUB in the session's one JVM: slug -> its JSON report."""
    out, manifest = corpus
    slugs = sorted(built_slugs(manifest))
    if not slugs:
        pytest.fail("no EPUB was built")
    reports = tmp_path_factory.mktemp("epubcheck-corpus")
    started = time.monotonic()
    results = {}
    for slug in slugs:
        path = reports / f"{slug}.json"
        status = epubcheck.run(out / f"{slug}.epub", path, timeout=300)
        assert status >= 0, f"EPUBCheck failed on {slug}.epub (exit {status}):\n{epubcheck.tail()}"
        assert path.is_file(), f"EPUBCheck wrote no report for {slug}.epub (exit {status}):\n{epubcheck.tail()}"
        results[slug] = json.loads(path.read_text(encoding="utf-8"))
        assert results[slug]["checker"]["checkerVersion"].startswith("5."), results[slug]["checker"]
    print(f"\nEPUBCheck on {len(slugs)} EPUBs in one JVM in {time.monotonic() - started:.1f} s")
    return results


def test_epubcheck_finds_no_error_in_any_epub(epubcheck_reports):
    found: dict[str, list[str]] = defaultdict(list)
    errors = 0
    for slug, result in sorted(epubcheck_reports.items()):
        for m in result["messages"]:
            places = ", ".join(f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}" for loc in m["locations"][:3])
            found[slug].append(f"{m['severity']} {m['ID']}: {m['message']} at {places}")
            errors += m["severity"] in ("ERROR", "FATAL")
    listing = "\n".join(f"{slug}.epub:\n  " + "\n  ".join(messages) for slug, messages in found.items())
    print(listing)  # warnings too
    assert errors == 0, f"{errors} EPUBCheck errors:\n{listing}"


def bad_links(root, name: str) -> list[str]:
    problems = []
    for element in root.iter():
        href = element.get("href") if isinstance(element.tag, str) else None
        if href is not None:
            try:
                scheme = urlsplit(href.strip()).scheme.lower()
            except ValueError as exc:
                problems.append(f"{name}: href {href[:80]!r} is not a URL: {exc}")
                continue
            if scheme not in SAFE_SCHEMES:
                problems.append(f"{name}: <{etree.QName(element).localname} href={href[:80]!r}>: scheme {scheme!r}")
    return problems


def test_pages_parse_and_link_only_to_the_web_mail_or_themselves(corpus):
    out, manifest = corpus
    problems = []
    for slug in sorted(built_slugs(manifest)):
        page = out / f"{slug}.html"
        try:
            root = html.document_fromstring(page.read_bytes(), parser=html.HTMLParser(recover=False))
        except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
            problems.append(f"{page.name}: does not parse (libxml2's HTML parser, no recovery): {exc}")
        else:
            problems += bad_links(root, page.name)
        with zipfile.ZipFile(out / f"{slug}.epub") as z:
            for name in z.namelist():
                if name.endswith((".xhtml", ".html", ".htm")):
                    try:
                        root = etree.fromstring(z.read(name))
                    except etree.XMLSyntaxError as exc:
                        problems.append(f"{slug}.epub/{name}: not well-formed XML: {exc}")
                    else:
                        problems += bad_links(root, f"{slug}.epub/{name}")
    assert not problems, "\n".join(problems)


# Ace is slow (a browser per book): the texts richest in headings, notes, raw HTML and code, not all of them.
ACE_SAMPLE = ("commonmark-spec", "pymd-docs-extensions-api", "pymd-docs-extensions-footnotes",
              "pymd-docs-extensions-md-in-html", "pymd-extensions-extra-raw-html", "pymd-misc-inside-html")


def test_ace_finds_no_violation_in_a_sample(corpus, ace, tmp_path):
    """Ace by DAISY on the sample, one at a time: no violation (heading order, ids, lists, language, …)."""
    out, manifest = corpus

    def check(slug: str) -> list[str]:
        for attempt in (1, 2):  # Ace's browser now and then dies before it reports (seen in CI): it gets one more go
            report = tmp_path / f"{slug}-{attempt}" / "report.json"
            run = ace(out / f"{slug}.epub", report.parent, timeout=600)
            if run.returncode == 0 and report.is_file():
                break
            print(f"{slug}: Ace failed (exit {run.returncode}) on attempt {attempt}: {run.stdout[-2000:]}{run.stderr[-2000:]}")
        else:
            return [f"{slug}: Ace failed twice (exit {run.returncode}): {run.stdout[-2000:]}{run.stderr[-2000:]}"]
        data = json.loads(report.read_text(encoding="utf-8"))
        return [f"{slug}: {a['earl:test'].get('earl:impact', '?')} {a['earl:test']['dct:title']} in "
                f"{doc['earl:testSubject']['url']}: {a['earl:result'].get('dct:description', '')}"
                for doc in data["assertions"] for a in doc.get("assertions", []) if a["earl:result"]["earl:outcome"] == "fail"]

    assert set(ACE_SAMPLE) <= built_slugs(manifest), set(ACE_SAMPLE) - built_slugs(manifest)
    violations = [v for slug in ACE_SAMPLE for v in check(slug)]  # one at a time (the `ace` fixture's lock too)
    assert violations == [], "\n".join(violations)
