//! `cairn check --data-dir DIR [--repair]`: verifies a store offline (the server must
//! not be running on it) and, with `--repair`, mends what can be mended safely.
//! Undecodable items are saved to `DIR/quarantine/` before a repair removes them.

use cairn_engine::check::{CheckReport, ProblemKind};
use cairn_engine::{Engine, EngineConfig};
use cairn_storage::{Durability, EmbeddedStorage};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Directory of the embedded store to check.
    #[arg(long, env = "CAIRN_DATA_DIR", default_value = "./cairn-data")]
    data_dir: PathBuf,
    /// Mend what was found: quarantine undecodable items, rebuild index entries,
    /// recount item collections.
    #[arg(long)]
    repair: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Saves the raw bytes of every undecodable item, one JSON line each.
fn quarantine(data_dir: &Path, report: &CheckReport) -> Result<Option<PathBuf>, String> {
    let raw: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::UndecodableItem)
        .filter_map(|p| p.raw.as_ref().map(|(k, v)| (p, k, v)))
        .collect();
    if raw.is_empty() {
        return Ok(None);
    }
    let dir = data_dir.join("quarantine");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = dir.join(format!("items-{seconds}.jsonl"));
    let mut file = std::fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    for (problem, key, value) in raw {
        let line = serde_json::json!({
            "table": problem.table,
            "problem": problem.detail,
            "storage_key_hex": hex(key),
            "value_hex": hex(value),
        });
        writeln!(file, "{line}").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    file.sync_all()
        .map_err(|e| format!("cannot sync {}: {e}", path.display()))?;
    Ok(Some(path))
}

fn print(report: &CheckReport) {
    println!(
        "checked {} tables: {} items, {} index entries, {} stream records",
        report.tables, report.items, report.index_entries, report.stream_records
    );
    for problem in &report.problems {
        println!("  {}: {:?}: {}", problem.table, problem.kind, problem.detail);
    }
}

pub fn run(args: CheckArgs) -> Result<(), String> {
    if !args.data_dir.exists() {
        return Err(format!("no data directory at {}", args.data_dir.display()));
    }
    let _lock = crate::data_dir::lock(&args.data_dir)?;
    let storage = EmbeddedStorage::open(&args.data_dir, Durability::Sync)
        .map_err(|e| format!("cannot open data directory {}: {e}", args.data_dir.display()))?;
    let engine = Engine::new(Arc::new(storage), EngineConfig::default()).map_err(|e| e.to_string())?;
    let report = engine.check(false).map_err(|e| e.to_string())?;
    print(&report);
    if report.problems.is_empty() {
        println!("no problems found");
        return Ok(());
    }
    if !args.repair {
        return Err(format!(
            "{} problems found; `cairn check --repair` mends them",
            report.problems.len()
        ));
    }
    if let Some(path) = quarantine(&args.data_dir, &report)? {
        println!("undecodable items saved to {}", path.display());
    }
    let repaired = engine.check(true).map_err(|e| e.to_string())?;
    println!("repaired {} problems", repaired.repaired);
    let after = engine.check(false).map_err(|e| e.to_string())?;
    if !after.problems.is_empty() {
        print(&after);
        return Err(format!("{} problems remain after the repair", after.problems.len()));
    }
    println!("no problems remain");
    Ok(())
}
