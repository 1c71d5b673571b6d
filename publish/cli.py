"""The command line: parse, call the library, print diagnostics, return an exit status."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .render import DEFAULT_FORMATS, FORMATS

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `publish` command; returns 0 (built), 1 (a source failed) or 2 (usage)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_help()
        return USAGE_ERROR
    with _terminate_as_exit():
        try:
            return args.run(args)
        except KeyboardInterrupt:  # files in --out are whole (written aside, renamed); children are stopped
            print("publish: interrupted", file=sys.stderr)
            return 130


@contextmanager
def _terminate_as_exit():
    """SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so temporary files are removed and children stopped."""

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="publish", description="Markdown pamphlets to A5 PDF, EPUB 3 and a web page.")
    parser.add_argument("--version", action="version", version=f"publish {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build sources into --out")
    build.add_argument("paths", nargs="*", metavar="PATH", help="source file, source folder or folder of sources (default: source/)")
    build.add_argument("--out", default="dist", help="output folder (default: dist/)")
    build.add_argument("--format", dest="formats", type=_formats, help=f"comma-separated: {','.join(FORMATS)} (default: [tool.publish] formats, "
                       f"else {','.join(DEFAULT_FORMATS)})")
    build.add_argument("--jobs", type=int, default=1, help="sources built in parallel")
    build.add_argument("--shard", type=_shard, help="K/N: build only the K-th of N shares of the sources")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--force", action="store_true", help="render every source, even those unchanged since the last build")
    build.add_argument("--json", action="store_true", help="print the manifest as JSON on stdout")
    build.set_defaults(run=_build)

    check = commands.add_parser("check", help="lint sources; validate the outputs built in --out (preflight, EPUBCheck)")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.add_argument("--out", help="where the built outputs are (default: dist/, if it exists)")
    check.set_defaults(run=_check)

    watch = commands.add_parser("watch", help="rebuild on change and serve a live preview on localhost")
    watch.add_argument("paths", nargs="*", metavar="PATH")
    watch.add_argument("--out", default="dist", help="output folder (default: dist/)")
    watch.add_argument("--format", dest="formats", type=_formats, default=("html", "pdf"),
                       help="formats to rebuild (default: html,pdf)")
    watch.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    watch.set_defaults(run=_watch)

    proof = commands.add_parser("proof", help="draw every page of the built PDFs on one PNG contact sheet in --out")
    proof.add_argument("paths", nargs="*", metavar="PATH", help="source file, source folder or folder of sources (default: source/)")
    proof.add_argument("--out", default="dist", help="where the built PDFs are, and the sheets go (default: dist/)")
    proof.set_defaults(run=_proof)

    new = commands.add_parser("new", help="scaffold source/<slug>.md")
    new.add_argument("title")
    new.add_argument("--lang", default="en", help="the pamphlet's language, a BCP 47 tag (default: en)")
    new.set_defaults(run=_new)
    return parser


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or value!r} (choose from {','.join(FORMATS)})")
    return formats


def _shard(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"{value!r} is not K/N with 1 <= K <= N")
    return int(match[1]), int(match[2])


def _build(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .pipeline import build

    try:
        manifest = build(args.paths or None, out=args.out, formats=args.formats, jobs=max(1, args.jobs),
                         shard=args.shard, strict=args.strict, force=args.force)
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    _report(manifest.diagnostics)
    if args.json:
        sys.stdout.write(manifest.to_json())
    else:
        for artifact in manifest.built:
            pages = f", {artifact.pages} pages" if artifact.pages else ""
            print(f"wrote {Path(args.out) / artifact.path} ({artifact.bytes:,} bytes{pages})", file=sys.stderr)
    return 0 if manifest.ok else 1


def _watch(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .watch import watch

    def report(manifest) -> None:
        _report(manifest.diagnostics)
        print(f"built {len(manifest.built)} files" + (f", {len(manifest.failed)} sources failed" if manifest.failed else ""),
              file=sys.stderr)

    try:
        watch(args.paths or None, out=args.out, formats=args.formats, port=args.port, report=report)
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    except OSError as exc:  # the port is taken
        print(f"publish watch: {exc}", file=sys.stderr)
        return 1
    return 0


def _check(args: argparse.Namespace) -> int:
    from .errors import Diagnostic
    from .pipeline import check
    from .validate import listed_formats

    if args.out and not Path(args.out).is_dir():  # a typo would otherwise check nothing and say all is well
        _report([Diagnostic(args.out, 1, 1, "P323", "no such output folder: give --out the folder the build wrote to")])
        return 1
    args.out = args.out or "dist"
    problems = check(args.paths or None, out=args.out)
    _report(problems)
    files = listed_formats(Path(args.out))
    what = ", ".join(f"{n} {fmt}" for fmt, n in sorted(files.items())) or "none listed in manifest.json"
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    verdict = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}" if problems else "no problems"
    print(f"checked the sources (front matter, Markdown, links, images) and the files in {args.out} ({what}: "
          f"PDFs by preflight, EPUBs by EPUBCheck, every file against its sha256): {verdict}", file=sys.stderr)
    return 1 if errors else 0


def _proof(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .proof import proof

    try:
        result = proof(args.paths or None, out=args.out)
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    _report(result.diagnostics)
    for path in result.written:
        print(f"wrote {Path(args.out) / path.name} ({path.stat().st_size:,} bytes)", file=sys.stderr)
    return 0 if result.ok else 1


def _new(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .scaffold import new_source

    try:
        print(new_source(args.title, lang=args.lang))
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    return 0


def _report(diagnostics) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
