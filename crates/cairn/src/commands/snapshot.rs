//! `cairn snapshot save NAME | restore NAME | list | delete NAME | reset`: test
//! snapshots of a running server's whole state (`/_cairn/snapshots`, `/_cairn/reset`).

use serde_json::Value;

#[derive(clap::Args)]
pub struct SnapshotArgs {
    /// Server whose state to save or put back.
    #[arg(long, env = "CAIRN_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    #[command(subcommand)]
    action: SnapshotAction,
}

#[derive(clap::Subcommand)]
enum SnapshotAction {
    /// Save the whole state now (tables, items, indexes, streams, backups) as NAME.
    Save { name: String },
    /// Put the state saved as NAME back (the snapshot stays, to restore again).
    Restore { name: String },
    /// List the saved snapshots.
    List,
    /// Forget the snapshot NAME.
    Delete { name: String },
    /// Empty the server, then load its --seed fixtures again.
    Reset,
}

const MISSING: &str = "no snapshots here (a server with --auth sigv4 does not serve them)";

pub fn run(args: SnapshotArgs) -> Result<(), String> {
    let (method, path) = match &args.action {
        SnapshotAction::Save { name } => ("POST", format!("/_cairn/snapshots/{name}")),
        SnapshotAction::Restore { name } => ("POST", format!("/_cairn/snapshots/{name}/restore")),
        SnapshotAction::List => ("GET", "/_cairn/snapshots".to_string()),
        SnapshotAction::Delete { name } => ("DELETE", format!("/_cairn/snapshots/{name}")),
        SnapshotAction::Reset => ("POST", "/_cairn/reset".to_string()),
    };
    if let SnapshotAction::Save { name } | SnapshotAction::Restore { name } | SnapshotAction::Delete { name } =
        &args.action
    {
        // The name travels in the path: refuse what would change its meaning there.
        if name.is_empty() || name.contains(['/', '?', '#', '%', ' ']) {
            return Err(format!("invalid snapshot name {name:?}"));
        }
    }
    let answer: Value = super::admin_http::json(&args.endpoint, method, &path, "", MISSING)?;
    let took = answer["tookMs"].as_f64().unwrap_or(0.0);
    match &args.action {
        SnapshotAction::Save { name } => println!(
            "saved {name} ({} tables) in {took:.1} ms",
            answer["saved"]["tables"].as_u64().unwrap_or(0)
        ),
        SnapshotAction::Restore { name } => println!(
            "restored {name} ({} tables) in {took:.1} ms",
            answer["restored"]["tables"].as_u64().unwrap_or(0)
        ),
        SnapshotAction::Delete { name } => println!("deleted {name}"),
        SnapshotAction::Reset => println!("reset in {took:.1} ms"),
        SnapshotAction::List => {
            for s in answer["snapshots"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{} tables",
                    s["name"].as_str().unwrap_or_default(),
                    cairn_server::admin::clock::iso(s["savedAt"].as_f64().unwrap_or(0.0)),
                    s["tables"].as_u64().unwrap_or(0)
                );
            }
        }
    }
    Ok(())
}
