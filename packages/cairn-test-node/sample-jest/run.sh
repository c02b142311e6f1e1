#!/usr/bin/env bash
# Runs the Jest sample (and @cairn-db/test's own tests) against a cairn binary.
#
#   ./run.sh /path/to/cairn [jest args...]
#
# The binary comes from the first argument, else $CAIRN_BIN, else `cairn` on PATH.
# Dependencies are installed with `npm ci` (exact versions from package-lock.json)
# when node_modules is missing or older than the lock file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
helper="$(dirname "$here")"

if [ $# -ge 1 ]; then
  if [ ! -x "$1" ]; then
    echo "run.sh: $1 is not an executable cairn binary" >&2
    exit 2
  fi
  CAIRN_BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  export CAIRN_BIN
  shift
fi

cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "== Jest sample (CAIRN_BIN=${CAIRN_BIN:-<PATH lookup>})"
npx --no-install jest "$@"

echo "== @cairn-db/test's own tests"
(cd "$helper" && node --test test/helper.test.js)
