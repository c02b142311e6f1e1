//! The record formats of exports, imports and bulk operations: DynamoDB JSON lines
//! (`{"Item":{...}}`), Ion text (`ion.rs`) and CSV; and their compressions.

use super::ion;
use cairn_model::value::item_from_raw;
use cairn_model::value::ScalarType;
use cairn_model::wire::RawItem;
use cairn_model::{AttributeValue, Item};
use serde::Deserialize;
use std::io::Read;

/// Largest object an import reads (stored, and after decompression): objects are
/// read whole, so this bounds memory and compression bombs. Larger inputs are
/// split into several objects.
pub const MAX_OBJECT_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DynamoDbJson,
    Ion,
    Csv,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "DYNAMODB_JSON" => Some(Format::DynamoDbJson),
            "ION" => Some(Format::Ion),
            "CSV" => Some(Format::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn parse(name: &str) -> Option<Compression> {
        match name {
            "NONE" => Some(Compression::None),
            "GZIP" => Some(Compression::Gzip),
            "ZSTD" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Decompresses a whole object, refusing more than `MAX_OBJECT_BYTES` of output.
pub fn decompress(data: &[u8], compression: Compression) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    let mut out = Vec::new();
    let limit = MAX_OBJECT_BYTES + 1;
    let too_big = || "the object is larger than 1 GiB; split it".to_string();
    let read = match compression {
        Compression::None if data.len() as u64 > MAX_OBJECT_BYTES => return Err(too_big()),
        Compression::None => return Ok(std::borrow::Cow::Borrowed(data)),
        Compression::Gzip => flate2::read::MultiGzDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out),
        Compression::Zstd => zstd::stream::read::Decoder::new(data).and_then(|d| d.take(limit).read_to_end(&mut out)),
    };
    read.map_err(|e| format!("the object cannot be decompressed: {e}"))?;
    if out.len() as u64 > MAX_OBJECT_BYTES {
        return Err(too_big());
    }
    Ok(std::borrow::Cow::Owned(out))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

// ---------------------------------------------------------------- DynamoDB JSON

/// One item as a DynamoDB JSON line (without the newline).
pub fn json_item_line(item: &Item) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(rename = "Item")]
        item: &'a Item,
    }
    serde_json::to_string(&Line { item }).unwrap_or_default()
}

/// Reads `{"Item":{...}}` (serde_json bounds the nesting it follows).
pub fn json_item(line: &[u8]) -> Result<Item, String> {
    #[derive(Deserialize)]
    struct Line {
        #[serde(rename = "Item")]
        item: Option<RawItem>,
    }
    let line: Line = serde_json::from_slice(line).map_err(|e| format!("not DynamoDB JSON: {e}"))?;
    let raw = line.item.ok_or("the line has no Item")?;
    item_from_raw(raw).map_err(|e| e.message)
}

// ---------------------------------------------------------------- CSV

/// How an import reads CSV: the delimiter, the column names (from the request, or
/// the first line of each object), and the type of each key attribute (every other
/// column is a string).
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub header: Option<Vec<String>>,
    pub key_types: Vec<(String, ScalarType)>,
}

/// Splits CSV text into records of fields (RFC 4180 quoting; `""` is a quote inside
/// a quoted field). Each record carries whether it parsed.
pub fn csv_records(text: &[u8], delimiter: u8) -> Vec<Result<Vec<String>, String>> {
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let mut quoted = false;
        let mut error = None;
        let mut at_field_start = true;
        loop {
            let Some(&b) = text.get(pos) else {
                if quoted {
                    error = Some("unterminated quoted field".to_string());
                }
                break;
            };
            pos += 1;
            if quoted {
                if b == b'"' {
                    if text.get(pos) == Some(&b'"') {
                        field.push(b'"');
                        pos += 1;
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(b);
                }
                continue;
            }
            match b {
                b'"' if at_field_start => {
                    quoted = true;
                    at_field_start = false;
                }
                b'\n' => break,
                b'\r' if text.get(pos) == Some(&b'\n') => {}
                b if b == delimiter => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                }
                b => {
                    field.push(b);
                    at_field_start = false;
                }
            }
        }
        fields.push(field);
        let record: Result<Vec<String>, String> = match error {
            Some(e) => Err(e),
            None => fields
                .into_iter()
                .map(|f| String::from_utf8(f).map_err(|_| "the line is not UTF-8".to_string()))
                .collect(),
        };
        // Blank lines are not records.
        if !matches!(&record, Ok(f) if f.len() == 1 && f[0].is_empty()) {
            records.push(record);
        }
    }
    records
}

/// One CSV record as an item: empty fields are left out; key columns take the type
/// the table defines for them (a number key must parse as a number, a binary key
/// as base64).
pub fn csv_item(header: &[String], fields: Vec<String>, options: &CsvOptions) -> Result<Item, String> {
    if fields.len() > header.len() {
        return Err(format!(
            "the line has {} fields but the header names {}",
            fields.len(),
            header.len()
        ));
    }
    let mut item = Item::new();
    for (name, text) in header.iter().zip(fields) {
        if text.is_empty() {
            continue;
        }
        let kind = options.key_types.iter().find(|(k, _)| k == name).map(|(_, t)| *t);
        let value = match kind {
            Some(ScalarType::N) => {
                AttributeValue::N(cairn_model::number::Number::parse(text.trim()).map_err(|e| e.message().to_string())?)
            }
            Some(ScalarType::B) => {
                use base64::Engine as _;
                AttributeValue::B(
                    base64::engine::general_purpose::STANDARD
                        .decode(text.trim())
                        .map_err(|e| format!("binary key is not base64: {e}"))?,
                )
            }
            _ => AttributeValue::S(text),
        };
        item.insert(name.clone(), value);
    }
    Ok(item)
}

