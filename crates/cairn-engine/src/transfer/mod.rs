//! Moving data in and out of tables through objects: ExportTableToPointInTime,
//! ImportTable and the bulk operations, over an S3 stand-in (`objects`).

pub mod bulk;
pub mod export;
pub mod formats;
pub mod import;
pub mod ion;
pub mod objects;

use cairn_model::ApiError;

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
