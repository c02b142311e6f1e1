#!/usr/bin/env bash
# Idle memory of a fresh durable server (issue 22): starts BIN on an empty data
# directory, answers one ListTables, idles 3 s, prints its RSS and the mappings that
# hold most of it. Run it ROUNDS times (default 3).
# The figure depends on the page cache: the kernel maps a binary's code only around
# touched pages that are cached, so read the binary once first (done below) to compare
# two builds fairly.
#   usage: scripts/idle-rss.sh BIN [ROUNDS]
set -u
BIN=$1; ROUNDS=${2:-3}; PORT=8597
cat "$BIN" > /dev/null
for _ in $(seq "$ROUNDS"); do
  data=$(mktemp -d)
  "$BIN" serve --port $PORT --data-dir "$data" > /dev/null 2>&1 & pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.05; done
  curl -s -o /dev/null -X POST -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00' \
    -d '{}' http://127.0.0.1:$PORT/
  sleep 3
  awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} END{printf "rss %.1f MB (anonymous %.1f MB):", r/1000, a/1000}' /proc/$pid/smaps_rollup
  awk '/^[0-9a-f]+-/{name=$6} /^Rss:/{r[name]+=$2} END{for(n in r) if(r[n]>=100) printf " %s %.1f", (n==""?"[anon]":n), r[n]/1000}' /proc/$pid/smaps
  echo
  kill $pid; wait $pid 2>/dev/null; rm -rf "$data"
done
