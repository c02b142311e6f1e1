#!/usr/bin/env python3
"""boto3 against Cairn: the low-level client and the resource API, as users write them.

Usage: boto3_compat.py ENDPOINT_URL
"""
import sys
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Key  # noqa: F401  (import must work; Query comes later)
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
session = boto3.session.Session(aws_access_key_id="AKIDBOTO", aws_secret_access_key="secret", region_name="eu-central-1")
client = session.client("dynamodb", endpoint_url=endpoint)
resource = session.resource("dynamodb", endpoint_url=endpoint)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}")


# Low-level client.
client.create_table(
    TableName="boto_client",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    BillingMode="PAY_PER_REQUEST",
)
client.get_waiter("table_exists").wait(TableName="boto_client", WaiterConfig={"Delay": 1})
described = client.describe_table(TableName="boto_client")["Table"]
assert described["TableStatus"] == "ACTIVE"
assert described["TableArn"] == "arn:aws:dynamodb:eu-central-1:000000000000:table/boto_client", described["TableArn"]
client.put_item(TableName="boto_client", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "data": {"B": b"\x00\x01"}, "tags": {"SS": ["x", "y"]}})
got = client.get_item(TableName="boto_client", Key={"pk": {"S": "a"}, "sk": {"N": "1.0"}}, ConsistentRead=True)["Item"]
assert got["data"]["B"] == b"\x00\x01", got
assert sorted(got["tags"]["SS"]) == ["x", "y"]
message = expect_error("ValidationException", client.get_item, TableName="boto_client", Key={"pk": {"S": "a"}})
assert message == "The provided key element does not match the schema", message
expect_error("ResourceNotFoundException", client.get_item, TableName="nope_table", Key={"pk": {"S": "a"}})

# Resource API: Table, batch_writer (BatchWriteItem), Decimal numbers.
table = resource.Table("boto_client")
with table.batch_writer() as batch:
    for i in range(60):
        batch.put_item(Item={"pk": "batch", "sk": i, "price": Decimal("9.99"), "nested": {"list": [1, "two", None, True]}})
item = table.get_item(Key={"pk": "batch", "sk": 42})["Item"]
assert item["price"] == Decimal("9.99"), item
assert item["nested"]["list"] == [Decimal(1), "two", None, True], item
keys = [{"pk": "batch", "sk": i} for i in range(0, 60, 3)]
found = resource.batch_get_item(RequestItems={"boto_client": {"Keys": keys, "ProjectionExpression": "sk"}})["Responses"]["boto_client"]
assert sorted(int(x["sk"]) for x in found) == list(range(0, 60, 3)), found
old = table.delete_item(Key={"pk": "batch", "sk": 0}, ReturnValues="ALL_OLD")["Attributes"]
assert old["sk"] == 0
assert "Item" not in table.get_item(Key={"pk": "batch", "sk": 0})
assert any(t.name == "boto_client" for t in resource.tables.all())
table.delete()
print("boto3 client and resource API: ok")
