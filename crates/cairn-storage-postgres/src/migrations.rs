//! Versioned schema migrations, run at start under an advisory lock so servers
//! starting together migrate once. A database migrated by a newer Cairn is refused.

use postgres::Client;

/// Each migration's statements; index + 1 is the version it brings the schema to.
const MIGRATIONS: &[&str] = &[
    // 1: the ordered key-value table. `bytea` compares as unsigned bytes, which is
    // the contract's order, so range scans are index range scans.
    "CREATE TABLE {schema}.kv (k bytea PRIMARY KEY, v bytea NOT NULL)",
    // 2: several servers may share the schema. Nothing changes in the tables; the
    // version alone makes servers from before (which kept caches and numbering in
    // memory) refuse to start on a schema shared this way.
    "COMMENT ON TABLE {schema}.kv IS 'Cairn key-value store (shared by every Cairn server on this schema)'",
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

/// Servers from before schema version 2 held this session lock (exclusively) while
/// they ran. Taking it shared refuses to start beside one, and keeps one from
/// starting beside this server.
pub(crate) fn refuse_older_servers(client: &mut Client, schema: &str) -> Result<(), String> {
    let free: bool = client
        .query_one(
            "SELECT pg_try_advisory_lock_shared($1, hashtext($2))",
            &[&(MIGRATION_LOCK as i32), &schema],
        )
        .map_err(|e| format!("cannot lock the database schema: {e}"))?
        .get(0);
    if free {
        Ok(())
    } else {
        Err(format!(
            "an older Cairn server is using the PostgreSQL schema {schema:?}; servers from before multi-server support cannot share a schema: stop it, then start this one"
        ))
    }
}
