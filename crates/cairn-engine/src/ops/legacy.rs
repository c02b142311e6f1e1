//! The legacy (pre-expression) parameters, translated into the same resolved
//! conditions and updates the expression languages produce: `Expected` with
//! `ConditionalOperator`, and `AttributeUpdates`.

use cairn_expr::compare::long_type_name;
use cairn_expr::condition::Comparator;
use cairn_expr::resolve::Operand;
use cairn_expr::update::{Action, SetValue};
use cairn_expr::{Condition, Path, PathElement, Update};
use cairn_model::types::{AttributeValueUpdate, ExpectedAttributeValue};
use cairn_model::{ApiError, AttributeValue};
use std::collections::BTreeMap;

fn top_level(name: &str) -> Path {
    Path(vec![PathElement::Attribute(name.to_string())])
}

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter(detail)
}

fn one_condition(name: &str, expected: &ExpectedAttributeValue) -> Result<Condition, ApiError> {
    let path = top_level(name);
    let attribute = || Operand::Path(path.clone());
    let mut values: Vec<AttributeValue> = Vec::new();
    if let Some(v) = &expected.value {
        values.push(AttributeValue::from_raw(v.clone())?);
    }
    for v in expected.attribute_value_list.iter().flatten() {
        values.push(AttributeValue::from_raw(v.clone())?);
    }
    let Some(operator) = expected.comparison_operator.as_deref() else {
        return match (expected.exists, values.len()) {
            (Some(false), 0) => Ok(Condition::NotExists(path)),
            (Some(false), _) => Err(invalid("Value cannot be used when Exists is false")),
            (_, 1) => Ok(Condition::Compare(
                attribute(),
                Comparator::Eq,
                Operand::Value(values.remove(0)),
            )),
            (_, _) => Err(invalid("Value must be provided when Exists is true")),
        };
    };
    let arity = |n: usize| -> Result<(), ApiError> {
        if values.len() == n {
            Ok(())
        } else {
            Err(invalid(format!(
                "Invalid number of argument(s) for the {operator} ComparisonOperator"
            )))
        }
    };
    let compare = |c: Comparator, values: &mut Vec<AttributeValue>| {
        Condition::Compare(attribute(), c, Operand::Value(values.remove(0)))
    };
    Ok(match operator {
        "EQ" | "NE" | "LE" | "LT" | "GE" | "GT" => {
            arity(1)?;
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
        "NOT_NULL" => {
            arity(0)?;
            Condition::Exists(path)
        }
        "NULL" => {
            arity(0)?;
            Condition::NotExists(path)
        }
        "CONTAINS" | "NOT_CONTAINS" | "BEGINS_WITH" => {
            arity(1)?;
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
        "IN" => {
            if values.is_empty() {
                return Err(invalid(format!(
                    "Invalid number of argument(s) for the {operator} ComparisonOperator"
                )));
            }
            Condition::In(attribute(), values.into_iter().map(Operand::Value).collect())
        }
        "BETWEEN" => {
            arity(2)?;
            let high = values.remove(1);
            let low = values.remove(0);
            Condition::Between(attribute(), Operand::Value(low), Operand::Value(high))
        }
        other => return Err(invalid(format!("Unsupported ComparisonOperator: {other}"))),
    })
}

/// `Expected` entries joined with ConditionalOperator (AND unless OR).
pub(crate) fn expected_condition(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
    conditional_operator: Option<&str>,
) -> Result<Option<Condition>, ApiError> {
    let mut combined: Option<Condition> = None;
    for (name, entry) in expected {
        let next = one_condition(name, entry)?;
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
