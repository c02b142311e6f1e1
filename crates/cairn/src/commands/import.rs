//! `cairn import`: loads items into a table from files (DynamoDB JSON lines, Ion,
//! CSV; plain, gzip or zstd; a DynamoDB export's data directory works as is) or from
//! a PostgreSQL query, through BatchWriteItem against a server or a data directory.
//! A progress bar shows items, bytes, rate and ETA; progress is saved after every
//! window of batches in a state file, so an interrupted import resumes where it
//! stopped (run the same command again), and a PostgreSQL import run again later
//! copies only the rows changed since (its cursor columns, e.g. `updated_at,id`).

use super::target::{Target, TargetArgs};
use cairn_engine::transfer::formats::{self, Compression, CsvOptions, Format};
use cairn_model::value::ScalarType;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The table to write into.
    #[arg(long)]
    pub table: String,
    /// Files or directories (read recursively, in name order).
    pub inputs: Vec<PathBuf>,
    /// Record format: dynamodb-json, ion or csv (default: from each file's extension).
    #[arg(long)]
    pub format: Option<String>,
    /// CSV: the column names, when the files have no header line.
    #[arg(long, value_delimiter = ',')]
    pub csv_header: Vec<String>,
    /// CSV: the delimiter.
    #[arg(long, default_value = ",")]
    pub csv_delimiter: char,
    /// Create the table (on demand) if it does not exist, with this key:
    /// `PK:S` or `PK:S,SK:N`.
    #[arg(long)]
    pub create_key: Option<String>,
    /// Read rows from this PostgreSQL database instead of files.
    #[arg(long, requires = "query")]
    pub from_postgres: Option<String>,
    /// The rows to copy: any SELECT (run as a subquery).
    #[arg(long, requires = "from_postgres")]
    pub query: Option<String>,
    /// Attributes built from columns, as many as needed: `PK=USER#{user_id}`.
    #[arg(long = "key-template")]
    pub key_templates: Vec<String>,
    /// Columns that order the rows and mark progress (unique together, and growing
    /// when a row changes for catch-up runs): `id` or `updated_at,id`.
    #[arg(long, value_delimiter = ',', requires = "from_postgres")]
    pub cursor: Vec<String>,
    /// PostgreSQL: copy only rows whose first cursor column (a timestamp) is at
    /// least this many seconds old, so the cursor never passes a row whose
    /// transaction has not committed yet (a live table is then copied trailing by
    /// that much; a run after writes stop copies the rest).
    #[arg(long, requires = "from_postgres")]
    pub settle_seconds: Option<f64>,
    /// Rows (or records) per saved step.
    #[arg(long, default_value_t = 2000)]
    pub batch: usize,
    /// Batches in flight at once.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
    /// Where progress is saved (default: `.cairn-import-TABLE.json` here).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Ignore saved progress and start from the beginning.
    #[arg(long)]
    pub restart: bool,
    /// No progress bar (a summary line is still printed).
    #[arg(long)]
    pub quiet: bool,
}

/// Saved progress.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    /// Files: what was being imported, the file reached and records done in it.
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub file: usize,
    #[serde(default)]
    pub record: u64,
    /// PostgreSQL: the query and the cursor values of the last row written.
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub cursor: Option<Vec<String>>,
    #[serde(default)]
    pub items: u64,
    #[serde(default)]
    pub errors: u64,
    #[serde(default)]
    pub done: bool,
}

pub fn save_state_for(path: &Path, state: &State) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn load_state_for(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

pub fn run(args: ImportArgs) -> Result<(), String> {
    let target = Target::open(&args.target)?;
    let (key_types, key_names) = ensure_table(&target, &args)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!(".cairn-import-{}.json", args.table)));
    let started = std::time::Instant::now();
    let state = if args.from_postgres.is_some() {
        super::postgres_source::run(&target, &args, &state_path, &key_names)?
    } else {
        import_files(&target, &args, &key_types, &key_names, &state_path)?
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {} items into {} ({} records refused) in {:.1} s",
        state.items, args.table, state.errors, seconds
    );
    Ok(())
}

