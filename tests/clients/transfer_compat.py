#!/usr/bin/env python3
"""boto3 drives every backup, point-in-time recovery, export, import and bulk
operation against Cairn, as users write them (waiters included).

Usage: transfer_compat.py ENDPOINT_URL S3_ROOT
"""
import gzip
import json
import os
import sys
import time

import boto3
from botocore.exceptions import ClientError

endpoint, s3_root = sys.argv[1], sys.argv[2]
session = boto3.session.Session(aws_access_key_id="AKIDXFER", aws_secret_access_key="secret", region_name="us-east-1")
client = session.client("dynamodb", endpoint_url=endpoint)
os.makedirs(os.path.join(s3_root, "xfer-bucket"), exist_ok=True)


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}")


def wait(fn, path, done, **kwargs):
    for _ in range(600):
        value = fn(**kwargs)
        for key in path:
            value = value[key]
        if value in done:
            return
        time.sleep(0.05)
    raise AssertionError(f"{fn.__name__} never reached {done}")


def all_items(table):
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return sorted(items, key=lambda i: i["pk"]["S"])


client.create_table(
    TableName="xfer_src",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"}}],
    BillingMode="PAY_PER_REQUEST",
)
client.get_waiter("table_exists").wait(TableName="xfer_src", WaiterConfig={"Delay": 1})
for i in range(40):
    client.put_item(TableName="xfer_src", Item={"pk": {"S": f"k{i:02}"}, "g": {"S": f"g{i % 4}"}, "n": {"N": str(i)}})
source_items = all_items("xfer_src")

# On-demand backups.
arn = client.create_backup(TableName="xfer_src", BackupName="nightly")["BackupDetails"]["BackupArn"]
wait(client.describe_backup, ["BackupDescription", "BackupDetails", "BackupStatus"], {"AVAILABLE"}, BackupArn=arn)
assert any(b["BackupArn"] == arn for b in client.list_backups(TableName="xfer_src")["BackupSummaries"])
client.restore_table_from_backup(TargetTableName="xfer_restored", BackupArn=arn)
client.get_waiter("table_exists").wait(TableName="xfer_restored", WaiterConfig={"Delay": 1})
assert all_items("xfer_restored") == source_items
expect_error("TableAlreadyExistsException", client.restore_table_from_backup, TargetTableName="xfer_restored", BackupArn=arn)
client.delete_backup(BackupArn=arn)
expect_error("BackupNotFoundException", client.describe_backup, BackupArn=arn)

# Point-in-time recovery.
expect_error("PointInTimeRecoveryUnavailableException", client.export_table_to_point_in_time,
             TableArn="arn:aws:dynamodb:us-east-1:000000000000:table/xfer_src", S3Bucket="xfer-bucket")
client.update_continuous_backups(TableName="xfer_src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
pitr = client.describe_continuous_backups(TableName="xfer_src")["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
assert pitr["PointInTimeRecoveryStatus"] == "ENABLED", pitr
client.restore_table_to_point_in_time(SourceTableName="xfer_src", TargetTableName="xfer_pitr", UseLatestRestorableTime=True)
client.get_waiter("table_exists").wait(TableName="xfer_pitr", WaiterConfig={"Delay": 1})
assert all_items("xfer_pitr") == source_items

# Export, in both formats.
table_arn = client.describe_table(TableName="xfer_src")["Table"]["TableArn"]
exports = {}
for fmt in ["DYNAMODB_JSON", "ION"]:
    d = client.export_table_to_point_in_time(TableArn=table_arn, S3Bucket="xfer-bucket", S3Prefix=f"exp-{fmt}",
                                             ExportFormat=fmt)["ExportDescription"]
    wait(client.describe_export, ["ExportDescription", "ExportStatus"], {"COMPLETED", "FAILED"}, ExportArn=d["ExportArn"])
    done = client.describe_export(ExportArn=d["ExportArn"])["ExportDescription"]
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 40, done
    exports[fmt] = done
listed = client.list_exports(TableArn=table_arn)["ExportSummaries"]
assert {e["ExportArn"] for e in listed} == {e["ExportArn"] for e in exports.values()}, listed
summary = json.load(open(os.path.join(s3_root, "xfer-bucket", exports["DYNAMODB_JSON"]["ExportManifest"])))
assert summary["itemCount"] == 40 and summary["outputFormat"] == "DYNAMODB_JSON", summary

# Import each export back into a new table: identical items, indexes rebuilt.
for fmt, done in exports.items():
    export_id = done["ExportArn"].rsplit("/", 1)[1]
    target = f"xfer_import_{fmt.lower()}"
    d = client.import_table(
        S3BucketSource={"S3Bucket": "xfer-bucket", "S3KeyPrefix": f"exp-{fmt}/AWSDynamoDB/{export_id}/data/"},
        InputFormat=fmt, InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": target, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}],
        },
    )["ImportTableDescription"]
    wait(client.describe_import, ["ImportTableDescription", "ImportStatus"], {"COMPLETED", "FAILED"}, ImportArn=d["ImportArn"])
    imported = client.describe_import(ImportArn=d["ImportArn"])["ImportTableDescription"]
    assert imported["ImportStatus"] == "COMPLETED" and imported["ImportedItemCount"] == 40, imported
    assert all_items(target) == source_items, fmt
    count = client.query(TableName=target, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "g1"}})["Count"]
    assert count == 10, count
assert len(client.list_imports()["ImportSummaryList"]) == 2
expect_error("ResourceInUseException", client.import_table,
             S3BucketSource={"S3Bucket": "xfer-bucket"}, InputFormat="CSV",
             TableCreationParameters={"TableName": "xfer_src", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})

# Bulk put into the existing table, one bad record reported.
os.makedirs(os.path.join(s3_root, "xfer-bucket", "bulk"), exist_ok=True)
with gzip.open(os.path.join(s3_root, "xfer-bucket", "bulk", "part-0.json.gz"), "wt") as f:
    for i in range(40, 60):
        f.write(json.dumps({"Item": {"pk": {"S": f"k{i:02}"}, "g": {"S": "bulk"}}}) + "\n")
    f.write("{broken\n")
d = client.start_bulk_put_items(
    TableName="xfer_src",
    InputS3Configuration={"S3Bucket": "xfer-bucket", "S3KeyPrefix": "bulk/", "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
    OutputS3Configuration={"S3Bucket": "xfer-bucket", "S3KeyPrefix": "reports", "OutputType": ["ERROR"]},
)["BulkOperationDescription"]
client.get_waiter("bulk_operation_completed").wait(BulkOperationArn=d["BulkOperationArn"], WaiterConfig={"Delay": 1})
done = client.describe_bulk_operation(BulkOperationArn=d["BulkOperationArn"])["BulkOperationDescription"]
assert done["BulkOperationStatus"] == "COMPLETED_WITH_ERRORS", done
assert done["ProcessedItemCount"] == 21 and done["FailedItemCount"] == 1, done
assert len(all_items("xfer_src")) == 60
ops = client.list_bulk_operations()["BulkOperationsSummaryList"]
assert ops[0]["BulkOperationArn"] == d["BulkOperationArn"], ops
expect_error("ValidationException", client.cancel_bulk_operation, BulkOperationArn=d["BulkOperationArn"])
print("boto3 backups, PITR, export, import, bulk: ok")
