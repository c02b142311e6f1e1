//! Versioned schema migrations, run at start under an advisory lock so servers
//! starting together migrate once. A database migrated by a newer Cairn is refused.

use postgres::Client;

/// Each migration's statements; index + 1 is the version it brings the schema to.
const MIGRATIONS: &[&str] = &[
    // 1: the ordered key-value table. `bytea` compares as unsigned bytes, which is
    // the contract's order, so range scans are index range scans.
    "CREATE TABLE {schema}.kv (k bytea PRIMARY KEY, v bytea NOT NULL)",
];

/// A fixed key for `pg_advisory_xact_lock`: "cairn" in ASCII.
const MIGRATION_LOCK: i64 = 0x63_6169_726e;

/// A schema name quoted as an identifier.
pub(crate) fn quoted(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

pub(crate) fn migrate(client: &mut Client, schema: &str) -> Result<(), String> {
    let failed = |e: postgres::Error| format!("cannot prepare the database schema: {e}");
    let schema_sql = quoted(schema);
    let mut tx = client.transaction().map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(failed)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema_sql};
         CREATE TABLE IF NOT EXISTS {schema_sql}.schema_version (version integer NOT NULL)"
    ))
    .map_err(failed)?;
    let current: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {schema_sql}.schema_version"),
            &[],
        )
        .map_err(failed)?
        .get(0);
    let latest = MIGRATIONS.len() as i32;
    if current > latest {
        return Err(format!(
            "the database schema is version {current}, newer than this Cairn understands ({latest}); run a newer Cairn"
        ));
    }
    for (i, statement) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(&statement.replace("{schema}", &schema_sql))
            .map_err(failed)?;
        tx.execute(
            &format!("INSERT INTO {schema_sql}.schema_version (version) VALUES ($1)"),
            &[&(i as i32 + 1)],
        )
        .map_err(failed)?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    tx.commit().map_err(failed)
}

/// Takes the schema's server lock (a session advisory lock keyed by the schema name),
/// waiting up to `patience` for a server that is shutting down to let go; otherwise
/// explains that another server is using it.
pub(crate) fn claim(client: &mut Client, schema: &str, patience: std::time::Duration) -> Result<(), String> {
    let failed = |e: postgres::Error| format!("cannot lock the database schema: {e}");
    let deadline = std::time::Instant::now() + patience;
    loop {
        let claimed: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&(MIGRATION_LOCK as i32), &schema],
            )
            .map_err(failed)?
            .get(0);
        if claimed {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!(
                "another Cairn server is using the PostgreSQL schema {schema:?}; several servers over one schema are not supported yet (see docs/scale-out.md), so give each server its own --postgres-schema"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
