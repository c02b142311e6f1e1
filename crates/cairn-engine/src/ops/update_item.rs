//! UpdateItem: change attributes of one item in place (creating it if missing), with
//! an optional condition and all five ReturnValues.

use super::common::{
    data_plane_table_name, item_collection_metrics, item_from_raw, return_consumed_capacity, ExpressionParameters,
    WriteOptions,
};
use super::conditions::{check_condition, expression_values, wants_item_on_failure, write_condition};
use super::legacy::attribute_updates;
use crate::capacity::{consumed_with_indexes, write_units, Kind};
use crate::catalog::TableMeta;
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::indexes::index_write_units;
use crate::keys::validate_key;
use crate::Engine;
use crate::RequestContext;
use cairn_expr::{parse_update, Path, PathElement, Placeholders, Projection, Update};
use cairn_model::constraints::Constraints;
use cairn_model::limits::MAX_ITEM_SIZE;
use cairn_model::types::{UpdateItemInput, WriteItemOutput};
use cairn_model::value::item_size;
use cairn_model::{ApiError, Item};

fn check_constraints(input: &UpdateItemInput) -> Result<(), ApiError> {
    let mut c = Constraints::new();
    data_plane_table_name(&mut c, input.table_name.as_deref());
    c.not_null(&input.key, "key");
    WriteOptions {
        return_values: input.return_values.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
        return_values_on_condition_check_failure: input.return_values_on_condition_check_failure.as_deref(),
        conditional_operator: input.conditional_operator.as_deref(),
    }
    .constraints(&mut c);
    c.finish()
}

/// Key attributes cannot be changed by an update.
fn reject_key_updates(table: &TableMeta, update: &Update) -> Result<(), ApiError> {
    for action in &update.actions {
        if let Some(PathElement::Attribute(name)) = action.path().0.first() {
            if table.key_attributes().any(|k| &k.name == name) {
                return Err(ApiError::invalid_parameter(format!(
                    "Cannot update attribute {name}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(())
}

/// UPDATED_OLD / UPDATED_NEW: just the parts of the item the update touched.
fn updated_parts(update: &Update, item: Option<&Item>) -> Option<Item> {
    let paths: Vec<Path> = update.actions.iter().map(|a| a.path().clone()).collect();
    let projected = Projection { paths }.apply(item?);
    (!projected.is_empty()).then_some(projected)
}

impl Engine {
    pub fn update_item(&self, ctx: &RequestContext, input: UpdateItemInput) -> Result<WriteItemOutput, ApiError> {
        check_constraints(&input)?;
        ExpressionParameters {
            expressions: &[
                ("UpdateExpression", input.update_expression.is_some()),
                ("ConditionExpression", input.condition_expression.is_some()),
            ],
            legacy: &[
                ("AttributeUpdates", input.attribute_updates.is_some()),
                ("Expected", input.expected.is_some()),
            ],
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
        }
        .check()?;
        let values = expression_values(input.expression_attribute_values)?;
        let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let update = match (&input.update_expression, &input.attribute_updates) {
            (Some(text), _) => Some(parse_update(text)?.resolve(&mut placeholders)?),
            (None, Some(legacy)) => Some(attribute_updates(legacy)?),
            (None, None) => None,
        };
        let condition = write_condition(
            input.condition_expression.as_deref(),
            input.expected.as_ref(),
            input.conditional_operator.as_deref(),
            &mut placeholders,
        )?;
        placeholders.reject_unused()?;
        let item_on_failure = wants_item_on_failure(input.return_values_on_condition_check_failure.as_deref());
        let key = item_from_raw(input.key.unwrap_or_default())?;
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        validate_key(&table, &key)?;
        let update = update.unwrap_or(Update { actions: Vec::new() });
        reject_key_updates(&table, &update)?;
        // Throttling comes after every validation error, as on DynamoDB.
        crate::capacity::throttle::admit_key(&table, &key, Kind::Write)?;

        // Removing attributes from an item that does not exist changes nothing:
        // DynamoDB creates no item and writes no stream record.
        let only_removes = update.only_removes();
        let seen = std::cell::Cell::new(0);
        let change = self
            .write_item(&table, &key, |old| {
                seen.set(old.map_or(0, item_size));
                check_condition(condition.as_ref(), old, item_on_failure)?;
                if old.is_none() && only_removes {
                    return Ok(None);
                }
                let base = old.cloned().unwrap_or_else(|| key.clone());
                let new = update.apply(&base)?;
                check_index_keys(&table, &new, old, WriteOrigin::Update).map_err(IndexKeyViolation::into_error)?;
                if item_size(&new) > MAX_ITEM_SIZE {
                    return Err(ApiError::validation(
                        "Item size to update has exceeded the maximum allowed size",
                    ));
                }
                Ok(Some(new))
            })
            .inspect_err(|e| crate::capacity::charge_failed_condition(&table, e, seen.get()))?;
        let old_size = change.old.as_ref().map_or(0, item_size);
        let new_size = change.new.as_ref().map_or(0, item_size);
        let attributes = match input.return_values.as_deref() {
            Some("ALL_OLD") => change.old.clone(),
            Some("ALL_NEW") => change.new.clone(),
            Some("UPDATED_OLD") => updated_parts(&update, change.old.as_ref()),
            Some("UPDATED_NEW") => updated_parts(&update, change.new.as_ref()),
            _ => None,
        };
        Ok(WriteItemOutput {
            attributes,
            consumed_capacity: consumed_with_indexes(
                &table,
                write_units(old_size.max(new_size)),
                &index_write_units(&table, change.old.as_ref(), change.new.as_ref()),
                Kind::Write,
                return_consumed_capacity(input.return_consumed_capacity.as_deref()),
            ),
            item_collection_metrics: item_collection_metrics(
                self,
                &table,
                &key,
                input.return_item_collection_metrics.as_deref(),
            ),
        })
    }
}
