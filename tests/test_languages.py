"""One record per language (publish/languages): each shipped language's typography through the Markdown pipeline,
its labels in every edition, its date from Babel, its characters in the bundled fonts, and a language without a
record set neutrally with one note (P171)."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import tokenize
import zipfile

import pytest
from conftest import REPO, which_or_skip
from lxml import etree

NB = "\u00a0"
SHIPPED = ("en", "es", "fr", "de", "it", "pt", "pt-PT", "pl", "uk", "ru", "kk", "tr")
# Straight quotes nested, a spaced hyphen, a number range, and French punctuation, in each language.
PAIRS = [
    ("en", 'He said "she called it "the plan" twice" - in 1917-1921.', f"He said “she called it ‘the plan’ twice”{NB}– in 1917–1921."),
    ("es", 'Dijo "el "plan" era otro" - en 1917-1921.', "Dijo «el “plan” era otro» —en 1917–1921."),
    ("fr", 'Il a dit "le "plan" change" - en 1917-1921 ; pourquoi ? Voilà : non !',
     f"Il a dit «{NB}le “plan” change{NB}» –{NB}en 1917–1921{NB}; pourquoi{NB}? Voilà{NB}: non{NB}!"),
    ("de", 'Er sagte "der "Plan" gilt" - von 1917-1921.', f"Er sagte „der ‚Plan‘ gilt“{NB}– von 1917–1921."),
    ("de-AT", 'Er sagte "der "Plan" gilt" - von 1917-1921.', f"Er sagte „der ‚Plan‘ gilt“{NB}– von 1917–1921."),
    ("it", 'Disse "il "piano" vale" - dal 1917-1921.', f"Disse «il “piano” vale»{NB}– dal 1917–1921."),
    ("pt", 'Disse "o "plano" vale" - de 1917-1921.', f"Disse “o ‘plano’ vale”{NB}— de 1917–1921."),
    ("pt-BR", 'Disse "o "plano" vale" - de 1917-1921.', f"Disse “o ‘plano’ vale”{NB}— de 1917–1921."),
    ("pt-PT", 'Disse "o "plano" vale" - de 1917-1921.', f"Disse «o “plano” vale»{NB}— de 1917–1921."),
    ("pl", 'Powiedział "to "plan" partii" - w latach 1917-1921.', f"Powiedział „to «plan» partii”{NB}– w{NB}latach 1917–1921."),
    ("uk", 'Він сказав "це "план" партії" - у 1917-1921 роках.', f"Він сказав «це „план“ партії»{NB}— у{NB}1917–1921 роках."),
    ("ru", 'Он сказал "это "план" партии" - в 1917-1921 годах.', f"Он сказал «это „план“ партии»{NB}— в{NB}1917–1921 годах."),
    ("kk", 'Ол "бұл "жоспар" емес" - деді, 1917-1921.', f"Ол «бұл “жоспар” емес»{NB}— деді, 1917–1921."),
    ("tr", 'Dedi ki "bu "plan" değil" - Ankara\'ya 1917-1921.', f"Dedi ki “bu ‘plan’ değil”{NB}– Ankara’ya 1917–1921."),
    # lines of dialogue
    ("pt", "— Vamos - disse ela.", f"—{NB}Vamos{NB}— disse ela."),
    ("uk", "— Ходімо - сказала вона.", f"—{NB}Ходімо{NB}— сказала вона."),
    ("pl", "— Chodźmy - powiedziała.", f"–{NB}Chodźmy{NB}– powiedziała."),
    ("tr", "— Gidelim - dedi.", f"—{NB}Gidelim{NB}– dedi."),
    # an aside after an inline element: its dash is set too
    ("en", "It was *Aktau* - the port - that struck.", f"It was <em>Aktau</em>{NB}– the port{NB}– that struck."),
    # no record: quotes as typed, apostrophes between letters curly, the rest neutral
    ("nl", 'Hij zei "het "plan" geldt" - zo\'n 1917-1921.', f'Hij zei "het "plan" geldt"{NB}– zo’n 1917–1921.'),
]


def typeset(tmp_path, lang: str, body: str) -> str:
    from publish.markup import to_document
    from publish.sources import load

    path = tmp_path / "t.md"
    path.write_text(f"---\ntitle: T\nauthor: A\nlang: {lang}\n---\n\n{body}\n", encoding="utf-8")
    return to_document(load(path)).body.strip().removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(("lang", "source", "expected"), PAIRS, ids=[f"{p[0]}-{n}" for n, p in enumerate(PAIRS)])
def test_each_language_sets_its_own_quotes_dashes_and_spaces(tmp_path, lang, source, expected):
    assert typeset(tmp_path, lang, source).replace("&quot;", '"') == expected


def test_every_shipped_language_has_a_whole_record():
    from publish.languages import LABEL_KEYS, RECORDS, Labels, Language, find

    assert sorted(r.tag for r in RECORDS.values()) == sorted(SHIPPED)
    english = RECORDS["en"].labels
    # words English shares with them: a French or Italian colophon is a "colophon", French pages are "pages"
    same_as_english = {("fr", "colophon"), ("fr", "pages"), ("it", "colophon"), ("fr", "note")}
    for tag in SHIPPED:
        record = find(tag)
        assert isinstance(record, Language) and record.tag == tag
        for field in dataclasses.fields(Language):
            assert getattr(record, field.name) is not None, (tag, field.name)
        assert record.endonym and record.sample and record.quotes != ('"', '"')
        for key in LABEL_KEYS:
            text = getattr(record.labels, key)
            assert text.strip(), (tag, key)
            assert tag == "en" or (tag, key) in same_as_english or text != getattr(english, key), (tag, key, text)
    assert {f.name for f in dataclasses.fields(Labels)} == set(LABEL_KEYS) and len(LABEL_KEYS) == 18
    assert set(dataclasses.astuple(english)) == {*ENGLISH, "and"}  # what the tests of built pamphlets look for


def test_a_record_missing_a_field_or_label_does_not_load(tmp_path, monkeypatch):
    import tomllib

    from publish import languages

    data = tomllib.loads((REPO / "publish" / "languages" / "en.toml").read_text(encoding="utf-8"))
    for broken in ({k: v for k, v in data.items() if k != "dash"},
                   {**data, "labels": {k: v for k, v in data["labels"].items() if k != "read_online"}},
                   {**data, "colour": "red"}, {**data, "quotes": ["“"]}, {**data, "note_call": "before"}):
        with pytest.raises((TypeError, ValueError)):
            languages._record("en", broken)
    folder = tmp_path / "languages"
    folder.mkdir()
    (folder / "xx.toml").write_text('tag = "xx"\nendonym = "X"\n', encoding="utf-8")
    monkeypatch.setattr(languages, "FOLDER", folder)
    with pytest.raises(ValueError, match=r"publish/languages/xx\.toml: .*missing"):
        languages._load()


def test_a_tag_finds_its_record_or_its_base_language_s():
    from publish.languages import RECORDS, find, language

    assert find("pt-BR") is RECORDS["pt"] and find("de-AT") is RECORDS["de"] and find("kk-Cyrl-KZ") is RECORDS["kk"]
    assert find("pt-PT") is RECORDS["pt-pt"] and find("PT-pt") is RECORDS["pt-pt"] and find("ES") is RECORDS["es"]
    assert find("nl") is None and find("eo") is None
    dutch = language("nl-BE")
    assert dutch.labels == RECORDS["en"].labels and dutch.quotes == ('"', '"') and dutch.endonym == "Nederlands"
    assert [language(t).endonym for t in ("en", "es", "ru", "kk", "uk", "tr")] == \
        ["English", "Español", "Русский", "Қазақша", "Українська", "Türkçe"]


def test_babel_dates_every_language():
    from babel import Locale

    from publish.labels import human_date
    from publish.languages import RECORDS

    english = human_date("2024-03-15", "en")
    for record in RECORDS.values():
        Locale.parse(record.tag, sep="-")  # Babel knows it
        date = human_date("2024-03-15", record.tag)
        assert "2024" in date and "15" in date and (record.tag == "en" or "March" not in date), (record.tag, date)
        assert record.tag == "en" or date != english
    assert human_date("2024-03-15", "uk") == f"15 березня 2024{NB}р." and human_date("2024-03", "tr") == "Mart 2024"


def test_hyphenation_is_pyphen_s_dictionary_or_none():
    """A record's dictionary is one pyphen has for it; "" only while pyphen has none (Kazakh, Turkish)."""
    import pyphen

    from publish.languages import RECORDS

    for record in RECORDS.values():
        found = pyphen.language_fallback(record.tag.replace("-", "_"))
        if record.hyphenation:
            assert record.hyphenation in pyphen.LANGUAGES and found, record.tag
        else:
            assert found is None, f"pyphen now has {found} for {record.tag}: set hyphenation in its record"


