#!/usr/bin/env bash
# Drop-in scenario: the pet-tracking app driven with the AWS CLI v1 (`aws dynamodb ...`).
# Endpoint: $CAIRN_ENDPOINT (default http://127.0.0.1:8000). Uses the `aws` found on PATH
# (tests/dropin/python/run.sh puts its venv first) and python3 for JSON.
set -euo pipefail

SCENARIO=awscli
TABLE=pets_awscli
ENDPOINT=${CAIRN_ENDPOINT:-http://127.0.0.1:8000}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDDROPIN}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dropin-secret}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

work=$(mktemp -d /tmp/cairn-dropin-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL $SCENARIO: $*" >&2; exit 1; }
ddb() { aws --endpoint-url "$ENDPOINT" --output json dynamodb "$@"; }
# json EXPR: evaluates the Python expression EXPR with `d` = the JSON document on stdin, prints it.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); r = eval(sys.argv[1]); print(r if isinstance(r, str) else json.dumps(r))' "$1"; }
# expect_json DOC EXPR MESSAGE: fails unless the Python expression EXPR is true for DOC.
expect_json() {
  [ "$(printf '%s' "$1" | json "bool($2)")" = true ] || fail "$3 (got: $(printf '%s' "$1" | summary))"
}
# summary: a compact, shortened rendering of the JSON on stdin for failure messages.
summary() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict) and isinstance(d.get("Items"), list):
    d = dict(d, Items=["%d items, first: %s" % (len(d["Items"]), json.dumps(d["Items"][:1]))])
print(json.dumps(d)[:800])'
}
key() { printf '{"PK":{"S":"%s"},"SK":{"S":"%s"}}' "$1" "$2"; }

# Leftover from an interrupted earlier run against the same server.
if ddb list-tables | json '"'$TABLE'" in d["TableNames"]' | grep -qx true; then
  ddb delete-table --table-name "$TABLE" >/dev/null
  ddb wait table-not-exists --table-name "$TABLE"
fi

# --- create table + wait ------------------------------------------------------------------
out=$(ddb create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=PK,AttributeType=S AttributeName=SK,AttributeType=S AttributeName=species,AttributeType=S \
  --key-schema AttributeName=PK,KeyType=HASH AttributeName=SK,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST \
  --global-secondary-indexes '[{"IndexName":"bySpecies","KeySchema":[{"AttributeName":"species","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]')
expect_json "$out" 'd["TableDescription"]["TableName"] == "'$TABLE'"' "create-table output"
ddb wait table-exists --table-name "$TABLE"
out=$(ddb describe-table --table-name "$TABLE")
expect_json "$out" 'd["Table"]["TableStatus"] == "ACTIVE"' "table not ACTIVE after wait table-exists"
expect_json "$out" '[g["IndexName"] for g in d["Table"]["GlobalSecondaryIndexes"]] == ["bySpecies"]' "GSI bySpecies missing"
expect_json "$out" 'd["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"' "billing mode"

# --- profiles + 200 pets with batch-write-item in chunks of 25 ------------------------------
python3 - "$work" "$TABLE" <<'PY'
import json, sys
work, table = sys.argv[1], sys.argv[2]
species = ["cat", "dog", "dog", "parrot"]
puts = [{"PutRequest": {"Item": {"PK": {"S": f"USER#{u}"}, "SK": {"S": "PROFILE"}, "name": {"S": n}, "email": {"S": f"{n.lower()}@example.com"}}}}
        for u, n in (("u1", "Alice"), ("u2", "Bob"))]
pets = [{"PutRequest": {"Item": {
    "PK": {"S": "USER#u1"}, "SK": {"S": f"PET#{i:03d}"}, "name": {"S": f"pet-{i}"},
    "species": {"S": species[i % 4]}, "birth_weight": {"N": f"{i}.25"}, "version": {"N": "1"}}}} for i in range(200)]
