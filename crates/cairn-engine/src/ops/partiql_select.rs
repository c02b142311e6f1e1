//! PartiQL SELECT: a read of one partition when the WHERE clause pins the partition
//! key (as a Query would), else of the whole table or index, filtered and projected;
//! ORDER BY on a key; Limit and NextToken paging for ExecuteStatement.

use super::partiql::{condition_of, equalities, project};
use crate::indexes::partition_prefix;
use crate::read::{PagePlan, ReadOperation, Source};
use crate::{Engine, RequestContext};
use cairn_expr::parse_projection;
use cairn_expr::partiql::{Statement, Translated};
use cairn_model::{ApiError, Item};
use cairn_storage::ScanRange;
use std::ops::Bound;

/// One page of an ExecuteStatement SELECT: at most `limit` items read, starting after
/// `start` (the key a NextToken carries).
pub(super) struct SelectPage {
    pub limit: Option<usize>,
    pub start: Option<Item>,
}

/// A NextToken: the statement it belongs to (so a token cannot resume another
/// statement) and the last key read, as hex of JSON.
pub(super) fn encode_next_token(statement_text: &str, last: &Item) -> Result<String, ApiError> {
    let body = serde_json::json!({"statement": crc32fast::hash(statement_text.as_bytes()), "after": last});
    let text = serde_json::to_string(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(text.bytes().map(|b| format!("{b:02x}")).collect())
}

pub(super) fn decode_next_token(statement_text: &str, token: &str) -> Result<Item, ApiError> {
    let mismatch = || ApiError::validation("NextToken does not match request");
    let bytes: Vec<u8> = (0..token.len())
        .step_by(2)
        .map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()
        .ok_or_else(mismatch)?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| mismatch())?;
    if body["statement"].as_u64() != Some(u64::from(crc32fast::hash(statement_text.as_bytes()))) {
        return Err(mismatch());
    }
    let raw: cairn_model::wire::RawItem = serde_json::from_value(body["after"].clone()).map_err(|_| mismatch())?;
    cairn_model::value::item_from_raw(raw).map_err(|_| mismatch())
}

impl Engine {
    /// Runs a SELECT. With `paging`, reads one page (up to Limit items read, or 1 MB)
    /// from where a NextToken left off and reports where it stopped; without, reads
    /// every matching item (transactions and batches name single items). Charges
    /// what it read as a Query or Scan would (`units_per_read` is 1 for strongly
    /// consistent reads, 0.5 for eventually consistent, 2 in a transaction).
    pub(super) fn select(
        &self,
        ctx: &RequestContext,
        statement: &Statement,
        paging: Option<&SelectPage>,
        metering: Metering,
    ) -> Result<Selected, ApiError> {
        let Translated::Select {
            table,
            index,
            projection,
            condition,
            order_by,
        } = &statement.translated
        else {
            return Err(ApiError::internal("not a SELECT statement"));
        };
        let table = self.table(ctx, table)?;
        let source = Source::new(&table, index.as_deref())?;
        let condition = condition.as_deref().map(|c| condition_of(statement, c)).transpose()?;
        let paths = match projection {
            Some(paths) => {
                let mut used = Default::default();
                Some(
                    parse_projection(&paths.join(", "))?
                        .resolve(Some(&statement.names), &mut used)?
                        .paths,
                )
            }
            None => None,
        };
        let base = source.base();
        let hashes = source.hash_keys();
        let mut pinned = Vec::new();
        if let Some(c) = &condition {
            equalities(c, &mut pinned);
        }
        let partition = match hashes.as_slice() {
            [hash] => pinned
                .iter()
                .find(|(n, v)| *n == hash.name && v.scalar_type() == Some(hash.kind))
                .map(|(_, v)| v),
            _ => None,
        };
        let mut read_bytes = 0usize;
        let charge = |read_bytes: usize| {
            let units = crate::capacity::read_units(read_bytes, true) * metering.units_per_read;
            crate::read::read_capacity(&source, units, Some(metering.mode.as_str()))
        };
        let mut range = match partition {
            // A pinned partition key reads one partition, as a Query would.
            Some(value) => ScanRange::prefix(&partition_prefix(&base, value)),
            None => ScanRange::prefix(&base),
        };
        if let Some((attribute, descending)) = order_by {
            // Items come in key order within a partition; ORDER BY may only ask for
            // that order or its reverse. (Wording assumed: DynamoDB's is not on record.)
            let keys = source.key_attributes();
            if !keys.iter().any(|k| &k.name == attribute) {
                return Err(ApiError::validation(format!(
                    "Statement wasn't well formed, can't be processed: ORDER BY is supported only on key attributes: {attribute}"
                )));
            }
            range.reverse = *descending;
        }
        if let Some(start) = paging.and_then(|p| p.start.as_ref()) {
            let after = Bound::Excluded(source.start_key(start, ReadOperation::Scan)?);
            if range.reverse {
                range.end = after;
            } else {
                range.start = after;
            }
        }
        // Throttling comes after every validation error, as on DynamoDB.
        crate::capacity::throttle::admit_source(&table, source.index, partition)?;
        let mut items = Vec::new();
        loop {
            let page = self.read_page(
                &source,
                PagePlan {
                    range: range.clone(),
                    limit: paging.and_then(|p| p.limit),
                    filter: condition.as_ref(),
                    projection: None,
                    count_only: false,
                    fetch_from_table: false,
                    render: false,
                },
            )?;
            read_bytes += page.bytes_read;
            items.extend(page.items.into_iter().map(|i| match &paths {
                Some(p) => project(&i, p),
                None => i,
            }));
            match page.last_evaluated_key {
                Some(last) if paging.is_some() => {
                    return Ok(Selected {
                        items,
                        last: Some(last),
                        consumed: charge(read_bytes),
                    })
                }
                Some(last) => {
                    let after = Bound::Excluded(source.start_key(&last, ReadOperation::Scan)?);
                    if range.reverse {
                        range.end = after;
                    } else {
                        range.start = after;
                    }
                }
                None => break,
            }
        }
        Ok(Selected {
            items,
            last: None,
            consumed: charge(read_bytes),
        })
    }
}

/// How a statement's capacity is charged and reported.
#[derive(Clone, Copy)]
pub(super) struct Metering {
    pub units_per_read: f64,
    pub mode: cairn_model::types::ReturnConsumedCapacity,
}

impl Metering {
    pub(super) fn new(consistent: Option<bool>, requested: Option<&str>) -> Metering {
        Metering {
            units_per_read: if consistent == Some(true) { 1.0 } else { 0.5 },
            mode: cairn_model::types::ReturnConsumedCapacity::parse(requested)
                .unwrap_or(cairn_model::types::ReturnConsumedCapacity::None),
        }
    }
}

/// What a SELECT read: its items, where a page stopped, its capacity.
pub(super) struct Selected {
    pub items: Vec<Item>,
    pub last: Option<Item>,
    pub consumed: Option<cairn_model::types::ConsumedCapacity>,
}
