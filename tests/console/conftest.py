"""Fixtures for the console's browser tests: one headless Chromium (Selenium, with
the system chromedriver so nothing is downloaded), boto3 clients for checking each
step against the API, and helpers to find controls by their labels.

The servers are started by run.sh, which exports their URLs:
CAIRN_CONSOLE_URL (plain), CAIRN_CONSOLE_AUTH_URL (--auth sigv4),
CAIRN_CONSOLE_SEED_URL (a 100,000-item table named `big`)."""

import os
import tempfile
import time
import uuid

import boto3
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PLAIN = os.environ.get("CAIRN_CONSOLE_URL", "http://127.0.0.1:8123")
AUTH = os.environ.get("CAIRN_CONSOLE_AUTH_URL", "")
SEED = os.environ.get("CAIRN_CONSOLE_SEED_URL", "")
AUTH_KEY = ("AKIACONSOLETEST", "console-secret-key")


def make_driver(download_dir=None, width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    if download_dir:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return driver


@pytest.fixture(scope="session")
def downloads():
    with tempfile.TemporaryDirectory(prefix="cairn-console-dl-") as d:
        yield d


@pytest.fixture(scope="session")
def driver(downloads):
    d = make_driver(downloads)
    yield d
    d.quit()


def client(url, key="console", secret="console"):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


@pytest.fixture(scope="session")
def ddb():
    return client(PLAIN)


@pytest.fixture(scope="session")
def streams_client():
    return boto3.client("dynamodbstreams", endpoint_url=PLAIN, region_name="us-east-1",
                        aws_access_key_id="console", aws_secret_access_key="console")


def wait(driver, condition, timeout=10):
    # Views redraw parts of the page (index status, charts): an element found a
    # moment ago may be gone, so look again.
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def by_label(root, text):
    """The control whose <label> reads `text` exactly (inside root)."""
    label = root.find_element(By.XPATH, f".//label[normalize-space(.)={xpath_string(text)}]")
    return root.find_element(By.ID, label.get_attribute("for")) if label.get_attribute("for") else None


def xpath_string(s):
    if "'" not in s:
        return f"'{s}'"
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in s.split("'")) + ")"


def button(root, text):
    return root.find_element(By.XPATH, f".//button[normalize-space(.)={xpath_string(text)}]")


def sign_in(driver, base, key="local", secret="local", region="us-east-1", expect_ok=True):
    driver.get(f"{base}/console/")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.signin, #nav:not([hidden])")))
    if not driver.find_elements(By.CSS_SELECTOR, "form.signin"):
        driver.find_element(By.ID, "sign-out").click()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.signin")))
    form = driver.find_element(By.CSS_SELECTOR, "form.signin")
    by_label(form, "Access key ID").send_keys(key)
    by_label(form, "Secret access key").send_keys(secret)
    r = by_label(form, "Region")
    r.clear()
    r.send_keys(region)
    button(form, "Sign in").click()
    if expect_ok:
        wait(driver, EC.visibility_of_element_located((By.ID, "nav")))


@pytest.fixture
def console(driver):
    """The browser signed in to the plain server."""
    driver.get(f"{PLAIN}/console/")
    signed_in = driver.execute_script("return !!sessionStorage.getItem('cairn.console.credentials')")
    if not signed_in:
        sign_in(driver, PLAIN)
    close_dialogs(driver)
    return driver


def close_dialogs(driver):
    driver.execute_script("document.querySelectorAll('dialog').forEach(d => { if (d.open) d.close(); d.remove(); })")


def go(driver, base, route, heading=None):
    """Opens a view (hash route) and waits for its heading."""
    driver.get(f"{base}/console/#{route}")
    if heading:
        wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), heading))


def make_table(ddb, name, sort=None, gsis=None, stream=None, protect=False, sort_type="S"):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort:
        attrs.append({"AttributeName": sort, "AttributeType": sort_type})
        keys.append({"AttributeName": sort, "KeyType": "RANGE"})
    request = {"TableName": name, "KeySchema": keys, "AttributeDefinitions": attrs, "BillingMode": "PAY_PER_REQUEST"}
    for g in gsis or []:
        for a in g["attrs"]:
            if a not in attrs:
                attrs.append(a)
        request.setdefault("GlobalSecondaryIndexes", []).append(
            {"IndexName": g["name"], "KeySchema": g["keys"], "Projection": {"ProjectionType": "ALL"}})
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    if protect:
        request["DeletionProtectionEnabled"] = True
    ddb.create_table(**request)
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return name


def scan_all(ddb, table):
    items, start = [], None
    while True:
        kw = {"TableName": table, "ConsistentRead": True}
        if start:
            kw["ExclusiveStartKey"] = start
        out = ddb.scan(**kw)
        items += out["Items"]
        start = out.get("LastEvaluatedKey")
        if not start:
            return items


def rows_text(driver, column_index):
    """Texts of one column of the results table (0 = first data column after the checkbox)."""
    return driver.execute_script(
        "const rows = [...document.querySelectorAll('table.items tbody tr')];"
        "return rows.filter(r => !r.querySelector('td.empty')).map(r => {"
        " const cells = [...r.children].filter(c => !c.classList.contains('select'));"
        " return cells[arguments[0]] ? cells[arguments[0]].textContent : null; });", column_index)


def column_values(driver, name):
    """Texts of the results column headed `name`."""
    return driver.execute_script(
        "const t = document.querySelector('table.items'); if (!t) return null;"
        "const heads = [...t.querySelectorAll('thead th')].map(th => th.firstChild ? th.firstChild.textContent : '');"
        "const at = heads.indexOf(arguments[0]); if (at < 0) return [];"
        "return [...t.querySelectorAll('tbody tr')].filter(r => !r.querySelector('td.empty')).map(r => r.children[at].textContent);",
        name)


def browser_errors(driver):
    """Severe messages in the browser console (CSP violations, exceptions)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]


def until(predicate, timeout=10):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
