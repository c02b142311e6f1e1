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
fn a_second_server_on_the_same_schema_is_refused_until_the_first_closes() {
    let Ok(url) = std::env::var("CAIRN_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CAIRN_REQUIRE_POSTGRES").is_err(),
            "CAIRN_TEST_POSTGRES_URL is not set"
        );
        return;
    };
    let mut config = PostgresConfig::new(&url);
    config.schema = format!("owned_{}", uuid::Uuid::new_v4().simple());
    let first = PostgresStorage::open(&config).unwrap();
    let e = PostgresStorage::open(&config).err().expect("the schema is in use");
    assert!(
        e.starts_with(&format!(
            "another Cairn server is using the PostgreSQL schema {:?}",
            config.schema
        )),
        "{e}"
    );
    let mut other = config.clone();
    other.schema = format!("{}_b", config.schema);
    assert!(PostgresStorage::open(&other).is_ok(), "another schema is free");
    drop(first);
    assert!(
        PostgresStorage::open(&config).is_ok(),
        "free again once the first closes"
    );
}
