#!/usr/bin/env bash
# A/B (not a test): durable Cairn with mimalloc's transparent huge pages off (the
# build's default) and on (MIMALLOC_ALLOW_THP=1): PutItem and Query CPU per request.
#   BIN=target/release/cairn scripts/bench/thp-ab.sh
B=${BENCH_DIR:-$(dirname "$0")/../../../shared/bench}; BIN=${BIN:-target/release/cairn}
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
for round in 1 2; do for thp in 0 1; do
  rm -rf /tmp/thpab-data; MIMALLOC_ALLOW_THP=$thp $BIN serve --port 8950 --data-dir /tmp/thpab-data >/dev/null 2>&1 & P=$!
  sleep 1; ${PYTHON:-python3} $B/load.py http://127.0.0.1:8950 >/dev/null 2>&1
  for op in putitem query; do
    (cd $B && wrk -t2 -c32 -d3s -s $op.lua http://127.0.0.1:8950 >/dev/null)
    t0=$(ticks $P); out=$(cd $B && wrk -t2 -c32 -d8s -s $op.lua http://127.0.0.1:8950 | grep RESULT); t1=$(ticks $P)
    req=$(echo "$out" | sed 's/.*requests=\([0-9]*\).*/\1/'); rps=$(echo "$out" | sed 's/.*rps=\([0-9.]*\).*/\1/')
    echo "round=$round thp=$thp op=$op rps=$rps cpu_us=$(python3 -c "print(round(($t1-$t0)/100/$req*1e6,1))") thp_kb=$(grep AnonHuge /proc/$P/smaps_rollup | awk '{print $2}') rss_mb=$(($(grep VmRSS /proc/$P/status | awk '{print $2}')/1024))"
  done
  kill $P; wait $P 2>/dev/null
done; done
