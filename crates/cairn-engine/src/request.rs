//! Who sent a request and where: the region and access key from its Authorization
//! header (used in ARNs) and, when signatures are verified, the authenticated
//! principal whose policies decide what it may do.

use cairn_auth::Principal;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub region: String,
    pub access_key_id: Option<String>,
    /// The verified caller. `None` when the server runs without authentication:
    /// nothing is checked.
    pub principal: Option<Arc<Principal>>,
    /// Whether the request arrived over TLS (the `aws:SecureTransport` condition key).
    pub secure_transport: bool,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            region: "us-east-1".to_string(),
            access_key_id: None,
            principal: None,
            secure_transport: false,
        }
    }
}
