//! BatchGetItem: up to 100 keys across tables; whatever does not fit in the 16 MB
//! response is returned in UnprocessedKeys.

use super::common::{item_from_raw, return_consumed_capacity, return_consumed_capacity_constraint};
use super::get_item::read_projection;
use crate::capacity::{consumed, read_units, throttle, Kind};
use crate::keys::validate_key;
use crate::Engine;
use crate::RequestContext;
use cairn_model::constraints::Constraints;
use cairn_model::limits::{MAX_BATCH_GET_KEYS, MAX_BATCH_GET_RESPONSE_BYTES};
use cairn_model::types::{BatchGetItemInput, BatchGetItemOutput, KeysAndAttributesOutput};
use cairn_model::value::item_size;
use cairn_model::{ApiError, Item};

impl Engine {
    pub fn batch_get_item(
        &self,
        ctx: &RequestContext,
        input: BatchGetItemInput,
    ) -> Result<BatchGetItemOutput, ApiError> {
        let request_items = match input.request_items {
            Some(r) if !r.is_empty() => r,
            _ => {
                return Err(ApiError::validation(
                    "The requestItems parameter is required for BatchGetItem",
                ))
            }
        };
        let mut c = Constraints::new();
        for (table, request) in &request_items {
            match &request.keys {
                None => c.violation(
                    None,
                    &format!("RequestItems.{table}.member.Keys"),
                    "Member must not be null",
                ),
                Some(keys) => {
                    if keys.is_empty() {
                        c.violation_without_value(
                            &format!("RequestItems.{table}.member.Keys"),
                            "Member must have length greater than or equal to 1",
                        );
                    }
                    if keys.len() > MAX_BATCH_GET_KEYS {
                        c.violation_without_value(
                            &format!("RequestItems.{table}.member.Keys"),
                            "Member must have length less than or equal to 100",
                        );
                    }
                }
            }
        }
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let total: usize = request_items
            .values()
            .map(|r| r.keys.as_ref().map_or(0, Vec::len))
            .sum();
        if total > MAX_BATCH_GET_KEYS {
            return Err(ApiError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        let capacity_mode = return_consumed_capacity(input.return_consumed_capacity.as_deref());

        // Validate everything before reading anything.
        let mut plans = Vec::with_capacity(request_items.len());
        for (name, request) in request_items {
            let projection = read_projection(
                request.projection_expression.as_deref(),
                request.attributes_to_get.as_ref(),
                request.expression_attribute_names.as_ref(),
            )?;
            let keys: Vec<Item> = request
                .keys
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(item_from_raw)
                .collect::<Result<_, _>>()?;
            let table = self.table(ctx, &name)?;
            for (i, key) in keys.iter().enumerate() {
                validate_key(&table, key)?;
                if keys[..i].contains(key) {
                    return Err(ApiError::validation("Provided list of item keys contains duplicates"));
                }
            }
            plans.push((name, request, table, keys, projection));
        }

        let mut output = BatchGetItemOutput::default();
        let mut capacities = Vec::new();
        let mut response_bytes = 0usize;
        // With --enforce-capacity, keys their table (or key range) has no capacity for
        // go back in UnprocessedKeys; only when none could be read does the batch fail.
        let mut refusal = None;
        let mut read = 0usize;
        for (name, request, table, keys, projection) in plans {
            let consistent = request.consistent_read.unwrap_or(false);
            let mut units = 0.0;
            let mut found = Vec::new();
            let mut unprocessed = Vec::new();
            for key in keys {
                if response_bytes >= MAX_BATCH_GET_RESPONSE_BYTES {
                    unprocessed.push(key);
                    continue;
                }
                let slot = match throttle::admit_key(&table, &key, Kind::Read) {
                    Ok(slot) => slot,
                    Err(error) => {
                        refusal.get_or_insert(error);
                        unprocessed.push(key);
                        continue;
                    }
                };
                read += 1;
                let item = self.read_item(&table, &key)?;
                let size = item.as_ref().map_or(0, item_size);
                throttle::spend(slot, read_units(size, consistent));
                units += read_units(size, consistent);
                response_bytes += size;
                if let Some(item) = item {
                    found.push(match &projection {
                        Some(p) => p.apply(&item),
                        None => item,
                    });
                }
            }
            if !unprocessed.is_empty() {
                output.unprocessed_keys.insert(
                    name.clone(),
                    KeysAndAttributesOutput {
                        keys: unprocessed,
                        consistent_read: request.consistent_read,
                        projection_expression: request.projection_expression.clone(),
                        expression_attribute_names: request.expression_attribute_names.clone(),
                        attributes_to_get: request.attributes_to_get.clone(),
                    },
                );
            }
            capacities.extend(consumed(&table, units, Kind::Read, capacity_mode));
            output.responses.insert(name, found);
        }
        if let (0, Some(error)) = (read, refusal) {
            return Err(error);
        }
        if capacity_mode != cairn_model::types::ReturnConsumedCapacity::None {
            output.consumed_capacity = Some(capacities);
        }
        Ok(output)
    }
}
