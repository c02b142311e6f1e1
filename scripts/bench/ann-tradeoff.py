#!/usr/bin/env python3
"""Graph versus quantized scan (not a test): builds a usearch HNSW graph (connectivity 32,
expansion_add 200, as Cairn used) over N random or clustered 128-dimension vectors (the data of
scripts/bench-vectors.py, seed 42), measures recall@10 and time per query at several search
expansions with 200 candidates re-scored exactly, then the same for an exact scan of the vectors
quantized to int8 (its best 100 re-scored). Usage: python3 scripts/bench/ann-tradeoff.py 1000000 random (needs numpy, usearch).
The graph is saved beside the working directory and reused by a second run."""
import sys, time, numpy as np
from usearch.index import Index, search, MetricKind
n = int(sys.argv[1]); kind = sys.argv[2] if len(sys.argv) > 2 else "random"
dims=128
rng = np.random.default_rng(42)
if kind == "random":
    data = rng.standard_normal((n, dims)).astype(np.float32)
else:
    centers = rng.standard_normal((100, dims)).astype(np.float32) * 4
    data = (centers[rng.integers(0, 100, n)] + rng.standard_normal((n, dims))).astype(np.float32)
nq=200
queries = data[rng.integers(0, n, nq)] + 0.1 * rng.standard_normal((nq, dims)).astype(np.float32)
normed = data / np.linalg.norm(data, axis=1, keepdims=True)
qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
truth = []
for q in qn:
    s = normed @ q
    truth.append(set(np.argpartition(-s, 10)[:10].tolist()))
path = f"ann-tradeoff-{kind}-{n}.usearch"
import os
idx = Index(ndim=dims, metric="cos", dtype="f32", connectivity=32, expansion_add=200, expansion_search=256)
if os.path.exists(path):
    idx.load(path)
else:
    t=time.time(); idx.add(np.arange(n), data, threads=2); print("build s", time.time()-t, flush=True); idx.save(path)
for ef in [256, 512, 1024, 2048, 4096, 8192]:
    idx.expansion_search = ef
    t=time.time()
    rec=0
    for i,q in enumerate(queries):
        m = idx.search(q, 200 if ef>=200 else 10)
        keys = m.keys[:200]
        # rescore exactly
        cand = np.array(keys)
        sc = normed[cand] @ qn[i]
        top = set(cand[np.argsort(-sc)[:10]].tolist())
        rec += len(top & truth[i])/10
    dt=(time.time()-t)/nq
    print(f"ef {ef} recall {rec/nq:.3f} ms/query {dt*1000:.2f}", flush=True)
# exact i8 flat
for dt_ in ["i8"]:
    t=time.time()
    d8 = np.clip(normed*127/ np.abs(normed).max(), -127,127).astype(np.int8)
    print("quantize s", time.time()-t)
    t=time.time(); rec=0
    m = search(d8, (qn*127/np.abs(normed).max()).astype(np.int8), 100, MetricKind.IP, exact=True, threads=1)
    dt=(time.time()-t)/nq
    for i in range(nq):
        cand=np.array(m.keys[i]); sc = normed[cand]@qn[i]
        rec += len(set(cand[np.argsort(-sc)[:10]].tolist()) & truth[i])/10
    print(f"flat {dt_} recall {rec/nq:.3f} ms/query {dt*1000:.2f}")
