#!/usr/bin/env bash
# Two release binaries of Cairn against each other on the embedded store, in
# alternating rounds (so drift on a shared machine hits both): PutItem and the 50/50
# Get/Update mix from ../shared/bench, 10 s each at 32 connections after 3 s of
# warm-up. Prints round, binary, workload, requests/s.
#   usage: scripts/bench-write-ab.sh OLD_BINARY NEW_BINARY [rounds]   (needs wrk)
set -u
old=$1 new=$2 rounds=${3:-4}
B="$(cd "$(dirname "$0")/.." && pwd)/../shared/bench"
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
printf 'round\tbinary\tworkload\trps\n'
for round in $(seq "$rounds"); do
  for which in old new; do
    binary=$old; [ $which = new ] && binary=$new
    dir=$(mktemp -d)
    "$binary" serve --port 8720 --data-dir "$dir" >/dev/null 2>&1 & pid=$!
    wait_up http://127.0.0.1:8720/
    python3 "$B/load.py" http://127.0.0.1:8720 >/dev/null 2>&1
    for script in putitem mix; do
      wrk -t2 -c32 -d3s -s "$B/$script.lua" http://127.0.0.1:8720 >/dev/null 2>&1
      rps=$(wrk -t2 -c32 -d10s --latency -s "$B/$script.lua" http://127.0.0.1:8720 2>/dev/null \
        | grep '^RESULT' | tr ' ' '\n' | grep '^rps=' | cut -d= -f2)
      printf '%s\t%s\t%s\t%s\n' "$round" "$which" "$script" "$rps"
    done
    kill $pid; wait $pid 2>/dev/null; rm -rf "$dir"
  done
done
