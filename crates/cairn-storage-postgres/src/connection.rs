//! One pooled connection with its prepared statements: a point read, an upsert and a
//! delete of many keys in one statement each, and range scans prepared per bound
//! shape on first use.

use crate::migrations::quoted;
use crate::storage_error;
use cairn_storage::{KeyValue, ScanRange, StorageResult};
use postgres::types::ToSql;
use postgres::{Client, Statement};
use std::collections::HashMap;
use std::ops::Bound;
use std::time::Duration;

pub(crate) struct Connection {
    pub client: Client,
    /// A ROLLBACK failed: the session's state is unknown, so the pool drops it.
    pub broken: bool,
    table: String,
    get: Statement,
    get_many: Statement,
    pub upsert: Statement,
    pub delete: Statement,
    scans: HashMap<(u8, u8, bool), Statement>,
}

fn bound_kind<T>(bound: &Bound<T>) -> u8 {
    match bound {
        Bound::Unbounded => 0,
        Bound::Included(_) => 1,
        Bound::Excluded(_) => 2,
    }
}

impl Connection {
    fn new(mut client: Client, schema: &str) -> Result<Connection, postgres::Error> {
        let table = format!("{}.kv", quoted(schema));
        let get = client.prepare(&format!("SELECT v FROM {table} WHERE k = $1"))?;
        let get_many = client.prepare(&format!("SELECT k, v FROM {table} WHERE k = ANY($1::bytea[])"))?;
        let upsert = client.prepare(&format!(
            "INSERT INTO {table} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
        ))?;
        let delete = client.prepare(&format!("DELETE FROM {table} WHERE k = ANY($1::bytea[])"))?;
        Ok(Connection {
            client,
            broken: false,
            table,
            get,
            get_many,
            upsert,
            delete,
            scans: HashMap::new(),
        })
    }

    pub(crate) fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        let row = self.client.query_opt(&self.get, &[&key]).map_err(storage_error)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The stored values of `keys` (in that order), in one statement.
    pub(crate) fn get_many(&mut self, keys: &[&[u8]]) -> StorageResult<Vec<Option<Vec<u8>>>> {
        let rows = self.client.query(&self.get_many, &[&keys]).map_err(storage_error)?;
        let found: HashMap<Vec<u8>, Vec<u8>> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(keys.iter().map(|k| found.get(*k).cloned()).collect())
    }

    /// Up to `limit` pairs in `range`, in key order (descending when reversed).
    pub(crate) fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let shape = (bound_kind(&range.start), bound_kind(&range.end), range.reverse);
        if !self.scans.contains_key(&shape) {
            let statement = self.client.prepare(&self.scan_sql(shape)).map_err(storage_error)?;
            self.scans.insert(shape, statement);
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(3);
        for bound in [&range.start, &range.end] {
            if let Bound::Included(k) | Bound::Excluded(k) = bound {
                params.push(k);
            }
        }
        params.push(&limit);
        let statement = &self.scans[&shape];
        let rows = self.client.query(statement, &params).map_err(storage_error)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn scan_sql(&self, (start, end, reverse): (u8, u8, bool)) -> String {
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        match start {
            1 => conditions.push(format!("k >= ${}", next())),
            2 => conditions.push(format!("k > ${}", next())),
            _ => {}
        }
        match end {
            1 => conditions.push(format!("k <= ${}", next())),
            2 => conditions.push(format!("k < ${}", next())),
            _ => {}
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        format!(
            "SELECT k, v FROM {}{filter} ORDER BY k{} LIMIT ${}",
            self.table,
            if reverse { " DESC" } else { "" },
            next()
        )
    }
}

/// Makes and checks pooled connections.
pub(crate) struct Manager {
    config: postgres::Config,
    connector: crate::tls::Connector,
    schema: String,
    statement_timeout: Duration,
}

impl Manager {
    pub(crate) fn new(
        config: postgres::Config,
        connector: crate::tls::Connector,
        schema: &str,
        statement_timeout: Duration,
    ) -> Manager {
        Manager {
            config,
            connector,
            schema: schema.to_string(),
            statement_timeout,
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        let mut client = self.connector.connect(&self.config)?;
        client.batch_execute(&format!(
            "SET statement_timeout = {}",
            self.statement_timeout.as_millis().max(1)
        ))?;
        Connection::new(client, &self.schema)
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), postgres::Error> {
        connection.client.is_valid(Duration::from_secs(5))
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.broken || connection.client.is_closed()
    }
}
