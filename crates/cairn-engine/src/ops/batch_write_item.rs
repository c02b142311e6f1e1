//! BatchWriteItem: up to 25 puts and deletes across tables, each applied on its own
//! (a batch is not a transaction), none two on one item.

use super::common::{
    item_from_raw, return_consumed_capacity, return_consumed_capacity_constraint, RETURN_ITEM_COLLECTION_METRICS,
};
use crate::capacity::{add_index_units, consumed_with_indexes, throttle, write_units, Kind};
use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::indexes::index_write_units;
use crate::keys::{key_of, validate_item_key, validate_key};
use crate::Engine;
use crate::RequestContext;
use cairn_model::constraints::Constraints;
use cairn_model::limits::MAX_BATCH_WRITE_REQUESTS;
use cairn_model::types::{
    BatchWriteItemInput, BatchWriteItemOutput, DeleteRequestOutput, PutRequestOutput, WriteRequestInput,
    WriteRequestOutput,
};
use cairn_model::value::item_size;
use cairn_model::wire::{RawItem, RawValue};
use cairn_model::{ApiError, Item};
use std::collections::BTreeMap;
use std::sync::Arc;

enum Write {
    Put(Item),
    Delete(Item),
}

/// A Java-style rendering of the request list, as DynamoDB echoes it in the
/// too-many-requests constraint message.
fn show_requests(requests: &[WriteRequestInput]) -> String {
    fn show_item(item: &RawItem) -> String {
        let parts: Vec<String> = item.iter().map(|(k, v)| format!("{k}={}", show_value(v))).collect();
        format!("{{{}}}", parts.join(", "))
    }
    fn show_value(v: &RawValue) -> String {
        let field = [("s", &v.s), ("n", &v.n), ("b", &v.b)]
            .into_iter()
            .find_map(|(name, value)| value.as_ref().map(|x| format!("{name}={x}")))
            .unwrap_or_default();
        format!("AttributeValue({field})")
    }
    let parts: Vec<String> = requests
        .iter()
        .map(|r| match (&r.put_request, &r.delete_request) {
            (Some(p), _) => format!(
                "WriteRequest(putRequest=PutRequest(item={}), deleteRequest=null)",
                p.item.as_ref().map_or("null".into(), show_item)
            ),
            (None, Some(d)) => format!(
                "WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key={}))",
                d.key.as_ref().map_or("null".into(), show_item)
            ),
            (None, None) => "WriteRequest(putRequest=null, deleteRequest=null)".to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

impl Engine {
    pub fn batch_write_item(
        &self,
        ctx: &RequestContext,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, ApiError> {
        let request_items = match input.request_items {
            Some(r) if !r.is_empty() => r,
            _ => {
                return Err(ApiError::validation(
                    "The requestItems parameter is required for BatchWriteItem",
                ))
            }
        };
        let mut c = Constraints::new();
        for (table, requests) in &request_items {
            if requests.is_empty() || requests.len() > MAX_BATCH_WRITE_REQUESTS {
                c.violation(
                    Some(&format!("{{{table}={}}}", show_requests(requests))),
                    "requestItems",
                    "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
                );
            }
        }
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.one_of(
            input.return_item_collection_metrics.as_deref(),
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
        c.finish()?;
        let total: usize = request_items.values().map(Vec::len).sum();
        if total > MAX_BATCH_WRITE_REQUESTS {
            return Err(ApiError::validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        let capacity_mode = return_consumed_capacity(input.return_consumed_capacity.as_deref());

        // Validate every request before applying any.
        let mut plans: Vec<(String, Arc<TableMeta>, Vec<Write>)> = Vec::new();
        for (name, requests) in request_items {
            let mut writes = Vec::with_capacity(requests.len());
            for request in requests {
                writes.push(match (request.put_request, request.delete_request) {
                    (Some(put), None) => Write::Put(item_from_raw(put.item.unwrap_or_default())?),
                    (None, Some(delete)) => Write::Delete(item_from_raw(delete.key.unwrap_or_default())?),
                    _ => {
                        return Err(ApiError::validation(
                            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                        ))
                    }
                });
            }
            let table = self.table(ctx, &name)?;
            let mut keys: Vec<Item> = Vec::with_capacity(writes.len());
            for write in &writes {
                let key = match write {
                    Write::Put(item) => {
                        validate_item_key(&table, item)?;
                        cairn_model::item_limits::check_item_to_store(item)?;
                        check_index_keys(&table, item, None, WriteOrigin::Put)
                            .map_err(IndexKeyViolation::into_error)?;
                        key_of(&table, item)
                    }
                    Write::Delete(key) => {
                        validate_key(&table, key)?;
                        key.clone()
                    }
                };
                if keys.contains(&key) {
                    return Err(ApiError::validation("Provided list of item keys contains duplicates"));
                }
                keys.push(key);
            }
            plans.push((name, table, writes));
        }

        // With --enforce-capacity, a write its table (or key range) has no capacity
        // for is handed back in UnprocessedItems; only when none could be written
        // does the batch fail with the throttling error.
        let mut capacities = Vec::new();
        let mut unprocessed_items: BTreeMap<String, Vec<WriteRequestOutput>> = BTreeMap::new();
        let mut refusal = None;
        let mut written = 0usize;
        for (name, table, writes) in plans {
            let mut units = 0.0;
            let mut index_units = Vec::new();
            for write in writes {
                let key = match &write {
                    Write::Put(item) => key_of(&table, item),
                    Write::Delete(key) => key.clone(),
                };
                let slot = match throttle::admit_key(&table, &key, Kind::Write) {
                    Ok(slot) => slot,
                    Err(error) => {
                        refusal.get_or_insert(error);
                        unprocessed_items.entry(name.clone()).or_default().push(match write {
                            Write::Put(item) => WriteRequestOutput::PutRequest(PutRequestOutput { item }),
                            Write::Delete(key) => WriteRequestOutput::DeleteRequest(DeleteRequestOutput { key }),
                        });
                        continue;
                    }
                };
                let new = match write {
                    Write::Put(item) => Some(item),
                    Write::Delete(_) => None,
                };
                let new_size = new.as_ref().map_or(0, item_size);
                let change = self.write_item(&table, &key, |_| Ok(new.clone()))?;
                written += 1;
                let item_units = write_units(new_size.max(change.old.as_ref().map_or(0, item_size)));
                throttle::spend(slot, item_units);
                units += item_units;
                add_index_units(
                    &mut index_units,
                    index_write_units(&table, change.old.as_ref(), change.new.as_ref()),
                );
            }
            capacities.extend(consumed_with_indexes(
                &table,
                units,
                &index_units,
                Kind::Write,
                capacity_mode,
            ));
        }
        if let (0, Some(error)) = (written, refusal) {
            return Err(error);
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items,
            consumed_capacity: (capacity_mode != cairn_model::types::ReturnConsumedCapacity::None)
                .then_some(capacities),
        })
    }
}
