"""Reads the cases of sigv4_check.mjs (JSON on stdin) and prints the Authorization
header botocore's SigV4Auth computes for each (JSON list on stdout)."""
import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for case in json.load(sys.stdin):
    creds = case["credentials"]
    credentials = Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds.get("sessionToken"))
    request = AWSRequest(
        method="POST",
        url="http://" + case["host"] + "/",
        data=case["body"].encode("utf-8"),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": case["target"]},
    )
    when = datetime.datetime.strptime(case["date"], "%Y-%m-%dT%H:%M:%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(credentials, "dynamodb", case["region"]).add_auth(request)
    out.append(request.headers["Authorization"])
print(json.dumps(out))
