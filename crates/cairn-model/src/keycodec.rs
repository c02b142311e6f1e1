//! Order-preserving, self-delimiting encoding of key values.
//!
//! Byte order of the encoding equals DynamoDB's order of the values: strings and
//! binary by unsigned bytes, numbers numerically. So a Query's sort-key range is a
//! plain range scan, forward or reverse, over encoded keys.
//!
//! - S, B: bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01.
//! - N: a sign byte (0x01 negative, 0x02 zero, 0x03 positive), then for positives the
//!   biased exponent (u16, big-endian) and the digit bytes terminated by 0x00; for
//!   negatives the same bytes inverted and terminated by 0xFF, so larger magnitudes
//!   sort first.

use crate::number::Number;
use crate::value::{AttributeValue, ScalarType};

const STRING_END: [u8; 2] = [0x00, 0x01];
const ESCAPED_ZERO: [u8; 2] = [0x00, 0xFF];
const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;
const EXPONENT_BIAS: i32 = 0x8000;

/// Appends the encoding of a key value. Non-scalar values cannot be keys; the caller
/// has validated the key schema, so they are ignored here.
pub fn encode_key_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => encode_bytes(s.as_bytes(), out),
        AttributeValue::B(b) => encode_bytes(b, out),
        AttributeValue::N(n) => encode_number(n, out),
        _ => {}
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(&ESCAPED_ZERO);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&STRING_END);
}

fn encode_number(n: &Number, out: &mut Vec<u8>) {
    if n.is_zero() {
        out.push(ZERO);
        return;
    }
    // INVARIANT: Number keeps its exponent within [-130, 127], so the bias fits in u16.
    let exponent = (n.exponent() + EXPONENT_BIAS) as u16;
    if n.is_negative() {
        out.push(NEGATIVE);
        out.extend(exponent.to_be_bytes().iter().map(|b| !b));
        out.extend(n.significant_digits().iter().map(|b| !b));
        out.push(0xFF);
    } else {
        out.push(POSITIVE);
        out.extend_from_slice(&exponent.to_be_bytes());
        out.extend_from_slice(n.significant_digits());
        out.push(0x00);
    }
}

/// Decodes one value of a known type from the front of `input`; returns it and the
/// rest of the input, or None if the bytes are not a valid encoding.
pub fn decode_key_value(kind: ScalarType, input: &[u8]) -> Option<(AttributeValue, &[u8])> {
    match kind {
        ScalarType::S => {
            let (bytes, rest) = decode_bytes(input)?;
            Some((AttributeValue::S(String::from_utf8(bytes).ok()?), rest))
        }
        ScalarType::B => {
            let (bytes, rest) = decode_bytes(input)?;
            Some((AttributeValue::B(bytes), rest))
        }
        ScalarType::N => {
            let (n, rest) = decode_number(input)?;
            Some((AttributeValue::N(n), rest))
        }
    }
}

fn decode_bytes(input: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        if input[i] == 0 {
            match input.get(i + 1)? {
                0xFF => out.push(0),
                0x01 => return Some((out, &input[i + 2..])),
                _ => return None,
            }
            i += 2;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    None
}

fn decode_number(input: &[u8]) -> Option<(Number, &[u8])> {
    let (&sign, rest) = input.split_first()?;
    if sign == ZERO {
        return Some((Number::zero(), rest));
    }
    let negative = match sign {
        NEGATIVE => true,
        POSITIVE => false,
        _ => return None,
    };
    let flip = |b: u8| if negative { !b } else { b };
    let exponent_bytes = [flip(*rest.first()?), flip(*rest.get(1)?)];
    let exponent = i32::from(u16::from_be_bytes(exponent_bytes)) - EXPONENT_BIAS;
    let rest = &rest[2..];
    let terminator = if negative { 0xFF } else { 0x00 };
    let end = rest.iter().position(|&b| b == terminator)?;
    let digits: Vec<u8> = rest[..end].iter().map(|&b| flip(b)).collect();
    let number = Number::from_parts(negative, digits, exponent)?;
    Some((number, &rest[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(v: &AttributeValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(v, &mut out);
        out
    }

    fn num(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn numbers_sort_numerically() {
        let ordered = [
            "-1E+125",
            "-100",
            "-10",
            "-9.5",
            "-1",
            "-0.11",
            "-0.1",
            "0",
            "1E-130",
            "0.1",
            "0.11",
            "1",
            "9.5",
            "10",
            "100",
            "99999999999999999999999999999999999999",
        ];
        for w in ordered.windows(2) {
            assert!(enc(&num(w[0])) < enc(&num(w[1])), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn strings_sort_by_unsigned_bytes_and_prefixes_first() {
        let s = |x: &str| AttributeValue::S(x.to_string());
        assert!(enc(&s("a")) < enc(&s("a\0")));
        assert!(enc(&s("a\0")) < enc(&s("a\u{1}")));
        assert!(enc(&s("ab")) < enc(&s("b")));
        assert!(enc(&s("Z")) < enc(&s("a")));
        assert!(enc(&s("z")) < enc(&s("é")));
    }

    proptest! {
        #[test]
        fn string_order_and_round_trip(a in ".*", b in ".*") {
            let (ea, eb) = (enc(&AttributeValue::S(a.clone())), enc(&AttributeValue::S(b.clone())));
            prop_assert_eq!(a.as_bytes().cmp(b.as_bytes()), ea.cmp(&eb));
            let (decoded, rest) = decode_key_value(ScalarType::S, &ea).unwrap();
            prop_assert_eq!(decoded, AttributeValue::S(a));
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn number_order_and_round_trip(a in -1.0e30f64..1.0e30, b in -1.0e30f64..1.0e30) {
            let (na, nb) = (Number::parse(&format!("{a:e}")).unwrap(), Number::parse(&format!("{b:e}")).unwrap());
            let (ea, eb) = (enc(&AttributeValue::N(na.clone())), enc(&AttributeValue::N(nb.clone())));
            prop_assert_eq!(na.cmp(&nb), ea.cmp(&eb));
            let (decoded, _) = decode_key_value(ScalarType::N, &ea).unwrap();
            prop_assert_eq!(decoded, AttributeValue::N(na));
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for kind in [ScalarType::S, ScalarType::N, ScalarType::B] {
                let _ = decode_key_value(kind, &bytes);
            }
        }
    }
}
