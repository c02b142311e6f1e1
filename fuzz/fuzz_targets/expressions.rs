//! Any text as any expression kind (and as a PartiQL statement): parsing, resolving
//! and evaluating must never panic or hang, whatever the input.
#![no_main]

use cairn_expr::{parse_condition, parse_projection, parse_update, ExpressionKind, Placeholders};
use cairn_model::wire::RawValue;
use cairn_model::{AttributeValue, Item};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn value(json: &str) -> AttributeValue {
    AttributeValue::from_raw(serde_json::from_str::<RawValue>(json).unwrap()).unwrap()
}

struct Fixture {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
    item: Item,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let names = [("#a", "a"), ("#b", "b"), ("#n", "n"), ("#l", "l"), ("#m", "m")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let values = [
            (":s", r#"{"S":"x"}"#),
            (":n", r#"{"N":"1.5"}"#),
            (":big", r#"{"N":"9.9999999999999999999999999999999999999E+125"}"#),
            (":l", r#"{"L":[{"N":"1"}]}"#),
            (":ss", r#"{"SS":["x","y"]}"#),
            (":ns", r#"{"NS":["1","2"]}"#),
            (":m", r#"{"M":{"k":{"BOOL":true}}}"#),
            (":t", r#"{"S":"N"}"#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), value(v)))
        .collect();
        let item = match value(
            r#"{"M":{"a":{"S":"hello"},"n":{"N":"10"},"l":{"L":[{"N":"1"},{"S":"two"},{"L":[]}]},"m":{"M":{"x":{"M":{"y":{"NULL":true}}}}},"ss":{"SS":["x"]}}}"#,
        ) {
            AttributeValue::M(m) => m,
            _ => unreachable!(),
        };
        Fixture { names, values, item }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let f = fixture();
    for kind in [ExpressionKind::Condition, ExpressionKind::Filter] {
        if let Ok(ast) = parse_condition(text, kind) {
            let mut p = Placeholders::new(Some(&f.names), Some(&f.values));
            if let Ok(condition) = ast.resolve(kind, &mut p) {
                let _ = condition.evaluate(&f.item);
                let _ = condition.evaluate(&Item::new());
            }
        }
    }
    if let Ok(ast) = parse_update(text) {
        let mut p = Placeholders::new(Some(&f.names), Some(&f.values));
        if let Ok(update) = ast.resolve(&mut p) {
            let _ = update.apply(&f.item);
            let _ = update.apply(&Item::new());
        }
    }
    if let Ok(statement) = cairn_expr::partiql::translate(text, &[]) {
        let _ = statement.names.len();
    }
    if let Ok(ast) = parse_projection(text) {
        let mut used = Default::default();
        if let Ok(projection) = ast.resolve(Some(&f.names), &mut used) {
            let _ = projection.apply(&f.item);
        }
    }
});