def test_bundled_fonts_have_every_character_of_every_record(tmp_path):
    from fontTools.ttLib import TTFont

    from publish.languages import RECORDS

    faces = {path.name: set(TTFont(path).getBestCmap()) for path in (REPO / "fonts").glob("PT[SM]*.ttf")}
    for record in RECORDS.values():
        text = "".join([record.endonym, *record.quotes, *record.inner_quotes, *record.dash, record.dialogue,
                        *dataclasses.astuple(record.labels), typeset(tmp_path, record.tag, record.sample)])
        for name, cmap in faces.items():
            missing = {c for c in text if ord(c) not in cmap}
            assert not missing, (record.tag, name, missing)


def test_publish_new_writes_a_sample_each_language_sets(tmp_path):
    from publish.languages import RECORDS
    from publish.scaffold import scaffold

    for record in RECORDS.values():
        source = scaffold("T", record.tag).split("\n---\n", 1)[1].strip()
        assert source == record.sample and '"' in source and " - " in source, record.tag
        body = typeset(tmp_path, record.tag, source)
        assert record.quotes[0] in body and '"' not in body.replace("&quot;", '"') and " - " not in body, (record.tag, body)
    assert "# translator: ...            # printed as \"Tradução de ...\"" in scaffold("T", "pt-BR")


