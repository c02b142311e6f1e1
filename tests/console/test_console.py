"""The web console in headless Chromium, one test per rule of the console's
issue; each step is checked on the page and against the API with boto3."""

import csv
import glob
import io
import json
import os
import re
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import (AUTH, AUTH_KEY, PLAIN, SEED, browser_errors, button, by_label, client, close_dialogs,
                      column_values, go, make_driver, make_table, scan_all, sign_in, unique, until, wait)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
ASSETS = os.environ.get("CAIRN_CONSOLE_ASSETS",
                        os.path.join(os.path.dirname(__file__), "..", "..", "crates", "cairn-server", "console"))


def open_dialog(driver):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open]")))


def set_text(element, text):
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def wait_results(driver, count_text=None):
    """Waits for the results count line (optionally containing count_text)."""
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "p.count").text.startswith("Page"))
    if count_text:
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.count"), count_text))


def api_error(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


# --- Tables --------------------------------------------------------------------


def test_create_table_with_gsi_through_the_form(console, ddb):
    name = unique("created")
    go(console, PLAIN, "/tables/new", "Create a table")
    form = console.find_element(By.CSS_SELECTOR, "form.create-table")
    by_label(form, "Table name").send_keys(name)
    by_label(form, "Partition key name").send_keys("pk")
    by_label(form, "Sort key name (optional)").send_keys("sk")
    button(form, "Add global secondary index").click()
    gsi = form.find_element(By.CSS_SELECTOR, "fieldset.gsi")
    by_label(gsi, "Index name").send_keys("byCat")
    by_label(gsi, "Partition key 1 name").send_keys("cat")
    button(gsi, "Add partition key attribute").click()
    by_label(gsi, "Partition key 2 name").send_keys("region")
    button(gsi, "Add sort key attribute").click()
    by_label(gsi, "Sort key 1 name").send_keys("price")
    Select(by_label(gsi, "Sort key 1 type")).select_by_value("N")
    form.find_element(By.XPATH, ".//label[normalize-space(.)='Enable the stream']").click()
    button(form, "Create table").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), f"Table {name}"))
    wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-index="byCat"]')))

    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byCat"
    assert index["KeySchema"] == [{"AttributeName": "cat", "KeyType": "HASH"}, {"AttributeName": "region", "KeyType": "HASH"},
                                  {"AttributeName": "price", "KeyType": "RANGE"}]
    assert {"AttributeName": "price", "AttributeType": "N"} in table["AttributeDefinitions"]
    # The tables list shows it with its index and stream.
    go(console, PLAIN, "/tables", "Tables")
    row = wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-table="{name}"]')))
    assert "byCat" in row.text and "NEW_AND_OLD_IMAGES" in row.text and "On demand" in row.text


def test_create_table_error_is_the_apis_message(console, ddb):
    name = unique("dup")
    make_table(ddb, name)
    expected = api_error(lambda: ddb.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST"))
    go(console, PLAIN, "/tables/new", "Create a table")
    form = console.find_element(By.CSS_SELECTOR, "form.create-table")
    by_label(form, "Table name").send_keys(name)
    by_label(form, "Partition key name").send_keys("pk")
    button(form, "Create table").click()
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "form.create-table .error")))
    assert error.text == f"{expected['Code']}: {expected['Message']}"


