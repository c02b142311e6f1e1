//! DeleteItem: remove an item by key (deleting a missing item succeeds).

use super::common::{
    data_plane_table_name, item_collection_metrics, item_from_raw, return_consumed_capacity,
    return_consumed_capacity_constraint, return_values_old_or_none, ExpressionParameters, CONDITIONAL_OPERATORS,
    RETURN_ITEM_COLLECTION_METRICS, RETURN_VALUES, RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
};
use super::conditions::{check_condition, expression_values, wants_item_on_failure, write_condition};
use crate::capacity::{consumed_with_indexes, write_units, Kind};
use crate::indexes::index_write_units;
use crate::keys::validate_key;
use crate::Engine;
use cairn_expr::Placeholders;
use cairn_model::constraints::Constraints;
use cairn_model::types::{DeleteItemInput, WriteItemOutput};
use cairn_model::value::item_size;
use cairn_model::ApiError;

impl Engine {
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<WriteItemOutput, ApiError> {
        let mut c = Constraints::new();
        data_plane_table_name(&mut c, input.table_name.as_deref());
        c.not_null(&input.key, "key");
        c.one_of(input.return_values.as_deref(), "returnValues", RETURN_VALUES);
        return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.one_of(
            input.return_item_collection_metrics.as_deref(),
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
        c.one_of(
            input.return_values_on_condition_check_failure.as_deref(),
            "returnValuesOnConditionCheckFailure",
            RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
        );
        c.one_of(
            input.conditional_operator.as_deref(),
            "conditionalOperator",
            CONDITIONAL_OPERATORS,
        );
        c.finish()?;
        ExpressionParameters {
            expressions: &[("ConditionExpression", input.condition_expression.is_some())],
            legacy: &[("Expected", input.expected.is_some())],
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
        }
        .check()?;
        let return_old = return_values_old_or_none(input.return_values.as_deref())?;
        let values = expression_values(input.expression_attribute_values)?;
        let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let condition = write_condition(
            input.condition_expression.as_deref(),
            input.expected.as_ref(),
            input.conditional_operator.as_deref(),
            &mut placeholders,
        )?;
        placeholders.reject_unused()?;
        let item_on_failure = wants_item_on_failure(input.return_values_on_condition_check_failure.as_deref());
        let key = item_from_raw(input.key.unwrap_or_default())?;
        let table = self.table(input.table_name.as_deref().unwrap_or_default())?;
        validate_key(&table, &key)?;
        let change = self.write_item(&table, &key, |old| {
            check_condition(condition.as_ref(), old, item_on_failure)?;
            Ok(None)
        })?;
        let units = write_units(change.old.as_ref().map_or(0, item_size));
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
                &table,
                &key,
                input.return_item_collection_metrics.as_deref(),
            ),
        })
    }
}
