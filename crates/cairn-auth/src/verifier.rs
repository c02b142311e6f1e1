//! Authenticating one request: the credential lookup, session tokens, the 15-minute
//! clock-skew window, and a cache of derived signing keys so the four HMACs of key
//! derivation run once per key, day and region rather than once per request.

use crate::credentials::{Credentials, Principal};
use crate::sigv4::{self, HttpRequest};
use crate::time::{format_amz_date, parse_amz_date};
use cairn_model::{ApiError, ErrorKind};
use std::sync::{Arc, RwLock};

/// AWS accepts a signature dated up to 15 minutes either side of its clock.
pub const CLOCK_SKEW_SECONDS: i64 = 15 * 60;
/// Bound on cached signing keys (only keys that verified a signature are kept); the
/// cache is emptied when full. A day's keys for a couple of hundred principals and
/// regions fit; beyond that, keys are derived again (four HMACs) now and then.
const KEY_CACHE_LIMIT: usize = 256;

/// Who sent the request, and the region its credential scope names.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Arc<Principal>,
    pub region: String,
}

struct CachedKey {
    access_key_id: String,
    date: String,
    region: String,
    mac: sigv4::KeyedMac,
}

pub struct Verifier {
    credentials: Credentials,
    service: String,
    /// Derived keys by (access key id, date, region); a short list scanned without
    /// allocating (a deployment has few principals and regions, and one date a day).
    keys: RwLock<Vec<CachedKey>>,
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, message)
}

/// An access key nobody holds. (A key whose session token is wrong or missing gets
/// the same sentence without its full stop, as DynamoDB sends it.)
fn unrecognized() -> ApiError {
    ApiError::new(
        ErrorKind::UnrecognizedClient,
        "The security token included in the request is invalid.",
    )
}

fn invalid_session_token() -> ApiError {
    ApiError::new(
        ErrorKind::UnrecognizedClient,
        "The security token included in the request is invalid",
    )
}

