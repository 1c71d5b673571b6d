"""Raw HTML as people paste it comes out as XHTML the EPUB's schema accepts (publish/repair.py), in memory.

The corpus test (tests/test_corpus.py) runs EPUBCheck on texts where these shapes were found; here each shape is
pinned to the markup it becomes."""

from __future__ import annotations

import pytest

from publish.markup import _parse
from publish.repair import repair
from publish.xhtml import serialize


@pytest.mark.parametrize("html, expected", [
    # ids: a repeat, a template's own id, characters a #fragment cannot hold; links follow the first of each
    ('<span id="x">a</span><div id="x">b</div><p><a href="#x">l</a></p>',
     '<span id="x">a</span><div id="x-2">b</div><p><a href="#x">l</a></p>'),
    ('<h3 id="text">Text</h3><h3 id="colophon">C</h3><p><a href="#text">t</a></p>',
     '<h3 id="text-2">Text</h3><h3 id="colophon-2">C</h3><p><a href="#text-2">t</a></p>'),
    ('<p id="pagebreak-3">p</p>', '<p id="pagebreak-3-2">p</p>'),
    ('<p><sup id="fnref-@#$%"><a href="#fn-@#$%">1</a></sup></p><ol><li id="fn-@#$%">n</li></ol>',
     '<p><sup id="fnref"><a href="#fn">1</a></sup></p><ol><li id="fn">n</li></ol>'),
    # lists: words and nested lists directly inside <ul>
    ('<ul>\ntext\n<li>x</li>\n</ul>', '<ul><li>\ntext\n</li><li>x</li>\n</ul>'),
    ('<ul>\n<li>a</li>\n<ul><li>b</li></ul>\n</ul>', '<ul>\n<li>a<ul><li>b</li></ul>\n</li>\n</ul>'),
    ('<ol><p>para</p><li>x</li></ol>', '<ol><li><p>para</p></li><li>x</li></ol>'),
    # a definition without a term
    ('<dl><dd>def</dd></dl>', '<dl><dt></dt><dd>def</dd></dl>'),
    # blocks inside phrasing: their words stay, and a <pre> keeps its lines
    ('<pre>a<h2>H</h2><p>b</p>c</pre>', '<pre>aH\nb\nc</pre>'),
    ('<h2>Head <div>inner</div></h2>', '<h2 id="head-inner">Head inner</h2>'),
    # a heading written as raw HTML gets an id from its words, clear of the templates' own
    ('<h2>Text</h2><h3>Это — «текст»</h3>', '<h2 id="text-2">Text</h2><h3 id="это-текст">Это — «текст»</h3>'),
    ('<p><a href="#q"><div id="q">block in a link</div></a></p>', '<p><a href="#q"><span id="q"></span>block in a link</a></p>'),
])
def test_repairs(html, expected):
    tree = _parse(html)
    repair(tree)
    assert serialize(tree) == expected


def test_valid_markup_is_left_alone():
    html = ('<h2 id="a">A</h2><p>Text<sup id="fnref-1"><a class="footnote-ref" href="#fn-1">1</a></sup>.</p>'
            '<ul><li><p>x</p><ul><li>y</li></ul></li></ul><dl><dt>t</dt><dd><p>d</p></dd></dl>'
            '<table><tbody><tr><td><p>cell</p></td></tr></tbody></table><blockquote><p>q</p></blockquote>'
            '<div class="footnote"><ol><li id="fn-1"><p>n</p></li></ol></div>')
    tree = _parse(html)
    repair(tree)
    assert serialize(tree) == html


def test_an_unclosed_style_that_swallows_the_text_is_a_warning(tmp_path):
    from publish.markup import to_document
    from publish.sources import load

    path = tmp_path / "swallow.md"
    path.write_text("---\ntitle: T\nauthor: A\n---\n\nBefore.\n\n<style\n  type=\"text/css\">\n\nAfter.\n\n## Later\n\n"
                    "```\n<script> in a code block is only text\n```\n", encoding="utf-8")
    document = to_document(load(path, "source/swallow.md"))
    assert "After" not in document.body
    assert [(d.line, d.code, d.severity) for d in document.warnings] == [(8, "P125", "warning")]
    assert "<style> is never closed" in document.warnings[0].message
