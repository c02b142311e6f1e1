#!/usr/bin/env python3
"""Cold start: time from spawning `cairn serve` on an empty data directory to its first
successful ListTables answer. Usage: cold-start.py path/to/cairn [runs]"""
import http.client
import statistics
import subprocess
import sys
import tempfile
import time

binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
headers = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
}
timings = []
for i in range(runs):
    with tempfile.TemporaryDirectory() as data:
        port = 18700 + i
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("POST", "/", body="{}", headers=headers)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.0005)
        timings.append((time.perf_counter() - start) * 1000)
        proc.terminate()
        proc.wait()
print(f"first answer after start, {runs} runs: median {statistics.median(timings):.1f} ms, "
      f"min {min(timings):.1f} ms, max {max(timings):.1f} ms")
