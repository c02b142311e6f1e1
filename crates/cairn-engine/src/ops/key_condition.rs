//! KeyConditionExpression (and legacy KeyConditions): equality on the partition key,
//! at most one of `= < <= > >= BETWEEN begins_with` on the sort key, turned into a
//! byte range over the order-preserving key encoding.

use crate::catalog::KeyAttribute;
use crate::indexes::partition_prefix_of;
use cairn_expr::condition::Comparator;
use cairn_expr::{Condition, Operand, PathElement};
use cairn_model::keycodec::encode_key_value;
use cairn_model::{ApiError, AttributeValue};
use cairn_storage::{prefix_end, ScanRange};
use std::ops::Bound;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortCondition {
    Compare(Comparator, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A key condition: equality on every partition-key attribute, equality on the
/// first sort-key attributes, and at most one condition on the next one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyCondition {
    pub partition: Vec<AttributeValue>,
    pub sort_prefix: Vec<AttributeValue>,
    pub sort: Option<SortCondition>,
}

fn unsupported() -> ApiError {
    ApiError::validation("Query key condition not supported")
}

fn operator_name(c: &Condition) -> &'static str {
    match c {
        Condition::Or(..) => "OR",
        Condition::Not(..) => "NOT",
        Condition::In(..) => "IN",
        Condition::Exists(_) => "attribute_exists",
        Condition::NotExists(_) => "attribute_not_exists",
        Condition::AttributeType(..) => "attribute_type",
        Condition::Contains(..) => "contains",
        Condition::Compare(_, Comparator::Ne, _) => "<>",
        _ => "",
    }
}

/// Splits a top-level AND chain into its parts.
fn conjuncts(c: &Condition, out: &mut Vec<Condition>) -> Result<(), ApiError> {
    match c {
        Condition::And(a, b) => {
            conjuncts(a, out)?;
            conjuncts(b, out)
        }
        Condition::Compare(..) | Condition::Between(..) | Condition::BeginsWith(..) => {
            if operator_name(c) == "<>" {
                return Err(ApiError::validation(
                    "Invalid operator used in KeyConditionExpression: <>",
                ));
            }
            out.push(c.clone());
            Ok(())
        }
        other => Err(ApiError::validation(format!(
            "Invalid operator used in KeyConditionExpression: {}",
            operator_name(other)
        ))),
    }
}

