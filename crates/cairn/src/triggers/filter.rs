//! Lambda's event filtering for `--trigger ...,filter=PATTERN`: a record is delivered
//! only if it matches the pattern (or one of up to five patterns given as a JSON
//! array). A pattern mirrors the record's shape: objects select fields, and each leaf
//! is an array of conditions, any of which may match:
//!
//! | condition | matches |
//! |---|---|
//! | `"INSERT"`, `5`, `true` | that exact value |
//! | `null` / `""` | a null / an empty string |
//! | `{"prefix": "ab"}` / `{"suffix": ".png"}` | a string beginning / ending so |
//! | `{"equals-ignore-case": "x"}` | a string equal but for case |
//! | `{"anything-but": V or [V...]}` | a present value other than these (or `{"prefix": ..}`) |
//! | `{"numeric": [">", 0, "<=", 5]}` | a number in range (`=`, `<`, `<=`, `>`, `>=`) |
//! | `{"exists": true}` / `{"exists": false}` | a leaf present / absent (an object is no leaf) |
//!
//! Several fields in one pattern must all match; a field holding an array matches if
//! any of its elements does. DynamoDB numbers are strings in stream records
//! (`{"N": "5"}`), so numeric conditions apply to them only as Lambda's do: not at all.

use serde_json::{Map, Value};

/// Lambda allows five filters per event source mapping.
const MAX_PATTERNS: usize = 5;
/// Deeper patterns are refused (a record's nesting is far less).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    patterns: Vec<Map<String, Value>>,
}

impl Filter {
    /// A pattern object, or an array of up to five (any of which may match).
    pub fn parse(text: &str) -> Result<Filter, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("filter is not JSON: {e}"))?;
        let patterns = match value {
            Value::Object(pattern) => vec![pattern],
            Value::Array(list) if !list.is_empty() && list.len() <= MAX_PATTERNS => list
                .into_iter()
                .map(|p| match p {
                    Value::Object(pattern) => Ok(pattern),
                    other => Err(format!("a filter pattern is a JSON object, not {other}")),
                })
                .collect::<Result<_, _>>()?,
            Value::Array(_) => return Err(format!("a filter is 1 to {MAX_PATTERNS} patterns")),
            other => return Err(format!("a filter pattern is a JSON object, not {other}")),
        };
        for pattern in &patterns {
            check_object(pattern, 0)?;
        }
        Ok(Filter { patterns })
    }

    /// Whether `record` (a stream record in Lambda's event shape) passes.
    pub fn matches(&self, record: &Value) -> bool {
        self.patterns.iter().any(|p| object_matches(p, Some(record)))
    }
}

fn check_object(pattern: &Map<String, Value>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("a filter pattern nests at most {MAX_DEPTH} levels"));
    }
    if pattern.is_empty() {
        return Err("a filter pattern object must name at least one field".to_string());
    }
    for (field, rule) in pattern {
        match rule {
            Value::Object(nested) => check_object(nested, depth + 1)?,
            Value::Array(conditions) if !conditions.is_empty() => {
                for condition in conditions {
                    check_condition(field, condition)?;
                }
            }
            _ => {
                return Err(format!(
                    "filter field {field}: a leaf is a non-empty array of conditions, e.g. [\"INSERT\"]"
                ))
            }
        }
    }
    Ok(())
}

