#!/usr/bin/env python3
"""Drop-in scenario: the pet-tracking app written against boto3's resource API,
plus the dynamodbstreams client reading the table's change stream.

Uses Table, Table.wait_until_exists/not_exists, batch_writer(), Key/Attr
conditions, Decimal numbers, Table.meta.client.transact_write_items with
Python-native values, UpdateTable to enable a NEW_AND_OLD_IMAGES stream, and
DescribeStream / GetShardIterator (TRIM_HORIZON) / GetRecords.

Endpoint: $CAIRN_ENDPOINT (default http://127.0.0.1:8000).
"""
import os
import sys
import time
import traceback
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

SCENARIO = "boto3_resource"
TABLE = "pets_boto3_resource"
ENDPOINT = os.environ.get("CAIRN_ENDPOINT", "http://127.0.0.1:8000")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def fail(msg):
    print(f"FAIL {SCENARIO}: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


session = boto3.session.Session(
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "AKIDDROPIN"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "dropin-secret"),
    region_name=REGION,
)
dynamodb = session.resource("dynamodb", endpoint_url=ENDPOINT)
client = dynamodb.meta.client
streams = session.client("dynamodbstreams", endpoint_url=ENDPOINT)

SPECIES = ["cat", "dog", "dog", "parrot"]  # pet i has species SPECIES[i % 4]


