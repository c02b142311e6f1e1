use super::*;
use cairn_model::wire::RawValue;
use std::collections::BTreeMap;

fn value(json: &str) -> AttributeValue {
    AttributeValue::from_raw(serde_json::from_str::<RawValue>(json).unwrap()).unwrap()
}

fn item(json: &str) -> Item {
    match value(&format!(r#"{{"M":{json}}}"#)) {
        AttributeValue::M(m) => m,
        _ => unreachable!(),
    }
}

fn run(expr: &str, values: &[(&str, &str)], old: &Item) -> Result<Item, ApiError> {
    let values: BTreeMap<String, AttributeValue> = values.iter().map(|(k, v)| (k.to_string(), value(v))).collect();
    let mut p = Placeholders::new(None, Some(&values));
    let update = parse_update(expr)?.resolve(&mut p)?;
    update.apply(old)
}

#[test]
fn set_arithmetic_and_functions_see_the_old_item() {
    let old = item(r#"{"n":{"N":"10"},"l":{"L":[{"N":"1"}]}}"#);
    let new = run(
        "SET n = n - :one, m = n + :one, l = list_append(l, :more), c = if_not_exists(c, :zero)",
        &[
            (":one", r#"{"N":"1"}"#),
            (":more", r#"{"L":[{"N":"2"}]}"#),
            (":zero", r#"{"N":"0"}"#),
        ],
        &old,
    )
    .unwrap();
    assert_eq!(
        new,
        item(r#"{"n":{"N":"9"},"m":{"N":"11"},"l":{"L":[{"N":"1"},{"N":"2"}]},"c":{"N":"0"}}"#)
    );
}

#[test]
fn remove_add_delete() {
    let old = item(r#"{"a":{"S":"x"},"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"}]},"s":{"SS":["p","q"]},"n":{"N":"1"}}"#);
    let new = run(
        "REMOVE a, l[0], l[2] ADD n :two, t :set DELETE s :p",
        &[
            (":two", r#"{"N":"2"}"#),
            (":set", r#"{"NS":["7"]}"#),
            (":p", r#"{"SS":["p","q"]}"#),
        ],
        &old,
    )
    .unwrap();
    assert_eq!(new, item(r#"{"l":{"L":[{"N":"1"}]},"n":{"N":"3"},"t":{"NS":["7"]}}"#));
}

#[test]
fn nested_sets_and_list_appends_past_the_end() {
    let old = item(r#"{"m":{"M":{"x":{"N":"1"}}},"l":{"L":[]}}"#);
    let new = run("SET m.y = :v, l[5] = :v", &[(":v", r#"{"S":"v"}"#)], &old).unwrap();
    assert_eq!(
        new,
        item(r#"{"m":{"M":{"x":{"N":"1"},"y":{"S":"v"}}},"l":{"L":[{"S":"v"}]}}"#)
    );
    let e = run("SET absent.child = :v", &[(":v", r#"{"S":"v"}"#)], &old).unwrap_err();
    assert_eq!(
        e.message,
        "The document path provided in the update expression is invalid for update"
    );
}

#[test]
fn errors_read_like_dynamodb() {
    let old = item(r#"{"s":{"S":"x"}}"#);
    let e = |expr: &str, values: &[(&str, &str)]| run(expr, values, &old).unwrap_err().message;
    assert_eq!(
        e("SET s = s + :one", &[(":one", r#"{"N":"1"}"#)]),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        e("SET n = absent + :one", &[(":one", r#"{"N":"1"}"#)]),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(e("ADD s :v", &[(":v", r#"{"S":"x"}"#)]), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
    assert_eq!(
        e("SET a = :v SET b = :v", &[(":v", r#"{"S":"x"}"#)]),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert!(e("SET a = :v, a.b = :v", &[(":v", r#"{"S":"x"}"#)]).contains("Two document paths overlap"));
    assert!(e("SET a.b = :v, a[0] = :v", &[(":v", r#"{"S":"x"}"#)]).contains("Two document paths conflict"));
    assert!(e("SET a = size(s)", &[]).contains("The function is not allowed in an update expression; function: size"));
    assert!(e("PUT a = :v", &[(":v", r#"{"S":"x"}"#)])
        .starts_with("Invalid UpdateExpression: Syntax error; token: \"PUT\""));
}
