//! Capacity: units as DynamoDB charges them (here), what each request consumed and
//! the throttling that enforces capacity (`throttle`), the cost ledger (`ledger`).
//!
//! Capacity units as DynamoDB charges them: reads in 4 KB units (half for eventually
//! consistent reads), writes in 1 KB units, each item rounded up on its own.

pub mod insights;
pub mod ledger;
pub(crate) mod limiter;
pub mod table_metrics;
pub mod throttle;
pub(crate) mod warm;

use crate::catalog::TableMeta;
use cairn_model::limits::{READ_UNIT_BYTES, WRITE_UNIT_BYTES};
use cairn_model::types::{Capacity, ConsumedCapacity, ReturnConsumedCapacity};
use std::collections::BTreeMap;

/// Read units for one item of `size` bytes (a missing item still costs one unit).
pub(crate) fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for one item write whose larger image is `size` bytes.
pub(crate) fn write_units(size: usize) -> f64 {
    size.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
}

/// Which kind of index a write charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IndexKind {
    Global,
    /// Local indexes share their table's capacity.
    Local,
    /// Vector indexes are metered in bytes written (VectorWriteRequestBytes), not
    /// in capacity units.
    Vector,
}

/// Capacity spent on a table's indexes: (index name, kind, units or, for a vector
/// index, bytes).
pub(crate) type IndexUnits = Vec<(String, IndexKind, f64)>;

/// `units` multiplied by `factor` (a transaction's two phases), vector bytes kept.
pub(crate) fn scaled(units: IndexUnits, factor: f64) -> IndexUnits {
    units
        .into_iter()
        .map(|(name, kind, u)| match kind {
            IndexKind::Vector => (name, kind, u),
            _ => (name, kind, factor * u),
        })
        .collect()
}

/// Like [`consumed`], adding what the write cost its indexes: TOTAL counts them in,
/// INDEXES also itemises them per index.
pub(crate) fn consumed_with_indexes(
    table: &TableMeta,
    table_units: f64,
    indexes: &IndexUnits,
    kind: Kind,
    mode: ReturnConsumedCapacity,
) -> Option<ConsumedCapacity> {
    throttle::record(table, table_units, indexes, kind);
    let index_total: f64 = indexes
        .iter()
        .filter(|(_, kind, _)| *kind != IndexKind::Vector)
        .map(|(_, _, u)| u)
        .sum();
    let mut entry = entry(table, table_units + index_total, kind, mode)?;
    if mode == ReturnConsumedCapacity::Indexes {
        if let Some(t) = entry.table.as_mut() {
            let (read, write) = split(table_units, kind);
            *t = Capacity {
                read_capacity_units: read,
                write_capacity_units: write,
                capacity_units: table_units,
            };
        }
        let mut global = BTreeMap::new();
        let mut local = BTreeMap::new();
        let mut vector: BTreeMap<String, cairn_model::types::vector::VectorCapacity> = BTreeMap::new();
        for (name, index_kind, units) in indexes {
            let (read, write) = split(*units, kind);
            let target = match index_kind {
                IndexKind::Global => &mut global,
                IndexKind::Local => &mut local,
                IndexKind::Vector => {
                    let bytes = vector.entry(name.clone()).or_default();
                    *bytes.vector_write_request_bytes.get_or_insert(0.0) += units;
                    continue;
                }
            };
            let c: &mut Capacity = target.entry(name.clone()).or_default();
            c.capacity_units += units;
            c.read_capacity_units = read.map(|_| c.capacity_units);
            c.write_capacity_units = write.map(|_| c.capacity_units);
        }
        entry.global_secondary_indexes = (!global.is_empty()).then_some(global);
        entry.local_secondary_indexes = (!local.is_empty()).then_some(local);
        entry.vector_indexes = (!vector.is_empty()).then_some(vector);
    }
    Some(entry)
}

fn split(units: f64, kind: Kind) -> (Option<f64>, Option<f64>) {
    match kind {
        Kind::Read => (Some(units), None),
        Kind::Write => (None, Some(units)),
    }
}

/// A write refused by its condition still costs the write units of the item as it
/// stood (at least one), as on DynamoDB: records them for the request.
pub(crate) fn charge_failed_condition(table: &TableMeta, error: &cairn_model::ApiError, old_size: usize) {
    if error.kind == cairn_model::ErrorKind::ConditionalCheckFailed {
        throttle::record(table, write_units(old_size), &Vec::new(), Kind::Write);
    }
}

/// Adds one change's index units into a running per-index total.
pub(crate) fn add_index_units(total: &mut IndexUnits, more: IndexUnits) {
    for (name, global, units) in more {
        match total.iter_mut().find(|(n, _, _)| *n == name) {
            Some(entry) => entry.2 += units,
            None => total.push((name, global, units)),
        }
    }
}

/// The ConsumedCapacity entry for `units` on a table, shaped by what was asked (and
/// the consumption recorded for the request's metering).
pub(crate) fn consumed(
    table: &TableMeta,
    units: f64,
    kind: Kind,
    mode: ReturnConsumedCapacity,
) -> Option<ConsumedCapacity> {
    throttle::record(table, units, &Vec::new(), kind);
    entry(table, units, kind, mode)
}

fn entry(table: &TableMeta, units: f64, kind: Kind, mode: ReturnConsumedCapacity) -> Option<ConsumedCapacity> {
    let (read, write) = match kind {
        Kind::Read => (Some(units), None),
        Kind::Write => (None, Some(units)),
    };
    match mode {
        ReturnConsumedCapacity::None => None,
        ReturnConsumedCapacity::Total => Some(ConsumedCapacity {
            table_name: table.name.clone(),
            capacity_units: units,
            read_capacity_units: read,
            write_capacity_units: write,
            ..Default::default()
        }),
        ReturnConsumedCapacity::Indexes => Some(ConsumedCapacity {
            table_name: table.name.clone(),
            capacity_units: units,
            read_capacity_units: read,
            write_capacity_units: write,
            table: Some(Capacity {
                read_capacity_units: read,
                write_capacity_units: write,
                capacity_units: units,
            }),
            ..Default::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_per_item() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(1), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }
}
