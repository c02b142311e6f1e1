"""Browser tests of the console's robustness: odd attribute names, keys that only
differ after their shortened label, projections, CSV formula cells, focus after
dialogs and redraws, pollers that must not pile up or outlive their view, and the
live region. Each was a defect found in review."""

import csv
import glob
import json
import os
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import browser_errors, button, by_label, column_values, make_table, scan_all, unique, until, wait
from test_console import open_dialog, wait_results

# Wraps window.fetch (which the console calls at request time) to count the
# requests of each operation, delay some, refuse some with a given error, and
# report every GSI of DescribeTable as still being built.
SPY = """
if (!window.__spy) {
  const original = window.fetch;
  window.__spy = { calls: [], inflight: {}, delay: {}, fail: {}, creating: false };
  window.fetch = async function (url, init) {
    const spy = window.__spy;
    const target = (init && init.headers && init.headers['X-Amz-Target']) || '';
    const op = target ? target.split('.').pop() : String(url);
    spy.calls.push(op);
    spy.inflight[op] = (spy.inflight[op] || 0) + 1;
    try {
      if (spy.delay[op]) await new Promise((r) => setTimeout(r, spy.delay[op]));
      if (spy.fail[op]) return new Response(JSON.stringify(spy.fail[op]), { status: 400, headers: { 'Content-Type': 'application/x-amz-json-1.0' } });
      const response = await original(url, init);
      if (op !== 'DescribeTable' || !spy.creating || !response.ok) return response;
      const body = await response.json();
      for (const g of body.Table.GlobalSecondaryIndexes || []) {
        g.IndexStatus = 'CREATING';
        g.Backfilling = true;
      }
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    } finally {
      spy.inflight[op] -= 1;
    }
  };
}
"""


def spy(driver):
    driver.execute_script(SPY)


def calls(driver, op):
    return driver.execute_script("return window.__spy.calls.filter(c => c === arguments[0]).length", op)


def open_route(driver, route, heading):
    """Opens a view without reloading the page (so the fetch spy stays)."""
    driver.execute_script("window.location.hash = arguments[0]", f"#{route}")
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), heading))


def active(driver, attribute):
    return driver.execute_script("const a = document.activeElement; return a ? a.getAttribute(arguments[0]) : null", attribute)


def test_attributes_named_like_object_members(console, ddb):
    name = unique("protoname")
    make_table(ddb, name, stream="NEW_AND_OLD_IMAGES")
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "constructor": {"S": "c"}, "toString": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})
    console.get_log("browser")
    open_route(console, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: sorted(column_values(d, "pk") or []) == ["a", "b"])
    by_pk = dict(zip(column_values(console, "pk"), column_values(console, "constructor")))
    assert by_pk == {"a": "c", "b": ""}
    # The stream view: an attribute named toString added by an update is "added".
    open_route(console, f"/streams/{name}", f"Stream of {name}")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".stream-state"), "Watching 1 shard"))
    ddb.update_item(TableName=name, Key={"pk": {"S": "b"}}, UpdateExpression="SET #t = :v",
                    ExpressionAttributeNames={"#t": "toString"}, ExpressionAttributeValues={":v": {"S": "new"}})
    modify = wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, 'article[data-event="MODIFY"]')), 15)
    kinds = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.CSS_SELECTOR, "td.marker").text
             for r in modify.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert kinds == {"pk": "unchanged", "toString": "+ added"}
    assert not console.find_element(By.CSS_SELECTOR, "main > .error").is_displayed()
    button(console, "Stop").click()
    assert browser_errors(console) == []


