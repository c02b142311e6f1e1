//! The TTL sweeper: deletes items whose TTL attribute (a Number of epoch seconds) is
//! in the past, through the normal write path, so indexes are updated and streams get
//! a REMOVE record from the DynamoDB service identity. Until the sweep reaches an
//! expired item it stays readable, as on DynamoDB. Time is the engine's clock.

use crate::keys::{key_of, table_prefix};
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
                    let changes = self.write_items_as(&targets, Some(ttl_identity()), |olds| {
                        let still = olds[0].as_ref().is_some_and(|o| expired(o, &attribute, now));
                        Ok(vec![if still { Decision::Write(None) } else { Decision::Keep }])
                    })?;
                    deleted += usize::from(changes[0].old.is_some() && changes[0].new.is_none());
                }
                match chunk.last() {
                    Some((key, _)) if chunk.len() == SWEEP_CHUNK => range.start = Bound::Excluded(key.clone()),
                    _ => break,
                }
            }
        }
        Ok(deleted)
    }

    /// Runs the TTL sweeper (and stream retention) every `interval` on a background
    /// thread.
    pub fn start_ttl_sweeper(self: &Arc<Self>, interval: std::time::Duration) {
        let engine = Arc::downgrade(self);
        std::thread::spawn(move || loop {
            std::thread::sleep(interval);
            let Some(engine) = engine.upgrade() else { return };
            if let Err(e) = engine.sweep_expired_items() {
                tracing::warn!(error = %e, "TTL sweep failed");
            }
            if let Err(e) = engine.trim_streams() {
                tracing::warn!(error = %e, "stream retention trim failed");
            }
        });
    }
}
