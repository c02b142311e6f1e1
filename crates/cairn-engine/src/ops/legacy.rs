//! The legacy (pre-expression) parameters, translated into the same resolved
//! conditions and updates the expression languages produce: `Expected` with
//! `ConditionalOperator`, and `AttributeUpdates`.

use cairn_expr::compare::long_type_name;
use cairn_expr::condition::Comparator;
use cairn_expr::resolve::Operand;
use cairn_expr::update::{Action, SetValue};
use cairn_expr::{Condition, Path, PathElement, Update};
use cairn_model::constraints::Constraints;
use cairn_model::types::{AttributeValueUpdate, ExpectedAttributeValue};
use cairn_model::{ApiError, AttributeValue};
use std::collections::BTreeMap;

fn top_level(name: &str) -> Path {
    Path(vec![PathElement::Attribute(name.to_string())])
}

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter(detail)
}

/// Where a legacy condition map appears, which decides how DynamoDB words its errors:
/// the request parameter's name in constraint paths, and whether the message comes
/// in the front end's "1 validation error detected: " envelope (single-item writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyUse {
    Expected,
    QueryFilter,
    ScanFilter,
    KeyConditions,
}

impl LegacyUse {
    fn parameter(self) -> &'static str {
        match self {
            LegacyUse::Expected => "expected",
            LegacyUse::QueryFilter => "queryFilter",
            LegacyUse::ScanFilter => "scanFilter",
            LegacyUse::KeyConditions => "keyConditions",
        }
    }

    fn invalid(self, detail: impl std::fmt::Display) -> ApiError {
        let error = invalid(detail);
        match self {
            LegacyUse::Expected => ApiError::validation(format!("1 validation error detected: {}", error.message)),
            _ => error,
        }
    }
}

/// ComparisonOperator's values, in the service model's order.
const COMPARISON_OPERATORS: &[&str] = &[
    "EQ",
    "NE",
    "IN",
    "LE",
    "LT",
    "GE",
    "GT",
    "BETWEEN",
    "NOT_NULL",
    "NULL",
    "CONTAINS",
    "NOT_CONTAINS",
    "BEGINS_WITH",
];

/// The value types each operator accepts in AttributeValueList (DynamoDB's
/// Condition reference); EQ and NE accept any.
fn accepts_type(operator: &str, value: &AttributeValue) -> bool {
    let scalar = matches!(
        value,
        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
    );
    match operator {
        "LE" | "LT" | "GE" | "GT" | "CONTAINS" | "NOT_CONTAINS" | "IN" | "BETWEEN" => scalar,
        "BEGINS_WITH" => matches!(value, AttributeValue::S(_) | AttributeValue::B(_)),
        _ => true,
    }
}

/// The number of values each operator takes (None: one or more).
fn arity(operator: &str) -> Option<usize> {
    match operator {
        "NULL" | "NOT_NULL" => Some(0),
        "BETWEEN" => Some(2),
        "IN" => None,
        _ => Some(1),
    }
}

