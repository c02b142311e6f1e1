#!/usr/bin/env python3
"""boto3's dynamodbstreams client reads every change of a mixed workload — puts,
updates, deletes, a transaction and a TTL expiry — in order, with the images of each
view type. Usage: streams_compat.py ENDPOINT_URL (server started with a short
--ttl-sweep-interval-ms)."""
import sys
import time

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="ap-south-1", aws_access_key_id="AKIDSTREAM", aws_secret_access_key="secret")
ddb = boto3.client("dynamodb", **kw)
streams = boto3.client("dynamodbstreams", **kw)


def records_of(arn):
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it, Limit=3)
            out.extend(page["Records"])
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


arns = {}
for view in ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]:
    name = "streams_" + view.lower()
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    arns[view] = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :two", ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t"}, "v": {"N": "3"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "a"}}}},
    ])
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "expires": {"N": str(int(time.time()) - 60)}})

expected = [("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "t"), ("REMOVE", "a"), ("INSERT", "old"), ("REMOVE", "old")]
for view, arn in arns.items():
    deadline = time.time() + 10
    while True:
        records = records_of(arn)
        if len(records) >= len(expected) or time.time() > deadline:
            break
        time.sleep(0.2)
    got = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]
    assert got == expected, (view, got)
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    modify = records[1]["dynamodb"]
    assert ("NewImage" in modify) == (view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")), (view, modify)
    assert ("OldImage" in modify) == (view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")), (view, modify)
    if "NewImage" in modify:
        assert modify["NewImage"]["v"] == {"N": "2"}
    if "OldImage" in modify:
        assert modify["OldImage"]["v"] == {"N": "1"}
    assert records[5].get("userIdentity") == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}, records[5]
    assert all(r["awsRegion"] == "ap-south-1" and r["eventSource"] == "aws:dynamodb" for r in records)
listed = streams.list_streams()["Streams"]
assert {s["StreamArn"] for s in listed} >= set(arns.values()), listed
print("boto3 dynamodbstreams: ok")