// ---------------------------------------------------------------- records of an object

/// Every record of one (decompressed) object, in order, each an item or why not.
pub fn records(text: &[u8], format: Format, csv: Option<&CsvOptions>) -> Vec<Result<Item, String>> {
    record_iter(text, format, csv).collect()
}

/// The records of one (decompressed) object, read as they are consumed.
pub fn record_iter<'a>(
    text: &'a [u8],
    format: Format,
    csv: Option<&'a CsvOptions>,
) -> Box<dyn Iterator<Item = Result<Item, String>> + 'a> {
    match format {
        Format::DynamoDbJson => Box::new(
            text.split(|&b| b == b'\n')
                .filter(|line| !line.iter().all(|b| b.is_ascii_whitespace()))
                .map(json_item),
        ),
        Format::Ion => {
            let mut reader = ion::Reader::new(text);
            Box::new(std::iter::from_fn(move || reader.next_value()).map(|value| value.and_then(ion::item_of)))
        }
        Format::Csv => {
            let options = csv.cloned().unwrap_or(CsvOptions {
                delimiter: b',',
                header: None,
                key_types: Vec::new(),
            });
            let mut records = csv_records(text, options.delimiter).into_iter();
            let header = match &options.header {
                Some(h) => h.clone(),
                None => match records.next() {
                    Some(Ok(h)) => h,
                    Some(Err(e)) => return Box::new(std::iter::once(Err(format!("bad header line: {e}")))),
                    None => return Box::new(std::iter::empty()),
                },
            };
            Box::new(records.map(move |r| r.and_then(|fields| csv_item(&header, fields, &options))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        let raw: RawItem = serde_json::from_str(json).expect("json");
        item_from_raw(raw).expect("item")
    }

    #[test]
    fn json_lines_round_trip() {
        let original = item(r#"{"pk":{"S":"a"},"n":{"N":"1.5"},"b":{"B":"AAE="},"l":{"L":[{"NULL":true}]}}"#);
        let line = json_item_line(&original);
        assert!(line.starts_with(r#"{"Item":{"#), "{line}");
        assert_eq!(json_item(line.as_bytes()).expect("parses"), original);
    }

    #[test]
    fn json_lines_that_are_not_items_are_errors() {
        for bad in [
            &b"{"[..],
            b"{\"Items\":{}}",
            b"{\"Item\":{\"a\":{\"S\":\"x\",\"N\":\"1\"}}}",
            b"[1]",
        ] {
            assert!(json_item(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(json_item(b"{\"Item\":{}}").expect("an empty item parses"), Item::new());
    }

    #[test]
    fn csv_header_comes_from_the_first_line_unless_given() {
        let options = CsvOptions {
            delimiter: b',',
            header: None,
            key_types: vec![("id".to_string(), ScalarType::N)],
        };
        let got = records(
            b"id,name,note\n1,\"Smith, J\",\n2,x,\"say \"\"hi\"\"\"\n",
            Format::Csv,
            Some(&options),
        );
        let got: Vec<Item> = got.into_iter().map(|r| r.expect("valid")).collect();
        assert_eq!(
            got,
            [
                item(r#"{"id":{"N":"1"},"name":{"S":"Smith, J"}}"#),
                item(r#"{"id":{"N":"2"},"name":{"S":"x"},"note":{"S":"say \"hi\""}}"#)
            ]
        );
        let given = CsvOptions {
            delimiter: b'|',
            header: Some(vec!["id".to_string(), "name".to_string()]),
            key_types: vec![],
        };
        let got = records(b"1|a\r\n2|b\r\n", Format::Csv, Some(&given));
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1].clone().expect("valid"),
            item(r#"{"id":{"S":"2"},"name":{"S":"b"}}"#)
        );
    }

    #[test]
    fn csv_lines_with_too_many_fields_or_bad_keys_are_errors() {
        let options = CsvOptions {
            delimiter: b',',
            header: Some(vec!["id".to_string(), "v".to_string()]),
            key_types: vec![("id".to_string(), ScalarType::N)],
        };
        let got = records(b"1,a\n1,a,extra\nx,a\n\"open,a\n", Format::Csv, Some(&options));
        let ok: Vec<bool> = got.iter().map(|r| r.is_ok()).collect();
        assert_eq!(ok, [true, false, false, false]);
    }

    #[test]
    fn gzip_and_zstd_objects_decompress() {
        let data = b"{\"Item\":{}}\n".repeat(100);
        assert_eq!(*decompress(&gzip(&data), Compression::Gzip).expect("gzip"), data[..]);
        let z = zstd::encode_all(&data[..], 3).expect("zstd");
        assert_eq!(*decompress(&z, Compression::Zstd).expect("zstd"), data[..]);
        assert!(decompress(b"not gzip", Compression::Gzip).is_err());
    }
}
