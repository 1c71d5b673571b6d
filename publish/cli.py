"""The command line: parse, call the library, print diagnostics, return an exit status."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .render import DEFAULT_FORMATS, FORMATS

USAGE_ERROR = 2
NAME_MAX = 255  # bytes in one file name, on Linux's and macOS's file systems


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


class _Parser(argparse.ArgumentParser):
    """argparse, its usage errors said as diagnostics (P134) naming the option, like every other problem."""

    def error(self, message: str):
        from .errors import Diagnostic

        self.print_usage(sys.stderr)
        option, _, said = message.partition(": ") if message.startswith("argument -") else ("", "", message)
        where = option.removeprefix("argument ").split("/")[-1] if option else self.prog
        print(Diagnostic(where, 1, 1, "P134", said), file=sys.stderr)
        sys.exit(USAGE_ERROR)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="publish", description="Markdown pamphlets to A5 PDF, EPUB 3 and a web page.")
    parser.add_argument("--version", action="version", version=f"publish {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build sources into --out")
    build.add_argument("paths", nargs="*", metavar="PATH", type=_path, help="source file, source folder or folder of sources (default: source/)")
    build.add_argument("--out", default="dist", type=_path, help="output folder (default: dist/)")
    build.add_argument("--format", dest="formats", type=_formats, help=f"comma-separated: {','.join(FORMATS)} (default: [tool.publish] formats, "
                       f"else {','.join(DEFAULT_FORMATS)})")
    build.add_argument("--jobs", type=_jobs, default=1, help="sources built in parallel")
    build.add_argument("--shard", type=_shard, help="K/N: build only the K-th of N shares of the sources")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--force", action="store_true", help="render every source, even those unchanged since the last build")
    build.add_argument("--json", action="store_true", help="print the manifest, with every problem found, as JSON on stdout")
    build.add_argument("--quiet", action="store_true", help="print errors only: no list of the files written, no warnings or notes")
    build.set_defaults(run=_build)

    check = commands.add_parser("check", help="lint sources; validate the outputs built in --out (preflight, EPUBCheck)")
    check.add_argument("paths", nargs="*", metavar="PATH", type=_path)
    check.add_argument("--out", type=_path, help="where the built outputs are (default: dist/, if it exists)")
    check.set_defaults(run=_check)

    watch = commands.add_parser("watch", help="rebuild on change and serve a live preview on localhost")
    watch.add_argument("paths", nargs="*", metavar="PATH", type=_path)
    watch.add_argument("--out", default="dist", type=_path, help="output folder (default: dist/)")
    watch.add_argument("--format", dest="formats", type=_formats, default=("html", "pdf"),
                       help="formats to rebuild (default: html,pdf)")
    watch.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default: 8000)")
    watch.set_defaults(run=_watch)

    proof = commands.add_parser("proof", help="draw every page of the built PDFs on one PNG contact sheet in --out")
    proof.add_argument("paths", nargs="*", metavar="PATH", type=_path,
                       help="source file, source folder or folder of sources (default: source/)")
    proof.add_argument("--out", default="dist", type=_path, help="where the built PDFs are, and the sheets go (default: dist/)")
    proof.set_defaults(run=_proof)

    merge = commands.add_parser("merge", help="join the --out folders of a sharded build into one folder with one manifest")
    merge.add_argument("folders", nargs="+", metavar="DIR", help="an --out folder of `publish build --shard K/N`")
    merge.add_argument("--out", required=True, help="the folder to join them in (created if missing)")
    merge.set_defaults(run=_merge)

    new = commands.add_parser("new", help="scaffold source/<slug>.md")
    new.add_argument("title", type=_title)
    new.add_argument("--lang", default="en", help="the pamphlet's language, a BCP 47 tag (default: en)")
    new.set_defaults(run=_new)
    return parser


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {_quoted(', '.join(unknown) or value)} (choose from {','.join(FORMATS)})")
    twice = sorted({f for f in formats if formats.count(f) > 1})
    if twice:  # html,html would write and list the same file twice
        raise argparse.ArgumentTypeError(f"{', '.join(twice)} is given twice: name each format once")
    return formats


def _path(value: str) -> str:
    """A file or folder name the operating system can take (argv can hold no NUL; main() is called with any list)."""
    try:
        parts = os.fsencode(value).split(b"/")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(f"{_quoted(value)} is not a file name this system can write") from None
    if b"\0" in b"".join(parts):
        raise argparse.ArgumentTypeError(f"{_quoted(value)} holds a NUL character, which no file name can")
    if any(len(part) > NAME_MAX for part in parts):
        raise argparse.ArgumentTypeError(f"a name in {_quoted(value)} is longer than a file name may be ({NAME_MAX} bytes)")
    return value


def _title(value: str) -> str:
    """A title `new` can write into UTF-8 front matter that builds: no bytes that were not UTF-8, no control character."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a Latin-1 terminal: Python holds the bytes it could not decode as surrogates
        raise argparse.ArgumentTypeError(f"{_quoted(value)} holds bytes that are not UTF-8: type it in a UTF-8 terminal") from None
    control = re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value)
    if control:
        raise argparse.ArgumentTypeError(f"{_quoted(value)} holds the control character U+{ord(control[0]):04X}, which no "
                                         "edition can show")
    return value


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_quoted(value)} is not a whole number") from None


