//! ImportTable, DescribeImport and ListImports: every input format and compression,
//! bad records counted and skipped, DynamoDB's rules and errors, and an export read
//! back by an import item for item. The S3 stand-in is a temporary directory.

mod common;

use cairn_engine::transfer::formats::gzip;
use cairn_engine::transfer::objects::LocalDirectory;
use cairn_engine::{Engine, EngineConfig, ManualClock};
use common::call;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    engine: Engine,
    dir: tempfile::TempDir,
}

impl Setup {
    fn object(&self, key: &str, data: &[u8]) {
        let path = self.dir.path().join("source").join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("source")).unwrap();
    let config = EngineConfig {
        objects: Arc::new(LocalDirectory::new(dir.path())),
        ..EngineConfig::default()
    };
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let engine = Engine::with_clock(common::test_storage(), config, clock).unwrap();
    Setup { engine, dir }
}

fn table_params(name: &str) -> Value {
    json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                    {"AttributeName": "team", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
           "GlobalSecondaryIndexes": [{"IndexName": "by_team",
               "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
               "Projection": {"ProjectionType": "ALL"}}]})
}

fn import(engine: &Engine, name: &str, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"S3BucketSource": {"S3Bucket": "source"}, "InputFormat": "DYNAMODB_JSON",
                          "TableCreationParameters": table_params(name)});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "ImportTable", body).map(|out| out["ImportTableDescription"].clone())
}

fn finished(engine: &Engine, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = call(engine, "DescribeImport", json!({"ImportArn": arn})).unwrap()["ImportTableDescription"].clone();
        if d["ImportStatus"] != "IN_PROGRESS" {
            return d;
        }
        assert!(Instant::now() < deadline, "import still in progress: {d}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn import_done(s: &Setup, name: &str, extra: Value) -> Value {
    let started = import(&s.engine, name, extra).unwrap();
    finished(&s.engine, started["ImportArn"].as_str().unwrap())
}

fn scan(engine: &Engine, table: &str) -> Vec<Value> {
    let mut items: Vec<Value> = call(engine, "Scan", json!({"TableName": table})).unwrap()["Items"]
        .as_array()
        .unwrap()
        .clone();
    items.sort_by_key(|i| i["pk"].to_string());
    items
}

fn team(engine: &Engine, table: &str, team: &str) -> usize {
    call(
        engine,
        "Query",
        json!({"TableName": table, "IndexName": "by_team", "KeyConditionExpression": "team = :t",
               "ExpressionAttributeValues": {":t": {"S": team}}}),
    )
    .unwrap()["Count"]
        .as_u64()
        .unwrap() as usize
}

fn json_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"k{i:03}\"}},\"team\":{{\"S\":\"t{}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n",
                i % 3
            )
        })
        .collect()
}

#[test]
fn dynamodb_json_lines_become_a_new_table_with_its_indexes() {
    let s = setup();
    s.object("data/part-1.json", json_lines(30).as_bytes());
    let started = import(
        &s.engine,
        "pets",
        json!({"S3BucketSource": {"S3Bucket": "source", "S3KeyPrefix": "data/"}}),
    )
    .unwrap();
    assert_eq!(started["ImportStatus"], "IN_PROGRESS");
    assert!(started["ImportArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/pets/import/"));
    assert_eq!(started["InputCompressionType"], "NONE");
    assert_eq!(started["TableCreationParameters"]["TableName"], "pets");
    let done = finished(&s.engine, started["ImportArn"].as_str().unwrap());
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ImportedItemCount"], 30);
    assert_eq!(done["ProcessedItemCount"], 30);
    assert_eq!(done["ErrorCount"], 0);
    assert!(done["ProcessedSizeBytes"].as_i64().unwrap() > 0);
    assert!(done["EndTime"].is_number());
    let table = call(&s.engine, "DescribeTable", json!({"TableName": "pets"})).unwrap();
    assert_eq!(table["Table"]["TableStatus"], "ACTIVE");
    assert_eq!(table["Table"]["TableId"], done["TableId"]);
    assert_eq!(scan(&s.engine, "pets").len(), 30);
    assert_eq!(team(&s.engine, "pets", "t1"), 10);
}

