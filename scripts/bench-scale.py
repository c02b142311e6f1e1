#!/usr/bin/env python3
"""Scale benchmark (not a test): loads a durable Cairn with ~200-byte items up to each
checkpoint (millions of items), and at each one measures GetItem and Query (one
20-item partition) with wrk -t2 -c32: requests/s, p50/p99 and the server's CPU per
request; then a parallel Scan's rate and the restart time to the first answer.

  python3 scripts/bench-scale.py --cairn target/release/cairn --data /tmp/scale \
      --checkpoints 0.01,1,5,10,20 [--serve-args "--cache-size 256MB"] [--out FILE]

Items: 20 per partition (sk s000..s019); partition keys are a 64-bit mix of the
partition number, so each batch writes keys spread over the whole key space. The
loader writes raw BatchWriteItem requests from several processes (--loaders).
After each load the script waits for the server to go idle (its background flushes
and compactions done; "settle s") before measuring.

With --import each checkpoint is instead a fresh data directory loaded by ImportTable
(server side) from GZIP DynamoDB JSON objects generated first in the S3 stand-in
(DATA/s3/source, 1M items per object, not timed; deleted once imported): "load
items/s" is then the import's rate from ImportTable to COMPLETED.
Needs wrk (apt-get install wrk) and python3; the server runs without --auth.
"""

import argparse
import concurrent.futures as cf
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

p = argparse.ArgumentParser()
p.add_argument("--cairn", required=True)
p.add_argument("--data", required=True, help="data directory (emptied first)")
p.add_argument("--checkpoints", default="0.01,1,5,10,20", help="millions of items, ascending")
p.add_argument("--serve-args", default="")
p.add_argument("--loaders", type=int, default=6)
p.add_argument("--seconds", type=int, default=15)
p.add_argument("--out", default=None, help="append the table here too")
p.add_argument("--updates", action="store_true",
               help="also measure UpdateItem of random existing items (after GetItem and Query)")
p.add_argument("--import", dest="use_import", action="store_true",
               help="load each checkpoint into a fresh data directory with ImportTable")
p.add_argument("--in-memory", action="store_true",
               help="serve --in-memory: also report RSS against the raw data size; no restart")
args = p.parse_args()

PER_PARTITION = 20
PAYLOAD = "x" * 150
MASK = (1 << 64) - 1
HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def pk_of(partition):
    x = (partition * 0x9E3779B97F4A7C15) & MASK
    x ^= x >> 29
    return "%016x" % x


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


PORT = free_port()
HEADERS = {"Content-Type": "application/x-amz-json-1.0",
           "Authorization": "AWS4-HMAC-SHA256 Credential=BENCH/20260101/us-east-1/dynamodb/aws4_request, "
                            "SignedHeaders=host, Signature=00", "X-Amz-Date": "20260101T000000Z"}


def call(op, body, connection=None, timeout=600):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    connection.request("POST", "/", body=json.dumps(body) if not isinstance(body, str) else body,
                       headers={**HEADERS, "X-Amz-Target": f"DynamoDB_20120810.{op}"})
    response = connection.getresponse()
    out = json.loads(response.read() or b"{}")
    if own:
        connection.close()
    return response.status, out


def start():
    log = open(os.path.join(args.data, "..", "bench-scale-server.log"), "a")
    where = ["--in-memory"] if args.in_memory else ["--data-dir", args.data]
    command = [args.cairn, "serve", *where, "--port", str(PORT)] + args.serve_args.split()
    started = time.time()
    proc = subprocess.Popen(command, stdout=log, stderr=log)
    while True:
        try:
            status, _ = call("GetItem", {"TableName": "bench", "Key": {"pk": {"S": pk_of(0)}, "sk": {"S": "s000"}}},
                             timeout=1)
            if status in (200, 400):
                return proc, time.time() - started
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit(f"server exited: see {log.name}")
        time.sleep(0.005)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def disk_read_bytes(pid):
    """Bytes the process made the kernel fetch from the disk (not the page cache)."""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    return 0


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def item_size(i):
    """The DynamoDB size of item i (attribute names plus values; a number is 1 byte
    per two significant digits plus 1)."""
    digits = str(i).rstrip("0") or "0"
    exponent_odd = (len(str(i)) - len(digits)) % 2 if i else 0
    return 2 + 16 + 2 + 4 + 7 + len(PAYLOAD) + 1 + (len(digits) + exponent_odd + 1) // 2 + 1


