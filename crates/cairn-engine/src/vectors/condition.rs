//! SearchVectors' SearchConditionExpression held against its vector index: which
//! conditions it may contain, the partition (HASH) value it must pin, and the
//! predicate left for the entries of that partition.
//!
//! The expression is parsed and resolved by `cairn-expr` like a FilterExpression (so
//! its length, nesting, operator-count and IN-list limits apply); this module walks
//! the resolved tree. What DynamoDB documents (developer guide, "SearchConditionExpression
//! reference for vector indexes", and the SearchVectors API reference):
//!
//! - a Boolean combination of conditions over the index's SearchSchema attributes,
//!   each naming a top-level attribute (`a.b`, `a[0]` are refused) and comparing it
//!   with `:value` placeholders;
//! - the HASH attribute takes only `=`, and its value must be supplied: it selects
//!   the one partition searched, so it is a conjunct of the whole expression;
//! - INLINE_FILTER attributes take comparison and range operators; the reference's
//!   example combines IN, BETWEEN and OR.
//!
//! Everything else follows DynamoDB's condition expressions (see docs/vector-search.md,
//! "Limits and differences", for what is Cairn's reading).

use super::VectorIndexMeta;
use cairn_expr::condition::Comparator;
use cairn_expr::{Condition, Operand, Path, PathElement};
use cairn_model::{ApiError, AttributeValue};

/// What a search looks in and for.
#[derive(Debug)]
pub(crate) struct SearchCondition {
    /// The HASH attribute's value: the partition searched (the index has no HASH
    /// element when None).
    pub hash_value: Option<AttributeValue>,
    /// What an entry of that partition must also satisfy; None when nothing.
    pub filter: Option<Condition>,
}

pub(crate) fn search_error(detail: &str) -> ApiError {
    ApiError::validation(format!("Invalid SearchConditionExpression: {detail}"))
}

// The two rejections DynamoDB's service has been seen to give for operators the
// expression does not take (recorded in docs/vector-search.md).
fn invalid_comparator() -> ApiError {
    search_error("Invalid comparator used in SearchConditionExpression")
}

fn invalid_operator() -> ApiError {
    search_error("Invalid operator used in SearchConditionExpression")
}

fn not_attribute_and_value() -> ApiError {
    search_error("A condition compares one search schema attribute with one value")
}

/// How a condition without AND / OR / NOT uses the attribute it tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `attr = :v`
    Equality,
    /// `attr <> :v`, `<`, `<=`, `>`, `>=`
    Comparison,
    /// BETWEEN, IN, a function.
    Operator,
}

/// One tested attribute: its path, how it is used, and the values compared with it
/// directly (which must be of its declared type).
struct Test<'a> {
    path: &'a Path,
    form: Form,
    compared: Vec<&'a AttributeValue>,
}

impl Test<'_> {
    /// The attribute's name; a path that goes below the top level is refused.
    fn name(&self) -> Result<&str, ApiError> {
        match self.path.0.as_slice() {
            [PathElement::Attribute(name)] => Ok(name),
            _ => Err(search_error(
                "Only top-level attributes of the search schema can be used",
            )),
        }
    }
}

/// The conditions under the AND / OR / NOT of `condition`, in expression order.
fn leaves<'a>(condition: &'a Condition, out: &mut Vec<&'a Condition>) {
    match condition {
        Condition::And(a, b) | Condition::Or(a, b) => {
            leaves(a, out);
            leaves(b, out);
        }
        Condition::Not(a) => leaves(a, out),
        leaf => out.push(leaf),
    }
}

fn path_of(operand: &Operand) -> Result<&Path, ApiError> {
    match operand {
        Operand::Path(path) => Ok(path),
        _ => Err(not_attribute_and_value()),
    }
}

fn value_of(operand: &Operand) -> Result<&AttributeValue, ApiError> {
    match operand {
        Operand::Value(value) => Ok(value),
        _ => Err(not_attribute_and_value()),
    }
}

fn test<'a>(path: &'a Path, form: Form, compared: Vec<&'a AttributeValue>) -> Result<Test<'a>, ApiError> {
    Ok(Test { path, form, compared })
}

