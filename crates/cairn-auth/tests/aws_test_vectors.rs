//! AWS's published SigV4 test suite (from the CRT signing suite, as shipped with the
//! aws-sigv4 crate): for each vector, our canonical request must equal AWS's, and the
//! verifier must accept the signed request at its timestamp and refuse it once the
//! signature, a signed header or the body is changed.

use cairn_auth::{Credentials, CredentialsFile, HttpRequest, PrincipalEntry, Verifier};
use std::path::Path;

struct Vector {
    name: String,
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    canonical: String,
    context: serde_json::Value,
}

/// Parses `header-signed-request.txt`: request line, headers (continuation lines
/// folded into the previous value), blank line, body.
fn parse_signed_request(dir: &Path) -> Option<Vector> {
    let context: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).ok()?).ok()?;
    let text = std::fs::read_to_string(dir.join("header-signed-request.txt")).ok()?;
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let request_line = lines.next()?;
    let mut parts = request_line.splitn(2, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.rsplit_once(' ')?.0.to_string();
    let (raw_path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.clone(), None),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut()?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    // The suite's paths are the text a client signs (`/example space/`, `/ሴ`; this
    // copy writes the space as `%20`): canonicalization encodes that text once more.
    let path = String::from_utf8(percent_decode(&raw_path)).ok()?;
    Some(Vector {
        name: dir.file_name()?.to_string_lossy().into_owned(),
        method,
        path,
        query,
        headers,
        body: if context["sign_body"] == true {
            body.as_bytes().to_vec()
        } else {
            Vec::new()
        },
        canonical: std::fs::read_to_string(dir.join("header-canonical-request.txt")).ok()?,
        context,
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn vectors() -> Vec<Vector> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigv4-test-suite");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        let Some(vector) = parse_signed_request(&dir) else {
            continue;
        };
        // Unnormalized paths are S3's rules; DynamoDB normalizes.
        if vector.context["normalize"] == false {
            continue;
        }
        out.push(vector);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn verifier_for(vector: &Vector) -> Verifier {
    let c = &vector.context["credentials"];
    let file = CredentialsFile {
        principals: vec![PrincipalEntry {
            name: "example".into(),
            access_key_id: c["access_key_id"].as_str().unwrap().into(),
            secret_access_key: c["secret_access_key"].as_str().unwrap().into(),
            session_token: c["token"].as_str().map(str::to_string),
            expires: None,
            policies: None,
        }],
    };
    let credentials = Credentials::from_file(&file, "000000000000").unwrap();
    Verifier::new(credentials, vector.context["service"].as_str().unwrap())
}

fn timestamp(vector: &Vector) -> i64 {
    cairn_auth::time::parse_rfc3339(vector.context["timestamp"].as_str().unwrap()).unwrap()
}

fn request<'a>(v: &'a Vector, headers: &'a Vec<(String, String)>, body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        method: &v.method,
        path: &v.path,
        query: v.query.as_deref(),
        headers,
        body,
    }
}

#[test]
fn every_vector_canonicalizes_as_aws_does() {
    let vectors = vectors();
    assert!(vectors.len() >= 25, "found only {} vectors", vectors.len());
    for v in &vectors {
        let authorization = v.headers.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
        let parsed = cairn_auth::sigv4::parse_authorization(&authorization).unwrap();
        let canonical = cairn_auth::sigv4::canonical_request(&request(v, &v.headers, &v.body), &parsed.signed_headers);
        assert_eq!(canonical, v.canonical, "canonical request of {}", v.name);
    }
}

#[test]
fn every_vector_verifies_at_its_timestamp() {
    for v in &vectors() {
        let verifier = verifier_for(v);
        let result = verifier.verify(&request(v, &v.headers, &v.body), timestamp(v));
        assert!(result.is_ok(), "{}: {:?}", v.name, result.err());
    }
}

#[test]
fn a_changed_signature_is_refused_in_every_vector() {
    for v in &vectors() {
        let mut headers = v.headers.clone();
        let auth = headers.iter_mut().find(|(n, _)| n == "authorization").unwrap();
        let last = auth.1.pop().unwrap();
        auth.1.push(if last == '0' { '1' } else { '0' });
        let e = verifier_for(v)
            .verify(&request(v, &headers, &v.body), timestamp(v))
            .unwrap_err();
        assert_eq!(e.kind.name(), "InvalidSignatureException", "{}", v.name);
    }
}

#[test]
fn a_changed_signed_header_is_refused_in_every_vector() {
    for v in &vectors() {
        let mut headers = v.headers.clone();
        let host = headers.iter_mut().find(|(n, _)| n == "host").unwrap();
        host.1.push_str(".evil");
        let e = verifier_for(v)
            .verify(&request(v, &headers, &v.body), timestamp(v))
            .unwrap_err();
        assert_eq!(e.kind.name(), "InvalidSignatureException", "{}", v.name);
    }
}

#[test]
fn a_changed_body_is_refused_in_every_vector() {
    for v in &vectors() {
        let mut body = v.body.clone();
        body.extend_from_slice(b"&extra=1");
        let e = verifier_for(v)
            .verify(&request(v, &v.headers, &body), timestamp(v))
            .unwrap_err();
        assert_eq!(e.kind.name(), "InvalidSignatureException", "{}", v.name);
    }
}