def test_each_language_s_quotes_for_q_come_from_its_record():
    from publish.config import load_config
    from publish.editions import stylesheet
    from publish.fonts import CSS_ESCAPE, CSS_STRING, _unescape
    from publish.languages import RECORDS

    css = stylesheet(load_config(REPO), "base.css")
    for record in RECORDS.values():
        rule = re.search(rf"html:lang\({record.tag}\) \{{ quotes: ([^;]*);", css)
        marks = tuple(CSS_ESCAPE.sub(_unescape, a or b) for a, b in CSS_STRING.findall(rule.group(1)))
        assert marks == record.quotes + record.inner_quotes, record.tag
    assert css.index("html:lang(pt)") < css.index("html:lang(pt-PT)")  # the region after its base, which it overrides


def test_nothing_language_specific_is_left_outside_the_records():
    """No stylesheet picks a language by :lang() and no code names a shipped language but English, the default
    ("tr" is also HTML's table row)."""
    from publish.languages import RECORDS

    for sheet in (REPO / "styles").rglob("*.css"):
        assert ":lang(" not in sheet.read_text(encoding="utf-8"), sheet
    tags = {record.tag.lower() for record in RECORDS.values()} - {"en", "tr"}
    for path in (REPO / "publish").rglob("*.py"):
        if "languages" in path.parts:
            continue
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if token.type == tokenize.STRING:
                assert token.string.strip("\"'").lower() not in tags, (path.name, token.start, token.string)


# --- built pamphlets --------------------------------------------------------------------------------------------

PAMPHLET = """---
title: {title}
author: A
translator: [B, C]
publisher: D
date: 2024-03-15
lang: {lang}
caption: {title}
photo_credit: E
license: CC BY 4.0
source_url: https://example.org/{lang}
---

## {title}

{text}
"""
BUILT = {"uk": ("Сорок днів", "Робітники - більшість - лишилися."), "pt": ("Quarenta dias", "Os operários - a maioria - ficaram."),
         "tr": ("Kırk gün", "İşçiler - çoğu - kaldı."), "nl": ("Veertig dagen", "De arbeiders - de meesten - bleven.")}


@pytest.fixture(scope="module")
def built_languages(tmp_path_factory):
    from publish import build

    root = tmp_path_factory.mktemp("languages")
    (root / "source").mkdir()
    for lang, (title, text) in BUILT.items():
        (root / "source" / f"{lang}.md").write_text(PAMPHLET.format(lang=lang, title=title, text=text), encoding="utf-8")
    manifest = build(out=root / "dist", root=root, formats=["pdf", "epub", "html"])
    assert manifest.ok
    return root / "dist", manifest


