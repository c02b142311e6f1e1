//! AWS Signature Version 4, the verifying side: parse the Authorization header,
//! rebuild the canonical request and string to sign from what arrived, derive the
//! signing key and compare signatures in constant time.
//!
//! Pure functions over one request's parts; the credential lookup, clock-skew window
//! and signing-key cache live in [`crate::verifier`].

use cairn_model::{ApiError, ErrorKind};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Where the verifier reads headers from: a list in tests and tools, the server's
/// own header map when serving (no copy per request). Names are lower case.
pub trait Headers {
    /// Calls `each` with every value of header `name`, in the order received.
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&str));
    fn first(&self, name: &str) -> Option<&str>;
}

impl Headers for [(String, String)] {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&str)) {
        for (n, v) in self {
            if n == name {
                each(v);
            }
        }
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Headers for Vec<(String, String)> {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&str)) {
        Headers::each_value(self.as_slice(), name, each)
    }

    fn first(&self, name: &str) -> Option<&str> {
        Headers::first(self.as_slice(), name)
    }
}

/// The parts of an HTTP request that SigV4 signs.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path as sent, percent-encoded.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a dyn Headers,
    /// The body as sent (before any Content-Encoding is undone).
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.first(name)
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    /// `date/region/service/aws4_request`.
    pub scope: &'a str,
    pub scope_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

fn incomplete(message: String) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

/// Parses the header. Missing parameters are reported together, as AWS does, each
/// sentence followed by the header received.
pub fn parse_authorization(header: &str) -> Result<Authorization<'_>, ApiError> {
    let header = header.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!("Unsupported AWS 'algorithm': '{algorithm}'")));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "Credential" => credential = Some(value.trim()),
            "SignedHeaders" => signed_headers = Some(value.trim()),
            "Signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(incomplete(format!("{missing}Authorization={header}")));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    }
    let scope_start = parts[0].len() + 1;
    Ok(Authorization {
        access_key_id: parts[0],
        scope: &credential[scope_start..],
        scope_date: parts[1],
        region: parts[2],
        service: parts[3],
        terminator: parts[4],
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters (and `/` when
/// encoding a path), upper-case hex, as SigV4 specifies.
fn uri_encode(text: &[u8], keep_slash: bool, out: &mut String) {
    for &byte in text {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The canonical URI of a non-S3 service: dot segments and repeated slashes removed,
/// then each byte of the path as sent encoded once more (so `%20` becomes `%2520`).
pub fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    let mut out = String::with_capacity(normalized.len());
    uri_encode(normalized.as_bytes(), true, &mut out);
    out
}

/// Parameters decoded, re-encoded strictly and sorted by name, then value.
pub fn canonical_query(query: Option<&str>) -> String {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let mut encoded_name = String::new();
            let mut encoded_value = String::new();
            uri_encode(&percent_decode(name), false, &mut encoded_name);
            uri_encode(&percent_decode(value), false, &mut encoded_value);
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Where a canonical request is written: text (tests, tools) or straight into its
/// SHA-256 (verification, with no copy of the request).
trait Sink {
    fn put(&mut self, text: &str);
}

impl Sink for String {
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, text: &str) {
        Digest::update(self, text.as_bytes());
    }
}

/// Writes a header value trimmed, with runs of whitespace (including folded lines)
/// made one space.
fn put_canonical_value(out: &mut dyn Sink, value: &str) {
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.put(" ");
        }
        out.put(word);
    }
}

fn write_canonical_request(out: &mut dyn Sink, request: &HttpRequest<'_>, signed_headers: &[&str]) {
    out.put(request.method);
    out.put("\n");
    if request.path == "/" {
        out.put("/");
    } else {
        out.put(&canonical_uri(request.path));
    }
    out.put("\n");
    out.put(&canonical_query(request.query));
    out.put("\n");
    for name in signed_headers {
        out.put(name);
        out.put(":");
        let mut first = true;
        request.headers.each_value(name, &mut |value| {
            if !first {
                out.put(",");
            }
            first = false;
            put_canonical_value(out, value);
        });
        out.put("\n");
    }
    out.put("\n");
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.put(";");
        }
        out.put(name);
    }
    out.put("\n");
    let mut body_hash = [0u8; 64];
    out.put(hex_into(&Sha256::digest(request.body), &mut body_hash));
}

