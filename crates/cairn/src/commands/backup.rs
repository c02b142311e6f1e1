//! `cairn backup create|list|restore`: on-demand backups from the command line,
//! against a server or a data directory. Create and restore wait for the backup to
//! be AVAILABLE or the table ACTIVE, showing progress; both resume by themselves
//! when the server restarts (the server keeps their progress), so an interrupted
//! command can simply be run again (`restore` then waits for the restore already
//! under way).

use super::import::{bar, wait_active};
use super::target::{Target, TargetArgs};
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    command: BackupCommand,
}

#[derive(clap::Subcommand)]
enum BackupCommand {
    /// Back up a table (a consistent snapshot; writes are not blocked).
    Create {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        table: String,
        /// Backup name (default: TABLE-YYYYMMDD-HHMMSS).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        quiet: bool,
    },
    /// List backups, newest last.
    List {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        table: Option<String>,
    },
    /// Restore a backup (by ARN or name) into a new table.
    Restore {
        #[command(flatten)]
        target: TargetArgs,
        /// The backup's ARN or name.
        #[arg(long)]
        backup: String,
        /// The table to create.
        #[arg(long)]
        to: String,
        #[arg(long)]
        quiet: bool,
    },
}

pub fn run(args: BackupArgs) -> Result<(), String> {
    match args.command {
        BackupCommand::Create {
            target,
            table,
            name,
            quiet,
        } => create(&Target::open(&target)?, &table, name, quiet),
        BackupCommand::List { target, table } => list(&Target::open(&target)?, table.as_deref()),
        BackupCommand::Restore {
            target,
            backup,
            to,
            quiet,
        } => restore(&Target::open(&target)?, &backup, &to, quiet),
    }
}

fn all_backups(target: &Target, table: Option<&str>) -> Result<Vec<Value>, String> {
    let mut all = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut body = json!({});
        if let Some(t) = table {
            body["TableName"] = json!(t);
        }
        if let Some(s) = &start {
            body["ExclusiveStartBackupArn"] = json!(s);
        }
        let page = target.call("ListBackups", &body).map_err(|e| e.to_string())?;
        all.extend(page["BackupSummaries"].as_array().cloned().unwrap_or_default());
        match page["LastEvaluatedBackupArn"].as_str() {
            Some(next) => start = Some(next.to_string()),
            None => return Ok(all),
        }
    }
}

fn create(target: &Target, table: &str, name: Option<String>, quiet: bool) -> Result<(), String> {
    let name = name.unwrap_or_else(|| {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format!("{table}-{seconds}")
    });
    let items = target
        .call("DescribeTable", &json!({"TableName": table}))
        .map_err(|e| e.to_string())?["Table"]["ItemCount"]
        .as_u64()
        .unwrap_or(0);
    let out = target
        .call("CreateBackup", &json!({"TableName": table, "BackupName": name}))
        .map_err(|e| e.to_string())?;
    let arn = out["BackupDetails"]["BackupArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let progress = bar(quiet, items, false);
    progress.set_message("copying");
    loop {
        let d = target
            .call("DescribeBackup", &json!({"BackupArn": arn}))
            .map_err(|e| e.to_string())?;
        let details = &d["BackupDescription"]["BackupDetails"];
        if details["BackupStatus"] == "AVAILABLE" {
            progress.finish_and_clear();
            println!(
                "backup {name} AVAILABLE: {} items, {} bytes\n{arn}",
                d["BackupDescription"]["SourceTableDetails"]["ItemCount"], details["BackupSizeBytes"]
            );
            return Ok(());
        }
        progress.tick();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn list(target: &Target, table: Option<&str>) -> Result<(), String> {
    let backups = all_backups(target, table)?;
    println!("{:<24} {:<10} {:>12} {:<20} ARN", "NAME", "STATUS", "BYTES", "TABLE");
    for b in &backups {
        println!(
            "{:<24} {:<10} {:>12} {:<20} {}",
            b["BackupName"].as_str().unwrap_or_default(),
            b["BackupStatus"].as_str().unwrap_or_default(),
            b["BackupSizeBytes"].as_i64().unwrap_or(0),
            b["TableName"].as_str().unwrap_or_default(),
            b["BackupArn"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

fn restore(target: &Target, backup: &str, to: &str, quiet: bool) -> Result<(), String> {
    let arn = if backup.starts_with("arn:") {
        backup.to_string()
    } else {
        let matches: Vec<Value> = all_backups(target, None)?
            .into_iter()
            .filter(|b| b["BackupName"] == backup)
            .collect();
        match matches.as_slice() {
            [one] => one["BackupArn"].as_str().unwrap_or_default().to_string(),
            [] => return Err(format!("no backup named {backup}")),
            _ => return Err(format!("several backups are named {backup}: give its ARN")),
        }
    };
    let described = target
        .call("DescribeBackup", &json!({"BackupArn": arn}))
        .map_err(|e| e.to_string())?;
    let items = described["BackupDescription"]["SourceTableDetails"]["ItemCount"]
        .as_u64()
        .unwrap_or(0);
    match target.call(
        "RestoreTableFromBackup",
        &json!({"BackupArn": arn, "TargetTableName": to}),
    ) {
        Ok(_) => {}
        // Run again after an interruption: wait for the restore under way.
        Err(e) if e.code == "TableInUseException" => eprintln!("a restore into {to} is under way; waiting for it"),
        Err(e) => return Err(e.to_string()),
    }
    let progress = bar(quiet, items, false);
    progress.set_message(format!("restoring {items} items"));
    progress.enable_steady_tick(std::time::Duration::from_millis(100));
    let result = wait_active(target, to);
    progress.finish_and_clear();
    result?;
    println!("restored {arn} into {to} ({items} items)");
    Ok(())
}
