"""build(): sources -> documents -> editions -> files in --out, plus manifest.json."""

from __future__ import annotations

import errno
import importlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .cache import Cache, Inputs
from .config import Config, load_config
from .dist import (
    Artifact,
    Manifest,
    artifact_for,
    check_writable,
    everything_in,
    folder_locked,
    record,
    signals_held,
    source_digest,
    write_atomic,
    write_set,
)
from .errors import Diagnostic, PublishError
from .render import DEFAULT_FORMATS, FORMATS

# What every build imports whatever its formats; the parent imports it, and what the formats asked for import
# (render.FORMATS), before forking, so that no child pays for it again (or has to map it under its memory budget).
WARM = ("publish.markup", "publish.editions", "publish.images", "publish.fonts", "PIL.Image", "PIL.JpegImagePlugin",
        "PIL.PngImagePlugin", "PIL.GifImagePlugin", "PIL.WebPImagePlugin", "uharfbuzz", "fontTools.ttLib.sfnt",
        "babel.dates", "slugify", "csv", "pickle", "zoneinfo")


@dataclass(frozen=True)
class SourceResult:
    """What building one source gave: its outputs, or the reasons it failed."""

    source: str
    lang: str
    outputs: tuple
    diagnostics: tuple[Diagnostic, ...]
    failed: bool
    key: str = ""  # where the build cache keeps it ("" when it came from there, or is not to be kept)
    inputs: dict[str, str] = field(default_factory=dict)  # what else it read, as cache.Inputs.fingerprint says
    source_sha256: str = ""  # the state of the source it was built from (dist.source_digest)


