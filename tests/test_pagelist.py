"""The EPUB's page markers (publish/pagelist.py) stay inside the document's body, even for pages whose text is
not found in the EPUB (they are marked at its end)."""

from __future__ import annotations

from lxml import etree

from publish.pagelist import mark_pages

XHTML = "http://www.w3.org/1999/xhtml"


def test_pages_not_found_are_marked_inside_the_body_not_after_it():
    tree = etree.fromstring(f'<html xmlns="{XHTML}"><head><title>t</title></head><body>\n<p>First words here.</p>\n'
                            f'<p>Last words.</p>\n</body>\n</html>')
    targets = mark_pages([("colophon.xhtml", tree)], [["First words here."], ["Last words."], ["Text the EPUB lacks."]])
    assert [t.label for t in targets] == ["1", "2", "3"]
    body = tree.find(f"{{{XHTML}}}body")
    markers = [e for e in tree.iter() if (e.get("id") or "").startswith("pagebreak-")]
    assert len(markers) == 3 and all(body in m.iterancestors() for m in markers)
    assert body.tail.strip() == "" and body.getnext() is None
