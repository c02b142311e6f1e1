#!/usr/bin/env bash
# Import rate into the embedded store (a benchmark, not a test): N items of about
# 120 bytes as DynamoDB JSON lines (4 files), loaded three ways, each into a fresh
# data directory with the release build:
#   1. ImportTable (server side, S3 stand-in directory) until COMPLETED;
#   2. `cairn import --data-dir` (BatchWriteItem in process, 4 batches in flight);
#   3. `cairn import --endpoint` against a running server (HTTP).
# Prints seconds and items per second for each, and checks the item counts.
#   usage: scripts/bench-import.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release -q -p cairn
cairn=target/release/cairn
work=$(mktemp -d /tmp/cairn-bench-import.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/input" "$work/d1/s3/source"
python3 - "$n" "$work/input" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
per = (n + 3) // 4
for f in range(4):
    with open(f"{out}/part-{f}.json", "w") as w:
        for i in range(f * per, min(n, (f + 1) * per)):
            w.write('{"Item":{"pk":{"S":"user#%08d"},"n":{"N":"%d"},"name":{"S":"name %d"},"tags":{"SS":["a","b"]},"pad":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}\n' % (i, i, i))
PY
cp "$work"/input/*.json "$work/d1/s3/source/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# 1. ImportTable.
$cairn serve --port "$port" --data-dir "$work/d1" >/dev/null 2>&1 &
server=$!
python3 - "http://127.0.0.1:$port" "$n" <<'PY'
import sys, time, boto3
url, n = sys.argv[1], int(sys.argv[2])
c = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
for _ in range(200):
    try:
        c.list_tables(); break
    except Exception:
        time.sleep(0.05)
start = time.time()
arn = c.import_table(S3BucketSource={"S3Bucket": "source"}, InputFormat="DYNAMODB_JSON",
                     TableCreationParameters={"TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
                         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})["ImportTableDescription"]["ImportArn"]
while True:
    d = c.describe_import(ImportArn=arn)["ImportTableDescription"]
    if d["ImportStatus"] != "IN_PROGRESS":
        break
    time.sleep(0.05)
seconds = time.time() - start
assert d["ImportStatus"] == "COMPLETED" and d["ImportedItemCount"] == n, d
print(f"ImportTable (server side)      {n} items  {seconds:6.2f} s  {n / seconds:9.0f} items/s")
PY
kill $server; wait $server 2>/dev/null || true

# 2. cairn import --data-dir.
start=$(date +%s.%N)
$cairn import --data-dir "$work/d2" --table bench --create-key pk:S --quiet --state "$work/s2.json" "$work/input" >/dev/null
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'cairn import --data-dir       {n} items  {s:6.2f} s  {n/s:9.0f} items/s')" "$n" "$start" "$end"

# 3. cairn import --endpoint.
$cairn serve --port "$port" --data-dir "$work/d3" >/dev/null 2>&1 &
server=$!
sleep 0.5
start=$(date +%s.%N)
$cairn import --endpoint "http://127.0.0.1:$port" --table bench --create-key pk:S --quiet --state "$work/s3.json" "$work/input" >/dev/null
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'cairn import --endpoint (HTTP) {n} items  {s:6.2f} s  {n/s:9.0f} items/s')" "$n" "$start" "$end"
count=$(python3 - "http://127.0.0.1:$port" <<'PY'
import sys, boto3
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
total = 0
for page in c.get_paginator("scan").paginate(TableName="bench", Select="COUNT"):
    total += page["Count"]
print(total)
PY
)
[ "$count" = "$n" ] || { echo "expected $n items, found $count"; exit 1; }
kill $server; wait $server 2>/dev/null || true
