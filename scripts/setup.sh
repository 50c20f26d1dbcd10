# Shared by scripts/run and scripts/test: a virtualenv with Canoe installed. Installing also
# compiles the message catalogs (setup.py), so a changed .po file is picked up on every run.
# Usage: source scripts/setup.sh [extra]   (extra: "test" installs the test tools too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Canoe needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Debian's python3-venv ..."
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      echo "Python's venv module is missing: install it (Debian: apt-get install python3-venv)." >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  # The page checkers of the browser tests (axe-core, the Nu HTML checker): package.json.
  # --ignore-scripts: vnu-jar's install step would fetch a Java of its own; Debian's is used.
  if command -v npm >/dev/null; then
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
  else
    echo "!!! npm is not installed: the browser tests' page checkers (axe-core, vnu) will NOT run." >&2
  fi
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
export FLASK_APP=wsgi
