//! Capacity units as DynamoDB charges them: reads in 4 KB units (half for eventually
//! consistent reads), writes in 1 KB units, each item rounded up on its own.

use crate::catalog::TableMeta;
use cairn_model::limits::{READ_UNIT_BYTES, WRITE_UNIT_BYTES};
use cairn_model::types::{Capacity, ConsumedCapacity, ReturnConsumedCapacity};

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

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Read,
    Write,
}

/// The ConsumedCapacity entry for `units` on a table, shaped by what was asked.
pub(crate) fn consumed(
    table: &TableMeta,
    units: f64,
    kind: Kind,
    mode: ReturnConsumedCapacity,
) -> Option<ConsumedCapacity> {
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
