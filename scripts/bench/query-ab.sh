#!/usr/bin/env bash
# A/B (not a test): durable Query CPU per request with no writes before it (so no
# flush or compaction runs meanwhile), two binaries in alternating rounds.
#   OLD=/path/old/cairn NEW=target/release/cairn scripts/bench/query-ab.sh
B=${BENCH_DIR:-$(dirname "$0")/../../../shared/bench}; OLD=${OLD:?}; NEW=${NEW:?}
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
for round in 1 2 3; do for bin in "$OLD" "$NEW"; do
  rm -rf /tmp/qab-data; $bin serve --port 8951 --data-dir /tmp/qab-data >/dev/null 2>&1 & P=$!
  sleep 1; ${PYTHON:-python3} $B/load.py http://127.0.0.1:8951 >/dev/null 2>&1; sleep 2
  (cd $B && wrk -t2 -c32 -d3s -s query.lua http://127.0.0.1:8951 >/dev/null)
  t0=$(ticks $P); out=$(cd $B && wrk -t2 -c32 -d10s -s query.lua http://127.0.0.1:8951 | grep RESULT); t1=$(ticks $P)
  req=$(echo "$out" | sed 's/.*requests=\([0-9]*\).*/\1/'); rps=$(echo "$out" | sed 's/.*rps=\([0-9.]*\).*/\1/'); p99=$(echo "$out" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')
  echo "round=$round bin=$bin op=query rps=$rps p99_ms=$p99 cpu_us=$(python3 -c "print(round(($t1-$t0)/100/$req*1e6,1))")"
  kill $P; wait $P 2>/dev/null
done; done
