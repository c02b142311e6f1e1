//! On-demand backups, stored in the same keyspace as everything else:
//!
//! - `B · backup id` (u64, big-endian): the backup's description (JSON): name, ARN,
//!   status, size, and the source table's metadata as it was;
//! - `D · backup id · item storage key`: the table's items as they were.
//!
//! A backup is a copy of the table's items read from one storage snapshot (an instant
//! that writers never wait for), so it is consistent without blocking writes. Indexes
//! are not copied: a restore rebuilds them from the items under the restored table's
//! own (possibly overridden) index definitions, so they agree with the items by
//! construction. Small tables are copied within the CreateBackup call (the backup is
//! AVAILABLE at once); the rest of a large one is copied by a thread holding the same
//! snapshot while the backup reports CREATING. A restore loads the target table the
//! same way: within the call up to a budget, then by the background worker, which
//! saves its position so a restart resumes it.

use crate::catalog::{TableMeta, CATALOG_PREFIX};
use crate::keys::{item_storage_key, key_of, table_prefix};
use crate::write::decode_or_skip;
use crate::{storage_error, Engine};
use cairn_model::codec::encode_item;
use cairn_model::ApiError;
use cairn_storage::{ScanRange, Snapshot, Storage, StorageError, StorageResult};
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use std::sync::Arc;

pub(crate) const BACKUP_PREFIX: u8 = b'B';
pub(crate) const BACKUP_DATA_PREFIX: u8 = b'D';
const NEXT_BACKUP_ID_KEY: &[u8] = b"mnext_backup_id";
/// Items copied (or restored) per storage transaction.
const CHUNK: usize = 256;
/// Items a CreateBackup or RestoreTableFromBackup call copies itself before handing
/// the rest to the background.
pub(crate) const INLINE_ITEMS: usize = 20_000;

const _: () = assert!(BACKUP_PREFIX != CATALOG_PREFIX);

/// What Cairn keeps about one backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BackupMeta {
    pub id: u64,
    pub arn: String,
    pub name: String,
    /// CREATING while items are being copied, then AVAILABLE.
    pub status: String,
    pub created_at: f64,
    pub size_bytes: i64,
    pub item_count: i64,
    pub table_arn: String,
    /// The source table's metadata at the backup's instant.
    pub table: TableMeta,
    /// While CREATING: wall-clock seconds of the copier's last progress; a backup
    /// whose copier stopped (its server died) is deleted after a minute.
    #[serde(default)]
    pub heartbeat: f64,
    /// "" for a user's backup; `pitr::BASE_KIND` for a point-in-time recovery base
    /// copy (not listed, not restorable by ARN).
    #[serde(default)]
    pub kind: String,
}

pub(crate) fn wall_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub(crate) fn backup_key(id: u64) -> Vec<u8> {
    let mut key = vec![BACKUP_PREFIX];
    key.extend_from_slice(&id.to_be_bytes());
    key
}

pub(crate) fn data_prefix(id: u64) -> Vec<u8> {
    let mut key = vec![BACKUP_DATA_PREFIX];
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corruption(format!("backup description: {e}"))
}

pub(crate) fn save(storage: &dyn Storage, meta: &BackupMeta) -> StorageResult<()> {
    let mut tx = storage.begin()?;
    tx.put(
        &backup_key(meta.id),
        &serde_json::to_vec(meta).map_err(|e| StorageError::Other(e.to_string()))?,
    );
    tx.commit()
}

/// Every backup, oldest first (ids grow with time).
pub(crate) fn all(storage: &dyn Storage) -> StorageResult<Vec<BackupMeta>> {
    storage
        .scan(&ScanRange::prefix(&[BACKUP_PREFIX]), usize::MAX)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(corrupt))
        .collect()
}

pub(crate) fn by_arn(storage: &dyn Storage, arn: &str) -> StorageResult<Option<BackupMeta>> {
    Ok(all(storage)?.into_iter().find(|b| b.arn == arn))
}

