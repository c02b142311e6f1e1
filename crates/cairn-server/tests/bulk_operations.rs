//! StartBulkPutItems, DescribeBulkOperation, ListBulkOperations and
//! CancelBulkOperation: records from objects written into an existing table as puts
//! (conditions, indexes and streams included), failures counted and reported.

mod common;

use cairn_engine::transfer::formats::gzip;
use cairn_engine::transfer::objects::LocalDirectory;
use cairn_engine::{Engine, EngineConfig};
use common::call;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    engine: Arc<Engine>,
    dir: tempfile::TempDir,
}

impl Setup {
    fn object(&self, key: &str, data: &[u8]) {
        let path = self.dir.path().join("input").join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    fn report_files(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![self.dir.path().join("reports")];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(self.dir.path()).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    }
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("input")).unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let config = EngineConfig {
        objects: Arc::new(LocalDirectory::new(dir.path())),
        ..EngineConfig::default()
    };
    let engine = Arc::new(Engine::new(common::test_storage(), config).unwrap());
    engine.attach();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "pets", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "team", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
               "GlobalSecondaryIndexes": [{"IndexName": "by_team",
                   "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "KEYS_ONLY"}}]}),
    )
    .unwrap();
    Setup { engine, dir }
}

fn start(engine: &Engine, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"TableName": "pets",
                          "InputS3Configuration": {"S3Bucket": "input", "InputFormat": "DYNAMODB_JSON"},
                          "OutputS3Configuration": {"S3Bucket": "reports", "OutputType": ["ERROR", "CONDITION_CHECK_FAILURE"]}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "StartBulkPutItems", body).map(|out| out["BulkOperationDescription"].clone())
}

fn finished(engine: &Engine, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = call(engine, "DescribeBulkOperation", json!({"BulkOperationArn": arn})).unwrap()
            ["BulkOperationDescription"]
            .clone();
        if !matches!(d["BulkOperationStatus"].as_str(), Some("IN_PROGRESS" | "CANCELLING")) {
            return d;
        }
        assert!(Instant::now() < deadline, "operation still running: {d}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(s: &Setup, extra: Value) -> Value {
    let started = start(&s.engine, extra).unwrap();
    finished(&s.engine, started["BulkOperationArn"].as_str().unwrap())
}

fn lines(n: usize, from: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"k{i:03}\"}},\"team\":{{\"S\":\"t{}\"}}}}}}\n",
                i % 2
            )
        })
        .collect()
}

fn count(engine: &Engine) -> u64 {
    call(engine, "Scan", json!({"TableName": "pets", "Select": "COUNT"})).unwrap()["Count"]
        .as_u64()
        .unwrap()
}

