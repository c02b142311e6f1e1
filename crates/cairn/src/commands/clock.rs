//! `cairn clock show | advance 2h | set 2027-01-01T00:00:00Z`: the virtual clock of a
//! server started with `--virtual-clock`.

use serde_json::Value;

#[derive(clap::Args)]
pub struct ClockArgs {
    /// Server whose clock to show or move.
    #[arg(long, env = "CAIRN_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    #[command(subcommand)]
    action: ClockAction,
}

#[derive(clap::Subcommand)]
enum ClockAction {
    /// Print the server's time.
    Show,
    /// Move the clock forward: 90s, 15m, 2h, 7d.
    Advance { by: String },
    /// Set the clock to an RFC 3339 time, e.g. 2027-01-01T00:00:00Z (forward only).
    Set { to: String },
}

pub fn run(args: ClockArgs) -> Result<(), String> {
    let path = match &args.action {
        ClockAction::Show => ("GET", "/_cairn/clock".to_string()),
        ClockAction::Advance { by } => ("POST", format!("/_cairn/clock/advance?by={by}")),
        ClockAction::Set { to } => ("POST", format!("/_cairn/clock/set?to={to}")),
    };
    let answer: Value = super::admin_http::json(
        &args.endpoint,
        path.0,
        &path.1,
        "",
        "no virtual clock (start the server with --virtual-clock, without --auth)",
    )?;
    println!(
        "{} ({:+.0} s from real time)",
        answer["iso"].as_str().unwrap_or_default(),
        answer["offsetSeconds"].as_f64().unwrap_or(0.0)
    );
    Ok(())
}
