#!/usr/bin/env bash
# Runs ../shared/bench against Cairn and its peers, one server at a time on a quiet
# machine, appending to $BENCH_OUT/results.tsv (default /tmp/cairn-bench).
# Usage: scripts/bench-peers.sh "getitem putitem"   (scripts to run)
# Peers are optional and found through:
#   DYNOXIDE=/tmp/dynoxide/bin/dynoxide
#   DDB_LOCAL_DIR=/tmp/package/lib/dynamodb_local_<date>   (java -jar DynamoDBLocal.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPTS=${1:-"getitem putitem"}
BENCH=${BENCH_DIR:-../shared/bench}
cargo build --release -p cairn >/dev/null 2>&1

wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "server at $1 did not start" >&2; return 1; }

run() {  # name url pid
  # load.py ends by checking Query and Scan; until Cairn has them that check fails
  # after the data is loaded, which is all GetItem and PutItem need.
  python3 "$BENCH/load.py" "$2" >/dev/null 2>&1 || echo "# $1: load.py's final Query/Scan check failed" >&2
  "$BENCH/run_peer.sh" "$1" "$2" "$3" $SCRIPTS
  kill "$3"; wait "$3" 2>/dev/null || true
}

data=$(mktemp -d)
target/release/cairn serve --port 8000 --data-dir "$data" 2>/dev/null & pid=$!
wait_up http://127.0.0.1:8000/ && run cairn http://127.0.0.1:8000 $pid
rm -rf "$data"

target/release/cairn serve --port 8001 --in-memory 2>/dev/null & pid=$!
wait_up http://127.0.0.1:8001/ && run cairn-mem http://127.0.0.1:8001 $pid

if [ -n "${DYNOXIDE:-}" ]; then
  "$DYNOXIDE" --host 127.0.0.1 --port 8104 >/dev/null 2>&1 & pid=$!
  wait_up http://127.0.0.1:8104/ && run dynoxide http://127.0.0.1:8104 $pid
fi
if [ -n "${DDB_LOCAL_DIR:-}" ]; then
  (cd "$DDB_LOCAL_DIR" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -sharedDb -disableTelemetry -port 8100) >/dev/null 2>&1 & pid=$!
  wait_up http://127.0.0.1:8100/ || true
  sleep 2
  run ddb-local http://127.0.0.1:8100 $pid
fi