/// The attribute a leaf condition tests, or why the leaf is not one the expression
/// takes.
fn test_of(leaf: &Condition) -> Result<Test<'_>, ApiError> {
    match leaf {
        Condition::Compare(left, comparator, right) => {
            // The attribute on either side, a value on the other.
            let (subject, value) = match (left, right) {
                (Operand::Value(_), Operand::Value(_)) => return Err(not_attribute_and_value()),
                (Operand::Value(value), subject) | (subject, Operand::Value(value)) => (subject, value),
                _ => return Err(not_attribute_and_value()),
            };
            let form = if *comparator == Comparator::Eq {
                Form::Equality
            } else {
                Form::Comparison
            };
            match subject {
                Operand::Path(path) => test(path, form, vec![value]),
                // size(attr) compares a number, not the attribute's value.
                Operand::Size(inner) => test(path_of(inner)?, Form::Operator, Vec::new()),
                _ => Err(not_attribute_and_value()),
            }
        }
        Condition::Between(subject, low, high) => {
            test(path_of(subject)?, Form::Operator, vec![value_of(low)?, value_of(high)?])
        }
        Condition::In(subject, list) => {
            let compared = list.iter().map(value_of).collect::<Result<_, _>>()?;
            test(path_of(subject)?, Form::Operator, compared)
        }
        Condition::Exists(path) | Condition::NotExists(path) => test(path, Form::Operator, Vec::new()),
        Condition::AttributeType(subject, type_name) => {
            value_of(type_name)?;
            test(path_of(subject)?, Form::Operator, Vec::new())
        }
        Condition::BeginsWith(subject, operand) | Condition::Contains(subject, operand) => {
            value_of(operand)?;
            test(path_of(subject)?, Form::Operator, Vec::new())
        }
        // INVARIANT: `leaves` never yields AND, OR or NOT.
        Condition::And(..) | Condition::Or(..) | Condition::Not(..) => Err(invalid_operator()),
    }
}

/// The rules about the expression's shape, checked before the request's other
/// expressions are: every condition tests one top-level search-schema attribute
/// against values, and the HASH attribute only with `=`.
pub(crate) fn check_shape(condition: &Condition, index: &VectorIndexMeta) -> Result<(), ApiError> {
    let mut found = Vec::new();
    leaves(condition, &mut found);
    let tests = found.into_iter().map(test_of).collect::<Result<Vec<_>, _>>()?;
    for test in &tests {
        let name = test.name()?;
        if !index.in_search_schema(name) {
            return Err(search_error(&format!(
                "Attribute {name} is not in the search schema of vector index {}",
                index.name
            )));
        }
    }
    let Some(hash) = &index.hash else { return Ok(()) };
    for test in &tests {
        if test.name()? == hash.name {
            match test.form {
                Form::Equality => {}
                Form::Comparison => return Err(invalid_comparator()),
                Form::Operator => return Err(invalid_operator()),
            }
        }
    }
    Ok(())
}

/// The top-level conjuncts of `condition` (the condition itself when it is no AND).
fn conjuncts(condition: Condition, out: &mut Vec<Condition>) {
    match condition {
        Condition::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        other => out.push(other),
    }
}

/// Joins conditions with AND, as a balanced tree (evaluation recurses on it).
fn all_of(mut parts: Vec<Condition>) -> Option<Condition> {
    if parts.len() <= 1 {
        return parts.pop();
    }
    let right = parts.split_off(parts.len() / 2);
    match (all_of(parts), all_of(right)) {
        (Some(a), Some(b)) => Some(Condition::And(Box::new(a), Box::new(b))),
        (a, b) => a.or(b),
    }
}

/// `hash = :v` (either way round): its value.
fn hash_equality<'a>(condition: &'a Condition, hash: &str) -> Option<&'a AttributeValue> {
    let Condition::Compare(left, Comparator::Eq, right) = condition else {
        return None;
    };
    match (left, right) {
        (Operand::Path(path), Operand::Value(value)) | (Operand::Value(value), Operand::Path(path)) => {
            matches!(path.0.as_slice(), [PathElement::Attribute(name)] if name == hash).then_some(value)
        }
        _ => None,
    }
}

/// Whether any condition in `condition` tests the attribute `name`.
fn mentions(condition: &Condition, name: &str) -> bool {
    let mut found = Vec::new();
    leaves(condition, &mut found);
    found
        .into_iter()
        .filter_map(|leaf| test_of(leaf).ok())
        .any(|test| test.name().is_ok_and(|n| n == name))
}

/// Splits a condition that passed `check_shape` into the partition it pins and the
/// predicate left for that partition's entries; checks the compared values' types.
pub(crate) fn plan(condition: Option<Condition>, index: &VectorIndexMeta) -> Result<SearchCondition, ApiError> {
    let mut parts = Vec::new();
    if let Some(condition) = condition {
        check_types(&condition, index)?;
        conjuncts(condition, &mut parts);
    }
    let Some(hash) = &index.hash else {
        return Ok(SearchCondition {
            hash_value: None,
            filter: all_of(parts),
        });
    };
    let pinned: Vec<usize> = (0..parts.len())
        .filter(|&i| hash_equality(&parts[i], &hash.name).is_some())
        .collect();
    let elsewhere = parts
        .iter()
        .enumerate()
        .any(|(i, part)| !pinned.contains(&i) && mentions(part, &hash.name));
    let at = match pinned.as_slice() {
        [] if !elsewhere => {
            return Err(ApiError::validation(
                "SearchConditionExpression must be provided when SearchSchema has a HASH key",
            ))
        }
        [at] if !elsewhere => *at,
        [_, _, ..] if !elsewhere => {
            return Err(search_error(&format!("Attribute {} is compared more than once", hash.name)))
        }
        // Under OR or NOT the HASH equality would not name one partition.
        _ => {
            return Err(search_error(&format!(
                "The HASH attribute {} must be compared with one value by = and joined to the rest of the expression by AND",
                hash.name
            )))
        }
    };
    let pinning = parts.remove(at);
    let value = hash_equality(&pinning, &hash.name)
        .cloned()
        .ok_or_else(invalid_operator)?;
    if value.size() > cairn_model::limits::MAX_PARTITION_KEY_SIZE {
        return Err(search_error(&format!(
            "The value of {} is larger than a key attribute may be ({} bytes)",
            hash.name,
            cairn_model::limits::MAX_PARTITION_KEY_SIZE
        )));
    }
    Ok(SearchCondition {
        hash_value: Some(value),
        filter: all_of(parts),
    })
}

