import pytest


@pytest.fixture
def ddb(cairn):
    """A boto3 DynamoDB client for the session's Cairn server."""
    return cairn.client()


@pytest.fixture
def orders_table(ddb):
    """A table the tests make themselves (the seeded one is `products`)."""
    ddb.create_table(
        TableName="orders",
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "order_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "order_id", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName="orders", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return "orders"
