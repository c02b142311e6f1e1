//! Bytes as a stored item, as a stored key, and as request JSON: decoding and
//! validating must never panic.
#![no_main]

use cairn_model::codec::{decode_item, encode_item};
use cairn_model::keycodec::decode_key_value;
use cairn_model::value::{item_from_raw, item_size, ScalarType};
use cairn_model::wire::RawItem;
use cairn_model::Number;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(item) = decode_item(data) {
        assert_eq!(decode_item(&encode_item(&item)), Some(item));
    }
    for kind in [ScalarType::S, ScalarType::N, ScalarType::B] {
        let _ = decode_key_value(kind, data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(n) = Number::parse(text) {
            let _ = n.add(&n);
            assert_eq!(Number::parse(&n.to_string()).ok(), Some(n));
        }
        if let Ok(raw) = serde_json::from_str::<RawItem>(text) {
            if let Ok(item) = item_from_raw(raw) {
                let _ = item_size(&item);
                assert_eq!(decode_item(&encode_item(&item)), Some(item));
            }
        }
    }
});
