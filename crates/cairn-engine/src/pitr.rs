//! Point-in-time recovery: while a table has it enabled, every item change is also
//! appended to the table's history range, in the same storage transaction as the
//! change; base copies of the table are taken like on-demand backups (from a storage
//! snapshot) when PITR is enabled and then daily. A restore to time T loads the
//! newest base copy taken at or before T and replays the history from that base's
//! instant up to T, so its cost is the table's size plus the changes since that base,
//! never the table's whole history.
//!
//! History key: `H · table id · commit time (µs, u64) · sequence (u64) · server (u32)`;
//! value: one byte (1 = the item's new image follows, 0 = deleted, its key follows)
//! and the encoded item or key. Time-major keys make "everything after the base up to
//! T" one range scan. Changes of one item are ordered by commit time (later commits
//! read the earlier ones, so their times are later on one server; servers sharing a
//! database must keep their clocks in step).

use crate::backup::{self, BackupMeta, INLINE_ITEMS};
use crate::catalog::TableMeta;
use crate::keys::key_of;
use crate::{storage_error, Engine};
use cairn_model::codec::{decode_item, encode_item};
use cairn_model::{ApiError, Item};
use cairn_storage::{ScanRange, Storage, StorageResult, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const HISTORY_PREFIX: u8 = b'H';
/// A new base copy is taken when the newest is older than this.
pub(crate) const BASE_INTERVAL_SECONDS: f64 = 24.0 * 3600.0;
/// A write takes its history time before it commits; a base copy's snapshot may
/// miss a change whose time is a little before the snapshot's. Replays start this
/// much before the base's instant (re-applying a change the base already holds is
/// harmless: records carry whole images and are applied in order).
pub(crate) const REPLAY_MARGIN_SECONDS: f64 = 60.0;
/// Base copies and history younger than this are never dropped.
const DROP_GRACE_SECONDS: f64 = 600.0;
/// Backups of this kind are PITR base copies, not listed by ListBackups.
pub(crate) const BASE_KIND: &str = "PITR_BASE";

pub(crate) fn history_prefix(table_id: u64) -> Vec<u8> {
    let mut key = vec![HISTORY_PREFIX];
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// The history key just before every change at or after `micros`.
pub(crate) fn history_position(table_id: u64, micros: u64) -> Vec<u8> {
    let mut key = history_prefix(table_id);
    key.extend_from_slice(&micros.to_be_bytes());
    key
}

pub(crate) fn micros(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1_000_000.0) as u64
}

/// The commit time (µs) of a history key.
pub(crate) fn time_of(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.get(9..17)?.try_into().ok()?))
}

/// Orders changes within one microsecond on this server; the server tag keeps two
/// servers' keys apart.
pub(crate) struct HistoryClock {
    sequence: AtomicU64,
    server: u32,
}

impl Default for HistoryClock {
    fn default() -> Self {
        let random = uuid::Uuid::new_v4();
        HistoryClock {
            sequence: AtomicU64::new(0),
            server: u32::from_be_bytes(random.as_bytes()[..4].try_into().unwrap_or([0; 4])),
        }
    }
}

