#!/usr/bin/env bash
# Check every package installed in .venv against the Python advisory databases (pip-audit: PyPI's, then OSV's).
#   exit 0  no known vulnerability, or the advisory services could not be reached (said so, as "audit: skipped: ...")
#   exit 1  a vulnerable package: its name, version, advisory and the version that fixes it are printed
# It never hangs: pip-audit has a per-request timeout and the whole run a time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/setup.sh build
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# pip-audit lives in its own virtualenv, so that neither it nor its dependencies are audited as the project's.
tool=.cache/audit
if [ ! -x "$tool/bin/pip-audit" ]; then
  python3 -m venv "$tool"
  if ! timeout 300 "$tool/bin/python" -m pip install -q --disable-pip-version-check "pip-audit>=2.7,<3" >/dev/null 2>&1; then
    echo "audit: skipped: pip-audit could not be installed from PyPI (no network?)"
    rm -rf "$tool"
    exit 0
  fi
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
for service in pypi osv; do
  timeout 600 "$tool/bin/pip-audit" --path "$site" --skip-editable --vulnerability-service "$service" --timeout 20 \
    --progress-spinner off --format json --output "$report" 2>/dev/null || true
  verdict=$("$tool/bin/python" - "$report" "$service" <<'PY'
import json, sys
try:
    deps = json.load(open(sys.argv[1]))["dependencies"]
except (OSError, ValueError, KeyError):
    print("unreachable no report"); sys.exit()
audited = [d for d in deps if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if not audited:
    reason = deps[0]["skip_reason"] if deps else "nothing installed"
    print(f"unreachable {len(deps)} packages, none audited ({reason})")
elif vulnerable:
    print("vulnerable")
    for d in vulnerable:
        for v in d["vulns"]:
            fix = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            print(f"  {d['name']} {d['version']}: {v['id']} (fixed in {fix})")
else:
    print(f"clean {len(audited)} packages audited against {sys.argv[2]}, {len(deps) - len(audited)} unknown to it")
PY
)
  case "$verdict" in
    clean*) echo "audit: no known vulnerabilities (${verdict#clean })"; exit 0 ;;
    vulnerable*) echo "audit: vulnerable packages in .venv:"; echo "${verdict#vulnerable}" | sed '/^$/d'; exit 1 ;;
    *) echo "audit: the $service advisory service gave nothing: ${verdict#unreachable }" ;;
  esac
done
echo "audit: skipped: no advisory service could be reached (PyPI's JSON API per version, api.osv.dev)"
exit 0
