#!/usr/bin/env python3
"""Drop-in scenario: the pet-tracking app written against boto3's low-level client.

Single-table design: PK/SK strings, on-demand, GSI bySpecies (species, SK).
Uses the client's waiters (table_exists / table_not_exists) and paginator
(get_paginator('query')), batch_write_item, update_item with optimistic locking,
and transact_write_items, all unchanged against Cairn.

Endpoint: $CAIRN_ENDPOINT (default http://127.0.0.1:8000).
"""
import os
import sys
import traceback
from decimal import Decimal

import boto3
from botocore.exceptions import ClientError

SCENARIO = "boto3_client"
TABLE = "pets_boto3_client"
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
ddb = session.client("dynamodb", endpoint_url=ENDPOINT)

SPECIES = ["cat", "dog", "dog", "parrot"]  # pet i has species SPECIES[i % 4]


def pet_item(user, i, version=1):
    return {
        "PK": {"S": f"USER#{user}"},
        "SK": {"S": f"PET#{i:03d}"},
        "name": {"S": f"pet-{i}"},
        "species": {"S": SPECIES[i % 4]},
        "birth_weight": {"N": f"{i}.25"},
        "version": {"N": str(version)},
    }


def main():
    # Leftover from an interrupted earlier run against the same server.
    if TABLE in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=TABLE)
        ddb.get_waiter("table_not_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    # --- create table + waiter ---------------------------------------------------
    created = ddb.create_table(
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
    )["TableDescription"]
    check(created["TableName"] == TABLE, f"CreateTable returned {created['TableName']!r}")
    check(created["TableStatus"] in ("CREATING", "ACTIVE"), f"CreateTable status {created['TableStatus']!r}")
    ddb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    desc = ddb.describe_table(TableName=TABLE)["Table"]
    check(desc["TableStatus"] == "ACTIVE", f"table not ACTIVE after waiter: {desc['TableStatus']}")
    check(desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", f"billing mode {desc.get('BillingModeSummary')}")
    gsis = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
    check("bySpecies" in gsis, f"GSI bySpecies missing from DescribeTable: {desc.get('GlobalSecondaryIndexes')}")
    check(gsis["bySpecies"]["IndexStatus"] == "ACTIVE", f"GSI status {gsis['bySpecies']['IndexStatus']}")
    check(gsis["bySpecies"]["Projection"] == {"ProjectionType": "ALL"}, f"GSI projection {gsis['bySpecies']['Projection']}")

    # --- profiles ----------------------------------------------------------------
    for user, name in (("u1", "Alice"), ("u2", "Bob")):
        ddb.put_item(TableName=TABLE, Item={
            "PK": {"S": f"USER#{user}"}, "SK": {"S": "PROFILE"},
            "name": {"S": name}, "email": {"S": f"{name.lower()}@example.com"},
        })

    # --- batch of 200 writes (25 per BatchWriteItem, retrying UnprocessedItems) ---
    requests = [{"PutRequest": {"Item": pet_item("u1", i)}} for i in range(200)]
    for start in range(0, 200, 25):
        pending = {TABLE: requests[start:start + 25]}
        for _ in range(10):
            resp = ddb.batch_write_item(RequestItems=pending)
            pending = resp.get("UnprocessedItems") or {}
            if not pending:
                break
        check(not pending, f"BatchWriteItem left UnprocessedItems after retries: {pending}")

    # --- paginated begins_with query (paginator, PageSize 25) --------------------
    paginator = ddb.get_paginator("query")
    pages = list(paginator.paginate(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": "USER#u1"}, ":prefix": {"S": "PET#"}},
        PaginationConfig={"PageSize": 25},
    ))
    sks = [item["SK"]["S"] for page in pages for item in page["Items"]]
    check(len(sks) == 200, f"paginated query returned {len(sks)} items, expected 200")
    check(len(set(sks)) == 200, f"paginated query returned duplicates: {len(sks) - len(set(sks))}")
    check(sks == sorted(sks), "query results are not in ascending sort-key order")
    check(all(len(p["Items"]) <= 25 for p in pages), f"a page exceeded Limit 25: {[len(p['Items']) for p in pages]}")
    check(8 <= len(pages) <= 9, f"expected 8 pages of 25 (+ possibly one empty), got {[len(p['Items']) for p in pages]}")
    check(sum(p["Count"] for p in pages) == 200, "Count over the pages is not 200")
    check("PROFILE" not in sks, "begins_with(SK, 'PET#') returned the PROFILE item")

    # Same, following LastEvaluatedKey by hand (Limit 25).
    seen, start_key, calls = [], None, 0
    while True:
        kwargs = dict(
            TableName=TABLE, Limit=25,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": "USER#u1"}, ":prefix": {"S": "PET#"}},
        )
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        resp = ddb.query(**kwargs)
        calls += 1
        check(resp["Count"] == len(resp["Items"]) <= 25, f"page Count {resp['Count']} vs {len(resp['Items'])} items")
        seen.extend(item["SK"]["S"] for item in resp["Items"])
        start_key = resp.get("LastEvaluatedKey")
        if start_key:
            check(set(start_key) == {"PK", "SK"}, f"LastEvaluatedKey has keys {sorted(start_key)}, expected PK, SK")
        if not start_key or calls > 20:
            break
    check(len(seen) == 200 and len(set(seen)) == 200, f"manual LastEvaluatedKey loop: {len(seen)} items, {len(set(seen))} distinct")

    # --- GSI query by species ----------------------------------------------------
    def species_count(species):
        pages = ddb.get_paginator("query").paginate(
            TableName=TABLE, IndexName="bySpecies",
            KeyConditionExpression="species = :s",
            ExpressionAttributeValues={":s": {"S": species}},
            PaginationConfig={"PageSize": 25},
        )
        items = [item for page in pages for item in page["Items"]]
        check(all(it["species"]["S"] == species for it in items), f"GSI query for {species} returned other species")
        return items

    cats = species_count("cat")
    check(len(cats) == 50, f"GSI bySpecies cat: {len(cats)} items, expected 50")
    check({"name", "birth_weight", "version"} <= set(cats[0]), f"GSI projection ALL lacks attributes: {sorted(cats[0])}")
    check(len(species_count("dog")) == 100, "GSI bySpecies dog count is not 100")
    check(len(species_count("parrot")) == 50, "GSI bySpecies parrot count is not 50")

    # --- number round trips --------------------------------------------------------
    numbers = {
        "a": "3.25",
        "b": "0.1",
        "c": "12345678901234567890.5",
        "d": "12345678901234567890123456789012345678",  # 38 significant digits (DynamoDB's maximum)
        "e": "-9223372036854775809",  # below int64
        "f": "1E-130",  # smallest positive magnitude DynamoDB accepts
        "g": "9.9999999999999999999999999999999999999E+125",  # largest
        "h": "0",
        "i": "-0.000001",
    }
    ddb.put_item(TableName=TABLE, Item={
        "PK": {"S": "USER#u1"}, "SK": {"S": "NUMBERS"},
        **{k: {"N": v} for k, v in numbers.items()},
        "ns": {"NS": ["3.25", "0.1", "12345678901234567890.5"]},
        "l": {"L": [{"N": "3.25"}, {"N": "0.1"}]},
    })
    got = ddb.get_item(TableName=TABLE, Key={"PK": {"S": "USER#u1"}, "SK": {"S": "NUMBERS"}}, ConsistentRead=True)["Item"]
    for k, v in numbers.items():
        check(Decimal(got[k]["N"]) == Decimal(v), f"number {v} read back as {got[k]['N']}")
    check(sorted(Decimal(x) for x in got["ns"]["NS"]) == sorted(Decimal(x) for x in ["3.25", "0.1", "12345678901234567890.5"]),
          f"number set read back as {got['ns']}")
    check([Decimal(x["N"]) for x in got["l"]["L"]] == [Decimal("3.25"), Decimal("0.1")], f"number list read back as {got['l']}")
    pet = ddb.get_item(TableName=TABLE, Key={"PK": {"S": "USER#u1"}, "SK": {"S": "PET#007"}})["Item"]
    check(Decimal(pet["birth_weight"]["N"]) == Decimal("7.25"), f"birth_weight read back as {pet['birth_weight']}")
    # Arithmetic keeps precision: ADD 0.1 to 12345678901234567890.5.
    upd = ddb.update_item(
        TableName=TABLE, Key={"PK": {"S": "USER#u1"}, "SK": {"S": "NUMBERS"}},
        UpdateExpression="ADD c :d", ExpressionAttributeValues={":d": {"N": "0.1"}}, ReturnValues="UPDATED_NEW",
    )["Attributes"]
    check(Decimal(upd["c"]["N"]) == Decimal("12345678901234567890.6"), f"ADD 0.1 gave {upd['c']}")

    # --- optimistic locking on version ------------------------------------------------
    key7 = {"PK": {"S": "USER#u1"}, "SK": {"S": "PET#007"}}
    resp = ddb.update_item(
        TableName=TABLE, Key=key7,
        UpdateExpression="SET #n = :name, version = version + :one",
        ConditionExpression="version = :expected",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":name": {"S": "Rex"}, ":one": {"N": "1"}, ":expected": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    check(resp["Attributes"].get("version") == {"N": "2"}, f"version after first update: {resp['Attributes']}")
    check(resp["Attributes"].get("name") == {"S": "Rex"}, f"name after first update: {resp['Attributes']}")
    try:
        ddb.update_item(
            TableName=TABLE, Key=key7,
            UpdateExpression="SET #n = :name, version = version + :one",
            ConditionExpression="version = :expected",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={":name": {"S": "Stale"}, ":one": {"N": "1"}, ":expected": {"N": "1"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        fail("update with stale version 1 succeeded")
    except ddb.exceptions.ConditionalCheckFailedException as e:
        check(e.response["Error"]["Code"] == "ConditionalCheckFailedException", f"error code {e.response['Error']}")
        check(e.response.get("Item", {}).get("version") == {"N": "2"},
              f"ReturnValuesOnConditionCheckFailure=ALL_OLD: Item in error is {e.response.get('Item')}")
    current = ddb.get_item(TableName=TABLE, Key=key7, ConsistentRead=True)["Item"]
    check(current["version"] == {"N": "2"} and current["name"] == {"S": "Rex"}, f"stale update changed the item: {current}")

    # --- transaction: adopt PET#007 from u1 to u2 --------------------------------------
    adopted = dict(current)
    adopted["PK"] = {"S": "USER#u2"}
    ddb.transact_write_items(TransactItems=[
        {"ConditionCheck": {
            "TableName": TABLE, "Key": {"PK": {"S": "USER#u2"}, "SK": {"S": "PROFILE"}},
            "ConditionExpression": "attribute_exists(PK)",
        }},
        {"Put": {"TableName": TABLE, "Item": adopted, "ConditionExpression": "attribute_not_exists(PK)"}},
        {"Delete": {
            "TableName": TABLE, "Key": key7,
            "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": "2"}},
        }},
    ])
    check("Item" not in ddb.get_item(TableName=TABLE, Key=key7, ConsistentRead=True), "PET#007 still under u1 after adoption")
    moved = ddb.get_item(TableName=TABLE, Key={"PK": {"S": "USER#u2"}, "SK": {"S": "PET#007"}}, ConsistentRead=True).get("Item")
    check(moved is not None and moved["name"] == {"S": "Rex"} and moved["version"] == {"N": "2"}, f"adopted pet under u2: {moved}")
    u1_pets = sum(p["Count"] for p in ddb.get_paginator("query").paginate(
        TableName=TABLE, KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
        ExpressionAttributeValues={":pk": {"S": "USER#u1"}, ":p": {"S": "PET#"}}, Select="COUNT"))
    check(u1_pets == 199, f"u1 has {u1_pets} pets after adoption, expected 199")
    parrots = species_count("parrot")  # PET#007 is a parrot: still 50, one of them now under u2
    check(len(parrots) == 50, f"GSI parrot count after the adoption: {len(parrots)}")
    check([p["PK"]["S"] for p in parrots if p["SK"]["S"] == "PET#007"] == ["USER#u2"], "GSI does not show PET#007 under u2")

    # --- cancelled transaction: the new owner does not exist -----------------------------
    key8 = {"PK": {"S": "USER#u1"}, "SK": {"S": "PET#008"}}
    pet8 = ddb.get_item(TableName=TABLE, Key=key8, ConsistentRead=True)["Item"]
    try:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**pet8, "PK": {"S": "USER#u9"}}}},
            {"Delete": {"TableName": TABLE, "Key": key8}},
            {"ConditionCheck": {
                "TableName": TABLE, "Key": {"PK": {"S": "USER#u9"}, "SK": {"S": "PROFILE"}},
                "ConditionExpression": "attribute_exists(PK)",
            }},
        ])
        fail("transaction with a failing ConditionCheck succeeded")
    except ddb.exceptions.TransactionCanceledException as e:
        check(e.response["Error"]["Code"] == "TransactionCanceledException", f"error {e.response['Error']}")
        reasons = e.response.get("CancellationReasons")
        check(reasons is not None, f"no CancellationReasons in the error response: {e.response}")
        codes = [r.get("Code") for r in reasons]
        check(codes == ["None", "None", "ConditionalCheckFailed"], f"CancellationReasons codes {codes}")
    check(ddb.get_item(TableName=TABLE, Key=key8, ConsistentRead=True).get("Item") == pet8, "cancelled transaction deleted PET#008")
    check("Item" not in ddb.get_item(TableName=TABLE, Key={"PK": {"S": "USER#u9"}, "SK": {"S": "PET#008"}}, ConsistentRead=True),
          "cancelled transaction wrote PET#008 under u9")

    # Error name from the generic ClientError path too (how most code catches it).
    try:
        ddb.put_item(TableName=TABLE, Item=pet_item("u1", 8), ConditionExpression="attribute_not_exists(PK)")
        fail("put with attribute_not_exists on an existing item succeeded")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ConditionalCheckFailedException", f"error code {e.response['Error']}")

    # --- delete table + waiter ------------------------------------------------------------
    ddb.delete_table(TableName=TABLE)
    ddb.get_waiter("table_not_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    check(TABLE not in ddb.list_tables()["TableNames"], "table still listed after delete")
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
