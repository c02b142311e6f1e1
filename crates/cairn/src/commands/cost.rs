//! `cairn cost --since 1h`: the cost ledger of a running server as a table — per
//! table and operation, capacity consumed and its price on demand and provisioned,
//! storage, a month at the current rate — and the reads that read far more than
//! they returned.

use serde_json::Value;

#[derive(clap::Args)]
pub struct CostArgs {
    /// Server to ask.
    #[arg(long, env = "CAIRN_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    /// Period: 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    since: String,
    /// Print the report as JSON instead.
    #[arg(long)]
    json: bool,
}

fn fetch(endpoint: &str, since: &str) -> Result<Value, String> {
    super::admin_http::json(
        endpoint,
        "GET",
        &format!("/_cairn/cost?since={since}"),
        "",
        "no cost ledger to show (a server with --auth sigv4 does not serve it)",
    )
}

fn dollars(v: &Value) -> String {
    format!("${:.6}", v.as_f64().unwrap_or(0.0))
}

pub fn run(args: CostArgs) -> Result<(), String> {
    let report = fetch(&args.endpoint, &args.since)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
        return Ok(());
    }
    let prices = &report["priceSheet"];
    println!(
        "Cost over the last {:.2} h ({} prices: ${}/M reads, ${}/M writes on demand; ${}/RCU-h, ${}/WCU-h provisioned; ${}/GB-month)",
        report["hours"].as_f64().unwrap_or(0.0),
        prices["region"].as_str().unwrap_or_default(),
        prices["readRequestUnitsPerMillion"],
        prices["writeRequestUnitsPerMillion"],
        prices["readCapacityUnitHour"],
        prices["writeCapacityUnitHour"],
        prices["storageGbMonth"],
    );
    println!(
        "\n{:<20} {:<18} {:>8} {:>10} {:>11} {:>11} {:>11} {:>10} {:>12} {:>12}",
        "TABLE",
        "OPERATION",
        "REQUESTS",
        "READ UNITS",
        "WRITE UNITS",
        "ON-DEMAND",
        "PROVISIONED",
        "STORAGE",
        "MONTH (OD)",
        "MONTH (PROV)"
    );
    for table in report["tables"].as_array().into_iter().flatten() {
        let name = table["table"].as_str().unwrap_or_default();
        println!(
            "{:<20} {:<18} {:>8} {:>10.1} {:>11.1} {:>11} {:>11} {:>10} {:>12} {:>12}",
            name,
            format!("({})", table["billingMode"].as_str().unwrap_or_default().to_lowercase()),
            table["requests"].as_u64().unwrap_or(0),
            table["readUnits"].as_f64().unwrap_or(0.0),
            table["writeUnits"].as_f64().unwrap_or(0.0),
            dollars(&table["onDemandCost"]),
            dollars(&table["provisionedCost"]),
            dollars(&table["storageCost"]),
            dollars(&table["projectedMonthlyOnDemand"]),
            dollars(&table["projectedMonthlyProvisioned"]),
        );
        for op in table["operations"].as_array().into_iter().flatten() {
            println!(
                "{:<20} {:<18} {:>8} {:>10.1} {:>11.1} {:>11}",
                "",
                op["operation"].as_str().unwrap_or_default(),
                op["requests"].as_u64().unwrap_or(0),
                op["readUnits"].as_f64().unwrap_or(0.0),
                op["writeUnits"].as_f64().unwrap_or(0.0),
                dollars(&op["onDemandCost"]),
            );
        }
    }
    println!(
        "\nTotal: {} on demand, {} provisioned (storage included)",
        dollars(&report["totalOnDemandCost"]),
        dollars(&report["totalProvisionedCost"])
    );
    let amplified = report["scanAmplification"].as_array().cloned().unwrap_or_default();
    if !amplified.is_empty() {
        println!("\nScan amplification (reads returning under a tenth of the items they read):");
        for a in amplified {
            println!(
                "  {}: {} requests read {} items to return {} ({:.0}x), {:.1} read units, {}",
                a["shape"].as_str().unwrap_or_default(),
                a["requests"],
                a["itemsRead"],
                a["itemsReturned"],
                a["ratio"].as_f64().unwrap_or(0.0),
                a["readUnits"].as_f64().unwrap_or(0.0),
                dollars(&a["onDemandCost"]),
            );
        }
    }
    Ok(())
}