def test_add_and_remove_a_gsi_with_backfill_status(console, ddb):
    name = unique("addgsi")
    make_table(ddb, name)
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "color": {"S": "red"}}}} for i in range(20)]})
    go(console, PLAIN, f"/table/{name}", f"Table {name}")
    console.find_element(By.XPATH, "//summary[normalize-space(.)='Add a global secondary index']").click()
    form = console.find_element(By.CSS_SELECTOR, "details.add-index form")
    by_label(form, "Index name").send_keys("byColor")
    by_label(form, "Partition key 1 name").send_keys("color")
    button(form, "Add index").click()
    # The row is redrawn each second while the index is built: read it by script.
    status = 'const c = document.querySelector(\'tr[data-index="byColor"] td.index-status\'); return c && [c.dataset.status, c.textContent];'
    first = wait(console, lambda d: d.execute_script(status))
    assert first[0] in ("CREATING", "ACTIVE") and first[1].startswith(first[0])
    wait(console, lambda d: (d.execute_script(status) or [None])[0] == "ACTIVE", 30)
    index = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "byColor" and index["IndexStatus"] == "ACTIVE"
    # Remove it.
    console.find_element(By.CSS_SELECTOR, 'button[aria-label="Delete index byColor"]').click()
    button(open_dialog(console), "Delete index").click()
    until(lambda: not ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes"), 30)
    wait(console, lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-index="byColor"]'), 30)


def test_delete_the_table(console, ddb):
    name = unique("doomed")
    make_table(ddb, name, protect=True)
    expected = api_error(lambda: ddb.delete_table(TableName=name))
    go(console, PLAIN, f"/table/{name}", f"Table {name}")
    wait(console, EC.presence_of_element_located((By.ID, "setting-protect")))
    button(console, "Delete table").click()
    button(open_dialog(console), "Delete table").click()
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, ".danger-zone .error")))
    assert error.text == f"{expected['Code']}: {expected['Message']}"
    # Turn protection off with the toggle, then delete.
    toggle = console.find_element(By.ID, "setting-protect")
    assert toggle.is_selected()
    toggle.click()
    until(lambda: not ddb.describe_table(TableName=name)["Table"].get("DeletionProtectionEnabled"))
    wait(console, lambda d: not d.find_element(By.ID, "setting-protect").is_selected())
    button(console, "Delete table").click()
    button(open_dialog(console), "Delete table").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Tables"))
    assert api_error(lambda: ddb.describe_table(TableName=name))["Code"] == "ResourceNotFoundException"


# --- Items ---------------------------------------------------------------------


def test_put_items_through_the_editor(console, ddb):
    name = unique("editor")
    make_table(ddb, name, sort="sk")
    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait_results(console)
    button(console, "Create item").click()
    dialog = open_dialog(console)
    console.find_element(By.XPATH, "//dialog[@open]//label[normalize-space(.)='Plain JSON']").click()
    text = dialog.find_element(By.TAG_NAME, "textarea")
    # A JSON syntax error is shown inline with its position.
    set_text(text, '{"pk": "a", "sk": "1" "price": 10}')
    button(dialog, "Create item").click()
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open] .error")))
    assert "line 1, column 23" in error.text and "Expected ',' or '}'" in error.text
    # The API's ValidationException is shown as the API words it.
    expected = api_error(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}}))
    set_text(text, '{"pk": "a"}')
    button(dialog, "Create item").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog[open] .error"), expected["Message"]))
    assert console.find_element(By.CSS_SELECTOR, "dialog[open] .error").text == f"{expected['Code']}: {expected['Message']}"
    set_text(text, '{"pk": "a", "sk": "1", "price": 12345678901234567890.5, "tags": ["x", 1], "ok": true, "none": null}')
    button(dialog, "Create item").click()
    wait(console, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, ConsistentRead=True)["Item"]
    assert item == {"pk": {"S": "a"}, "sk": {"S": "1"}, "price": {"N": "12345678901234567890.5"},
                    "tags": {"L": [{"S": "x"}, {"N": "1"}]}, "ok": {"BOOL": True}, "none": {"NULL": True}}
    wait(console, lambda d: column_values(d, "pk") == ["a"])
    assert column_values(console, "price") == ["12345678901234567890.5"]
    # Creating refuses to overwrite an existing item.
    button(console, "Create item").click()
    dialog = open_dialog(console)
    set_text(dialog.find_element(By.TAG_NAME, "textarea"), '{"pk": "a", "sk": "1"}')
    button(dialog, "Create item").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog[open] .error"), "ConditionalCheckFailedException"))
    button(dialog, "Cancel").click()
    assert "price" in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})["Item"]


def test_edit_an_item_in_dynamodb_json_mode(console, ddb):
    name = unique("ddbjson")
    make_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}, "count": {"N": "1"}, "old": {"S": "x"}})
    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: column_values(d, "pk") == ["k1"])
    console.find_element(By.CSS_SELECTOR, 'button[aria-label="Open item pk=k1"]').click()
    dialog = open_dialog(console)
    console.find_element(By.XPATH, "//dialog[@open]//label[normalize-space(.)='DynamoDB JSON']").click()
    text = dialog.find_element(By.TAG_NAME, "textarea")
    wait(console, lambda d: '"S": "k1"' in text.get_attribute("value"))
    shown = json.loads(text.get_attribute("value"))
    assert shown == {"pk": {"S": "k1"}, "count": {"N": "1"}, "old": {"S": "x"}}
    set_text(text, json.dumps({"pk": {"S": "k1"}, "count": {"N": "42"}, "tags": {"SS": ["b", "a"]}}))
    button(dialog, "Save").click()
    wait(console, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "k1"}}, ConsistentRead=True)["Item"]
    assert item["count"] == {"N": "42"} and sorted(item["tags"]["SS"]) == ["a", "b"] and "old" not in item
    # A set has no plain JSON form: the editor stays in DynamoDB JSON and says why.
    wait(console, lambda d: column_values(d, "count") == ["42"])
    console.find_element(By.CSS_SELECTOR, 'button[aria-label="Open item pk=k1"]').click()
    dialog = open_dialog(console)
    warning = dialog.find_element(By.CSS_SELECTOR, "p.warning")
    assert warning.is_displayed() and "tags is a set (SS)" in warning.text
    console.find_element(By.XPATH, "//dialog[@open]//label[normalize-space(.)='Plain JSON']").click()
    assert dialog.find_element(By.XPATH, ".//input[@value='ddb']").is_selected()
    assert '"SS"' in dialog.find_element(By.TAG_NAME, "textarea").get_attribute("value")
    button(dialog, "Cancel").click()


