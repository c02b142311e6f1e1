use super::*;
use cairn_model::wire::RawValue;
use std::collections::BTreeMap;

fn value(json: &str) -> AttributeValue {
    AttributeValue::from_raw(serde_json::from_str::<RawValue>(json).unwrap()).unwrap()
}

fn item(json: &str) -> Item {
    match value(json) {
        AttributeValue::M(m) => m,
        _ => unreachable!(),
    }
}

fn check(expr: &str, values: &[(&str, &str)], it: &Item) -> Result<bool, ApiError> {
    let names: BTreeMap<String, String> = [("#s".to_string(), "status".to_string())].into();
    let values: BTreeMap<String, AttributeValue> = values.iter().map(|(k, v)| (k.to_string(), value(v))).collect();
    let mut p = Placeholders::new(Some(&names), Some(&values));
    let condition = parse_condition(expr, ExpressionKind::Condition)?.resolve(ExpressionKind::Condition, &mut p)?;
    Ok(condition.evaluate(it))
}

fn sample() -> Item {
    item(
        r#"{"M":{"pk":{"S":"k"},"n":{"N":"5"},"s":{"S":"hello"},"status":{"S":"open"},"tags":{"SS":["a","b"]},"l":{"L":[{"N":"1"},{"S":"x"}]},"m":{"M":{"deep":{"BOOL":true}}}}}"#,
    )
}

#[test]
fn comparisons_and_missing_attributes() {
    let it = sample();
    assert!(check("n = :five", &[(":five", r#"{"N":"5.0"}"#)], &it).unwrap());
    assert!(check(
        "n < :six AND n >= :five",
        &[(":six", r#"{"N":"6"}"#), (":five", r#"{"N":"5"}"#)],
        &it
    )
    .unwrap());
    assert!(
        !check("n < :s", &[(":s", r#"{"S":"6"}"#)], &it).unwrap(),
        "cross-type ordering is false"
    );
    assert!(
        check("nope <> :v", &[(":v", r#"{"N":"1"}"#)], &it).unwrap(),
        "<> on a missing attribute is true"
    );
    assert!(!check("nope = :v", &[(":v", r#"{"N":"1"}"#)], &it).unwrap());
    assert!(check(
        "n BETWEEN :a AND :b",
        &[(":a", r#"{"N":"1"}"#), (":b", r#"{"N":"5"}"#)],
        &it
    )
    .unwrap());
    assert!(check(
        "#s IN (:a, :b)",
        &[(":a", r#"{"S":"closed"}"#), (":b", r#"{"S":"open"}"#)],
        &it
    )
    .unwrap());
}

#[test]
fn functions() {
    let it = sample();
    assert!(check("attribute_exists(m.deep) AND attribute_not_exists(m.shallow)", &[], &it).unwrap());
    assert!(check("begins_with(s, :p)", &[(":p", r#"{"S":"he"}"#)], &it).unwrap());
    assert!(check(
        "contains(tags, :a) AND contains(s, :ell) AND contains(l, :x)",
        &[
            (":a", r#"{"S":"a"}"#),
            (":ell", r#"{"S":"ell"}"#),
            (":x", r#"{"S":"x"}"#)
        ],
        &it
    )
    .unwrap());
    assert!(check(
        "size(s) = :five AND size(tags) < :three",
        &[(":five", r#"{"N":"5"}"#), (":three", r#"{"N":"3"}"#)],
        &it
    )
    .unwrap());
    assert!(check("attribute_type(tags, :ss)", &[(":ss", r#"{"S":"SS"}"#)], &it).unwrap());
}

#[test]
fn precedence_not_and_or() {
    let it = sample();
    let t = (":t", r#"{"S":"open"}"#);
    // NOT binds tighter than AND, AND tighter than OR.
    assert!(check("attribute_exists(zz) AND attribute_exists(zz) OR #s = :t", &[t], &it).unwrap());
    assert!(!check("NOT #s = :t OR attribute_exists(zz)", &[t], &it).unwrap());
    assert!(check("NOT (attribute_exists(zz) OR attribute_exists(yy))", &[], &it).unwrap());
    assert!(check("(#s = :t)", &[t], &it).unwrap());
    // DynamoDB refuses a group that only wraps another group.
    assert!(check("((#s = :t))", &[t], &it)
        .unwrap_err()
        .message
        .ends_with("The expression has redundant parentheses;"));
}

#[test]
fn errors_read_like_dynamodb() {
    let it = sample();
    let e = |expr: &str, values: &[(&str, &str)]| check(expr, values, &it).unwrap_err().message;
    assert_eq!(
        e("status = :v", &[(":v", r#"{"S":"x"}"#)]),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(e("n = :nope", &[]), "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
    assert_eq!(
        e("foo(n)", &[]),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(e("begins_with(s, :n)", &[(":n", r#"{"N":"1"}"#)]), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    assert_eq!(e("attribute_exists(n, s)", &[]), "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2");
    assert!(
        e("n = = :v", &[(":v", r#"{"N":"1"}"#)]).starts_with("Invalid ConditionExpression: Syntax error; token: \"=\"")
    );
    assert!(
        e("n BETWEEN :b AND :a", &[(":a", r#"{"N":"1"}"#), (":b", r#"{"N":"5"}"#)])
            .contains("requires upper bound to be greater than or equal to lower bound")
    );
    assert!(e(&"(".repeat(500), &[]).contains("too many nested levels"));
}
