//! `cairn export`: writes a table to a local directory in the layout of a DynamoDB
//! export (`AWSDynamoDB/<id>/data/*.json.gz` or `.ion.gz`, `manifest-files.json`,
//! `manifest-summary.json`), readable by `cairn import`, ImportTable and the tools
//! that read DynamoDB exports. It scans the table in parallel segments through the
//! API (any DynamoDB-compatible endpoint, or a data directory); each segment saves
//! its position after every data file, so an interrupted export resumes (run the
//! same command again). A scan is not a point-in-time snapshot: for one, use
//! ExportTableToPointInTime.

use super::import::bar;
use super::target::{Target, TargetArgs};
use cairn_engine::ops::continuous_backups::iso;
use cairn_engine::transfer::formats::{gzip, json_item_line};
use cairn_engine::transfer::ion;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[arg(long)]
    table: String,
    /// Directory to write to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// dynamodb-json or ion.
    #[arg(long, default_value = "dynamodb-json")]
    format: String,
    /// Parallel scan segments.
    #[arg(long, default_value_t = 4)]
    segments: u32,
    /// Items per data file.
    #[arg(long, default_value_t = 100_000)]
    file_items: usize,
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SegmentState {
    /// Where the next page starts (None before the first page).
    start: Option<Value>,
    /// manifest-files.json lines of the files written.
    files: Vec<String>,
    items: u64,
    bytes: u64,
    done: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    table: String,
    export_id: String,
    format: String,
    started: f64,
    segments: Vec<SegmentState>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn save(path: &Path, state: &State) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn md5_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

pub fn run(args: ExportArgs) -> Result<(), String> {
    let format = match args.format.as_str() {
        "dynamodb-json" | "DYNAMODB_JSON" => "DYNAMODB_JSON",
        "ion" | "ION" => "ION",
        other => return Err(format!("unknown --format {other} (dynamodb-json, ion)")),
    };
    let target = Target::open(&args.target)?;
    let described = target
        .call("DescribeTable", &json!({"TableName": args.table}))
        .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let state_path = args.out.join(".cairn-export-state.json");
    let state = match std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<State>(&b).ok())
    {
        Some(saved) if saved.table == args.table && saved.format == format => {
            eprintln!("resuming export {}", saved.export_id);
            saved
        }
        _ => State {
            table: args.table.clone(),
            export_id: format!(
                "{:014}-{:08x}",
                (now() * 1000.0) as u64,
                uuid::Uuid::new_v4().as_u128() as u32
            ),
            format: format.to_string(),
            started: now(),
            segments: vec![SegmentState::default(); args.segments.max(1) as usize],
        },
    };
    let base = format!("AWSDynamoDB/{}/", state.export_id);
    std::fs::create_dir_all(args.out.join(&base).join("data")).map_err(|e| e.to_string())?;
    let total = described["Table"]["ItemCount"].as_u64().unwrap_or(0);
    let progress = bar(args.quiet, total, false);
    let done_before: u64 = state.segments.iter().map(|s| s.items).sum();
    progress.set_position(done_before);
    let segments = state.segments.len();
    let shared = Mutex::new(state);
    let started = std::time::Instant::now();
    let failure = Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for segment in 0..segments {
            let (target, shared, progress, failure, base, state_path) =
                (&target, &shared, &progress, &failure, &base, &state_path);
            let args = &args;
            scope.spawn(move || {
                let result = export_segment(
                    target,
                    args,
                    format,
                    segment,
                    segments,
                    shared,
                    progress,
                    base,
                    state_path,
                    started,
                    done_before,
                );
                if let Err(e) = result {
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(format!("{e} (run the command again to resume)"));
    }
    let state = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    let manifest: String = state
        .segments
        .iter()
        .flat_map(|s| s.files.iter())
        .map(|l| format!("{l}\n"))
        .collect();
    let items: u64 = state.segments.iter().map(|s| s.items).sum();
    let bytes: u64 = state.segments.iter().map(|s| s.bytes).sum();
    let write = |name: &str, data: &[u8]| {
        std::fs::write(args.out.join(&base).join(name), data).map_err(|e| format!("{name}: {e}"))
    };
    write("manifest-files.json", manifest.as_bytes())?;
    write("manifest-files.md5", md5_base64(manifest.as_bytes()).as_bytes())?;
    let table_arn = described["Table"]["TableArn"].as_str().unwrap_or_default();
    let summary = json!({
        "version": "2020-06-30",
        "exportArn": format!("{table_arn}/export/{}", state.export_id),
        "startTime": iso(state.started), "endTime": iso(now()),
        "tableArn": table_arn, "tableId": described["Table"]["TableId"],
        "exportTime": iso(state.started),
        "s3Bucket": null, "s3Prefix": null, "s3SseAlgorithm": null, "s3SseKmsKeyId": null,
        "manifestFilesS3Key": format!("{base}manifest-files.json"),
        "billedSizeBytes": bytes, "itemCount": items, "outputFormat": format, "exportType": "FULL_EXPORT",
    })
    .to_string();
    write("manifest-summary.json", summary.as_bytes())?;
    write("manifest-summary.md5", md5_base64(summary.as_bytes()).as_bytes())?;
    let _ = std::fs::remove_file(&state_path);
    progress.finish_and_clear();
    println!(
        "exported {items} items ({bytes} bytes) of {} to {} in {:.1} s",
        args.table,
        args.out.join(&base).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn export_segment(
    target: &Target,
    args: &ExportArgs,
    format: &str,
    segment: usize,
    segments: usize,
    shared: &Mutex<State>,
    progress: &indicatif::ProgressBar,
    base: &str,
    state_path: &Path,
    started: std::time::Instant,
    done_before: u64,
) -> Result<(), String> {
    let mut mine = shared.lock().unwrap_or_else(|p| p.into_inner()).segments[segment].clone();
    if mine.done {
        return Ok(());
    }
    let mut text = String::new();
    let (mut items_in_file, mut bytes_in_file) = (0u64, 0u64);
    let mut start = mine.start.clone();
    loop {
        let mut body =
            json!({"TableName": args.table, "Segment": segment, "TotalSegments": segments, "ConsistentRead": true});
        if let Some(s) = &start {
            body["ExclusiveStartKey"] = s.clone();
        }
        let page = target.call_retrying("Scan", &body).map_err(|e| format!("Scan: {e}"))?;
        for item in page["Items"].as_array().into_iter().flatten() {
            let raw: cairn_model::wire::RawItem = serde_json::from_value(item.clone()).map_err(|e| e.to_string())?;
            let parsed = cairn_model::value::item_from_raw(raw).map_err(|e| e.message)?;
            let line = if format == "ION" {
                let mut line = "$ion_1_0 {Item:".to_string();
                ion::write_struct(&mut line, &parsed);
                line.push('}');
                line
            } else {
                json_item_line(&parsed)
            };
            text.push_str(&line);
            text.push('\n');
            items_in_file += 1;
            bytes_in_file += cairn_model::value::item_size(&parsed) as u64;
        }
        start = page.get("LastEvaluatedKey").cloned();
        let finished = start.is_none();
        if items_in_file as usize >= args.file_items || finished {
            // A data file, then the position after it: a resume re-reads only what
            // no file holds yet.
            if items_in_file > 0 || (finished && mine.files.is_empty() && segment == 0) {
                let name = format!(
                    "{base}data/segment{segment:03}-{:05}.{}.gz",
                    mine.files.len(),
                    if format == "ION" { "ion" } else { "json" }
                );
                let data = gzip(text.as_bytes());
                std::fs::write(args.out.join(&name), &data).map_err(|e| format!("{name}: {e}"))?;
                use md5::Digest as _;
                let etag: String = md5::Md5::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
                mine.files.push(
                    json!({"itemCount": items_in_file, "md5Checksum": md5_base64(&data), "etag": etag, "dataFileS3Key": name})
                        .to_string(),
                );
            }
            mine.items += items_in_file;
            mine.bytes += bytes_in_file;
            mine.start = start.clone();
            mine.done = finished;
            text.clear();
            progress.inc(items_in_file);
            items_in_file = 0;
            bytes_in_file = 0;
            let mut state = shared.lock().unwrap_or_else(|p| p.into_inner());
            state.segments[segment] = mine.clone();
            save(state_path, &state)?;
            let total: u64 = state.segments.iter().map(|s| s.items).sum();
            let rate = (total - done_before) as f64 / started.elapsed().as_secs_f64().max(0.001);
            progress.set_message(format!("{total} items, {rate:.0} items/s"));
        }
        if finished {
            return Ok(());
        }
    }
}