def test_query_the_index_with_between(console, ddb):
    name = unique("query")
    make_table(ddb, name, gsis=[{"name": "byCat", "keys": [{"AttributeName": "cat", "KeyType": "HASH"}, {"AttributeName": "price", "KeyType": "RANGE"}],
                                  "attrs": [{"AttributeName": "cat", "AttributeType": "S"}, {"AttributeName": "price", "AttributeType": "N"}]}])
    items = [{"pk": {"S": f"p{i}"}, "cat": {"S": "tools" if i % 3 else "toys"}, "price": {"N": str(i)}} for i in range(1, 31)]
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": it}} for it in items[:25]]})
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": it}} for it in items[25:]]})
    expected = ddb.query(TableName=name, IndexName="byCat", KeyConditionExpression="cat = :c AND price BETWEEN :a AND :b",
                         ExpressionAttributeValues={":c": {"S": "tools"}, ":a": {"N": "5"}, ":b": {"N": "14"}})["Items"]
    expected_prices = [it["price"]["N"] for it in expected]
    assert expected_prices == ["5", "7", "8", "10", "11", "13", "14"]

    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait_results(console)
    form = console.find_element(By.CSS_SELECTOR, "form.query")
    form.find_element(By.XPATH, ".//label[normalize-space(.)='Query']").click()
    Select(by_label(form, "Table or index")).select_by_value("byCat")
    by_label(form, "cat (partition key, S) =").send_keys("tools")
    Select(by_label(form, "price (sort key, N)")).select_by_value("BETWEEN")
    form.find_element(By.CSS_SELECTOR, 'input[data-key="price"]').send_keys("5")
    form.find_element(By.CSS_SELECTOR, 'input[data-key2="price"]').send_keys("14")
    button(form, "Run").click()
    wait(console, lambda d: column_values(d, "price") == expected_prices)
    sent = console.execute_script("return document.querySelector('form.query details pre').textContent")
    assert "#k0 = :k0 AND #r0 BETWEEN :r0 AND :r0b" in sent and '"IndexName": "byCat"' in sent
    # Descending, with a filter and a projection.
    Select(by_label(form, "Sort order")).select_by_value("desc")
    button(form, "Add filter").click()
    row = form.find_element(By.CSS_SELECTOR, ".filter-row")
    row.find_element(By.CSS_SELECTOR, "input.filter-name").send_keys("pk")
    Select(row.find_element(By.CSS_SELECTOR, "select.filter-op")).select_by_value("<>")
    row.find_element(By.CSS_SELECTOR, "input.filter-value").send_keys("p10")
    by_label(form, "Attributes to return").send_keys("pk, price")
    button(form, "Run").click()
    expected_desc = [p for p in reversed(expected_prices) if p != "10"]
    wait(console, lambda d: column_values(d, "price") == expected_desc)
    assert column_values(console, "cat") == []
    # Every sort key operator builds a condition the API accepts.
    for op, value, want in (("=", "8", ["8"]), ("<", "5", ["4", "2", "1"]), ("<=", "4", ["4", "2", "1"]),
                            (">", "28", ["29"]), (">=", "28", ["29", "28"]), ("begins_with", None, None)):
        Select(by_label(form, "price (sort key, N)")).select_by_value(op)
        if value is None:
            break
        field = form.find_element(By.CSS_SELECTOR, 'input[data-key="price"]')
        set_text(field, value)
        button(form, "Run").click()
        wait(console, lambda d: column_values(d, "price") == want)
    # begins_with on a number: the API's own refusal is shown.
    set_text(form.find_element(By.CSS_SELECTOR, 'input[data-key="price"]'), "1")
    button(form, "Run").click()
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "main > .error")))
    expected_error = api_error(lambda: ddb.query(TableName=name, IndexName="byCat", KeyConditionExpression="cat = :c AND begins_with(price, :p)",
                                                 ExpressionAttributeValues={":c": {"S": "tools"}, ":p": {"N": "1"}}))
    assert error.text == f"{expected_error['Code']}: {expected_error['Message']}"


