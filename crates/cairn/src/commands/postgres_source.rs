//! `cairn import --from-postgres`: rows of a SELECT become items.
//!
//! Each row is read as `to_jsonb(row)`, so every column type PostgreSQL can show as
//! JSON maps: numbers to N (their exact text), text, dates and times to S, booleans
//! to BOOL, json/jsonb to M and L (nested the same way), arrays to L, bytea to B;
//! NULL columns are left out. `--key-template NAME=TEXT{column}TEXT` adds string
//! attributes built from columns (`PK=USER#{user_id}`). Rows are read in the order
//! of the cursor columns, `--batch` at a time, after the last cursor value written,
//! which is saved with every batch: an interrupted copy resumes after its last batch,
//! and a later run copies only the rows whose cursor moved past it (rows changed
//! since, when the cursor begins with a modification time). Deleted rows are not
//! seen: a copy can be reconciled afterwards by key.

use super::import::{bar, write_items, ImportArgs};
use super::target::Target;
use postgres::types::Type;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Deepest JSON nesting turned into maps and lists (DynamoDB allows 32 levels).
const MAX_DEPTH: usize = 31;

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A JSON value (kept as text, so numbers keep every digit) as a DynamoDB value;
/// None for JSON null at the top of a column (the attribute is left out).
fn to_attribute(raw: &RawValue, bytea: bool, depth: usize) -> Result<Option<Value>, String> {
    let text = raw.get().trim();
    let first = text.as_bytes().first().copied().unwrap_or(b'n');
    Ok(Some(match first {
        b'n' => return Ok(if depth == 0 { None } else { Some(json!({"NULL": true})) }),
        b't' | b'f' => json!({"BOOL": first == b't'}),
        b'"' => {
            let s: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
            match s.strip_prefix("\\x").filter(|_| bytea) {
                Some(hex) => {
                    let bytes: Result<Vec<u8>, _> = (0..hex.len() / 2)
                        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                        .collect();
                    use base64::Engine as _;
                    json!({"B": base64::engine::general_purpose::STANDARD.encode(bytes.map_err(|e| e.to_string())?)})
                }
                None => json!({"S": s}),
            }
        }
        b'{' => {
            if depth >= MAX_DEPTH {
                return Err("a JSON value is nested deeper than DynamoDB allows".to_string());
            }
            let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if let Some(v) = to_attribute(&v, false, depth + 1)? {
                    out.insert(k, v);
                }
            }
            json!({"M": out})
        }
        b'[' => {
            if depth >= MAX_DEPTH {
                return Err("a JSON value is nested deeper than DynamoDB allows".to_string());
            }
            let list: Vec<Box<RawValue>> = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let mut out = Vec::with_capacity(list.len());
            for v in list {
                out.extend(to_attribute(&v, false, depth + 1)?);
            }
            json!({"L": out})
        }
        _ => json!({"N": text}),
    }))
}