json.dump({table: puts}, open(f"{work}/profiles.json", "w"))
for n in range(8):
    json.dump({table: pets[n * 25:(n + 1) * 25]}, open(f"{work}/batch{n}.json", "w"))
PY
for f in "$work"/profiles.json "$work"/batch*.json; do
  out=$(ddb batch-write-item --request-items "file://$f")
  expect_json "$out" 'not d.get("UnprocessedItems")' "batch-write-item left UnprocessedItems for $(basename "$f")"
done

# --- begins_with query, --page-size 25 (the CLI follows LastEvaluatedKey itself) -----------
kce=(--key-condition-expression 'PK = :pk AND begins_with(SK, :prefix)'
     --expression-attribute-values '{":pk":{"S":"USER#u1"},":prefix":{"S":"PET#"}}')
out=$(ddb query --table-name "$TABLE" "${kce[@]}" --page-size 25)
expect_json "$out" 'd["Count"] == 200' "query Count total"
expect_json "$out" 'len(d["Items"]) == 200 and len({i["SK"]["S"] for i in d["Items"]}) == 200' "query: 200 distinct items"
expect_json "$out" '[i["SK"]["S"] for i in d["Items"]] == ["PET#%03d" % n for n in range(200)]' "query order"
# The CLI's own pagination tokens: the first 25, then the rest from NextToken.
first=$(ddb query --table-name "$TABLE" "${kce[@]}" --page-size 25 --max-items 25)
expect_json "$first" 'len(d["Items"]) == 25 and d.get("NextToken")' "--max-items 25 gave no NextToken"
token=$(printf '%s' "$first" | json 'd["NextToken"]')
rest=$(ddb query --table-name "$TABLE" "${kce[@]}" --page-size 25 --starting-token "$token")
all=$(python3 -c 'import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]); print(json.dumps({"Items": a["Items"] + b["Items"]}))' "$first" "$rest")
expect_json "$all" 'sorted(i["SK"]["S"] for i in d["Items"]) == ["PET#%03d" % n for n in range(200)]' "--starting-token resume"

# --- GSI query by species ------------------------------------------------------------------
out=$(ddb query --table-name "$TABLE" --index-name bySpecies --key-condition-expression 'species = :s' \
  --expression-attribute-values '{":s":{"S":"cat"}}' --page-size 25)
expect_json "$out" 'd["Count"] == 50 and all(i["species"]["S"] == "cat" for i in d["Items"])' "GSI cat query"
out=$(ddb query --table-name "$TABLE" --index-name bySpecies --key-condition-expression 'species = :s' \
  --expression-attribute-values '{":s":{"S":"dog"}}' --select COUNT)
expect_json "$out" 'd["Count"] == 100' "GSI dog count"

# --- number round trips -----------------------------------------------------------------------
nums='{"a":"3.25","b":"0.1","c":"12345678901234567890.5","d":"12345678901234567890123456789012345678","e":"-9223372036854775809"}'
item=$(python3 -c 'import json, sys; print(json.dumps({"PK": {"S": "USER#u1"}, "SK": {"S": "NUMBERS"}, **{k: {"N": v} for k, v in json.loads(sys.argv[1]).items()}}))' "$nums")
ddb put-item --table-name "$TABLE" --item "$item"
out=$(ddb get-item --table-name "$TABLE" --key "$(key USER#u1 NUMBERS)" --consistent-read)
for k in a b c d e; do
  want=$(printf '%s' "$nums" | json "d['$k']")
  expect_json "$out" "__import__('decimal').Decimal(d['Item']['$k']['N']) == __import__('decimal').Decimal('$want')" "number $k=$want read back"
done

# --- optimistic locking ------------------------------------------------------------------------
upd=(--table-name "$TABLE" --key "$(key USER#u1 PET#007)"
     --update-expression 'SET #n = :name, version = version + :one' --condition-expression 'version = :expected'
     --expression-attribute-names '{"#n":"name"}')
