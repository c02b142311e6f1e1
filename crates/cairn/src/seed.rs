//! `cairn serve --seed DIR`: tables and items loaded before the port opens, so a test
//! suite starts on its fixture. In DIR, in file-name order:
//!
//! - `*.table.json`: a CreateTable request (a table that already exists, as after a
//!   restart on a durable store, is left as it is, and its items are not loaded again);
//! - `TABLE.jsonl`: one item per line in DynamoDB JSON (`{"pk": {"S": "a"}}`), or
//!   wrapped as a DynamoDB export line (`{"Item": {...}}`);
//! - `TABLE.json`: a JSON array of such items, or `{"Items": [...]}` (what
//!   `aws dynamodb scan` prints).
//!
//! Every item goes through PutItem, with all its checks; the first refusal stops the
//! server from starting, naming the file and line.

use cairn_engine::{Engine, RequestContext};
use serde_json::Value;
use std::path::Path;

/// What a seed directory held.
#[derive(Debug, Default, PartialEq)]
pub struct Seeded {
    pub tables: usize,
    pub items: usize,
}

/// Calls an operation in `region`; a throttled call (with --enforce-capacity, a
/// fixture larger than a table's burst) waits for capacity and is retried.
fn call(engine: &Engine, region: &str, operation: &str, body: &Value) -> Result<Value, String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let context = RequestContext {
        region: region.to_string(),
        ..RequestContext::default()
    };
    let target = format!("DynamoDB_20120810.{operation}");
    let mut attempts = 0;
    loop {
        match cairn_server::call_operation(engine, &context, Some(&target), &bytes) {
            Ok(output) => return serde_json::from_slice(&output).map_err(|e| e.to_string()),
            Err(e)
                if attempts < 6_000
                    && matches!(
                        e.kind,
                        cairn_model::ErrorKind::ProvisionedThroughputExceeded | cairn_model::ErrorKind::Throttling
                    ) =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(format!("{}: {}", e.kind.name(), e.message)),
        }
    }
}

const TYPES: &[&str] = &["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

/// Whether `value` is an item in DynamoDB JSON: every attribute a one-key map naming
/// a type.
fn is_item(value: &Value) -> bool {
    value.as_object().is_some_and(|attributes| {
        attributes.values().all(|v| {
            v.as_object()
                .is_some_and(|typed| typed.len() == 1 && typed.keys().all(|k| TYPES.contains(&k.as_str())))
        })
    })
}

/// An item as written in a seed file: bare, or as an export line.
fn item_of(value: Value) -> Value {
    match value {
        Value::Object(mut map) if map.len() == 1 && map.get("Item").is_some_and(is_item) => {
            map.remove("Item").unwrap_or_default()
        }
        other => other,
    }
}

pub fn load(engine: &Engine, dir: &Path, region: &str) -> Result<Seeded, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("--seed {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let name_of = |path: &Path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut seeded = Seeded::default();
    // Tables first, so items may come in any file order.
    let mut created = Vec::new();
    let mut existing = Vec::new();
    for path in files.iter().filter(|p| name_of(p).ends_with(".table.json")) {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let request: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        match call(engine, region, "CreateTable", &request) {
            Ok(_) => {
                seeded.tables += 1;
                created.push(request["TableName"].clone());
            }
            // Already there (a restart on a durable store): left as it is, items too.
            Err(e) if e.starts_with("ResourceInUseException") => existing.push(request["TableName"].clone()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    // A table takes items once ACTIVE (--table-creation-delay-ms may hold it CREATING).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    for table in &created {
        while call(
            engine,
            region,
            "DescribeTable",
            &serde_json::json!({"TableName": table}),
        )?["Table"]["TableStatus"]
            != "ACTIVE"
        {
            if std::time::Instant::now() > deadline {
                return Err(format!("--seed: table {table} did not become ACTIVE"));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    for path in &files {
        let name = name_of(path);
        let (table, lines) = if let Some(table) = name.strip_suffix(".jsonl") {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut items = Vec::new();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let value: Value = serde_json::from_str(line)
                    .map_err(|e| format!("{} line {}: not JSON: {e}", path.display(), n + 1))?;
                items.push((format!("{} line {}", path.display(), n + 1), item_of(value)));
            }
            (table.to_string(), items)
        } else if let Some(table) = name.strip_suffix(".json").filter(|_| !name.ends_with(".table.json")) {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            let list = match value {
                Value::Array(list) => list,
                Value::Object(mut map) => match map.remove("Items") {
                    Some(Value::Array(list)) => list,
                    _ => {
                        return Err(format!(
                            "{}: expected a list of items or {{\"Items\": [...]}}",
                            path.display()
                        ))
                    }
                },
                _ => return Err(format!("{}: expected a list of items", path.display())),
            };
            let items = list
                .into_iter()
                .enumerate()
                .map(|(n, v)| (format!("{} item {}", path.display(), n + 1), item_of(v)))
                .collect();
            (table.to_string(), items)
        } else {
            continue;
        };
        if existing.iter().any(|t| t.as_str() == Some(table.as_str())) {
            tracing::info!(file = %path.display(), "table already existed: its seed items are not loaded again");
            continue;
        }
        for (place, item) in lines {
            call(
                engine,
                region,
                "PutItem",
                &serde_json::json!({"TableName": table, "Item": item}),
            )
            .map_err(|e| format!("{place}: {e}"))?;
            seeded.items += 1;
        }
    }
    Ok(seeded)
}
