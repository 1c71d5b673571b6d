"""What the A5 PDF's tags need beyond what WeasyPrint writes, done on its objects before they are written out.

- WeasyPrint marks the text of the page-margin boxes (running heads, folios) as content, with structure elements
  it never links into the tag tree; PDF/UA wants page furniture marked as a pagination artifact instead.
- The back cover's QR code repeats the source URL that the imprint beside it prints as a link, and its caption
  links there too: a screen reader should skip the picture, so it becomes an artifact.
- Link annotations get the Print flag, without which a reader may show and print them differently.
- A list item holding blocks (its words' wrapper is a <div>, markup.py) gets its body as /LBody, not /Div; a header
  cell of a table's head row says it heads its column (/Scope /Column)."""

from __future__ import annotations

from functools import partial

PRINT = 4  # the Print bit of an annotation's /F flags


def finisher(qr_alt: str = ""):
    """A WeasyPrint finisher (write_pdf's `finisher`) for the tagged A5 PDF; `qr_alt` is the QR code's title."""
    return partial(finish, qr_alt=qr_alt)


def finish(document, pdf, qr_alt: str = "") -> None:
    """Rewrite WeasyPrint's pydyf `pdf` in place, as the module's docstring says; `document` is not needed."""
    printable_links(pdf)
    if "StructTreeRoot" not in pdf.catalog:  # untagged
        return
    root = _get(pdf, pdf.catalog["StructTreeRoot"])
    tree = [pdf.objects[number] for number in sorted(_reachable(pdf, root))]
    decorative = [elem for elem in tree if qr_alt and elem.get("S") == "/Figure" and _text(elem.get("Alt")) == qr_alt]
    for elem in decorative:
        parent = _get(pdf, elem["P"])
        parent["K"][:] = [kid for kid in _kids(parent) if kid != elem.reference]
    figures = {id(elem) for elem in decorative}
    kept = {id(elem) for elem in tree} - figures
    nums = _get(pdf, root["ParentTree"])["Nums"]
    for index, number in enumerate(pdf.pages["Kids"][::3]):  # Nums starts with each page's MCIDs, in page order
        _artifacts(pdf, pdf.objects[number], nums[2 * index + 1], kept, figures)
    for obj in pdf.objects:  # the margin boxes' and the QR code's elements: out of the tree, emptied
        if _is_struct_elem(obj) and id(obj) not in kept:
            obj.clear()
    for elem in tree:
        if id(elem) in kept:
            _list_body_and_header_scope(pdf, elem)


def printable_links(pdf) -> None:
    """Set the Print flag on every link annotation (WeasyPrint sets no flag)."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Annot" and obj.get("Subtype") == "/Link":
            obj["F"] = obj.get("F", 0) | PRINT


def _artifacts(pdf, page, mcids: list, kept: set[int], decorative: set[int]) -> None:
    """Mark the content of `page` whose structure element is not `kept` as an artifact: a plain one for the QR code
    (`decorative`), a pagination artifact for the rest, the margin boxes' text; their MCIDs leave the ParentTree."""
    furniture, figures = set(), set()
    for mcid, reference in enumerate(mcids):
        if isinstance(reference, bytes) and id(elem := _get(pdf, reference)) not in kept:
            (figures if id(elem) in decorative else furniture).add(mcid)
    if not furniture | figures:
        return
    _mark_artifacts(_get(pdf, page["Contents"]), furniture, figures)
    for mcid in furniture | figures:
        mcids[mcid] = "null"
    while mcids and mcids[-1] == "null":
        mcids.pop()


def _mark_artifacts(stream, furniture: set[int], figures: set[int]) -> None:
    """In a page's content `stream` (pydyf's list of operators and operands) `/Span <</MCID 3>> BDC` becomes
    `/Artifact <</Type /Pagination>> BDC` for an MCID in `furniture`, `/Figure <</MCID 7>> BDC` becomes
    `/Artifact BMC` for one in `figures`."""
    import pydyf

    items, out = stream.stream, []
    for i, item in enumerate(items):
        mcid = item.get("MCID") if isinstance(item, pydyf.Dictionary) else None
        if (mcid in furniture or mcid in figures) and out and items[i + 1:i + 2] == [b"BDC"]:
            out[-1] = "/Artifact"  # was the sequence's tag (/Span, /Figure)
            if mcid in furniture:
                out.append(pydyf.Dictionary({"Type": "/Pagination"}))
            else:
                items[i + 1] = b"BMC"  # the BDC that follows, appended next
        else:
            out.append(item)
    stream.stream = out


def _list_body_and_header_scope(pdf, elem) -> None:
    if elem.get("S") == "/Div" and _role(pdf, elem.get("P")) == "/LI":
        elem["S"] = "/LBody"
    elif elem.get("S") == "/TH" and _role(pdf, _get(pdf, elem["P"]).get("P")) == "/THead" and "A" in elem:
        elem["A"]["Scope"] = "/Column"  # WeasyPrint gives every cell its /A (/O /Table)


def _reachable(pdf, root) -> set[int]:
    """Object numbers of the structure elements in the tag tree under `root`."""
    found: set[int] = set()
    todo = [kid for kid in _kids(root) if isinstance(kid, bytes)]
    while todo:
        number = _number(todo.pop())
        if number in found or not _is_struct_elem(pdf.objects[number]):
            continue
        found.add(number)
        todo.extend(kid for kid in _kids(pdf.objects[number]) if isinstance(kid, bytes))
    return found


def _role(pdf, reference) -> str | None:
    return _get(pdf, reference).get("S") if isinstance(reference, bytes) else None


def _text(string) -> str | None:
    return getattr(string, "string", None)


def _kids(elem) -> list:
    kids = elem.get("K")
    return list(kids) if isinstance(kids, list) else [] if kids is None else [kids]


def _is_struct_elem(obj) -> bool:
    return isinstance(obj, dict) and obj.get("Type") == "/StructElem"


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def _get(pdf, reference):
    return pdf.objects[_number(reference)] if isinstance(reference, bytes) else reference
