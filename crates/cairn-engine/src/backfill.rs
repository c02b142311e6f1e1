//! Online backfill of a GSI added by UpdateTable. While it runs the index reports
//! CREATING with Backfilling true and new writes already maintain it; the backfill
//! walks the table in chunks, each chunk one storage transaction that re-reads its
//! items, so a concurrent write to the same item either happens first (and is read
//! here) or conflicts and one side retries. Progress (the last key indexed) is saved
//! after each chunk, so after a restart the backfill resumes where it stopped.

use crate::catalog::{catalog_key, persist_meta, Catalog, TableMeta};
use crate::indexes::{entry_key, project_entry};
use crate::keys::table_prefix;
use crate::leases::{Leases, BACKGROUND};
use crate::write::decode_or_skip;
use crate::Engine;
use cairn_model::codec::encode_item;
use cairn_storage::{ScanRange, Storage, StorageError};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

const CHUNK: usize = 256;
/// Requests that loaded the table's metadata before the index existed finish well
/// within this; only then does the walk start, so none of their writes is missed.
const GRACE: Duration = Duration::from_millis(500);

impl Engine {
    /// Starts backfilling every GSI that is not ready yet (after CreateIndex, or
    /// after a restart interrupted one).
    pub fn resume_backfills(&self) {
        for table in self.catalog.all() {
            for index in table.global_secondary_indexes.iter().filter(|i| !i.ready) {
                self.start_backfill(&table, &index.name);
            }
            for index in table.vector_indexes.iter().filter(|i| !i.ready) {
                self.start_backfill(&table, &index.name);
            }
        }
    }

    /// Starts the backfill of `index` on a thread of its own, unless it is already
    /// running here or (several servers) another server holds the background lease
    /// and will run it.
    pub(crate) fn start_backfill(&self, table: &TableMeta, index: &str) {
        let Some(index_id) = index_id(table, index) else {
            return;
        };
        if !self.leases.acquire(BACKGROUND) {
            return;
        }
        let Some(task) = self.start_task(format!("backfill:{index_id}")) else {
            return;
        };
        let (storage, catalog, leases) = (self.storage.clone(), self.catalog.clone(), self.leases.clone());
        let (table_id, table, index) = (table.id, table.name.clone(), index.to_string());
        std::thread::spawn(move || {
            let _task = task;
            std::thread::sleep(GRACE);
            if let Err(e) = backfill(storage.as_ref(), &catalog, &leases, table_id, &index) {
                tracing::warn!(table, index, error = %e, "index backfill failed; it resumes at the next start");
            }
        });
    }
}

/// The id of the GSI or vector index `name` of `table`.
fn index_id(table: &TableMeta, name: &str) -> Option<u64> {
    table
        .global_secondary_indexes
        .iter()
        .find(|i| i.name == name)
        .map(|i| i.id)
        .or_else(|| table.vector_indexes.iter().find(|i| i.name == name).map(|i| i.id))
}

/// Where a backfill's progress is kept: `mbackfill/` + index id → (last table key
/// indexed, items so far). Outside the table's metadata, so saving it after every
/// chunk changes no catalog entry (other servers' caches and in-flight writes stay
/// valid).
fn progress_key(index_id: u64) -> Vec<u8> {
    let mut key = b"mbackfill/".to_vec();
    key.extend_from_slice(&index_id.to_be_bytes());
    key
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    last_key: Vec<u8>,
    items: u64,
}

/// Saves how far the backfill got, so a restart (here or on another server)
/// resumes there.
fn record_progress(storage: &dyn Storage, index_id: u64, last_key: &[u8], items: u64) -> Result<(), StorageError> {
    let progress = Progress {
        last_key: last_key.to_vec(),
        items,
    };
    let mut tx = storage.begin()?;
    tx.put(
        &progress_key(index_id),
        &serde_json::to_vec(&progress).map_err(|e| StorageError::Other(e.to_string()))?,
    );
    tx.commit()
}

/// Where to resume: the saved progress, or (metadata written by an older Cairn)
/// the position kept in the index's metadata.
fn saved_progress(
    storage: &dyn Storage,
    table: &TableMeta,
    index_id: u64,
) -> Result<(Option<Vec<u8>>, u64), StorageError> {
    if let Some(bytes) = storage.get(&progress_key(index_id))? {
        if let Ok(p) = serde_json::from_slice::<Progress>(&bytes) {
            return Ok((Some(p.last_key), p.items));
        }
    }
    Ok(table
        .global_secondary_indexes
        .iter()
        .find(|i| i.id == index_id)
        .map_or((None, 0), |i| (i.backfilled_to.clone(), i.backfilled_items)))
}

/// How many items a table holds (one pass over its keys).
fn count_items(storage: &dyn Storage, table_id: u64) -> Result<u64, StorageError> {
    let mut range = ScanRange::prefix(&table_prefix(table_id));
    let mut count = 0u64;
    loop {
        let chunk = storage.scan(&range, CHUNK)?;
        count += chunk.len() as u64;
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(key.clone()),
            _ => return Ok(count),
        }
    }
}

