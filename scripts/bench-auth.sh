#!/usr/bin/env bash
# What SigV4 verification costs: GetItem throughput and server CPU per request with
# `--auth none` and `--auth sigv4`, alternating rounds over one durable data set
# (../shared/bench/load.py's 10,000 items). The client (examples/signed_load.rs)
# signs in both modes, so the difference is the server's verification and policy work.
#   usage: scripts/bench-auth.sh [rounds] [seconds]   (writes docs/bench/ figures by hand)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; seconds=${2:-10}; conns=${CONNS:-32}
cargo build --release -q -p cairn --bin cairn --example signed_load
bin=target/release/cairn; load=target/release/examples/signed_load
data=$(mktemp -d); creds=$data/credentials.json
"$bin" credentials add --file "$creds" --name bench --access-key-id AKIDBENCH --secret-access-key bench-secret >/dev/null 2>&1
echo '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": "arn:aws:dynamodb:*:*:table/bench"}]}' >"$data/policy.json"
"$bin" credentials add --file "$creds" --name limited --access-key-id AKIDLIMITED --secret-access-key limited-secret --policy "$data/policy.json" >/dev/null 2>&1
port=8411
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done; return 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
"$bin" serve --port $port --data-dir "$data/db" 2>/dev/null & pid=$!
wait_up; python3 ../shared/bench/load.py "http://127.0.0.1:$port" >/dev/null; kill $pid; wait $pid 2>/dev/null || true
printf 'mode\tround\trps\tp50_ms\tp99_ms\tserver_cpu_us_per_request\n'
for round in $(seq "$rounds"); do
  # sigv4: a principal allowed everything; sigv4-policy: one whose identity policy is
  # evaluated on every request.
  for mode in none sigv4 sigv4-policy; do
    key=AKIDBENCH; secret=bench-secret
    [ $mode = sigv4-policy ] && { key=AKIDLIMITED; secret=limited-secret; }
    "$bin" serve --port $port --data-dir "$data/db" --auth ${mode%-policy} --credentials "$creds" 2>/dev/null & pid=$!
    wait_up
    "$load" "http://127.0.0.1:$port" $key $secret "$conns" 3 >/dev/null
    before=$(ticks $pid)
    line=$("$load" "http://127.0.0.1:$port" $key $secret "$conns" "$seconds")
    after=$(ticks $pid)
    kill $pid; wait $pid 2>/dev/null || true
    python3 - "$mode" "$round" "$line" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import sys
mode, rnd, line, before, after, hz = sys.argv[1:7]
f = line.split("\t")
fields = dict(zip(f[0::2], f[1::2]))
ok = int(fields["ok"]); assert int(fields["failed"]) == 0, line
cpu_us = (int(after) - int(before)) / int(hz) * 1e6 / max(ok, 1)
print(f"{mode}\t{rnd}\t{fields['requests_per_second']}\t{fields['p50_ms']}\t{fields['p99_ms']}\t{cpu_us:.1f}")
PY
  done
done
rm -rf "$data"
