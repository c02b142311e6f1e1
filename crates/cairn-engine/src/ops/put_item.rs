//! PutItem: replace an item whole.

use super::common::{
    data_plane_table_name, item_collection_metrics, item_from_raw, plain_write_condition, return_consumed_capacity,
    return_values_old_or_none, WriteOptions,
};
use super::conditions::check_condition;
use crate::capacity::{consumed_with_indexes, write_units, Kind};
use crate::index_keys::{check_index_keys, IndexKeyViolation, WriteOrigin};
use crate::indexes::index_write_units;
use crate::keys::{key_of, validate_item_key};
use crate::Engine;
use crate::RequestContext;
use cairn_model::constraints::Constraints;
use cairn_model::types::{PutItemInput, WriteItemOutput};
use cairn_model::value::item_size;
use cairn_model::ApiError;

impl Engine {
    pub fn put_item(&self, ctx: &RequestContext, input: PutItemInput) -> Result<WriteItemOutput, ApiError> {
        let options = WriteOptions {
            return_values: input.return_values.as_deref(),
            return_consumed_capacity: input.return_consumed_capacity.as_deref(),
            return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
            return_values_on_condition_check_failure: input.return_values_on_condition_check_failure.as_deref(),
            conditional_operator: input.conditional_operator.as_deref(),
        };
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.not_null(&input.item, "item");
        options.constraints(&mut c);
        c.finish()?;
        let (condition, item_on_failure) = plain_write_condition(
            input.condition_expression.as_deref(),
            input.expected.as_ref(),
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.clone(),
            &options,
        )?;
        let return_old = return_values_old_or_none(input.return_values.as_deref())?;
        let item = item_from_raw(input.item.unwrap_or_default())?;
        let table = self.table(ctx, input.table_name.as_deref().unwrap_or_default())?;
        validate_item_key(&table, &item)?;
        cairn_model::item_limits::check_item_to_store(&item)?;
        check_index_keys(&table, &item, None, WriteOrigin::Put).map_err(IndexKeyViolation::into_error)?;
        let new_size = item_size(&item);
        let key = key_of(&table, &item);
        crate::capacity::throttle::admit_key(&table, &key, Kind::Write)?;
        let seen = std::cell::Cell::new(0);
        let change = self
            .write_item(&table, &key, |old| {
                seen.set(old.map_or(0, item_size));
                check_condition(condition.as_ref(), old, item_on_failure)?;
                Ok(Some(item.clone()))
            })
            .inspect_err(|e| crate::capacity::charge_failed_condition(&table, e, seen.get()))?;
        let old_size = change.old.as_ref().map_or(0, item_size);
        let units = write_units(new_size.max(old_size));
        let index_units = index_write_units(&table, change.old.as_ref(), change.new.as_ref());
        Ok(WriteItemOutput {
            attributes: if return_old { change.old } else { None },
            consumed_capacity: consumed_with_indexes(
                &table,
                units,
                &index_units,
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
