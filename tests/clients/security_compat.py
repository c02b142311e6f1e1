"""boto3 against `cairn serve --auth sigv4` with TLS: signed requests over HTTPS
(trusting the development CA from `cairn cert`), policies enforced, bad signatures
refused, and plain HTTP sent to the HTTPS port dropped without harming the server.

Usage: security_compat.py HTTPS_URL HTTP_URL CA_FILE
"""
import socket
import sys
import urllib.parse

import boto3
from botocore.exceptions import ClientError

https_url, http_url, ca_file = sys.argv[1:4]


def client(url, key, secret, verify=ca_file):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        verify=verify if url.startswith("https") else None,
    )


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("the call should have failed")


admin = client(https_url, "AKIAADMIN", "admin-secret")
admin.create_table(
    TableName="tls_table",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    BillingMode="PAY_PER_REQUEST",
)
admin.put_item(TableName="tls_table", Item={"pk": {"S": "over-tls"}})
assert admin.get_item(TableName="tls_table", Key={"pk": {"S": "over-tls"}})["Item"] == {"pk": {"S": "over-tls"}}
print("boto3 over HTTPS with the development CA: ok")

reader = client(https_url, "AKIAREADER", "reader-secret")
assert "Item" in reader.get_item(TableName="tls_table", Key={"pk": {"S": "over-tls"}})
code, message = error_of(lambda: reader.put_item(TableName="tls_table", Item={"pk": {"S": "nope"}}))
assert code == "AccessDeniedException", code
assert message == (
    "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: dynamodb:PutItem "
    "on resource: arn:aws:dynamodb:us-east-1:000000000000:table/tls_table "
    "because no identity-based policy allows the dynamodb:PutItem action"
), message
assert "Item" not in admin.get_item(TableName="tls_table", Key={"pk": {"S": "nope"}})
print("boto3 policies: ok")

code, _ = error_of(lambda: client(https_url, "AKIAADMIN", "wrong").list_tables())
assert code == "InvalidSignatureException", code
code, _ = error_of(lambda: client(https_url, "AKIANOBODY", "x").list_tables())
assert code == "UnrecognizedClientException", code
print("boto3 bad credentials refused: ok")

# The plain HTTP port beside it verifies signatures too.
assert "tls_table" in client(http_url, "AKIAADMIN", "admin-secret").list_tables()["TableNames"]
code, _ = error_of(lambda: client(http_url, "AKIAADMIN", "wrong").list_tables())
assert code == "InvalidSignatureException", code

# Plain HTTP to the HTTPS port: the handshake fails and the connection closes, with
# no HTTP answer; the server keeps serving.
parsed = urllib.parse.urlparse(https_url)
with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    try:
        reply = sock.recv(4096)
    except ConnectionResetError:
        reply = b""
    assert not reply.startswith(b"HTTP/"), reply
assert "tls_table" in admin.list_tables()["TableNames"]
print("plain HTTP to the HTTPS port fails cleanly: ok")
