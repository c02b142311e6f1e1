//! WarmThroughput: the read and write units per second a table or GSI can serve at
//! once. DynamoDB describes it for every table and GSI (a new one starts at 12,000
//! reads and 4,000 writes a second, provisioned capacity above that raises it) and
//! lets UpdateTable raise it ahead of a peak; a table's cannot be lowered, a GSI's
//! can. Cairn stores what was asked and describes the larger of that and the
//! defaults; the change is immediate, so the status is the table's or index's own.

use crate::catalog::{BillingMode, IndexMeta, TableMeta};
use cairn_model::types::{WarmThroughput, WarmThroughputDescription};
use cairn_model::ApiError;

/// Where every new table and GSI starts.
const DEFAULT_READ: i64 = 12_000;
const DEFAULT_WRITE: i64 = 4_000;

/// What a request asked for, with an unnamed side as 0 (no change).
pub(crate) fn asked(w: Option<&WarmThroughput>) -> Option<(i64, i64)> {
    w.map(|w| {
        (
            w.read_units_per_second.unwrap_or(0),
            w.write_units_per_second.unwrap_or(0),
        )
    })
}

fn units(billing: BillingMode, read: i64, write: i64, asked: Option<(i64, i64)>) -> (i64, i64) {
    let (asked_read, asked_write) = asked.unwrap_or((0, 0));
    let (provisioned_read, provisioned_write) = match billing {
        BillingMode::Provisioned => (read, write),
        BillingMode::PayPerRequest => (0, 0),
    };
    (
        asked_read.max(DEFAULT_READ).max(provisioned_read),
        asked_write.max(DEFAULT_WRITE).max(provisioned_write),
    )
}

pub(crate) fn of_table(table: &TableMeta, status: &str) -> WarmThroughputDescription {
    let (read, write) = units(
        table.billing_mode,
        table.read_capacity,
        table.write_capacity,
        table.warm_throughput,
    );
    WarmThroughputDescription {
        read_units_per_second: read,
        write_units_per_second: write,
        status: status.to_string(),
    }
}

pub(crate) fn of_index(table: &TableMeta, index: &IndexMeta, status: &str) -> WarmThroughputDescription {
    let (read, write) = units(
        table.billing_mode,
        index.read_capacity,
        index.write_capacity,
        index.warm_throughput,
    );
    WarmThroughputDescription {
        read_units_per_second: read,
        write_units_per_second: write,
        status: status.to_string(),
    }
}

/// Applies UpdateTable's WarmThroughput to the table: each side may only rise.
pub(crate) fn raise_table(table: &mut TableMeta, w: &WarmThroughput) -> Result<(), ApiError> {
    let current = units(
        table.billing_mode,
        table.read_capacity,
        table.write_capacity,
        table.warm_throughput,
    );
    let (read, write) = asked(Some(w)).unwrap_or((0, 0));
    // Wording assumed: DynamoDB documents that a table's warm throughput cannot be
    // decreased but not the message it answers with.
    if (read != 0 && read < current.0) || (write != 0 && write < current.1) {
        return Err(ApiError::validation(format!(
            "The table's warm throughput cannot be decreased: current ReadUnitsPerSecond {}, WriteUnitsPerSecond {}",
            current.0, current.1
        )));
    }
    let stored = table.warm_throughput.unwrap_or((0, 0));
    table.warm_throughput = Some((read.max(stored.0), write.max(stored.1)));
    Ok(())
}

/// Applies a GSI update's WarmThroughput: a GSI's may go up or down.
pub(crate) fn set_index(index: &mut IndexMeta, w: &WarmThroughput) {
    let stored = index.warm_throughput.unwrap_or((0, 0));
    let (read, write) = asked(Some(w)).unwrap_or((0, 0));
    index.warm_throughput = Some((
        if read != 0 { read } else { stored.0 },
        if write != 0 { write } else { stored.1 },
    ));
}
