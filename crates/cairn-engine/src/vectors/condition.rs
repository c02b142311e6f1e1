//! SearchVectors' SearchConditionExpression held against its vector index: which
//! conditions it may contain, the partition (HASH) value it must pin, and the
//! predicate left for the entries of that partition.
//!
//! The expression is parsed and resolved by `cairn-expr` like a FilterExpression (so
//! its length, nesting, operator-count and IN-list limits apply first); this module walks the
//! resolved tree. What DynamoDB's service accepts today: equality conditions, each
//! naming a top-level attribute of the index's SearchSchema (`a.b`, `a[0]` are
//! refused) and a `:value`, joined by AND; the HASH attribute's equality is required
//! and selects the one partition searched. Every other comparator, and IN and
//! BETWEEN, are refused with `Invalid comparator used in SearchConditionExpression`
//! (the message DynamoDB gives for `<>`, `<`, `<=`, `>`, `>=` and `IN`). DynamoDB's
//! "SearchConditionExpression reference for vector indexes" shows IN, BETWEEN and OR
//! in an example; its troubleshooting page and the service say equality only, and
//! Cairn follows the service. OR, NOT and the condition functions are refused with
//! `Invalid operator used in SearchConditionExpression` (Cairn's wording).
//!
//! The predicate evaluation below is general (any condition over the entry's kept
//! attributes); the shape check is what keeps expressions to what DynamoDB takes.

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

/// DynamoDB's refusal of a comparator other than `=` and of IN (and Cairn's of
/// BETWEEN, a range comparison the service is not documented to take).
fn invalid_comparator() -> ApiError {
    search_error("Invalid comparator used in SearchConditionExpression")
}

/// Cairn's refusal of OR, NOT and the condition functions (DynamoDB documents only
/// equality joined by AND; the wording is Cairn's).
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
    /// `attr <> :v`, `<`, `<=`, `>`, `>=`, BETWEEN, IN.
    Comparison,
    /// A function (`attribute_exists`, `begins_with`, `size(attr) = :n`, ...).
    Function,
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
                Operand::Size(inner) => test(path_of(inner)?, Form::Function, Vec::new()),
                _ => Err(not_attribute_and_value()),
            }
        }
        Condition::Between(subject, low, high) => test(
            path_of(subject)?,
            Form::Comparison,
            vec![value_of(low)?, value_of(high)?],
        ),
        Condition::In(subject, list) => {
            let compared = list.iter().map(value_of).collect::<Result<_, _>>()?;
            test(path_of(subject)?, Form::Comparison, compared)
        }
        Condition::Exists(path) | Condition::NotExists(path) => test(path, Form::Function, Vec::new()),
        Condition::AttributeType(subject, type_name) => {
            value_of(type_name)?;
            test(path_of(subject)?, Form::Function, Vec::new())
        }
        Condition::BeginsWith(subject, operand) | Condition::Contains(subject, operand) => {
            value_of(operand)?;
            test(path_of(subject)?, Form::Function, Vec::new())
        }
        // INVARIANT: `leaves` never yields AND, OR or NOT.
        Condition::And(..) | Condition::Or(..) | Condition::Not(..) => Err(invalid_operator()),
    }
}

/// Whether `condition` holds an OR or a NOT anywhere.
fn has_or_or_not(condition: &Condition) -> bool {
    match condition {
        Condition::Or(..) | Condition::Not(..) => true,
        Condition::And(a, b) => has_or_or_not(a) || has_or_or_not(b),
        _ => false,
    }
}

/// The rules about the expression's shape, checked before the request's other
/// expressions are: every condition tests one top-level search-schema attribute
/// against a value, with `=`, and the conditions are joined by AND.
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
    for test in &tests {
        match test.form {
            Form::Equality => {}
            Form::Comparison => return Err(invalid_comparator()),
            Form::Function => return Err(invalid_operator()),
        }
    }
    if has_or_or_not(condition) {
        return Err(invalid_operator());
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
    // After check_shape every part is an equality: the HASH one names the partition.
    let pinned: Vec<usize> = (0..parts.len())
        .filter(|&i| hash_equality(&parts[i], &hash.name).is_some())
        .collect();
    let at = match pinned.as_slice() {
        [] => {
            return Err(ApiError::validation(
                "SearchConditionExpression must be provided when SearchSchema has a HASH key",
            ))
        }
        [at] => *at,
        [_, _, ..] => {
            return Err(search_error(&format!(
                "Attribute {} is compared more than once",
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
        let plan = planned("price = :lo AND team = :o AND kind = :k").unwrap();
        assert_eq!(plan.hash_value, Some(s("ada")));
        let filter = plan.filter.unwrap();
        let item =
            |price: &str, kind: &str| Item::from([("price".to_string(), n(price)), ("kind".to_string(), s(kind))]);
        assert!(filter.evaluate(&item("2", "cat")));
        assert!(!filter.evaluate(&item("2", "dog")));
        assert!(!filter.evaluate(&item("5", "cat")));
        // Numbers compare by value: 2.0 is 2.
        assert!(filter.evaluate(&item("2.0", "cat")));
        assert!(planned("team = :o").unwrap().filter.is_none());
    }

    #[test]
    fn the_hash_attribute_is_required_once() {
        assert!(planned("team = :o AND team = :p")
            .unwrap_err()
            .message
            .contains("more than once"));
        assert!(planned("kind = :k").unwrap_err().message.contains("must be provided"));
    }

    #[test]
    fn only_equalities_joined_by_and_are_taken() {
        let comparator = "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression";
        let operator = "Invalid SearchConditionExpression: Invalid operator used in SearchConditionExpression";
        for (text, message) in [
            ("team < :o", comparator),
            ("team = :o AND price > :lo", comparator),
            ("team = :o AND price <> :lo", comparator),
            ("team IN (:o, :p)", comparator),
            ("team = :o AND price BETWEEN :lo AND :hi", comparator),
            ("team = :o AND attribute_exists(kind)", operator),
            ("team = :o AND begins_with(kind, :k)", operator),
            ("team = :o AND size(kind) = :lo", operator),
            ("team = :o OR kind = :k", operator),
            ("team = :o AND (kind = :k OR price = :lo)", operator),
            ("team = :o AND NOT kind = :k", operator),
        ] {
            assert_eq!(planned(text).unwrap_err().message, message, "{text}");
        }
        planned("team = :o AND kind = :k AND price = :lo").unwrap();
    }
}
