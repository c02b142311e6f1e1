#!/usr/bin/env bash
# Replacing DynamoDB Local, proven: starts BINARY with DynamoDB Local's own command line
# (`cairn dynamodb-local -inMemory -port N`, so each access key and region has its own
# tables, as DynamoDB Local's default), then runs every client-library scenario against
# it — the AWS CLI, boto3 (client, resource, batch writer, dynamodbstreams), PynamoDB,
# the JavaScript SDK v2 DocumentClient and v3 (+ lib-dynamodb), DynamoDB-Toolbox,
# Dynamoose and ElectroDB — and then the test helpers' sample projects (pytest, Jest,
# Vitest), which start servers of their own from BINARY.
#
#   tests/dropin/run.sh target/release/cairn
#
# Installs the pinned libraries itself (a venv under /tmp, npm ci). Exits non-zero if
# any scenario or sample fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing Node.js (apt-get)"
  (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp /tmp/cairn-dropin-server.XXXXXX.log)
"$bin" dynamodb-local -inMemory -port "$port" -disableTelemetry >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 200); do
  curl -s -o /dev/null "$endpoint/" && break
  sleep 0.05
done
if ! curl -s -o /dev/null "$endpoint/"; then
  echo "cairn dynamodb-local did not start:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
echo "== client libraries against \`cairn dynamodb-local -inMemory -port $port\`"
"$here/python/run.sh" "$endpoint" || status=1
"$here/node/run.sh" "$endpoint" || status=1
kill $pid 2>/dev/null || true

echo "== test helpers' sample projects"
"$root/packages/pytest-cairn/sample/run.sh" "$bin" -q || status=1
"$root/packages/cairn-test-node/sample-jest/run.sh" "$bin" || status=1
"$root/packages/cairn-test-node/sample-vitest/run.sh" "$bin" || status=1
if [ $status -ne 0 ]; then
  echo "drop-in scenarios failed (server log: $log)" >&2
fi
exit $status
