#!/usr/bin/env python3
"""Which parts of the cairn binary a running server holds resident (for issue 22's idle
RSS goal). Reads /proc/PID/pagemap for the binary's mappings (run as root, or the
page frame bits read as zero but the present bit still works) and attributes each
resident 4 KiB page to the symbol at or before it (nm -n), grouped by the symbol's
first path segment (crate). Pages of read-only data and tables land on the nearest
preceding symbol, so read the crate names as neighbourhoods, not exact owners.

    usage: python3 scripts/rss-breakdown.py PID [TOP]
"""
import bisect
import collections
import struct
import subprocess
import sys

pid = int(sys.argv[1])
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
exe = f"/proc/{pid}/exe"
binary = subprocess.run(["readlink", "-f", exe], capture_output=True, text=True).stdout.strip()
mappings = []
with open(f"/proc/{pid}/maps") as maps:
    for line in maps:
        fields = line.split()
        if len(fields) >= 6 and fields[5] == binary:
            low, high = (int(x, 16) for x in fields[0].split("-"))
            mappings.append((low, high, int(fields[2], 16), fields[1]))
if not mappings:
    sys.exit(f"no mapping of {binary} in process {pid}")
load_base = mappings[0][0] - mappings[0][2]

resident = []
with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
    for low, high, _, permissions in mappings:
        pages = (high - low) // 4096
        pagemap.seek(low // 4096 * 8)
        entries = pagemap.read(pages * 8)
        count = 0
        for i in range(pages):
            if struct.unpack_from("<Q", entries, i * 8)[0] >> 63:
                resident.append(low + i * 4096 - load_base)
                count += 1
        print(f"{permissions} mapping of {(high - low) // 1024:,} KiB: {count * 4:,} KiB resident")
print(f"binary total: {len(resident) * 4:,} KiB resident")

symbols = []
for line in subprocess.run(["nm", "-C", "--defined-only", "-n", binary],
                           capture_output=True, text=True).stdout.splitlines():
    parts = line.split(None, 2)
    if len(parts) == 3:
        try:
            symbols.append((int(parts[0], 16), parts[2]))
        except ValueError:
            pass
addresses = [address for address, _ in symbols]


def neighbourhood(name):
    stripped = None
    while stripped != name:
        stripped = name
        for prefix in ("<", "&", "dyn ", "mut "):
            name = name.removeprefix(prefix)
    return name.split("::")[0][:48]


by_crate = collections.Counter()
for page in resident:
    i = bisect.bisect_right(addresses, page) - 1
    by_crate[neighbourhood(symbols[i][1]) if i >= 0 else "?"] += 4
for name, kib in by_crate.most_common(top):
    print(f"{kib:6,} KiB  {name}")
