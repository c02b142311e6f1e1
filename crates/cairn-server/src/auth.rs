//! The Authorization header. Signatures are not verified yet (a later issue does
//! SigV4); the credential scope is parsed so ARNs carry the caller's region.

use cairn_engine::RequestContext;
use cairn_model::{ApiError, ErrorKind};

/// Builds the request context from an `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`
/// header. A missing header is refused as DynamoDB refuses it.
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
