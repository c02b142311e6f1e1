"""Saves a PNG of each main view of the console (1280x900) into a directory,
after loading a small demo data set into the server.
Run by tests/console/run.sh with CAIRN_CONSOLE_SCREENSHOTS=1:
    screenshots.py OUT_DIR   (server URL in CAIRN_CONSOLE_URL)"""

import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import PLAIN, button, by_label, client, column_values, go, make_driver, make_table, sign_in, wait


def demo_data(ddb):
    names = set(ddb.list_tables()["TableNames"])
    for name in ("orders", "customers", "events"):
        if name in names:
            ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
            ddb.delete_table(TableName=name)
            ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    make_table(ddb, "orders", sort="orderId", stream="NEW_AND_OLD_IMAGES",
               gsis=[{"name": "byStatus", "keys": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}],
                      "attrs": [{"AttributeName": "status", "AttributeType": "S"}, {"AttributeName": "total", "AttributeType": "N"}]}])
    make_table(ddb, "customers", protect=True)
    ddb.create_table(TableName="events", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
    ddb.get_waiter("table_exists").wait(TableName="events", WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    ddb.update_time_to_live(TableName="events", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"})
    statuses = ["PAID", "SHIPPED", "PENDING"]
    for i in range(40):
        ddb.put_item(TableName="orders", Item={
            "pk": {"S": f"customer#{i % 7:02d}"}, "orderId": {"S": f"o-{1000 + i}"}, "status": {"S": statuses[i % 3]},
            "total": {"N": f"{(i * 37) % 250 + 9.5}"}, "items": {"L": [{"M": {"sku": {"S": f"sku-{i % 5}"}, "qty": {"N": str(1 + i % 3)}}}]},
            "gift": {"BOOL": i % 4 == 0}})
    for i in range(12):
        ddb.put_item(TableName="customers", Item={"pk": {"S": f"customer#{i:02d}"}, "name": {"S": f"Customer {i}"},
                                                  "tags": {"SS": ["vip", "eu"] if i % 2 else ["new"]}})
    for i in range(30):
        ddb.put_item(TableName="events", Item={"pk": {"S": f"evt-{i}"}, "kind": {"S": "click" if i % 5 else "view"}, "expiresAt": {"N": "4102444800"}})
    ddb.scan(TableName="events", FilterExpression="kind = :k", ExpressionAttributeValues={":k": {"S": "view"}})


def shot(driver, out, name):
    time.sleep(0.4)
    driver.execute_script("document.getElementById('status').textContent = ''; window.scrollTo(0, 0);")
    path = os.path.join(out, f"{name}.png")
    driver.save_screenshot(path)
    print(f"{path}: {os.path.getsize(path) // 1024} KB")


def main(out):
    os.makedirs(out, exist_ok=True)
    ddb = client(PLAIN)
    demo_data(ddb)
    driver = make_driver()
    try:
        sign_in(driver, PLAIN)
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-table="orders"]')))
        shot(driver, out, "tables")

        go(driver, PLAIN, "/tables/new", "Create a table")
        form = driver.find_element(By.CSS_SELECTOR, "form.create-table")
        by_label(form, "Table name").send_keys("inventory")
        by_label(form, "Partition key name").send_keys("warehouse")
        by_label(form, "Sort key name (optional)").send_keys("sku")
        form.find_element(By.XPATH, ".//label[normalize-space(.)='Provisioned (PROVISIONED)']").click()
        button(form, "Add global secondary index").click()
        gsi = form.find_element(By.CSS_SELECTOR, "fieldset.gsi")
        by_label(gsi, "Index name").send_keys("byCategory")
        by_label(gsi, "Partition key 1 name").send_keys("category")
        button(gsi, "Add partition key attribute").click()
        by_label(gsi, "Partition key 2 name").send_keys("region")
        button(gsi, "Add sort key attribute").click()
        by_label(gsi, "Sort key 1 name").send_keys("price")
        Select(by_label(gsi, "Sort key 1 type")).select_by_value("N")
        shot(driver, out, "create-table")

        go(driver, PLAIN, "/items/orders", "Items of orders")
        wait(driver, lambda d: len(column_values(d, "pk") or []) == 25)
        limit = by_label(driver, "Page size (Limit)")
        limit.clear()
        limit.send_keys("15")
        button(driver.find_element(By.CSS_SELECTOR, "form.query"), "Run").click()
        wait(driver, lambda d: len(column_values(d, "pk") or []) == 15)
        driver.execute_script("window.scrollTo(0, 0)")
        shot_items = driver.find_element(By.CSS_SELECTOR, "form.query")
        driver.execute_script("arguments[0].querySelector('details').open = false", shot_items)
        for box in driver.find_elements(By.CSS_SELECTOR, "table.items tbody input[type=checkbox]")[1:3]:
            box.click()
        driver.execute_script("document.querySelector('.toolbar').scrollIntoView()")
        shot_path_scroll(driver, out, "items")

        form = driver.find_element(By.CSS_SELECTOR, "form.query")
        form.find_element(By.XPATH, ".//label[normalize-space(.)='Query']").click()
        Select(by_label(form, "Table or index")).select_by_value("byStatus")
        by_label(form, "status (partition key, S) =").send_keys("PAID")
        Select(by_label(form, "total (sort key, N)")).select_by_value("BETWEEN")
        form.find_element(By.CSS_SELECTOR, 'input[data-key="total"]').send_keys("20")
        form.find_element(By.CSS_SELECTOR, 'input[data-key2="total"]').send_keys("200")
        Select(by_label(form, "Sort order")).select_by_value("desc")
        button(form, "Run").click()
        wait(driver, lambda d: "byStatus" in d.find_element(By.CSS_SELECTOR, "form.query details pre").get_attribute("textContent"))
        driver.execute_script("document.querySelector('form.query').scrollIntoView()")
        shot_path_scroll(driver, out, "query")

        driver.find_element(By.CSS_SELECTOR, "table.items tbody th button").click()
        wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open]")))
        driver.find_element(By.XPATH, "//dialog[@open]//label[normalize-space(.)='DynamoDB JSON']").click()
        shot(driver, out, "editor")
        button(driver.find_element(By.CSS_SELECTOR, "dialog[open]"), "Cancel").click()

        go(driver, PLAIN, "/streams/orders", "Stream of orders")
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".stream-state"), "Watching"))
        ddb.put_item(TableName="orders", Item={"pk": {"S": "customer#09"}, "orderId": {"S": "o-2000"}, "status": {"S": "PENDING"}, "total": {"N": "42"}})
        ddb.update_item(TableName="orders", Key={"pk": {"S": "customer#09"}, "orderId": {"S": "o-2000"}},
                        UpdateExpression="SET #s = :s, shippedAt = :t REMOVE gift", ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues={":s": {"S": "SHIPPED"}, ":t": {"S": "2026-12-06T10:00:00Z"}})
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, 'article[data-event="MODIFY"]')), 15)
        shot(driver, out, "streams")
        button(driver, "Stop").click()

        for i in range(60):
            ddb.get_item(TableName="events", Key={"pk": {"S": f"evt-{i % 30}"}})
            if i % 3 == 0:
                ddb.put_item(TableName="events", Item={"pk": {"S": f"evt-{i}"}, "kind": {"S": "click"}})
            time.sleep(0.03)
        go(driver, PLAIN, "/capacity/events", "Capacity & cost")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.chart polyline")) == 7)
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".cost-table")))
        shot(driver, out, "capacity")

        go(driver, PLAIN, "/transfer/customers", "Import / export")
        shot(driver, out, "transfer")

        go(driver, PLAIN, "/partiql", "PartiQL")
        form = driver.find_element(By.CSS_SELECTOR, "main form")
        text = by_label(form, "Statement")
        text.clear()
        text.send_keys("SELECT pk, orderId, status, total FROM \"orders\" WHERE pk = ?")
        by_label(form, "Parameters (optional)").send_keys('["customer#03"]')
        button(form, "Run").click()
        wait(driver, lambda d: len(column_values(d, "orderId") or []) > 0)
        shot(driver, out, "partiql")
    finally:
        driver.quit()
    narrow = make_driver(width=400, height=860)
    try:
        sign_in(narrow, PLAIN)
        go(narrow, PLAIN, "/items/orders", "Items of orders")
        wait(narrow, lambda d: len(column_values(d, "pk") or []) == 25)
        shot(narrow, out, "narrow")
    finally:
        narrow.quit()


def shot_path_scroll(driver, out, name):
    """A screenshot without scrolling back to the top."""
    time.sleep(0.4)
    driver.execute_script("document.getElementById('status').textContent = '';")
    path = os.path.join(out, f"{name}.png")
    driver.save_screenshot(path)
    print(f"{path}: {os.path.getsize(path) // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1])
