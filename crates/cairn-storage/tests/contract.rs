//! The storage contract, run against every backend.

use cairn_storage::testkit::run_contract;
use cairn_storage::{Durability, EmbeddedStorage, MemoryStorage, Storage};

#[test]
fn memory_backend_meets_the_contract() {
    run_contract(&|| Box::new(MemoryStorage::new()) as Box<dyn Storage>);
}

#[test]
fn embedded_backend_meets_the_contract() {
    let dirs = std::sync::Mutex::new(Vec::new());
    run_contract(&|| {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        dirs.lock().unwrap().push(dir);
        Box::new(store) as Box<dyn Storage>
    });
}

#[test]
fn embedded_backend_with_fsync_meets_the_contract() {
    let dirs = std::sync::Mutex::new(Vec::new());
    run_contract(&|| {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Sync).unwrap();
        dirs.lock().unwrap().push(dir);
        Box::new(store) as Box<dyn Storage>
    });
}

#[test]
fn embedded_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        let mut tx = store.begin().unwrap();
        tx.put(b"durable", b"yes");
        tx.commit().unwrap();
    }
    let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
    assert_eq!(store.get(b"durable").unwrap(), Some(b"yes".to_vec()));
}
