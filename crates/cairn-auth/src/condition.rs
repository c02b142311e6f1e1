//! Policy conditions: the request's condition keys (`dynamodb:LeadingKeys`,
//! `aws:username`, ...) and the operators that test them, with AWS's rules for
//! missing keys, `...IfExists`, and the `ForAllValues:` / `ForAnyValue:` set
//! qualifiers.

use crate::glob::glob_matches;
use serde_json::Value;
use std::collections::HashMap;

/// The condition keys of one request. Keys are case-insensitive, values are not.
#[derive(Debug, Clone, Default)]
pub struct ConditionContext {
    values: HashMap<String, Vec<String>>,
}

impl ConditionContext {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    pub fn set_one(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, vec![value.into()]);
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// Replaces policy variables: `${aws:username}` (a single-valued key),
    /// `${key, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`. `None` when a
    /// variable has no value and no default: the pattern then matches nothing.
    pub fn substitute(&self, text: &str) -> Option<String> {
        if !text.contains("${") {
            return Some(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Some(out);
            };
            let inner = after[..end].trim();
            match inner {
                "*" => out.push('*'),
                "?" => out.push('?'),
                "$" => out.push('$'),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\''))),
                        None => (inner, None),
                    };
                    match self.get(key) {
                        Some([single]) => out.push_str(single),
                        _ => out.push_str(default?),
                    }
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    Bool,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "Bool" => Bool,
            "ArnEquals" => ArnEquals,
            "ArnNotEquals" => ArnNotEquals,
            "ArnLike" => ArnLike,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators hold when no policy value matches, and when the key is absent.
    fn negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals | StringNotEqualsIgnoreCase | StringNotLike | NumericNotEquals | ArnNotEquals | ArnNotLike
        )
    }

    /// The positive comparison underneath (`StringNotLike` compares as `StringLike`).
    fn compare(self, actual: &str, expected: &str) -> bool {
        use Operator::*;
        let number = |s: &str| s.trim().parse::<f64>().ok();
        let numeric = |test: fn(f64, f64) -> bool| match (number(actual), number(expected)) {
            (Some(a), Some(e)) => test(a, e),
            _ => false,
        };
        match self {
            StringEquals | StringNotEquals => actual == expected,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => actual.to_lowercase() == expected.to_lowercase(),
            StringLike | StringNotLike | ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => {
                glob_matches(expected, actual)
            }
            NumericEquals | NumericNotEquals => numeric(|a, e| a == e),
            NumericLessThan => numeric(|a, e| a < e),
            NumericLessThanEquals => numeric(|a, e| a <= e),
            NumericGreaterThan => numeric(|a, e| a > e),
            NumericGreaterThanEquals => numeric(|a, e| a >= e),
            Bool => actual.eq_ignore_ascii_case(expected),
            Null => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// One key tested by one operator against one or more policy values (any may match).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    operator: Operator,
    qualifier: Qualifier,
    if_exists: bool,
    key: String,
    values: Vec<String>,
}

fn policy_values(value: &Value) -> Result<Vec<String>, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err("condition values must be strings, numbers or booleans".to_string()),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

impl Condition {
    /// `{"StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}, ...}`.
    pub fn parse_block(block: &Value) -> Result<Vec<Condition>, String> {
        let Value::Object(operators) = block else {
            return Err("Condition must be an object".to_string());
        };
        let mut out = Vec::new();
        for (name, keys) in operators {
            let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
                (Qualifier::ForAllValues, rest)
            } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
                (Qualifier::ForAnyValue, rest)
            } else {
                (Qualifier::Single, name.as_str())
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(base) => (base, true),
                None => (rest, false),
            };
            let operator = Operator::parse(base).ok_or_else(|| format!("unsupported condition operator {name:?}"))?;
            if operator == Operator::Null && (if_exists || qualifier != Qualifier::Single) {
                return Err(format!("unsupported condition operator {name:?}"));
            }
            let Value::Object(keys) = keys else {
                return Err(format!("the {name} condition must be an object of keys"));
            };
            for (key, value) in keys {
                out.push(Condition {
                    operator,
                    qualifier,
                    if_exists,
                    key: key.clone(),
                    values: policy_values(value)?,
                });
            }
        }
        Ok(out)
    }

    pub fn holds(&self, context: &ConditionContext, variables: bool) -> bool {
        let actual = context.get(&self.key).filter(|values| !values.is_empty());
        if self.operator == Operator::Null {
            let wants_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return actual.is_none() == wants_absent;
        }
        let expected: Vec<String> = if variables {
            self.values.iter().filter_map(|v| context.substitute(v)).collect()
        } else {
            self.values.clone()
        };
        let negated = self.operator.negated();
        let satisfies = |value: &String| {
            let any_match = expected.iter().any(|e| self.operator.compare(value, e));
            any_match != negated
        };
        match (self.qualifier, actual) {
            (Qualifier::ForAllValues, None) => true,
            (Qualifier::ForAllValues, Some(values)) => values.iter().all(satisfies),
            (_, None) => self.if_exists || (negated && self.qualifier == Qualifier::Single),
            (Qualifier::ForAnyValue, Some(values)) => values.iter().any(satisfies),
            (Qualifier::Single, Some(values)) if negated => values.iter().all(satisfies),
            (Qualifier::Single, Some(values)) => values.iter().any(satisfies),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(block: Value) -> Condition {
        Condition::parse_block(&block).unwrap().remove(0)
    }

    fn context(pairs: &[(&str, &[&str])]) -> ConditionContext {
        let mut c = ConditionContext::new();
        for (k, v) in pairs {
            c.set(k, v.iter().map(|s| s.to_string()).collect());
        }
        c
    }

    #[test]
    fn substitution_of_variables_and_escapes() {
        let c = context(&[("aws:username", &["alice"])]);
        assert_eq!(
            c.substitute("users/${aws:username}/*").as_deref(),
            Some("users/alice/*")
        );
        assert_eq!(c.substitute("${*}${?}${$}").as_deref(), Some("*?$"));
        assert_eq!(c.substitute("${aws:userid}"), None);
        assert_eq!(c.substitute("${aws:userid, 'nobody'}").as_deref(), Some("nobody"));
    }

    #[test]
    fn missing_keys_follow_the_operator() {
        let empty = ConditionContext::new();
        assert!(!one(json!({"StringEquals": {"k": "v"}})).holds(&empty, true));
        assert!(one(json!({"StringEqualsIfExists": {"k": "v"}})).holds(&empty, true));
        assert!(one(json!({"StringNotEquals": {"k": "v"}})).holds(&empty, true));
        assert!(one(json!({"ForAllValues:StringEquals": {"k": "v"}})).holds(&empty, true));
        assert!(!one(json!({"ForAnyValue:StringEquals": {"k": "v"}})).holds(&empty, true));
        assert!(one(json!({"Null": {"k": "true"}})).holds(&empty, true));
        assert!(!one(json!({"Null": {"k": "false"}})).holds(&empty, true));
    }

    #[test]
    fn set_qualifiers_over_several_values() {
        let c = context(&[("dynamodb:Attributes", &["id", "name"])]);
        assert!(
            one(json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["id", "name", "email"]}})).holds(&c, true)
        );
        assert!(!one(json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["id"]}})).holds(&c, true));
        assert!(one(json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["name"]}})).holds(&c, true));
        assert!(!one(json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["secret"]}})).holds(&c, true));
        assert!(one(json!({"ForAllValues:StringNotLike": {"dynamodb:Attributes": ["secret*"]}})).holds(&c, true));
    }

    #[test]
    fn string_numeric_bool_and_case() {
        let c = context(&[("k", &["Alice"]), ("n", &["10"]), ("b", &["true"])]);
        assert!(one(json!({"StringEqualsIgnoreCase": {"K": "alice"}})).holds(&c, true));
        assert!(!one(json!({"StringEquals": {"k": "alice"}})).holds(&c, true));
        assert!(one(json!({"StringLike": {"k": "A*"}})).holds(&c, true));
        assert!(one(json!({"NumericLessThan": {"n": 11}})).holds(&c, true));
        assert!(!one(json!({"NumericGreaterThan": {"n": "11"}})).holds(&c, true));
        assert!(one(json!({"Bool": {"b": true}})).holds(&c, true));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = context(&[("aws:username", &["alice"]), ("dynamodb:LeadingKeys", &["alice"])]);
        let condition = one(json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}));
        assert!(condition.holds(&c, true));
        assert!(
            !condition.holds(&c, false),
            "version 2008 policies take variables literally"
        );
    }

    #[test]
    fn unknown_operators_are_refused() {
        assert_eq!(
            Condition::parse_block(&json!({"StringSortOf": {"k": "v"}})).unwrap_err(),
            "unsupported condition operator \"StringSortOf\""
        );
        assert!(Condition::parse_block(&json!({"ForAllValues:Null": {"k": "true"}})).is_err());
        assert!(Condition::parse_block(&json!({"StringEquals": {"k": {"x": 1}}})).is_err());
    }
}
