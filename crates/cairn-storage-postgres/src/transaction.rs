//! A SERIALIZABLE database transaction. Writes are buffered and sent at commit in one
//! upsert and one delete; reads see them (the contract's read-your-writes). BEGIN is
//! sent with the first read, so a transaction that only writes costs one batch.

use crate::connection::Manager;
use crate::storage_error;
use cairn_storage::{KeyValue, ScanRange, StorageError, StorageResult, Transaction};
use std::collections::BTreeMap;

pub(crate) struct PgTransaction {
    connection: r2d2::PooledConnection<Manager>,
    begun: bool,
    /// A statement failed: the database has aborted the transaction, so a COMMIT
    /// would silently roll back. Commit reports the failure instead.
    poisoned: Option<StorageError>,
    /// Pending writes: `None` deletes.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl PgTransaction {
    pub(crate) fn new(connection: r2d2::PooledConnection<Manager>) -> PgTransaction {
        PgTransaction {
            connection,
            begun: false,
            poisoned: None,
            writes: BTreeMap::new(),
        }
    }

    fn begin(&mut self) -> StorageResult<()> {
        if !self.begun {
            self.connection
                .client
                .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
                .map_err(storage_error)?;
            self.begun = true;
        }
        Ok(())
    }

    fn rollback(&mut self) {
        if self.begun {
            if self.connection.client.batch_execute("ROLLBACK").is_err() {
                // The pool must not hand out a connection left inside a transaction.
                self.connection.broken = true;
            }
            self.begun = false;
        }
    }

    /// Records a failed statement so the commit cannot pretend it succeeded.
    fn note<T>(&mut self, result: StorageResult<T>) -> StorageResult<T> {
        if let Err(e) = &result {
            self.poisoned.get_or_insert(e.clone());
        }
        result
    }

    fn finish(&mut self) -> StorageResult<()> {
        self.begin()?;
        let (puts, deletes): (Vec<_>, Vec<_>) = std::mem::take(&mut self.writes)
            .into_iter()
            .partition(|(_, v)| v.is_some());
        let connection = &mut *self.connection;
        if !puts.is_empty() {
            let keys: Vec<&[u8]> = puts.iter().map(|(k, _)| k.as_slice()).collect();
            let values: Vec<&[u8]> = puts.iter().filter_map(|(_, v)| v.as_deref()).collect();
            connection
                .client
                .execute(&connection.upsert, &[&keys, &values])
                .map_err(storage_error)?;
        }
        if !deletes.is_empty() {
            let keys: Vec<&[u8]> = deletes.iter().map(|(k, _)| k.as_slice()).collect();
            connection
                .client
                .execute(&connection.delete, &[&keys])
                .map_err(storage_error)?;
        }
        connection.client.batch_execute("COMMIT").map_err(storage_error)?;
        self.begun = false;
        Ok(())
    }
}

impl Transaction for PgTransaction {
    fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        if let Some(pending) = self.writes.get(key) {
            return Ok(pending.clone());
        }
        let begun = self.begin();
        self.note(begun)?;
        let got = self.connection.get(key);
        self.note(got)
    }

    fn get_many(&mut self, keys: &[&[u8]]) -> StorageResult<Vec<Option<Vec<u8>>>> {
        let unbuffered: Vec<&[u8]> = keys.iter().copied().filter(|k| !self.writes.contains_key(*k)).collect();
        let mut stored = if unbuffered.is_empty() {
            Vec::new()
        } else {
            let begun = self.begin();
            self.note(begun)?;
            let got = self.connection.get_many(&unbuffered);
            self.note(got)?
        }
        .into_iter();
        Ok(keys
            .iter()
            .map(|k| match self.writes.get(*k) {
                Some(pending) => pending.clone(),
                None => stored.next().flatten(),
            })
            .collect())
    }

    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let begun = self.begin();
        self.note(begun)?;
        // Pending deletes may hide stored rows: read enough to fill the page anyway.
        let extra = self
            .writes
            .iter()
            .filter(|(k, v)| v.is_none() && range.contains(k))
            .count();
        let stored = self.connection.scan(range, limit.saturating_add(extra));
        let stored = self.note(stored)?;
        let pending: Vec<(&Vec<u8>, &Option<Vec<u8>>)> =
            self.writes.iter().filter(|(k, _)| range.contains(k)).collect();
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = stored.into_iter().collect();
        for (key, value) in pending {
            match value {
                Some(v) => {
                    merged.insert(key.clone(), v.clone());
                }
                None => {
                    merged.remove(key);
                }
            }
        }
        let mut out: Vec<KeyValue> = merged.into_iter().collect();
        if range.reverse {
            out.reverse();
        }
        out.truncate(limit);
        Ok(out)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    fn commit(mut self: Box<Self>) -> StorageResult<()> {
        if let Some(e) = self.poisoned.take() {
            self.rollback();
            return Err(e);
        }
        if self.writes.is_empty() {
            if !self.begun {
                return Ok(());
            }
            // PostgreSQL validates a serializable transaction's reads only when it
            // commits: a read-only one must commit too, to learn of a conflict.
            let committed = self.connection.client.batch_execute("COMMIT").map_err(storage_error);
            self.begun = false;
            if committed.is_err() {
                self.rollback();
            }
            return committed;
        }
        // A serialization failure is a conflict the engine retries; a lost connection
        // is Unavailable, answered as a retryable error and never acknowledged.
        let result = self.finish();
        if result.is_err() {
            self.rollback();
        }
        result
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        self.rollback();
    }
}

/// A SERIALIZABLE, READ ONLY, DEFERRABLE transaction: every scan sees one snapshot
/// that PostgreSQL guarantees consistent with every serializable writer (it waits,
/// if it must, for a safe snapshot rather than show a state no serial order
/// produces), and its MVCC never makes a writer wait for it. Rolled back when
/// dropped.
pub(crate) struct PgSnapshot {
    connection: r2d2::PooledConnection<Manager>,
}

impl PgSnapshot {
    pub(crate) fn begin(mut connection: r2d2::PooledConnection<Manager>) -> StorageResult<PgSnapshot> {
        connection
            .client
            .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE")
            .map_err(storage_error)?;
        // Take the snapshot now, not at the first scan.
        connection.client.batch_execute("SELECT 1").map_err(storage_error)?;
        Ok(PgSnapshot { connection })
    }
}

impl cairn_storage::Snapshot for PgSnapshot {
    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        self.connection.scan(range, limit)
    }
}

impl Drop for PgSnapshot {
    fn drop(&mut self) {
        if self.connection.client.batch_execute("ROLLBACK").is_err() {
            self.connection.broken = true;
        }
    }
}
