#!/usr/bin/env bash
# Client compatibility: boto3 (client and resource APIs) and the AWS CLI against a
# Cairn server started here on a free port.
# Usage: tests/clients/run.sh path/to/cairn
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cairn=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$cairn" serve --in-memory --port "$port" --ttl-sweep-interval-ms 200 >/tmp/cairn-clients.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port"
python3 - "$url" <<'PY'
import sys, time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen(sys.argv[1] + "/", timeout=1)
        break
    except OSError:
        time.sleep(0.05)
PY

python3 "$here/boto3_compat.py" "$url"
python3 "$here/streams_compat.py" "$url"

export AWS_ACCESS_KEY_ID=AKIDCLI AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-west-2 AWS_PAGER=""
aws="aws --endpoint-url $url --output json"
$aws dynamodb create-table --table-name cli_table \
  --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
$aws dynamodb wait table-exists --table-name cli_table
$aws dynamodb put-item --table-name cli_table --item '{"pk":{"S":"cli"},"n":{"N":"007.50"}}'
got=$($aws dynamodb get-item --table-name cli_table --key '{"pk":{"S":"cli"}}' --consistent-read)
python3 - "$got" <<'PY'
import json, sys
item = json.loads(sys.argv[1])["Item"]
assert item == {"pk": {"S": "cli"}, "n": {"N": "7.5"}}, item
PY
$aws dynamodb list-tables | python3 -c 'import json,sys; assert "cli_table" in json.load(sys.stdin)["TableNames"]'
arn=$($aws dynamodb describe-table --table-name cli_table --query Table.TableArn --output text)
[ "$arn" = "arn:aws:dynamodb:us-west-2:000000000000:table/cli_table" ] || { echo "unexpected ARN $arn"; exit 1; }
if $aws dynamodb get-item --table-name missing_table --key '{"pk":{"S":"x"}}' 2>/tmp/cli-err.txt; then
  echo "expected ResourceNotFoundException"; exit 1
fi
grep -q ResourceNotFoundException /tmp/cli-err.txt
$aws dynamodb delete-table --table-name cli_table >/dev/null
echo "AWS CLI: ok"
