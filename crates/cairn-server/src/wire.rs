//! JSON in and out: decoding request bodies into typed inputs, and writing outputs
//! and errors the way DynamoDB does.

use cairn_model::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Decodes a request body. Malformed JSON or a wrongly typed field is a
/// SerializationException; an empty body is an empty request.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let message = match e.classify() {
            serde_json::error::Category::Data => type_mismatch(strip_position(&e.to_string())),
            _ => "Start of structure or map found where not expected.".to_string(),
        };
        ApiError::serialization(message)
    })
}

/// DynamoDB's words for a JSON value of the wrong kind (as recorded from its
/// responses), from serde's "invalid type: <found>, expected <wanted>".
fn type_mismatch(serde_message: &str) -> String {
    let found = serde_message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "));
    match found {
        Some((found, wanted))
            if wanted.starts_with("a string")
                && (found.starts_with("integer") || found.starts_with("floating point")) =>
        {
            "NUMBER_VALUE cannot be converted to String".to_string()
        }
        Some((found, _)) if found.starts_with("map") => {
            "Start of structure or map found where not expected".to_string()
        }
        Some((found, _)) if found.starts_with("sequence") => "Start of list found where not expected".to_string(),
        _ => format!("Unexpected value type in request: {serde_message}"),
    }
}

/// serde_json appends " at line L column C"; DynamoDB's messages carry no position.
fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map_or(message, |i| &message[..i])
}

pub(crate) fn encode<T: Serialize>(output: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(output).map_err(|e| ApiError::internal(format!("response encoding failed: {e}")))
}

/// The error body DynamoDB sends: `{"__type": "<namespace>#<Kind>", "message": "..."}`
/// (`Message` for AccessDeniedException), plus the item for a failed condition that
/// asked for it.
pub(crate) fn error_body(error: &ApiError) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert(
        "__type".to_string(),
        format!("{}#{}", error.kind.namespace(), error.kind.name()).into(),
    );
    body.insert(error.kind.message_field().to_string(), error.message.clone().into());
    let mut bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    for (name, json) in &error.extra {
        // Splice `,"Name":<json>` before the closing brace.
        bytes.pop();
        bytes.extend_from_slice(format!(",\"{name}\":").as_bytes());
        bytes.extend_from_slice(json.as_bytes());
        bytes.push(b'}');
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_model::types::PutItemInput;
    use cairn_model::ErrorKind;

    #[test]
    fn malformed_and_mistyped_json_are_serialization_errors() {
        for body in [
            &b"{"[..],
            b"[1,2]",
            b"{\"TableName\": 5}",
            b"{\"Item\": {\"a\": {\"S\": 1}}}",
            b"nul",
        ] {
            let e = decode::<PutItemInput>(body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Serialization, "{:?}", String::from_utf8_lossy(body));
        }
        assert!(decode::<PutItemInput>(b"").is_ok());
    }

    #[test]
    fn error_body_names_kind_with_namespace() {
        let body = error_body(&ApiError::table_not_found());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["__type"],
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
        assert_eq!(v["message"], "Requested resource not found");
    }
}
