#!/usr/bin/env bash
# The web console's tests: the SigV4 signer against botocore, the pure modules
# (node --test), and the console in headless Chromium (Selenium + pytest) against
# three servers started here on free ports: a plain one, one with --auth sigv4,
# and one seeded with a 100,000-item table.
# Usage: tests/console/run.sh path/to/cairn
#   CAIRN_CONSOLE_DIR=dir   serve the console from dir (--console-dir) instead of
#                           the assets built into the binary
#   CAIRN_CONSOLE_SCREENSHOTS=1  also save docs/console/*.png
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cairn=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

# What the tests need: Chromium and its driver, node, a venv with selenium and pytest.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! command -v node >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nodejs >/dev/null
  else
    echo "tests/console: needs chromium, chromedriver and node (apt-get install chromium chromium-driver nodejs)" >&2
    exit 1
  fi
fi
venv=${CAIRN_CONSOLE_VENV:-/tmp/cairn-console-venv}
if ! "$venv/bin/python" -c 'import selenium, pytest, boto3' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check selenium pytest boto3
fi

echo "== SigV4 signer against botocore"
node "$here/sigv4_check.mjs"
echo "== pure modules (node --test)"
node --test "$here/unit.test.mjs"

work=$(mktemp -d /tmp/cairn-console-tests.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
console_args=()
if [ -n "${CAIRN_CONSOLE_DIR:-}" ]; then console_args=(--console-dir "$CAIRN_CONSOLE_DIR"); fi

# Credentials for the --auth sigv4 server.
cat >"$work/credentials.json" <<'JSON'
{"principals": [{"name": "console", "access_key_id": "AKIACONSOLETEST", "secret_access_key": "console-secret-key"}]}
JSON
chmod 600 "$work/credentials.json"

# 100,000 items for the paging test, loaded by --seed before the port opens.
mkdir -p "$work/seed"
python3 - "$work/seed" <<'PY'
import json, sys
d = sys.argv[1]
json.dump({"TableName": "big", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
           "BillingMode": "PAY_PER_REQUEST"}, open(f"{d}/big.table.json", "w"))
with open(f"{d}/big.jsonl", "w") as f:
    for i in range(100_000):
        f.write(json.dumps({"pk": {"S": f"item-{i:06d}"}, "n": {"N": str(i)}, "label": {"S": f"label {i}"}}) + "\n")
PY

plain_port=$(free_port)
"$cairn" serve --in-memory --port "$plain_port" "${console_args[@]}" >"$work/plain.log" 2>&1 &
pids+=($!)
auth_port=$(free_port)
"$cairn" serve --in-memory --port "$auth_port" --auth sigv4 --credentials "$work/credentials.json" "${console_args[@]}" >"$work/auth.log" 2>&1 &
pids+=($!)
seed_port=$(free_port)
"$cairn" serve --in-memory --port "$seed_port" --seed "$work/seed" --seed-region us-east-1 "${console_args[@]}" >"$work/seed.log" 2>&1 &
pids+=($!)

python3 - "$plain_port" "$auth_port" "$seed_port" <<'PY'
import sys, time, urllib.request
for port in sys.argv[1:]:
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/console/", timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit(f"server on port {port} did not start")
            time.sleep(0.1)
PY

export CAIRN_CONSOLE_URL="http://127.0.0.1:$plain_port"
export CAIRN_CONSOLE_AUTH_URL="http://127.0.0.1:$auth_port"
export CAIRN_CONSOLE_SEED_URL="http://127.0.0.1:$seed_port"
export CAIRN_CONSOLE_ASSETS="$root/crates/cairn-server/console"
echo "== the console in Chromium"
status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" || status=$?
if [ "$status" = 0 ] && [ "${CAIRN_CONSOLE_SCREENSHOTS:-}" = 1 ]; then
  echo "== screenshots (a fresh server, so the tables list holds only the demo tables)"
  shots_port=$(free_port)
  "$cairn" serve --in-memory --port "$shots_port" "${console_args[@]}" >"$work/shots.log" 2>&1 &
  pids+=($!)
  python3 - "$shots_port" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/console/", timeout=2)
        break
    except OSError:
        time.sleep(0.1)
PY
  (cd "$here" && CAIRN_CONSOLE_URL="http://127.0.0.1:$shots_port" "$venv/bin/python" "$here/screenshots.py" "$root/docs/console")
fi
if [ "$status" != 0 ]; then
  for log in plain auth seed; do echo "--- $log server log (tail)"; tail -n 20 "$work/$log.log"; done
fi
exit "$status"