/// The table's attribute types (for CSV keys) and key attribute names; creates the
/// table first if asked to.
pub fn ensure_table(target: &Target, args: &ImportArgs) -> Result<(Vec<(String, ScalarType)>, Vec<String>), String> {
    let described = match target.call("DescribeTable", &json!({"TableName": args.table})) {
        Ok(d) => d,
        Err(e) if e.code == "ResourceNotFoundException" => {
            let Some(spec) = &args.create_key else {
                return Err(format!(
                    "table {} does not exist (give --create-key PK:S[,SK:N] to create it)",
                    args.table
                ));
            };
            let mut definitions = Vec::new();
            let mut schema = Vec::new();
            for (i, part) in spec.split(',').enumerate() {
                let (name, kind) = part
                    .split_once(':')
                    .ok_or_else(|| format!("--create-key: `{part}` is not NAME:TYPE"))?;
                definitions.push(json!({"AttributeName": name, "AttributeType": kind}));
                schema.push(json!({"AttributeName": name, "KeyType": if i == 0 { "HASH" } else { "RANGE" }}));
            }
            target
                .call(
                    "CreateTable",
                    &json!({"TableName": args.table, "BillingMode": "PAY_PER_REQUEST",
                            "AttributeDefinitions": definitions, "KeySchema": schema}),
                )
                .map_err(|e| e.to_string())?;
            wait_active(target, &args.table)?
        }
        Err(e) => return Err(e.to_string()),
    };
    let types = described["Table"]["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let kind = match d["AttributeType"].as_str()? {
                "S" => ScalarType::S,
                "N" => ScalarType::N,
                _ => ScalarType::B,
            };
            Some((d["AttributeName"].as_str()?.to_string(), kind))
        })
        .collect();
    let keys = described["Table"]["KeySchema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["AttributeName"].as_str().map(str::to_string))
        .collect();
    Ok((types, keys))
}

pub fn wait_active(target: &Target, table: &str) -> Result<Value, String> {
    for _ in 0..6000 {
        let d = target
            .call("DescribeTable", &json!({"TableName": table}))
            .map_err(|e| e.to_string())?;
        if d["Table"]["TableStatus"] == "ACTIVE" {
            return Ok(d);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(format!("table {table} did not become ACTIVE"))
}

pub fn bar(quiet: bool, length: u64, unit_bytes: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    let template = if unit_bytes {
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ETA {eta}"
    } else {
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} ETA {eta}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Writes `items` (wire JSON) with BatchWriteItem, 25 at a time, `parallel` batches
/// in flight, retrying unprocessed items. Items sharing a key keep the last one (a
/// batch may not name a key twice, and the last record wins as on ImportTable). A
/// batch DynamoDB refuses as a whole (one invalid item) is written item by item;
/// the items refused then are printed and counted. Returns the count refused.
pub fn write_items(
    target: &Target,
    table: &str,
    items: Vec<Value>,
    parallel: usize,
    key_names: &[String],
) -> Result<u64, String> {
    let mut last_of_key: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let key: Vec<String> = key_names.iter().map(|k| item[k].to_string()).collect();
        last_of_key.insert(key.join("\u{1}"), i);
    }
    let mut keep: Vec<usize> = last_of_key.into_values().collect();
    keep.sort_unstable();
    let items: Vec<Value> = keep.into_iter().map(|i| items[i].clone()).collect();
    let batches: Vec<Vec<Value>> = items.chunks(25).map(<[Value]>::to_vec).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let refused = std::sync::atomic::AtomicU64::new(0);
    let failure = std::sync::Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(i) else { return };
                match write_batch(target, table, batch) {
                    Ok(n) => {
                        refused.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(e) => {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        return;
                    }
                }
            });
        }
    });
    match failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(refused.into_inner()),
    }
}

fn write_batch(target: &Target, table: &str, items: &[Value]) -> Result<u64, String> {
    let mut requests: Vec<Value> = items.iter().map(|item| json!({"PutRequest": {"Item": item}})).collect();
    let mut delay = std::time::Duration::from_millis(20);
    for _ in 0..20 {
        let out = match target.call_retrying("BatchWriteItem", &json!({"RequestItems": {table: requests}})) {
            Ok(out) => out,
            Err(e) if e.code == "ValidationException" => return write_one_by_one(target, table, items),
            Err(e) => return Err(format!("BatchWriteItem: {e}")),
        };
        match out["UnprocessedItems"][table].as_array() {
            Some(rest) if !rest.is_empty() => {
                requests = rest.clone();
                std::thread::sleep(delay);
                delay = (delay * 2).min(std::time::Duration::from_secs(2));
            }
            _ => return Ok(0),
        }
    }
    Err("BatchWriteItem kept returning unprocessed items".to_string())
}

