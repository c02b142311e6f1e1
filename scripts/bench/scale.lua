-- wrk script for scripts/bench-scale.py: GetItem (SCALE_OP=GetItem) of random keys
-- from SCALE_KEYS (one "pk sk" pair per line), Query (SCALE_OP=Query) of their
-- partitions, or UpdateItem (SCALE_OP=UpdateItem) of those items (SET f0 to 80 new
-- characters). Unsigned requests, as ../shared/bench sends them.
local op = os.getenv("SCALE_OP") or "GetItem"
local keys = {}
for line in io.lines(os.getenv("SCALE_KEYS")) do
  local pk, sk = line:match("^(%S+) (%S+)$")
  keys[#keys + 1] = {pk, sk}
end
local headers = {
  ["Content-Type"] = "application/x-amz-json-1.0",
  ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
  ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
}
init = function(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
end
request = function()
  local k = keys[math.random(1, #keys)]
  local body
  if op == "Query" then
    body = '{"TableName":"bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"' .. k[1] .. '"}}}'
  elseif op == "UpdateItem" then
    local chars = {}
    for i = 1, 80 do chars[i] = string.char(math.random(97, 122)) end
    body = '{"TableName":"bench","Key":{"pk":{"S":"' .. k[1] .. '"},"sk":{"S":"' .. k[2] ..
      '"}},"UpdateExpression":"SET f0 = :v","ExpressionAttributeValues":{":v":{"S":"' .. table.concat(chars) .. '"}}}'
  else
    body = '{"TableName":"bench","Key":{"pk":{"S":"' .. k[1] .. '"},"sk":{"S":"' .. k[2] .. '"}}}'
  end
  return wrk.format("POST", "/", headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f requests=%d errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests / (summary.duration / 1e6), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
