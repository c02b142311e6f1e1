#!/usr/bin/env bash
# A/B of two Cairn binaries under ../shared/bench, durable mode, alternating rounds in
# one session (the machine's speed drifts; compare within a run).
#   usage: OLD=path/to/old/cairn NEW=target/release/cairn scripts/bench-ab.sh [rounds]
# Build OLD from an earlier commit in its own clone (git clone . /tmp/old && cd /tmp/old
# && git checkout <commit> && cargo build --release -p cairn). Needs wrk.
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH_DIR:-../shared/bench}
OLD=${OLD:?set OLD to the baseline binary}; NEW=${NEW:-target/release/cairn}
ROUNDS=${1:-2}
export BENCH_OUT=${BENCH_OUT:-/tmp/ab-bench} DUR=${DUR:-10s} WARM=${WARM:-3s} MODES=32
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
port=8300
for round in $(seq "$ROUNDS"); do
  for pair in "old:$OLD" "new:$NEW"; do
    name=${pair%%:*}; bin=${pair#*:}
    data=$(mktemp -d); port=$((port + 1))
    "$bin" serve --port $port --data-dir "$data" 2>/dev/null & pid=$!
    wait_up "http://127.0.0.1:$port/"
    python3 "$BENCH/load.py" "http://127.0.0.1:$port" >/dev/null 2>&1
    "$BENCH/run_peer.sh" "$name-durable-r$round" "http://127.0.0.1:$port" $pid getitem putitem query >/dev/null 2>&1
    kill $pid; wait $pid 2>/dev/null; rm -rf "$data"
  done
done
cut -f1-8,11,13 "$BENCH_OUT/results.tsv" | column -t