pub(crate) fn allocate_id(storage: &dyn Storage) -> StorageResult<u64> {
    loop {
        let mut tx = storage.begin()?;
        let next = match tx.get(NEXT_BACKUP_ID_KEY)? {
            Some(bytes) => u64::from_be_bytes(bytes.try_into().map_err(|_| corrupt("backup id counter"))?),
            None => 1,
        };
        tx.put(NEXT_BACKUP_ID_KEY, &(next + 1).to_be_bytes());
        match tx.commit() {
            Ok(()) => return Ok(next),
            Err(StorageError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Copies a table's items from `snapshot` into backup `id`, from just after `after`,
/// for at most `budget` items. Returns (items, bytes, last key copied, finished).
pub(crate) fn copy_items(
    storage: &dyn Storage,
    snapshot: &mut dyn Snapshot,
    table_id: u64,
    id: u64,
    after: Option<Vec<u8>>,
    budget: usize,
) -> StorageResult<(i64, i64, Option<Vec<u8>>, bool)> {
    let mut range = ScanRange::prefix(&table_prefix(table_id));
    if let Some(after) = &after {
        range.start = Bound::Excluded(after.clone());
    }
    let (mut items, mut bytes, mut last) = (0i64, 0i64, after);
    let prefix = data_prefix(id);
    while (items as usize) < budget {
        let chunk = snapshot.scan(&range, CHUNK)?;
        if chunk.is_empty() {
            return Ok((items, bytes, last, true));
        }
        let mut tx = storage.begin()?;
        for (key, value) in &chunk {
            let mut data_key = prefix.clone();
            data_key.extend_from_slice(key);
            tx.put(&data_key, value);
            items += 1;
            bytes += (key.len() + value.len()) as i64;
        }
        tx.commit()?;
        let (key, _) = chunk.last().expect("not empty");
        range.start = Bound::Excluded(key.clone());
        last = Some(key.clone());
        if chunk.len() < CHUNK {
            return Ok((items, bytes, last, true));
        }
    }
    Ok((items, bytes, last, false))
}

/// Deletes every key with `prefix`, in chunks.
pub(crate) fn delete_prefix(storage: &dyn Storage, prefix: &[u8]) -> StorageResult<()> {
    loop {
        let keys = storage.scan(&ScanRange::prefix(prefix), 1024)?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut tx = storage.begin()?;
        for (key, _) in &keys {
            tx.delete(key);
        }
        match tx.commit() {
            Ok(()) | Err(StorageError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
}

/// What loading a restored table needs, without the engine (it runs on a thread of
/// its own after the RestoreTableFromBackup call answers).
#[derive(Clone)]
pub(crate) struct Restorer {
    pub storage: Arc<dyn Storage>,
    pub catalog: Arc<crate::catalog::Catalog>,
    pub leases: Arc<crate::leases::Leases>,
    pub collection_limit: u64,
}

/// Where a restore has got: saved in the same transaction as each chunk it loads, so
/// a restart (or another server taking over) neither skips nor repeats a chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    /// The last backup data key loaded.
    base_after: Option<Vec<u8>>,
    base_done: bool,
    /// The last history key replayed (point-in-time restores).
    history_after: Option<Vec<u8>>,
}

pub(crate) fn progress_key(table_id: u64) -> Vec<u8> {
    let mut key = b"mrestore/".to_vec();
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// Stops a loader that finds the saved progress is not what it left: another loader
/// (after a lease hand-over) is working on the same restore.
const TAKEN_OVER: &str = "another loader is restoring this table";

impl Restorer {
    fn progress(&self, table_id: u64) -> Result<Progress, ApiError> {
        let stored = self.storage.get(&progress_key(table_id)).map_err(storage_error)?;
        Ok(stored
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Progress {
                base_after: None,
                base_done: false,
                history_after: None,
            }))
    }

    /// Reads the saved progress inside `tx` and checks it is `expected`; then stores
    /// `next` in the same transaction.
    fn advance(
        tx: &mut dyn cairn_storage::Transaction,
        table: &TableMeta,
        expected: &Progress,
        next: &Progress,
    ) -> Result<(), ApiError> {
        // The table as stored must still be this restore, still loading: a loader
        // holding metadata from before the restore finished (or before the table
        // was deleted) must not load it again.
        let stored_meta = tx
            .get(&crate::catalog::catalog_key(table))
            .map_err(storage_error)?
            .and_then(|bytes| serde_json::from_slice::<TableMeta>(&bytes).ok());
        let loading =
            stored_meta.is_some_and(|m| m.id == table.id && m.restore.as_ref().is_some_and(|r| r.in_progress));
        if !loading {
            return Err(ApiError::internal(TAKEN_OVER));
        }
        let key = progress_key(table.id);
        let stored: Option<Progress> = tx
            .get(&key)
            .map_err(storage_error)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let fresh = expected.base_after.is_none() && !expected.base_done && expected.history_after.is_none();
        let matches = match stored {
            Some(stored) => stored == *expected,
            None => fresh,
        };
        if !matches {
            return Err(ApiError::internal(TAKEN_OVER));
        }
        tx.put(
            &key,
            &serde_json::to_vec(next).map_err(|e| ApiError::internal(e.to_string()))?,
        );
        Ok(())
    }

    /// Loads up to `budget` items (base copy, then history for a point-in-time
    /// restore) into the table being restored, continuing from the saved progress;
    /// marks the restore finished at the end. Returns whether it finished.
    pub(crate) fn load(&self, table: &Arc<TableMeta>, budget: usize) -> Result<bool, ApiError> {
        let Some(restore) = table.restore.clone().filter(|r| r.in_progress) else {
            return Ok(true);
        };
        let mut progress = self.progress(table.id)?;
        let mut loaded = 0usize;
        if !progress.base_done {
            loaded += self.load_base(table, &restore, &mut progress, budget)?;
        }
        let finished = match &restore.replay {
            None => progress.base_done,
            Some(_) if !progress.base_done => false,
            Some(replay) => self.replay_history(table, replay, &mut progress, budget.saturating_sub(loaded))?,
        };
        if !finished {
            return Ok(false);
        }
        // Done: the table turns ACTIVE.
        let _guard = self.catalog.lock();
        let Some(current) = self.catalog.current(table).filter(|t| t.id == table.id) else {
            return Ok(true);
        };
        let mut meta = (*current).clone();
        if let Some(r) = meta.restore.as_mut() {
            r.in_progress = false;
            r.restored_to = None;
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&current), &meta)?;
        crate::catalog::persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.delete(&progress_key(table.id));
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta);
        Ok(true)
    }

    /// Copies up to `budget` items of the backup (or base copy) into the table, with
    /// their index entries, each chunk with its progress. Returns the items loaded.
    fn load_base(
        &self,
        table: &Arc<TableMeta>,
        restore: &crate::catalog::RestoreState,
        progress: &mut Progress,
        budget: usize,
    ) -> Result<usize, ApiError> {
        let prefix = data_prefix(restore.backup_id);
        let mut loaded = 0usize;
        while loaded < budget {
            let mut range = ScanRange::prefix(&prefix);
            if let Some(after) = &progress.base_after {
                range.start = Bound::Excluded(after.clone());
            }
            let chunk = self.storage.scan(&range, CHUNK).map_err(storage_error)?;
            let mut tx = self.storage.begin().map_err(storage_error)?;
            for (data_key, value) in &chunk {
                let Some(item) = decode_or_skip(table, data_key, value) else {
                    continue;
                };
                let key = key_of(table, &item);
                tx.put(&item_storage_key(table, &key), &encode_item(&item));
                for index in table
                    .global_secondary_indexes
                    .iter()
                    .chain(&table.local_secondary_indexes)
                {
                    // Items whose index key has the wrong type stay out of the index, as
                    // when DynamoDB backfills one.
                    if !crate::index_keys::indexable(table, index, &item) {
                        continue;
                    }
                    if let Some(entry) = crate::indexes::entry_key(table, index, &item) {
                        tx.put(
                            &entry,
                            &encode_item(&crate::indexes::project_entry(table, index, &item)),
                        );
                    }
                }
                crate::vectors::maintain(tx.as_mut(), table, None, Some(&item));
                crate::collections::account(tx.as_mut(), table, None, Some(&item), self.collection_limit)?;
            }
            let mut next = progress.clone();
            if let Some((key, _)) = chunk.last() {
                next.base_after = Some(key.clone());
            }
            next.base_done = chunk.len() < CHUNK;
            Self::advance(tx.as_mut(), table, progress, &next)?;
            tx.commit().map_err(storage_error)?;
            *progress = next;
            loaded += chunk.len();
            if progress.base_done {
                break;
            }
        }
        Ok(loaded)
    }

    /// Applies up to `budget` changes of the source table's history, in order, after
    /// the replay's start (or the progress) and up to its end time, each chunk with its
    /// progress. Returns whether the replay is complete.
    fn replay_history(
        &self,
        table: &Arc<TableMeta>,
        replay: &crate::catalog::Replay,
        progress: &mut Progress,
        budget: usize,
    ) -> Result<bool, ApiError> {
        use crate::pitr::{decode_change, history_position, time_of, Change};
        let end = history_position(replay.source_table_id, replay.until_micros.saturating_add(1));
        let mut applied = 0usize;
        loop {
            if applied >= budget.max(CHUNK) {
                return Ok(false);
            }
            let start = progress.history_after.clone().unwrap_or_else(|| replay.after.clone());
            let range = ScanRange {
                start: Bound::Excluded(start),
                end: Bound::Excluded(end.clone()),
                reverse: false,
            };
            let chunk = self.storage.scan(&range, CHUNK).map_err(storage_error)?;
            let mut tx = self.storage.begin().map_err(storage_error)?;
            for (key, value) in &chunk {
                if time_of(key).is_none_or(|t| t > replay.until_micros) {
                    continue;
                }
                let (item_key, new) = match decode_change(value) {
                    Some(Change::Put(item)) => (key_of(table, &item), Some(item)),
                    Some(Change::Delete(key)) => (key, None),
                    None => continue,
                };
                let storage_key = item_storage_key(table, &item_key);
                let old = match tx.get(&storage_key).map_err(storage_error)? {
                    Some(bytes) => decode_or_skip(table, &storage_key, &bytes),
                    None => None,
                };
                match &new {
                    Some(item) => tx.put(&storage_key, &encode_item(item)),
                    None => tx.delete(&storage_key),
                }
                crate::indexes::maintain(tx.as_mut(), table, old.as_ref(), new.as_ref());
                crate::collections::account(tx.as_mut(), table, old.as_ref(), new.as_ref(), self.collection_limit)?;
            }
            let mut next = progress.clone();
            if let Some((key, _)) = chunk.last() {
                next.history_after = Some(key.clone());
            }
            Self::advance(tx.as_mut(), table, progress, &next)?;
            tx.commit().map_err(storage_error)?;
            *progress = next;
            applied += chunk.len();
            if chunk.len() < CHUNK {
                return Ok(true);
            }
        }
    }

    /// Loads the whole backup into `table`, a budget at a time, stopping if this
    /// server loses the background lease (another server then resumes it).
    pub(crate) fn load_all(&self, table: Arc<TableMeta>) {
        let mut current = table;
        loop {
            match self.load(&current, INLINE_ITEMS) {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => {
                    return tracing::warn!(table = current.name, error = %e.message, "restoring from a backup stopped; resumed later");
                }
            }
            if !self.leases.keep(crate::leases::BACKGROUND) {
                return;
            }
            match self.catalog.current(&current).filter(|t| t.id == current.id) {
                Some(next) => current = next,
                None => return,
            }
        }
    }
}

impl Engine {
    pub(crate) fn restorer(&self) -> Restorer {
        Restorer {
            storage: self.storage.clone(),
            catalog: self.catalog.clone(),
            leases: self.leases.clone(),
            collection_limit: self.config.item_collection_limit_bytes,
        }
    }

    /// Loads a new restore: small ones before the call answers, the rest on a
    /// thread of its own. One loader per restore: this process's task mark, and with
    /// several servers the background lease (the holder loads it otherwise) and the
    /// progress check inside every chunk.
    pub(crate) fn load_restore(&self, target: &str, table: Arc<TableMeta>) {
        if !self.leases.acquire(crate::leases::BACKGROUND) {
            return;
        }
        let Some(task) = self.start_task(format!("restore:{}", table.id)) else {
            return;
        };
        let restorer = self.restorer();
        match restorer.load(&table, INLINE_ITEMS) {
            Ok(true) => {}
            Ok(false) => {
                if let Some(current) = self.catalog.current(&table).filter(|t| t.id == table.id) {
                    std::thread::spawn(move || {
                        let _task = task;
                        restorer.load_all(current);
                    });
                }
            }
            Err(e) => {
                tracing::warn!(table = target, error = %e.message, "restoring items stopped; the background worker resumes it")
            }
        }
    }

    /// Loads the rest of a restore on a thread of its own (unless it already runs
    /// here, or another server holds the background lease and will).
    pub(crate) fn start_restore(&self, table: Arc<TableMeta>) {
        if !self.leases.acquire(crate::leases::BACKGROUND) {
            return;
        }
        let Some(task) = self.start_task(format!("restore:{}", table.id)) else {
            return;
        };
        let restorer = self.restorer();
        std::thread::spawn(move || {
            let _task = task;
            restorer.load_all(table);
        });
    }

    /// Resumes every restore still loading (after a restart, or a server's death).
    /// Runs from the background worker.
    pub(crate) fn resume_restores(&self) {
        for table in self.catalog.all() {
            if table.restore.as_ref().is_some_and(|r| r.in_progress) {
                self.start_restore(table);
            }
        }
    }
}

impl Engine {
    /// Backups left CREATING by a server that stopped (no progress for a minute):
    /// their snapshot is gone, so the copy cannot finish as of its instant. They are
    /// deleted (and logged) rather than kept incomplete.
    pub(crate) fn drop_unfinished_backups(&self) {
        let backups = match all(self.storage.as_ref()) {
            Ok(b) => b,
            Err(e) => return tracing::warn!(error = %e, "listing backups failed"),
        };
        let now = wall_seconds();
        for backup in backups.into_iter().filter(|b| b.status == "CREATING") {
            let running_here = self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&format!("backup:{}", backup.id));
            if running_here || now - backup.heartbeat < 60.0 {
                continue;
            }
            tracing::warn!(backup = backup.arn, "a backup interrupted by a restart is deleted");
            let deleted = delete_prefix(self.storage.as_ref(), &data_prefix(backup.id)).and_then(|()| {
                let mut tx = self.storage.begin()?;
                tx.delete(&backup_key(backup.id));
                tx.commit()
            });
            if let Err(e) = deleted {
                tracing::warn!(error = %e, "deleting an interrupted backup failed");
            }
        }
    }
}
