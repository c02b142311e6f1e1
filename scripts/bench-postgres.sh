#!/usr/bin/env bash
# The ../shared/bench wrk suite against the embedded store and against PostgreSQL
# (the database on the same machine), one after the other in one session.
#   usage: scripts/with-postgres scripts/bench-postgres.sh   (needs wrk; release build)
set -u
cd "$(dirname "$0")/.."
export BENCH_OUT=/tmp/bench-pg DUR=10s WARM=3s MODES=32
rm -rf $BENCH_OUT
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
data=$(mktemp -d)
target/release/cairn serve --port 8601 --data-dir $data 2>/dev/null & pid=$!
wait_up http://127.0.0.1:8601/
python3 ../shared/bench/load.py http://127.0.0.1:8601 >/dev/null 2>&1
../shared/bench/run_peer.sh embedded http://127.0.0.1:8601 $pid getitem putitem query mix >/dev/null 2>&1
kill $pid; wait $pid 2>/dev/null
target/release/cairn serve --port 8602 --postgres "$CAIRN_TEST_POSTGRES_URL" --postgres-schema bench 2>/dev/null & pid=$!
wait_up http://127.0.0.1:8602/
python3 ../shared/bench/load.py http://127.0.0.1:8602 >/dev/null 2>&1
pgpid=$(pgrep -f "postgres -D" | head -1)
../shared/bench/run_peer.sh postgres http://127.0.0.1:8602 $pid getitem putitem query mix >/dev/null 2>&1
kill $pid; wait $pid 2>/dev/null
cut -f1-9,11,13,15 $BENCH_OUT/results.tsv | column -t
