#!/usr/bin/env python3
"""A minimal S3-compatible server for tests: CreateBucket, PutObject, GetObject,
HeadObject and ListObjectsV2, path-style, in memory, signatures not checked.
Usage: fake_s3.py PORT"""
import hashlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

buckets = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def split(self):
        url = urlparse(self.path)
        parts = url.path.lstrip("/").split("/", 1)
        return unquote(parts[0]), unquote(parts[1]) if len(parts) > 1 else "", parse_qs(url.query)

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def no_such(self, code):
        self.reply(404, f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode())

    def do_PUT(self):
        bucket, key, _ = self.split()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not key:
            buckets.setdefault(bucket, {})
            return self.reply(200)
        if bucket not in buckets:
            return self.no_such("NoSuchBucket")
        buckets[bucket][key] = body
        self.reply(200, headers={"ETag": '"%s"' % hashlib.md5(body).hexdigest()})

    def do_GET(self):
        bucket, key, query = self.split()
        if bucket not in buckets:
            return self.no_such("NoSuchBucket")
        if not key:
            prefix = query.get("prefix", [""])[0]
            contents = "".join(
                f"<Contents><Key>{escape(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                f"<ETag>\"{hashlib.md5(v).hexdigest()}\"</ETag><Size>{len(v)}</Size><StorageClass>STANDARD</StorageClass></Contents>"
                for k, v in sorted(buckets[bucket].items()) if k.startswith(prefix))
            body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                    f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>0</KeyCount>"
                    f"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>")
            return self.reply(200, body.encode(), {"Content-Type": "application/xml"})
        if key not in buckets[bucket]:
            return self.no_such("NoSuchKey")
        data = buckets[bucket][key]
        self.reply(200, data, {"ETag": '"%s"' % hashlib.md5(data).hexdigest(),
                               "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"})

    do_HEAD = do_GET


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
