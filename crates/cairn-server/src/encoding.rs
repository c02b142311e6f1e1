//! Content codings: request bodies compressed with gzip or deflate (several in
//! sequence, as `Content-Encoding: gzip, deflate` lists them), and responses
//! compressed when the client's `Accept-Encoding` asks and the body is large enough
//! to gain (DynamoDB compresses past about 4 KB). DynamoDB answers an unknown coding
//! or a corrupt compressed body with a 500 and executes nothing.

use cairn_model::{ApiError, ErrorKind};
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::{Read, Write};

/// Responses smaller than this are sent as they are.
const COMPRESS_FROM_BYTES: usize = 4096;

fn undecodable() -> ApiError {
    ApiError::internal("The server encountered an internal error trying to fulfill the request.")
}

/// Reads a decoder to its end, refusing output past `limit` bytes (a small body must
/// not inflate into an unbounded one).
fn inflate(mut decoder: impl Read, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    (&mut decoder)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| undecodable())?;
    if out.len() > limit {
        return Err(ApiError::new(
            ErrorKind::RequestEntityTooLarge,
            "Request body is larger than the 16 MB DynamoDB accepts",
        ));
    }
    Ok(out)
}

/// Undoes the codings a `Content-Encoding` header lists, last applied first.
pub(crate) fn decode_body(content_encoding: Option<&str>, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, ApiError> {
    let Some(header) = content_encoding else {
        return Ok(body);
    };
    let codings: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut body = body;
    for coding in codings.iter().rev() {
        body = match coding.as_str() {
            "gzip" | "x-gzip" => inflate(GzDecoder::new(body.as_slice()), limit)?,
            // HTTP's "deflate" is a zlib stream; some clients send raw deflate.
            "deflate" => inflate(ZlibDecoder::new(body.as_slice()), limit)
                .or_else(|_| inflate(DeflateDecoder::new(body.as_slice()), limit))?,
            _ => return Err(undecodable()),
        };
    }
    Ok(body)
}

/// Whether `accept` (an Accept-Encoding value) admits `coding` with a non-zero q.
fn accepts(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

/// The body compressed for the client, with its coding, when it asked and it pays.
pub(crate) fn compress_response(accept_encoding: Option<&str>, body: &[u8]) -> Option<(&'static str, Vec<u8>)> {
    let accept = accept_encoding?;
    if body.len() < COMPRESS_FROM_BYTES {
        return None;
    }
    if accepts(accept, "gzip") {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
        encoder.write_all(body).ok()?;
        return Some(("gzip", encoder.finish().ok()?));
    }
    if accepts(accept, "deflate") {
        let mut encoder = ZlibEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
        encoder.write_all(body).ok()?;
        return Some(("deflate", encoder.finish().ok()?));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn codings_are_undone_last_first() {
        let body = zlib(&gzip(b"{}"));
        assert_eq!(decode_body(Some("gzip, deflate"), body, 100).unwrap(), b"{}");
        assert_eq!(decode_body(Some("identity"), b"{}".to_vec(), 100).unwrap(), b"{}");
    }

    #[test]
    fn unknown_codings_and_corrupt_bodies_are_internal_errors() {
        assert_eq!(
            decode_body(Some("br"), b"{}".to_vec(), 100).unwrap_err().kind,
            ErrorKind::InternalServerError
        );
        assert_eq!(
            decode_body(Some("gzip"), b"{}".to_vec(), 100).unwrap_err().kind,
            ErrorKind::InternalServerError
        );
    }

    #[test]
    fn a_body_inflating_past_the_limit_is_too_large() {
        let bomb = gzip(&vec![b' '; 10_000]);
        assert_eq!(
            decode_body(Some("gzip"), bomb, 1000).unwrap_err().kind,
            ErrorKind::RequestEntityTooLarge
        );
    }

    #[test]
    fn responses_are_compressed_only_when_asked_and_large() {
        let big = vec![b'a'; 5000];
        assert_eq!(compress_response(Some("gzip"), &big).unwrap().0, "gzip");
        assert_eq!(compress_response(Some("deflate"), &big).unwrap().0, "deflate");
        assert!(compress_response(Some("gzip;q=0"), &big).is_none());
        assert!(compress_response(None, &big).is_none());
        assert!(compress_response(Some("gzip"), b"{}").is_none());
        assert!(compress_response(Some("br"), &big).is_none());
    }
}
