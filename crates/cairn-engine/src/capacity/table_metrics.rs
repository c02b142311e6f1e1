//! What the engine itself publishes through the `metrics` facade once the server
//! turns metrics on (`--metrics-addr`): `TimeToLiveDeletedItemCount` (the TTL
//! sweeper), `OnlineIndexPercentageProgress` (GSI backfills), and, refreshed on a
//! timer, each table's `ItemCount` and `TableSizeBytes`. Per-request metrics are
//! the server's (`cairn-server/src/metrics.rs`).

use crate::Engine;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns on what costs work to publish (counting a table before its backfill).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

impl Engine {
    /// Sets `ItemCount` and `TableSizeBytes` of every table (one pass over each:
    /// Cairn's counts are exact, where DynamoDB's are refreshed every six hours).
    pub fn publish_table_metrics(&self) {
        for table in self.catalog.all() {
            match self.table_statistics(&table) {
                Ok((count, bytes)) => {
                    metrics::gauge!("ItemCount", "TableName" => table.name.clone()).set(count as f64);
                    metrics::gauge!("TableSizeBytes", "TableName" => table.name.clone()).set(bytes as f64);
                }
                Err(e) => tracing::warn!(table = %table.name, error = %e.message, "table metrics not refreshed"),
            }
        }
    }

    /// Publishes the table metrics now and then every `interval`, on a thread.
    pub fn start_table_metrics(self: &Arc<Self>, interval: Duration) {
        let engine = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("cairn-table-metrics".into())
            .spawn(move || loop {
                match engine.upgrade() {
                    Some(engine) => engine.publish_table_metrics(),
                    None => return,
                }
                std::thread::sleep(interval);
            })
            .ok();
    }
}