impl Verifier {
    /// A verifier for requests to `service` (`dynamodb` for both DynamoDB and Streams).
    pub fn new(credentials: Credentials, service: &str) -> Verifier {
        Verifier {
            credentials,
            service: service.to_string(),
            keys: RwLock::new(Vec::new()),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Authenticates `request` at `now` (seconds since the epoch).
    pub fn verify(&self, request: &HttpRequest<'_>, now: i64) -> Result<Authenticated, ApiError> {
        let Some(header) = request.header("authorization") else {
            return Err(ApiError::new(
                ErrorKind::MissingAuthenticationToken,
                "Request is missing Authentication Token",
            ));
        };
        let authorization = sigv4::parse_authorization(header)?;
        let amz_date: std::borrow::Cow<'_, str> = match request.header("x-amz-date") {
            Some(text) => std::borrow::Cow::Borrowed(text.trim()),
            None => match request.header("date").and_then(|d| httpdate::parse_http_date(d.trim()).ok()) {
                Some(time) => std::borrow::Cow::Owned(format_amz_date(
                    time.duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(0),
                )),
                None => {
                    return Err(ApiError::new(
                        ErrorKind::IncompleteSignature,
                        format!(
                            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
                            header.trim()
                        ),
                    ))
                }
            },
        };
        let Some(signed_at) = parse_amz_date(&amz_date) else {
            return Err(ApiError::new(
                ErrorKind::IncompleteSignature,
                format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
            ));
        };
        self.check_scope(&authorization, &amz_date)?;
        if !authorization.signed_headers.contains(&"host") {
            return Err(invalid_signature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        // The operation and the body's coding decide what runs: a signature that
        // leaves them out would let a captured request be replayed as another
        // operation. Every AWS SDK signs them; AWS itself does not insist.
        for (header, shown) in [
            ("x-amz-target", "X-Amz-Target"),
            ("content-encoding", "Content-Encoding"),
        ] {
            if request.header(header).is_some() && !authorization.signed_headers.contains(&header) {
                return Err(invalid_signature(format!(
                    "'{shown}' must be a 'SignedHeader' in the AWS Authorization."
                )));
            }
        }
        let principal = self
            .credentials
            .by_access_key(authorization.access_key_id)
            .ok_or_else(unrecognized)?;
        check_session_token(&principal, request.header("x-amz-security-token"), now)?;
        check_skew(&amz_date, signed_at, now)?;
        let (mac, cached) = self.signing_mac(&principal, authorization.scope_date, authorization.region);
        let digest = sigv4::canonical_request_digest(request, &authorization.signed_headers);
        if !sigv4::signature_of_parts_matches(&mac, &amz_date, authorization.scope, &digest, authorization.signature) {
            return Err(invalid_signature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        if !cached {
            // Only keys that produced a valid signature are remembered, so nobody
            // can fill the cache with made-up dates and regions.
            self.remember(&principal, authorization.scope_date, authorization.region, mac);
        }
        Ok(Authenticated {
            principal,
            region: authorization.region.to_string(),
        })
    }

    fn check_scope(&self, authorization: &sigv4::Authorization<'_>, amz_date: &str) -> Result<(), ApiError> {
        if authorization.scope_date != &amz_date[..8] {
            return Err(invalid_signature(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
                authorization.scope_date,
                &amz_date[..8]
            )));
        }
        let region = authorization.region;
        let region_ok = (1..=64).contains(&region.len())
            && region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !region_ok {
            return Err(invalid_signature(format!(
                "Credential should be scoped to a valid region, not '{region}'. "
            )));
        }
        if authorization.service != self.service {
            return Err(invalid_signature(format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.service
            )));
        }
        if authorization.terminator != "aws4_request" {
            return Err(invalid_signature(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                authorization.terminator
            )));
        }
        Ok(())
    }

    /// The HMAC keyed with the derived signing key, and whether it came from the cache.
    fn signing_mac(&self, principal: &Principal, date: &str, region: &str) -> (sigv4::KeyedMac, bool) {
        let cached = self.keys.read().ok().and_then(|keys| {
            keys.iter()
                .find(|k| k.access_key_id == principal.access_key_id && k.date == date && k.region == region)
                .map(|k| k.mac.clone())
        });
        if let Some(mac) = cached {
            return (mac, true);
        }
        let key = sigv4::signing_key(&principal.secret_access_key, date, region, &self.service);
        (sigv4::keyed_mac(&key), false)
    }

    fn remember(&self, principal: &Principal, date: &str, region: &str, mac: sigv4::KeyedMac) {
        if let Ok(mut keys) = self.keys.write() {
            if keys.len() >= KEY_CACHE_LIMIT {
                keys.clear();
            }
            keys.push(CachedKey {
                access_key_id: principal.access_key_id.clone(),
                date: date.to_string(),
                region: region.to_string(),
                mac,
            });
        }
    }
}

fn check_session_token(principal: &Principal, sent: Option<&str>, now: i64) -> Result<(), ApiError> {
    match (&principal.session_token, sent) {
        (None, None) => Ok(()),
        (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.trim().as_bytes()) => {
            if principal.expires_at.is_some_and(|expiry| now >= expiry) {
                Err(ApiError::new(
                    ErrorKind::ExpiredToken,
                    "The security token included in the request is expired",
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(invalid_session_token()),
    }
}

fn check_skew(amz_date: &str, signed_at: i64, now: i64) -> Result<(), ApiError> {
    if now - signed_at > CLOCK_SKEW_SECONDS {
        return Err(invalid_signature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - CLOCK_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    if signed_at - now > CLOCK_SKEW_SECONDS {
        return Err(invalid_signature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + CLOCK_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialsFile;

    fn verifier() -> Verifier {
        let file: CredentialsFile = serde_json::from_str(
            r#"{"principals": [{"name": "a", "access_key_id": "AKID", "secret_access_key": "secret"}]}"#,
        )
        .unwrap();
        Verifier::new(Credentials::from_file(&file, "1").unwrap(), "dynamodb")
    }

    fn request_with(authorization: &str) -> Vec<(String, String)> {
        vec![
            ("host".to_string(), "localhost".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
            ("authorization".to_string(), authorization.to_string()),
        ]
    }

    #[test]
    fn failed_signatures_leave_nothing_in_the_key_cache() {
        let v = verifier();
        for region in ["us-east-1", "made-up-1", "made-up-2"] {
            let headers = request_with(&format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/{region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ));
            let request = HttpRequest {
                method: "POST",
                path: "/",
                query: None,
                headers: &headers,
                body: b"",
            };
            assert!(v.verify(&request, 1_440_938_160).is_err());
        }
        assert_eq!(v.keys.read().unwrap().len(), 0);
    }

    #[test]
    fn regions_must_be_plain_names() {
        let v = verifier();
        for (region, ok) in [("eu-west-1", true), ("local_1", true), ("a:b", false), ("x*", false)] {
            let headers = request_with(&format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/{region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ));
            let request = HttpRequest {
                method: "POST",
                path: "/",
                query: None,
                headers: &headers,
                body: b"",
            };
            let e = v.verify(&request, 1_440_938_160).unwrap_err();
            let scoped = e.message.starts_with("Credential should be scoped to a valid region");
            assert_eq!(!scoped, ok, "{region}: {}", e.message);
        }
    }
}
