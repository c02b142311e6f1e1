//! Checks shared by several operations.

use crate::catalog::TableMeta;
use crate::{Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    ExpectedAttributeValue, ExpressionAttributeNames, ExpressionAttributeValues, ReturnConsumedCapacity,
    RETURN_CONSUMED_CAPACITY_VALUES,
};
use cairn_model::wire::RawItem;
use cairn_model::{ApiError, Item};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Data-plane operations accept a table name of 1..=255 characters (an ARN-shaped
/// name later); CreateTable requires at least 3.
pub(crate) fn data_plane_table_name(c: &mut Constraints, name: Option<&str>) {
    match name {
        None => c.violation(None, "tableName", "Member must not be null"),
        Some(name) => {
            let len = name.chars().count();
            c.min_length(Some(name), len, "tableName", 1);
            c.max_length(Some(name), len, "tableName", 255);
            if !name.is_empty()
                && !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-'))
            {
                c.violation(
                    Some(name),
                    "tableName",
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
    }
}

pub(crate) fn return_consumed_capacity_constraint(c: &mut Constraints, value: Option<&str>) {
    c.one_of(value, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY_VALUES);
}

/// Parses a value the constraints already accepted.
pub(crate) fn return_consumed_capacity(value: Option<&str>) -> ReturnConsumedCapacity {
    ReturnConsumedCapacity::parse(value).unwrap_or(ReturnConsumedCapacity::None)
}

pub(crate) const RETURN_VALUES: &[&str] = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
pub(crate) const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];
pub(crate) const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
pub(crate) const CONDITIONAL_OPERATORS: &[&str] = &["AND", "OR"];

impl Engine {
    /// The table, or DynamoDB's not-found error for data-plane calls.
    pub(crate) fn table(&self, ctx: &RequestContext, name: &str) -> Result<Arc<TableMeta>, ApiError> {
        self.catalog
            .get(&ctx.region, name)
            // A table still being loaded from a backup takes no item requests yet,
            // as on DynamoDB (its loader would overwrite them).
            .filter(|t| !t.loading())
            .ok_or_else(ApiError::table_not_found)
            .inspect(|t| crate::capacity::throttle::note_table(t))
    }
}

/// Converts an item or key as sent, applying DynamoDB's value rules.
pub(crate) fn item_from_raw(raw: RawItem) -> Result<Item, ApiError> {
    cairn_model::value::item_from_raw(raw)
}

/// The expression-parameter rules that do not need a parser: mixing legacy and
/// expression parameters, and placeholder maps given without any expression.
pub(crate) struct ExpressionParameters<'a> {
    /// (name, present) of each expression parameter, e.g. ("ConditionExpression", true).
    pub expressions: &'a [(&'static str, bool)],
    /// (name, present) of each legacy parameter, e.g. ("Expected", false).
    pub legacy: &'a [(&'static str, bool)],
    pub names: Option<&'a ExpressionAttributeNames>,
    pub values: Option<&'a ExpressionAttributeValues>,
}

impl ExpressionParameters<'_> {
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        let used = |list: &[(&'static str, bool)]| -> Vec<&'static str> {
            list.iter().filter(|(_, present)| *present).map(|(n, _)| *n).collect()
        };
        let expressions = used(self.expressions);
        let legacy = used(self.legacy);
        if !expressions.is_empty() && !legacy.is_empty() {
            return Err(ApiError::validation(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                legacy.join(", "),
                expressions.join(", ")
            )));
        }
        if expressions.is_empty() {
            let null_list = self
                .expressions
                .iter()
                .map(|(n, _)| format!("{n} is null"))
                .collect::<Vec<_>>()
                .join(" and ");
            if self.names.is_some() {
                return Err(ApiError::validation(format!(
                    "ExpressionAttributeNames can only be specified when using expressions: {null_list}"
                )));
            }
            if self.values.is_some() {
                return Err(ApiError::validation(format!(
                    "ExpressionAttributeValues can only be specified when using expressions: {null_list}"
                )));
            }
        }
        if self.names.is_some_and(|n| n.is_empty()) {
            return Err(ApiError::validation("ExpressionAttributeNames must not be empty"));
        }
        if self.values.is_some_and(|v| v.is_empty()) {
            return Err(ApiError::validation("ExpressionAttributeValues must not be empty"));
        }
        Ok(())
    }
}