fn one_condition(name: &str, expected: &ExpectedAttributeValue, used: LegacyUse) -> Result<Condition, ApiError> {
    let path = top_level(name);
    let attribute = || Operand::Path(path.clone());
    let value = expected.value.clone().map(AttributeValue::from_raw).transpose()?;
    let list = expected
        .attribute_value_list
        .iter()
        .flatten()
        .map(|v| AttributeValue::from_raw(v.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(operator) = expected.comparison_operator.as_deref() else {
        if expected.attribute_value_list.is_some() {
            // Wording inferred from the neighbouring messages; DynamoDB checks this
            // before the Exists rules.
            return Err(used.invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )));
        }
        return match (expected.exists, value) {
            (Some(false), None) => Ok(Condition::NotExists(path)),
            (Some(false), Some(_)) => Err(used.invalid(format!(
                "Value cannot be used when Exists is false for Attribute: {name}"
            ))),
            (_, Some(v)) => Ok(Condition::Compare(attribute(), Comparator::Eq, Operand::Value(v))),
            (Some(true), None) => Err(used.invalid(format!(
                "Value must be provided when Exists is true for Attribute: {name}"
            ))),
            (None, None) => Err(used.invalid(format!(
                "Value must be provided when Exists is null for Attribute: {name}"
            ))),
        };
    };
    if !COMPARISON_OPERATORS.contains(&operator) {
        let mut c = Constraints::new();
        c.one_of(
            Some(operator),
            &format!("{}.{name}.member.comparisonOperator", used.parameter()),
            COMPARISON_OPERATORS,
        );
        return Err(c.finish().err().unwrap_or_else(|| invalid("ComparisonOperator")));
    }
    if expected.exists.is_some() {
        return Err(used.invalid(format!(
            "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
        )));
    }
    let mut values = match (value, expected.attribute_value_list.is_some()) {
        (Some(_), true) => {
            return Err(used.invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {name}"
            )))
        }
        (Some(v), false) => vec![v],
        (None, _) => list,
    };
    let wants = arity(operator);
    if values.is_empty() && wants != Some(0) && expected.attribute_value_list.is_none() {
        return Err(used.invalid(format!(
            "Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {name}"
        )));
    }
    if wants.is_some_and(|n| n != values.len()) || (wants.is_none() && values.is_empty()) {
        return Err(used.invalid(format!(
            "Invalid number of argument(s) for the {operator} ComparisonOperator"
        )));
    }
    if let Some(bad) = values.iter().find(|v| !accepts_type(operator, v)) {
        return Err(used.invalid(format!(
            "ComparisonOperator {operator} is not valid for {} AttributeValue type",
            bad.type_name()
        )));
    }
    if operator == "BETWEEN" {
        if values[0].type_name() != values[1].type_name() {
            // Wording assumed: DynamoDB's message for mixed BETWEEN types is not on record.
            return Err(used.invalid("AttributeValues inside AttributeValueList must be of same type"));
        }
        if cairn_expr::compare::order(&values[0], &values[1]) == Some(std::cmp::Ordering::Greater) {
            return Err(used.invalid(
                "The BETWEEN condition was provided a range where the lower bound is bigger than the upper bound",
            ));
        }
    }
    let compare = |c: Comparator, values: &mut Vec<AttributeValue>| {
        Condition::Compare(attribute(), c, Operand::Value(values.remove(0)))
    };
    Ok(match operator {
        "EQ" | "NE" | "LE" | "LT" | "GE" | "GT" => {
            let c = match operator {
                "EQ" => Comparator::Eq,
                "NE" => Comparator::Ne,
                "LE" => Comparator::Le,
                "LT" => Comparator::Lt,
                "GE" => Comparator::Ge,
                _ => Comparator::Gt,
            };
            compare(c, &mut values)
        }
        "NOT_NULL" => Condition::Exists(path),
        "NULL" => Condition::NotExists(path),
        "CONTAINS" | "NOT_CONTAINS" | "BEGINS_WITH" => {
            let needle = Operand::Value(values.remove(0));
            match operator {
                "CONTAINS" => Condition::Contains(attribute(), needle),
                "NOT_CONTAINS" => Condition::And(
                    Box::new(Condition::Exists(path.clone())),
                    Box::new(Condition::Not(Box::new(Condition::Contains(attribute(), needle)))),
                ),
                _ => Condition::BeginsWith(attribute(), needle),
            }
        }
        "IN" => Condition::In(attribute(), values.into_iter().map(Operand::Value).collect()),
        _ => {
            let high = values.remove(1);
            let low = values.remove(0);
            Condition::Between(attribute(), Operand::Value(low), Operand::Value(high))
        }
    })
}

/// `Expected` (or a legacy filter) entries joined with ConditionalOperator (AND
/// unless OR). DynamoDB accepts ConditionalOperator only with two or more entries.
pub(crate) fn expected_condition(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
    conditional_operator: Option<&str>,
    used: LegacyUse,
) -> Result<Option<Condition>, ApiError> {
    if conditional_operator.is_some() && expected.len() < 2 {
        return Err(ApiError::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ));
    }
    let mut combined: Option<Condition> = None;
    for (name, entry) in expected {
        let next = one_condition(name, entry, used)?;
        combined = Some(match combined {
            None => next,
            Some(previous) if conditional_operator == Some("OR") => Condition::Or(Box::new(previous), Box::new(next)),
            Some(previous) => Condition::And(Box::new(previous), Box::new(next)),
        });
    }
    Ok(combined)
}

/// `AttributeUpdates` as an update: PUT sets, DELETE removes (or removes set
/// elements), ADD adds to numbers and sets.
pub(crate) fn attribute_updates(updates: &BTreeMap<String, AttributeValueUpdate>) -> Result<Update, ApiError> {
    let mut actions = Vec::with_capacity(updates.len());
    for (name, update) in updates {
        let path = top_level(name);
        let value = update.value.clone().map(AttributeValue::from_raw).transpose()?;
        let action = match (update.action.as_deref().unwrap_or("PUT"), value) {
            ("PUT", Some(v)) => Action::Set(path, SetValue::Operand(Operand::Value(v))),
            ("PUT", None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("DELETE", None) => Action::Remove(path),
            ("DELETE", Some(v)) => match v {
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => Action::Delete(path, v),
                other => {
                    return Err(invalid(format!(
                        "DELETE action with value is not supported for the type {}",
                        long_type_name(&other)
                    )))
                }
            },
            ("ADD", Some(v)) => match v {
                AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                    Action::Add(path, v)
                }
                other => {
                    return Err(invalid(format!(
                        "ADD action is not supported for the type {}",
                        long_type_name(&other)
                    )))
                }
            },
            ("ADD", None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            (other, _) => return Err(invalid(format!("Unsupported AttributeAction: {other}"))),
        };
        actions.push(action);
    }
    Ok(Update { actions })
}