/// The table as it is now, if it still has the index being built.
fn current(catalog: &Catalog, table_id: u64, index: &str, id: u64) -> Option<Arc<TableMeta>> {
    catalog.by_id(table_id).filter(|t| index_id(t, index) == Some(id))
}

fn backfill(
    storage: &dyn Storage,
    catalog: &Catalog,
    leases: &Leases,
    table_id: u64,
    index_name: &str,
) -> Result<(), StorageError> {
    let Some(table) = catalog.by_id(table_id) else {
        return Ok(());
    };
    let table_name = table.name.clone();
    let table_name = table_name.as_str();
    let Some(index_id) = index_id(&table, index_name) else {
        return Ok(());
    };
    let mut range = ScanRange::prefix(&table_prefix(table.id));
    let (resume, mut indexed) = saved_progress(storage, &table, index_id)?;
    // OnlineIndexPercentageProgress needs the table's size: counted once, and only
    // when metrics are published.
    let total = if crate::capacity::table_metrics::enabled() {
        count_items(storage, table.id)?
    } else {
        0
    };
    let progress = |indexed: u64| {
        if total > 0 {
            metrics::gauge!("OnlineIndexPercentageProgress",
                "TableName" => table_name.to_string(), "GlobalSecondaryIndexName" => index_name.to_string())
            .set((indexed as f64 * 100.0 / total as f64).min(100.0));
        }
    };
    progress(indexed);
    if let Some(last) = resume {
        tracing::info!(table = table_name, index = index_name, "resuming index backfill");
        range.start = Bound::Excluded(last);
    }
    loop {
        if !leases.keep(BACKGROUND) {
            tracing::info!(
                table = table_name,
                index = index_name,
                "index backfill handed over to another server"
            );
            return Ok(());
        }
        let Some(table) = current(catalog, table_id, index_name, index_id) else {
            return Ok(());
        };
        let index = table.global_secondary_indexes.iter().find(|i| i.id == index_id);
        let vector_index = table.vector_indexes.iter().find(|i| i.id == index_id);
        if index.is_none() && vector_index.is_none() {
            return Ok(());
        }
        // Each chunk is read by a range scan inside its own transaction, so a write
        // into the range (even of a new key) either commits before and is read here,
        // or conflicts with this chunk. On a shared store the chunk also reads the
        // table's metadata, so a write made through another server under metadata
        // without this index is caught the same way.
        let meta_key = catalog_key(&table);
        let (stale, chunk) = loop {
            let mut tx = storage.begin()?;
            if catalog.is_shared() {
                let stored = tx.get(&meta_key)?;
                if !catalog.is_current(&table, stored.as_deref()) {
                    break (true, Vec::new());
                }
            }
            let chunk = match tx.scan(&range, CHUNK) {
                Ok(chunk) => chunk,
                Err(StorageError::Conflict) => continue,
                Err(e) => return Err(e),
            };
            for (key, bytes) in &chunk {
                let Some(item) = decode_or_skip(&table, key, bytes) else {
                    continue;
                };
                if let Some(vector_index) = vector_index {
                    // An item whose vector breaks the index's rules is left out
                    // (it stays in the table).
                    if let Some((key, value)) = crate::vectors::entry(&table, vector_index, &item) {
                        tx.put(&key, &value);
                    }
                    continue;
                }
                let Some(index) = index else { continue };
                if !crate::index_keys::indexable(&table, index, &item) {
                    // DynamoDB leaves such items out of the new index; they stay in
                    // the table.
                    continue;
                }
                if let Some(entry) = entry_key(&table, index, &item) {
                    tx.put(&entry, &encode_item(&project_entry(&table, index, &item)));
                }
            }
            match tx.commit() {
                Ok(()) => break (false, chunk),
                Err(StorageError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        };
        if stale {
            // Another server changed the table: reload and redo this chunk.
            catalog.reload()?;
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => {
                range.start = Bound::Excluded(key.clone());
                indexed += chunk.len() as u64;
                record_progress(storage, index_id, key, indexed)?;
                progress(indexed);
                tracing::debug!(
                    table = table_name,
                    index = index_name,
                    items = indexed,
                    "index backfill progress"
                );
            }
            _ => break,
        }
    }
    let _guard = catalog.lock();
    let Some(table) = current(catalog, table_id, index_name, index_id) else {
        return Ok(());
    };
    let mut meta = (*table).clone();
    for index in meta.global_secondary_indexes.iter_mut().filter(|i| i.id == index_id) {
        index.ready = true;
        index.backfilled_to = None;
        index.backfilled_items = indexed;
    }
    for index in meta.vector_indexes.iter_mut().filter(|i| i.id == index_id) {
        index.ready = true;
    }
    let mut tx = storage.begin()?;
    catalog
        .verify_unchanged(tx.as_mut(), Some(&table), &meta)
        .map_err(|e| StorageError::Other(e.message))?;
    persist_meta(tx.as_mut(), &meta)?;
    tx.delete(&progress_key(index_id));
    tx.commit()?;
    catalog.cache_put(meta);
    progress(total);
    tracing::info!(table = table_name, index = index_name, "index backfill finished");
    Ok(())
}
