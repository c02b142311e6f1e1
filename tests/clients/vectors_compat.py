"""Vector indexes and SearchVectors through boto3 (botocore >= 1.44), end to end:
create (at CreateTable and online with backfill), write, search with HASH and
INLINE_FILTER conditions, update an item's vector and see its rank move, delete,
errors; every search checked against a brute-force computation here, for each
distance function.

Usage: python3 vectors_compat.py http://127.0.0.1:PORT
"""

import math
import random
import sys
import time

import boto3
import botocore

URL = sys.argv[1]
ddb = boto3.client("dynamodb", endpoint_url=URL, region_name="us-east-1",
                   aws_access_key_id="AKIDVECTORS", aws_secret_access_key="x")
DIMS = 8
rng = random.Random(7)


def f32(x):
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


def vec(values):
    return {"L": [{"N": repr(v)} for v in values]}


def score(kind, a, b):
    a = [f32(x) for x in a]
    b = [f32(x) for x in b]
    dot = sum(x * y for x, y in zip(a, b))
    if kind == "DOT_PRODUCT":
        return dot
    if kind == "EUCLIDEAN":
        return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return 1 - dot / (na * nb)


def expect_error(code, message, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        assert got == (code, message), f"expected {(code, message)}, got {got}"
        return
    raise AssertionError(f"expected {code}: {message}")


def create(name, kind, schema=None, definitions=(), projection=None):
    index = {"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": DIMS,
             "DistanceFunction": kind, "Projection": projection or {"ProjectionType": "ALL"}}
    if schema:
        index["SearchSchema"] = schema
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}] + list(definitions),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        VectorIndexes=[index])
    ddb.get_waiter("table_exists").wait(TableName=name)


def load(name, count, extra=lambda i: {}):
    vectors = {}
    for i in range(count):
        v = [rng.uniform(-1, 1) for _ in range(DIMS)]
        vectors[f"p{i}"] = v
        item = {"pk": {"S": f"p{i}"}, "v": vec(v)}
        item.update(extra(i))
        ddb.put_item(TableName=name, Item=item)
    return vectors


def search(name, query, k, **kwargs):
    out = ddb.search_vectors(TableName=name, IndexName="emb", SearchVector=[{"N": repr(x)} for x in query],
                             TopK=k, **kwargs)
    return [(r["Item"]["pk"]["S"], r["Score"]) for r in out["SearchResults"]], out


def brute(kind, vectors, query, k):
    scored = sorted(vectors.items(), key=lambda kv: score(kind, query, kv[1]), reverse=(kind == "DOT_PRODUCT"))
    return [(pk, score(kind, query, v)) for pk, v in scored[:k]]


def same(got, want):
    assert [g[0] for g in got] == [w[0] for w in want], f"order {got} vs {want}"
    for (_, a), (_, b) in zip(got, want):
        assert abs(a - b) < 1e-4, f"score {a} vs {b}"


# Each distance function: exact results against brute force.
for kind in ["COSINE", "EUCLIDEAN", "DOT_PRODUCT"]:
    name = f"vec_{kind.lower()}"
    create(name, kind)
    vectors = load(name, 60)
    for _ in range(5):
        query = [rng.uniform(-1, 1) for _ in range(DIMS)]
        got, out = search(name, query, 10)
        same(got, brute(kind, vectors, query, 10))
    desc = ddb.describe_table(TableName=name)["Table"]["VectorIndexes"][0]
    assert desc["IndexStatus"] == "ACTIVE" and desc["Dimensions"] == DIMS and desc["DistanceFunction"] == kind, desc
    assert "Backfilling" not in desc, desc
    assert desc["IndexArn"].endswith(f":table/{name}/index/emb"), desc
    # The vector is not returned unless asked for.
    assert "v" not in out["SearchResults"][0]["Item"], out
print("ok distance functions")

# HASH and INLINE_FILTER: searches stay within the partition and the filter.
name = "vec_pets"
create(name, "COSINE",
       schema=[{"AttributeName": "owner", "SearchSchemaElementType": "HASH"},
               {"AttributeName": "species", "SearchSchemaElementType": "INLINE_FILTER"}],
       definitions=[{"AttributeName": "owner", "AttributeType": "S"},
                    {"AttributeName": "species", "AttributeType": "S"}])
owners = ["ada", "bob"]
species = ["cat", "dog", "fish"]
vectors = load(name, 90, lambda i: {"owner": {"S": owners[i % 2]}, "species": {"S": species[i % 3]}})
query = [rng.uniform(-1, 1) for _ in range(DIMS)]
mine = {pk: v for pk, v in vectors.items() if int(pk[1:]) % 2 == 0}
got, _ = search(name, query, 5, SearchConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "ada"}})
same(got, brute("COSINE", mine, query, 5))
cats = {pk: v for pk, v in mine.items() if int(pk[1:]) % 3 == 0}
got, _ = search(name, query, 5, SearchConditionExpression="#o = :o AND species = :s",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":o": {"S": "ada"}, ":s": {"S": "cat"}})
same(got, brute("COSINE", cats, query, 5))
expect_error("ValidationException", "SearchConditionExpression must be provided when SearchSchema has a HASH key",
             ddb.search_vectors, TableName=name, IndexName="emb", SearchVector=[{"N": "1"}] * DIMS, TopK=3)
