//! Everything a caller controls on the way into authentication and authorization:
//! the Authorization header and the other headers SigV4 reads, and (through
//! PutResourcePolicy and credentials files) policy documents. None may panic, and
//! verification of garbage must fail.
#![no_main]

use cairn_auth::{evaluate, AccessRequest, ConditionContext, Credentials, CredentialsFile, HttpRequest, Policy, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Header-shaped input: the first line is the Authorization header, the rest
    // `name: value` headers.
    let mut lines = text.lines();
    let authorization = lines.next().unwrap_or_default().to_string();
    let mut headers = vec![("authorization".to_string(), authorization.clone())];
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.to_string()));
        }
    }
    let _ = cairn_auth::sigv4::parse_authorization(&authorization);
    let file: CredentialsFile = serde_json::from_value(serde_json::json!({"principals": [
        {"name": "fuzz", "access_key_id": "AKIDFUZZ", "secret_access_key": "secret"}
    ]}))
    .unwrap();
    let verifier = Verifier::new(Credentials::from_file(&file, "1").unwrap(), "dynamodb");
    let request = HttpRequest {
        method: "POST",
        path: headers.last().map(|(_, v)| v.as_str()).unwrap_or("/"),
        query: Some(text),
        headers: &headers,
        body: data,
    };
    assert!(verifier.verify(&request, 1_440_938_160).is_err() || authorization.contains("Signature="));

    // Policy-shaped input.
    if let Ok(policy) = Policy::parse(text) {
        let _ = policy.check_resource_policy();
        let mut context = ConditionContext::new();
        context.set("dynamodb:LeadingKeys", vec!["alice".into(), text.chars().take(64).collect()]);
        context.set_one("aws:username", "alice");
        let request = AccessRequest {
            action: "dynamodb:GetItem",
            resource: "arn:aws:dynamodb:us-east-1:1:table/t",
            principal_arn: "arn:aws:iam::1:user/alice",
            context: &context,
        };
        let _ = evaluate(Some(std::slice::from_ref(&policy)), Some(&policy), &request);
    }
    let mut middle = text.len() / 2;
    while !text.is_char_boundary(middle) {
        middle -= 1;
    }
    let (pattern, subject) = text.split_at(middle);
    let _ = cairn_auth::glob_matches(pattern, subject);
    let _ = ConditionContext::new().substitute(text);
    let _ = cairn_auth::time::parse_rfc3339(text);
    let _ = cairn_auth::time::parse_amz_date(text);
});
