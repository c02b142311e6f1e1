#!/usr/bin/env bash
# One Cairn server against two, both over the same PostgreSQL schema, under the same
# load: two wrk processes of 16 connections each (32 in all), both aimed at server A
# ("one"), then one at A and one at B ("two"). Prints per workload the summed
# requests/s, the worse p99, and the CPU of the Cairn servers and of PostgreSQL in
# cores and per request.
#   usage: scripts/with-postgres scripts/bench-two-servers.sh [seconds]   (wrk; release build)
set -u
cd "$(dirname "$0")/.."
DUR=${1:-10}
OUT=${BENCH_OUT:-/tmp/bench-two}
rm -rf "$OUT"; mkdir -p "$OUT"
BENCH=../shared/bench
TCK=$(getconf CLK_TCK)
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
ticks() {  # utime+stime of the given pids and their descendants
  local t=0 p
  for p in "$@"; do
    for q in $p $(pgrep -P "$p" || true); do
      [ -r /proc/$q/stat ] || continue
      set -- $(sed 's/^.*) //' /proc/$q/stat)
      t=$(( t + ${12} + ${13} ))
    done
  done
  echo $t
}
schema=bench_two_$$
target/release/cairn serve --port 8611 --postgres "$CAIRN_TEST_POSTGRES_URL" --postgres-schema $schema 2>/dev/null & a=$!
target/release/cairn serve --port 8612 --postgres "$CAIRN_TEST_POSTGRES_URL" --postgres-schema $schema 2>/dev/null & b=$!
wait_up http://127.0.0.1:8611/ && wait_up http://127.0.0.1:8612/ || { echo "servers did not start" >&2; exit 1; }
python3 $BENCH/load.py http://127.0.0.1:8611 >/dev/null 2>&1
pg=$(pgrep -f "postgres -D" | head -1)
printf 'servers\tworkload\trps\tp99_ms\tcairn_cores\tpostgres_cores\tcairn_us_per_req\tpostgres_us_per_req\tnon2xx\n' | tee "$OUT/results.tsv"
for script in getitem putitem query mix; do
  for servers in one two; do
    second=http://127.0.0.1:8611
    [ $servers = two ] && second=http://127.0.0.1:8612
    # Warm-up, discarded.
    wrk -t1 -c16 -d3s -s $BENCH/$script.lua http://127.0.0.1:8611 >/dev/null 2>&1 & w=$!
    wrk -t1 -c16 -d3s -s $BENCH/$script.lua $second >/dev/null 2>&1
    wait $w
    c0=$(ticks $a $b); p0=$(ticks $pg); t0=$(date +%s.%N)
    wrk -t1 -c16 -d${DUR}s --latency -s $BENCH/$script.lua http://127.0.0.1:8611 > "$OUT/${servers}_${script}_a.txt" 2>&1 & w=$!
    wrk -t1 -c16 -d${DUR}s --latency -s $BENCH/$script.lua $second > "$OUT/${servers}_${script}_b.txt" 2>&1
    wait $w
    c1=$(ticks $a $b); p1=$(ticks $pg); t1=$(date +%s.%N)
    python3 - "$OUT/${servers}_${script}_a.txt" "$OUT/${servers}_${script}_b.txt" <<EOF | tee -a "$OUT/results.tsv"
import re, sys
rps = p99 = 0.0; non2xx = 0
for path in sys.argv[1:]:
    line = next((l for l in open(path) if l.startswith("RESULT")), "")
    fields = dict(kv.split("=", 1) for kv in line.split()[1:])
    rps += float(fields.get("rps", 0)); p99 = max(p99, float(fields.get("p99_ms", 0)))
    non2xx += int(fields.get("non2xx", 0))
wall = $t1 - $t0
cairn = ($c1 - $c0) / $TCK / wall
postgres = ($p1 - $p0) / $TCK / wall
per = lambda cores: f"{cores / rps * 1e6:.0f}" if rps else "NA"
print(f"$servers\t$script\t{rps:.0f}\t{p99:.1f}\t{cairn:.2f}\t{postgres:.2f}\t{per(cairn)}\t{per(postgres)}\t{non2xx}")
EOF
  done
done
kill $a $b; wait 2>/dev/null
