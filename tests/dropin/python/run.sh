#!/usr/bin/env bash
# Drop-in client compatibility: runs every Python scenario and the AWS CLI scenario against
# an already running Cairn, each client library at the exact version in requirements.txt.
#
# Usage: tests/dropin/python/run.sh [ENDPOINT]     (default $CAIRN_ENDPOINT or http://127.0.0.1:8000)
#   DROPIN_VENV  virtualenv to use, created if missing (default /tmp/cairn-dropin-venv)
# Does not start Cairn. Prints one line per library ("boto3 1.44.18 (client API): ok") and a
# closing "N passed, N failed"; exits non-zero if any scenario fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli_dir=$(cd "$here/../cli" && pwd)
endpoint=${1:-${CAIRN_ENDPOINT:-http://127.0.0.1:8000}}
venv=${DROPIN_VENV:-/tmp/cairn-dropin-venv}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { echo "cannot create virtualenv $venv" >&2; exit 2; }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
  || { echo "pip install -r $here/requirements.txt failed" >&2; exit 2; }

py="$venv/bin/python"
export PATH="$venv/bin:$PATH" CAIRN_ENDPOINT="$endpoint"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDDROPIN}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dropin-secret}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN

if ! "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/", timeout=3)' "$endpoint" 2>/dev/null; then
  echo "no server answering at $endpoint (start Cairn first)" >&2
  exit 2
fi

version() { "$py" -c 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))' "$1"; }
boto3_v=$(version boto3)
botocore_v=$(version botocore)
pynamodb_v=$(version pynamodb)
awscli_v=$(version awscli)
awscli_botocore_v=$("$py" -c 'import awscli.botocore as b; print(b.__version__)' 2>/dev/null || echo "$botocore_v")

logs=$(mktemp -d /tmp/cairn-dropin-logs.XXXXXX)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0
echo "endpoint $endpoint"
# run LABEL LOGNAME COMMAND...: runs one scenario, prints "LABEL: ok" or "LABEL: FAIL" and its output.
run() {
  local label=$1 name=$2
  shift 2
  local start=$SECONDS
  if timeout 120 "$@" >"$logs/$name.log" 2>&1 && grep -qx "ok $name" "$logs/$name.log"; then
    echo "$label: ok ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "$label: FAIL"
    sed 's/^/    /' "$logs/$name.log" | tail -n 40
    failed=$((failed + 1))
  fi
}

run "boto3 $boto3_v / botocore $botocore_v (client API, paginators, waiters)" boto3_client "$py" "$here/boto3_client.py"
run "boto3 $boto3_v / botocore $botocore_v (resource API + dynamodbstreams)" boto3_resource "$py" "$here/boto3_resource.py"
run "pynamodb $pynamodb_v (botocore $botocore_v)" pynamodb_models "$py" "$here/pynamodb_models.py"
run "awscli $awscli_v (bundled botocore $awscli_botocore_v)" awscli bash "$cli_dir/awscli.sh"

echo "dropin: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
