//! Test snapshots (`cairn snapshot save|restore|reset`): the whole state of a server —
//! tables, items, indexes, streams, backups — kept under a name and put back at once,
//! so a test suite returns to its fixture between tests instead of re-creating tables.
//!
//! The in-memory backend saves in constant time (its tree shares unchanged nodes) and
//! restores by swapping the root; the embedded backend holds an MVCC snapshot and
//! restores by writing the keys that differ. A store shared with other servers
//! (PostgreSQL) has none: one server cannot stop the others' writes.

use crate::{storage_error, Engine};
use cairn_model::ApiError;
use cairn_storage::SavedState;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Saved states by name.
#[derive(Default)]
pub(crate) struct TestSnapshots {
    saved: Mutex<BTreeMap<String, Saved>>,
    /// One save, restore or reset at a time: two restores would end each other's
    /// pause of background tasks. Taken before every other lock.
    one_at_a_time: Mutex<()>,
}

struct Saved {
    state: Arc<SavedState>,
    info: SnapshotInfo,
}

/// What `cairn snapshot list` shows of one saved state.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub name: String,
    /// The engine clock when it was saved (seconds since the epoch).
    pub saved_at: f64,
    /// Tables it holds, in every region.
    pub tables: usize,
}

/// How long a restore waits for running background tasks.
const TASK_DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// At most this many saved states at once (each pins memory or old versions).
pub const MAX_SNAPSHOTS: usize = 100;

fn check_name(name: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "Invalid snapshot name {name:?}: 1 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'"
        )))
    }
}

impl TestSnapshots {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Saved>> {
        self.saved.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn exclusive(&self) -> std::sync::MutexGuard<'_, ()> {
        self.one_at_a_time.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Engine {
    fn snapshots_supported(&self) -> Result<(), ApiError> {
        if self.storage.shared() {
            return Err(ApiError::validation(
                "Snapshots need the in-memory or the embedded backend: a store shared with other servers cannot be rolled back by one of them",
            ));
        }
        Ok(())
    }

    /// Saves the whole state as `name`, replacing a snapshot of that name.
    pub fn snapshot_save(&self, name: &str) -> Result<SnapshotInfo, ApiError> {
        check_name(name)?;
        self.snapshots_supported()?;
        let _one = self.test_snapshots.exclusive();
        let mut saved = self.test_snapshots.lock();
        if saved.len() >= MAX_SNAPSHOTS && !saved.contains_key(name) {
            return Err(ApiError::validation(format!(
                "At most {MAX_SNAPSHOTS} snapshots are kept: delete one first"
            )));
        }
        // No catalog change or item write half done while the state is taken.
        let _catalog = self.catalog_lock();
        let _writes = self.catalog.exclusive_writes();
        let state = self.storage.save().map_err(storage_error)?;
        let info = SnapshotInfo {
            name: name.to_string(),
            saved_at: self.clock.now_seconds(),
            tables: self.catalog.all().len(),
        };
        saved.insert(
            name.to_string(),
            Saved {
                state: Arc::new(state),
                info: info.clone(),
            },
        );
        Ok(info)
    }

    /// Puts the state saved as `name` back; the snapshot stays, to restore again.
    pub fn snapshot_restore(&self, name: &str) -> Result<SnapshotInfo, ApiError> {
        check_name(name)?;
        self.snapshots_supported()?;
        let (state, info) = {
            let saved = self.test_snapshots.lock();
            let entry = saved
                .get(name)
                .ok_or_else(|| ApiError::validation(format!("No snapshot named {name}")))?;
            (Arc::clone(&entry.state), entry.info.clone())
        };
        self.restore_state(&state)?;
        Ok(info)
    }

    /// Empties the server: no tables, items, streams or backups (saved snapshots stay).
    pub fn snapshot_reset(&self) -> Result<(), ApiError> {
        self.snapshots_supported()?;
        self.restore_state(&SavedState::empty())
    }

    /// Forgets the snapshot `name`.
    pub fn snapshot_delete(&self, name: &str) -> Result<(), ApiError> {
        check_name(name)?;
        match self.test_snapshots.lock().remove(name) {
            Some(_) => Ok(()),
            None => Err(ApiError::validation(format!("No snapshot named {name}"))),
        }
    }

    /// Every saved snapshot, by name.
    pub fn snapshot_list(&self) -> Vec<SnapshotInfo> {
        self.test_snapshots.lock().values().map(|s| s.info.clone()).collect()
    }

    fn restore_state(&self, state: &SavedState) -> Result<(), ApiError> {
        let _one = self.test_snapshots.exclusive();
        // Background work (purges, backfills, backup copies, imports, the periodic
        // round) finishes first and nothing new starts: a purge still running after
        // the restore would delete items the restored state holds again.
        let paused = self.pause_tasks(TASK_DRAIN_LIMIT).map_err(|running| {
            ApiError::validation(format!(
                "Background work is still running ({}); try the restore again when it finishes",
                running.join(", ")
            ))
        });
        let restored = paused.and_then(|()| {
            let _catalog = self.catalog_lock();
            let _writes = self.catalog.exclusive_writes();
            self.storage.restore(state).map_err(storage_error)?;
            self.catalog
                .replace_from(self.storage.as_ref())
                .map_err(storage_error)?;
            // Idempotency tokens remember calls the restored state may not contain,
            // and vector graphs entries it may not hold.
            self.tokens.clear();
            self.vector_graphs.clear();
            // Before the catalog lock is released: no table change can slip in
            // between and have its purge or backfill refused.
            self.resume_tasks();
            Ok(())
        });
        self.resume_tasks();
        // Whatever the outcome, work the store has pending (a purge or an index
        // backfill refused while tasks were held, or one the restored state holds)
        // starts again; restores, exports and imports resume on the next round.
        self.resume_purges();
        self.resume_backfills();
        restored
    }
}