fn check_condition(field: &str, condition: &Value) -> Result<(), String> {
    let Value::Object(operator) = condition else {
        return Ok(()); // An exact value (string, number, boolean or null).
    };
    let bad = || format!("filter field {field}: unsupported condition {condition}");
    let (name, argument) = match operator.iter().next() {
        Some(pair) if operator.len() == 1 => pair,
        _ => return Err(bad()),
    };
    let valid = match (name.as_str(), argument) {
        ("prefix" | "suffix" | "equals-ignore-case", Value::String(_)) => true,
        ("exists", Value::Bool(_)) => true,
        ("anything-but", Value::String(_) | Value::Number(_)) => true,
        ("anything-but", Value::Array(list)) => {
            !list.is_empty() && list.iter().all(|v| matches!(v, Value::String(_) | Value::Number(_)))
        }
        ("anything-but", Value::Object(inner)) => {
            inner.len() == 1 && matches!(inner.get("prefix").or(inner.get("suffix")), Some(Value::String(_)))
        }
        ("numeric", Value::Array(list)) => numeric_ranges(list).is_some(),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `[">", 0, "<=", 5]` as (operator, bound) pairs: one comparison or two.
fn numeric_ranges(list: &[Value]) -> Option<Vec<(&str, f64)>> {
    if list.is_empty() || list.len() > 4 || list.len() % 2 != 0 {
        return None;
    }
    list.chunks(2)
        .map(|pair| {
            let op = pair[0]
                .as_str()
                .filter(|op| matches!(*op, "=" | "<" | "<=" | ">" | ">="))?;
            Some((op, pair[1].as_f64()?))
        })
        .collect()
}

fn object_matches(pattern: &Map<String, Value>, value: Option<&Value>) -> bool {
    pattern.iter().all(|(field, rule)| {
        let inner = value.and_then(|v| v.get(field));
        match rule {
            Value::Object(nested) => object_matches(nested, inner),
            Value::Array(conditions) => conditions.iter().any(|c| leaf_matches(c, inner)),
            _ => false,
        }
    })
}

fn leaf_matches(condition: &Value, value: Option<&Value>) -> bool {
    if let Some(Value::Bool(wanted)) = condition.as_object().and_then(|o| o.get("exists")) {
        // As in Lambda, `exists` looks at leaves: an object is not one.
        let leaf = value.is_some_and(|v| !v.is_object());
        return leaf == *wanted;
    }
    match value {
        None => false,
        // An array matches if any of its elements does.
        Some(Value::Array(elements)) => elements.iter().any(|e| condition_holds(condition, e)),
        Some(v) => condition_holds(condition, v),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn condition_holds(condition: &Value, value: &Value) -> bool {
    let Value::Object(operator) = condition else {
        return same(condition, value);
    };
    let Some((name, argument)) = operator.iter().next() else {
        return false;
    };
    let text = value.as_str();
    match (name.as_str(), argument) {
        ("prefix", Value::String(p)) => text.is_some_and(|t| t.starts_with(p.as_str())),
        ("suffix", Value::String(s)) => text.is_some_and(|t| t.ends_with(s.as_str())),
        ("equals-ignore-case", Value::String(s)) => text.is_some_and(|t| t.to_lowercase() == s.to_lowercase()),
        ("anything-but", Value::Array(list)) => !list.iter().any(|v| same(v, value)),
        ("anything-but", Value::Object(inner)) => match (inner.get("prefix"), inner.get("suffix"), text) {
            (Some(Value::String(p)), _, Some(t)) => !t.starts_with(p.as_str()),
            (_, Some(Value::String(s)), Some(t)) => !t.ends_with(s.as_str()),
            _ => false,
        },
        ("anything-but", single) => !same(single, value),
        ("numeric", Value::Array(list)) => match (numeric_ranges(list), value.as_f64()) {
            (Some(ranges), Some(n)) => ranges.iter().all(|(op, bound)| match *op {
                "=" => n == *bound,
                "<" => n < *bound,
                "<=" => n <= *bound,
                ">" => n > *bound,
                _ => n >= *bound,
            }),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "eventName": "MODIFY",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"pk": {"S": "order#17"}},
                "NewImage": {"pk": {"S": "order#17"}, "status": {"S": "PAID"}, "tags": {"SS": ["a", "b"]}},
                "SizeBytes": 120
            }
        })
    }

    fn passes(pattern: Value) -> bool {
        Filter::parse(&pattern.to_string()).unwrap().matches(&record())
    }

    #[test]
    fn an_exact_value_matches_only_itself() {
        assert!(passes(json!({"eventName": ["MODIFY"]})));
        assert!(!passes(json!({"eventName": ["INSERT"]})));
        assert!(passes(json!({"eventName": ["INSERT", "MODIFY"]})));
    }

    #[test]
    fn nested_fields_follow_the_record_shape_and_all_must_match() {
        assert!(passes(
            json!({"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["PAID"]}}}})
        ));
        assert!(!passes(
            json!({"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["OPEN"]}}}})
        ));
    }

    #[test]
    fn prefix_suffix_and_ignore_case_compare_strings() {
        assert!(passes(
            json!({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order#"}]}}}})
        ));
        assert!(!passes(
            json!({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "user#"}]}}}})
        ));
        assert!(passes(
            json!({"dynamodb": {"Keys": {"pk": {"S": [{"suffix": "#17"}]}}}})
        ));
        assert!(passes(
            json!({"dynamodb": {"NewImage": {"status": {"S": [{"equals-ignore-case": "paid"}]}}}})
        ));
    }

    #[test]
    fn anything_but_matches_a_present_value_other_than_those_listed() {
        assert!(passes(json!({"eventName": [{"anything-but": ["REMOVE"]}]})));
        assert!(!passes(json!({"eventName": [{"anything-but": ["MODIFY", "REMOVE"]}]})));
        assert!(!passes(json!({"eventName": [{"anything-but": "MODIFY"}]})));
        assert!(passes(json!({"eventName": [{"anything-but": {"prefix": "INS"}}]})));
        assert!(!passes(json!({"missing": [{"anything-but": "x"}]})));
    }

    #[test]
    fn exists_tests_the_presence_of_a_leaf() {
        assert!(passes(
            json!({"dynamodb": {"NewImage": {"status": {"S": [{"exists": true}]}}}})
        ));
        assert!(!passes(
            json!({"dynamodb": {"NewImage": {"colour": {"S": [{"exists": true}]}}}})
        ));
        assert!(passes(
            json!({"dynamodb": {"NewImage": {"colour": {"S": [{"exists": false}]}}}})
        ));
        // An attribute's map ({"S": ...}) is not a leaf: exists does not match it.
        assert!(!passes(
            json!({"dynamodb": {"NewImage": {"status": [{"exists": true}]}}})
        ));
    }

    #[test]
    fn numeric_ranges_apply_to_json_numbers() {
        assert!(passes(
            json!({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 120]}]}})
        ));
        assert!(!passes(json!({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}})));
        assert!(passes(json!({"dynamodb": {"SizeBytes": [{"numeric": ["=", 120]}]}})));
        assert!(passes(json!({"dynamodb": {"SizeBytes": [120]}})));
    }

    #[test]
    fn an_array_field_matches_if_any_element_does() {
        assert!(passes(json!({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}})));
        assert!(!passes(json!({"dynamodb": {"NewImage": {"tags": {"SS": ["c"]}}}})));
    }

    #[test]
    fn any_of_several_patterns_may_match() {
        assert!(passes(json!([{"eventName": ["INSERT"]}, {"eventName": ["MODIFY"]}])));
        assert!(!passes(json!([{"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}])));
    }

    #[test]
    fn a_malformed_filter_says_what_is_wrong() {
        let error = |text: &str| Filter::parse(text).unwrap_err();
        assert!(error("{not json").starts_with("filter is not JSON"));
        assert_eq!(
            error(r#"{"eventName": "INSERT"}"#),
            "filter field eventName: a leaf is a non-empty array of conditions, e.g. [\"INSERT\"]"
        );
        assert_eq!(
            error(r#"{"eventName": [{"regex": "I.*"}]}"#),
            r#"filter field eventName: unsupported condition {"regex":"I.*"}"#
        );
        assert_eq!(
            error(r#"{"n": [{"numeric": [">", "x"]}]}"#),
            r#"filter field n: unsupported condition {"numeric":[">","x"]}"#
        );
        assert_eq!(error("[]"), "a filter is 1 to 5 patterns");
        assert_eq!(
            error(&format!("[{}]", vec![r#"{"a":["b"]}"#; 6].join(","))),
            "a filter is 1 to 5 patterns"
        );
        assert_eq!(error("{}"), "a filter pattern object must name at least one field");
        let deep = format!("{}[\"x\"]{}", r#"{"a":"#.repeat(40), "}".repeat(40));
        assert_eq!(error(&deep), "a filter pattern nests at most 32 levels");
        Filter::parse(r#"{"eventName": ["INSERT"]}"#).unwrap();
    }
}