impl HistoryClock {
    /// Appends one change of `table` at `now` to its history, in `tx`.
    pub(crate) fn record(
        &self,
        tx: &mut dyn Transaction,
        table: &TableMeta,
        now: f64,
        old: Option<&Item>,
        new: Option<&Item>,
    ) {
        let mut key = history_position(table.id, micros(now));
        key.extend_from_slice(&self.sequence.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        key.extend_from_slice(&self.server.to_be_bytes());
        let value = match (new, old) {
            (Some(item), _) => [vec![1], encode_item(item)].concat(),
            (None, Some(item)) => [vec![0], encode_item(&key_of(table, item))].concat(),
            (None, None) => return,
        };
        tx.put(&key, &value);
    }
}

/// One history record: the item's new image, or the key of the item deleted.
pub(crate) enum Change {
    Put(Item),
    Delete(Item),
}

pub(crate) fn decode_change(value: &[u8]) -> Option<Change> {
    let (tag, rest) = value.split_first()?;
    let item = decode_item(rest)?;
    Some(if *tag == 1 {
        Change::Put(item)
    } else {
        Change::Delete(item)
    })
}

/// Every PITR base copy of table `table_id`, oldest first.
pub(crate) fn bases(storage: &dyn Storage, table_id: u64) -> StorageResult<Vec<BackupMeta>> {
    Ok(backup::all(storage)?
        .into_iter()
        .filter(|b| b.kind == BASE_KIND && b.table.id == table_id && b.status == "AVAILABLE")
        .collect())
}

impl Engine {
    /// Takes a base copy of `table` now (from a snapshot, copying within this call;
    /// it runs in UpdateContinuousBackups and in the background worker). Returns the
    /// base's instant.
    pub(crate) fn take_base(&self, table: &TableMeta) -> Result<f64, ApiError> {
        let mut snapshot = self.storage.snapshot().map_err(storage_error)?;
        let now = self.clock.now_seconds();
        let id = backup::allocate_id(self.storage.as_ref()).map_err(storage_error)?;
        let mut meta = BackupMeta {
            id,
            arn: format!("pitr-base-{id}"),
            name: format!("pitr-base-{id}"),
            status: "CREATING".to_string(),
            created_at: now,
            size_bytes: 0,
            item_count: 0,
            table_arn: String::new(),
            table: table.clone(),
            heartbeat: backup::wall_seconds(),
            kind: BASE_KIND.to_string(),
        };
        backup::save(self.storage.as_ref(), &meta).map_err(storage_error)?;
        let mut after = None;
        loop {
            let (items, bytes, last, finished) = backup::copy_items(
                self.storage.as_ref(),
                snapshot.as_mut(),
                table.id,
                id,
                after,
                INLINE_ITEMS,
            )
            .map_err(storage_error)?;
            meta.item_count += items;
            meta.size_bytes += bytes;
            meta.heartbeat = backup::wall_seconds();
            after = last;
            if finished {
                meta.status = "AVAILABLE".to_string();
            }
            backup::save(self.storage.as_ref(), &meta).map_err(storage_error)?;
            if finished {
                return Ok(now);
            }
        }
    }

    /// Background upkeep: for every PITR table a new base copy when the newest is a
    /// day old (or none exists yet: the window then opens at its instant), and the
    /// window's start recorded — the newest base at or before the window's start is
    /// kept, with the history after it, so the whole window stays restorable. Then
    /// history and bases nobody needs any more (older than the window, PITR disabled,
    /// table deleted, an earlier enablement) are dropped, unless a restore still
    /// loading reads them.
    pub(crate) fn maintain_pitr(&self) {
        // Decide from the catalog as stored, not a cache another server may have
        // moved past.
        self.sync_catalog();
        let now = self.clock.now_seconds();
        for table in self.catalog.all() {
            let Some(pitr) = table.pitr.clone() else { continue };
            if table.loading() {
                continue;
            }
            let result = (|| -> Result<(), ApiError> {
                let mut known = current_bases(self.storage.as_ref(), &table, &pitr).map_err(storage_error)?;
                if known.last().is_none_or(|b| now - b.created_at >= BASE_INTERVAL_SECONDS) {
                    self.take_base(&table)?;
                    known = current_bases(self.storage.as_ref(), &table, &pitr).map_err(storage_error)?;
                }
                let window_start = now - pitr.recovery_period_days as f64 * 86_400.0;
                let keep_from = known
                    .iter()
                    .rev()
                    .find(|b| b.created_at <= window_start)
                    .or(known.first());
                let earliest = keep_from.map(|b| b.created_at);
                if earliest.is_some() && earliest != pitr.earliest {
                    self.set_earliest(&table, pitr.enabled_at, earliest)?;
                }
                Ok(())
            })();
            if let Err(e) = result {
                tracing::warn!(table = table.name, error = %e.message, "point-in-time recovery upkeep failed");
            }
        }
        if let Err(e) = self.drop_unneeded_pitr_data() {
            tracing::warn!(error = %e.message, "dropping old point-in-time recovery data failed");
        }
    }