def test_bulk_delete_selected(console, ddb):
    name = unique("bulk")
    make_table(ddb, name)
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(6)]})
    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: len(column_values(d, "pk") or []) == 6)
    chosen = ["k1", "k3", "k4"]
    for key in chosen:
        by_label(console, f"Select item pk={key}").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".selected-count"), "3 selected"))
    button(console, "Delete selected").click()
    button(open_dialog(console), "Delete items").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog.progress-dialog"), "3 of 3 deleted"))
    button(console.find_element(By.CSS_SELECTOR, "dialog.progress-dialog"), "Close").click()
    remaining = sorted(it["pk"]["S"] for it in scan_all(ddb, name))
    assert remaining == ["k0", "k2", "k5"]
    wait(console, lambda d: sorted(column_values(d, "pk") or []) == remaining)


def test_bulk_edit_selected(console, ddb):
    name = unique("bulkedit")
    make_table(ddb, name)
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "old": {"S": "x"}}}} for i in range(4)]})
    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: len(column_values(d, "pk") or []) == 4)
    by_label(console, "Select every item on this page").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".selected-count"), "4 selected"))
    button(console, "Edit selected").click()
    dialog = open_dialog(console)
    by_label(dialog, "Attribute name").send_keys("status")
    Select(by_label(dialog, "Value type")).select_by_value("N")
    by_label(dialog, "Value").send_keys("7")
    button(dialog, "Apply to 4 items").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog.progress-dialog"), "4 of 4 updated"))
    button(console.find_element(By.CSS_SELECTOR, "dialog.progress-dialog"), "Close").click()
    assert all(it["status"] == {"N": "7"} for it in scan_all(ddb, name))
    button(console, "Edit selected").click()
    dialog = open_dialog(console)
    Select(by_label(dialog, "Action")).select_by_value("REMOVE")
    by_label(dialog, "Attribute name").send_keys("old")
    button(dialog, "Apply to 4 items").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog.progress-dialog"), "4 of 4 updated"))
    button(console.find_element(By.CSS_SELECTOR, "dialog.progress-dialog"), "Close").click()
    assert all("old" not in it for it in scan_all(ddb, name))


def test_partiql_select(console, ddb):
    name = unique("partiql")
    make_table(ddb, name, sort="sk")
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "a" if i < 4 else "b"}, "sk": {"S": f"s{i}"}, "v": {"N": str(i)}}}} for i in range(7)]})
    statement = f"SELECT * FROM \"{name}\" WHERE pk = ?"
    expected = ddb.execute_statement(Statement=statement, Parameters=[{"S": "a"}])["Items"]
    go(console, PLAIN, "/partiql", "PartiQL")
    form = console.find_element(By.CSS_SELECTOR, "main form")
    set_text(by_label(form, "Statement"), statement)
    by_label(form, "Parameters (optional)").send_keys('["a"]')
    button(form, "Run").click()
    wait(console, lambda d: column_values(d, "sk") == [it["sk"]["S"] for it in expected])
    assert column_values(console, "v") == [it["v"]["N"] for it in expected]
    # Paging with NextToken: Limit 2 gives pages of at most two items; Previous goes back.
    by_label(form, "Limit (optional)").send_keys("2")
    button(form, "Run").click()
    pages = []
    while True:
        wait(console, lambda d: d.find_element(By.CSS_SELECTOR, ".pager .page-label").text == f"Page {len(pages) + 1}")
        wait(console, lambda d: d.find_element(By.CSS_SELECTOR, "p.count").text.startswith(f"Page {len(pages) + 1}:"))
        pages.append(column_values(console, "sk"))
        nxt = button(console, "Next →")
        if not nxt.is_enabled():
            break
        nxt.click()
    assert [sk for page in pages for sk in page] == [it["sk"]["S"] for it in expected]
    assert len(pages) >= 2 and all(len(p) <= 2 for p in pages)
    button(console, "← Previous").click()
    wait(console, lambda d: column_values(d, "sk") == pages[-2])
    by_label(form, "Limit (optional)").clear()
    # The API's error for a bad statement.
    set_text(by_label(form, "Statement"), f"SELEC * FROM \"{name}\"")
    by_label(form, "Parameters (optional)").clear()
    button(form, "Run").click()
    expected_error = api_error(lambda: ddb.execute_statement(Statement=f"SELEC * FROM \"{name}\""))
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main form .error"), expected_error["Message"]))