/// Rejects ExpressionAttributeNames entries no expression used.
pub(crate) fn reject_unused_names(
    names: Option<&ExpressionAttributeNames>,
    used: &std::collections::BTreeSet<String>,
) -> Result<(), ApiError> {
    cairn_expr::resolve::check_expression_attribute_names(names)?;
    let Some(names) = names else { return Ok(()) };
    let unused: Vec<&str> = names
        .keys()
        .filter(|k| !used.contains(*k))
        .map(String::as_str)
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
        unused.join(", ")
    )))
}

/// PutItem and DeleteItem accept only NONE and ALL_OLD.
pub(crate) fn return_values_old_or_none(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(ApiError::validation("ReturnValues can only be ALL_OLD or NONE")),
    }
}

/// ItemCollectionMetrics for a write, when asked for and the table has local
/// secondary indexes (only those tables have item collections): DynamoDB's estimate
/// is a range of whole gigabytes around the collection's size.
pub(crate) fn item_collection_metrics(
    engine: &Engine,
    table: &TableMeta,
    key: &Item,
    requested: Option<&str>,
) -> Option<cairn_model::types::ItemCollectionMetrics> {
    if requested != Some("SIZE") || table.local_secondary_indexes.is_empty() {
        return None;
    }
    let partition = key.get(&table.hash_key.name)?.clone();
    let gigabytes = engine.collection_size(table, key).ok()? as f64 / (1024.0 * 1024.0 * 1024.0);
    Some(cairn_model::types::ItemCollectionMetrics {
        item_collection_key: [(table.hash_key.name.clone(), partition)].into(),
        size_estimate_range_gb: [gigabytes.floor(), gigabytes.floor() + 1.0],
    })
}

/// The options every single-item write shares, checked as DynamoDB's front end
/// checks them.
pub(crate) struct WriteOptions<'a> {
    pub return_values: Option<&'a str>,
    pub return_consumed_capacity: Option<&'a str>,
    pub return_item_collection_metrics: Option<&'a str>,
    pub return_values_on_condition_check_failure: Option<&'a str>,
    pub conditional_operator: Option<&'a str>,
}

impl WriteOptions<'_> {
    pub(crate) fn constraints(&self, c: &mut Constraints) {
        c.one_of(self.return_values, "returnValues", RETURN_VALUES);
        return_consumed_capacity_constraint(c, self.return_consumed_capacity);
        c.one_of(
            self.return_item_collection_metrics,
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
        c.one_of(
            self.return_values_on_condition_check_failure,
            "returnValuesOnConditionCheckFailure",
            RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
        );
        c.one_of(self.conditional_operator, "conditionalOperator", CONDITIONAL_OPERATORS);
    }
}

/// The condition of a PutItem or DeleteItem (ConditionExpression or legacy
/// Expected), with its placeholders checked, and whether a failure should return
/// the item.
pub(crate) fn plain_write_condition(
    condition_expression: Option<&str>,
    expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
    names: Option<&ExpressionAttributeNames>,
    raw_values: Option<ExpressionAttributeValues>,
    options: &WriteOptions,
) -> Result<(Option<cairn_expr::Condition>, bool), ApiError> {
    ExpressionParameters {
        expressions: &[("ConditionExpression", condition_expression.is_some())],
        legacy: &[("Expected", expected.is_some())],
        names,
        values: raw_values.as_ref(),
    }
    .check()?;
    let values = super::conditions::expression_values(raw_values)?;
    let mut placeholders = cairn_expr::Placeholders::new(names, values.as_ref());
    let condition = super::conditions::write_condition(
        condition_expression,
        expected,
        options.conditional_operator,
        &mut placeholders,
    )?;
    placeholders.reject_unused()?;
    Ok((
        condition,
        super::conditions::wants_item_on_failure(options.return_values_on_condition_check_failure),
    ))
}