/// The canonical request for the headers the client says it signed.
pub fn canonical_request(request: &HttpRequest<'_>, signed_headers: &[&str]) -> String {
    let mut out = String::with_capacity(512);
    write_canonical_request(&mut out, request, signed_headers);
    out
}

/// The SHA-256 of the canonical request, computed without building it.
pub fn canonical_request_digest(request: &HttpRequest<'_>, signed_headers: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    write_canonical_request(&mut hasher, request, signed_headers);
    hasher.finalize().into()
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    string_to_sign_from_digest(amz_date, scope, &Sha256::digest(canonical_request.as_bytes()).into())
}

pub fn string_to_sign_from_digest(amz_date: &str, scope: &str, digest: &[u8; 32]) -> String {
    let mut hex = [0u8; 64];
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.push_str(hex_into(digest, &mut hex));
    out
}

/// Lower-case hex of 32 bytes, in a caller's buffer.
fn hex_into<'b>(bytes: &[u8], buffer: &'b mut [u8; 64]) -> &'b str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, &b) in bytes.iter().take(32).enumerate() {
        buffer[2 * i] = DIGITS[usize::from(b >> 4)];
        buffer[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    // INVARIANT: only ASCII hex digits were written.
    std::str::from_utf8(&buffer[..bytes.len().min(32) * 2]).unwrap_or_default()
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // INVARIANT: HMAC accepts keys of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// An HMAC already keyed with a signing key: cloning it skips the key's two
/// compression rounds on every request.
pub type KeyedMac = Hmac<Sha256>;

pub fn keyed_mac(key: &[u8; 32]) -> KeyedMac {
    // INVARIANT: HMAC accepts keys of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length")
}

/// Whether `signature_hex` is the signature of `string_to_sign` under `key`, compared
/// in constant time (the MAC's own verifier).
pub fn signature_matches(key: &[u8; 32], string_to_sign: &str, signature_hex: &str) -> bool {
    signature_matches_keyed(&keyed_mac(key), string_to_sign, signature_hex)
}

/// `signature_matches_keyed` over the string to sign's parts, fed to the MAC one by
/// one instead of being assembled.
pub fn signature_of_parts_matches(
    mac: &KeyedMac,
    amz_date: &str,
    scope: &str,
    digest: &[u8; 32],
    signature_hex: &str,
) -> bool {
    let Some(claimed) = unhex32(signature_hex) else {
        return false;
    };
    let mut hex = [0u8; 64];
    let mut mac = mac.clone();
    for part in [ALGORITHM, "\n", amz_date, "\n", scope, "\n", hex_into(digest, &mut hex)] {
        mac.update(part.as_bytes());
    }
    mac.verify_slice(&claimed).is_ok()
}

/// A 64-digit hex signature as its 32 bytes.
fn unhex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

pub fn signature_matches_keyed(mac: &KeyedMac, string_to_sign: &str, signature_hex: &str) -> bool {
    let Some(claimed) = unhex(signature_hex) else {
        return false;
    };
    let mut mac = mac.clone();
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

/// The signature of `string_to_sign` under `key`, as lower-case hex (for clients and tests).
pub fn sign(key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_header() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";
        let a = parse_authorization(h).unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.scope, "20150830/us-east-1/dynamodb/aws4_request");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert_eq!(a.signature, "abcd");
    }

    #[test]
    fn missing_parameters_are_listed_with_the_header() {
        let e = parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
        assert_eq!(
            e.message,
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request"
        );
    }

    #[test]
    fn other_algorithms_are_unsupported() {
        let e = parse_authorization("AWS AKID:signature").unwrap_err();
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
        assert_eq!(e.message, "Unsupported AWS 'algorithm': 'AWS'");
    }

    #[test]
    fn canonical_uri_normalizes_and_encodes_again() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query(Some("b=2&a=1&a=0")), "a=0&a=1&b=2");
        assert_eq!(canonical_query(Some("k=a b")), "k=a%20b");
        assert_eq!(canonical_query(Some("k=%7e")), "k=~");
        assert_eq!(canonical_query(None), "");
    }

    #[test]
    fn malformed_signatures_never_match() {
        let key = signing_key("secret", "20150830", "us-east-1", "dynamodb");
        let good = sign(&key, "text");
        assert!(signature_matches(&key, "text", &good));
        assert!(!signature_matches(&key, "text2", &good));
        assert!(!signature_matches(&key, "text", "zz"));
        assert!(!signature_matches(&key, "text", &good[..62]));
    }
}