def test_values_are_shown_as_literal_text(console, ddb):
    name = unique("xss")
    make_table(ddb, name)
    script = "<script>alert(1)</script>"
    img = "<img src=x onerror=\"document.body.dataset.pwned=1;alert(2)\">"
    ddb.put_item(TableName=name, Item={"pk": {"S": script}, "html": {"S": img}, img: {"S": "name is html"},
                                       "nested": {"M": {"k": {"S": img}}}})
    go(console, PLAIN, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: column_values(d, "pk") == [script])
    assert column_values(console, "html") == [img]
    assert column_values(console, img) == ["name is html"]
    assert column_values(console, "nested")[0].startswith('{"k":"<img src=x onerror=')
    # Open it in the editor and in JSON view too.
    console.find_element(By.CSS_SELECTOR, "table.items tbody th button").click()
    dialog = open_dialog(console)
    shown = json.loads(dialog.find_element(By.TAG_NAME, "textarea").get_attribute("value"))
    assert shown["html"] in (img, {"S": img}) and shown["pk"] in (script, {"S": script})
    button(dialog, "Cancel").click()
    console.find_element(By.XPATH, "//fieldset[legend='Show results as']//label[normalize-space(.)='JSON']").click()
    assert script in console.find_element(By.CSS_SELECTOR, ".results pre.json").text
    # Nothing was interpreted as HTML: no new elements, no script ran, no alert.
    assert console.execute_script("return document.querySelectorAll('main img, main script, dialog img').length") == 0
    assert console.execute_script("return document.querySelectorAll('script').length") == 1
    assert console.execute_script("return document.body.dataset.pwned === undefined")
    with pytest.raises(NoAlertPresentException):
        console.switch_to.alert.text
    assert not [e for e in browser_errors(console) if "Content Security Policy" in e["message"]]


# --- Streams -------------------------------------------------------------------


def test_stream_view_shows_insert_and_modify(console, ddb):
    name = unique("stream")
    make_table(ddb, name, stream="NEW_AND_OLD_IMAGES")
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}, "v": {"N": "0"}})
    go(console, PLAIN, f"/streams/{name}", f"Stream of {name}")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".stream-state"), "Watching 1 shard"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}, "a": {"S": "one"}, "b": {"N": "1"}})
    insert = wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, 'article[data-event="INSERT"]')), 15)
    assert "pk=k1" in insert.find_element(By.TAG_NAME, "h3").text
    assert insert.find_element(By.CSS_SELECTOR, "tr.diff-added td.marker").text == "+ added"
    ddb.update_item(TableName=name, Key={"pk": {"S": "k1"}}, UpdateExpression="SET b = :b, c = :c REMOVE a",
                    ExpressionAttributeValues={":b": {"N": "2"}, ":c": {"BOOL": True}})
    modify = wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, 'article[data-event="MODIFY"]')), 15)
    kinds = {r.find_element(By.TAG_NAME, "th").text: (r.get_attribute("class"), r.find_element(By.CSS_SELECTOR, "td.marker").text)
             for r in modify.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert kinds == {"pk": ("diff-same", "unchanged"), "a": ("diff-removed", "− removed"),
                     "b": ("diff-changed", "~ changed"), "c": ("diff-added", "+ added")}
    # LATEST: the write before the view opened is not shown.
    assert "before" not in console.find_element(By.CSS_SELECTOR, ".records").text
    # From the beginning: it is.
    button(console, "Stop").click()
    console.find_element(By.XPATH, "//label[normalize-space(.)='The beginning (TRIM_HORIZON)']").click()
    button(console, "Clear").click()
    button(console, "Start").click()
    wait(console, lambda d: "pk=before" in d.find_element(By.CSS_SELECTOR, ".records").text, 15)
    button(console, "Stop").click()


# --- Capacity and cost ---------------------------------------------------------


def test_stats_view_draws_a_chart_after_traffic(console, ddb):
    name = unique("stats")
    make_table(ddb, name)
    for i in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    ddb.scan(TableName=name, FilterExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k1"}})
    go(console, PLAIN, f"/capacity/{name}", f"Capacity & cost · {name}")
    wait(console, lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.chart polyline.series")) == 7)
    # Some point of the requests line is above the baseline.
    above = console.execute_script(
        "const line = document.querySelector('figure[data-chart=chart-requests-per-second] polyline.series-0');"
        "const ys = line.getAttribute('points').trim().split(' ').map(p => parseFloat(p.split(',')[1]));"
        "return Math.min(...ys) < Math.max(...ys);")
    assert above
    assert console.execute_script("return document.querySelector('svg.chart').getAttribute('role')") == "img"
    # The cost report, with this table's operations and the amplification warning.
    report = wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, ".cost-table")))
    assert name in report.text
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".cost"), f"Scan {name} with FilterExpression"))
    ops = console.find_element(By.XPATH, f"//caption[normalize-space(.)='Operations on {name}']/..").text
    assert "PutItem" in ops and "Scan" in ops


