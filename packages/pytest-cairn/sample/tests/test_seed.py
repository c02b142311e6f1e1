"""The `products` table comes from fixtures/ (pytest.ini: cairn_seed = fixtures)."""


def test_seeded_table_and_items(cairn):
    ddb = cairn.client()
    assert "products" in ddb.list_tables()["TableNames"]
    assert ddb.scan(TableName="products", Select="COUNT")["Count"] == 3
    compass = ddb.get_item(TableName="products", Key={"sku": {"S": "p-2"}})["Item"]
    assert compass == {"sku": {"S": "p-2"}, "name": {"S": "Compass"}, "price": {"N": "30"}}


def test_seeded_items_through_the_resource_api(cairn):
    products = cairn.resource().Table("products")
    assert products.get_item(Key={"sku": "p-3"})["Item"]["name"] == "Head torch"
    assert cairn.endpoint.startswith("http://127.0.0.1:")
