//! Who sent a request and where: the region and access key parsed from its
//! Authorization header, used in ARNs.

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub region: String,
    pub access_key_id: Option<String>,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            region: "us-east-1".to_string(),
            access_key_id: None,
        }
    }
}