expect_error("ValidationException",
             "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression",
             ddb.search_vectors, TableName=name, IndexName="emb", SearchVector=[{"N": "1"}] * DIMS, TopK=3,
             SearchConditionExpression="#o > :o", ExpressionAttributeNames={"#o": "owner"},
             ExpressionAttributeValues={":o": {"S": "a"}})
print("ok search schema")

# Update an item's vector: its rank moves to first.
target = sorted(mine)[-1]
ddb.put_item(TableName=name, Item={"pk": {"S": target}, "owner": {"S": "ada"}, "species": {"S": "cat"},
                                   "v": vec(query)})
got, _ = search(name, query, 1, SearchConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "ada"}})
assert got[0][0] == target and abs(got[0][1]) < 1e-5, got
# Deleting it removes it from the index.
ddb.delete_item(TableName=name, Key={"pk": {"S": target}})
got, _ = search(name, query, 1, SearchConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "ada"}})
assert got[0][0] != target, got
print("ok update and delete")

# Write-time rules: a vector of the wrong size or type is refused; one without a
# vector is stored but not indexed.
expect_error("ValidationException",
             f"One or more parameter values were invalid: Invalid size for parameter v, Expected: {DIMS}, Actual: 3. IndexName: emb",
             ddb.put_item, TableName=name, Item={"pk": {"S": "bad"}, "v": vec([1, 2, 3])})
ddb.put_item(TableName=name, Item={"pk": {"S": "novector"}, "owner": {"S": "ada"}})
print("ok write rules")

# SearchVectors' own validations.
expect_error("ValidationException",
             "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive",
             ddb.search_vectors, TableName="vec_cosine", IndexName="emb", SearchVector=[{"N": "1"}] * DIMS, TopK=101)
expect_error("ValidationException", f"Input search vector dimension 3 does not match vector index dimension {DIMS}",
             ddb.search_vectors, TableName="vec_cosine", IndexName="emb", SearchVector=[{"N": "1"}] * 3, TopK=1)
expect_error("ValidationException", "The table does not have the specified index: nope",
             ddb.search_vectors, TableName="vec_cosine", IndexName="nope", SearchVector=[{"N": "1"}] * DIMS, TopK=1)
expect_error("ValidationException", "Query operation not supported on this index type.",
             ddb.query, TableName="vec_cosine", IndexName="emb", KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": {"S": "p1"}})
print("ok search validation")

# Online creation on a table with items: CREATING + Backfilling, then ACTIVE, with
# every earlier item found.
name = "vec_online"
ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
ddb.get_waiter("table_exists").wait(TableName=name)
vectors = load(name, 300)
ddb.update_table(TableName=name, VectorIndexUpdates=[{"Create": {
    "IndexName": "emb", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": DIMS,
    "DistanceFunction": "EUCLIDEAN", "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
desc = ddb.describe_table(TableName=name)["Table"]["VectorIndexes"][0]
assert desc["IndexStatus"] == "CREATING" and desc.get("Backfilling") is True, desc
for _ in range(200):
    desc = ddb.describe_table(TableName=name)["Table"]["VectorIndexes"][0]
    if desc["IndexStatus"] == "ACTIVE":
        break
    time.sleep(0.05)
assert desc["IndexStatus"] == "ACTIVE" and "Backfilling" not in desc, desc
query = [rng.uniform(-1, 1) for _ in range(DIMS)]
got, out = search(name, query, 20, ReturnConsumedCapacity="TOTAL")
same(got, brute("EUCLIDEAN", vectors, query, 20))
assert out["SearchResults"][0]["Item"].keys() == {"pk"}, out["SearchResults"][0]
assert out["ConsumedCapacity"]["VectorSearchRequestBytes"] >= 1024, out["ConsumedCapacity"]
# Deleted online.
ddb.update_table(TableName=name, VectorIndexUpdates=[{"Delete": {"IndexName": "emb"}}])
assert "VectorIndexes" not in ddb.describe_table(TableName=name)["Table"]
print("ok online create and delete")

# Declaration rules.
expect_error("ValidationException",
             "One or more parameter values were invalid: One element in SearchSchema is not defined in attribute definitions",
             ddb.create_table, TableName="vec_bad", BillingMode="PAY_PER_REQUEST",
             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
             VectorIndexes=[{"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": 4,
                             "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"},
                             "SearchSchema": [{"AttributeName": "owner", "SearchSchemaElementType": "HASH"}]}])
too_many = [{"IndexName": f"emb{i}", "VectorAttribute": {"AttributeName": f"v{i}"}, "Dimensions": 4,
             "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"}} for i in range(6)]
expect_error("ValidationException",
             "One or more parameter values were invalid: VectorIndex count exceeds the per-table limit of 5",
             ddb.create_table, TableName="vec_bad", BillingMode="PAY_PER_REQUEST",
             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], VectorIndexes=too_many)
print("ok declaration rules")
print("vectors: all passed")
