//! DeleteTable: honours deletion protection, removes the catalog entry at once and
//! leaves the items to a purge (table ids are never reused, so stale items are
//! unreachable).

use super::common::data_plane_table_name;
use crate::catalog::{catalog_key, purge_key};
use crate::keys::table_prefix;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{DeleteTableOutput, TableNameInput};
use cairn_model::ApiError;
use cairn_storage::{ScanRange, Storage};

/// Items deleted per storage transaction while purging a dropped table.
const PURGE_BATCH: usize = 512;

impl Engine {
    pub fn delete_table(&self, ctx: &RequestContext, input: TableNameInput) -> Result<DeleteTableOutput, ApiError> {
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.finish()?;
        let name = input.table_name.unwrap_or_default();
        let _guard = self.catalog_lock();
        let meta = self.catalog.get(&ctx.region, &name).ok_or_else(|| {
            ApiError::resource_not_found(format!("Requested resource not found: Table: {name} not found"))
        })?;
        if meta.loading() {
            return Err(ApiError::resource_in_use(format!(
                "Attempt to change a resource which is still in use: Table is being created: {name}"
            )));
        }
        if meta.vector_indexes.iter().any(|v| !v.ready) {
            return Err(ApiError::resource_in_use(
                "Cannot delete table while indexes are being created, updated, or deleted.",
            ));
        }
        if meta.deletion_protection_enabled {
            return Err(ApiError::validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.".to_string()));
        }
        let (count, size) = self.table_statistics(&meta)?;
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&meta), &meta)?;
        tx.delete(&catalog_key(&meta));
        crate::catalog::bump_catalog_version(tx.as_mut());
        tx.put(&purge_key(meta.id), &[]);
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_remove(&meta);
        let graphs: Vec<u64> = meta.vector_indexes.iter().map(|v| v.id).collect();
        self.vector_graphs.forget(&graphs);
        let description = self.describe(ctx, &meta, count, size).into();
        self.start_purge(meta.id);
        Ok(DeleteTableOutput {
            table_description: description,
        })
    }

    /// Drops a deleted index's entries in the background. (Index ids are never
    /// reused, so entries left by a crash are unreachable garbage, not wrong data.)
    pub(crate) fn purge_index(&self, index_id: u64) {
        let storage = self.storage.clone();
        // Tracked like every background task, so a snapshot restore waits for it
        // (refused only while one runs, which replaces the whole store anyway).
        let Some(task) = self.start_task(format!("purge-index:{index_id}")) else {
            return;
        };
        std::thread::spawn(move || {
            let _task = task;
            let range = ScanRange::prefix(&crate::indexes::index_prefix(index_id));
            if let Err(e) = purge_range(storage.as_ref(), &range, None) {
                tracing::warn!(index_id, error = %e, "purging a deleted index failed");
            }
        });
    }

    /// Purges a deleted table's items on a thread of its own, unless that already
    /// runs here or (several servers) the server holding the background lease will.
    fn start_purge(&self, table_id: u64) {
        if !self.leases.acquire(crate::leases::BACKGROUND) {
            return;
        }
        let Some(task) = self.start_task(format!("purge:{table_id}")) else {
            return;
        };
        let storage = self.storage.clone();
        std::thread::spawn(move || {
            let _task = task;
            if let Err(e) = purge_table(storage.as_ref(), table_id) {
                tracing::warn!(table_id, error = %e, "purging a deleted table's items failed; retried later");
            }
        });
    }

    /// Finishes purges interrupted by a restart (or, with several servers, by the
    /// death of the server doing them).
    pub fn resume_purges(&self) {
        if !self.leases.acquire(crate::leases::BACKGROUND) {
            return;
        }
        let pending = match self
            .storage
            .scan(&ScanRange::prefix(&[crate::catalog::PURGE_PREFIX]), usize::MAX)
        {
            Ok(p) => p,
            Err(e) => return tracing::warn!(error = %e, "listing pending purges failed"),
        };
        for (key, _) in pending {
            if let Some(id) = key.get(1..9).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes) {
                self.start_purge(id);
            }
        }
    }
}

fn purge_table(storage: &dyn Storage, table_id: u64) -> Result<(), cairn_storage::StorageError> {
    // Index ids are `table id << 8 | n`: one prefix covers all of a table's indexes.
    let mut indexes = vec![crate::indexes::INDEX_PREFIX];
    indexes.extend_from_slice(&(table_id << 8).to_be_bytes()[..7]);
    purge_range(storage, &ScanRange::prefix(&indexes), None)?;
    let mut collections = vec![crate::collections::COLLECTION_PREFIX];
    collections.extend_from_slice(&table_id.to_be_bytes());
    purge_range(storage, &ScanRange::prefix(&collections), None)?;
    let mut tx = storage.begin()?;
    tx.delete(&crate::backup::progress_key(table_id));
    tx.commit()?;
    purge_range(storage, &ScanRange::prefix(&table_prefix(table_id)), Some(table_id))
}

/// Deletes a key range in batches; the last batch also clears the purge marker.
fn purge_range(
    storage: &dyn Storage,
    range: &ScanRange,
    marker: Option<u64>,
) -> Result<(), cairn_storage::StorageError> {
    loop {
        let batch = storage.scan(range, PURGE_BATCH)?;
        let mut tx = storage.begin()?;
        for (key, _) in &batch {
            tx.delete(key);
        }
        if batch.len() < PURGE_BATCH {
            if let Some(table_id) = marker {
                tx.delete(&purge_key(table_id));
            }
            return tx.commit();
        }
        tx.commit()?;
    }
}
