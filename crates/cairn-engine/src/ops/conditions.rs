//! Conditions on writes, shared by PutItem, UpdateItem, DeleteItem (and later
//! transactions): ExpressionAttributeValues decoding, the ConditionExpression or
//! legacy Expected, and the check against the current item.

use super::legacy::{expected_condition, LegacyUse};
use cairn_expr::{parse_condition, Condition, ExpressionKind, Placeholders};
use cairn_model::types::{ExpectedAttributeValue, ExpressionAttributeValues};
use cairn_model::{ApiError, AttributeValue, Item};
use std::collections::BTreeMap;

/// Decodes ExpressionAttributeValues, naming the bad key as DynamoDB does.
pub(crate) fn expression_values(
    raw: Option<ExpressionAttributeValues>,
) -> Result<Option<BTreeMap<String, AttributeValue>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut values = BTreeMap::new();
    for (name, value) in raw {
        let value = AttributeValue::from_raw(value).map_err(|e| {
            ApiError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {} for key {name}",
                e.message
            ))
        })?;
        values.insert(name, value);
    }
    Ok(Some(values))
}

/// The write's condition, from ConditionExpression or legacy Expected (never both:
/// the caller has already rejected mixing).
pub(crate) fn write_condition(
    condition_expression: Option<&str>,
    expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&str>,
    placeholders: &mut Placeholders,
) -> Result<Option<Condition>, ApiError> {
    if let Some(text) = condition_expression {
        let ast = parse_condition(text, ExpressionKind::Condition)?;
        return Ok(Some(ast.resolve(ExpressionKind::Condition, placeholders)?));
    }
    match expected {
        Some(expected) => expected_condition(expected, conditional_operator, LegacyUse::Expected),
        // Without Expected there is nothing to join; DynamoDB's wording for this case
        // is assumed to be the one it gives for a single entry.
        None if conditional_operator.is_some() => Err(ApiError::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        None => Ok(None),
    }
}

/// Fails with ConditionalCheckFailedException unless the current item (or its
/// absence) satisfies the condition; carries the item when the caller asked for it.
pub(crate) fn check_condition(
    condition: Option<&Condition>,
    current: Option<&Item>,
    return_item: bool,
) -> Result<(), ApiError> {
    let Some(condition) = condition else { return Ok(()) };
    let empty = Item::new();
    if condition.evaluate(current.unwrap_or(&empty)) {
        return Ok(());
    }
    let mut error = ApiError::conditional_check_failed();
    if return_item {
        if let Some(item) = current {
            if let Ok(json) = serde_json::to_string(item) {
                error.extra.push(("Item", json));
            }
        }
    }
    Err(error)
}

/// Whether ReturnValuesOnConditionCheckFailure asks for the item.
pub(crate) fn wants_item_on_failure(value: Option<&str>) -> bool {
    value == Some("ALL_OLD")
}
