//! The TTL sweeper: deletes items whose TTL attribute (a Number of epoch seconds) is
//! in the past, through the normal write path, so indexes are updated and streams get
//! a REMOVE record from the DynamoDB service identity. Until the sweep reaches an
//! expired item it stays readable, as on DynamoDB. Time is the engine's clock.

use crate::keys::{key_of, table_prefix};
use crate::leases::BACKGROUND;
use crate::write::{decode_or_skip, Decision};
use crate::{storage_error, Engine};
use cairn_model::types::UserIdentity;
use cairn_model::{ApiError, AttributeValue, Item};
use cairn_storage::ScanRange;
use std::ops::Bound;
use std::sync::Arc;

const SWEEP_CHUNK: usize = 512;

/// Whether `item` has expired at `now` under TTL attribute `attribute`. DynamoDB
/// ignores non-numbers and values more than five years in the past.
pub(crate) fn expired(item: &Item, attribute: &str, now: f64) -> bool {
    let Some(AttributeValue::N(n)) = item.get(attribute) else {
        return false;
    };
    let Ok(seconds) = n.to_string().parse::<f64>() else {
        return false;
    };
    const FIVE_YEARS: f64 = 5.0 * 365.0 * 86_400.0;
    seconds <= now && seconds >= now - FIVE_YEARS
}

fn ttl_identity() -> UserIdentity {
    UserIdentity {
        kind: "Service".to_string(),
        principal_id: "dynamodb.amazonaws.com".to_string(),
    }
}

impl Engine {
    /// One pass over every TTL-enabled table; returns how many items it deleted.
    pub fn sweep_expired_items(&self) -> Result<usize, ApiError> {
        let mut deleted = 0;
        for table in self.catalog.all() {
            let Some(attribute) = table.ttl_attribute.clone() else {
                continue;
            };
            let mut range = ScanRange::prefix(&table_prefix(table.id));
            loop {
                let chunk = self.storage.scan(&range, SWEEP_CHUNK).map_err(storage_error)?;
                let now = self.clock.now_seconds();
                for (key, value) in &chunk {
                    let Some(item) = decode_or_skip(&table, key, value) else {
                        continue;
                    };
                    if !expired(&item, &attribute, now) {
                        continue;
                    }
                    let targets = [(Arc::clone(&table), key_of(&table, &item))];
                    // Delete only if still expired: a concurrent write may have
                    // extended or removed the TTL.
                    let changes = self.write_items_as(&targets, Some(ttl_identity()), None, |olds| {
                        let still = olds[0].as_ref().is_some_and(|o| expired(o, &attribute, now));
                        Ok(vec![if still { Decision::Write(None) } else { Decision::Keep }])
                    })?;
                    if changes[0].old.is_some() && changes[0].new.is_none() {
                        deleted += 1;
                        metrics::counter!("TimeToLiveDeletedItemCount", "TableName" => table.name.clone()).increment(1);
                    }
                }
                if !self.leases.keep(BACKGROUND) {
                    // Another server took the work over.
                    return Ok(deleted);
                }
                match chunk.last() {
                    Some((key, _)) if chunk.len() == SWEEP_CHUNK => range.start = Bound::Excluded(key.clone()),
                    _ => break,
                }
            }
        }
        Ok(deleted)
    }

    /// Runs the background work every `interval` on a thread of its own: the TTL
    /// sweeper and stream retention, and, on a store shared with other servers,
    /// purges and backfills left by a server that stopped. With several servers only
    /// the holder of the `background` lease works; the lease lasts three intervals
    /// (at least two seconds), so a dead holder's work resumes elsewhere within that.
    pub fn start_ttl_sweeper(self: &Arc<Self>, interval: std::time::Duration) {
        self.attach();
        self.leases
            .set_length((interval * 3).max(std::time::Duration::from_secs(2)));
        let engine = Arc::downgrade(self);
        std::thread::spawn(move || loop {
            std::thread::sleep(interval);
            let Some(engine) = engine.upgrade() else { return };
            engine.background_tick();
        });
    }

    /// One round of background work, if this server holds the lease for it.
    pub fn background_tick(&self) {
        if !self.leases.acquire(BACKGROUND) {
            return;
        }
        // A task like any other: a test snapshot's restore waits for a round to
        // finish and skips rounds while it runs.
        let Some(_round) = self.start_task("background-round".to_string()) else {
            return;
        };
        if let Err(e) = self.sweep_expired_items() {
            tracing::warn!(error = %e, "TTL sweep failed");
        }
        if let Err(e) = self.trim_streams() {
            tracing::warn!(error = %e, "stream retention trim failed");
        }
        self.drop_unfinished_backups();
        self.resume_restores();
        self.maintain_pitr();
        if self.config.run_transfers {
            self.resume_exports();
            self.resume_imports();
            self.resume_bulk_operations();
        }
        if self.catalog.is_shared() {
            match crate::idempotency::expire_stored(self.storage.as_ref(), self.clock.now_seconds()) {
                Ok(n) if n > 0 => tracing::debug!(expired = n, "expired ClientRequestTokens deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expiring ClientRequestTokens failed"),
            }
            self.resume_purges();
            self.resume_backfills();
        }
    }
}
