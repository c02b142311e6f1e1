//! Point-in-time recovery over days, on a clock the test controls: daily base copies,
//! restores that start from the newest base before the chosen time and replay the
//! changes after it, and the window trimmed to the recovery period.

mod common;

use cairn_engine::{Clock, Engine, EngineConfig, ManualClock};
use cairn_storage::MemoryStorage;
use common::call;
use serde_json::json;
use std::sync::Arc;

const DAY: f64 = 86_400.0;

struct Setup {
    engine: Engine,
    clock: Arc<ManualClock>,
}

fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let engine = Engine::with_clock(Arc::new(MemoryStorage::new()), EngineConfig::default(), clock.clone()).unwrap();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "ledger", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    )
    .unwrap();
    Setup { engine, clock }
}

fn put(engine: &Engine, pk: &str, v: &str) {
    call(
        engine,
        "PutItem",
        json!({"TableName": "ledger", "Item": {"pk": {"S": pk}, "v": {"S": v}}}),
    )
    .unwrap();
}

fn value(engine: &Engine, table: &str, pk: &str) -> Option<String> {
    let out = call(engine, "GetItem", json!({"TableName": table, "Key": {"pk": {"S": pk}}})).unwrap();
    out["Item"]["v"]["S"].as_str().map(str::to_string)
}

fn restore(engine: &Engine, target: &str, at: f64) -> Result<serde_json::Value, (String, String)> {
    call(
        engine,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": "ledger", "TargetTableName": target, "RestoreDateTime": at}),
    )
}

fn window(engine: &Engine) -> (f64, f64) {
    let out = call(engine, "DescribeContinuousBackups", json!({"TableName": "ledger"})).unwrap();
    let pitr = &out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    (
        pitr["EarliestRestorableDateTime"].as_f64().unwrap(),
        pitr["LatestRestorableDateTime"].as_f64().unwrap(),
    )
}

#[test]
fn restores_start_from_the_newest_base_before_the_time_and_the_window_follows_the_period() {
    let Setup { engine, clock } = setup();
    put(&engine, "a", "1");
    call(
        &engine,
        "UpdateContinuousBackups",
        json!({"TableName": "ledger",
               "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 1}}),
    )
    .unwrap();
    let enabled = clock.now_seconds();
    assert_eq!(
        window(&engine),
        (enabled, enabled),
        "the window opens at the first base"
    );

    clock.advance(10.0);
    put(&engine, "a", "2");
    let day0 = clock.now_seconds();

    // Two days later the background worker takes a new base copy; changes follow.
    clock.advance(2.0 * DAY);
    put(&engine, "b", "1");
    engine.background_tick();
    let second_base = clock.now_seconds();
    clock.advance(10.0);
    put(&engine, "a", "3");
    let after_change = clock.now_seconds();
    clock.advance(10.0);
    call(
        &engine,
        "DeleteItem",
        json!({"TableName": "ledger", "Key": {"pk": {"S": "b"}}}),
    )
    .unwrap();

    let (earliest, latest) = window(&engine);
    assert_eq!(latest, clock.now_seconds(), "the latest restorable time is now");
    assert_eq!(
        earliest,
        clock.now_seconds() - DAY,
        "the window is the one-day recovery period"
    );
    let (code, message) = restore(&engine, "too_old", day0).unwrap_err();
    assert_eq!(code, "InvalidRestoreTimeException", "{message}");

    // At the second base's instant, and after a change that followed it.
    restore(&engine, "at_base", second_base).unwrap();
    assert_eq!(value(&engine, "at_base", "a").as_deref(), Some("2"));
    assert_eq!(value(&engine, "at_base", "b").as_deref(), Some("1"));
    restore(&engine, "after_change", after_change).unwrap();
    assert_eq!(value(&engine, "after_change", "a").as_deref(), Some("3"));
    assert_eq!(
        value(&engine, "after_change", "b").as_deref(),
        Some("1"),
        "deleted only later"
    );
    restore(&engine, "latest", clock.now_seconds()).unwrap();
    assert_eq!(value(&engine, "latest", "b"), None, "the delete is replayed too");

    // Two more days: a third base; the first is no longer needed and is dropped,
    // yet the start of the window stays restorable from the second.
    clock.advance(2.0 * DAY);
    engine.background_tick();
    let (earliest, _) = window(&engine);
    restore(&engine, "window_start", earliest + 1.0).unwrap();
    assert_eq!(value(&engine, "window_start", "a").as_deref(), Some("3"));
    assert_eq!(value(&engine, "window_start", "b"), None);
}

#[test]
fn raising_the_period_never_advertises_trimmed_history() {
    let Setup { engine, clock } = setup();
    call(
        &engine,
        "UpdateContinuousBackups",
        json!({"TableName": "ledger",
               "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 1}}),
    )
    .unwrap();
    for _ in 0..5 {
        clock.advance(DAY);
        put(&engine, "a", &clock.now_seconds().to_string());
        engine.background_tick();
    }
    call(
        &engine,
        "UpdateContinuousBackups",
        json!({"TableName": "ledger",
               "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 35}}),
    )
    .unwrap();
    let (earliest, _) = window(&engine);
    assert!(
        earliest >= clock.now_seconds() - 2.0 * DAY,
        "the window starts at the oldest base kept, not 35 days back: {earliest}"
    );
    restore(&engine, "oldest", earliest).expect("the advertised earliest time is restorable");
}