fn write_one_by_one(target: &Target, table: &str, items: &[Value]) -> Result<u64, String> {
    let mut refused = 0;
    for item in items {
        match target.call_retrying("PutItem", &json!({"TableName": table, "Item": item})) {
            Ok(_) => {}
            Err(e) if e.code == "ValidationException" => {
                refused += 1;
                eprintln!("item refused ({}): {}", e.message, item);
            }
            Err(e) => return Err(format!("PutItem: {e}")),
        }
    }
    Ok(refused)
}

/// Every file under the inputs, in name order.
fn list_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut pending = vec![input.clone()];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
                    let path = entry.map_err(|e| e.to_string())?.path();
                    if path.is_dir() {
                        pending.push(path);
                    } else {
                        files.push(path);
                    }
                }
            }
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            return Err(format!("{}: no such file or directory", input.display()));
        }
    }
    files.sort();
    Ok(files)
}

fn format_of(path: &Path, given: Option<&str>) -> Result<Format, String> {
    if let Some(name) = given {
        return match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "dynamodb-json" | "json" => Ok(Format::DynamoDbJson),
            "ion" => Ok(Format::Ion),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown --format {other} (dynamodb-json, ion, csv)")),
        };
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let base = name.trim_end_matches(".gz").trim_end_matches(".zst");
    Ok(if base.ends_with(".ion") {
        Format::Ion
    } else if base.ends_with(".csv") {
        Format::Csv
    } else {
        Format::DynamoDbJson
    })
}

fn compression_of(path: &Path) -> Compression {
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => Compression::Gzip,
        Some("zst") => Compression::Zstd,
        _ => Compression::None,
    }
}

fn import_files(
    target: &Target,
    args: &ImportArgs,
    key_types: &[(String, ScalarType)],
    key_names: &[String],
    state_path: &Path,
) -> Result<State, String> {
    if args.inputs.is_empty() {
        return Err("give files or directories to import, or --from-postgres".to_string());
    }
    let files = list_files(&args.inputs)?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut state = match load_state_for(state_path) {
        Some(saved) if !args.restart && saved.files == names && !saved.done => {
            eprintln!(
                "resuming: file {} of {}, after {} records ({} items so far)",
                saved.file + 1,
                files.len(),
                saved.record,
                saved.items
            );
            saved
        }
        _ => State {
            files: names,
            ..State::default()
        },
    };
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect();
    let progress = bar(args.quiet, sizes.iter().sum(), true);
    progress.set_position(sizes[..state.file.min(sizes.len())].iter().sum());
    let csv = CsvOptions {
        delimiter: args.csv_delimiter as u8,
        header: (!args.csv_header.is_empty()).then(|| args.csv_header.clone()),
        key_types: key_types.to_vec(),
    };
    let started = std::time::Instant::now();
    let items_at_start = state.items;
    while state.file < files.len() {
        let path = &files[state.file];
        let format = format_of(path, args.format.as_deref())?;
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text = match formats::decompress(&data, compression_of(path)) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{}: skipped: {e}", path.display());
                state.errors += 1;
                state.file += 1;
                state.record = 0;
                save_state_for(state_path, &state)?;
                continue;
            }
        };
        // For the bar: how far into the file a record is, by its share of lines.
        let lines = text.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        let before: u64 = sizes[..state.file].iter().sum();
        let mut records = formats::record_iter(&text, format, Some(&csv))
            .enumerate()
            .skip(state.record as usize);
        loop {
            let mut items = Vec::with_capacity(args.batch);
            let mut handled = 0u64;
            for (index, record) in records.by_ref().take(args.batch.max(1)) {
                handled += 1;
                match record {
                    Ok(item) => items.push(serde_json::to_value(&item).map_err(|e| e.to_string())?),
                    Err(e) => {
                        state.errors += 1;
                        eprintln!("{} record {index}: {e}", path.display());
                    }
                }
            }
            if handled == 0 {
                break;
            }
            let count = items.len() as u64;
            let refused = write_items(target, &args.table, items, args.parallel, key_names)?;
            state.record += handled;
            state.items += count - refused;
            state.errors += refused;
            save_state_for(state_path, &state)?;
            progress.set_position(before + sizes[state.file] * state.record.min(lines) / lines);
            let rate = (state.items - items_at_start) as f64 / started.elapsed().as_secs_f64().max(0.001);
            progress.set_message(format!("{} items, {:.0} items/s", state.items, rate));
        }
        state.file += 1;
        state.record = 0;
        save_state_for(state_path, &state)?;
        progress.set_position(before + sizes[state.file - 1]);
    }
    state.done = true;
    save_state_for(state_path, &state)?;
    progress.finish_and_clear();
    Ok(state)
}