def test_selection_tells_apart_keys_with_the_same_label(console, ddb):
    name = unique("longkeys")
    make_table(ddb, name)
    long = "x" * 100
    for suffix in ("1", "2", "3"):
        ddb.put_item(TableName=name, Item={"pk": {"S": long + suffix}})
    open_route(console, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: len(column_values(d, "pk") or []) == 3)
    # The labels are shortened alike; the selection still holds two items.
    boxes = console.find_elements(By.CSS_SELECTOR, "table.items tbody td.select input")
    chosen = [console.execute_script("return arguments[0].closest('tr').querySelector('th').textContent", b) for b in boxes[:2]]
    boxes[0].click()
    boxes[1].click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".selected-count"), "2 selected"))
    assert not boxes[2].is_selected()
    button(console, "Delete selected").click()
    button(open_dialog(console), "Delete items").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dialog.progress-dialog"), "2 of 2 deleted"))
    button(console.find_element(By.CSS_SELECTOR, "dialog.progress-dialog"), "Close").click()
    left = [it["pk"]["S"] for it in scan_all(ddb, name)]
    assert len(left) == 1 and left[0] not in [c.rstrip("…") for c in chosen]
    # The delete button is disabled now: the focus went to the count line, not to the page.
    wait(console, lambda d: d.execute_script("return document.activeElement.classList.contains('count')"))


def test_projection_keeps_the_key_attributes(console, ddb):
    name = unique("project")
    make_table(ddb, name, sort="sk")
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "v": {"N": str(i)}, "w": {"S": "hidden"}})
    open_route(console, f"/items/{name}", f"Items of {name}")
    wait_results(console)
    form = console.find_element(By.CSS_SELECTOR, "form.query")
    by_label(form, "Attributes to return").send_keys("v")
    button(form, "Run").click()
    wait(console, lambda d: sorted(column_values(d, "v") or []) == ["0", "1", "2"] and column_values(d, "w") == [])
    assert column_values(console, "sk") == ["s0", "s1", "s2"]
    sent = json.loads(console.execute_script("return document.querySelector('form.query details pre').textContent").split("\n", 1)[1])
    assert sent["ProjectionExpression"] == "#p0, #p1, #p2"
    assert sent["ExpressionAttributeNames"] == {"#p0": "v", "#p1": "pk", "#p2": "sk"}
    # Each row can be opened and selected on its own.
    console.find_element(By.CSS_SELECTOR, 'button[aria-label="Open item pk=p, sk=s1"]')
    by_label(console, "Select item pk=p, sk=s1").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".selected-count"), "1 selected"))


def test_focus_returns_to_the_row_after_the_editor_saves(console, ddb):
    name = unique("refocus")
    make_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "k2"}, "v": {"N": "2"}})
    open_route(console, f"/items/{name}", f"Items of {name}")
    wait(console, lambda d: len(column_values(d, "pk") or []) == 2)
    console.find_element(By.CSS_SELECTOR, 'button[aria-label="Open item pk=k2"]').click()
    dialog = open_dialog(console)
    wait(console, lambda d: '"v"' in dialog.find_element(By.TAG_NAME, "textarea").get_attribute("value"))
    button(dialog, "Save").click()
    wait(console, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    # The results are drawn again after the save; the focus is on the same row's button.
    wait(console, lambda d: active(d, "aria-label") == "Open item pk=k2")
    time.sleep(0.3)
    assert active(console, "aria-label") == "Open item pk=k2"
    assert console.execute_script("return document.activeElement.isConnected")


def test_csv_export_defuses_formula_cells_and_imports_them_back(console, ddb, downloads):
    source = unique("formula")
    target = unique("formulain")
    make_table(ddb, source)
    make_table(ddb, target)
    items = [
        {"pk": {"S": "=1+1"}, "a": {"S": "+SUM(A1:A2)"}, "b": {"S": "@cmd"}, "c": {"S": "-3"}, "=x": {"S": "named"}},
        {"pk": {"S": "'=quoted"}, "a": {"S": "'plain"}, "n": {"N": "-1.5"}},
    ]
    for it in items:
        ddb.put_item(TableName=source, Item=it)
    for f in glob.glob(os.path.join(downloads, "*")):
        os.remove(f)
    open_route(console, f"/transfer/{source}", f"Import / export · {source}")
    export = console.find_element(By.CSS_SELECTOR, "section.card")
    Select(by_label(export, "Format")).select_by_value("csv")
    button(export, "Download the table").click()
    path = until(lambda: [f for f in glob.glob(os.path.join(downloads, f"{source}-*.csv"))], 10)[0]
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+@\t\r" and not (cell[0] == "-" and cell != "-1.5"), rows
    assert "'=x" in rows[0] and "'=1+1" in [r[0] for r in rows[1:]] and "''=quoted" in [r[0] for r in rows[1:]]
    open_route(console, f"/transfer/{target}", f"Import / export · {target}")
    form = console.find_element(By.CSS_SELECTOR, "main form.card")
    by_label(form, "File").send_keys(path)
    button(form, "Import").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".import-status"), "2 of 2 items written"), 20)
    assert sorted(scan_all(ddb, target), key=lambda x: x["pk"]["S"]) == sorted(items, key=lambda x: x["pk"]["S"])


