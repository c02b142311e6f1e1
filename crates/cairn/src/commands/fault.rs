//! `cairn fault add|list|clear`: the fault injection rules of a running server
//! (`/_cairn/faults`).

use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct FaultArgs {
    /// Server whose rules to change.
    #[arg(long, env = "CAIRN_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    #[command(subcommand)]
    action: FaultAction,
}

#[derive(clap::Subcommand)]
enum FaultAction {
    /// Add a rule: which requests, what happens, and when.
    Add {
        /// Only requests naming this table.
        #[arg(long)]
        table: Option<String>,
        /// Only this operation, e.g. PutItem.
        #[arg(long)]
        operation: Option<String>,
        /// ThrottlingException, ProvisionedThroughputExceededException,
        /// TransactionConflictException, InternalServerError or RequestLimitExceeded.
        #[arg(long)]
        error: Option<String>,
        /// Fire on each matching call with this probability (0..1).
        #[arg(long, conflicts_with = "nth")]
        probability: Option<f64>,
        /// Fire on the Nth matching call only.
        #[arg(long)]
        nth: Option<u64>,
        /// Wait this many milliseconds first.
        #[arg(long)]
        latency_ms: Option<u64>,
        /// Seed of the probability draws (same seed, same faults).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// List the rules, with how often each matched and fired.
    List,
    /// Remove every rule.
    Clear,
}

const MISSING: &str = "no fault injection here (a server with --auth sigv4 does not serve it)";

pub fn run(args: FaultArgs) -> Result<(), String> {
    let answer: Value = match args.action {
        FaultAction::Add {
            table,
            operation,
            error,
            probability,
            nth,
            latency_ms,
            seed,
        } => {
            let mut rule = json!({ "seed": seed });
            for (name, value) in [
                ("table", table.map(Value::from)),
                ("operation", operation.map(Value::from)),
                ("error", error.map(Value::from)),
                ("probability", probability.map(Value::from)),
                ("nth", nth.map(Value::from)),
                ("latencyMs", latency_ms.map(Value::from)),
            ] {
                if let Some(value) = value {
                    rule[name] = value;
                }
            }
            super::admin_http::json(&args.endpoint, "POST", "/_cairn/faults", &rule.to_string(), MISSING)?
        }
        FaultAction::List => super::admin_http::json(&args.endpoint, "GET", "/_cairn/faults", "", MISSING)?,
        FaultAction::Clear => super::admin_http::json(&args.endpoint, "DELETE", "/_cairn/faults", "", MISSING)?,
    };
    for rule in answer["rules"].as_array().into_iter().flatten() {
        println!("{rule}");
    }
    Ok(())
}
