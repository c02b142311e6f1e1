//! How DynamoDB compares values: equality is deep (sets ignore order, numbers compare
//! numerically); ordering exists only between two numbers, two strings or two
//! binaries (strings and binaries by unsigned bytes).

use cairn_model::AttributeValue;
use std::cmp::Ordering;

pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (a, b) {
        (S(x), S(y)) => x == y,
        (N(x), N(y)) => x == y,
        (B(x), B(y)) => x == y,
        (Bool(x), Bool(y)) => x == y,
        (Null, Null) => true,
        (Ss(x), Ss(y)) => same_set(x, y),
        (Ns(x), Ns(y)) => same_set(x, y),
        (Bs(x), Bs(y)) => same_set(x, y),
        (L(x), L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q)),
        (M(x), M(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w))),
        _ => false,
    }
}

fn same_set<T: PartialEq>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len() && x.iter().all(|e| y.contains(e))
}

/// Order of two values, if DynamoDB defines one between them.
pub fn order(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    use AttributeValue::*;
    match (a, b) {
        (N(x), N(y)) => Some(x.cmp(y)),
        (S(x), S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (B(x), B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The type names DynamoDB's update-expression messages use.
pub fn long_type_name(v: &AttributeValue) -> &'static str {
    use AttributeValue::*;
    match v {
        S(_) => "STRING",
        N(_) => "NUMBER",
        B(_) => "BINARY",
        Bool(_) => "BOOLEAN",
        Null => "NULL",
        M(_) => "MAP",
        L(_) => "LIST",
        Ss(_) => "STRING_SET",
        Ns(_) => "NUMBER_SET",
        Bs(_) => "BINARY_SET",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_model::Number;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn sets_ignore_order_and_numbers_compare_by_value() {
        let a = AttributeValue::Ss(vec!["x".into(), "y".into()]);
        let b = AttributeValue::Ss(vec!["y".into(), "x".into()]);
        assert!(values_equal(&a, &b));
        assert!(values_equal(&n("1"), &n("1.00")));
        assert!(!values_equal(&n("1"), &AttributeValue::S("1".into())));
        assert_eq!(order(&n("2"), &n("10")), Some(Ordering::Less));
        assert_eq!(
            order(&AttributeValue::S("b".into()), &AttributeValue::S("a".into())),
            Some(Ordering::Greater)
        );
        assert_eq!(order(&n("1"), &AttributeValue::S("1".into())), None);
    }
}