# --- Import and export -----------------------------------------------------------


def test_export_csv_and_import_into_a_new_table(console, ddb, downloads):
    source = unique("export")
    target = unique("import")
    make_table(ddb, source, sort="sk", sort_type="N")
    make_table(ddb, target, sort="sk", sort_type="N")
    items = [
        {"pk": {"S": "a,b \"q\""}, "sk": {"N": "1"}, "s": {"S": "multi\nline"}, "empty": {"S": ""}, "n": {"N": "3.14"}},
        {"pk": {"S": "b"}, "sk": {"N": "2"}, "flag": {"BOOL": False}, "nothing": {"NULL": True}, "bin": {"B": b"\x00\x01"}},
        {"pk": {"S": "c"}, "sk": {"N": "3"}, "l": {"L": [{"S": "x"}, {"N": "1"}]}, "m": {"M": {"k": {"SS": ["p", "q"]}}},
         "ns": {"NS": ["1", "2"]}, "ss": {"SS": ["z"]}, "n": {"S": "now a string"}},
    ] + [{"pk": {"S": f"bulk{i:03d}"}, "sk": {"N": str(i)}, "v": {"N": str(i * 2)}} for i in range(60)]
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={source: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})
    for f in glob.glob(os.path.join(downloads, "*")):
        os.remove(f)
    go(console, PLAIN, f"/transfer/{source}", f"Import / export · {source}")
    export = console.find_element(By.CSS_SELECTOR, "section.card")
    Select(by_label(export, "Format")).select_by_value("csv")
    button(export, "Download the table").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "section.card p.hint"), f"Downloaded {len(items)} items"))
    path = until(lambda: [f for f in glob.glob(os.path.join(downloads, f"{source}-*.csv"))], 10)[0]
    with open(path, newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:2] == ["pk", "sk:N"] and "flag:BOOL" in header and "m:json" in header and "n:N" in header and "n" in header
    go(console, PLAIN, f"/transfer/{target}", f"Import / export · {target}")
    form = console.find_element(By.CSS_SELECTOR, "main form.card")
    by_label(form, "File").send_keys(path)
    button(form, "Import").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".import-status"), f"{len(items)} of {len(items)} items written"), 20)
    assert console.find_element(By.TAG_NAME, "progress").get_attribute("value") == str(len(items))

    def norm(rows):
        return sorted(json.dumps(r, sort_keys=True, default=lambda b: b.hex()) for r in rows)
    for it in items:
        for v in it.values():
            for key in ("SS", "NS"):
                if key in v:
                    v[key] = sorted(v[key])
    got = scan_all(ddb, target)
    for it in got:
        for v in it.values():
            for key in ("SS", "NS"):
                if key in v:
                    v[key] = sorted(v[key])
            if "M" in v:
                for inner in v["M"].values():
                    if "SS" in inner:
                        inner["SS"] = sorted(inner["SS"])
    assert norm(got) == norm(items)


