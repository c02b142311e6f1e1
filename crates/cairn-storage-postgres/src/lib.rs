//! `cairn-storage-postgres` is the storage trait over PostgreSQL (or an engine that
//! speaks its protocol): one table of `k bytea primary key, v bytea`, so the
//! contract's ordered range scans are B-tree range scans, and transactions are the
//! database's SERIALIZABLE transactions, so several Cairn servers over one database
//! keep every guarantee the contract states.
//!
//! It is not a cache and holds no state of its own beyond a connection pool; it
//! knows nothing of DynamoDB. Calls block the calling thread on the database: the
//! server runs engine calls on blocking threads for this backend, never on its async
//! workers.

mod connection;
mod migrations;
mod tls;
mod transaction;

use cairn_storage::{KeyValue, ScanRange, Snapshot, Storage, StorageError, StorageResult, Transaction};
use connection::{Connection, Manager};
use postgres::error::SqlState;
use std::time::Duration;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// The schema Cairn's tables live in (created if missing).
    pub schema: String,
    /// Connections kept open at most.
    pub pool_size: u32,
    /// A statement running longer is cancelled by the database.
    pub statement_timeout: Duration,
    /// How long to wait for a connection (at start, and from the pool).
    pub connect_timeout: Duration,
    /// A PEM file of certificates to trust for TLS to the database (and TLS is then
    /// required); without it, TLS is used when the URL says `sslmode=require`.
    pub ca_file: Option<std::path::PathBuf>,
}

impl PostgresConfig {
    pub fn new(url: &str) -> PostgresConfig {
        PostgresConfig {
            url: url.to_string(),
            schema: "cairn".to_string(),
            pool_size: 16,
            statement_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            ca_file: None,
        }
    }
}

pub struct PostgresStorage {
    /// `Option` only so that `Drop` can move them to a plain thread.
    pool: Option<r2d2::Pool<Manager>>,
    /// A session of its own, outside the pool, for health checks (a busy pool must
    /// not make a healthy server look down); reopened when it was cut.
    owner: Option<std::sync::Mutex<postgres::Client>>,
    /// How to open that session again.
    reconnect: (postgres::Config, tls::Connector),
}

/// The synchronous client closes its connection by running a small runtime, which
/// panics on a thread that is already inside one (the server's workers, where the
/// last reference often goes): close everything on a thread of its own.
impl Drop for PostgresStorage {
    fn drop(&mut self) {
        let pool = self.pool.take();
        let owner = self.owner.take();
        let closing = std::thread::spawn(move || {
            drop(pool);
            drop(owner);
        });
        let _ = closing.join();
    }
}

/// Where a URL points, without its password: for messages and logs.
pub fn describe_url(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(config) => {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
            format!(
                "{} (port {}, database {})",
                hosts.join(","),
                if ports.is_empty() {
                    "5432".to_string()
                } else {
                    ports.join(",")
                },
                config.get_dbname().unwrap_or("default")
            )
        }
        Err(_) => "an unparseable PostgreSQL URL".to_string(),
    }
}

/// An error and its causes (the client's own message alone says only "error
/// performing TLS handshake", not which certificate was refused).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Maps a database error to the few kinds the engine tells apart: serialization
/// failures and deadlocks are conflicts (retry), a lost connection is unavailability.
pub(crate) fn storage_error(e: postgres::Error) -> StorageError {
    match e.code() {
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED => {
            StorageError::Conflict
        }
        Some(code) if *code == SqlState::QUERY_CANCELED => StorageError::Unavailable("statement timed out".into()),
        // Connection exceptions, shutdown or failover, resource limits, an
        // idle-in-transaction timeout, a lock not available: retry later.
        Some(code)
            if ["08", "53", "57"].iter().any(|class| code.code().starts_with(class))
                || matches!(code.code(), "25P03" | "55P03" | "40003") =>
        {
            StorageError::Unavailable(e.to_string())
        }
        Some(_) => StorageError::Other(e.to_string()),
        None => StorageError::Unavailable(e.to_string()),
    }
}

impl PostgresStorage {
    /// Connects, and creates or migrates the schema. Fails fast with a clear message
    /// when the database cannot be reached or its schema is newer than this build.
    pub fn open(config: &PostgresConfig) -> Result<PostgresStorage, String> {
        let where_ = describe_url(&config.url);
        let mut pg: postgres::Config = tls::normalize_url(&config.url)
            .parse()
            .map_err(|e| format!("invalid PostgreSQL URL ({where_}): {e}"))?;
        pg.connect_timeout(config.connect_timeout);
        // Notice a dead peer in seconds rather than the kernel's quarter of an hour.
        pg.keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3);
        if config.schema.is_empty() || config.schema.len() > 63 {
            return Err(format!(
                "the PostgreSQL schema name must be 1 to 63 bytes (PostgreSQL truncates longer names): {:?}",
                config.schema
            ));
        }
        let connector = tls::connector(&mut pg, config.ca_file.as_deref())?;
        let mut owner = connector
            .connect(&pg)
            .map_err(|e| format!("cannot connect to PostgreSQL at {where_}: {}", with_causes(&e)))?;
        // Several servers may share the schema: the engine keeps nothing
        // authoritative in memory when the store is shared (see `Storage::shared`).
        migrations::refuse_older_servers(&mut owner, &config.schema)?;
        migrations::migrate(&mut owner, &config.schema)?;
        let manager = Manager::new(pg.clone(), connector.clone(), &config.schema, config.statement_timeout);
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(config.connect_timeout)
            // A ping before every checkout doubles the round trips; broken connections
            // are noticed by has_broken and by the errors they return.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|e| format!("cannot connect to PostgreSQL at {where_}: {e}"))?;
        Ok(PostgresStorage {
            pool: Some(pool),
            owner: Some(std::sync::Mutex::new(owner)),
            reconnect: (pg, connector),
        })
    }

    pub(crate) fn connection(&self) -> StorageResult<r2d2::PooledConnection<Manager>> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StorageError::Unavailable("closed".into()))?;
        pool.get()
            .map_err(|e| StorageError::Unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// Whether the database answers now (for health checks): the server's own
    /// session, so a busy pool does not make a healthy server look down.
    pub fn reachable(&self) -> bool {
        let Some(owner) = &self.owner else {
            return false;
        };
        let Ok(mut client) = owner.lock() else {
            return false;
        };
        if client.is_valid(Duration::from_secs(2)).is_ok() {
            return true;
        }
        // The session was cut (a restart, failover, or an administrator): open a
        // new one, so the check reports the database as it is now.
        let (config, connector) = &self.reconnect;
        let mut config = config.clone();
        config.connect_timeout(Duration::from_secs(2));
        match connector.connect(&config) {
            Ok(fresh) => {
                let stale = std::mem::replace(&mut *client, fresh);
                // Closing runs a small runtime of its own: not on this thread,
                // which may be a server worker.
                std::thread::spawn(move || drop(stale));
                true
            }
            Err(_) => false,
        }
    }
}

impl Storage for PostgresStorage {
    fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        let mut connection = self.connection()?;
        Connection::get(&mut connection, key)
    }

    fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let mut connection = self.connection()?;
        Connection::scan(&mut connection, range, limit)
    }

    fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>> {
        Ok(Box::new(transaction::PgTransaction::new(self.connection()?)))
    }

    fn snapshot(&self) -> StorageResult<Box<dyn Snapshot>> {
        Ok(Box::new(transaction::PgSnapshot::begin(self.connection()?)?))
    }

    fn shared(&self) -> bool {
        true
    }
}