#[test]
fn an_import_creates_the_vector_indexes_of_its_parameters_and_indexes_the_items() {
    let s = setup();
    let mut lines = String::new();
    for (pk, v) in [("a", ["1", "0"]), ("b", ["0", "1"])] {
        lines.push_str(&format!(
            "{{\"Item\":{{\"pk\":{{\"S\":\"{pk}\"}},\"v\":{{\"L\":[{{\"N\":\"{}\"}},{{\"N\":\"{}\"}}]}}}}}}\n",
            v[0], v[1]
        ));
    }
    s.object("vectors/part.json", lines.as_bytes());
    let mut params = table_params("embedded");
    params["VectorIndexes"] = json!([common::vectors::index(2, None)]);
    let done = import_done(
        &s,
        "embedded",
        json!({"S3BucketSource": {"S3Bucket": "source", "S3KeyPrefix": "vectors/"}, "TableCreationParameters": params}),
    );
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    let found = common::vectors::search(&s.engine, "embedded", &[0.1, 1.0], 2, json!({})).unwrap();
    assert_eq!(common::vectors::keys(&found), ["b", "a"]);
}

#[test]
fn ion_objects_import() {
    let s = setup();
    s.object(
        "items.ion",
        b"$ion_1_0 {Item:{pk:\"a\",team:\"x\",n:6d2,ss:$dynamodb_SS::[\"p\",\"q\"],b:{{AAE=}}}}\n$ion_1_0 {Item:{pk:\"b\",m:{deep:[1.,null,true]}}}\n",
    );
    let done = import_done(&s, "pets", json!({"InputFormat": "ION"}));
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    let items = scan(&s.engine, "pets");
    assert_eq!(items[0]["n"], json!({"N": "600"}));
    assert_eq!(items[0]["ss"], json!({"SS": ["p", "q"]}));
    assert_eq!(items[0]["b"], json!({"B": "AAE="}));
    assert_eq!(
        items[1]["m"],
        json!({"M": {"deep": {"L": [{"N": "1"}, {"NULL": true}, {"BOOL": true}]}}})
    );
}

#[test]
fn csv_takes_its_header_from_the_first_line_and_types_keys_from_the_definitions() {
    let s = setup();
    s.object("pets.csv", b"pk,team,name,age\na,x,\"Rex, the dog\",3\nb,y,Tom,\n");
    let done = import_done(&s, "pets", json!({"InputFormat": "CSV"}));
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    let items = scan(&s.engine, "pets");
    assert_eq!(
        items[0],
        json!({"pk": {"S": "a"}, "team": {"S": "x"}, "name": {"S": "Rex, the dog"}, "age": {"S": "3"}})
    );
    assert!(items[1].get("age").is_none(), "an empty column is left out");
}

#[test]
fn csv_with_a_header_list_and_delimiter_reads_every_line_as_data() {
    let s = setup();
    s.object("pets.csv", b"1|x|Rex\n2|y|Tom\n");
    let mut params = table_params("pets");
    params["AttributeDefinitions"][0]["AttributeType"] = json!("N");
    let done = import_done(
        &s,
        "pets",
        json!({"InputFormat": "CSV", "TableCreationParameters": params,
               "InputFormatOptions": {"Csv": {"Delimiter": "|", "HeaderList": ["pk", "team", "name"]}}}),
    );
    assert_eq!(done["ImportedItemCount"], 2, "{done}");
    let got = call(
        &s.engine,
        "GetItem",
        json!({"TableName": "pets", "Key": {"pk": {"N": "2"}}}),
    )
    .unwrap();
    assert_eq!(got["Item"]["name"], json!({"S": "Tom"}));
}

#[test]
fn gzip_and_zstd_objects_import() {
    let s = setup();
    s.object("gz/a.json.gz", &gzip(json_lines(5).as_bytes()));
    s.object("zs/a.json.zst", &zstd::encode_all(json_lines(7).as_bytes(), 3).unwrap());
    let done = import_done(
        &s,
        "gzipped",
        json!({"InputCompressionType": "GZIP", "S3BucketSource": {"S3Bucket": "source", "S3KeyPrefix": "gz/"}}),
    );
    assert_eq!(done["ImportedItemCount"], 5, "{done}");
    let done = import_done(
        &s,
        "zstded",
        json!({"InputCompressionType": "ZSTD", "S3BucketSource": {"S3Bucket": "source", "S3KeyPrefix": "zs/"}}),
    );
    assert_eq!(done["ImportedItemCount"], 7, "{done}");
}

