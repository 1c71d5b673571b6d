#!/usr/bin/env bash
# Build every pamphlet in source/ into dist/ (installing what is needed first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec .venv/bin/publish build "$@"
