"""Where a link in a pamphlet may point, decided once for every edition.

- http(s) and mailto links are kept; so is a #fragment whose id exists.
- A link to another source of the project (`reply.md`, `../reply/index.md#top`, `reply.html`) becomes a link
  between pamphlets: `<slug>.html#…` in the web edition; in the PDF and EPUB, that page at `base_url` when the
  project sets one, else the words alone (a note says so).
- Any other relative or root-relative link is resolved against the pamphlet's `source_url`, where the text came from.
- Anything else (no `source_url` to resolve against, `javascript:`, `data:`, `file:`, `ftp:`, `tel:`, a template
  leftover such as `{{ url }}`, a fragment with no target) keeps its words and loses the link, with a warning.

After `LinkPolicy.apply`, the only relative links left in a body are links between pamphlets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .xhtml import unwrap

KEPT_SCHEMES = ("http", "https", "mailto")
NOT_IN_URL = re.compile(r"[\s<>{}]")  # a template leftover ({{ url }}) or prose, not a URL
UNSAFE_IN_URL = re.compile(r'[\\"^`|]')  # browsers encode these; EPUB checkers refuse them raw


@dataclass(frozen=True)
class Project:
    """What links between pamphlets need to know: the project's folder and where its web editions are published."""

    root: Path | None = None
    base_url: str = ""


@dataclass(frozen=True)
class Verdict:
    """What becomes of one link target: the href to write (None: the words alone), and why, if it is not kept."""

    href: str | None
    code: str = ""
    message: str = ""
    severity: str = "warning"


class LinkPolicy:
    """Judge each href of one source's body; `apply` rewrites or unwraps the links of a tree accordingly."""

    def __init__(self, path: Path, source_url: str, project: Project) -> None:
        self.path, self.source_url, self.project = path, source_url, project
        self.verdicts: dict[str, Verdict] = {}
        self.probed: set[Path] = set()  # pamphlet files looked for: the verdicts change when one comes or goes

    def judge(self, href: str, ids: set[str]) -> Verdict:
        if href not in self.verdicts:
            self.verdicts[href] = self._judge(href.strip(), ids)
        return self.verdicts[href]

    def judge_unsafe(self, root) -> None:
        """Judge the links whose scheme is never written, before the sanitiser drops them without a word."""
        for a in root.iter("a"):
            href = a.get("href")
            if href is not None and _scheme(href) not in ("", *KEPT_SCHEMES):
                self.judge(href, set())  # refused by scheme alone: the ids do not matter

    def apply(self, root) -> None:
        """Rewrite each link of `root` (an lxml body) to its verdict's href, or keep only its words."""
        ids = {e.get("id") for e in root.iter() if e.get("id")}
        for a in list(root.iter("a")):
            href = a.get("href")
            if href is None:
                if not a.attrib:  # a link whose href the sanitiser dropped: its words
                    unwrap(a)
                continue
            verdict = self.judge(href, ids)
            if verdict.href is None:
                unlink(a)
            else:
                a.set("href", verdict.href)

    def problems(self) -> list[tuple[str, Verdict]]:
        """Each link target that was not kept as written and has something to say, with its verdict."""
        return [(href, v) for href, v in self.verdicts.items() if v.code]

    def _judge(self, href: str, ids: set[str]) -> Verdict:
        if href in ("", "#"):  # scraped empty links: the words alone, nothing to say
            return Verdict(None)
        if href.startswith("#"):
            if href[1:] in ids:
                return Verdict(href)
            return _dropped(href, "P122", f"no heading or element has the id {href[1:]!r}")
        scheme = _scheme(href)
        if scheme is None:
            return _dropped(href, "P120", "it is not a URL")
        parts = urlsplit(href)
        if scheme in ("http", "https"):
            return Verdict(_escaped(href)) if parts.netloc else _dropped(href, "P120", "it names no host")
        if scheme == "mailto":
            return Verdict(_escaped(href)) if parts.path else _dropped(href, "P120", "it names no address")
        if scheme:
            return _dropped(href, "P120", "only http(s), mailto, #fragment and relative links are followed")
        if not parts.netloc and not parts.path.startswith("/"):
            pamphlet = self._pamphlet(parts.path, parts.fragment, ids)
            if pamphlet is not None:
                return pamphlet
        if self.source_url:
            return Verdict(_escaped(urljoin(self.source_url, href)))
        if parts.netloc:  # //host/path: the scheme the web has settled on
            return Verdict(_escaped("https:" + href))
        return _dropped(href, "P120", "a relative link, and the pamphlet has no source_url to resolve it against")

    def _pamphlet(self, path: str, fragment: str, ids: set[str]) -> Verdict | None:
        """A link to a source of this project (the pamphlet itself, or another), or None."""
        from .sources import name_problem, slug_of

        root = self.project.root
        if root is None or not path:
            return None
        try:
            target = (self.path.parent / unquote(path)).resolve()
            if not target.is_relative_to(root):  # never look at what lies outside the project
                return None
            if path.endswith("/") or target.is_dir():
                candidates = [target / "index.md"]
            elif target.suffix in (".md", ".html"):  # reply.md or reply.html: source/reply.md or source/reply/index.md
                candidates = [target.with_suffix(".md"), target.with_suffix("") / "index.md"]
            else:
                return None
            there = [candidate for candidate in candidates if candidate.is_file()]
        except (OSError, ValueError):  # a name no file system holds (longer than it allows, a NUL): no pamphlet's
            return None
        self.probed.update(candidates)
        for candidate in there:
            if candidate == self.path.resolve():  # the pamphlet itself: a fragment, or the words alone
                return self._judge(f"#{fragment}", ids) if fragment else Verdict(None)
            slug = slug_of(candidate)
            if name_problem(slug):
                continue
            href = f"{slug}.html" + (f"#{fragment}" if fragment else "")
            if self.project.base_url:
                return Verdict(href)
            return Verdict(href, "P123", f"link {path + ('#' + fragment if fragment else '')!r} to the pamphlet {slug!r}: "
                           "its words only in the PDF and EPUB, which can link to its web edition when [tool.publish] "
                           "sets base_url", "note")
        return None


def _scheme(href: str) -> str | None:
    """The link's scheme, lower-case ("" for a relative link), or None when it is not a URL at all."""
    if NOT_IN_URL.search(href.strip()):
        return None
    try:
        return urlsplit(href.strip()).scheme.lower()
    except ValueError:  # an unclosed [ in the host, …
        return None


def _escaped(url: str) -> str:
    """The URL with the ASCII characters a URL may not hold (a backslash, a quote, …) percent-encoded."""
    return UNSAFE_IN_URL.sub(lambda m: f"%{ord(m.group()):02X}", url)


def _dropped(href: str, code: str, why: str) -> Verdict:
    return Verdict(None, code, f"link {href[:200]!r} cannot be followed ({why}): its words are kept without the link")


def between_pamphlets(root, base_url: str) -> None:
    """Links to other pamphlets (the only relative links a body keeps) in the PDF and EPUB: their web edition
    at `base_url`, or without one the words alone. The web edition keeps them relative."""
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None or href.startswith("#") or _scheme(href) != "":
            continue
        if base_url:
            a.set("href", urljoin(base_url if base_url.endswith("/") else base_url + "/", href))
        else:
            unlink(a)


def unlink(a) -> None:
    """The link's words without the link; an <a> with an id stays, as an anchor."""
    del a.attrib["href"]
    if a.get("id") is None:
        unwrap(a)