def edition_texts(out, lang: str) -> dict[str, str]:
    """What a reader sees of each edition: the web page's and every EPUB XHTML file's text, and the PDF's."""
    pdftotext = which_or_skip("pdftotext")
    html = "".join(etree.HTML((out / f"{lang}.html").read_bytes()).xpath("//body//text()"))
    with zipfile.ZipFile(out / f"{lang}.epub") as z:
        epub = " ".join("".join(etree.fromstring(z.read(n)).itertext()) for n in z.namelist() if n.endswith(".xhtml"))
    pdf = subprocess.run([pdftotext, "-enc", "UTF-8", str(out / f"{lang}.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    return {"html": html, "epub": epub, "pdf": pdf}


def squash(text: str) -> str:
    """Without spaces, in small letters: letter-spaced capitals ("Ч И Т А Т И") read as words again; Turkish
    capitals (İ, I) and small letters (i, ı) compared alike."""
    return re.sub(r"\s+", "", text).casefold().replace("\u0307", "").replace("ı", "i")


ENGLISH = ("Photo:", "Translation by", "On the photograph in the original publication", "First published by", "Contents",
           "Cover", "Licence:", "Title page", "Colophon", "Pages", "Landmarks", "Read it online", "Also in:",
           "Translated from", "Languages", "QR code", "Note")


@pytest.mark.parametrize("lang", ["uk", "pt", "tr"])
def test_no_english_label_in_any_edition(built_languages, lang):
    out, _ = built_languages
    dates = {"uk": "15 березня 2024", "pt": "15 de março de 2024", "tr": "15 Mart 2024"}
    texts = edition_texts(out, lang)
    for edition, text in texts.items():
        assert not re.search(r"\band\b", text), (edition, text)  # not squashed: "and" is in too many words
        for label in ENGLISH:
            assert squash(label) not in squash(text), (lang, edition, label)
    from publish.languages import RECORDS

    own = RECORDS[lang].labels
    for edition, text in texts.items():
        shown = ["translation", "photo", "first_published", "license"]  # the EPUB's also in its navigation
        shown += ["photo_note", "colophon"] if edition != "pdf" else ["read_online"]
        shown += ["title_page", "contents", "landmarks", "cover"] if edition == "epub" else []
        for key in shown:
            assert squash(getattr(own, key)) in squash(text), (lang, edition, key)
        assert f"B {own.and_word} C" in text and squash(dates[lang]) in squash(text), (lang, edition)


def test_a_language_without_hyphenation_is_ragged_right_in_every_edition(built_languages):
    """Turkish has no dictionary in its record: its <html> says so to the stylesheets, in print and on screens."""
    out, _ = built_languages
    for lang, ragged in (("tr", True), ("uk", False), ("nl", False)):
        page = (out / f"{lang}.html").read_text(encoding="utf-8")
        with zipfile.ZipFile(out / f"{lang}.epub") as z:
            chapter = z.read("EPUB/text.xhtml").decode()
        for text in (page, chapter):
            assert bool(re.search(r'<html[^>]* class="no-hyphenation"', text)) is ragged, lang
        assert ".no-hyphenation p" in page


def test_a_language_without_a_record_is_set_neutrally_with_one_note(built_languages):
    out, manifest = built_languages
    notes = [d for d in manifest.diagnostics if d.code == "P171"]
    assert len(notes) == 1 and notes[0].severity == "note" and notes[0].path.endswith("nl.md"), notes
    assert notes[0].line == 7 and "'nl' (Dutch)" in notes[0].message and "publish/languages/nl.toml" in notes[0].message
    texts = edition_texts(out, "nl")
    assert f"De arbeiders{NB}– de meesten{NB}– bleven." in texts["html"]
    assert "Translation by B and C" in texts["epub"] and squash("Read it online") in squash(texts["pdf"])


def test_the_note_is_printed_once_and_strict_does_not_fail_on_it(tmp_path, monkeypatch, capsys):
    from publish.cli import main

    (tmp_path / "source").mkdir()
    for name, lang in (("a.md", "eo"), ("b.md", "pt-BR"), ("c.md", "de-AT")):
        (tmp_path / "source" / name).write_text(f"---\ntitle: T\nauthor: A\nlang: {lang}\n---\n\nSaluton.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--format", "html", "--strict"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "P171" in line]
    assert len(lines) == 1 and lines[0].startswith("source/a.md:4:1: note P171: ") and "'eo' (Esperanto)" in lines[0], lines