def load_range(bounds):
    first, last = bounds
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    for start in range(first, last, 25):
        puts = []
        for i in range(start, min(start + 25, last)):
            puts.append('{"PutRequest":{"Item":{"pk":{"S":"%s"},"sk":{"S":"s%03d"},"payload":{"S":"%s"},'
                        '"n":{"N":"%d"}}}}' % (pk_of(i // PER_PARTITION), i % PER_PARTITION, PAYLOAD, i))
        body = '{"RequestItems":{"bench":[%s]}}' % ",".join(puts)
        for attempt in range(1000):
            status, out = call("BatchWriteItem", body, connection)
            left = out.get("UnprocessedItems", {}).get("bench", []) if status == 200 else None
            if status == 200 and not left:
                break
            if left:
                body = json.dumps({"RequestItems": {"bench": left}})
            time.sleep(min(0.01 * (attempt + 1), 1))
        else:
            sys.exit(f"batch at {start} never written")
    connection.close()


def item_line(i):
    return ('{"Item":{"pk":{"S":"%s"},"sk":{"S":"s%03d"},"payload":{"S":"%s"},"n":{"N":"%d"}}}\n'
            % (pk_of(i // PER_PARTITION), i % PER_PARTITION, PAYLOAD, i))


def write_object(job):
    import gzip
    path, first, last = job
    with gzip.open(path, "wt", compresslevel=1) as f:
        for start in range(first, last, 10_000):
            f.write("".join(item_line(i) for i in range(start, min(start + 10_000, last))))


def generate(total):
    """GZIP DynamoDB JSON objects of items 0..total in the S3 stand-in's bucket "source"."""
    folder = os.path.join(args.data, "s3", "source")
    os.makedirs(folder, exist_ok=True)
    step = 1_000_000
    jobs = [(os.path.join(folder, "part-%05d.json.gz" % (a // step)), a, min(a + step, total))
            for a in range(0, total, step)]
    with cf.ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(write_object, jobs))
    return folder


def import_all(total):
    """ImportTable of the generated objects into a new table "bench"; seconds to COMPLETED."""
    status, out = call("ImportTable", {
        "S3BucketSource": {"S3Bucket": "source"}, "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
        "TableCreationParameters": {
            "TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}})
    assert status == 200, out
    arn = out["ImportTableDescription"]["ImportArn"]
    started = time.time()
    while True:
        time.sleep(0.2)
        status, out = call("DescribeImport", {"ImportArn": arn})
        assert status == 200, out
        d = out["ImportTableDescription"]
        if d["ImportStatus"] != "IN_PROGRESS":
            break
    assert d["ImportStatus"] == "COMPLETED" and d["ImportedItemCount"] == total, d
    return time.time() - started


def load(first, last):
    step = 20_000
    ranges = [(a, min(a + step, last)) for a in range(first, last, step)]
    with cf.ProcessPoolExecutor(args.loaders) as pool:
        list(pool.map(load_range, ranges))


def wrk(op, loaded, pid):
    keys = tempfile.NamedTemporaryFile("w", delete=False, suffix=".keys")
    rng = random.Random(loaded)
    for _ in range(100_000):
        i = rng.randrange(loaded)
        keys.write(f"{pk_of(i // PER_PARTITION)} s{i % PER_PARTITION:03d}\n")
    keys.close()
    env = {**os.environ, "SCALE_OP": op, "SCALE_KEYS": keys.name}
    command = ["wrk", "-t2", "-c32", "--timeout", "5s", "-s", os.path.join(HERE, "bench", "scale.lua"),
               f"http://127.0.0.1:{PORT}"]
    subprocess.run(command + ["-d3s"], env=env, capture_output=True)  # warm-up
    before, disk = cpu_ticks(pid), disk_read_bytes(pid)
    out = subprocess.run(command + [f"-d{args.seconds}s"], env=env, capture_output=True, text=True).stdout
    cpu = (cpu_ticks(pid) - before) / TICKS
    disk = disk_read_bytes(pid) - disk
    os.unlink(keys.name)
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    r = dict(kv.split("=") for kv in line.split()[1:])
    requests = int(r["requests"])
    return {"rps": float(r["rps"]), "p50_ms": float(r["p50_ms"]), "p99_ms": float(r["p99_ms"]),
            "cpu_us": cpu / max(requests, 1) * 1e6, "errors": int(r["errors"]),
            "disk_b": disk / max(requests, 1)}


def parallel_scan(segments=8):
    def segment(n):
        count, start = 0, None
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
        while True:
            body = {"TableName": "bench", "Select": "COUNT", "Segment": n, "TotalSegments": segments}
            if start:
                body["ExclusiveStartKey"] = start
            status, out = call("Scan", body, connection)
            assert status == 200, out
            count += out["Count"]
            start = out.get("LastEvaluatedKey")
            if not start:
                return count

    t = time.time()
    with cf.ThreadPoolExecutor(segments) as pool:
        total = sum(pool.map(segment, range(segments)))
    return total, total / (time.time() - t)


def settle(pid, limit=900):
    """Waits until the server is idle (under 5% of a core over two seconds, after the
    store's background flushes and compactions); returns the seconds waited."""
    started = time.time()
    while time.time() - started < limit:
        before = cpu_ticks(pid)
        time.sleep(2)
        if (cpu_ticks(pid) - before) / TICKS < 0.1:
            break
    else:
        print(f"# the server was still busy after {limit} s; measuring anyway", flush=True)
    return time.time() - started


def emit(text):
    print(text, flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n")


def fresh_table():
    global proc
    subprocess.run(["rm", "-rf", args.data])
    os.makedirs(args.data)
    proc, _ = start()
    status, out = call("CreateTable", {
        "TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]})
    assert status == 200, out
    time.sleep(0.5)


if args.use_import and args.in_memory:
    sys.exit("--import loads a data directory; it cannot be combined with --in-memory")
proc = None
if not args.use_import:
    fresh_table()
how = "ImportTable per checkpoint" if args.use_import else f"BatchWriteItem from {args.loaders} loaders"
emit(f"# bench-scale {time.strftime('%Y-%m-%d %H:%M')} {args.cairn} serve {args.serve_args}; "
     f"wrk -t2 -c32 -d{args.seconds}s; ~200-byte items, 20 per partition; load: {how}")
update_head = " UpdateItem rps | p99 ms | CPU/UpdateItem µs |" if args.updates else ""
emit("| items | load items/s | GetItem rps | p50 ms | p99 ms | CPU/GetItem µs | Query rps | p99 ms | "
     f"CPU/Query µs |{update_head} disk reads B/GetItem | RSS MiB | data MiB | raw MiB | RSS/raw | settle s |")
emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if args.updates else ""))
raw = 0
loaded = 0
for checkpoint in [float(c) for c in args.checkpoints.split(",")]:
    target = int(checkpoint * 1_000_000)
    if args.use_import:
        if proc:
            proc.terminate()
            proc.wait()
        subprocess.run(["rm", "-rf", args.data])
        folder = generate(target)
        proc, _ = start()
        rate = target / import_all(target)
        subprocess.run(["rm", "-rf", folder])
    else:
        t = time.time()
        load(loaded, target)
        rate = (target - loaded) / (time.time() - t)
    if args.in_memory:
        raw += sum(item_size(i) for i in range(loaded, target))
    loaded = target
    quiet = settle(proc.pid)
    g = wrk("GetItem", loaded, proc.pid)
    q = wrk("Query", loaded, proc.pid)
    u = wrk("UpdateItem", loaded, proc.pid) if args.updates else None
    disk = 0 if args.in_memory else int(
        subprocess.run(["du", "-sm", args.data], capture_output=True, text=True).stdout.split()[0])
    rss = rss_mb(proc.pid)
    errors = f" (errors: {g['errors']}/{q['errors']}/{u['errors'] if u else 0})" \
        if g["errors"] or q["errors"] or (u and u["errors"]) else ""
    ratio = f"{raw / 2**20:,.0f} | {rss * 2**20 / raw:.2f}" if raw else "- | -"
    emit(f"| {loaded:,} | {rate:,.0f} | {g['rps']:,.0f} | {g['p50_ms']:.2f} | {g['p99_ms']:.2f} | {g['cpu_us']:.1f} | "
         f"{q['rps']:,.0f} | {q['p99_ms']:.2f} | {q['cpu_us']:.1f} | "
         + (f"{u['rps']:,.0f} | {u['p99_ms']:.2f} | {u['cpu_us']:.1f} | " if u else "")
         + f"{g['disk_b']:.0f} | {rss:.0f} | "
         f"{disk:,} | {ratio} | {quiet:.0f} |{errors}")
total, rate = parallel_scan()
emit(f"# parallel Scan (8 segments, Select COUNT): {total:,} items at {rate:,.0f} items/s")
proc.send_signal(signal.SIGKILL)
proc.wait()
if args.in_memory:
    sys.exit(0)
proc, restart = start()
emit(f"# restart after kill -9 to the first GetItem answered: {restart:.2f} s; "
     f"RSS after restart {rss_mb(proc.pid):.0f} MiB")
proc.terminate()
proc.wait()