def _quoted(value: str) -> str:
    """The value as a message quotes it, a long one cut short."""
    return repr(value) if len(value) <= 60 else repr(value[:57]) + "..."


def _jobs(value: str) -> int:
    jobs = _whole(value)
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{jobs} is not a number of sources to build at once: give 1 or more")
    return jobs


def _port(value: str) -> int:
    port = _whole(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: give a number from 1 to 65535 (0 picks a free one)")
    return port


def _shard(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"{_quoted(value)} is not K/N with 1 <= K <= N")
    return int(match[1]), int(match[2])


def _build(args: argparse.Namespace) -> int:
    from .dist import Manifest
    from .errors import PublishError
    from .pipeline import build

    try:
        with _progress_bar(sys.stderr.isatty() and not args.quiet) as progress:
            manifest = build(args.paths or None, out=args.out, formats=args.formats, jobs=max(1, args.jobs),
                             shard=args.shard, strict=args.strict, force=args.force, progress=progress)
    except PublishError as exc:
        manifest = Manifest((), exc.diagnostics, tuple(d.path for d in exc.diagnostics) or (args.out,))
    _report(manifest.diagnostics, quiet=args.quiet)
    if args.json:  # one JSON document on stdout, whatever happened
        sys.stdout.write(_json_report(manifest))
    elif not args.quiet:
        for artifact in manifest.built:
            pages = f", {artifact.pages} pages" if artifact.pages else ""
            print(f"wrote {Path(args.out) / artifact.path} ({artifact.bytes:,} bytes{pages})", file=sys.stderr)
    return 0 if manifest.ok else 1


def _json_report(manifest) -> str:
    """The manifest as manifest.json has it, with every problem the build found and the sources that failed."""
    import json
    from dataclasses import asdict

    report = manifest.as_dict() | {"diagnostics": [asdict(d) for d in manifest.diagnostics], "failed": list(manifest.failed)}
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


@contextmanager
def _progress_bar(shown: bool):
    """A progress bar of the sources built, on a terminal only (rich, imported then); yields build()'s `progress`."""
    if not shown:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # No refresh thread (auto_refresh=False): the build forks its children while the bar is up, and a child forked
    # while another thread holds stderr's lock could hang on it. The bar is drawn as each source is done instead.
    columns = (TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=Console(stderr=True), auto_refresh=False, transient=True) as bar:
        task = bar.add_task("", total=None)

        def progress(source: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=source)
            bar.refresh()

        yield progress


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
    from .errors import Diagnostic, PublishError
    from .pipeline import check
    from .validate import listed_formats

    if args.out and not Path(args.out).is_dir():  # a typo would otherwise check nothing and say all is well
        _report([Diagnostic(args.out, 1, 1, "P323", "no such output folder: give --out the folder the build wrote to")])
        return 1
    args.out = args.out or "dist"
    try:
        problems = check(args.paths or None, out=args.out)
    except PublishError as exc:  # the project's settings: nothing was checked
        _report(exc.diagnostics)
        return 1
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


def _merge(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .merge import merge

    try:
        manifest = merge(args.folders, out=args.out)
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    count = len(manifest.artifacts)
    print(f"merged {len(args.folders)} folders into {args.out}: {count} file{'s' * (count != 1)}", file=sys.stderr)
    return 0


def _new(args: argparse.Namespace) -> int:
    from .errors import PublishError
    from .scaffold import new_source

    try:
        print(new_source(args.title, lang=args.lang))
    except PublishError as exc:
        _report(exc.diagnostics)
        return 1
    return 0


def _report(diagnostics, quiet: bool = False) -> None:
    for diagnostic in diagnostics:
        if not quiet or diagnostic.severity == "error":
            print(diagnostic, file=sys.stderr)
