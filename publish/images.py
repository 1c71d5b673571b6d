"""Is an image file one every edition can carry? Not empty, not truncated, not a bomb, not a disguised other file."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

MAX_IMAGE_BYTES = 40 * 1024 * 1024  # a 300 ppi A4 photo is a few MB
MAX_IMAGE_PIXELS = 50_000_000  # an A3 page at 300 ppi is 17.4 million
RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}
SVG_NS = "{http://www.w3.org/2000/svg}"
# CSS functions that take a URL as a string: url("…"), and the image functions that load one.
LOADING_FUNCTIONS = frozenset({"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade"})


def check_image_file(path: Path) -> None:
    """Raise ValueError saying what is wrong with the image at `path` (checked once per file version)."""
    info = path.stat()
    problem = _problem(path, info.st_size, info.st_mtime_ns)
    if problem:
        raise ValueError(problem)


@lru_cache(maxsize=256)
def _problem(path: Path, size: int, mtime: int) -> str | None:
    if size == 0:
        return "is empty (0 bytes)"
    if size > MAX_IMAGE_BYTES:
        return f"is {size:,} bytes; an image may have at most {MAX_IMAGE_BYTES:,}"
    suffix = path.suffix.lower()
    return _svg_problem(path) if suffix == ".svg" else _raster_problem(path, RASTER[suffix])


def _raster_problem(path: Path, expected: str) -> str | None:
    """Open with the decoder its name promises only, check the size before decoding, then decode it all."""
    from PIL import Image, ImageFile, UnidentifiedImageError

    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False  # WeasyPrint sets it True
    try:
        return _decode(path, expected, Image, UnidentifiedImageError)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode(path: Path, expected: str, Image, UnidentifiedImageError) -> str | None:  # noqa: N803 - the PIL names
    too_big = f"pixels; an image may have at most {MAX_IMAGE_PIXELS:,} (a decompression bomb?)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below, before decoding
            with Image.open(path, formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return f"is {width}×{height} = {width * height:,} {too_big}"
                if expected == "JPEG":
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))  # reads every byte, decodes less
                image.load()
    except Image.DecompressionBombError as exc:  # Pillow's own limit, past twice its default: refused before ours
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        return f"has {int(pixels.group(1)):,} {too_big}" if pixels else f"has too many {too_big}"
    except UnidentifiedImageError:
        return f"is not a {expected} image, as its name says"
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's words for truncated and corrupt data
        return f"is truncated or damaged ({exc})"
    return None


def _svg_problem(path: Path) -> str | None:
    """Well-formed SVG that draws by itself: no script, no event handler, no other file or URL (by a link, a
    stylesheet processing instruction, or a url() or @import in its styles, however the CSS escapes it)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(path.read_bytes(), parser)
    except etree.XMLSyntaxError as exc:
        return f"is not well-formed SVG ({exc})"
    if root.tag != f"{SVG_NS}svg":
        return "is not an SVG image"
    if root.getroottree().docinfo.internalDTD is not None:
        return "declares a DOCTYPE of its own (entities can make it explode)"
    for instruction in [*root.itersiblings(preceding=True), *root.iter(etree.ProcessingInstruction)]:
        if instruction.tag is etree.ProcessingInstruction and instruction.target.lower() == "xml-stylesheet":
            return "links a stylesheet (<?xml-stylesheet?>); an SVG image must be self-contained"
    for element in root.iter(etree.Element):
        problem = _element_problem(element)
        if problem:
            return problem
    return None


def _element_problem(element) -> str | None:
    from lxml import etree

    name = etree.QName(element).localname
    if name in ("script", "foreignObject"):
        return f"holds a <{name}>"
    if name in ("set", "animate") and element.get("attributeName", "").split(":")[-1] == "href":
        return f"changes a link by <{name}>; an SVG image must be self-contained"
    for attribute, value in element.attrib.items():
        attribute = etree.QName(attribute).localname
        if attribute.lower().startswith("on"):
            return f"has an event handler ({attribute})"
        if attribute == "href" and not value.strip().startswith(("#", "data:")):
            return f"refers to another file or URL ({value!r}); an SVG image must be self-contained"
        if "(" in value or "@" in value:  # style, and presentation attributes such as fill="url(…)"
            problem = _css_problem(value)
            if problem:
                return problem
    return _css_problem("".join(element.xpath("text()"))) if name == "style" else None


def _css_problem(css: str) -> str | None:
    """What in this CSS would load something: an @import, or a url() (or src(), image-set(), …) not to a #fragment.
    Read by a CSS tokenizer, so escapes (@\\69mport, u\\72l), comments and capitals hide nothing."""
    import tinycss2

    pending = list(reversed(tinycss2.parse_component_value_list(css, skip_comments=True)))  # popped in order
    while pending:
        token = pending.pop()
        if token.type == "at-keyword" and token.lower_value == "import":
            return "imports a stylesheet (@import); an SVG image must be self-contained"
        if token.type == "url" and not token.value.strip().startswith("#"):
            return f"loads another file or URL through a style url() ({token.value!r})"
        if token.type == "function":
            loaded = [t.value for t in token.arguments if t.type == "string" and not t.value.strip().startswith("#")]
            if token.lower_name in LOADING_FUNCTIONS and loaded:
                return f"loads another file or URL through a style {token.lower_name}() ({loaded[0]!r})"
            pending.extend(reversed(token.arguments))
        elif token.type in ("() block", "[] block", "{} block"):
            pending.extend(reversed(token.content))
    return None