    /// Records where a table's restorable window starts now.
    /// (Only for the enablement begun at `enabled_at`: a disable and re-enable
    /// meanwhile opened a new window.)
    pub(crate) fn set_earliest(
        &self,
        table: &TableMeta,
        enabled_at: f64,
        earliest: Option<f64>,
    ) -> Result<(), ApiError> {
        let _guard = self.catalog_lock();
        let Some(current) = self.catalog.current(table).filter(|t| t.id == table.id) else {
            return Ok(());
        };
        let mut meta = (*current).clone();
        let Some(pitr) = meta.pitr.as_mut().filter(|p| p.enabled_at == enabled_at) else {
            return Ok(());
        };
        pitr.earliest = earliest;
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&current), &meta)?;
        crate::catalog::persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta);
        Ok(())
    }

    /// Drops every base copy and history record that no window and no loading
    /// restore needs.
    fn drop_unneeded_pitr_data(&self) -> Result<(), ApiError> {
        let tables = self.catalog.all();
        // Nothing younger than this is dropped: a change made through another server
        // (PITR just enabled, a restore just begun) may not be in this view yet.
        let grace_start = self.clock.now_seconds() - DROP_GRACE_SECONDS;
        // What restores still loading read: their base copy, and their source's
        // history from the replay's start.
        let loading: Vec<crate::catalog::RestoreState> = tables
            .iter()
            .filter_map(|t| t.restore.clone().filter(|r| r.in_progress))
            .collect();
        let used_by_restore = |id: u64| loading.iter().any(|r| r.backup_id == id);
        // What exports still running read: base copies up to their instant, and all
        // of their table's history.
        let exports = crate::transfer::export::pitr_needs(self.storage.as_ref()).map_err(storage_error)?;
        let used_by_export = |base: &BackupMeta| {
            exports
                .iter()
                .any(|(t, at)| *t == base.table.id && base.created_at <= *at)
        };
        // The first history key each table still needs (None: none of it).
        let history_needed_from = |table_id: u64| -> Option<Vec<u8>> {
            let by_restore = loading
                .iter()
                .filter_map(|r| r.replay.as_ref())
                .filter(|r| r.source_table_id == table_id)
                .map(|r| r.after.clone())
                .min();
            if exports.iter().any(|(t, _)| *t == table_id) {
                return Some(history_prefix(table_id));
            }
            let by_window = tables
                .iter()
                .find(|t| t.id == table_id)
                .and_then(|t| t.pitr.as_ref())
                .map(|p| p.earliest.unwrap_or(p.enabled_at).max(p.enabled_at))
                .map(|start| history_position(table_id, micros(start - REPLAY_MARGIN_SECONDS)));
            match (by_restore, by_window) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let mut history_tables: Vec<u64> = Vec::new();
        for base in backup::all(self.storage.as_ref()).map_err(storage_error)? {
            if base.kind != BASE_KIND {
                continue;
            }
            history_tables.push(base.table.id);
            let window = tables
                .iter()
                .find(|t| t.id == base.table.id)
                .and_then(|t| t.pitr.as_ref());
            let needed = used_by_restore(base.id)
                || used_by_export(&base)
                || base.created_at >= grace_start
                || window.is_some_and(|p| {
                    base.created_at >= p.enabled_at && p.earliest.is_none_or(|e| base.created_at >= e)
                });
            if !needed {
                backup::delete_prefix(self.storage.as_ref(), &backup::data_prefix(base.id)).map_err(storage_error)?;
                let mut tx = self.storage.begin().map_err(storage_error)?;
                tx.delete(&backup::backup_key(base.id));
                tx.commit().map_err(storage_error)?;
            }
        }
        history_tables.extend(tables.iter().filter(|t| t.pitr.is_some()).map(|t| t.id));
        history_tables.sort_unstable();
        history_tables.dedup();
        for table_id in history_tables {
            let grace = history_position(table_id, micros(grace_start));
            let end = match history_needed_from(table_id) {
                Some(from) => std::ops::Bound::Excluded(from.min(grace)),
                None => std::ops::Bound::Excluded(grace),
            };
            let range = ScanRange {
                start: std::ops::Bound::Included(history_prefix(table_id)),
                end,
                reverse: false,
            };
            delete_range(self.storage.as_ref(), &range).map_err(storage_error)?;
        }
        Ok(())
    }
}

/// The base copies of the table's current enablement, oldest first.
pub(crate) fn current_bases(
    storage: &dyn Storage,
    table: &TableMeta,
    pitr: &crate::catalog::PitrState,
) -> StorageResult<Vec<BackupMeta>> {
    Ok(bases(storage, table.id)?
        .into_iter()
        .filter(|b| b.created_at >= pitr.enabled_at)
        .collect())
}

fn delete_range(storage: &dyn Storage, range: &ScanRange) -> StorageResult<()> {
    loop {
        let keys = storage.scan(range, 1024)?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut tx = storage.begin()?;
        for (key, _) in &keys {
            tx.delete(key);
        }
        tx.commit()?;
    }
}