def build(
    paths: Iterable[str | Path] | None = None,
    *,
    out: str | Path = "dist",
    formats: Iterable[str] | None = None,
    root: str | Path = ".",
    jobs: int = 1,
    shard: tuple[int, int] | None = None,
    strict: bool = False,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> Manifest:
    """Build every source under `paths` into `out`; failed sources are reported, the rest still built. A source
    whose inputs have not changed since its last build is taken from the build cache (cache.py) unless `force`.
    `progress(source, done, total)` is called before the first source (done 0) and as each one is done."""
    config = load_config(root)
    # without --format: [tool.publish] formats, else every default format; html twice is html once
    formats = tuple(dict.fromkeys(formats or config.formats or DEFAULT_FORMATS))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    files, missing = _discover(config, paths)
    clashing, clashes = collisions(config, files, formats)  # over every source, so that every shard finds them
    if shard:
        index, count = shard
        files = [f for n, f in enumerate(files) if n % count == index - 1]
    files = [f for f in files if f not in clashing]
    editions = _editions(config, files)
    out_dir = _within(config, out)
    check_writable(out_dir, str(out))  # before any rendering: a read-only --out fails at once
    cache = _cache(config, formats, force)
    deliver = partial(_write, out_dir, str(out), cache)
    if progress:
        deliver = _counted(deliver, progress, len(files))
    written = _run(config, files, formats, strict, jobs, cache, deliver, editions)  # as each is done
    fresh: list[Artifact] = [a for result, made in written for a in made]
    diagnostics: list[Diagnostic] = missing + clashes + [d for result, _ in written for d in result.diagnostics]
    failed = [d.path for d in missing] + sorted(_display(config, f) for f in clashing)
    failed += [result.source for result, _ in written if result.failed]
    try:
        with folder_locked(out_dir):
            artifacts, stale = everything_in(out_dir, str(out), config.root, fresh)
            manifest = Manifest(artifacts, tuple(diagnostics) + stale, tuple(failed), tuple(a.path for a in fresh))
            write_atomic(out_dir / "manifest.json", manifest.to_json().encode("utf-8"))
    except OSError as exc:
        problem = Diagnostic(str(Path(out) / "manifest.json"), 1, 1, "P160", f"cannot write: {exc.strerror or exc}")
        manifest = Manifest(tuple(fresh), (*diagnostics, problem), (*failed, problem.path), tuple(a.path for a in fresh))
    return manifest


def check(paths: Iterable[str | Path] | None = None, *, root: str | Path = ".", out: str | Path = "dist") -> list[Diagnostic]:
    """Lint sources without rendering (front matter, Markdown, links, images), then validate what is built in `out`."""
    from . import budget
    from .validate import validate_outputs

    config = load_config(root)
    files, problems = _discover(config, paths)
    problems += collisions(config, files, config.formats or DEFAULT_FORMATS)[1]  # as `build` would find them
    lint = partial(_lint, config)
    if files and budget.available() and not os.environ.get("PUBLISH_DEBUG"):  # pathological Markdown is bounded here too
        importlib.import_module("publish.markup")
        limits = budget.Budget(config.render_timeout, config.render_memory)
        found = budget.run_all(lint, files, limits, done=lambda i, r: _over_budget(config, files[i], r).diagnostics
                               if isinstance(r, budget.Exceeded) else r)
    else:
        found = [lint(f) for f in files]
    return problems + [d for diagnostics in found for d in diagnostics] + validate_outputs(_within(config, out), str(out), config)


def _lint(config: Config, path: Path) -> list[Diagnostic]:
    from .markup import to_document
    from .sources import load

    try:
        return list(to_document(load(path, _display(config, path)), config.raw_html, _project(config)).warnings)
    except PublishError as exc:
        return list(exc.diagnostics)


def _discover(config: Config, paths: Iterable[str | Path] | None) -> tuple[list[Path], list[Diagnostic]]:
    """Source files under the PATH arguments, and a P106 for each argument that does not exist."""
    from .sources import discover

    given = [Path(p) for p in (paths or ["source"])]
    files, missing, escaped = discover([_within(config, p) for p in given])
    named = {_within(config, p): p for p in given}
    return files, [Diagnostic(str(named.get(m, m)), 1, 1, "P106", "no such source file or folder") for m in missing] + [
        Diagnostic(e.relative_to(config.root).as_posix() if e.is_relative_to(config.root) else str(e), 1, 1, "P150",
                   "refused to read it: a symbolic link to a file outside the folder of sources") for e in escaped]


def collisions(config: Config, files: list[Path], formats: tuple[str, ...]) -> tuple[set[Path], list[Diagnostic]]:
    """Sources that would write the same file (source/a.md and source/a/index.md, or two folders' a.md): one P161
    naming each group, before anything is rendered, and the sources to leave out. File names are compared as a file
    system that ignores case would (a name with capitals is refused anyway, P108)."""
    from .sources import name_problem, slug_of

    owners: dict[str, list[Path]] = {}
    for path in files:
        name = slug_of(path)
        if not name_problem(name):  # a name that is refused writes nothing
            for fmt in formats:
                owners.setdefault(FORMATS[fmt].filename(name).casefold(), []).append(path)
    groups: dict[tuple[Path, ...], list[str]] = {}
    for filename, paths in owners.items():
        if len(paths) > 1:
            groups.setdefault(tuple(paths), []).append(filename)
    found = []
    for paths, filenames in groups.items():
        shown = [_display(config, p) for p in paths]
        who = ", ".join(shown[:-1]) + f" and {shown[-1]}"
        what = ", ".join(filenames[:-1]) + f" and {filenames[-1]}" if len(filenames) > 1 else filenames[0]
        found.append(Diagnostic(shown[0], 1, 1, "P161", f"{who} would {'both' if len(paths) == 2 else 'all'} write "
                                f"{what}: rename one of them; {'neither' if len(paths) == 2 else 'none'} is built"))
    return {p for paths in groups for p in paths}, found


def _editions(config: Config, files: list[Path]) -> dict:
    """The language editions of each text (translations.find_editions), over every source of the project's folder of
    sources and of the folders `files` are in, not only those being built: a build of one edition links the others."""
    from .sources import discover
    from .translations import collection_of, find_editions

    folders = {config.root / "source", *(collection_of(f)[0] for f in files)}
    found, _, _ = discover(sorted(f for f in folders if f.is_dir()))
    found = sorted({*found, *files}, key=str)
    clashing, _ = collisions(config, found, tuple(FORMATS))  # never built (P161): no edition to link
    return find_editions([f for f in found if f not in clashing], config.base_url)


def _within(config: Config, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else config.root / path


def _write(out_dir: Path, shown: str, cache: Cache | None, result: SourceResult) -> tuple[SourceResult, list[Artifact]]:
    """Put one source's files in place, all of them or (a full disk) none, and keep them in the cache; the result
    without its bytes."""
    made = []
    if not result.failed:
        made = [artifact_for(o.filename, o.format, result.source, result.lang, o.data, o.pages, result.source_sha256)
                for o in result.outputs]
        try:
            with signals_held():  # the files and their manifest entries together
                write_set(out_dir, {o.filename: o.data for o in result.outputs})
                record(out_dir, made)
        except OSError as exc:
            problem = Diagnostic(result.source, 1, 1, "P160", f"cannot write to {shown}: {exc.strerror or exc}")
            return SourceResult(result.source, result.lang, (), result.diagnostics + (problem,), True), []
        if cache and result.key:
            cache.put(result.key, result.inputs, result.lang, result.outputs, result.diagnostics)
    return SourceResult(result.source, result.lang, (), result.diagnostics, result.failed), made


def _counted(deliver, progress: Callable[[str, int, int], None], total: int):
    """`deliver`, telling `progress` of each source done (in the parent, as results come in)."""
    done = [0]
    progress("", 0, total)

    def counted(result: SourceResult):
        delivered = deliver(result)
        done[0] += 1
        progress(result.source, done[0], total)
        return delivered

    return counted


def _run(config: Config, files: list[Path], formats: tuple[str, ...], strict: bool, jobs: int, cache: Cache | None,
         deliver, editions: dict | None = None) -> list:
    """Sources found unchanged in the cache first; then each other source in its own child process under the
    project's time and memory budget (budget.py). Each result is handed to `deliver` as soon as it is ready (so an
    interrupted build keeps the sources already done); the list comes back in the order of `files`."""
    from . import budget

    results: dict[int, object] = {}
    for index, path in enumerate(files):
        hit = _cached(config, cache, path, strict, (editions or {}).get(path, ()))
        if hit:
            results[index] = deliver(hit)
    todo = [(i, f) for i, f in enumerate(files) if i not in results]
    render = partial(build_source, config, formats=formats, strict=strict, cache=cache, editions=editions)
    if todo and (not budget.available() or os.environ.get("PUBLISH_DEBUG")):
        with budget.scratch():
            results.update((i, deliver(render(f))) for i, f in todo)  # in-process: tracebacks surface, no budget
    elif todo:
        limits = budget.Budget(config.render_timeout, config.render_memory)

        def done(n: int, result):
            index, path = todo[n]
            return deliver(_over_budget(config, path, result) if isinstance(result, budget.Exceeded) else result)

        with budget.scratch():  # set before warming up and forking: every temporary file of the build goes there
            _warm_up(config, formats, [f for _, f in todo])
            results.update(zip((i for i, _ in todo), budget.run_all(render, [f for _, f in todo], limits, jobs, done)))
    return [results[i] for i in range(len(files))]


def _cache(config: Config, formats: tuple[str, ...], force: bool) -> Cache | None:
    """The build cache, unless the project downloads (what a host serves may change unseen) or has no home for it."""
    if config.allowed_hosts:
        return None
    try:
        return Cache(config, formats, read=not force)
    except RuntimeError:  # Path.home(): no home folder
        return None


def _cached(config: Config, cache: Cache | None, path: Path, strict: bool, editions: tuple = ()) -> SourceResult | None:
    """The source's last build, if nothing it depends on has changed since."""
    display = _display(config, path)
    if not (cache and path.is_file()):  # a FIFO would block here: the build refuses it (sources.read_text)
        return None
    try:
        data = path.read_bytes()
        hit = cache.get(cache.key(data, display, repr(editions)))
    except OSError:  # unreadable: the build says why
        return None
    if not hit:
        return None
    found = _strict(hit.diagnostics) if strict else hit.diagnostics
    failed = any(d.severity == "error" for d in found)
    return SourceResult(display, hit.lang, () if failed else hit.outputs, found, failed,
                        source_sha256=source_digest(data))


def _strict(diagnostics: tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
    """--strict: every warning an error (notes stay notes)."""
    return tuple(Diagnostic(d.path, d.line, d.col, d.code, d.message, "error" if d.severity == "warning" else d.severity)
                 for d in diagnostics)


def _warm_up(config: Config, formats: tuple[str, ...], files: list[Path]) -> None:
    """Import what the renders need, compile the templates, lay out one word and read the hyphenation patterns of
    the sources' languages, once per process: every child is forked from here and starts warm (cffi parses
    WeasyPrint's C types on first use, pyphen parses a language's patterns: 0.1 s each, a child, otherwise)."""
    from .editions import warm_templates

    wanted = [FORMATS[f] for f in formats]
    prints = any(f.prints for f in wanted)
    if prints:
        from .weasyprint_import import import_weasyprint

        import_weasyprint()
    for module in dict.fromkeys([*WARM, *(m for f in wanted for m in f.imports), *(f.renderer.split(":")[0] for f in wanted)]):
        importlib.import_module(module)
    # A format built only when asked for has a template of its own (<name>.html.j2): not compiled for other builds.
    warm_templates(config, tuple(f"{f.name}.html.j2" for f in FORMATS.values() if not f.default and f.name not in formats))
    if prints:
        if "weasyprint" not in _WARMED:
            from weasyprint import HTML

            HTML(string="<p>warm</p>").render().write_pdf()
            _WARMED.add("weasyprint")
        _hyphenation_patterns(config, files)


def _hyphenation_patterns(config: Config, files: list[Path]) -> None:
    """Load pyphen's patterns (it keeps them per process) for each language the sources' front matter names."""
    import pyphen

    from .languages import hyphenates
    from .sources import load

    for path in files:
        try:
            lang = load(path, _display(config, path)).meta.lang
        except (PublishError, OSError):  # the child says what is wrong with it
            continue
        known = pyphen.language_fallback(lang.replace("-", "_")) if hyphenates(lang) else None  # as WeasyPrint looks
        if known and known not in _WARMED:
            pyphen.Pyphen(lang=known)
            _WARMED.add(known)


_WARMED: set[str] = set()


def _over_budget(config: Config, path: Path, exceeded) -> SourceResult:
    code = {"time": "P151", "memory": "P152"}.get(exceeded.kind, "P153")
    display = _display(config, path)
    return SourceResult(display, "", (), (Diagnostic(display, 1, 1, code, exceeded.message),), True)


def build_source(config: Config, path: Path, formats: tuple[str, ...], strict: bool = False,
                 cache: Cache | None = None, editions: dict | None = None) -> SourceResult:
    """Render one source in every format; any error fails the whole source, so no partial set is written. With a
    cache, the result says where to keep it and what it read. `editions` (_editions) gives each source the language
    editions of its text."""
    from .fetch import FetchRefused
    from .fonts import missing_glyphs
    from .markup import to_document
    from .render.printed import PrintEdition
    from .sources import load

    display = _display(config, path)
    lang = ""
    try:
        siblings = (editions or {}).get(path, ())
        document = replace(to_document(load(path, display), config.raw_html, _project(config)), editions=siblings)
        lang = document.meta.lang
        data = path.read_bytes()  # read as just now: an unreadable file failed there
        key, digest = cache.key(data, display, repr(siblings)) if cache else "", source_digest(data)
        edition = PrintEdition(config, document)
        outputs = tuple(FORMATS[fmt].render()(config, document, edition) for fmt in formats)
    except PublishError as exc:
        return SourceResult(display, lang, (), exc.diagnostics, True)
    except FetchRefused as exc:  # an EPUB or web edition file read (images, cover) refused as WeasyPrint's would be
        return SourceResult(display, lang, (), (Diagnostic(display, 1, 1, "P150", str(exc)),), True)
    except MemoryError:  # over the render_memory budget: budget.py reports it as such
        raise
    except (ImportError, OSError) as exc:
        if "failed to map segment" in str(exc) or getattr(exc, "errno", None) == errno.ENOMEM:
            raise MemoryError(str(exc)) from None  # a library loaded under the budget
        return SourceResult(display, lang, (), (Diagnostic(display, 1, 1, "P900", f"internal error while rendering: "
                                                           f"{type(exc).__name__}: {exc}"),), True)
    except RecursionError:  # a layout nested deeper than the checks in markup foresaw
        return SourceResult(display, lang, (), (Diagnostic(display, 1, 1, "P111", "the text is nested too deeply to lay out"),), True)
    except Exception as exc:  # a renderer bug must not take the other sources down with it
        if os.environ.get("PUBLISH_DEBUG"):
            raise
        message = f"internal error while rendering: {type(exc).__name__}: {exc}"
        return SourceResult(display, lang, (), (Diagnostic(display, 1, 1, "P900", message),), True)
    checked, fallbacks = _preflight(config, document, outputs)
    found = document.warnings + edition.warnings + tuple(d for o in outputs for d in o.warnings) + checked
    found = tuple(dict.fromkeys(found))  # what two layouts of the text say alike (the A5 edition's, the leaflet's): once
    drawn_in = "the PDFs" if any(FORMATS[o.format].pdf for o in outputs) else "the EPUB's cover"  # what WeasyPrint draws
    found = missing_glyphs(config, document, found, fallbacks, drawn_in)  # one warning for them all, not one per drawing
    found = _strict(found) if strict else found
    failed = any(d.severity == "error" for d in found)
    if failed or not cache:
        return SourceResult(display, lang, () if failed else outputs, found, failed, source_sha256=digest)
    dated_by = document.source.path if config.epoch is None and not document.meta.date else None  # editions.modified
    inputs = Inputs(tuple(a.path for a in _printed_images(document)), document.linked, dated_by)
    return SourceResult(display, lang, outputs, found, failed, key, inputs.fingerprint(), digest)


def _preflight(config: Config, document, outputs) -> tuple[tuple[Diagnostic, ...], list[str]]:
    """Read every PDF back: fonts, boxes, image resolution, text; problems name the source. Apart, the system fonts
    characters fell back to (fonts.missing_glyphs says which characters, once for the source)."""
    from .fonts import project_font_names
    from .pdfs import read
    from .preflight import fallback_fonts, image_names, preflight

    pdfs = [o for o in outputs if FORMATS[o.format].pdf]
    names, fonts = (image_names(_printed_images(document)), project_font_names(config)) if pdfs else ({}, frozenset())
    built = {o.format for o in pdfs}
    found, said, fallbacks = [], set(), set()
    for output in pdfs:
        drawn = output.pages_of not in built  # pages placed as they are from a PDF read back here: read there
        for d in preflight(output.data, output.format, output.filename, names, fonts, drawn):
            if d.code == "P303":
                fallbacks.update(fallback_fonts(read(output.data), fonts))
                continue
            if d.severity == "warning":  # the same low-resolution image in every PDF: say it once
                key = (d.code, re.sub(r" on page \d+", "", d.message))
                if key in said:
                    continue
                said.add(key)
            found.append(Diagnostic(document.source.display, 1, 1, d.code, f"{output.filename}: {d.message}", d.severity))
    return tuple(found), sorted(fallbacks)


def _printed_images(document) -> tuple:
    """The text's images and the cover image, which the print edition's first page shows."""
    from .markup import Asset
    from .sources import check_image

    meta = document.meta
    cover = (Asset(check_image(meta.cover, document.source.folder), meta.cover),) if meta.cover else ()
    return document.assets + cover


def _project(config: Config):
    from .links import Project

    return Project(config.root, config.base_url)


def _display(config: Config, path: Path) -> str:
    try:
        return path.resolve().relative_to(config.root).as_posix()
    except ValueError:
        return str(path)
