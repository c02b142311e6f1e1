#!/usr/bin/env python3
"""Vector search benchmark (not a test): loads N vectors of D dimensions into a table
with a vector index on each server given, then measures SearchVectors recall@10
against exact search (numpy), latency p50/p99 of sequential searches, throughput with
several clients, the time until Cairn's approximate graph is ready, and the server's
resident memory.

  python3 scripts/bench-vectors.py --n 100000 --dims 128 --kind random \
      --server cairn=http://127.0.0.1:8000,PID --server dynoxide=http://127.0.0.1:8104,PID

Needs boto3 (botocore >= 1.44) and numpy. Servers must accept any credentials.
"""

import argparse
import os
import concurrent.futures as cf
import statistics
import sys
import threading
import time

import boto3
import botocore
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=100_000)
p.add_argument("--dims", type=int, default=128)
p.add_argument("--kind", choices=["random", "clustered"], default="random")
p.add_argument("--queries", type=int, default=200)
p.add_argument("--topk", type=int, default=10)
p.add_argument("--clients", type=int, default=4)
p.add_argument("--seconds", type=float, default=15)
p.add_argument("--loaders", type=int, default=8)
p.add_argument("--server", action="append", required=True, help="name=URL[,PID]")
p.add_argument("--reuse", action="store_true", help="keep a table already holding N items")
p.add_argument("--wait-for", help="before measuring searches, wait until this file exists "
               "(so nothing else runs on the machine while latencies are taken)")
args = p.parse_args()

rng = np.random.default_rng(42)
if args.kind == "random":
    data = rng.standard_normal((args.n, args.dims)).astype(np.float32)
else:
    centers = rng.standard_normal((100, args.dims)).astype(np.float32) * 4
    data = (centers[rng.integers(0, 100, args.n)] + rng.standard_normal((args.n, args.dims))).astype(np.float32)
queries = data[rng.integers(0, args.n, args.queries)] + 0.1 * rng.standard_normal((args.queries, args.dims)).astype(np.float32)

# Exact cosine top-k (the truth recall is measured against).
normed = data / np.linalg.norm(data, axis=1, keepdims=True)
qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
truth = []
for q in qn:
    scores = normed @ q
    top = np.argpartition(-scores, args.topk)[: args.topk]
    truth.append({f"p{i}" for i in top})


def client(url):
    config = botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=64)
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="BENCH",
                        aws_secret_access_key="x", config=config)


def rss_mb(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def number(x):
    return {"N": f"{float(x):.6g}"}


def load(ddb, table):
    if args.reuse:
        try:
            if ddb.describe_table(TableName=table)["Table"].get("ItemCount") == args.n:
                return 0.0
        except botocore.exceptions.ClientError:
            pass
    try:
        ddb.delete_table(TableName=table)
        time.sleep(0.5)
    except botocore.exceptions.ClientError:
        pass
    ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        VectorIndexes=[{"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": args.dims,
                        "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    ddb.get_waiter("table_exists").wait(TableName=table)
    started = time.time()
    # Processes writing raw BatchWriteItem bodies: boto3 in threads spends most of the
    # load building request objects under one interpreter lock.
    global LOAD_TARGET
    LOAD_TARGET = (ddb.meta.endpoint_url, table)
    chunks = range(0, args.n, 1000)
    with cf.ProcessPoolExecutor(args.loaders) as pool:
        list(pool.map(load_chunk, chunks))
    return time.time() - started


LOAD_TARGET = None


def load_chunk(first):
    """Writes items first .. first+999 in batches of 25 over one connection."""
    import http.client
    import json
    import urllib.parse
    url, table = LOAD_TARGET
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.BatchWriteItem",
               "Authorization": "AWS4-HMAC-SHA256 Credential=BENCH/20260101/us-east-1/dynamodb/aws4_request, "
                                "SignedHeaders=host, Signature=00", "X-Amz-Date": "20260101T000000Z"}
    for start in range(first, min(first + 1000, args.n), 25):
        puts = []
        for i in range(start, min(start + 25, args.n)):
            vector = ",".join('{"N":"%.6g"}' % x for x in data[i].tolist())
            puts.append('{"PutRequest":{"Item":{"pk":{"S":"p%d"},"v":{"L":[%s]}}}}' % (i, vector))
        body = '{"RequestItems":{"%s":[%s]}}' % (table, ",".join(puts))
        for attempt in range(100):
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            out = json.loads(response.read() or b"{}")
            if response.status != 200:
                if "Throughput" not in str(out) and "Throttl" not in str(out):
                    sys.exit(f"BatchWriteItem refused: {response.status} {out}")
                time.sleep(0.05 * (attempt + 1))
                continue
            left = out.get("UnprocessedItems", {}).get(table, [])
            if not left:
                break
            body = json.dumps({"RequestItems": {table: left}})
        else:
            sys.exit(f"batch at {start} never written")
    connection.close()


def search(ddb, table, q, capacity=False):
    kwargs = {"ReturnConsumedCapacity": "TOTAL"} if capacity else {}
    return ddb.search_vectors(TableName=table, IndexName="emb", SearchVector=[number(x) for x in q],
                              TopK=args.topk, **kwargs)


print(f"# {args.n} vectors x {args.dims} dims, {args.kind}, COSINE, TopK {args.topk}, "
      f"{args.queries} queries, {args.clients} clients for {args.seconds:.0f} s")
rows = []
for spec in args.server:
    name, rest = spec.split("=", 1)
    url, _, pid = rest.partition(",")
    ddb = client(url)
    table = f"bench_vectors_{args.kind}"
    load_s = load(ddb, table)
    # Cairn builds its graph after a search finds the partition large: wait for it
    # (a search examining fewer vectors than the table holds).
    started = time.time()
    graph_s = None
    for _ in range(6000 if name.startswith("cairn") else 0):
        out = search(ddb, table, queries[0], capacity=True)
        examined = out.get("ConsumedCapacity", {}).get("VectorSearchRequestBytes")
        if examined is None or examined < args.n * args.dims * 4:
            graph_s = time.time() - started if examined is not None else None
            break
        time.sleep(0.2)
    if args.wait_for:
        print(f"# {name}: graph_s={graph_s}; waiting for {args.wait_for}", flush=True)
        while not os.path.exists(args.wait_for):
            time.sleep(1)
    latencies, found = [], 0
    for q, want in zip(queries, truth):
        t = time.perf_counter()
        out = search(ddb, table, q)
        latencies.append((time.perf_counter() - t) * 1000)
        got = {r["Item"]["pk"]["S"] for r in out["SearchResults"]}
        found += len(got & want)
    recall = found / (len(queries) * args.topk)
    stop = time.time() + args.seconds
    count = [0]
    lock = threading.Lock()

    def worker(seed):
        local = client(url)
        i = seed
        while time.time() < stop:
            search(local, table, queries[i % len(queries)])
            i += args.clients
            with lock:
                count[0] += 1

    with cf.ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(worker, range(args.clients)))
    qps = count[0] / args.seconds
    latencies.sort()
    row = {
        "server": name, "load_s": load_s, "graph_s": graph_s, "recall@10": recall,
        "p50_ms": statistics.median(latencies), "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "qps": qps, "rss_mb": rss_mb(pid),
    }
    rows.append(row)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)

if len(rows) == 2:
    a, b = rows
    print(f"# ratio {a['server']}/{b['server']}: p50 {a['p50_ms'] / b['p50_ms']:.3f}, "
          f"qps {a['qps'] / b['qps']:.2f}x")
