import pytest

from pytest_cairn import CairnError


def scan_orders(ddb):
    items = ddb.scan(TableName="orders")["Items"]
    return sorted(item["order_id"]["S"] for item in items)


def test_save_and_restore(cairn_clean, ddb, orders_table):
    for order_id in ("o-1", "o-2"):
        ddb.put_item(TableName="orders", Item={"customer": {"S": "ada"}, "order_id": {"S": order_id}})
    saved = cairn_clean.save("two-orders")
    assert saved["saved"]["name"] == "two-orders"
    assert "two-orders" in [s["name"] for s in cairn_clean.snapshots()]

    ddb.delete_item(TableName="orders", Key={"customer": {"S": "ada"}, "order_id": {"S": "o-1"}})
    ddb.put_item(TableName="orders", Item={"customer": {"S": "bob"}, "order_id": {"S": "o-3"}})
    assert scan_orders(ddb) == ["o-2", "o-3"]

    cairn_clean.restore("two-orders")
    assert scan_orders(ddb) == ["o-1", "o-2"]

    # A snapshot survives a reset and outlives the table it holds.
    cairn_clean.reset()
    assert "orders" not in ddb.list_tables()["TableNames"]
    cairn_clean.restore("two-orders")
    assert scan_orders(ddb) == ["o-1", "o-2"]
    cairn_clean.delete_snapshot("two-orders")
    assert "two-orders" not in [s["name"] for s in cairn_clean.snapshots()]


def test_restoring_an_unknown_snapshot_fails_clearly(cairn):
    with pytest.raises(CairnError, match="ValidationException: No snapshot named never-saved"):
        cairn.restore("never-saved")
