#!/usr/bin/env python3
"""Backup and restore time for a large table (a benchmark, not a test).

Starts nothing: point it at a running server (release build recommended), e.g.
    target/release/cairn serve --port 8700 --data-dir /tmp/bench-backup &
    python3 scripts/bench-backup.py http://127.0.0.1:8700 1000000
Loads N items of about 200 bytes with BatchWriteItem (parallel writers), then times
CreateBackup until AVAILABLE, RestoreTableFromBackup until ACTIVE, and a
point-in-time restore (UseLatestRestorableTime) until ACTIVE; checks the restored
item counts. Prints one line per phase: seconds and items per second.
"""
import concurrent.futures
import sys
import time

import boto3
from botocore.config import Config

url = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
client = boto3.client(
    "dynamodb",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id="AKIDEXAMPLE",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 10}, max_pool_connections=32),
)
table = "backup_bench"


def wait(check, what, timeout=3600):
    start = time.time()
    while not check():
        if time.time() - start > timeout:
            raise SystemExit(f"{what} did not finish in {timeout} s")
        time.sleep(0.1)


def status(name):
    return client.describe_table(TableName=name)["Table"]["TableStatus"]


def count_items(name):
    total, start = 0, None
    while True:
        args = {"TableName": name, "Select": "COUNT"}
        if start:
            args["ExclusiveStartKey"] = start
        page = client.scan(**args)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


for name in [table, table + "_restored", table + "_pitr"]:
    try:
        client.delete_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        pass
client.create_table(
    TableName=table,
    BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
)
client.update_continuous_backups(
    TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
)
payload = "x" * 180


def load(first):
    for start in range(first, min(first + 10_000, count), 25):
        requests = [
            {"PutRequest": {"Item": {"pk": {"S": f"item{i:08d}"}, "v": {"S": payload}}}}
            for i in range(start, min(start + 25, count))
        ]
        while requests:
            left = client.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = left.get(table, [])


started = time.time()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(load, range(0, count, 10_000)))
elapsed = time.time() - started
print(f"load\t{count} items\t{elapsed:.1f} s\t{count / elapsed:,.0f} items/s")

started = time.time()
arn = client.create_backup(TableName=table, BackupName="bench")["BackupDetails"]["BackupArn"]
wait(
    lambda: client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
    == "AVAILABLE",
    "backup",
)
elapsed = time.time() - started
print(f"backup\t{count} items\t{elapsed:.1f} s\t{count / elapsed:,.0f} items/s")

started = time.time()
client.restore_table_from_backup(TargetTableName=table + "_restored", BackupArn=arn)
wait(lambda: status(table + "_restored") == "ACTIVE", "restore")
elapsed = time.time() - started
print(f"restore\t{count} items\t{elapsed:.1f} s\t{count / elapsed:,.0f} items/s")

started = time.time()
client.restore_table_to_point_in_time(
    SourceTableName=table, TargetTableName=table + "_pitr", UseLatestRestorableTime=True
)
wait(lambda: status(table + "_pitr") == "ACTIVE", "point-in-time restore")
elapsed = time.time() - started
print(f"pitr restore\t{count} items\t{elapsed:.1f} s\t{count / elapsed:,.0f} items/s")

for name in [table + "_restored", table + "_pitr"]:
    restored = count_items(name)
    if restored != count:
        raise SystemExit(f"{name} holds {restored} items, expected {count}")
print("restored tables hold every item")
