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

/// The throwaway database's URL and CA file (scripts/with-postgres starts it with TLS
/// on when openssl is present), or None when the test should be skipped.
fn tls_database() -> Option<(String, std::path::PathBuf)> {
    let url = std::env::var("CAIRN_TEST_POSTGRES_URL").ok();
    let ca = std::env::var("CAIRN_TEST_POSTGRES_CA").ok();
    match (url, ca) {
        (Some(url), Some(ca)) => Some((url, ca.into())),
        _ => {
            assert!(
                std::env::var("CAIRN_REQUIRE_POSTGRES").is_err(),
                "CAIRN_REQUIRE_POSTGRES is set but the database or its CA is missing"
            );
            None
        }
    }
}

/// Whether every session named `application` is encrypted, and how many there are.
fn sessions_named(url: &str, application: &str) -> (i64, bool) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = admin
        .query_one(
            "SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
            &[&application],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

fn with_application(url: &str, application: &str, extra: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={application}{extra}")
}

#[test]
fn a_ca_file_makes_every_connection_tls_verified_against_it() {
    let Some((url, ca)) = tls_database() else { return };
    let application = format!("tls_{}", uuid::Uuid::new_v4().simple());
    let mut config = PostgresConfig::new(&with_application(&url, &application, ""));
    config.schema = application.clone();
    config.ca_file = Some(ca);
    let store = PostgresStorage::open(&config).unwrap();
    let mut tx = store.begin().unwrap();
    tx.put(b"k", b"v");
    tx.commit().unwrap();
    assert_eq!(store.get(b"k").unwrap(), Some(b"v".to_vec()));
    let (sessions, all_tls) = sessions_named(&url, &application);
    assert!(sessions >= 2, "the health session and a pooled one: {sessions}");
    assert!(all_tls, "every session of this store is encrypted");
}

#[test]
fn without_tls_the_sessions_are_plain() {
    let Some((url, _)) = tls_database() else { return };
    let application = format!("plain_{}", uuid::Uuid::new_v4().simple());
    let mut config = PostgresConfig::new(&with_application(&url, &application, ""));
    config.schema = application.clone();
    let store = PostgresStorage::open(&config).unwrap();
    store.get(b"k").unwrap();
    let (sessions, all_tls) = sessions_named(&url, &application);
    assert!(sessions >= 1);
    assert!(!all_tls, "no TLS unless asked for");
}

#[test]
fn a_libpq_verify_full_url_is_accepted_with_the_ca_file() {
    let Some((url, ca)) = tls_database() else { return };
    let application = format!("verify_{}", uuid::Uuid::new_v4().simple());
    let mut config = PostgresConfig::new(&with_application(&url, &application, "&sslmode=verify-full"));
    config.schema = application.clone();
    config.ca_file = Some(ca);
    let store = PostgresStorage::open(&config).unwrap();
    store.get(b"k").unwrap();
    assert!(sessions_named(&url, &application).1);
}

#[test]
fn tls_to_a_server_whose_certificate_is_not_trusted_is_refused() {
    let Some((url, _)) = tls_database() else { return };
    let mut config = PostgresConfig::new(&with_application(&url, "untrusted", "&sslmode=require"));
    config.schema = "untrusted".to_string();
    let e = PostgresStorage::open(&config)
        .err()
        .expect("the test CA is not a system root");
    assert!(e.starts_with("cannot connect to PostgreSQL at 127.0.0.1"), "{e}");
    assert!(
        e.to_lowercase().contains("certificate"),
        "names the certificate problem: {e}"
    );
}

#[test]
fn a_missing_ca_file_is_named_in_the_error() {
    let mut config = PostgresConfig::new("postgres://cairn@127.0.0.1:1/db");
    config.ca_file = Some("/nonexistent/ca.pem".into());
    let e = PostgresStorage::open(&config).err().expect("no such file");
    assert!(
        e.starts_with("cannot read the PostgreSQL CA file /nonexistent/ca.pem: "),
        "{e}"
    );
}

#[test]
fn a_server_from_before_shared_schemas_blocks_the_start_with_a_clear_message() {
    let Ok(url) = std::env::var("CAIRN_TEST_POSTGRES_URL") else {
        assert!(std::env::var("CAIRN_REQUIRE_POSTGRES").is_err());
        return;
    };
    let schema = format!("older_{}", uuid::Uuid::new_v4().simple());
    // What an older server held while running: the schema's lock, exclusively.
    let mut older = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    older
        .execute(
            "SELECT pg_advisory_lock($1, hashtext($2))",
            &[&(0x63_6169_726e_i64 as i32), &schema],
        )
        .unwrap();
    let mut config = PostgresConfig::new(&url);
    config.schema = schema.clone();
    let e = PostgresStorage::open(&config)
        .err()
        .expect("refused beside an older server");
    assert_eq!(
        e,
        format!("an older Cairn server is using the PostgreSQL schema {schema:?}; servers from before multi-server support cannot share a schema: stop it, then start this one")
    );
    drop(older);
    assert!(
        PostgresStorage::open(&config).is_ok(),
        "starts once the older server is gone"
    );
}
