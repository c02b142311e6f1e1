//! Leases: background work (TTL sweeping, stream trimming, purges of deleted tables,
//! GSI backfills) must run on one server at a time when several share one store.
//! The holder of the `background` lease does it all; it renews the lease as it goes,
//! and when it dies the lease runs out and the next server to ask takes over, resuming
//! from what the store records (purge markers, backfill positions; TTL and trimming
//! keep no position).
//!
//! A lease is a row `mlease/NAME` = {owner, until}, taken or renewed in a storage
//! transaction (two servers racing for it conflict and one loses). Expiry is
//! wall-clock time, so servers' clocks must roughly agree (well within the lease
//! length, as NTP keeps them). On a store nobody else shares, every lease is held.

use cairn_storage::{Storage, StorageError, StorageResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The lease under which all background work runs.
pub(crate) const BACKGROUND: &str = "background";

#[derive(Serialize, Deserialize)]
struct Lease {
    owner: String,
    /// Seconds since the Unix epoch.
    until: f64,
}

fn lease_key(name: &str) -> Vec<u8> {
    let mut key = b"mlease/".to_vec();
    key.extend_from_slice(name.as_bytes());
    key
}

fn wall_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub(crate) struct Leases {
    /// The store, when other servers share it.
    shared: Option<Arc<dyn Storage>>,
    /// This server's name in lease rows (random per process).
    owner: String,
    length: Mutex<Duration>,
    /// Leases this server holds, and until when (by its own monotonic clock, with
    /// a margin, so it stops before another server may start).
    held: Mutex<HashMap<String, Instant>>,
}

impl Leases {
    pub(crate) fn new(storage: &Arc<dyn Storage>) -> Leases {
        Leases {
            shared: storage.shared().then(|| Arc::clone(storage)),
            owner: uuid::Uuid::new_v4().to_string(),
            length: Mutex::new(Duration::from_secs(10)),
            held: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// How long a lease lasts without renewal (the time a dead holder's work waits
    /// before another server takes it over).
    pub(crate) fn set_length(&self, length: Duration) {
        *self.length.lock().unwrap_or_else(|p| p.into_inner()) = length.max(Duration::from_millis(100));
    }

    fn length(&self) -> Duration {
        *self.length.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes or renews lease `name`; whether this server holds it now.
    pub(crate) fn acquire(&self, name: &str) -> bool {
        let Some(storage) = &self.shared else {
            return true;
        };
        let length = self.length();
        let started = Instant::now();
        match self.try_acquire(storage.as_ref(), name, length) {
            Ok(true) => {
                // Count the lease from before the request, and stop a fifth early.
                let until = started + length.mul_f64(0.8);
                self.held
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_string(), until);
                true
            }
            Ok(false) => {
                self.forget(name);
                false
            }
            Err(e) => {
                tracing::debug!(lease = name, error = %e, "lease not taken");
                false
            }
        }
    }

    /// Renews `name` when a third of its length has passed since it was last
    /// taken; whether it is still held. Long work calls this between steps and
    /// stops when it answers false.
    pub(crate) fn keep(&self, name: &str) -> bool {
        if self.shared.is_none() {
            return true;
        }
        let due = {
            let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            match held.get(name) {
                None => return false,
                Some(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    left < self.length().mul_f64(0.8 * 2.0 / 3.0)
                }
            }
        };
        !due || self.acquire(name)
    }

    /// Whether this server holds `name` now.
    #[cfg(test)]
    pub(crate) fn holds(&self, name: &str) -> bool {
        if self.shared.is_none() {
            return true;
        }
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Names of the leases held now (for the health report).
    pub(crate) fn held(&self) -> Vec<String> {
        let now = Instant::now();
        let mut names: Vec<String> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    fn forget(&self, name: &str) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
    }

    fn try_acquire(&self, storage: &dyn Storage, name: &str, length: Duration) -> StorageResult<bool> {
        let key = lease_key(name);
        let mut tx = storage.begin()?;
        let now = wall_seconds();
        if let Some(bytes) = tx.get(&key)? {
            let lease: Lease =
                serde_json::from_slice(&bytes).map_err(|e| StorageError::Corruption(format!("lease {name}: {e}")))?;
            if lease.owner != self.owner && lease.until > now {
                return Ok(false);
            }
        }
        let lease = Lease {
            owner: self.owner.clone(),
            until: now + length.as_secs_f64(),
        };
        let bytes = serde_json::to_vec(&lease).map_err(|e| StorageError::Other(e.to_string()))?;
        tx.put(&key, &bytes);
        match tx.commit() {
            Ok(()) => Ok(true),
            Err(StorageError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives up every lease this server holds (a clean shutdown), so another server
    /// takes the work over at once instead of after the lease runs out.
    pub(crate) fn release_all(&self) {
        let Some(storage) = &self.shared else {
            return;
        };
        let names: Vec<String> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(name, _)| name)
            .collect();
        for name in names {
            let release = || -> StorageResult<()> {
                let key = lease_key(&name);
                let mut tx = storage.begin()?;
                let mine = tx
                    .get(&key)?
                    .and_then(|bytes| serde_json::from_slice::<Lease>(&bytes).ok())
                    .is_some_and(|lease| lease.owner == self.owner);
                if mine {
                    tx.delete(&key);
                }
                tx.commit()
            };
            if let Err(e) = release() {
                tracing::debug!(lease = name, error = %e, "releasing a lease failed; it runs out by itself");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_storage::MemoryStorage;

    #[test]
    fn a_lease_is_held_by_one_server_until_it_runs_out_or_is_released() {
        let store = crate::testing::shared_memory();
        let (a, b) = (Leases::new(&store), Leases::new(&store));
        for leases in [&a, &b] {
            leases.set_length(Duration::from_millis(300));
        }
        assert!(a.acquire(BACKGROUND));
        assert!(!b.acquire(BACKGROUND), "held by a");
        assert!(a.acquire(BACKGROUND), "the holder renews");
        assert_eq!(a.held(), vec![BACKGROUND.to_string()]);
        assert!(b.held().is_empty());
        std::thread::sleep(Duration::from_millis(350));
        assert!(!a.holds(BACKGROUND), "a stops counting on it before it runs out");
        assert!(b.acquire(BACKGROUND), "b takes over once a's lease has run out");
        assert!(!a.acquire(BACKGROUND));
        b.release_all();
        assert!(a.acquire(BACKGROUND), "a released lease is free at once");
    }

    #[test]
    fn an_unshared_store_needs_no_lease() {
        let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let (a, b) = (Leases::new(&store), Leases::new(&store));
        assert!(a.acquire(BACKGROUND) && b.acquire(BACKGROUND));
        assert!(a.keep(BACKGROUND) && a.holds(BACKGROUND));
    }
}