def test_import_writes_numerically_equal_keys_in_separate_calls(console, ddb, tmp_path):
    name = unique("numkeys")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    path = tmp_path / "keys.jsonl"
    path.write_text('{"pk": 1, "v": "first"}\n{"pk": 1.0, "v": "second"}\n{"pk": 2}\n')
    open_route(console, f"/transfer/{name}", f"Import / export · {name}")
    form = console.find_element(By.CSS_SELECTOR, "main form.card")
    by_label(form, "File").send_keys(str(path))
    button(form, "Import").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".import-status"), "3 of 3 items written"), 20)
    got = {it["pk"]["N"]: it.get("v", {}).get("S") for it in scan_all(ddb, name)}
    assert got == {"1": "second", "2": None}


def test_table_page_polling_keeps_input_and_focus_and_never_piles_up(console, ddb):
    name = unique("polling")
    make_table(ddb, name, gsis=[{"name": "byColor", "keys": [{"AttributeName": "color", "KeyType": "HASH"}],
                                  "attrs": [{"AttributeName": "color", "AttributeType": "S"}]}])
    spy(console)
    console.execute_script("window.__spy.creating = true")
    open_route(console, f"/table/{name}", f"Table {name}")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.progress-text"), "refreshes every second"))
    # Typing in a setting while the page polls: the text and the focus stay.
    ttl = by_label(console, "TTL attribute")
    ttl.click()
    ttl.send_keys("expires")
    time.sleep(2.5)
    assert by_label(console, "TTL attribute").get_attribute("value") == "expires"
    assert active(console, "id") == ttl.get_attribute("id")
    # The focus on a row's button survives the row being drawn again.
    console.execute_script("document.querySelector('button[aria-label=\"Delete index byColor\"]').focus()")
    time.sleep(2.5)
    assert active(console, "aria-label") == "Delete index byColor"
    # A refresh started by a control while a poll is under way does not start a second poller.
    console.execute_script("window.__spy.delay.DescribeTable = 300")
    for _ in range(2):
        wait(console, lambda d: d.execute_script("return window.__spy.inflight.DescribeTable > 0"), 5)
        console.execute_script("document.getElementById('setting-protect').click()")
        time.sleep(0.8)
    until(lambda: not ddb.describe_table(TableName=name)["Table"].get("DeletionProtectionEnabled"))
    time.sleep(1.5)
    before = calls(console, "DescribeTable")
    time.sleep(4)
    polled = calls(console, "DescribeTable") - before
    assert polled <= 4, f"{polled} DescribeTable calls in 4 s: more than one poller"
    # Leaving the page stops the polling.
    open_route(console, "/partiql", "PartiQL")
    time.sleep(0.5)
    before = calls(console, "DescribeTable")
    time.sleep(2.5)
    assert calls(console, "DescribeTable") == before


