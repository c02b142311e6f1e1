//! Stream retention: whole shards are deleted once everything in them is older than
//! the retention period (so a record lives between the retention and the retention
//! plus one shard interval), and a disabled stream disappears once its last record
//! has expired.

use super::{shard_prefix, stream_prefix};
use crate::catalog::persist_meta;
use crate::{storage_error, Engine};
use cairn_model::ApiError;
use cairn_storage::{ScanRange, Storage, StorageError};

const TRIM_BATCH: usize = 512;

fn delete_range(storage: &dyn Storage, range: &ScanRange) -> Result<(), StorageError> {
    loop {
        let batch = storage.scan(range, TRIM_BATCH)?;
        let mut tx = storage.begin()?;
        for (key, _) in &batch {
            tx.delete(key);
        }
        tx.commit()?;
        if batch.len() < TRIM_BATCH {
            return Ok(());
        }
    }
}

impl Engine {
    /// Deletes expired stream shards and streams; returns how many shards went.
    pub fn trim_streams(&self) -> Result<usize, ApiError> {
        let now = self.clock.now_seconds();
        let retention = self.config.stream_retention.as_secs_f64();
        let interval = self.config.stream_shard_interval.as_secs_f64();
        let mut trimmed = 0;
        for listed in self.catalog.all() {
            if !self.leases.keep(crate::leases::BACKGROUND) {
                break;
            }
            let _guard = self.catalog_lock();
            let Some(table) = self.catalog.current(&listed) else {
                continue;
            };
            let mut meta = (*table).clone();
            let mut changed = false;
            for stream in &mut meta.streams {
                let horizon = stream
                    .shard_at(now - retention, interval)
                    .min(stream.current_shard(now, interval));
                for shard in stream.trimmed_below..horizon {
                    delete_range(
                        self.storage.as_ref(),
                        &ScanRange::prefix(&shard_prefix(stream.id, shard)),
                    )
                    .map_err(storage_error)?;
                    trimmed += 1;
                }
                if horizon > stream.trimmed_below {
                    stream.trimmed_below = horizon;
                    changed = true;
                }
            }
            let before = meta.streams.len();
            let expired = |s: &super::StreamMeta| s.disabled_at.is_some_and(|d| d <= now - retention);
            for stream in meta.streams.iter().filter(|s| expired(s)) {
                delete_range(self.storage.as_ref(), &ScanRange::prefix(&stream_prefix(stream.id)))
                    .map_err(storage_error)?;
            }
            meta.streams.retain(|s| !expired(s));
            changed |= meta.streams.len() != before;
            if changed {
                let mut tx = self.storage.begin().map_err(storage_error)?;
                self.catalog.verify_unchanged(tx.as_mut(), Some(&table), &meta)?;
                persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
                tx.commit().map_err(storage_error)?;
                self.catalog.cache_put(meta);
            }
        }
        Ok(trimmed)
    }
}
