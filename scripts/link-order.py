#!/usr/bin/env python3
"""Writes crates/cairn/link-order.txt: the functions a server runs to start and to
answer the common requests, in the order the linker should lay them out (issue 22,
idle RSS).

Why: the kernel maps a binary's code in 64 KiB windows around each page a process
touches. Start-up touches ~1,400 functions spread over 18 MB of code, so an idle
server held ~6.7 MB of it resident. Placed next to each other (lld's
--symbol-ordering-file, given by crates/cairn/build.rs) they take ~1.8 MB, and the
request path that follows them shares fewer pages and TLB entries.

How: runs the release binary under valgrind's callgrind twice (needs valgrind) and
keeps every executed function that is a symbol of the binary: first the ones start-up,
one ListTables and 5 s of idling run, then the ones a small workload (tables with and
without a secondary index, the item, query, scan, batch and transaction calls) adds;
each group sorted by name (what matters is that a group is contiguous).
Most names carry a hash that changes with the compiler version and the dependency
graph: regenerate the list after a rustc or `cargo update` (`cargo build --release`
first). The linker skips names the binary no longer has, so a stale list builds but
loses the saving; `--check` says how many names the binary still has.

    usage: python3 scripts/link-order.py [--check] [target/release/cairn]
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = "--check" in sys.argv[1:]
ARGS = [arg for arg in sys.argv[1:] if arg != "--check"]
BINARY = ARGS[0] if ARGS else os.path.join(ROOT, "target/release/cairn")
OUT = os.path.join(ROOT, "crates/cairn/link-order.txt")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, operation, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            # Well formed, unsigned: the default --auth does not check it.
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/"
                             "dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        sys.exit(f"{operation} failed: {error.read()[:300]!r}")


def workload(port):
    key_schema = [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    attributes = [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "S"},
    ]
    call(port, "CreateTable", {
        "TableName": "plain", "KeySchema": key_schema, "AttributeDefinitions": attributes[:2],
        "BillingMode": "PAY_PER_REQUEST",
    })
    call(port, "CreateTable", {
        "TableName": "indexed", "KeySchema": key_schema, "AttributeDefinitions": attributes,
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{
            "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    })
    for table in ("plain", "indexed"):
        for i in range(40):
            item = {"pk": {"S": f"p{i % 4}"}, "sk": {"S": f"s{i}"}, "g": {"S": f"g{i % 3}"},
                    "n": {"N": str(i)}, "d": {"S": "x" * 150}}
            call(port, "PutItem", {"TableName": table, "Item": item})
        key = {"pk": {"S": "p1"}, "sk": {"S": "s1"}}
        for _ in range(5):
            call(port, "GetItem", {"TableName": table, "Key": key})
            call(port, "Query", {"TableName": table, "KeyConditionExpression": "pk = :p",
                                 "ExpressionAttributeValues": {":p": {"S": "p2"}}})
            call(port, "UpdateItem", {
                "TableName": table, "Key": key, "UpdateExpression": "SET #f = :v, #n = :n",
                "ExpressionAttributeNames": {"#f": "f", "#n": "n"},
                "ExpressionAttributeValues": {":v": {"S": "v"}, ":n": {"N": "7"}},
            })
        call(port, "Scan", {"TableName": table})
        call(port, "DeleteItem", {"TableName": table, "Key": key,
                                  "ConditionExpression": "attribute_exists(pk)"})
        call(port, "BatchWriteItem", {"RequestItems": {table: [
            {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": str(i)}}}} for i in range(10)]}})
        call(port, "BatchGetItem", {"RequestItems": {table: {"Keys": [
            {"pk": {"S": "b"}, "sk": {"S": str(i)}} for i in range(10)]}}})
        call(port, "TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}}]})
        call(port, "DescribeTable", {"TableName": table})
    call(port, "Query", {"TableName": "indexed", "IndexName": "by_g",
                         "KeyConditionExpression": "g = :g",
                         "ExpressionAttributeValues": {":g": {"S": "g1"}}})


def executed(phase):
    """Runs the server under callgrind, drives `phase`, returns the executed names."""
    data = tempfile.mkdtemp(prefix="cairn-link-order-")
    out = os.path.join(data, "callgrind.out")
    port = free_port()
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
         BINARY, "serve", "--port", str(port),
         "--data-dir", os.path.join(data, "db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while True:
            try:
                call(port, "ListTables", {})
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    sys.exit("the server under valgrind did not answer")
                time.sleep(0.5)
        phase(port)
        time.sleep(2)
        # Dump what ran so far, then stop without running shutdown code.
        subprocess.run(["callgrind_control", "--dump", str(server.pid)],
                       stdout=subprocess.DEVNULL, check=True)
        # The dump is written when valgrind next polls for commands: wait for the
        # file, then for its size to settle.
        deadline, last = time.time() + 120, -1
        while time.time() < deadline:
            dumps = [name for name in os.listdir(data) if name.startswith("callgrind.out")]
            size = sum(os.path.getsize(os.path.join(data, name)) for name in dumps)
            if dumps and size == last:
                break
            last = size
            time.sleep(1)
        else:
            sys.exit("callgrind wrote no dump")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    names = set()
    for path in os.listdir(data):
        if path.startswith("callgrind.out"):
            with open(os.path.join(data, path), errors="replace") as dump:
                for line in dump:
                    match = re.match(r"c?fn=\(\d+\) (.*)", line)
                    if match:
                        names.add(match.group(1).strip())
    shutil.rmtree(data)
    return names


def main():
    listing = subprocess.run(["nm", "--defined-only", BINARY], capture_output=True,
                             text=True, check=True).stdout
    functions = {fields[2] for fields in (line.split() for line in listing.splitlines())
                 if len(fields) == 3 and fields[1] in "tTwWiI"}
    if not functions:
        sys.exit(f"{BINARY} has no symbols (stripped?)")
    if CHECK:
        with open(OUT) as listed:
            names = [line.strip() for line in listed if line.strip()]
        missing = sum(name not in functions for name in names)
        print(f"{OUT}: {len(names) - missing} of {len(names)} names are in {BINARY}")
        if missing > len(names) // 10:
            print("more than a tenth are missing: regenerate it (python3 scripts/link-order.py)")
        return
    # Idle a while, so the periodic threads (store maintenance, TTL) run too.
    start = sorted(executed(lambda port: time.sleep(5)) & functions)
    requests = sorted((executed(workload) & functions) - set(start))
    with open(OUT, "w") as out:
        out.write("\n".join(start + requests) + "\n")
    print(f"{OUT}: {len(start)} start-up functions, then {len(requests)} request functions")


main()