def test_stream_stop_and_start_during_a_poll_keeps_one_poller(console, ddb):
    name = unique("restart")
    make_table(ddb, name, stream="NEW_AND_OLD_IMAGES")
    spy(console)
    open_route(console, f"/streams/{name}", f"Stream of {name}")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".stream-state"), "Watching 1 shard"))
    console.execute_script("window.__spy.delay.GetRecords = 700")
    for _ in range(3):
        wait(console, lambda d: d.execute_script("return window.__spy.inflight.GetRecords > 0"), 5)
        button(console, "Stop").click()
        button(console, "Start").click()
        wait(console, lambda d: d.execute_script(
            "return [...document.querySelectorAll('main button')].some(b => b.textContent === 'Stop')"), 5)
    time.sleep(1)
    before = calls(console, "GetRecords")
    time.sleep(5)
    polled = calls(console, "GetRecords") - before
    # One poller: a 0.7 s call and a 1 s pause, about 3 calls in 5 s.
    assert polled <= 4, f"{polled} GetRecords calls in 5 s: more than one poller"
    # A record written now is shown once.
    ddb.put_item(TableName=name, Item={"pk": {"S": "once"}})
    wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, 'article[data-event="INSERT"]')), 15)
    time.sleep(2.5)
    assert len(console.find_elements(By.CSS_SELECTOR, 'article[data-event="INSERT"]')) == 1
    button(console, "Stop").click()


def test_a_malformed_address_shows_not_found(console):
    console.execute_script("window.location.hash = '#/items/%E0%A4%A'")
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Not found"))
    assert console.title.startswith("Not found")


def test_the_status_region_is_in_the_accessibility_tree_while_empty(console):
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Tables"))
    console.execute_script("document.getElementById('status').textContent = ''")
    nodes = console.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    status = [n for n in nodes if (n.get("role") or {}).get("value") == "status" and not n.get("ignored")]
    assert status, "the live region is not exposed while empty, so its first message may not be read"


def test_create_a_provisioned_table_with_an_lsi_a_stream_and_ttl(console, ddb):
    name = unique("fullform")
    spy(console)
    open_route(console, "/tables/new", "Create a table")
    form = console.find_element(By.CSS_SELECTOR, "form.create-table")
    by_label(form, "Table name").send_keys(name)
    by_label(form, "Partition key name").send_keys("pk")
    by_label(form, "Sort key name (optional)").send_keys("sk")
    Select(by_label(form, "Sort key type")).select_by_value("N")
    form.find_element(By.XPATH, ".//label[normalize-space(.)='Provisioned (PROVISIONED)']").click()
    for label, value in (("Table read capacity units", "7"), ("Table write capacity units", "3")):
        box = by_label(form, label)
        box.clear()
        box.send_keys(value)
    button(form, "Add global secondary index").click()
    gsi = form.find_element(By.CSS_SELECTOR, "fieldset.gsi")
    by_label(gsi, "Index name").send_keys("byCat")
    by_label(gsi, "Partition key 1 name").send_keys("cat")
    button(form, "Add local secondary index").click()
    lsi = form.find_element(By.CSS_SELECTOR, "fieldset.lsi")
    by_label(lsi, "Index name").send_keys("byDate")
    by_label(lsi, "Sort key name").send_keys("date")
    form.find_element(By.XPATH, ".//label[normalize-space(.)='Enable the stream']").click()
    Select(by_label(form, "Stream view type")).select_by_value("KEYS_ONLY")
    by_label(form, "TTL attribute (optional)").send_keys("expires")
    button(form, "Create table").click()
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), f"Table {name}"))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7 and table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    (g,) = table["GlobalSecondaryIndexes"]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 5 and g["KeySchema"] == [{"AttributeName": "cat", "KeyType": "HASH"}]
    (l,) = table["LocalSecondaryIndexes"]
    assert l["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "date", "KeyType": "RANGE"}]
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]) == [
        ("cat", "S"), ("date", "S"), ("pk", "S"), ("sk", "N")]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING") and ttl["AttributeName"] == "expires"
    # When turning TTL on fails, the form says the table exists and what failed.
    other = unique("ttlfails")
    console.execute_script("window.__spy.fail.UpdateTimeToLive = {__type: 'com.amazonaws.dynamodb.v20120810#ValidationException', message: 'TTL refused'}")
    open_route(console, "/tables/new", "Create a table")
    form = console.find_element(By.CSS_SELECTOR, "form.create-table")
    by_label(form, "Table name").send_keys(other)
    by_label(form, "Partition key name").send_keys("pk")
    by_label(form, "TTL attribute (optional)").send_keys("expires")
    button(form, "Create table").click()
    error = wait(console, EC.visibility_of_element_located((By.CSS_SELECTOR, "form.create-table .error")))
    assert f"Table {other} was created, but TTL could not be turned on (ValidationException: TTL refused)" in error.text
    assert ddb.describe_table(TableName=other)["Table"]["TableName"] == other
    assert button(form, "Create table").is_enabled()


