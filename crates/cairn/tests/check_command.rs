//! `cairn check --data-dir DIR` on a real embedded store: reports an undecodable item
//! and fails; `--repair` saves its bytes to DIR/quarantine/, removes it, and leaves a
//! store that checks clean and that a server can use.

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_storage::{Durability, EmbeddedStorage, ScanRange, Storage};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

/// A store holding table `checked` with two items, one of them then corrupted.
fn build_store(dir: &Path) {
    let storage = Arc::new(EmbeddedStorage::open(dir, Durability::Sync).unwrap());
    let engine = Engine::new(storage.clone(), EngineConfig::default()).unwrap();
    engine
        .create_table(
            &RequestContext::default(),
            input(json!({
                "TableName": "checked",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            })),
        )
        .unwrap();
    for pk in ["good", "bad"] {
        engine
            .put_item(
                &RequestContext::default(),
                input(json!({"TableName": "checked", "Item": {"pk": {"S": pk}}})),
            )
            .unwrap();
    }
    let items = storage.scan(&ScanRange::prefix(b"i"), usize::MAX).unwrap();
    let bad = items.iter().find(|(_, v)| v.windows(3).any(|w| w == b"bad")).unwrap();
    let mut tx = storage.begin().unwrap();
    tx.put(&bad.0, b"\x01garbage");
    tx.commit().unwrap();
}

fn check(dir: &Path, repair: bool) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("check").arg("--data-dir").arg(dir);
    if repair {
        command.arg("--repair");
    }
    let output = command.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn check_reports_an_undecodable_item_and_repair_quarantines_it() {
    let dir = tempfile::tempdir().unwrap();
    build_store(dir.path());

    let (ok, text) = check(dir.path(), false);
    assert!(!ok, "{text}");
    assert!(text.contains("checked 1 tables: 2 items"), "{text}");
    assert!(
        text.contains(r#"UndecodableItem: item {"pk":{"S":"bad"}} cannot be decoded"#),
        "{text}"
    );

    let (ok, text) = check(dir.path(), true);
    assert!(ok, "{text}");
    assert!(text.contains("no problems remain"), "{text}");
    let quarantined: Vec<_> = std::fs::read_dir(dir.path().join("quarantine")).unwrap().collect();
    assert_eq!(quarantined.len(), 1);
    let saved = std::fs::read_to_string(quarantined[0].as_ref().unwrap().path()).unwrap();
    assert!(saved.contains(r#""value_hex":"0167617262616765""#), "{saved}");

    let (ok, text) = check(dir.path(), false);
    assert!(ok, "{text}");
    assert!(text.contains("checked 1 tables: 1 items"), "{text}");
}

#[test]
fn check_of_a_missing_directory_fails_without_creating_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let (ok, text) = check(&missing, false);
    assert!(!ok);
    assert!(text.contains("no data directory"), "{text}");
    assert!(!missing.exists());
}