def test_export_and_import_json_lines(console, ddb, downloads):
    source = unique("jsonl")
    target = unique("jsonlin")
    make_table(ddb, source)
    make_table(ddb, target)
    items = [{"pk": {"S": f"k{i}"}, "n": {"N": "12345678901234567890.5"}, "m": {"M": {"x": {"L": [{"BOOL": True}]}}}} for i in range(30)]
    for i in range(0, 30, 25):
        ddb.batch_write_item(RequestItems={source: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})
    for fmt, ext in (("jsonl", "jsonl"), ("ddbjsonl", "ddb.jsonl")):
        for f in glob.glob(os.path.join(downloads, "*")):
            os.remove(f)
        go(console, PLAIN, f"/transfer/{source}", f"Import / export · {source}")
        export = console.find_element(By.CSS_SELECTOR, "section.card")
        Select(by_label(export, "Format")).select_by_value(fmt)
        button(export, "Download the table").click()
        path = until(lambda: [f for f in glob.glob(os.path.join(downloads, f"{source}-*.{ext}")) if not f.endswith(".crdownload")], 10)[0]
        first = json.loads(open(path).readline())
        assert ("Item" in first) == (fmt == "ddbjsonl")
        ddb.delete_item(TableName=target, Key={"pk": {"S": "k0"}})
        go(console, PLAIN, f"/transfer/{target}", f"Import / export · {target}")
        form = console.find_element(By.CSS_SELECTOR, "main form.card")
        by_label(form, "File").send_keys(path)
        button(form, "Import").click()
        wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".import-status"), "30 of 30 items written"), 20)
        assert sorted(scan_all(ddb, target), key=lambda x: x["pk"]["S"]) == sorted(items, key=lambda x: x["pk"]["S"])


# --- Safety, sign-in, scale ------------------------------------------------------


def test_csp_header_is_present_on_the_console():
    with urllib.request.urlopen(f"{PLAIN}/console/") as response:
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["Content-Type"].startswith("text/html")
        html = response.read().decode()
    assert '<script type="module" src="app.js"></script>' in html


def test_assets_obey_the_csp_and_never_write_html():
    """No inline script, style attribute, inline handler, eval, innerHTML or other host in any asset."""
    problems = []
    for folder, _, files in os.walk(ASSETS):
        for f in files:
            path = os.path.join(folder, f)
            text = open(path, encoding="utf-8").read()
            rel = os.path.relpath(path, ASSETS)
            for pattern in (r"innerHTML", r"outerHTML", r"insertAdjacentHTML", r"document\.write", r"\beval\(",
                            r"new Function", r"setAttribute\(\s*'style'", r"https?://(?!www\.w3\.org/2000/svg)"):
                if re.search(pattern, text):
                    problems.append(f"{rel}: {pattern}")
            if f.endswith(".html"):
                for pattern in (r"<script(?![^>]*\bsrc=)", r"\sstyle=", r"\son[a-z]+=", r"<style"):
                    if re.search(pattern, text):
                        problems.append(f"{rel}: {pattern}")
    assert not problems


def test_no_csp_violations_or_errors_in_any_view(console, ddb):
    name = unique("views")
    make_table(ddb, name, stream="KEYS_ONLY")
    console.get_log("browser")
    for route, heading in (("/tables", "Tables"), ("/tables/new", "Create a table"), (f"/table/{name}", f"Table {name}"),
                           (f"/items/{name}", f"Items of {name}"), ("/partiql", "PartiQL"), (f"/streams/{name}", f"Stream of {name}"),
                           (f"/capacity/{name}", "Capacity & cost"), (f"/transfer/{name}", "Import / export")):
        go(console, PLAIN, route, heading)
    time.sleep(0.3)
    assert browser_errors(console) == []


def test_signed_in_console_works_against_the_sigv4_server():
    assert AUTH, "run through tests/console/run.sh"
    good = client(AUTH, *AUTH_KEY)
    name = unique("signed")
    make_table(good, name)
    good.put_item(TableName=name, Item={"pk": {"S": "signed-item"}})
    wrong = api_error(lambda: client(AUTH, AUTH_KEY[0], "wrong-secret").list_tables())
    unknown = api_error(lambda: client(AUTH, "AKIAUNKNOWN", "whatever").list_tables())
    driver = make_driver()
    try:
        sign_in(driver, AUTH, AUTH_KEY[0], "wrong-secret", expect_ok=False)
        error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "form.signin .error")))
        assert error.text == f"{wrong['Code']}: {wrong['Message']}"
        assert driver.execute_script("return sessionStorage.getItem('cairn.console.credentials')") is None
        sign_in(driver, AUTH, "AKIAUNKNOWN", "whatever", expect_ok=False)
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "form.signin .error"), unknown["Message"]))
        sign_in(driver, AUTH, *AUTH_KEY)
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-table="{name}"]')))
        go(driver, AUTH, f"/items/{name}", f"Items of {name}")
        wait(driver, lambda d: column_values(d, "pk") == ["signed-item"])
        # A signed write through the editor.
        button(driver, "Create item").click()
        dialog = open_dialog(driver)
        driver.find_element(By.XPATH, "//dialog[@open]//label[normalize-space(.)='Plain JSON']").click()
        set_text(dialog.find_element(By.TAG_NAME, "textarea"), '{"pk": "from-console"}')
        button(dialog, "Create item").click()
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
        assert good.get_item(TableName=name, Key={"pk": {"S": "from-console"}})["Item"] == {"pk": {"S": "from-console"}}
        # Cairn's own stats and cost endpoints are not served with --auth sigv4.
        go(driver, AUTH, f"/capacity/{name}", "Capacity & cost")
        message = "Not available on a server that verifies signatures (use --metrics-addr for Prometheus)"
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "section p.hint"), message))
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".not-available"), message))
        driver.find_element(By.ID, "sign-out").click()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.signin")))
        assert driver.execute_script("return sessionStorage.getItem('cairn.console.credentials')") is None
    finally:
        driver.quit()