def test_paging_from_the_keyboard_keeps_the_focus(console, ddb):
    name = unique("kbpages")
    make_table(ddb, name)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    open_route(console, f"/items/{name}", f"Items of {name}")
    wait_results(console)
    form = console.find_element(By.CSS_SELECTOR, "form.query")
    limit = by_label(form, "Page size (Limit)")
    limit.clear()
    limit.send_keys("1")
    button(form, "Run").click()
    wait_results(console, "Page 1:")
    nxt = button(console, "Next →")
    console.execute_script("arguments[0].focus()", nxt)
    page = 1
    while True:
        console.switch_to.active_element.send_keys(Keys.ENTER)
        page += 1
        wait(console, lambda d: d.find_element(By.CSS_SELECTOR, ".pager .page-label").text == f"Page {page}")
        if not button(console, "Next →").is_enabled():
            break
        assert console.switch_to.active_element.text == "Next →", f"page {page}: the focus left Next"
        assert page < 10
    # The last page: Next is disabled, so Previous has the focus.
    assert page >= 3
    assert console.switch_to.active_element.text == "← Previous"
    console.switch_to.active_element.send_keys(Keys.ENTER)
    wait(console, lambda d: d.find_element(By.CSS_SELECTOR, ".pager .page-label").text == f"Page {page - 1}")
    assert console.switch_to.active_element.text == "← Previous"


def test_a_busy_button_gives_the_focus_back(console, ddb):
    name = unique("busyfocus")
    make_table(ddb, name)
    spy(console)
    console.execute_script("window.__spy.delay.Scan = 300")
    open_route(console, f"/transfer/{name}", f"Import / export · {name}")
    export = button(console, "Download the table")
    console.execute_script("arguments[0].focus()", export)
    console.switch_to.active_element.send_keys(Keys.ENTER)
    wait(console, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "section.card p.hint"), "Downloaded 0 items"))
    assert console.switch_to.active_element.text == "Download the table"


def test_every_control_of_every_view_has_a_label(console, ddb):
    name = unique("labels")
    make_table(ddb, name, sort="sk", stream="NEW_AND_OLD_IMAGES",
               gsis=[{"name": "byCat", "keys": [{"AttributeName": "cat", "KeyType": "HASH"}],
                      "attrs": [{"AttributeName": "cat", "AttributeType": "S"}]}])
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    unlabeled = ("return [...document.querySelectorAll('main input, main select, main textarea, dialog input, dialog select, dialog textarea')]"
                 ".filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
                 " && !e.getAttribute('aria-labelledby')).map(e => e.outerHTML)")
    for route, heading in (("/tables", "Tables"), (f"/table/{name}", f"Table {name}"), (f"/items/{name}", f"Items of {name}"),
                           (f"/streams/{name}", f"Stream of {name}"), (f"/capacity/{name}", "Capacity & cost"),
                           (f"/transfer/{name}", "Import / export")):
        open_route(console, route, heading)
        time.sleep(0.5)
        if route.startswith("/items"):
            wait(console, lambda d: column_values(d, "pk") == ["a"])
            form = console.find_element(By.CSS_SELECTOR, "form.query")
            form.find_element(By.XPATH, ".//label[normalize-space(.)='Query']").click()
            button(form, "Add filter").click()
            assert console.execute_script(unlabeled) == [], route
            button(console, "Create item").click()
            open_dialog(console)
        assert console.execute_script(unlabeled) == [], route
        console.execute_script("document.querySelectorAll('dialog[open]').forEach(d => d.close())")
