//! Scan: a whole table or index in partition-hash order; parallel scans split the
//! 32-bit hash space into TotalSegments disjoint, complete slices.

use super::common::{
    data_plane_table_name, item_from_raw, return_consumed_capacity_constraint, ExpressionParameters,
    CONDITIONAL_OPERATORS,
};
use super::read_options::{decode_values, ReadShape, SELECT_VALUES};
use crate::capacity::read_units;
use crate::read::{read_capacity, resume_after, PagePlan, ReadOperation, Source};
use crate::Engine;
use crate::RequestContext;
use cairn_expr::Placeholders;
use cairn_model::constraints::Constraints;
use cairn_model::types::{ReadPageOutput, ScanInput};
use cairn_model::ApiError;
use cairn_storage::{prefix_end, ScanRange};
use std::ops::Bound;

const MAX_TOTAL_SEGMENTS: i64 = 1_000_000;

fn check_constraints(input: &ScanInput) -> Result<(), ApiError> {
    let mut c = Constraints::new();
    data_plane_table_name(&mut c, input.table_name.as_deref());
    if let Some(index) = input.index_name.as_deref() {
        c.index_name(Some(index), "indexName", false);
    }
    c.one_of(input.select.as_deref(), "select", SELECT_VALUES);
    if let Some(attrs) = &input.attributes_to_get {
        c.min_length(Some("[]"), attrs.len(), "attributesToGet", 1);
    }
    if let Some(limit) = input.limit {
        c.at_least(limit, "limit", 1);
    }
    if let Some(segment) = input.segment {
        c.at_least(segment, "segment", 0);
        c.at_most(segment, "segment", MAX_TOTAL_SEGMENTS - 1);
    }
    if let Some(total) = input.total_segments {
        c.at_least(total, "totalSegments", 1);
        c.at_most(total, "totalSegments", MAX_TOTAL_SEGMENTS);
    }
    return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
    c.one_of(
        input.conditional_operator.as_deref(),
        "conditionalOperator",
        CONDITIONAL_OPERATORS,
    );
    c.finish()
}

/// The part of the hash space segment `segment` of `total` covers.
fn segment_range(base: &[u8], segment: u64, total: u64) -> ScanRange {
    let bound = |i: u64| -> Option<Vec<u8>> {
        let hash = (i << 32) / total;
        if hash > u64::from(u32::MAX) {
            return None;
        }
        let mut key = base.to_vec();
        key.extend_from_slice(&(hash as u32).to_be_bytes());
        Some(key)
    };
    let start = bound(segment).map_or(Bound::Unbounded, Bound::Included);
    let end = bound(segment + 1)
        .or_else(|| prefix_end(base))
        .map_or(Bound::Unbounded, Bound::Excluded);
    ScanRange {
        start,
        end,
        reverse: false,
    }
}

impl Engine {
    pub fn scan(&self, ctx: &RequestContext, input: ScanInput) -> Result<ReadPageOutput, ApiError> {
        self.scan_page(ctx, input, false)
    }

    /// `scan` for the HTTP server: the page's items come back already written as JSON
    /// (`ReadPageOutput::items_json`, serialized by `ReadPageOutput::to_json`).
    pub fn scan_for_wire(&self, ctx: &RequestContext, input: ScanInput) -> Result<ReadPageOutput, ApiError> {
        self.scan_page(ctx, input, true)
    }

    fn scan_page(&self, ctx: &RequestContext, input: ScanInput, render: bool) -> Result<ReadPageOutput, ApiError> {
        check_constraints(&input)?;
        let (segment, total) = match (input.segment, input.total_segments) {
            (Some(s), Some(t)) if s >= t => {
                return Err(ApiError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )))
            }
            (Some(s), Some(t)) => (s as u64, t as u64),
            (Some(_), None) => {
                return Err(ApiError::validation(
                    "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                ))
            }
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ))
            }
            (None, None) => (0, 1),
        };
        ExpressionParameters {
            expressions: &[
                ("FilterExpression", input.filter_expression.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
            ],
            legacy: &[
                ("ScanFilter", input.scan_filter.is_some()),
                ("AttributesToGet", input.attributes_to_get.is_some()),
            ],
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
        }
        .check()?;
        let values = decode_values(input.expression_attribute_values.clone())?;
        let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        let source = Source::for_read(&table, input.index_name.as_deref(), "Scan")?;
        let shape = ReadShape {
            select: input.select.as_deref(),
            projection_expression: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_ref(),
            filter_expression: input.filter_expression.as_deref(),
            legacy_filter: input.scan_filter.as_ref(),
            conditional_operator: input.conditional_operator.as_deref(),
        }
        .resolve(
            &source,
            ReadOperation::Scan,
            &mut placeholders,
            input.expression_attribute_names.as_ref(),
        )?;
        placeholders.reject_unused()?;
        let consistent = input.consistent_read.unwrap_or(false);
        if consistent && source.is_global_index() {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        let mut range = segment_range(&source.base(), segment, total);
        if let Some(start) = input.exclusive_start_key {
            let start = source.start_key(&item_from_raw(start)?, ReadOperation::Scan)?;
            if !range.contains(&start) {
                return Err(ApiError::validation(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
                )));
            }
            resume_after(&mut range, start);
        }
        // Throttling comes after every validation error, as on DynamoDB.
        crate::capacity::throttle::admit_source(&table, source.index, None)?;
        let page = self.read_page(
            &source,
            PagePlan {
                range,
                limit: input.limit.map(|l| l as usize),
                filter: shape.filter.as_ref(),
                projection: shape.projection.as_ref(),
                count_only: shape.count_only,
                fetch_from_table: shape.fetch_from_table,
                render,
            },
        )?;
        crate::capacity::throttle::record_read_shape(crate::capacity::ledger::ReadShape {
            operation: "Scan",
            table: source.table.name.clone(),
            index: source.index.map(|i| i.name.clone()),
            filter: shape.filter.is_some(),
            scanned: page.scanned as u64,
            returned: page.count as u64,
        });
        Ok(ReadPageOutput {
            items: (!shape.count_only && !render).then_some(page.items),
            items_json: page.json.filter(|_| !shape.count_only),
            count: page.count,
            scanned_count: page.scanned,
            last_evaluated_key: page.last_evaluated_key,
            consumed_capacity: read_capacity(
                &source,
                read_units(page.bytes_read, consistent),
                input.return_consumed_capacity.as_deref(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_disjoint_and_cover_the_hash_space() {
        let base = vec![b'i', 0, 0, 0, 0, 0, 0, 0, 7];
        for total in [1u64, 2, 3, 7, 1000, 1_000_000] {
            let first = segment_range(&base, 0, total);
            assert_eq!(first.start, Bound::Included([base.clone(), vec![0, 0, 0, 0]].concat()));
            let last = segment_range(&base, total - 1, total);
            assert_eq!(last.end, Bound::Excluded(prefix_end(&base).unwrap()));
            for s in 1..total.min(50) {
                let (a, b) = (segment_range(&base, s - 1, total), segment_range(&base, s, total));
                match (a.end, b.start) {
                    (Bound::Excluded(x), Bound::Included(y)) => assert_eq!(x, y),
                    other => panic!("{other:?}"),
                }
            }
        }
    }
}