def query_all(table, **kwargs):
    """Follow LastEvaluatedKey; return (items, pages)."""
    items, pages = [], 0
    while True:
        resp = table.query(**kwargs)
        pages += 1
        check(resp["Count"] == len(resp["Items"]), f"Count {resp['Count']} != {len(resp['Items'])} items")
        if "Limit" in kwargs:
            check(len(resp["Items"]) <= kwargs["Limit"], f"page of {len(resp['Items'])} items exceeds Limit {kwargs['Limit']}")
        items.extend(resp["Items"])
        if "LastEvaluatedKey" not in resp or pages > 50:
            return items, pages
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def main():
    if TABLE in [t.name for t in dynamodb.tables.all()]:
        dynamodb.Table(TABLE).delete()
        dynamodb.Table(TABLE).wait_until_not_exists()

    # --- create table + waiter ---------------------------------------------------
    table = dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": "species", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{
            "IndexName": "bySpecies",
            "KeySchema": [{"AttributeName": "species", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    table.wait_until_exists()
    table.reload()
    check(table.table_status == "ACTIVE", f"table status {table.table_status}")
    check(table.billing_mode_summary["BillingMode"] == "PAY_PER_REQUEST", f"billing {table.billing_mode_summary}")
    check([g["IndexName"] for g in table.global_secondary_indexes] == ["bySpecies"], f"GSIs {table.global_secondary_indexes}")
    check(table.key_schema == [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
          f"key schema {table.key_schema}")

    table.put_item(Item={"PK": "USER#u1", "SK": "PROFILE", "name": "Alice", "email": "alice@example.com"})
    table.put_item(Item={"PK": "USER#u2", "SK": "PROFILE", "name": "Bob", "email": "bob@example.com"})

    # --- batch_writer: 200 pets (plus overwrite_by_pkeys de-duplication) ------------
    with table.batch_writer(overwrite_by_pkeys=["PK", "SK"]) as batch:
        for i in range(200):
            batch.put_item(Item={
                "PK": "USER#u1", "SK": f"PET#{i:03d}", "name": f"pet-{i}",
                "species": SPECIES[i % 4], "birth_weight": Decimal(f"{i}.25"), "version": 1,
            })

    # --- paginated begins_with query: Limit 25, follow LastEvaluatedKey ----------------
    pets, pages = query_all(
        table, KeyConditionExpression=Key("PK").eq("USER#u1") & Key("SK").begins_with("PET#"), Limit=25,
    )
    sks = [p["SK"] for p in pets]
    check(len(sks) == 200, f"paginated query returned {len(sks)} items, expected 200")
    check(len(set(sks)) == 200, f"paginated query returned {200 - len(set(sks))} duplicates")
    check(sks == sorted(sks), "query results are not in sort-key order")
    check(8 <= pages <= 9, f"expected 8 pages of 25 (+ possibly an empty one), got {pages}")
    check(all(isinstance(p["birth_weight"], Decimal) for p in pets), "numbers not returned as Decimal")
    # Descending with a filter on a non-key attribute.
    heavy, _ = query_all(
        table, KeyConditionExpression=Key("PK").eq("USER#u1") & Key("SK").begins_with("PET#"),
        FilterExpression=Attr("birth_weight").gte(Decimal("150")) & Attr("species").ne("dog"),
        ScanIndexForward=False, Limit=25,
    )
    expected_heavy = [f"PET#{i:03d}" for i in range(199, 149, -1) if SPECIES[i % 4] != "dog"]
    check([h["SK"] for h in heavy] == expected_heavy, f"filtered descending query: {[h['SK'] for h in heavy]}")

    # --- GSI query ----------------------------------------------------------------------
    cats, _ = query_all(table, IndexName="bySpecies", KeyConditionExpression=Key("species").eq("cat"), Limit=25)
    check(len(cats) == 50, f"GSI bySpecies cat: {len(cats)}, expected 50")
    check(all(c["species"] == "cat" and "email" not in c for c in cats), "GSI returned non-cat items")
    parrots_late, _ = query_all(
        table, IndexName="bySpecies",
        KeyConditionExpression=Key("species").eq("parrot") & Key("SK").between("PET#100", "PET#199"),
    )
    check(len(parrots_late) == 25, f"GSI parrot between PET#100 and PET#199: {len(parrots_late)}, expected 25")

    # --- Decimal round trips -------------------------------------------------------------
    values = {
        "a": Decimal("3.25"),
        "b": Decimal("0.1"),
        "c": Decimal("12345678901234567890.5"),
        "d": 2 ** 64 + 1,
        "e": -(2 ** 63) - 1,
        "f": Decimal("12345678901234567890123456789012345678"),
        "g": Decimal("-0.000001"),
        "h": Decimal("1E-130"),
        # Not 9.9999999999999999999999999999999999999E+125: DynamoDB (and Cairn) return it in plain
        # notation with 88 trailing zeros, which boto3's TypeDeserializer rejects (decimal.Rounded,
        # boto/boto3#2500); the low-level client scenario covers it.
        "nums": {Decimal("3.25"), Decimal("0.1"), 12345678901234567890},
        "nested": {"weights": [Decimal("3.25"), Decimal("0.1")], "big": 10 ** 30},
    }
    table.put_item(Item={"PK": "USER#u1", "SK": "NUMBERS", **values})
    got = table.get_item(Key={"PK": "USER#u1", "SK": "NUMBERS"}, ConsistentRead=True)["Item"]
    for k, v in values.items():
        check(got[k] == v, f"{k}: wrote {v!r}, read back {got[k]!r}")
    res = table.update_item(
        Key={"PK": "USER#u1", "SK": "NUMBERS"}, UpdateExpression="SET c = c + :x",
        ExpressionAttributeValues={":x": Decimal("0.1")}, ReturnValues="UPDATED_NEW",
    )["Attributes"]
    check(res["c"] == Decimal("12345678901234567890.6"), f"c + 0.1 = {res['c']!r}")

    # --- enable a stream (UpdateTable) before the writes we want to observe --------------
    table.update(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    table.wait_until_exists()
    table.reload()
    check(table.stream_specification == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
          f"stream specification {table.stream_specification}")
    stream_arn = table.latest_stream_arn
    check(bool(stream_arn), "no LatestStreamArn after enabling the stream")

    # --- optimistic locking ------------------------------------------------------------
    key = {"PK": "USER#u1", "SK": "PET#300"}
    table.put_item(
        Item={**key, "name": "Nemo", "species": "fish", "birth_weight": Decimal("0.25"), "version": 1},
        ConditionExpression=Attr("PK").not_exists(),
    )  # INSERT
    res = table.update_item(
        Key=key, UpdateExpression="SET #n = :n, version = version + :one",
        ConditionExpression=Attr("version").eq(1),
        ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":n": "Dory", ":one": 1},
        ReturnValues="ALL_NEW",
    )["Attributes"]  # MODIFY
    check(res["version"] == 2 and res["name"] == "Dory", f"after conditional update: {res}")
    try:
        table.update_item(
            Key=key, UpdateExpression="SET #n = :n, version = version + :one",
            ConditionExpression=Attr("version").eq(1),
            ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":n": "Stale", ":one": 1},
        )
        fail("update with stale version 1 succeeded")
    except client.exceptions.ConditionalCheckFailedException as e:
        check(e.response["Error"]["Code"] == "ConditionalCheckFailedException", f"{e.response['Error']}")
    check(table.get_item(Key=key, ConsistentRead=True)["Item"]["name"] == "Dory", "stale update was applied")
    table.delete_item(Key=key, ConditionExpression=Attr("version").eq(2))  # REMOVE

    # --- transaction: adopt PET#007 (u1 -> u2) --------------------------------------------
    pet7 = table.get_item(Key={"PK": "USER#u1", "SK": "PET#007"}, ConsistentRead=True)["Item"]
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**pet7, "PK": "USER#u2"},
                 "ConditionExpression": "attribute_not_exists(PK)"}},
        {"Delete": {"TableName": TABLE, "Key": {"PK": "USER#u1", "SK": "PET#007"},
                    "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": 1}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"PK": "USER#u2", "SK": "PROFILE"},
                            "ConditionExpression": "attribute_exists(PK)"}},
    ])
    check("Item" not in table.get_item(Key={"PK": "USER#u1", "SK": "PET#007"}, ConsistentRead=True),
          "PET#007 still under u1")
    check(table.get_item(Key={"PK": "USER#u2", "SK": "PET#007"}, ConsistentRead=True).get("Item") == {**pet7, "PK": "USER#u2"},
          "PET#007 not (exactly) under u2")
    u2_pets, _ = query_all(table, KeyConditionExpression=Key("PK").eq("USER#u2") & Key("SK").begins_with("PET#"))
    check([p["SK"] for p in u2_pets] == ["PET#007"], f"u2 pets {u2_pets}")

    # --- cancelled transaction ---------------------------------------------------------------
    try:
        client.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": TABLE, "Key": {"PK": "USER#u9", "SK": "PROFILE"},
                                "ConditionExpression": "attribute_exists(PK)"}},
            {"Put": {"TableName": TABLE, "Item": {**pet7, "PK": "USER#u9", "SK": "PET#008"}}},
            {"Delete": {"TableName": TABLE, "Key": {"PK": "USER#u1", "SK": "PET#008"}}},
        ])
        fail("transaction with a failing ConditionCheck succeeded")
    except client.exceptions.TransactionCanceledException as e:
        reasons = e.response.get("CancellationReasons")
        check(reasons is not None, f"no CancellationReasons: {e.response}")
        check([r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None", "None"], f"CancellationReasons {reasons}")
    check("Item" in table.get_item(Key={"PK": "USER#u1", "SK": "PET#008"}, ConsistentRead=True),
          "cancelled transaction deleted PET#008")

    # --- read the stream -----------------------------------------------------------------
    desc = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    check(desc["StreamStatus"] in ("ENABLING", "ENABLED"), f"stream status {desc['StreamStatus']}")
    check(desc["StreamViewType"] == "NEW_AND_OLD_IMAGES", f"stream view type {desc['StreamViewType']}")
    check(desc["TableName"] == TABLE, f"stream table {desc['TableName']}")
    check(desc["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
          f"stream key schema {desc['KeySchema']}")
    check(len(desc["Shards"]) >= 1, "stream has no shards")

    def read_all():
        records = []
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            it = streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for _ in range(100):
                if not it:
                    break
                page = streams.get_records(ShardIterator=it, Limit=100)
                records.extend(page["Records"])
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
        return records

    def key_of(r):
        k = r["dynamodb"]["Keys"]
        return k["PK"]["S"], k["SK"]["S"]

    deadline = time.time() + 10
    while True:
        records = read_all()
        mine = [r for r in records if key_of(r) == ("USER#u1", "PET#300")]
        if len(mine) >= 3 or time.time() > deadline:
            break
        time.sleep(0.2)
    check([r["eventName"] for r in mine] == ["INSERT", "MODIFY", "REMOVE"],
          f"stream events for PET#300: {[r['eventName'] for r in mine]}")
    ins, mod, rem = (r["dynamodb"] for r in mine)
    check("NewImage" in ins and "OldImage" not in ins, f"INSERT images: {sorted(ins)}")
    check(ins["NewImage"]["name"] == {"S": "Nemo"} and ins["NewImage"]["version"] == {"N": "1"}, f"INSERT NewImage {ins['NewImage']}")
    check(mod["OldImage"]["version"] == {"N": "1"} and mod["NewImage"]["version"] == {"N": "2"},
          f"MODIFY images {mod.get('OldImage')} -> {mod.get('NewImage')}")
    check(mod["NewImage"]["name"] == {"S": "Dory"}, f"MODIFY NewImage {mod['NewImage']}")
    check("OldImage" in rem and "NewImage" not in rem and rem["OldImage"]["version"] == {"N": "2"}, f"REMOVE images {rem}")
    check(all(r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" for r in mine), "record StreamViewType")
    # DynamoDB names the client's region; DynamoDB Local (and `cairn dynamodb-local`)
    # names its own, "ddblocal", as in its ARNs.
    check(all(r["eventSource"] == "aws:dynamodb" and r["awsRegion"] in (REGION, "ddblocal") for r in mine),
          f"eventSource/awsRegion {[(r['eventSource'], r['awsRegion']) for r in mine]}")
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "sequence numbers not strictly increasing")
    # No record for the rejected stale update or the cancelled transaction; the adoption is there.
    events = [(r["eventName"],) + key_of(r) for r in records]
    check(("REMOVE", "USER#u1", "PET#007") in events and ("INSERT", "USER#u2", "PET#007") in events,
          f"adoption transaction missing from the stream: {events}")
    check(not any(k[1] == "USER#u9" or k[2] == "PET#008" for k in events), f"cancelled transaction in the stream: {events}")
    check(len(records) == 5, f"expected 5 stream records after enabling, got {len(records)}: {events}")

    # --- delete table --------------------------------------------------------------------
    table.delete()
    table.wait_until_not_exists()
    check(TABLE not in [t.name for t in dynamodb.tables.all()], "table still listed after delete")
    print(f"ok {SCENARIO}")


if __name__ == "__main__":
    try:
        main()
    except ClientError as e:
        fail(f"unexpected {e.response['Error'].get('Code')}: {e.response['Error'].get('Message')} "
             f"(operation {e.operation_name})")
    except Exception as e:  # noqa: BLE001 - any other error fails the scenario with its traceback
        traceback.print_exc()
        fail(f"unexpected {type(e).__name__}: {e}")
