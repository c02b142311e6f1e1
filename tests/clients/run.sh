#!/usr/bin/env bash
# Client compatibility: boto3 (client and resource APIs) and the AWS CLI against a
# Cairn server started here on a free port.
# Usage: tests/clients/run.sh path/to/cairn
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cairn=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
s3_root=$(mktemp -d /tmp/cairn-clients-s3.XXXXXX)
"$cairn" serve --in-memory --port "$port" --ttl-sweep-interval-ms 200 --s3-root "$s3_root" >/tmp/cairn-clients.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$s3_root"' EXIT
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
python3 "$here/transfer_compat.py" "$url" "$s3_root"
python3 "$here/vectors_compat.py" "$url"

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

# Backups, PITR, export, import and bulk operations through the CLI.
table_arn="arn:aws:dynamodb:us-west-2:000000000000:table/cli_table"
mkdir -p "$s3_root/cli-bucket"
backup=$($aws dynamodb create-backup --table-name cli_table --backup-name cli --query BackupDetails.BackupArn --output text)
$aws dynamodb describe-backup --backup-arn "$backup" --query BackupDescription.BackupDetails.BackupStatus --output text | grep -q AVAILABLE
$aws dynamodb list-backups --table-name cli_table --query 'BackupSummaries[0].BackupArn' --output text | grep -q "$backup"
$aws dynamodb restore-table-from-backup --target-table-name cli_restored --backup-arn "$backup" >/dev/null
$aws dynamodb wait table-exists --table-name cli_restored
$aws dynamodb delete-backup --backup-arn "$backup" >/dev/null
$aws dynamodb update-continuous-backups --table-name cli_table \
  --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
$aws dynamodb describe-continuous-backups --table-name cli_table \
  --query ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus --output text | grep -q ENABLED
$aws dynamodb restore-table-to-point-in-time --source-table-name cli_table --target-table-name cli_pitr \
  --use-latest-restorable-time >/dev/null
$aws dynamodb wait table-exists --table-name cli_pitr
export_arn=$($aws dynamodb export-table-to-point-in-time --table-arn "$table_arn" --s3-bucket cli-bucket \
  --s3-prefix cli --query ExportDescription.ExportArn --output text)
for _ in $(seq 100); do
  status=$($aws dynamodb describe-export --export-arn "$export_arn" --query ExportDescription.ExportStatus --output text)
  [ "$status" = IN_PROGRESS ] || break; sleep 0.1
done
[ "$status" = COMPLETED ] || { echo "export ended $status"; exit 1; }
$aws dynamodb list-exports --table-arn "$table_arn" --query 'ExportSummaries[0].ExportArn' --output text | grep -q "$export_arn"
import_arn=$($aws dynamodb import-table --input-format DYNAMODB_JSON --input-compression-type GZIP \
  --s3-bucket-source "S3Bucket=cli-bucket,S3KeyPrefix=cli/AWSDynamoDB/${export_arn##*/}/data/" \
  --table-creation-parameters 'TableName=cli_imported,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PAY_PER_REQUEST' \
  --query ImportTableDescription.ImportArn --output text)
for _ in $(seq 100); do
  status=$($aws dynamodb describe-import --import-arn "$import_arn" --query ImportTableDescription.ImportStatus --output text)
  [ "$status" = IN_PROGRESS ] || break; sleep 0.1
done
[ "$status" = COMPLETED ] || { echo "import ended $status"; exit 1; }
$aws dynamodb list-imports --query 'ImportSummaryList[0].ImportArn' --output text | grep -q "$import_arn"
$aws dynamodb get-item --table-name cli_imported --key '{"pk":{"S":"cli"}}' --query Item.n.N --output text | grep -qx 7.5
# The bulk operations (2026): AWS CLI v1 releases on PyPI (1.46.x vendors its own
# botocore, without them) may not know them; boto3 covers them then (transfer_compat.py).
if ! aws dynamodb start-bulk-put-items help >/dev/null 2>&1; then
  echo "AWS CLI: $(aws --version 2>&1 | cut -d' ' -f1,4) has no bulk operations: skipped here (boto3 tests them)"
  $aws dynamodb delete-table --table-name cli_table >/dev/null
  echo "AWS CLI: ok"
  exit 0
fi
mkdir -p "$s3_root/cli-bucket/bulk"
echo '{"Item":{"pk":{"S":"bulk"}}}' > "$s3_root/cli-bucket/bulk/a.json"
bulk_arn=$($aws dynamodb start-bulk-put-items --table-name cli_table \
  --input-s3-configuration S3Bucket=cli-bucket,S3KeyPrefix=bulk/,InputFormat=DYNAMODB_JSON \
  --output-s3-configuration S3Bucket=cli-bucket,OutputType=ERROR \
  --query BulkOperationDescription.BulkOperationArn --output text)
$aws dynamodb wait bulk-operation-completed --bulk-operation-arn "$bulk_arn"
$aws dynamodb list-bulk-operations --query 'BulkOperationsSummaryList[0].BulkOperationStatus' --output text | grep -qx COMPLETED
$aws dynamodb get-item --table-name cli_table --key '{"pk":{"S":"bulk"}}' --query Item.pk.S --output text | grep -qx bulk
if $aws dynamodb cancel-bulk-operation --bulk-operation-arn "$bulk_arn" 2>/tmp/cli-err.txt; then
  echo "expected a ValidationException cancelling an ended operation"; exit 1
fi
grep -q ValidationException /tmp/cli-err.txt
$aws dynamodb delete-table --table-name cli_table >/dev/null
echo "AWS CLI: ok"
