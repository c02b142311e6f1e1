#!/usr/bin/env python3
"""Turns ../shared/bench's results.tsv (written by scripts/bench-peers.sh) into the
README's table: requests/s, p99 and server CPU per request (µs) for each peer and
script of the 32-connection runs.

  python3 scripts/bench-table.py /tmp/cairn-bench/results.tsv
"""
import csv
import sys

NAMES = {"getitem": "GetItem", "putitem": "PutItem", "query": "Query (20 items)", "mix": "50/50 Get/Update"}
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
scripts = [s for s in NAMES if any(r["script"] == s for r in rows)]
peers = []
for r in rows:
    if r["peer"] not in peers:
        peers.append(r["peer"])
print("| server | " + " | ".join(f"{NAMES[s]} rps (p99 ms, CPU µs)" for s in scripts) + " |")
print("|---|" + "---|" * len(scripts))
for peer in peers:
    cells = []
    for s in scripts:
        runs = [r for r in rows if r["peer"] == peer and r["script"] == s and r["conns"] != "1"]
        if not runs:
            cells.append("—")
            continue
        r = runs[-1]
        rps, cores = float(r["rps"]), float(r["server_cpu_cores"])
        bad = "" if r["non2xx"] == "0" else f", non2xx {r['non2xx']}"
        cells.append(f"{rps:,.0f} ({float(r['p99_ms']):.1f}, {cores / rps * 1e6:.1f}{bad})")
    print(f"| {peer} | " + " | ".join(cells) + " |")