/// Values compared with a search-schema attribute have its declared type.
fn check_types(condition: &Condition, index: &VectorIndexMeta) -> Result<(), ApiError> {
    let mut found = Vec::new();
    leaves(condition, &mut found);
    for leaf in found {
        let test = test_of(leaf)?;
        let name = test.name()?;
        let Some(attr) = index.hash.iter().chain(&index.filters).find(|a| a.name == name) else {
            continue;
        };
        for value in test.compared {
            if value.scalar_type() != Some(attr.kind) {
                return Err(search_error(&format!(
                    "Type mismatch for attribute {}: expected {}, got {}",
                    attr.name,
                    attr.kind.as_str(),
                    value.type_name()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::catalog::KeyAttribute;
    use crate::vectors::Distance;
    use cairn_expr::{parse_condition, ExpressionKind, Placeholders};
    use cairn_model::value::ScalarType;
    use cairn_model::{Item, Number};
    use std::collections::BTreeMap;

    fn index() -> VectorIndexMeta {
        let attr = |name: &str, kind| KeyAttribute {
            name: name.to_string(),
            kind,
        };
        VectorIndexMeta {
            name: "emb".to_string(),
            id: 1,
            attribute: "v".to_string(),
            dimensions: 2,
            distance: Distance::Euclidean,
            hash: Some(attr("team", ScalarType::S)),
            filters: vec![attr("price", ScalarType::N), attr("kind", ScalarType::S)],
            projection_type: "ALL".to_string(),
            non_key_attributes: None,
            ready: true,
            online: false,
        }
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(text).unwrap())
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_string())
    }

    fn resolved(text: &str) -> Condition {
        let values = BTreeMap::from([
            (":o".to_string(), s("ada")),
            (":p".to_string(), s("bob")),
            (":lo".to_string(), n("2")),
            (":hi".to_string(), n("5")),
            (":k".to_string(), s("cat")),
        ]);
        let mut placeholders = Placeholders::new(None, Some(&values));
        parse_condition(text, ExpressionKind::SearchCondition)
            .unwrap()
            .resolve(ExpressionKind::SearchCondition, &mut placeholders)
            .unwrap()
    }

    fn planned(text: &str) -> Result<SearchCondition, ApiError> {
        let condition = resolved(text);
        check_shape(&condition, &index())?;
        plan(Some(condition), &index())
    }

    #[test]
    fn the_hash_equality_becomes_the_partition_and_the_rest_the_filter() {
        let plan = planned("price BETWEEN :lo AND :hi AND team = :o AND (kind = :k OR price < :lo)").unwrap();
        assert_eq!(plan.hash_value, Some(s("ada")));
        let filter = plan.filter.unwrap();
        let item =
            |price: &str, kind: &str| Item::from([("price".to_string(), n(price)), ("kind".to_string(), s(kind))]);
        assert!(filter.evaluate(&item("3", "cat")));
        assert!(!filter.evaluate(&item("3", "dog")));
        assert!(!filter.evaluate(&item("9", "cat")));
        // The filter no longer mentions the HASH attribute: entries need not hold it.
        assert!(!mentions(&filter, "team"));
        assert!(planned("team = :o").unwrap().filter.is_none());
    }

    #[test]
    fn the_hash_attribute_under_or_or_not_or_twice_pins_no_partition() {
        for text in [
            "team = :o OR team = :p",
            "NOT team = :o",
            "team = :o AND (team = :p OR kind = :k)",
        ] {
            let err = planned(text).unwrap_err();
            assert!(
                err.message.contains("must be compared with one value"),
                "{text}: {}",
                err.message
            );
        }
        assert!(planned("team = :o AND team = :p")
            .unwrap_err()
            .message
            .contains("more than once"));
        assert!(planned("kind = :k").unwrap_err().message.contains("must be provided"));
    }

    #[test]
    fn the_hash_attribute_takes_only_equality() {
        assert!(planned("team < :o")
            .unwrap_err()
            .message
            .ends_with("Invalid comparator used in SearchConditionExpression"));
        assert!(planned("team IN (:o, :p)")
            .unwrap_err()
            .message
            .ends_with("Invalid operator used in SearchConditionExpression"));
        assert!(planned("team = :o AND attribute_exists(team)")
            .unwrap_err()
            .message
            .ends_with("Invalid operator used in SearchConditionExpression"));
    }
}
