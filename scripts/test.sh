#!/usr/bin/env bash
# Run the test suite (pytest) with every checker installed: EPUBCheck, Ace by DAISY, axe-core, pdfua, outloud, poppler,
# Calibre.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PUBLISH_ACE="$PWD/.cache/ace/node_modules/.bin/ace-puppeteer"
export PUBLISH_AXE="$PWD/.cache/axe/node_modules/axe-core/axe.min.js"
export PUPPETEER_EXECUTABLE_PATH=${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}
# pytest-xdist, one worker per core (PUBLISH_TEST_WORKERS=N for N, 0 for none): whole files go to a worker, so that a
# module's fixtures are built once, in the order tests/conftest.py gives (the slowest files first), not by size.
exec .venv/bin/python -m pytest -n "${PUBLISH_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder "$@"
