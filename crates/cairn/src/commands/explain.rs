//! `cairn explain Query '{"TableName": ..., ...}'`: how a read request reaches its
//! items and what it costs, without running it for real (nothing is charged or
//! recorded): the table or index, the partitions it reads, items read against
//! items returned, capacity units and their on-demand price.

use super::target::{Target, TargetArgs};
use serde_json::Value;

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The read operation: GetItem, BatchGetItem, Query, Scan or TransactGetItems.
    operation: String,
    /// The request as DynamoDB JSON (as the AWS CLI's --cli-input-json takes it),
    /// or @FILE to read it from a file.
    request: String,
    /// Print the explanation as JSON instead.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ExplainArgs) -> Result<(), String> {
    let text = match args.request.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        None => args.request.clone(),
    };
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("the request is not JSON: {e}"))?;
    let target = Target::open(&args.target)?;
    let explained = target.explain(&args.operation, &body).map_err(|e| e.to_string())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&explained).unwrap_or_default());
        return Ok(());
    }
    print!("{}", render(&explained));
    Ok(())
}

fn render(e: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n", e["access"].as_str().unwrap_or_default()));
    let partitions: Vec<&str> = e["partitions"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !partitions.is_empty() {
        out.push_str(&format!("  partition keys     {}\n", partitions.join(", ")));
    }
    out.push_str(&format!("  items read         {}\n", e["itemsRead"]));
    out.push_str(&format!("  items returned     {}\n", e["itemsReturned"]));
    out.push_str(&format!("  read units         {}\n", e["readUnits"]));
    out.push_str(&format!(
        "  on-demand price    ${:.10} per request, ${:.4} per million\n",
        e["onDemandCostUsd"].as_f64().unwrap_or(0.0),
        e["perMillionRequestsUsd"].as_f64().unwrap_or(0.0)
    ));
    if let Some(warning) = e["warning"].as_str() {
        out.push_str(&format!("  warning: {warning}\n"));
    }
    out
}