def test_browsing_100000_items_pages_quickly():
    assert SEED, "run through tests/console/run.sh"
    big = client(SEED)
    assert big.describe_table(TableName="big")["Table"]["ItemCount"] == 100_000
    first = big.scan(TableName="big", Limit=25)
    second = big.scan(TableName="big", Limit=25, ExclusiveStartKey=first["LastEvaluatedKey"])
    driver = make_driver()
    try:
        sign_in(driver, SEED)
        started = time.time()
        go(driver, SEED, "/items/big", "Items of big")
        wait(driver, lambda d: len(column_values(d, "pk") or []) == 25, 10)
        elapsed = time.time() - started
        assert elapsed < 5, f"first page took {elapsed:.1f}s"
        assert column_values(driver, "pk") == [it["pk"]["S"] for it in first["Items"]]
        button(driver, "Next →").click()
        wait(driver, lambda d: column_values(d, "pk") == [it["pk"]["S"] for it in second["Items"]], 5)
        assert "Page 2" in driver.find_element(By.CSS_SELECTOR, ".pager .page-label").text
        button(driver, "← Previous").click()
        wait(driver, lambda d: column_values(d, "pk") == [it["pk"]["S"] for it in first["Items"]], 5)
        # The tables list reads the count from DescribeTable, not by scanning.
        go(driver, SEED, "/tables", "Tables")
        row = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-table="big"]')))
        assert "100,000" in row.text
    finally:
        driver.quit()


def test_keyboard_only_sign_in_and_navigation():
    driver = make_driver()
    try:
        driver.get(f"{PLAIN}/console/")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.signin")))
        active = driver.switch_to.active_element
        assert active.get_attribute("name") == "accessKeyId"
        active.send_keys("kb")
        active.send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys("kb")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver, EC.visibility_of_element_located((By.ID, "nav")))
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Tables"))
        # On a fresh load, Tab reaches the skip link first, then the navigation.
        driver.refresh()
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Tables"))
        ActionChains(driver).send_keys(Keys.TAB).perform()
        seen = []
        for _ in range(12):
            el = driver.switch_to.active_element
            seen.append(el.text)
            if el.text == "PartiQL":
                # Focus is visible: the :focus-visible outline is drawn.
                assert driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
                el.send_keys(Keys.ENTER)
                break
            el.send_keys(Keys.TAB)
        assert seen[0] == "Skip to content"
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "PartiQL"))
        assert driver.switch_to.active_element.tag_name == "h1"
        # Every form control has a label.
        for route, heading in (("/tables/new", "Create a table"), ("/partiql", "PartiQL"), ("/transfer", "Import / export")):
            go(driver, PLAIN, route, heading)
            unlabeled = driver.execute_script(
                "return [...document.querySelectorAll('main input, main select, main textarea')].filter(e =>"
                " !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.outerHTML)")
            assert unlabeled == []
    finally:
        driver.quit()


@pytest.mark.parametrize("width", [400, 1280])
def test_layout_fits_narrow_and_wide_screens(width, ddb):
    name = unique("narrow")
    make_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "x" * 120}, "long": {"S": "word " * 80}})
    driver = make_driver(width=width, height=900)
    try:
        sign_in(driver, PLAIN)
        for route, heading in (("/tables", "Tables"), (f"/items/{name}", f"Items of {name}"), ("/tables/new", "Create a table"),
                               (f"/table/{name}", f"Table {name}"), (f"/capacity/{name}", "Capacity & cost")):
            go(driver, PLAIN, route, heading)
            time.sleep(0.2)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{route} is {overflow}px wider than a {width}px screen"
    finally:
        driver.quit()
