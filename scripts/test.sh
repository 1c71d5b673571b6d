#!/usr/bin/env bash
# Run the test suite (pytest) with every checker installed: EPUBCheck, Ace by DAISY, poppler.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PUBLISH_ACE="$PWD/.cache/ace/node_modules/.bin/ace-puppeteer"
export PUPPETEER_EXECUTABLE_PATH=${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}
exec .venv/bin/python -m pytest "$@"
