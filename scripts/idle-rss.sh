#!/usr/bin/env bash
# Idle memory of a fresh durable server (issue 22): starts BIN on an empty data
# directory, answers one ListTables, idles IDLE seconds (default 3), prints its RSS
# and the mappings that hold most of it (MiB). Runs ROUNDS times (default 3).
# The figure depends on the page cache: the kernel maps a binary's code only around
# touched pages that are cached, so read the binary once first (done below) to compare
# two builds fairly.
#   usage: [IDLE=seconds] scripts/idle-rss.sh BIN [ROUNDS]
set -u
BIN=$1; ROUNDS=${2:-3}; IDLE=${IDLE:-3}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat "$BIN" > /dev/null
for _ in $(seq "$ROUNDS"); do
  data=$(mktemp -d)
  "$BIN" serve --port $PORT --data-dir "$data" > /dev/null 2>&1 & pid=$!
  up=0
  for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && { up=1; break; }; sleep 0.05; done
  [ $up = 1 ] || { echo "the server did not start" >&2; kill $pid 2>/dev/null; exit 1; }
  curl -s -o /dev/null -X POST -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00' \
    -d '{}' http://127.0.0.1:$PORT/
  sleep "$IDLE"
  awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} END{printf "rss %.1f MiB (anonymous %.1f MiB):", r/1024, a/1024}' /proc/$pid/smaps_rollup
  awk '/^[0-9a-f]+-/{name=$6} /^Rss:/{r[name]+=$2} END{for(n in r) if(r[n]>=100) printf " %s %.1f", (n==""?"[anon]":n), r[n]/1024}' /proc/$pid/smaps
  echo
  kill $pid; wait $pid 2>/dev/null; rm -rf "$data"
done
