//! `cairn replay --table orders --from 2026-12-01T00:00:00Z [--to ...] (--out FILE |
//! --trigger exec=...|url=...)`: the table's stream records of a time window, again,
//! exactly the same every time — the same records in the same order (shard by shard
//! as DescribeStream lists them, each in sequence order), written as the same bytes.
//! Records are kept for `--stream-retention-hours` (24 by default, as on DynamoDB):
//! start the server with more to replay further back.

use super::target::{Target, TargetArgs};
use serde_json::{json, Value};
use std::io::Write;

#[derive(clap::Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The table whose stream to replay.
    #[arg(long)]
    table: String,
    /// From this time (RFC 3339, e.g. 2026-12-01T00:00:00Z), inclusive.
    #[arg(long)]
    from: String,
    /// Up to this time, exclusive (default: now).
    #[arg(long)]
    to: Option<String>,
    /// Write one record per line (Lambda's record shape) to this file ('-': stdout).
    #[arg(long, conflicts_with = "trigger")]
    out: Option<String>,
    /// Deliver in batches to a command or URL, as `--trigger` does on `cairn serve`:
    /// `exec=./notify.sh` or `url=http://127.0.0.1:3000/hook` (batch=, retries= too).
    #[arg(long)]
    trigger: Option<String>,
}

fn time(text: &str) -> Result<f64, String> {
    cairn_auth::time::parse_rfc3339(text)
        .map(|t| t as f64)
        .ok_or_else(|| format!("not an RFC 3339 time: {text}"))
}

/// Every record of the table's latest stream created in [from, to), in order.
pub fn records(target: &Target, table: &str, from: f64, to: f64) -> Result<Vec<Value>, String> {
    let described = target
        .call("DescribeTable", &json!({"TableName": table}))
        .map_err(|e| e.to_string())?;
    let arn = described["Table"]["LatestStreamArn"]
        .as_str()
        .ok_or_else(|| format!("table {table} has no stream"))?
        .to_string();
    let stream = target
        .call_streams("DescribeStream", &json!({"StreamArn": arn}))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().into_iter().flatten() {
        let mut iterator = target
            .call_streams(
                "GetShardIterator",
                &json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
            )
            .map_err(|e| e.to_string())?["ShardIterator"]
            .clone();
        loop {
            let page = target
                .call_streams("GetRecords", &json!({"ShardIterator": iterator, "Limit": 1000}))
                .map_err(|e| e.to_string())?;
            let records = page["Records"].as_array().cloned().unwrap_or_default();
            for mut record in records.iter().cloned() {
                let at = record["dynamodb"]["ApproximateCreationDateTime"]
                    .as_f64()
                    .unwrap_or(0.0);
                if at >= from && at < to {
                    crate::triggers::lambda_shape(&mut record, &arn);
                    out.push(record);
                }
            }
            // An open shard ends here for a replay: what is there now.
            if records.is_empty() || page["NextShardIterator"].is_null() {
                break;
            }
            iterator = page["NextShardIterator"].clone();
        }
    }
    Ok(out)
}

pub fn run(args: ReplayArgs) -> Result<(), String> {
    let from = time(&args.from)?;
    let to = match &args.to {
        Some(t) => time(t)?,
        None => f64::MAX,
    };
    let target = Target::open(&args.target)?;
    let records = records(&target, &args.table, from, to)?;
    match (&args.out, &args.trigger) {
        (Some(path), None) => {
            let mut text = String::new();
            for record in &records {
                // serde_json's maps are sorted: the same record, the same bytes.
                text.push_str(&record.to_string());
                text.push('\n');
            }
            if path == "-" {
                std::io::stdout()
                    .write_all(text.as_bytes())
                    .map_err(|e| e.to_string())?;
            } else {
                std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
            }
        }
        (None, Some(spec)) => {
            let spec = if spec.split(',').any(|p| p.starts_with("table=")) {
                spec.clone()
            } else {
                format!("table={},{spec}", args.table)
            };
            let spec = crate::triggers::Spec::parse(&spec)?;
            // The trigger's filter= applies as it does to live delivery.
            let records: Vec<_> = records
                .iter()
                .filter(|r| spec.filter.as_ref().is_none_or(|f| f.matches(r)))
                .cloned()
                .collect();
            for batch in records.chunks(spec.batch_size) {
                crate::triggers::deliver_once(&spec, batch)?;
            }
        }
        _ => return Err("give --out FILE or --trigger SPEC".to_string()),
    }
    eprintln!("replayed {} records of {}", records.len(), args.table);
    Ok(())
}