/// `{column}` placeholders filled with the row's values as text.
fn render(template: &str, row: &BTreeMap<String, Box<RawValue>>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed {{ in key template {template}"))?;
        let column = &rest[start + 1..start + end];
        let raw = row
            .get(column)
            .ok_or_else(|| format!("key template {template}: no column {column}"))?;
        let text = raw.get();
        if text == "null" {
            return Err(format!("key template {template}: column {column} is NULL"));
        }
        match serde_json::from_str::<String>(text) {
            Ok(s) => out.push_str(&s),
            Err(_) => out.push_str(text),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub fn run(
    target: &Target,
    args: &ImportArgs,
    state_path: &Path,
    key_names: &[String],
) -> Result<super::import::State, String> {
    let url = args.from_postgres.as_deref().unwrap_or_default();
    let query = args.query.clone().unwrap_or_default();
    if args.cursor.is_empty() {
        return Err(
            "--from-postgres needs --cursor: the columns that order the rows and mark progress (e.g. id, or updated_at,id)"
                .to_string(),
        );
    }
    let templates: Vec<(String, String)> = args
        .key_templates
        .iter()
        .map(|t| {
            t.split_once('=')
                .map(|(name, text)| (name.to_string(), text.to_string()))
                .ok_or_else(|| format!("--key-template {t}: expected NAME=TEXT{{column}}"))
        })
        .collect::<Result<_, _>>()?;
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| format!("PostgreSQL: {e}"))?;
    // The query's columns and their types (bytea columns become binaries).
    let described = client
        .prepare(&format!("SELECT * FROM ({query}) AS cairn_q LIMIT 0"))
        .map_err(|e| format!("PostgreSQL: {e}"))?;
    let bytea: Vec<String> = described
        .columns()
        .iter()
        .filter(|c| *c.type_() == Type::BYTEA)
        .map(|c| c.name().to_string())
        .collect();
    let mut cursor_types = Vec::new();
    for name in &args.cursor {
        let column = described
            .columns()
            .iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("--cursor {name}: the query has no such column"))?;
        cursor_types.push(format!(
            "{}.{}",
            quote_ident(column.type_().schema()),
            quote_ident(column.type_().name())
        ));
    }
    let columns = args
        .cursor
        .iter()
        .map(|c| format!("cairn_q.{}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let texts = args
        .cursor
        .iter()
        .enumerate()
        .map(|(i, c)| format!("(cairn_q.{})::text AS cairn_cursor_{i}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let params = cursor_types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("(${}::text)::{t}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let settled = match args.settle_seconds {
        Some(seconds) => format!(
            " AND cairn_q.{} < now() - make_interval(secs => {seconds})",
            quote_ident(&args.cursor[0])
        ),
        None => String::new(),
    };
    let first = format!(
        "SELECT to_jsonb(cairn_q)::text AS cairn_row, {texts} FROM ({query}) AS cairn_q WHERE true{settled} ORDER BY {columns} LIMIT {}",
        args.batch.max(1)
    );
    let after = format!(
        "SELECT to_jsonb(cairn_q)::text AS cairn_row, {texts} FROM ({query}) AS cairn_q WHERE ({columns}) > ({params}){settled} ORDER BY {columns} LIMIT {}",
        args.batch.max(1)
    );

    let mut state = match super::import::load_state_for(state_path) {
        Some(saved) if !args.restart && saved.query.as_deref() == Some(query.as_str()) => {
            if let Some(cursor) = &saved.cursor {
                eprintln!("continuing after cursor {cursor:?} ({} items so far)", saved.items);
            }
            saved
        }
        _ => super::import::State {
            query: Some(query.clone()),
            ..Default::default()
        },
    };
    let remaining: i64 = match &state.cursor {
        None => client
            .query_one(&format!("SELECT count(*) FROM ({query}) AS cairn_q"), &[])
            .map(|r| r.get(0))
            .unwrap_or(0),
        Some(cursor) => {
            let values: Vec<&(dyn postgres::types::ToSql + Sync)> = cursor
                .iter()
                .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                .collect();
            client
                .query_one(
                    &format!("SELECT count(*) FROM ({query}) AS cairn_q WHERE ({columns}) > ({params})"),
                    &values,
                )
                .map(|r| r.get(0))
                .unwrap_or(0)
        }
    };
    let progress = bar(args.quiet, remaining.max(0) as u64, false);
    let started = std::time::Instant::now();
    let mut copied = 0u64;
    loop {
        let rows = match &state.cursor {
            None => client.query(&first, &[]),
            Some(cursor) => {
                let values: Vec<&(dyn postgres::types::ToSql + Sync)> = cursor
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                client.query(&after, &values)
            }
        }
        .map_err(|e| format!("PostgreSQL: {e}"))?;
        if rows.is_empty() {
            break;
        }
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let text: String = row.get(0);
            let converted = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(&text)
                .map_err(|e| e.to_string())
                .and_then(|fields| {
                    let mut item = serde_json::Map::new();
                    for (name, value) in &fields {
                        if let Some(v) = to_attribute(value, bytea.contains(name), 0)? {
                            item.insert(name.clone(), v);
                        }
                    }
                    for (name, template) in &templates {
                        item.insert(name.clone(), json!({"S": render(template, &fields)?}));
                    }
                    Ok(Value::Object(item))
                });
            match converted {
                Ok(item) => items.push(item),
                Err(e) => {
                    state.errors += 1;
                    eprintln!("row skipped: {e}");
                }
            }
        }
        let last = rows.last().ok_or("no rows")?;
        let mut cursor = Vec::with_capacity(args.cursor.len());
        for (i, name) in args.cursor.iter().enumerate() {
            let value: Option<String> = last.get(i + 1);
            cursor.push(
                value.ok_or_else(|| {
                    format!("--cursor {name}: a row has NULL there; cursor columns must never be NULL")
                })?,
            );
        }
        let count = items.len() as u64;
        let refused = write_items(target, &args.table, items, args.parallel, key_names)?;
        state.items += count - refused;
        state.errors += refused;
        copied += rows.len() as u64;
        state.cursor = Some(cursor);
        super::import::save_state_for(state_path, &state)?;
        progress.set_position(copied);
        let rate = copied as f64 / started.elapsed().as_secs_f64().max(0.001);
        progress.set_message(format!("{} items, {:.0} rows/s", state.items, rate));
    }
    progress.finish_and_clear();
    Ok(state)
}
