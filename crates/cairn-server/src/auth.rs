//! Who is calling. Without authentication (`--auth none`, for local use) the
//! Authorization header's credential scope only supplies the region and key id. With
//! `--auth sigv4` every request's signature is verified against the credentials file
//! and the principal it names decides, through its policies, what the request may do.

use cairn_auth::{Credentials, HttpRequest, Verifier};
use cairn_engine::RequestContext;
use cairn_model::{ApiError, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Builds the request context from an `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`
/// header, unverified. A missing header is refused as DynamoDB refuses it.
pub(crate) fn context_from_authorization(header: Option<&str>) -> Result<RequestContext, ApiError> {
    let Some(header) = header else {
        return Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    };
    let mut context = RequestContext::default();
    let credential = header
        .split([',', ' '])
        .find_map(|part| part.trim().strip_prefix("Credential="));
    if let Some(credential) = credential {
        let mut scope = credential.split('/');
        context.access_key_id = scope.next().map(str::to_string);
        if let Some(region) = scope.nth(1).filter(|r| !r.is_empty()) {
            context.region = region.to_string();
        }
    }
    Ok(context)
}

/// SigV4 verification against a credentials file that can be re-read while serving.
pub struct Authenticator {
    verifier: RwLock<Arc<Verifier>>,
    source: Option<PathBuf>,
    account_id: String,
}

impl Authenticator {
    /// Loads `path` (refusing a file other users can read).
    pub fn from_file(path: &Path, account_id: &str) -> Result<Authenticator, String> {
        let credentials = Credentials::load(path, account_id)?;
        Ok(Authenticator {
            verifier: RwLock::new(Arc::new(Verifier::new(credentials, "dynamodb"))),
            source: Some(path.to_path_buf()),
            account_id: account_id.to_string(),
        })
    }

    /// Fixed credentials, for tests and embedding.
    pub fn from_credentials(credentials: Credentials, account_id: &str) -> Authenticator {
        Authenticator {
            verifier: RwLock::new(Arc::new(Verifier::new(credentials, "dynamodb"))),
            source: None,
            account_id: account_id.to_string(),
        }
    }

    /// Re-reads the credentials file; on any error the old credentials stay in force.
    /// Returns how many principals are now known.
    pub fn reload(&self) -> Result<usize, String> {
        let Some(path) = &self.source else {
            return Err("these credentials were not read from a file".to_string());
        };
        let credentials = Credentials::load(path, &self.account_id)?;
        let count = credentials.len();
        let verifier = Arc::new(Verifier::new(credentials, "dynamodb"));
        match self.verifier.write() {
            Ok(mut current) => *current = verifier,
            Err(poisoned) => *poisoned.into_inner() = verifier,
        }
        Ok(count)
    }

    pub fn principal_count(&self) -> usize {
        self.current().credentials().len()
    }

    fn current(&self) -> Arc<Verifier> {
        match self.verifier.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Verifies one request and names its principal.
    pub(crate) fn authenticate(&self, request: &HttpRequest<'_>, secure: bool) -> Result<RequestContext, ApiError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        // Verified under the read lock: no reference-count traffic per request.
        let verified = match self.verifier.read() {
            Ok(v) => v.verify(request, now)?,
            Err(poisoned) => poisoned.into_inner().verify(request, now)?,
        };
        Ok(RequestContext {
            region: verified.region,
            access_key_id: Some(verified.principal.access_key_id.clone()),
            principal: Some(verified.principal),
            secure_transport: secure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_region_and_key_from_sigv4_header() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        let ctx = context_from_authorization(Some(h)).unwrap();
        assert_eq!(ctx.region, "eu-west-2");
        assert_eq!(ctx.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    }

    #[test]
    fn missing_header_is_refused() {
        let e = context_from_authorization(None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingAuthenticationToken);
    }

    #[test]
    fn odd_headers_fall_back_to_default_region() {
        assert_eq!(context_from_authorization(Some("garbage")).unwrap().region, "us-east-1");
        assert_eq!(
            context_from_authorization(Some("Credential=")).unwrap().region,
            "us-east-1"
        );
    }
}

impl std::fmt::Debug for Authenticator {
    /// Never prints secrets: only where credentials come from and how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("source", &self.source)
            .field("principals", &self.principal_count())
            .finish()
    }
}