fn attribute(o: &Operand) -> Option<&str> {
    match o {
        Operand::Path(p) => match p.0.as_slice() {
            [PathElement::Attribute(name)] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

fn value(o: &Operand) -> Result<&AttributeValue, ApiError> {
    match o {
        Operand::Value(v) => Ok(v),
        _ => Err(unsupported()),
    }
}

fn flip(c: Comparator) -> Comparator {
    match c {
        Comparator::Lt => Comparator::Gt,
        Comparator::Le => Comparator::Ge,
        Comparator::Gt => Comparator::Lt,
        Comparator::Ge => Comparator::Le,
        other => other,
    }
}

/// (attribute name, condition on it) for one conjunct.
fn split(c: &Condition) -> Result<(String, SortCondition), ApiError> {
    match c {
        Condition::Compare(a, op, b) => match (attribute(a), attribute(b)) {
            (Some(name), None) => Ok((name.to_string(), SortCondition::Compare(*op, value(b)?.clone()))),
            (None, Some(name)) => Ok((name.to_string(), SortCondition::Compare(flip(*op), value(a)?.clone()))),
            _ => Err(unsupported()),
        },
        Condition::Between(a, low, high) => {
            let name = attribute(a).ok_or_else(unsupported)?;
            Ok((
                name.to_string(),
                SortCondition::Between(value(low)?.clone(), value(high)?.clone()),
            ))
        }
        Condition::BeginsWith(a, prefix) => {
            let name = attribute(a).ok_or_else(unsupported)?;
            Ok((name.to_string(), SortCondition::BeginsWith(value(prefix)?.clone())))
        }
        _ => Err(unsupported()),
    }
}

fn type_mismatch() -> ApiError {
    ApiError::invalid_parameter("Condition parameter type does not match schema type")
}

fn check_sort_types(range: &KeyAttribute, cond: &SortCondition) -> Result<(), ApiError> {
    match cond {
        SortCondition::Compare(_, v) => check_type(range, v),
        SortCondition::Between(a, b) => {
            check_type(range, a)?;
            check_type(range, b)
        }
        SortCondition::BeginsWith(v) => {
            if range.kind == cairn_model::value::ScalarType::N {
                return Err(ApiError::validation(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                ));
            }
            check_type(range, v)
        }
    }
}

fn check_type(attr: &KeyAttribute, v: &AttributeValue) -> Result<(), ApiError> {
    if v.scalar_type() == Some(attr.kind) {
        Ok(())
    } else {
        Err(type_mismatch())
    }
}

impl KeyCondition {
    pub(crate) fn from_condition(
        condition: &Condition,
        hashes: &[&KeyAttribute],
        ranges: &[&KeyAttribute],
    ) -> Result<KeyCondition, ApiError> {
        let mut parts = Vec::new();
        conjuncts(condition, &mut parts)?;
        let key_count = hashes.len() + ranges.len();
        if parts.len() > key_count {
            return Err(ApiError::validation(format!(
                "The number of query conditions ({}) exceeds the number of key attributes defined in the schema ({key_count})",
                parts.len()
            )));
        }
        let one_per_key = || ApiError::validation("KeyConditionExpressions must only contain one condition per key");
        let mut partition: Vec<Option<AttributeValue>> = vec![None; hashes.len()];
        let mut sort: Vec<Option<SortCondition>> = vec![None; ranges.len()];
        for part in &parts {
            let (name, cond) = split(part)?;
            if let Some(i) = hashes.iter().position(|h| h.name == name) {
                if partition[i].is_some() {
                    return Err(one_per_key());
                }
                match cond {
                    SortCondition::Compare(Comparator::Eq, v) => {
                        check_type(hashes[i], &v)?;
                        partition[i] = Some(v);
                    }
                    _ => return Err(unsupported()),
                }
            } else if let Some(j) = ranges.iter().position(|r| r.name == name) {
                if sort[j].is_some() {
                    return Err(one_per_key());
                }
                check_sort_types(ranges[j], &cond)?;
                sort[j] = Some(cond);
            } else {
                let named = if parts.len() == 1 {
                    Some(hashes[0])
                } else {
                    ranges.first().copied()
                };
                return Err(ApiError::validation(format!(
                    "Query condition missed key schema element: {}",
                    named.unwrap_or(hashes[0]).name
                )));
            }
        }
        let mut values = Vec::with_capacity(hashes.len());
        for (value, attr) in partition.into_iter().zip(hashes) {
            values.push(value.ok_or_else(|| {
                ApiError::validation(format!("Query condition missed key schema element: {}", attr.name))
            })?);
        }
        // Sort conditions must cover a leading run of the sort attributes; all but the
        // last of that run must be equalities. DynamoDB names the attributes lacking
        // an equality and the attribute whose condition needs them.
        if let Some(last) = sort.iter().rposition(Option::is_some) {
            let lacking: Vec<&str> = sort[..last]
                .iter()
                .zip(ranges)
                .filter(|(c, _)| !matches!(c, Some(SortCondition::Compare(Comparator::Eq, _))))
                .map(|(_, attr)| attr.name.as_str())
                .collect();
            if !lacking.is_empty() {
                return Err(ApiError::validation(format!(
                    "RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {}",
                    lacking.join(", "),
                    ranges[last].name
                )));
            }
        }
        let mut conditions: Vec<SortCondition> = sort.into_iter().flatten().collect();
        let last = conditions.pop();
        let mut sort_prefix = Vec::with_capacity(conditions.len());
        for c in conditions {
            match c {
                SortCondition::Compare(Comparator::Eq, v) => sort_prefix.push(v),
                _ => return Err(unsupported()),
            }
        }
        Ok(KeyCondition {
            partition: values,
            sort_prefix,
            sort: last,
        })
    }

    /// The storage prefix of the one partition the query reads.
    pub(crate) fn partition_prefix(&self, base: &[u8]) -> Vec<u8> {
        partition_prefix_of(base, &self.partition.iter().collect::<Vec<_>>())
    }

    /// The storage range holding matching entries under `base` (a table or index prefix).
    pub(crate) fn range(&self, base: &[u8], reverse: bool) -> ScanRange {
        let mut partition = partition_prefix_of(base, &self.partition.iter().collect::<Vec<_>>());
        for v in &self.sort_prefix {
            encode_key_value(v, &mut partition);
        }
        let encoded = |v: &AttributeValue| {
            let mut key = partition.clone();
            encode_key_value(v, &mut key);
            key
        };
        let after_all = |key: Vec<u8>| prefix_end(&key).map_or(Bound::Unbounded, Bound::Excluded);
        let whole_end = prefix_end(&partition).map_or(Bound::Unbounded, Bound::Excluded);
        let (start, end) = match &self.sort {
            None => (Bound::Included(partition.clone()), whole_end),
            Some(SortCondition::Compare(op, v)) => match op {
                Comparator::Eq => (Bound::Included(encoded(v)), after_all(encoded(v))),
                Comparator::Lt => (Bound::Included(partition.clone()), Bound::Excluded(encoded(v))),
                Comparator::Le => (Bound::Included(partition.clone()), after_all(encoded(v))),
                Comparator::Gt => (after_all(encoded(v)).map_included(), whole_end),
                Comparator::Ge => (Bound::Included(encoded(v)), whole_end),
                Comparator::Ne => (Bound::Included(partition.clone()), whole_end),
            },
            Some(SortCondition::Between(low, high)) => (Bound::Included(encoded(low)), after_all(encoded(high))),
            Some(SortCondition::BeginsWith(prefix)) => {
                // An encoded string or binary starts with its escaped bytes, before the
                // terminator: drop the two terminator bytes to get a prefix.
                let mut key = encoded(prefix);
                key.truncate(key.len() - 2);
                (Bound::Included(key.clone()), after_all(key))
            }
        };
        ScanRange { start, end, reverse }
    }
}

trait IncludedBound {
    fn map_included(self) -> Bound<Vec<u8>>;
}

impl IncludedBound for Bound<Vec<u8>> {
    /// An exclusive end bound reused as an inclusive start bound.
    fn map_included(self) -> Bound<Vec<u8>> {
        match self {
            Bound::Excluded(k) => Bound::Included(k),
            other => other,
        }
    }
}
