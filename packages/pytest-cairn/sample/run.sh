#!/usr/bin/env bash
# Runs the pytest-cairn sample (and the plugin's own tests) against a cairn binary.
#
#   ./run.sh /path/to/cairn [pytest args...]
#
# The binary comes from the first argument, else $CAIRN_BIN, else `cairn` on PATH.
# The virtualenv is $HELPERS_VENV (default /tmp/cairn-helpers-venv); it is created if
# missing and the pinned requirements and the plugin (from this checkout) are installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$(dirname "$here")"
venv="${HELPERS_VENV:-/tmp/cairn-helpers-venv}"

if [ $# -ge 1 ]; then
  if [ ! -x "$1" ]; then
    echo "run.sh: $1 is not an executable cairn binary" >&2
    exit 2
  fi
  CAIRN_BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  export CAIRN_BIN
  shift
fi

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
# Always the plugin as it is in this checkout (same version number, so force it).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$plugin"

echo "== pytest-cairn sample (CAIRN_BIN=${CAIRN_BIN:-<PATH lookup>})"
(cd "$here" && "$venv/bin/python" -m pytest -p no:cacheprovider "$@")

echo "== pytest-cairn's own tests"
(cd "$plugin" && "$venv/bin/python" -m pytest -p no:cacheprovider tests "$@")
