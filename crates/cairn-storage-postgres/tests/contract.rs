//! The storage contract against PostgreSQL: set `CAIRN_TEST_POSTGRES_URL`
//! (scripts/with-postgres does, and CI runs it). Each store is a fresh schema.

use cairn_storage::testkit::run_contract;
use cairn_storage::Storage;
use cairn_storage_postgres::{PostgresConfig, PostgresStorage};

#[test]
fn postgres_backend_honours_the_storage_contract() {
    let Ok(url) = std::env::var("CAIRN_TEST_POSTGRES_URL") else {
        if std::env::var("CAIRN_REQUIRE_POSTGRES").is_ok() {
            panic!("CAIRN_REQUIRE_POSTGRES is set but CAIRN_TEST_POSTGRES_URL is not");
        }
        eprintln!("skipped: CAIRN_TEST_POSTGRES_URL is not set (scripts/with-postgres sets it)");
        return;
    };
    run_contract(&|| {
        let mut config = PostgresConfig::new(&url);
        config.schema = format!("contract_{}", uuid::Uuid::new_v4().simple());
        Box::new(PostgresStorage::open(&config).unwrap()) as Box<dyn Storage>
    });
}

#[test]
fn an_unreachable_database_fails_fast_with_a_clear_message() {
    let mut config = PostgresConfig::new("postgres://cairn:secret-password@127.0.0.1:1/nothing");
    config.connect_timeout = std::time::Duration::from_secs(2);
    let e = PostgresStorage::open(&config).err().expect("nothing listens on port 1");
    assert!(
        e.starts_with("cannot connect to PostgreSQL at 127.0.0.1 (port 1, database nothing): "),
        "{e}"
    );
    assert!(!e.contains("secret-password"), "{e}");
}

#[test]
fn two_stores_on_one_schema_share_data_and_never_lose_an_increment() {
    let Ok(url) = std::env::var("CAIRN_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CAIRN_REQUIRE_POSTGRES").is_err(),
            "CAIRN_TEST_POSTGRES_URL is not set"
        );
        return;
    };
    let mut config = PostgresConfig::new(&url);
    config.schema = format!("shared_{}", uuid::Uuid::new_v4().simple());
    let a = PostgresStorage::open(&config).unwrap();
    let b = PostgresStorage::open(&config).expect("a second server may open the same schema");
    assert!(a.shared() && b.shared(), "the engine must treat the store as shared");
    let mut tx = a.begin().unwrap();
    tx.put(b"counter", &0u64.to_be_bytes());
    tx.commit().unwrap();
    assert_eq!(
        b.get(b"counter").unwrap(),
        Some(0u64.to_be_bytes().to_vec()),
        "b reads a's commit"
    );
    std::thread::scope(|scope| {
        for store in [&a, &b, &a, &b] {
            scope.spawn(move || {
                for _ in 0..25 {
                    loop {
                        let mut tx = store.begin().unwrap();
                        let current = match tx.get(b"counter") {
                            Ok(v) => u64::from_be_bytes(v.unwrap().try_into().unwrap()),
                            Err(cairn_storage::StorageError::Conflict) => continue,
                            Err(e) => panic!("{e:?}"),
                        };
                        tx.put(b"counter", &(current + 1).to_be_bytes());
                        match tx.commit() {
                            Ok(()) => break,
                            Err(cairn_storage::StorageError::Conflict) => continue,
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(
        a.get(b"counter").unwrap(),
        Some(100u64.to_be_bytes().to_vec()),
        "100 increments through two stores, none lost"
    );
}