#[test]
fn a_corrupt_line_is_counted_and_the_rest_imported() {
    let s = setup();
    let mut text = json_lines(10);
    text.insert_str(0, "{\"Item\": {\"pk\": {\"S\": \"broken\"\n");
    text.push_str("{\"Item\":{\"team\":{\"S\":\"no key\"}}}\n");
    text.push_str("{\"Item\":{\"pk\":{\"N\":\"1\"}}}\n");
    text.push_str("{\"Item\":{\"pk\":{\"S\":\"badgsi\"},\"team\":{\"N\":\"1\"}}}\n");
    s.object("data.json", text.as_bytes());
    let done = import_done(&s, "pets", json!({}));
    assert_eq!(done["ErrorCount"], 4, "{done}");
    assert_eq!(done["ImportedItemCount"], 10);
    assert_eq!(done["ProcessedItemCount"], 14);
    assert_eq!(done["ImportStatus"], "FAILED");
    assert_eq!(done["FailureCode"], "ItemValidationError");
    let table = call(&s.engine, "DescribeTable", json!({"TableName": "pets"})).unwrap();
    assert_eq!(
        table["Table"]["TableStatus"], "ACTIVE",
        "the valid items stay, the table opens"
    );
    assert_eq!(scan(&s.engine, "pets").len(), 10);
}

#[test]
fn an_object_that_is_not_gzip_is_one_error() {
    let s = setup();
    s.object("a.gz", b"plain text, not gzip");
    s.object("b.gz", &gzip(json_lines(3).as_bytes()));
    let done = import_done(&s, "pets", json!({"InputCompressionType": "GZIP"}));
    assert_eq!(done["ErrorCount"], 1, "{done}");
    assert_eq!(done["ImportedItemCount"], 3);
}

#[test]
fn a_repeated_key_keeps_the_last_record_and_its_index_entry() {
    let s = setup();
    s.object(
        "data.json",
        b"{\"Item\":{\"pk\":{\"S\":\"a\"},\"team\":{\"S\":\"old\"}}}\n{\"Item\":{\"pk\":{\"S\":\"a\"},\"team\":{\"S\":\"new\"}}}\n",
    );
    let done = import_done(&s, "pets", json!({}));
    assert_eq!(done["ErrorCount"], 0, "duplicates are not errors: {done}");
    assert_eq!(done["ProcessedItemCount"], 2);
    assert_eq!(scan(&s.engine, "pets").len(), 1);
    assert_eq!(team(&s.engine, "pets", "new"), 1);
    assert_eq!(team(&s.engine, "pets", "old"), 0);
}

#[test]
fn only_objects_under_the_prefix_are_read() {
    let s = setup();
    s.object("2026/a.json", json_lines(4).as_bytes());
    s.object("2025/a.json", json_lines(9).as_bytes());
    let done = import_done(
        &s,
        "pets",
        json!({"S3BucketSource": {"S3Bucket": "source", "S3KeyPrefix": "2026/"}}),
    );
    assert_eq!(done["ImportedItemCount"], 4);
    assert_eq!(done["S3BucketSource"]["S3KeyPrefix"], "2026/");
}

#[test]
fn importing_into_an_existing_table_is_resource_in_use() {
    let s = setup();
    s.object("a.json", json_lines(1).as_bytes());
    common::create_simple_table(&s.engine, "taken");
    let (code, message) = import(&s.engine, "taken", json!({})).unwrap_err();
    assert_eq!(code, "ResourceInUseException");
    assert_eq!(message, "Table already exists: taken");
    import(&s.engine, "free", json!({})).unwrap();
}

#[test]
fn a_missing_bucket_fails_the_import_without_creating_the_table() {
    let s = setup();
    let started = import(&s.engine, "pets", json!({"S3BucketSource": {"S3Bucket": "nobucket"}})).unwrap();
    let done = finished(&s.engine, started["ImportArn"].as_str().unwrap());
    assert_eq!(done["ImportStatus"], "FAILED");
    assert_eq!(done["FailureCode"], "S3NoSuchBucket");
    let (code, _) = call(&s.engine, "DescribeTable", json!({"TableName": "pets"})).unwrap_err();
    assert_eq!(code, "ResourceNotFoundException");
    s.object("a.json", json_lines(1).as_bytes());
    assert_eq!(import_done(&s, "pets", json!({}))["ImportStatus"], "COMPLETED");
}

#[test]
fn table_creation_parameters_follow_create_table_rules() {
    let s = setup();
    let mut params = table_params("pets");
    params["KeySchema"] = json!([{"AttributeName": "missing", "KeyType": "HASH"}]);
    let (code, _) = import(&s.engine, "pets", json!({"TableCreationParameters": params})).unwrap_err();
    assert_eq!(code, "ValidationException");
    let (code, _) = call(&s.engine, "DescribeTable", json!({"TableName": "pets"})).unwrap_err();
    assert_eq!(code, "ResourceNotFoundException", "a refused import creates nothing");
    import(&s.engine, "pets", json!({})).unwrap();
}

