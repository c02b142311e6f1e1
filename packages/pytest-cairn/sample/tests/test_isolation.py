"""Writes in one test, and proof that a reset took them away before the next.

pytest runs the tests of a file in order, so each "..._is_gone" test runs after the
test that wrote.
"""

import pytest


def test_write_then_read(cairn_clean, ddb, orders_table):
    ddb.put_item(
        TableName="orders",
        Item={"customer": {"S": "ada"}, "order_id": {"S": "o-1"}, "total": {"N": "42"}},
    )
    got = ddb.get_item(TableName="orders", Key={"customer": {"S": "ada"}, "order_id": {"S": "o-1"}})
    assert got["Item"]["total"] == {"N": "42"}
    # Also change the seeded table: the reset must bring it back.
    ddb.delete_item(TableName="products", Key={"sku": {"S": "p-1"}})
    assert "Item" not in ddb.get_item(TableName="products", Key={"sku": {"S": "p-1"}})


def test_previous_test_data_is_gone(cairn, ddb):
    assert "orders" not in ddb.list_tables()["TableNames"]
    # The seed was loaded again, so the deleted product is back.
    product = ddb.get_item(TableName="products", Key={"sku": {"S": "p-1"}})["Item"]
    assert product["name"] == {"S": "Trail map"}


@pytest.mark.cairn_clean
class TestMarker:
    def test_marker_write(self, cairn):
        table = cairn.resource().create_table(
            TableName="scratch",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        table.wait_until_exists()
        table.put_item(Item={"pk": "k", "n": 1})
        assert table.get_item(Key={"pk": "k"})["Item"]["n"] == 1

    def test_marker_write_is_gone(self, cairn):
        assert "scratch" not in cairn.client().list_tables()["TableNames"]
