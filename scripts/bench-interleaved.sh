#!/usr/bin/env bash
# A/B of two server command lines, both running at once (durable, each with its own
# data directory, both loaded by ../shared/bench/load.py), wrk alternating between
# them run by run (A B, B A, ...). Interleaving short runs cancels most of this
# machine's drift, which between separate sessions is larger than the effects
# measured (server CPU per request moved ±20% from one session to the next).
#   usage: scripts/bench-interleaved.sh ROUNDS "getitem putitem" -- A-cmd... -- B-cmd...
#   each command: a `cairn serve` line without --port; DATA stands for its data dir.
#   env: DUR (wrk seconds per run, default 5s), BENCH_DIR (default ../shared/bench)
# Prints every run, then per server and script the mean CPU per request and rps.
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH_DIR:-../shared/bench}
ROUNDS=$1; SCRIPTS=$2; shift 3
A=(); while [ "$1" != "--" ]; do A+=("$1"); shift; done; shift; B=("$@")
da=$(mktemp -d); db=$(mktemp -d); log=$(mktemp)
"${A[@]//DATA/$da}" --port 8501 2>/dev/null & pa=$!
"${B[@]//DATA/$db}" --port 8502 2>/dev/null & pb=$!
trap 'kill $pa $pb 2>/dev/null; wait $pa $pb 2>/dev/null; rm -rf "$da" "$db" "$log"' EXIT
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
wait_up http://127.0.0.1:8501/ && wait_up http://127.0.0.1:8502/ || { echo "a server did not start" >&2; exit 1; }
python3 "$BENCH/load.py" http://127.0.0.1:8501 >/dev/null 2>&1
python3 "$BENCH/load.py" http://127.0.0.1:8502 >/dev/null 2>&1
ticks() { local t=0; for f in /proc/$1/task/*/stat; do set -- $(sed 's/^.*) //' "$f"); t=$((t + ${12} + ${13})); done; echo $t; }
hz=$(getconf CLK_TCK)
one() {  # name port pid script
  local out t0 t1 w0 w1 req p99
  out=$(mktemp)
  t0=$(ticks "$3"); w0=$(date +%s.%N)
  wrk -t2 -c32 -d"${DUR:-5s}" -s "$BENCH/$4.lua" "http://127.0.0.1:$2" > "$out" 2>&1
  t1=$(ticks "$3"); w1=$(date +%s.%N)
  req=$(grep -o 'requests=[0-9]*' "$out" | cut -d= -f2); p99=$(grep -o 'p99_ms=[0-9.]*' "$out" | cut -d= -f2)
  max=$(grep -o 'max_ms=[0-9.]*' "$out" | cut -d= -f2)
  rm -f "$out"
  python3 -c "print(f'$1 $4 rps {$req/($w1-$w0):.0f} p99_ms $p99 cpu_us {($t1-$t0)/$hz/$req*1e6:.1f} max_ms $max')"
}
for s in $SCRIPTS; do
  wrk -t2 -c32 -d2s -s "$BENCH/$s.lua" http://127.0.0.1:8501 >/dev/null 2>&1
  wrk -t2 -c32 -d2s -s "$BENCH/$s.lua" http://127.0.0.1:8502 >/dev/null 2>&1
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then one A 8501 $pa "$s"; one B 8502 $pb "$s"; else one B 8502 $pb "$s"; one A 8501 $pa "$s"; fi
  done
done | tee "$log"
echo "# means"
awk '{k=$1" "$2; n[k]++; c[k]+=$8; r[k]+=$4; p[k]+=$6; if ($10>m[k]) m[k]=$10} END {for (k in n) printf "%s cpu_us %.1f rps %.0f mean_p99_ms %.2f worst_max_ms %.1f (n=%d)\n", k, c[k]/n[k], r[k]/n[k], p[k]/n[k], m[k], n[k]}' "$log" | sort -k2,2 -k1,1