out=$(ddb update-item "${upd[@]}" --return-values UPDATED_NEW \
  --expression-attribute-values '{":name":{"S":"Rex"},":one":{"N":"1"},":expected":{"N":"1"}}')
expect_json "$out" 'd["Attributes"]["version"] == {"N": "2"}' "version after first update"
if ddb update-item "${upd[@]}" \
    --expression-attribute-values '{":name":{"S":"Stale"},":one":{"N":"1"},":expected":{"N":"1"}}' >/dev/null 2>"$work/err"; then
  fail "update-item with stale version 1 succeeded"
fi
grep -q ConditionalCheckFailedException "$work/err" || fail "stale update: no ConditionalCheckFailedException in stderr: $(cat "$work/err")"
out=$(ddb get-item --table-name "$TABLE" --key "$(key USER#u1 PET#007)" --consistent-read)
expect_json "$out" 'd["Item"]["version"] == {"N": "2"} and d["Item"]["name"] == {"S": "Rex"}' "stale update changed the item"

# --- transact-write-items: adopt PET#007 (u1 -> u2) -------------------------------------------
adopted=$(printf '%s' "$out" | json 'dict(d["Item"], PK={"S": "USER#u2"})')
cat >"$work/adopt.json" <<EOF
[
  {"ConditionCheck": {"TableName": "$TABLE", "Key": $(key USER#u2 PROFILE), "ConditionExpression": "attribute_exists(PK)"}},
  {"Put": {"TableName": "$TABLE", "Item": $adopted, "ConditionExpression": "attribute_not_exists(PK)"}},
  {"Delete": {"TableName": "$TABLE", "Key": $(key USER#u1 PET#007), "ConditionExpression": "version = :v",
              "ExpressionAttributeValues": {":v": {"N": "2"}}}}
]
EOF
ddb transact-write-items --transact-items "file://$work/adopt.json" >/dev/null
cat >"$work/keys.json" <<EOF
{"$TABLE": {"Keys": [$(key USER#u1 PET#007), $(key USER#u2 PET#007)], "ConsistentRead": true}}
EOF
out=$(ddb batch-get-item --request-items "file://$work/keys.json")
expect_json "$out" '[(i["PK"]["S"], i["name"]["S"], i["version"]["N"]) for i in d["Responses"]["'$TABLE'"]] == [("USER#u2", "Rex", "2")]' \
  "after adoption PET#007 should exist only under u2"

# --- cancelled transaction: the new owner does not exist ---------------------------------------
cat >"$work/cancel.json" <<EOF
[
  {"Put": {"TableName": "$TABLE", "Item": {"PK": {"S": "USER#u9"}, "SK": {"S": "PET#008"}, "name": {"S": "pet-8"}}}},
  {"Delete": {"TableName": "$TABLE", "Key": $(key USER#u1 PET#008)}},
  {"ConditionCheck": {"TableName": "$TABLE", "Key": $(key USER#u9 PROFILE), "ConditionExpression": "attribute_exists(PK)"}}
]
EOF
if ddb transact-write-items --transact-items "file://$work/cancel.json" >/dev/null 2>"$work/err"; then
  fail "transaction with a failing ConditionCheck succeeded"
fi
grep -q TransactionCanceledException "$work/err" || fail "no TransactionCanceledException in stderr: $(cat "$work/err")"
grep -q ConditionalCheckFailed "$work/err" || fail "cancellation message does not name ConditionalCheckFailed: $(cat "$work/err")"
out=$(ddb get-item --table-name "$TABLE" --key "$(key USER#u1 PET#008)" --consistent-read)
expect_json "$out" 'd["Item"]["name"] == {"S": "pet-8"}' "cancelled transaction deleted PET#008"

# --- delete table ---------------------------------------------------------------------------------
ddb delete-table --table-name "$TABLE" >/dev/null
ddb wait table-not-exists --table-name "$TABLE"
echo "ok $SCENARIO"
