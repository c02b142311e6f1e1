//! Moving data in and out of tables through objects: ExportTableToPointInTime,
//! ImportTable and the bulk operations, over an S3 stand-in (`objects`).

pub mod bulk;
pub mod export;
pub mod formats;
pub mod import;
pub mod ion;
pub mod objects;

use cairn_model::constraints::Constraints;
use cairn_model::ApiError;
use cairn_storage::{Storage, StorageError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An export, import or bulk operation ARN as a request names it: required, 37 to
/// 1,024 characters (DynamoDB's bounds), reported under `path`.
pub(crate) fn required_arn(arn: Option<&str>, path: &str) -> Result<String, ApiError> {
    let mut c = Constraints::new();
    match arn {
        None => c.violation(None, path, "Member must not be null"),
        Some(a) => {
            let len = a.chars().count();
            c.min_length(Some(a), len, path, 37);
            c.max_length(Some(a), len, path, 1024);
        }
    }
    c.finish()?;
    Ok(arn.unwrap_or_default().to_string())
}

/// A job record with an owner: the worker running it.
pub(crate) trait Owned: Serialize + DeserializeOwned {
    fn owner(&self) -> &str;
}

/// Reads the record at `key` and, if `owner` still runs it, applies `change` and
/// saves it, in one transaction (a conflict retries). Returns whether it did.
pub(crate) fn update_owned<R: Owned>(
    storage: &dyn Storage,
    key: &[u8],
    owner: &str,
    change: impl Fn(&mut R),
) -> Result<bool, StorageError> {
    loop {
        let mut tx = storage.begin()?;
        let stored: Option<R> = tx.get(key)?.and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let Some(mut stored) = stored.filter(|s| s.owner() == owner) else {
            return Ok(false);
        };
        change(&mut stored);
        tx.put(
            key,
            &serde_json::to_vec(&stored).map_err(|e| StorageError::Other(e.to_string()))?,
        );
        match tx.commit() {
            Ok(()) => return Ok(true),
            Err(StorageError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// How long a ClientToken names its export, import or bulk operation (DynamoDB: 8 hours).
pub(crate) const TOKEN_SECONDS: f64 = 8.0 * 3600.0;

/// A job record that a ClientToken can name.
pub(crate) trait Tokened {
    fn token(&self) -> Option<&str>;
    fn started(&self) -> f64;
    /// The request's parameters, as compared when the token is reused.
    fn request(&self) -> &str;
}

/// The job `token` already names, if any: the same request gets it back; a request
/// with other parameters is `conflict`.
pub(crate) fn named_by_token<R: Tokened>(
    records: impl IntoIterator<Item = R>,
    token: &str,
    request: &str,
    now: f64,
    conflict: impl FnOnce() -> ApiError,
) -> Result<Option<R>, ApiError> {
    let found = records
        .into_iter()
        .find(|r| r.token() == Some(token) && now - r.started() < TOKEN_SECONDS);
    match found {
        Some(r) if r.request() != request => Err(conflict()),
        other => Ok(other),
    }
}