#[test]
fn records_are_put_into_the_existing_table_with_indexes_and_usage() {
    let s = setup();
    call(
        &s.engine,
        "PutItem",
        json!({"TableName": "pets", "Item": {"pk": {"S": "k000"}, "old": {"S": "x"}}}),
    )
    .unwrap();
    s.object("a.json", lines(20, 0).as_bytes());
    s.object("b.json.gz", &gzip(lines(10, 20).as_bytes()));
    let started = start(
        &s.engine,
        json!({"InputS3Configuration": {"S3Bucket": "input", "InputFormat": "DYNAMODB_JSON", "S3KeyPrefix": "a"}}),
    )
    .unwrap();
    assert_eq!(started["BulkOperationStatus"], "IN_PROGRESS");
    assert_eq!(started["PerformanceTier"], "STANDARD");
    assert_eq!(
        started["TableDetails"][0]["TableName"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/pets"
    );
    assert!(started["BulkOperationArn"].as_str().unwrap().len() >= 37);
    let done = finished(&s.engine, started["BulkOperationArn"].as_str().unwrap());
    assert_eq!(done["BulkOperationStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ProcessedItemCount"], 20);
    assert_eq!(done["FailedItemCount"], 0);
    assert!(done["EndTime"].is_number());
    assert_eq!(done["ProcessedInputBytes"], done["TotalInputBytes"]);
    let usage = &done["BulkOperationUsage"][0];
    assert!(usage["Table"]["BulkPutBytes"].as_i64().unwrap() > 0);
    assert!(
        usage["GlobalSecondaryIndexes"]["by_team"]["BulkPutBytes"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert_eq!(count(&s.engine), 20);
    let replaced = call(
        &s.engine,
        "GetItem",
        json!({"TableName": "pets", "Key": {"pk": {"S": "k000"}}}),
    )
    .unwrap();
    assert!(
        replaced["Item"].get("old").is_none(),
        "a record replaces the whole item, as PutItem does"
    );
    let team = call(
        &s.engine,
        "Query",
        json!({"TableName": "pets", "IndexName": "by_team", "KeyConditionExpression": "team = :t",
               "ExpressionAttributeValues": {":t": {"S": "t1"}}}),
    )
    .unwrap();
    assert_eq!(team["Count"], 10);
}

#[test]
fn bulk_writes_appear_on_the_table_stream() {
    let s = setup();
    s.object("a.json", lines(3, 0).as_bytes());
    run(&s, json!({}));
    let table = call(&s.engine, "DescribeTable", json!({"TableName": "pets"})).unwrap();
    let stream = table["Table"]["LatestStreamArn"].as_str().unwrap().to_string();
    let shard = common::call_streams(&s.engine, "DescribeStream", json!({"StreamArn": stream})).unwrap()
        ["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_string();
    let iterator = common::call_streams(
        &s.engine,
        "GetShardIterator",
        json!({"StreamArn": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap()["ShardIterator"]
        .clone();
    let records = common::call_streams(&s.engine, "GetRecords", json!({"ShardIterator": iterator})).unwrap();
    assert_eq!(records["Records"].as_array().unwrap().len(), 3);
}

#[test]
fn invalid_records_are_counted_reported_and_skipped() {
    let s = setup();
    let mut text = lines(5, 0);
    text.push_str("not json\n");
    text.push_str("{\"Item\":{\"team\":{\"S\":\"no key\"}}}\n");
    text.push_str("{\"NoItem\":{}}\n");
    s.object("a.json", text.as_bytes());
    let done = run(&s, json!({}));
    assert_eq!(done["BulkOperationStatus"], "COMPLETED_WITH_ERRORS", "{done}");
    assert_eq!(done["ProcessedItemCount"], 8);
    assert_eq!(done["FailedItemCount"], 3);
    assert_eq!(count(&s.engine), 5);
    let id = done["BulkOperationArn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let files = s.report_files();
    assert!(files.contains(&format!("reports/{id}/errors/00000.json")), "{files:?}");
    assert!(files.contains(&format!("reports/{id}/manifest.json")), "{files:?}");
    let report = std::fs::read_to_string(s.dir.path().join(format!("reports/{id}/errors/00000.json"))).unwrap();
    let first: Value = serde_json::from_str(report.lines().next().unwrap()).unwrap();
    assert_eq!(first["itemS3Pointer"]["key"], "a.json");
    assert_eq!(first["itemS3Pointer"]["itemIndex"], 5);
    assert!(report.contains("Missing the key pk in the item"), "{report}");
}

#[test]
fn a_record_condition_that_fails_is_reported_with_the_existing_item_not_as_an_error() {
    let s = setup();
    call(
        &s.engine,
        "PutItem",
        json!({"TableName": "pets", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}),
    )
    .unwrap();
    s.object(
        "a.json",
        b"{\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"2\"}},\"ConditionExpression\":\"attribute_not_exists(pk)\"}\n{\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"N\":\"2\"}},\"ConditionExpression\":\"attribute_not_exists(#k)\",\"ExpressionAttributeNames\":{\"#k\":\"pk\"}}\n",
    );
    let done = run(&s, json!({}));
    assert_eq!(
        done["BulkOperationStatus"], "COMPLETED",
        "condition failures are not errors: {done}"
    );
    assert_eq!(done["ProcessedItemCount"], 2);
    assert_eq!(done["FailedItemCount"], 0);
    let a = call(
        &s.engine,
        "GetItem",
        json!({"TableName": "pets", "Key": {"pk": {"S": "a"}}}),
    )
    .unwrap();
    assert_eq!(a["Item"]["v"], json!({"N": "1"}), "the failed condition kept the item");
    let id = done["BulkOperationArn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let report = std::fs::read_to_string(
        s.dir
            .path()
            .join(format!("reports/{id}/condition-check-failures/00000.json")),
    )
    .unwrap();
    let line: Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(line["Item"]["v"], json!({"N": "2"}));
    assert_eq!(line["ExistingItem"]["v"], json!({"N": "1"}));
}

#[test]
fn ion_records_are_read() {
    let s = setup();
    s.object("a.ion", b"$ion_1_0 {Item:{pk:\"a\",n:6d2}}\n$ion_1_0 {Item:{pk:\"b\"},ConditionExpression:\"attribute_not_exists(pk)\"}\n");
    let done = run(
        &s,
        json!({"InputS3Configuration": {"S3Bucket": "input", "InputFormat": "ION"}}),
    );
    assert_eq!(done["BulkOperationStatus"], "COMPLETED", "{done}");
    assert_eq!(count(&s.engine), 2);
}

#[test]
fn a_missing_table_is_resource_not_found() {
    let s = setup();
    let (code, message) = start(&s.engine, json!({"TableName": "nope"})).unwrap_err();
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(message, "Requested resource not found");
    s.object("a.json", lines(1, 0).as_bytes());
    run(&s, json!({}));
}

#[test]
fn input_rules_are_validation_errors() {
    let s = setup();
    let (code, message) = start(&s.engine, json!({"MaxWriteRequestUnits": 1000})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value '1000' at 'maxWriteRequestUnits' failed to satisfy constraint: Member must have value greater than or equal to 1024"
    );
    let (code, message) = start(
        &s.engine,
        json!({"InputS3Configuration": {"S3Bucket": "input", "InputFormat": "CSV"}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("Member must satisfy enum value set: [DYNAMODB_JSON, ION]"),
        "{message}"
    );
    let (code, message) = start(&s.engine, json!({"PerformanceTier": "FAST"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'performanceTier'"), "{message}");
    let (code, message) = start(
        &s.engine,
        json!({"OutputS3Configuration": {"S3Bucket": "reports", "OutputType": ["EVERYTHING"]}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("[ERROR, CONDITION_CHECK_FAILURE]"), "{message}");
    start(
        &s.engine,
        json!({"MaxWriteRequestUnits": 1024, "PerformanceTier": "ACCELERATED"}),
    )
    .unwrap();
}

#[test]
fn a_client_token_names_one_operation_and_other_parameters_mismatch() {
    let s = setup();
    s.object("a.json", lines(1, 0).as_bytes());
    let first = start(&s.engine, json!({"ClientToken": "t-1"})).unwrap();
    let again = start(&s.engine, json!({"ClientToken": "t-1"})).unwrap();
    assert_eq!(first["BulkOperationArn"], again["BulkOperationArn"]);
    let (code, _) = start(
        &s.engine,
        json!({"ClientToken": "t-1", "PerformanceTier": "ACCELERATED"}),
    )
    .unwrap_err();
    assert_eq!(code, "IdempotentParameterMismatchException");
}

#[test]
fn a_missing_input_bucket_fails_the_operation() {
    let s = setup();
    let started = start(
        &s.engine,
        json!({"InputS3Configuration": {"S3Bucket": "nobucket", "InputFormat": "ION"}}),
    )
    .unwrap();
    assert_eq!(started["BulkOperationStatus"], "FAILED");
    assert_eq!(started["FailureCode"], "S3NoSuchBucket");
}

#[test]
fn cancel_stops_an_operation_and_keeps_what_it_wrote() {
    let s = setup();
    s.object("a.json", lines(2000, 0).as_bytes());
    // 1024 write units a second holds 2,000 one-unit puts to about two seconds.
    let started = start(&s.engine, json!({"MaxWriteRequestUnits": 1024})).unwrap();
    let arn = started["BulkOperationArn"].as_str().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = call(&s.engine, "CancelBulkOperation", json!({"BulkOperationArn": arn})).unwrap();
    assert_eq!(out["BulkOperationStatus"], "CANCELLING");
    let done = finished(&s.engine, arn);
    assert_eq!(done["BulkOperationStatus"], "CANCELLED", "{done}");
    assert_eq!(done["FailureCode"], "BulkOperationCancelled");
    let written = count(&s.engine);
    assert!(
        written > 0 && written < 2000,
        "{written} items written before the cancel"
    );
    let (code, _) = call(&s.engine, "CancelBulkOperation", json!({"BulkOperationArn": arn})).unwrap_err();
    assert_eq!(code, "ValidationException", "an ended operation cannot be cancelled");
}

#[test]
fn describe_and_cancel_of_an_unknown_arn_are_resource_not_found() {
    let s = setup();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/pets/bulk-operation/01900000000000-00000000";
    for op in ["DescribeBulkOperation", "CancelBulkOperation"] {
        let (code, message) = call(&s.engine, op, json!({"BulkOperationArn": arn})).unwrap_err();
        assert_eq!(code, "ResourceNotFoundException", "{op}");
        assert_eq!(message, format!("Bulk operation not found: {arn}"));
    }
}

#[test]
fn list_bulk_operations_is_most_recent_first_in_pages() {
    let s = setup();
    s.object("a.json", lines(1, 0).as_bytes());
    let arns: Vec<String> = (0..3)
        .map(|_| run(&s, json!({}))["BulkOperationArn"].as_str().unwrap().to_string())
        .collect();
    let page = call(&s.engine, "ListBulkOperations", json!({"MaxResults": 2})).unwrap();
    let listed: Vec<&str> = page["BulkOperationsSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["BulkOperationArn"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [arns[2].as_str(), arns[1].as_str()]);
    let token = page["NextToken"].as_str().unwrap();
    assert_eq!(token.len(), 16);
    let rest = call(
        &s.engine,
        "ListBulkOperations",
        json!({"MaxResults": 2, "NextToken": token}),
    )
    .unwrap();
    assert_eq!(
        rest["BulkOperationsSummaryList"][0]["BulkOperationArn"],
        arns[0].as_str()
    );
    assert_eq!(rest["BulkOperationsSummaryList"][0]["BulkOperationStatus"], "COMPLETED");
    assert!(rest.get("NextToken").is_none());
    let (code, _) = call(&s.engine, "ListBulkOperations", json!({"NextToken": "XYZ"})).unwrap_err();
    assert_eq!(code, "ValidationException");
}

#[test]
fn a_missing_output_bucket_fails_the_operation() {
    let s = setup();
    s.object("a.json", lines(1, 0).as_bytes());
    let started = start(
        &s.engine,
        json!({"OutputS3Configuration": {"S3Bucket": "noreports", "OutputType": ["ERROR"]}}),
    )
    .unwrap();
    assert_eq!(started["BulkOperationStatus"], "FAILED");
    assert_eq!(started["FailureCode"], "S3NoSuchBucket");
    assert_eq!(count(&s.engine), 0);
}
