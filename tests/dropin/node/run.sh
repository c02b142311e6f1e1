#!/usr/bin/env bash
# Client-compatibility scenarios: popular Node DynamoDB libraries, unchanged, against a running Cairn.
#
#   tests/dropin/node/run.sh ENDPOINT      e.g. tests/dropin/node/run.sh http://127.0.0.1:8000
#
# Does not start Cairn: the caller does (any credentials are accepted in unsigned mode).
# Installs the pinned packages with `npm ci` when node_modules is missing, then runs every
# scenario, prints "<library> <version>: ok|FAIL" for each and exits non-zero if any failed.
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

endpoint="${1:-${CAIRN_ENDPOINT:-http://127.0.0.1:8000}}"
per_scenario_timeout="${DROPIN_SCENARIO_TIMEOUT:-60}"

if ! command -v node >/dev/null 2>&1; then
  echo "run.sh: node is not installed (Node 18 or later is needed)" >&2
  exit 2
fi

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  echo "run.sh: installing the pinned packages (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "run.sh: npm ci failed" >&2
    exit 2
  fi
fi

# Is anything answering at the endpoint? (Any HTTP answer will do.)
if ! node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$endpoint"; then
  echo "run.sh: nothing answers at $endpoint; start Cairn first (cairn serve --in-memory --port PORT)" >&2
  exit 2
fi

export CAIRN_ENDPOINT="$endpoint"
# Keep the output to the scenarios' own lines.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1

version_of() {
  node -p 'require(process.argv[1] + "/package.json").version' "$1" 2>/dev/null || echo '?'
}

# scenario file | label printed (packages with their installed versions)
scenarios=(
  "sdk-v2-document-client.js|aws-sdk $(version_of aws-sdk) (DocumentClient)"
  "sdk-v3.mjs|@aws-sdk/client-dynamodb $(version_of @aws-sdk/client-dynamodb) + @aws-sdk/lib-dynamodb $(version_of @aws-sdk/lib-dynamodb)"
  "dynamodb-toolbox.mjs|dynamodb-toolbox $(version_of dynamodb-toolbox)"
  "dynamoose.js|dynamoose $(version_of dynamoose)"
  "electrodb.mjs|electrodb $(version_of electrodb)"
)

echo "Node $(node --version) against $endpoint"
passed=0
failed=0
failed_names=()
started=$(date +%s)
for entry in "${scenarios[@]}"; do
  file="${entry%%|*}"
  label="${entry#*|}"
  out="$(timeout "$per_scenario_timeout" node "$file" 2>&1)"
  rc=$?
  if [ $rc -eq 0 ] && grep -q "^ok " <<<"$out"; then
    echo "$label: ok"
    passed=$((passed + 1))
  else
    [ $rc -eq 124 ] && out="$out"$'\n'"(timed out after ${per_scenario_timeout}s)"
    echo "$label: FAIL ($file, exit $rc)"
    sed 's/^/    /' <<<"$out"
    failed=$((failed + 1))
    failed_names+=("$file")
  fi
done

echo "node drop-in scenarios: $(( $(date +%s) - started ))s"
if [ $failed -ne 0 ]; then
  echo "failed: ${failed_names[*]}"
fi
echo "dropin: $passed passed, $failed failed"
[ $failed -eq 0 ]
