//! DynamoDB Local's behaviour (`cairn dynamodb-local`, `cairn serve --dynamodb-local`):
//! each access key and region pair has its own set of tables — DynamoDB Local keeps a
//! database file per pair — unless `--shared-db`, when every client shares one; and
//! ARNs and stream records name the region `ddblocal`, as DynamoDB Local's do.
//!
//! Each pair gets an engine of its own over a store of its own, opened on its first
//! request, so nothing of one pair's tables can reach another's.

use cairn_engine::{Engine, RequestContext};
use cairn_model::{ApiError, ErrorKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The region DynamoDB Local puts in ARNs.
pub const LOCAL_REGION: &str = "ddblocal";

/// At most this many key and region pairs (each an engine and a store).
pub const MAX_NAMESPACES: usize = 256;

/// Opens the engine of a namespace (`ACCESSKEY_REGION`, letters, digits, `-` and `_`).
pub type OpenEngine = Arc<dyn Fn(&str) -> Result<Arc<Engine>, String> + Send + Sync>;

pub struct LocalMode {
    /// `--shared-db`: one set of tables for every client (the server's own engine).
    shared_db: bool,
    open: OpenEngine,
    /// A slot per pair, filled by its first request: the map's lock is held only to
    /// find the slot, so opening one pair (a store, its fixtures) holds no other up.
    engines: Mutex<HashMap<String, Arc<Mutex<Option<Arc<Engine>>>>>>,
}

/// `AKID_us-east-1`, with anything but letters, digits and `-` spelled as `~XX`, so
/// that distinct pairs never share a name (or a directory).
pub fn namespace_name(access_key: Option<&str>, region: &str) -> String {
    let clean = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' {
                out.push(byte as char);
            } else {
                out.push_str(&format!("~{byte:02X}"));
            }
        }
        out
    };
    format!("{}_{}", clean(access_key.unwrap_or("anonymous")), clean(region))
}

impl LocalMode {
    pub fn new(shared_db: bool, open: OpenEngine) -> LocalMode {
        LocalMode {
            shared_db,
            open,
            engines: Mutex::new(HashMap::new()),
        }
    }

    /// The engine serving `context`'s access key and region, and the context as that
    /// engine sees it (region `ddblocal`).
    pub fn route(
        &self,
        server_engine: &Arc<Engine>,
        mut context: RequestContext,
    ) -> Result<(Arc<Engine>, RequestContext), ApiError> {
        // DynamoDB Local (2.x) takes access keys of letters and digits only.
        let key = context.access_key_id.as_deref().unwrap_or_default();
        if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiError::new(
                ErrorKind::UnrecognizedClient,
                "The Access Key ID or security token is invalid.",
            ));
        }
        let name = namespace_name(Some(key), &context.region);
        context.region = LOCAL_REGION.to_string();
        if self.shared_db {
            return Ok((server_engine.clone(), context));
        }
        let slot = {
            let mut engines = self.engines.lock().unwrap_or_else(|p| p.into_inner());
            match engines.get(&name) {
                Some(slot) => slot.clone(),
                None if engines.len() >= MAX_NAMESPACES => {
                    return Err(ApiError::new(
                        ErrorKind::LimitExceeded,
                        format!(
                        "At most {MAX_NAMESPACES} access key and region pairs have tables of their own; use -sharedDb"
                    ),
                    ))
                }
                None => engines.entry(name.clone()).or_default().clone(),
            }
        };
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(engine) = slot.as_ref() {
            return Ok((engine.clone(), context));
        }
        let engine = (self.open)(&name).map_err(|e| {
            tracing::error!(namespace = %name, error = %e, "opening a namespace failed");
            ApiError::internal("Internal server error")
        })?;
        *slot = Some(engine.clone());
        Ok((engine, context))
    }

    /// Every engine opened for a key and region pair so far.
    pub fn engines(&self) -> Vec<Arc<Engine>> {
        let slots: Vec<_> = self
            .engines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        slots
            .iter()
            .filter_map(|slot| slot.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names_keep_distinct_pairs_apart() {
        assert_eq!(namespace_name(Some("AKID"), "us-east-1"), "AKID_us-east-1");
        assert_eq!(namespace_name(None, "eu-west-1"), "anonymous_eu-west-1");
        // An underscore in a key cannot make two pairs meet.
        assert_ne!(namespace_name(Some("a_b"), "c"), namespace_name(Some("a"), "b_c"));
        assert_eq!(namespace_name(Some("../x"), "r"), "~2E~2E~2Fx_r");
    }
}
