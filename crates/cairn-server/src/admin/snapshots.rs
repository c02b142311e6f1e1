//! `/_cairn/snapshots` and `/_cairn/reset` on a server without `--auth`: test
//! snapshots of the whole server state (see `cairn_engine::snapshots`).
//!
//! - `GET /_cairn/snapshots`: the saved snapshots.
//! - `POST /_cairn/snapshots/NAME`: save the state now as NAME (replacing it).
//! - `POST /_cairn/snapshots/NAME/restore`: put NAME's state back.
//! - `DELETE /_cairn/snapshots/NAME`: forget NAME.
//! - `POST /_cairn/reset`: an empty server again, then the `--seed` fixtures reloaded.

use cairn_engine::Engine;
use cairn_model::ApiError;
use std::sync::Arc;

pub const PATH: &str = "/_cairn/snapshots";
pub const RESET_PATH: &str = "/_cairn/reset";

/// What `reset` runs after emptying the server (loading `--seed` again).
pub type AfterReset = Arc<dyn Fn(&Engine) -> Result<(), String> + Send + Sync>;

fn json(value: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The admin call `method path`, answered as JSON; runs on a blocking thread (it
/// may copy a whole embedded store). `engines[0]` is the server's own engine; with
/// `--dynamodb-local` the others are those of each access key and region, saved and
/// restored together (one created after a save is emptied by its restore).
pub fn handle(
    engines: &[Arc<Engine>],
    after_reset: Option<&AfterReset>,
    method: &str,
    path: &str,
) -> Result<Vec<u8>, ApiError> {
    let started = std::time::Instant::now();
    let took = |started: std::time::Instant| started.elapsed().as_secs_f64() * 1000.0;
    let Some(server) = engines.first() else {
        return Err(ApiError::internal("no engine"));
    };
    if path == RESET_PATH {
        if method != "POST" {
            return Err(ApiError::validation("reset is POST /_cairn/reset"));
        }
        for engine in engines {
            engine.snapshot_reset()?;
        }
        // Every engine starts from the fixtures again, as a new one does.
        if let Some(reload) = after_reset {
            for engine in engines {
                reload(engine).map_err(|e| ApiError::internal(format!("reloading the seed fixtures failed: {e}")))?;
            }
        }
        return Ok(json(serde_json::json!({ "reset": true, "tookMs": took(started) })));
    }
    let rest = path.strip_prefix(PATH).unwrap_or_default();
    let (name, action) = match rest.strip_prefix('/') {
        None | Some("") => ("", ""),
        Some(tail) => tail.split_once('/').unwrap_or((tail, "")),
    };
    match (method, name, action) {
        ("GET", "", "") => Ok(json(serde_json::json!({ "snapshots": server.snapshot_list() }))),
        ("POST", name, "") if !name.is_empty() => {
            let info = server.snapshot_save(name)?;
            for engine in &engines[1..] {
                engine.snapshot_save(name)?;
            }
            Ok(json(serde_json::json!({ "saved": info, "tookMs": took(started) })))
        }
        ("POST", name, "restore") if !name.is_empty() => {
            let info = server.snapshot_restore(name)?;
            for engine in &engines[1..] {
                if engine.snapshot_list().iter().any(|s| s.name == name) {
                    engine.snapshot_restore(name)?;
                } else {
                    engine.snapshot_reset()?;
                }
            }
            Ok(json(serde_json::json!({ "restored": info, "tookMs": took(started) })))
        }
        ("DELETE", name, "") if !name.is_empty() => {
            server.snapshot_delete(name)?;
            for engine in &engines[1..] {
                let _ = engine.snapshot_delete(name);
            }
            Ok(json(serde_json::json!({ "deleted": name })))
        }
        _ => Err(ApiError::validation(format!("no such snapshot call: {method} {path}"))),
    }
}
