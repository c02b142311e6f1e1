//! Compact binary encoding of items for storage (not JSON: smaller, and no base64 or
//! number re-parsing on read). Decoding corrupt bytes returns None, never panics.

use crate::item_limits::stored_value_depth_readable;
use crate::number::Number;
use crate::value::{AttributeValue, Item};

pub(crate) const TAG_S: u8 = 1;
pub(crate) const TAG_N: u8 = 2;
pub(crate) const TAG_B: u8 = 3;
pub(crate) const TAG_FALSE: u8 = 4;
pub(crate) const TAG_TRUE: u8 = 5;
pub(crate) const TAG_NULL: u8 = 6;
pub(crate) const TAG_M: u8 = 7;
pub(crate) const TAG_L: u8 = 8;
pub(crate) const TAG_SS: u8 = 9;
pub(crate) const TAG_NS: u8 = 10;
pub(crate) const TAG_BS: u8 = 11;
/// Format version byte at the front of every encoded item.
pub(crate) const VERSION: u8 = 1;

pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(VERSION);
    encode_map(item, &mut out);
    out
}

pub fn decode_item(bytes: &[u8]) -> Option<Item> {
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION {
        return None;
    }
    let mut reader = Reader { input: rest };
    let item = reader.map(0)?;
    reader.input.is_empty().then_some(item)
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(b: &[u8], out: &mut Vec<u8>) {
    put_varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn put_number(n: &Number, out: &mut Vec<u8>) {
    out.push(u8::from(n.is_negative()));
    let e = n.exponent();
    put_varint(((e << 1) ^ (e >> 31)) as u32 as u64, out);
    put_bytes(n.significant_digits(), out);
}

fn encode_map(map: &Item, out: &mut Vec<u8>) {
    put_varint(map.len() as u64, out);
    for (name, value) in map {
        put_bytes(name.as_bytes(), out);
        encode_value(value, out);
    }
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            put_bytes(s.as_bytes(), out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            put_number(n, out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            put_bytes(b, out);
        }
        AttributeValue::Bool(b) => out.push(if *b { TAG_TRUE } else { TAG_FALSE }),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::M(m) => {
            out.push(TAG_M);
            encode_map(m, out);
        }
        AttributeValue::L(l) => {
            out.push(TAG_L);
            put_varint(l.len() as u64, out);
            l.iter().for_each(|v| encode_value(v, out));
        }
        AttributeValue::Ss(ss) => {
            out.push(TAG_SS);
            put_varint(ss.len() as u64, out);
            ss.iter().for_each(|s| put_bytes(s.as_bytes(), out));
        }
        AttributeValue::Ns(ns) => {
            out.push(TAG_NS);
            put_varint(ns.len() as u64, out);
            ns.iter().for_each(|n| put_number(n, out));
        }
        AttributeValue::Bs(bs) => {
            out.push(TAG_BS);
            put_varint(bs.len() as u64, out);
            bs.iter().for_each(|b| put_bytes(b, out));
        }
    }
}

pub(crate) struct Reader<'a> {
    pub(crate) input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.input.split_first()?;
        self.input = rest;
        Some(b)
    }

    pub(crate) fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A length that cannot exceed the remaining input, so corrupt lengths cannot
    /// trigger huge allocations.
    pub(crate) fn length(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.input.len()).then_some(n)
    }

    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.length()?;
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Some(head)
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    pub(crate) fn number(&mut self) -> Option<Number> {
        let negative = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let zigzag = u32::try_from(self.varint()?).ok()?;
        let exponent = ((zigzag >> 1) as i32) ^ -((zigzag & 1) as i32);
        Number::from_parts(negative, self.bytes()?.to_vec(), exponent)
    }

    fn map(&mut self, depth: usize) -> Option<Item> {
        let count = self.length()?;
        let mut item = Item::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.value(depth)?;
            item.insert(name, value);
        }
        Some(item)
    }

    fn value(&mut self, depth: usize) -> Option<AttributeValue> {
        // The reader's side of the write path's depth rule (item_limits), so every
        // item Cairn stores decodes; anything deeper is corruption, refused before it
        // can recurse further.
        if !stored_value_depth_readable(depth) {
            return None;
        }
        Some(match self.byte()? {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.bytes()?.to_vec()),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_NULL => AttributeValue::Null,
            TAG_M => AttributeValue::M(self.map(depth + 1)?),
            TAG_L => {
                let count = self.length()?;
                let mut list = Vec::with_capacity(count);
                for _ in 0..count {
                    list.push(self.value(depth + 1)?);
                }
                AttributeValue::L(list)
            }
            TAG_SS => {
                let count = self.length()?;
                AttributeValue::Ss((0..count).map(|_| self.string()).collect::<Option<_>>()?)
            }
            TAG_NS => {
                let count = self.length()?;
                AttributeValue::Ns((0..count).map(|_| self.number()).collect::<Option<_>>()?)
            }
            TAG_BS => {
                let count = self.length()?;
                AttributeValue::Bs(
                    (0..count)
                        .map(|_| self.bytes().map(<[u8]>::to_vec))
                        .collect::<Option<_>>()?,
                )
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RawValue;
    use proptest::prelude::*;

    #[test]
    fn round_trips_a_nested_item() {
        let raw: RawValue = serde_json::from_str(
            r#"{"M":{"a":{"S":"x"},"b":{"N":"-12.5e-3"},"c":{"L":[{"NULL":true},{"BOOL":false},{"B":"AAE="}]},"d":{"SS":["p","q"]},"e":{"NS":["1","-2"]},"f":{"BS":["AA=="]},"g":{"M":{}}}}"#,
        )
        .unwrap();
        let AttributeValue::M(item) = AttributeValue::from_raw(raw).unwrap() else {
            panic!()
        };
        assert_eq!(decode_item(&encode_item(&item)), Some(item));
    }

    proptest! {
        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_item(&bytes);
        }
    }
}
