#!/usr/bin/env bash
# `--auth sigv4` and TLS with real clients: `cairn cert` and `cairn credentials`,
# boto3 and the AWS CLI over HTTPS, SIGHUP reloading credentials, and the refusals
# that keep a server from being exposed by accident.
# Usage: tests/clients/security.sh path/to/cairn
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cairn=$1
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
for _ in range(400):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("server did not start")
PY
}

"$cairn" cert --host localhost --out-dir "$dir/tls" >/dev/null
creds="$dir/credentials.json"
"$cairn" credentials add --file "$creds" --name admin --access-key-id AKIAADMIN --secret-access-key admin-secret >/dev/null 2>&1
cat >"$dir/reader.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:ListTables"], "Resource": "*"}]}
JSON
"$cairn" credentials add --file "$creds" --name reader --access-key-id AKIAREADER --secret-access-key reader-secret --policy "$dir/reader.json" >/dev/null 2>&1
"$cairn" credentials list --file "$creds" | grep -q "^reader	AKIAREADER	1 policies$"
[ "$(stat -c %a "$creds")" = 600 ] || { echo "credentials file is not 0600"; exit 1; }
if "$cairn" credentials list --file "$creds" | grep -q secret; then echo "list shows a secret"; exit 1; fi

http_port=$(free_port)
https_port=$(free_port)
"$cairn" serve --in-memory --auth sigv4 --credentials "$creds" --port "$http_port" \
  --tls-cert "$dir/tls/cert.pem" --tls-key "$dir/tls/key.pem" --https-port "$https_port" >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
wait_for 127.0.0.1 "$https_port"
wait_for 127.0.0.1 "$http_port"

python3 "$here/security_compat.py" "https://localhost:$https_port" "http://127.0.0.1:$http_port" "$dir/tls/ca.pem"

export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
cli() { AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 aws --endpoint-url "https://localhost:$https_port" --ca-bundle "$dir/tls/ca.pem" --output json dynamodb "${@:3}"; }
cli AKIAADMIN admin-secret list-tables | python3 -c 'import json,sys; assert "tls_table" in json.load(sys.stdin)["TableNames"]'
AWS_ACCESS_KEY_ID=AKIAADMIN AWS_SECRET_ACCESS_KEY=admin-secret aws --endpoint-url "https://localhost:$https_port" \
  --no-verify-ssl dynamodb list-tables >/dev/null 2>&1
if cli AKIAADMIN wrong-secret list-tables 2>"$dir/err.txt"; then echo "a wrong secret was accepted"; exit 1; fi
grep -q InvalidSignatureException "$dir/err.txt"
if cli AKIAREADER reader-secret delete-table --table-name tls_table 2>"$dir/err.txt"; then echo "reader deleted a table"; exit 1; fi
grep -q "AccessDeniedException" "$dir/err.txt"
echo "AWS CLI over HTTPS: ok"

# SIGHUP: a removed principal stops working without a restart.
"$cairn" credentials remove --file "$creds" --name reader 2>/dev/null
kill -HUP $pid
for _ in $(seq 100); do grep -q "credentials reloaded" "$dir/serve.log" && break; sleep 0.05; done
grep -q "credentials reloaded" "$dir/serve.log"
if cli AKIAREADER reader-secret list-tables 2>"$dir/err.txt"; then echo "a removed key still works"; exit 1; fi
grep -q UnrecognizedClientException "$dir/err.txt"
cli AKIAADMIN admin-secret list-tables >/dev/null
if grep -q -e admin-secret -e reader-secret "$dir/serve.log"; then echo "a secret reached the log"; exit 1; fi
echo "SIGHUP reload: ok"
kill $pid; wait $pid 2>/dev/null || true

# Refusals: no anonymous access on a reachable address, no world-readable secrets.
port=$(free_port)
if "$cairn" serve --in-memory --host 0.0.0.0 --port "$port" 2>"$dir/err.txt"; then echo "anonymous 0.0.0.0 was served"; exit 1; fi
grep -q "refusing to serve without authentication" "$dir/err.txt"
"$cairn" serve --in-memory --host 0.0.0.0 --port "$port" --allow-anonymous >/dev/null 2>&1 &
anonymous=$!
wait_for 127.0.0.1 "$port"
kill $anonymous; wait $anonymous 2>/dev/null || true
chmod 644 "$creds"
if "$cairn" serve --in-memory --auth sigv4 --credentials "$creds" --port "$(free_port)" 2>"$dir/err.txt"; then echo "world-readable credentials were used"; exit 1; fi
grep -q "is accessible to other users" "$dir/err.txt"
echo "safe defaults: ok"
