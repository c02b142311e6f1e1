//! ExportTableToPointInTime, DescribeExport and ListExports: the files AWS writes,
//! their content at the chosen instant, incremental change records, and DynamoDB's
//! rules and errors. The S3 stand-in is a temporary directory; the clock is the
//! test's, so windows of hours pass at once.

mod common;

use cairn_engine::transfer::formats::{decompress, json_item, Compression};
use cairn_engine::transfer::ion;
use cairn_engine::transfer::objects::LocalDirectory;
use cairn_engine::{Clock, Engine, EngineConfig, ManualClock};
use cairn_model::Item;
use common::call;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/pets";

struct Setup {
    engine: Engine,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

impl Setup {
    fn bucket(&self) -> PathBuf {
        self.dir.path().join("exports")
    }
}

fn setup_with_pitr(pitr: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let config = EngineConfig {
        objects: Arc::new(LocalDirectory::new(dir.path())),
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(common::test_storage(), config, clock.clone()).unwrap();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "pets", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    )
    .unwrap();
    if pitr {
        call(
            &engine,
            "UpdateContinuousBackups",
            json!({"TableName": "pets", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
        )
        .unwrap();
    }
    Setup { engine, clock, dir }
}

fn setup() -> Setup {
    setup_with_pitr(true)
}

fn put(engine: &Engine, pk: &str, v: &str) {
    call(
        engine,
        "PutItem",
        json!({"TableName": "pets", "Item": {"pk": {"S": pk}, "v": {"S": v}}}),
    )
    .unwrap();
}

fn delete(engine: &Engine, pk: &str) {
    call(
        engine,
        "DeleteItem",
        json!({"TableName": "pets", "Key": {"pk": {"S": pk}}}),
    )
    .unwrap();
}

fn export(engine: &Engine, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"TableArn": TABLE_ARN, "S3Bucket": "exports"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "ExportTableToPointInTime", body).map(|out| out["ExportDescription"].clone())
}

/// Waits for the export to leave IN_PROGRESS; returns its description.
fn finished(engine: &Engine, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = call(engine, "DescribeExport", json!({"ExportArn": arn})).unwrap();
        let d = out["ExportDescription"].clone();
        if d["ExportStatus"] != "IN_PROGRESS" {
            return d;
        }
        assert!(Instant::now() < deadline, "export still in progress: {d}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every line of every data file the export's manifest lists.
fn data_lines(bucket: &Path, description: &Value) -> Vec<String> {
    let summary = read_json(&bucket.join(description["ExportManifest"].as_str().unwrap()));
    let manifest = std::fs::read_to_string(bucket.join(summary["manifestFilesS3Key"].as_str().unwrap())).unwrap();
    let mut lines = Vec::new();
    for entry in manifest.lines() {
        let entry: Value = serde_json::from_str(entry).unwrap();
        let data = std::fs::read(bucket.join(entry["dataFileS3Key"].as_str().unwrap())).unwrap();
        let text = String::from_utf8(decompress(&data, Compression::Gzip).unwrap().into_owned()).unwrap();
        let file_lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert_eq!(entry["itemCount"], json!(file_lines.len()), "itemCount of {entry}");
        lines.extend(file_lines);
    }
    lines
}

fn items_by_key(lines: &[String]) -> BTreeMap<String, Item> {
    lines
        .iter()
        .map(|line| {
            let item = json_item(line.as_bytes()).unwrap();
            let key = match item.get("pk") {
                Some(cairn_model::AttributeValue::S(s)) => s.clone(),
                other => panic!("no pk: {other:?}"),
            };
            (key, item)
        })
        .collect()
}

fn v_of(item: &Item) -> String {
    match item.get("v") {
        Some(cairn_model::AttributeValue::S(s)) => s.clone(),
        other => panic!("no v: {other:?}"),
    }
}

#[test]
fn full_export_writes_the_aws_layout_with_every_item() {
    let s = setup();
    for i in 0..50 {
        put(&s.engine, &format!("k{i:02}"), &format!("v{i}"));
    }
    let started = export(&s.engine, json!({"S3Prefix": "nightly"})).unwrap();
    assert_eq!(started["ExportStatus"], "IN_PROGRESS");
    assert_eq!(started["ExportType"], "FULL_EXPORT");
    assert_eq!(started["ExportFormat"], "DYNAMODB_JSON");
    assert_eq!(started["S3SseAlgorithm"], "AES256");
    let arn = started["ExportArn"].as_str().unwrap();
    let export_id = arn.rsplit('/').next().unwrap();
    assert!(arn.starts_with(&format!("{TABLE_ARN}/export/")), "{arn}");
    assert_eq!(export_id.len(), 23, "{export_id}");
    assert_eq!(
        started["ExportManifest"],
        format!("nightly/AWSDynamoDB/{export_id}/manifest-summary.json")
    );

    let done = finished(&s.engine, arn);
    assert_eq!(done["ExportStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ItemCount"], 50);
    assert!(done["BilledSizeBytes"].as_i64().unwrap() > 0);
    let dir = s.bucket().join(format!("nightly/AWSDynamoDB/{export_id}"));
    for name in [
        "_started",
        "manifest-summary.json",
        "manifest-summary.md5",
        "manifest-files.json",
        "manifest-files.md5",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let summary = read_json(&dir.join("manifest-summary.json"));
    assert_eq!(summary["exportArn"], arn);
    assert_eq!(summary["itemCount"], 50);
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(summary["exportType"], "FULL_EXPORT");
    assert_eq!(summary["tableArn"], TABLE_ARN);
    assert_eq!(
        summary["manifestFilesS3Key"],
        format!("nightly/AWSDynamoDB/{export_id}/manifest-files.json")
    );
    let lines = data_lines(&s.bucket(), &done);
    let items = items_by_key(&lines);
    assert_eq!(items.len(), 50);
    assert_eq!(v_of(&items["k07"]), "v7");
}

#[test]
fn manifest_checksums_are_the_md5_of_what_they_describe() {
    use base64::Engine as _;
    use md5::Digest as _;
    let s = setup();
    put(&s.engine, "a", "1");
    let done = finished(
        &s.engine,
        export(&s.engine, json!({})).unwrap()["ExportArn"].as_str().unwrap(),
    );
    let summary_path = s.bucket().join(done["ExportManifest"].as_str().unwrap());
    let md5 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes));
    let summary = std::fs::read(&summary_path).unwrap();
    let recorded = std::fs::read_to_string(summary_path.with_file_name("manifest-summary.md5")).unwrap();
    assert_eq!(recorded, md5(&summary));
    let manifest = std::fs::read_to_string(summary_path.with_file_name("manifest-files.json")).unwrap();
    let entry: Value = serde_json::from_str(manifest.lines().next().unwrap()).unwrap();
    let data = std::fs::read(s.bucket().join(entry["dataFileS3Key"].as_str().unwrap())).unwrap();
    assert_eq!(entry["md5Checksum"], md5(&data));
}

#[test]
fn an_empty_table_exports_one_empty_data_file() {
    let s = setup();
    let done = finished(
        &s.engine,
        export(&s.engine, json!({})).unwrap()["ExportArn"].as_str().unwrap(),
    );
    assert_eq!(done["ExportStatus"], "COMPLETED");
    assert_eq!(done["ItemCount"], 0);
    assert!(data_lines(&s.bucket(), &done).is_empty());
}

#[test]
fn ion_export_writes_one_ion_item_per_line() {
    let s = setup();
    call(
        &s.engine,
        "PutItem",
        json!({"TableName": "pets", "Item": {"pk": {"S": "a"}, "n": {"N": "600"}, "ss": {"SS": ["x", "y"]}, "b": {"B": "AAE="}}}),
    )
    .unwrap();
    let done = finished(
        &s.engine,
        export(&s.engine, json!({"ExportFormat": "ION"})).unwrap()["ExportArn"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(done["ExportFormat"], "ION");
    let lines = data_lines(&s.bucket(), &done);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("$ion_1_0 {Item:{"), "{}", lines[0]);
    assert!(lines[0].contains("ss:$dynamodb_SS::[\"x\",\"y\"]"), "{}", lines[0]);
    assert!(lines[0].contains("n:600."), "{}", lines[0]);
    let value = ion::Reader::new(lines[0].as_bytes()).next_value().unwrap().unwrap();
    let item = ion::item_of(value).unwrap();
    assert_eq!(item.len(), 4);
}

#[test]
fn export_at_an_earlier_time_holds_the_table_as_it_was_then() {
    let s = setup();
    put(&s.engine, "a", "1");
    put(&s.engine, "b", "1");
    s.clock.advance(60.0);
    let before = s.clock.now_seconds();
    s.clock.advance(60.0);
    put(&s.engine, "a", "2");
    delete(&s.engine, "b");
    put(&s.engine, "c", "1");
    s.clock.advance(1.0);

    let at_before = finished(
        &s.engine,
        export(&s.engine, json!({"ExportTime": before})).unwrap()["ExportArn"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(at_before["ExportTime"], json!(before));
    let items = items_by_key(&data_lines(&s.bucket(), &at_before));
    assert_eq!(items.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(v_of(&items["a"]), "1");

    let now = finished(
        &s.engine,
        export(&s.engine, json!({})).unwrap()["ExportArn"].as_str().unwrap(),
    );
    let items = items_by_key(&data_lines(&s.bucket(), &now));
    assert_eq!(items.keys().collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(v_of(&items["a"]), "2");
}

#[test]
fn incremental_export_holds_each_changed_item_once_with_its_images() {
    let s = setup();
    put(&s.engine, "kept", "0");
    put(&s.engine, "updated", "0");
    put(&s.engine, "deleted", "0");
    s.clock.advance(10.0);
    let from = s.clock.now_seconds();
    s.clock.advance(60.0);
    put(&s.engine, "updated", "1");
    put(&s.engine, "updated", "2");
    delete(&s.engine, "deleted");
    put(&s.engine, "created", "1");
    put(&s.engine, "fleeting", "1");
    delete(&s.engine, "fleeting");
    s.clock.advance(20.0 * 60.0);
    let to = s.clock.now_seconds();
    s.clock.advance(5.0);
    put(&s.engine, "after", "1");

    let started = export(
        &s.engine,
        json!({"ExportType": "INCREMENTAL_EXPORT",
               "IncrementalExportSpecification": {"ExportFromTime": from, "ExportToTime": to}}),
    )
    .unwrap();
    assert_eq!(
        started["IncrementalExportSpecification"]["ExportViewType"], "NEW_AND_OLD_IMAGES",
        "the default view"
    );
    let done = finished(&s.engine, started["ExportArn"].as_str().unwrap());
    assert_eq!(done["ExportStatus"], "COMPLETED", "{done}");
    let records: BTreeMap<String, Value> = data_lines(&s.bucket(), &done)
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["Keys"]["pk"]["S"].as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(records.keys().collect::<Vec<_>>(), ["created", "deleted", "updated"]);
    let updated = &records["updated"];
    assert_eq!(updated["NewImage"]["v"]["S"], "2");
    assert_eq!(updated["OldImage"]["v"]["S"], "0");
    assert!(
        updated["Metadata"]["WriteTimestampMicros"]["N"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(records["deleted"].get("NewImage").is_none());
    assert_eq!(records["deleted"]["OldImage"]["v"]["S"], "0");
    assert!(records["created"].get("OldImage").is_none());
    let summary = read_json(&s.bucket().join(done["ExportManifest"].as_str().unwrap()));
    assert_eq!(summary["exportType"], "INCREMENTAL_EXPORT");
    assert_eq!(summary["outputView"], "NEW_AND_OLD_IMAGES");
}

#[test]
fn incremental_export_with_new_image_view_has_no_old_images() {
    let s = setup();
    put(&s.engine, "a", "0");
    s.clock.advance(10.0);
    let from = s.clock.now_seconds();
    put(&s.engine, "a", "1");
    delete(&s.engine, "a");
    put(&s.engine, "b", "1");
    s.clock.advance(15.0 * 60.0);
    let done = finished(
        &s.engine,
        export(
            &s.engine,
            json!({"ExportType": "INCREMENTAL_EXPORT",
                   "IncrementalExportSpecification": {"ExportFromTime": from, "ExportViewType": "NEW_IMAGE"}}),
        )
        .unwrap()["ExportArn"]
            .as_str()
            .unwrap(),
    );
    let lines = data_lines(&s.bucket(), &done);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains("OldImage")), "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.contains("\"Keys\":{\"pk\":{\"S\":\"a\"}}") && !l.contains("NewImage")));
}

#[test]
fn export_needs_point_in_time_recovery() {
    let s = setup_with_pitr(false);
    let (code, message) = export(&s.engine, json!({})).unwrap_err();
    assert_eq!(code, "PointInTimeRecoveryUnavailableException");
    assert_eq!(message, "Point in time recovery is not enabled for table 'pets'");
    call(
        &s.engine,
        "UpdateContinuousBackups",
        json!({"TableName": "pets", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    )
    .unwrap();
    export(&s.engine, json!({})).unwrap();
}

#[test]
fn export_of_a_missing_table_is_table_not_found() {
    let s = setup();
    let (code, message) = export(
        &s.engine,
        json!({"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/nope"}),
    )
    .unwrap_err();
    assert_eq!(code, "TableNotFoundException");
    assert_eq!(message, "Table not found: nope");
    export(&s.engine, json!({})).unwrap();
}

#[test]
fn export_time_outside_the_recovery_window_is_invalid_export_time() {
    let s = setup();
    let now = s.clock.now_seconds();
    let (code, message) = export(&s.engine, json!({"ExportTime": now - 3600.0})).unwrap_err();
    assert_eq!(code, "InvalidExportTimeException");
    assert!(message.starts_with("ExportTime '"), "{message}");
    let (code, _) = export(&s.engine, json!({"ExportTime": now + 3600.0})).unwrap_err();
    assert_eq!(code, "InvalidExportTimeException");
    export(&s.engine, json!({"ExportTime": now})).unwrap();
}

#[test]
fn incremental_window_is_fifteen_minutes_to_a_day() {
    let s = setup();
    let from = s.clock.now_seconds();
    s.clock.advance(2.0 * 86_400.0);
    let spec = |from: f64, to: f64| {
        json!({"ExportType": "INCREMENTAL_EXPORT",
               "IncrementalExportSpecification": {"ExportFromTime": from, "ExportToTime": to}})
    };
    let (code, message) = export(&s.engine, spec(from, from + 14.0 * 60.0)).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("at least 15 minutes"), "{message}");
    let (code, message) = export(&s.engine, spec(from, from + 86_401.0)).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("no longer than 24 hours"), "{message}");
    let (code, message) = export(&s.engine, json!({"ExportType": "INCREMENTAL_EXPORT"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("ExportFromTime"), "{message}");
    export(&s.engine, spec(from, from + 15.0 * 60.0)).unwrap();
}

#[test]
fn incremental_settings_belong_to_incremental_exports() {
    let s = setup();
    let now = s.clock.now_seconds();
    let (code, _) = export(
        &s.engine,
        json!({"IncrementalExportSpecification": {"ExportFromTime": now}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    let (code, _) = export(
        &s.engine,
        json!({"ExportType": "INCREMENTAL_EXPORT", "ExportTime": now,
               "IncrementalExportSpecification": {"ExportFromTime": now}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
}

#[test]
fn bad_enums_and_missing_members_are_validation_errors() {
    let s = setup();
    let (code, message) = export(&s.engine, json!({"ExportFormat": "CSV"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'CSV' at 'exportFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION]"
    );
    let (code, message) = call(&s.engine, "ExportTableToPointInTime", json!({"TableArn": TABLE_ARN})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("'s3Bucket' failed to satisfy constraint: Member must not be null"),
        "{message}"
    );
    let (code, message) = export(&s.engine, json!({"S3Bucket": "-bad-"})).unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("regular expression pattern"), "{message}");
    export(&s.engine, json!({"ExportFormat": "ION"})).unwrap();
}

#[test]
fn a_missing_bucket_fails_the_export_with_s3_no_such_bucket() {
    let s = setup();
    let started = export(&s.engine, json!({"S3Bucket": "nobucket"})).unwrap();
    let done = finished(&s.engine, started["ExportArn"].as_str().unwrap());
    assert_eq!(done["ExportStatus"], "FAILED");
    assert_eq!(done["FailureCode"], "S3NoSuchBucket");
    assert!(done["EndTime"].is_number());
    let ok = finished(
        &s.engine,
        export(&s.engine, json!({})).unwrap()["ExportArn"].as_str().unwrap(),
    );
    assert_eq!(ok["ExportStatus"], "COMPLETED");
}

#[test]
fn a_client_token_names_one_export_and_other_parameters_conflict() {
    let s = setup();
    let first = export(&s.engine, json!({"ClientToken": "nightly-1"})).unwrap();
    let again = export(&s.engine, json!({"ClientToken": "nightly-1"})).unwrap();
    assert_eq!(first["ExportArn"], again["ExportArn"]);
    let (code, _) = export(&s.engine, json!({"ClientToken": "nightly-1", "ExportFormat": "ION"})).unwrap_err();
    assert_eq!(code, "ExportConflictException");
    let other = export(&s.engine, json!({"ClientToken": "nightly-2", "ExportFormat": "ION"})).unwrap();
    assert_ne!(other["ExportArn"], first["ExportArn"]);
}

#[test]
fn describe_export_of_an_unknown_arn_is_export_not_found() {
    let s = setup();
    let arn = format!("{TABLE_ARN}/export/01900000000000-00000000");
    let (code, message) = call(&s.engine, "DescribeExport", json!({"ExportArn": arn})).unwrap_err();
    assert_eq!(code, "ExportNotFoundException");
    assert_eq!(message, format!("Export not found: {arn}"));
    let (code, _) = call(&s.engine, "DescribeExport", json!({"ExportArn": "short"})).unwrap_err();
    assert_eq!(code, "ValidationException");
}

#[test]
fn list_exports_is_newest_first_in_pages() {
    let s = setup();
    let mut arns = Vec::new();
    for _ in 0..3 {
        arns.push(
            export(&s.engine, json!({})).unwrap()["ExportArn"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        s.clock.advance(1.0);
    }
    let page = call(
        &s.engine,
        "ListExports",
        json!({"TableArn": TABLE_ARN, "MaxResults": 2}),
    )
    .unwrap();
    let listed: Vec<&str> = page["ExportSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ExportArn"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [arns[2].as_str(), arns[1].as_str()]);
    let next = page["NextToken"].as_str().unwrap();
    let rest = call(&s.engine, "ListExports", json!({"MaxResults": 2, "NextToken": next})).unwrap();
    assert_eq!(rest["ExportSummaries"][0]["ExportArn"], arns[0].as_str());
    assert_eq!(rest["ExportSummaries"][0]["ExportType"], "FULL_EXPORT");
    assert!(rest.get("NextToken").is_none());
    let (code, _) = call(&s.engine, "ListExports", json!({"MaxResults": 26})).unwrap_err();
    assert_eq!(code, "ValidationException");
}