#[test]
fn bad_enums_and_missing_members_are_validation_errors() {
    let s = setup();
    let (code, message) = import(&s.engine, "pets", json!({"InputFormat": "XML"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'XML' at 'inputFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION, CSV]"
    );
    let (code, message) = import(&s.engine, "pets", json!({"InputCompressionType": "ZIP"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'inputCompressionType'"), "{message}");
    let (code, message) = import(
        &s.engine,
        "pets",
        json!({"InputFormat": "CSV", "InputFormatOptions": {"Csv": {"Delimiter": "#"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'inputFormatOptions.csv.delimiter'"), "{message}");
    let (code, message) = call(&s.engine, "ImportTable", json!({"InputFormat": "ION"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("'s3BucketSource' failed to satisfy constraint: Member must not be null"),
        "{message}"
    );
    import(
        &s.engine,
        "pets",
        json!({"InputFormat": "CSV", "InputFormatOptions": {"Csv": {"Delimiter": ";"}}}),
    )
    .unwrap();
}

#[test]
fn a_client_token_names_one_import_and_other_parameters_conflict() {
    let s = setup();
    s.object("a.json", json_lines(2).as_bytes());
    let first = import(&s.engine, "pets", json!({"ClientToken": "load-1"})).unwrap();
    let again = import(&s.engine, "pets", json!({"ClientToken": "load-1"})).unwrap();
    assert_eq!(first["ImportArn"], again["ImportArn"]);
    let (code, _) = import(
        &s.engine,
        "pets",
        json!({"ClientToken": "load-1", "InputFormat": "ION"}),
    )
    .unwrap_err();
    assert_eq!(code, "ImportConflictException");
}

#[test]
fn describe_import_of_an_unknown_arn_is_import_not_found() {
    let s = setup();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/pets/import/01900000000000-00000000";
    let (code, message) = call(&s.engine, "DescribeImport", json!({"ImportArn": arn})).unwrap_err();
    assert_eq!(code, "ImportNotFoundException");
    assert_eq!(message, format!("Import not found: {arn}"));
}

#[test]
fn list_imports_pages_with_hex_tokens() {
    let s = setup();
    s.object("a.json", json_lines(1).as_bytes());
    let arns: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|t| import_done(&s, t, json!({})))
        .map(|d| d["ImportArn"].as_str().unwrap().to_string())
        .collect();
    let page = call(&s.engine, "ListImports", json!({"PageSize": 2})).unwrap();
    assert_eq!(page["ImportSummaryList"].as_array().unwrap().len(), 2);
    let token = page["NextToken"].as_str().unwrap();
    assert!(token.len() >= 112 && token.len() % 16 == 0, "{token}");
    let rest = call(&s.engine, "ListImports", json!({"PageSize": 2, "NextToken": token})).unwrap();
    assert_eq!(rest["ImportSummaryList"].as_array().unwrap().len(), 1);
    let mut listed: Vec<String> = page["ImportSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["ImportSummaryList"].as_array().unwrap())
        .map(|s| s["ImportArn"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut expected = arns.clone();
    expected.sort();
    assert_eq!(listed, expected);
    let one = call(
        &s.engine,
        "ListImports",
        json!({"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/two"}),
    )
    .unwrap();
    assert_eq!(one["ImportSummaryList"][0]["ImportArn"], arns[1].as_str());
    assert_eq!(one["ImportSummaryList"][0]["ImportStatus"], "COMPLETED");
    let (code, _) = call(&s.engine, "ListImports", json!({"NextToken": "xyz"})).unwrap_err();
    assert_eq!(code, "ValidationException");
}

fn export_then_import(format: &str) {
    let s = setup();
    std::fs::create_dir(s.dir.path().join("exports")).unwrap();
    common::create_simple_table(&s.engine, "src");
    call(
        &s.engine,
        "UpdateContinuousBackups",
        json!({"TableName": "src", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    )
    .unwrap();
    for i in 0..200 {
        call(
            &s.engine,
            "PutItem",
            json!({"TableName": "src", "Item": {"pk": {"S": format!("k{i}")}, "n": {"N": format!("{i}.5")},
                   "m": {"M": {"l": {"L": [{"S": "x"}, {"B": "AAE="}]}, "ns": {"NS": ["1", "2"]}}},
                   "flag": {"BOOL": i % 2 == 0}, "nothing": {"NULL": true}}}),
        )
        .unwrap();
    }
    let started = call(
        &s.engine,
        "ExportTableToPointInTime",
        json!({"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/src", "S3Bucket": "exports",
               "S3Prefix": "round", "ExportFormat": format}),
    )
    .unwrap();
    let arn = started["ExportDescription"]["ExportArn"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(&s.engine, "DescribeExport", json!({"ExportArn": arn})).unwrap()["ExportDescription"]["ExportStatus"]
        == "IN_PROGRESS"
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    let export_id = arn.rsplit('/').next().unwrap();
    let done = {
        let started = call(
            &s.engine,
            "ImportTable",
            json!({"S3BucketSource": {"S3Bucket": "exports", "S3KeyPrefix": format!("round/AWSDynamoDB/{export_id}/data/")},
                   "InputFormat": format, "InputCompressionType": "GZIP",
                   "TableCreationParameters": {"TableName": "copy",
                       "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}}),
        )
        .unwrap();
        finished(
            &s.engine,
            started["ImportTableDescription"]["ImportArn"].as_str().unwrap(),
        )
    };
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ImportedItemCount"], 200);
    assert_eq!(scan(&s.engine, "copy"), scan(&s.engine, "src"));
    assert!(Path::new(&s.dir.path().join("exports/round/AWSDynamoDB").join(export_id)).is_dir());
}

#[test]
fn an_export_imports_back_identical_in_dynamodb_json() {
    export_then_import("DYNAMODB_JSON");
}

#[test]
fn an_export_imports_back_identical_in_ion() {
    export_then_import("ION");
}

/// An object store whose reads wait until the test opens the gate.
#[derive(Debug)]
struct Gated {
    inner: LocalDirectory,
    open: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
}

impl cairn_engine::transfer::objects::ObjectStore for Gated {
    fn put(&self, b: &str, k: &str, d: &[u8]) -> Result<(), cairn_engine::transfer::objects::ObjectError> {
        self.inner.put(b, k, d)
    }
    fn get(&self, b: &str, k: &str) -> Result<Option<Vec<u8>>, cairn_engine::transfer::objects::ObjectError> {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
        self.inner.get(b, k)
    }
    fn list(
        &self,
        b: &str,
        p: &str,
    ) -> Result<Vec<cairn_engine::transfer::objects::ObjectInfo>, cairn_engine::transfer::objects::ObjectError> {
        self.inner.list(b, p)
    }
}

#[test]
fn a_table_being_imported_is_creating_and_refuses_item_requests_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("source")).unwrap();
    std::fs::write(dir.path().join("source/a.json"), json_lines(3)).unwrap();
    let gated = Arc::new(Gated {
        inner: LocalDirectory::new(dir.path()),
        open: std::sync::Mutex::new(false),
        changed: std::sync::Condvar::new(),
    });
    let config = EngineConfig {
        objects: gated.clone(),
        ..EngineConfig::default()
    };
    let engine = Engine::new(common::test_storage(), config).unwrap();
    let started = import(&engine, "pets", json!({})).unwrap();

    let table = call(&engine, "DescribeTable", json!({"TableName": "pets"})).unwrap();
    assert_eq!(table["Table"]["TableStatus"], "CREATING");
    let (code, _) = call(
        &engine,
        "GetItem",
        json!({"TableName": "pets", "Key": {"pk": {"S": "k000"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = call(
        &engine,
        "PutItem",
        json!({"TableName": "pets", "Item": {"pk": {"S": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = call(&engine, "DeleteTable", json!({"TableName": "pets"})).unwrap_err();
    assert_eq!(code, "ResourceInUseException");

    *gated.open.lock().unwrap() = true;
    gated.changed.notify_all();
    let done = finished(&engine, started["ImportArn"].as_str().unwrap());
    assert_eq!(done["ImportStatus"], "COMPLETED");
    let table = call(&engine, "DescribeTable", json!({"TableName": "pets"})).unwrap();
    assert_eq!(table["Table"]["TableStatus"], "ACTIVE");
    call(
        &engine,
        "GetItem",
        json!({"TableName": "pets", "Key": {"pk": {"S": "k000"}}}),
    )
    .unwrap();
}

#[test]
fn an_ion_object_with_an_unterminated_comment_ends_as_one_error() {
    let s = setup();
    s.object(
        "a.ion",
        b"$ion_1_0 {Item:{pk:\"a\"}}\n/* never closed\n{Item:{pk:\"b\"}}\n",
    );
    let done = import_done(&s, "pets", json!({"InputFormat": "ION"}));
    assert_eq!(done["ImportedItemCount"], 1, "{done}");
    assert_eq!(done["ErrorCount"], 1);
    assert_eq!(done["ImportStatus"], "FAILED");
}
