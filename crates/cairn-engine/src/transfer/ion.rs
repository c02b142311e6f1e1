//! The Amazon Ion text that DynamoDB exports and imports: one top-level struct per
//! item (`$ion_1_0 {Item:{...}}`), numbers as decimals, binaries as blobs, sets as
//! lists annotated `$dynamodb_SS`, `$dynamodb_NS` or `$dynamodb_BS`.
//!
//! The reader takes the text subset those files use (structs, lists, strings, symbols,
//! annotations, integers, decimals, floats, blobs, booleans, nulls, comments) and
//! refuses the rest; it is bounded in depth and never panics on any input.

use base64::Engine as _;
use cairn_model::number::Number;
use cairn_model::wire::RawValue;
use cairn_model::{AttributeValue, Item};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Deepest nesting the reader follows (DynamoDB's item limit is 32 levels; the
/// `Item` wrapper and the top-level struct add two).
const MAX_DEPTH: usize = 40;

// ---------------------------------------------------------------- writing

/// Appends `value` as Ion text.
pub fn write_value(out: &mut String, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) => write_string(out, s),
        AttributeValue::N(n) => write_decimal(out, n),
        AttributeValue::B(b) => write_blob(out, b),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Null => out.push_str("null"),
        AttributeValue::M(m) => write_struct(out, m),
        AttributeValue::L(l) => {
            out.push('[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        AttributeValue::Ss(ss) => {
            out.push_str("$dynamodb_SS::[");
            for (i, s) in ss.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, s);
            }
            out.push(']');
        }
        AttributeValue::Ns(ns) => {
            out.push_str("$dynamodb_NS::[");
            for (i, n) in ns.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_decimal(out, n);
            }
            out.push(']');
        }
        AttributeValue::Bs(bs) => {
            out.push_str("$dynamodb_BS::[");
            for (i, b) in bs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_blob(out, b);
            }
            out.push(']');
        }
    }
}

/// Appends an item (or map) as an Ion struct.
pub fn write_struct(out: &mut String, item: &Item) {
    out.push('{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_symbol(out, name);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(s, "null" | "true" | "false" | "nan")
        // `$` followed by digits is a symbol id, not a name.
        && !(s.starts_with('$') && s[1..].chars().all(|c| c.is_ascii_digit()))
}

fn write_symbol(out: &mut String, name: &str) {
    if is_identifier(name) {
        out.push_str(name);
    } else {
        out.push('\'');
        escape_into(out, name, '\'');
        out.push('\'');
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    escape_into(out, s, '"');
    out.push('"');
}

fn escape_into(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A DynamoDB number as an Ion decimal: `103.`, `1.5`, `1.5d-130`.
fn write_decimal(out: &mut String, n: &Number) {
    let text = n.to_string();
    match text.split_once(['E', 'e']) {
        Some((mantissa, exponent)) => {
            out.push_str(mantissa);
            if !mantissa.contains('.') {
                out.push('.');
            }
            out.push('d');
            out.push_str(exponent.trim_start_matches('+'));
        }
        None => {
            out.push_str(&text);
            if !text.contains('.') {
                out.push('.');
            }
        }
    }
}

fn write_blob(out: &mut String, bytes: &[u8]) {
    out.push_str("{{");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
    out.push_str("}}");
}

// ---------------------------------------------------------------- reading

/// An Ion value, as far as DynamoDB's files use them.
#[derive(Debug, Clone, PartialEq)]
pub enum Ion {
    Null,
    Bool(bool),
    /// An integer, decimal or float, as DynamoDB number text.
    Number(String),
    String(String),
    Symbol(String),
    Blob(Vec<u8>),
    List(Vec<Ion>, Vec<String>),
    Struct(Vec<(String, Ion)>),
}

/// Reads Ion text one top-level value at a time.
pub struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a [u8]) -> Reader<'a> {
        Reader { text, pos: 0 }
    }

    /// Byte offset of the next unread value.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next top-level value (skipping version markers), None at the end.
    pub fn next_value(&mut self) -> Option<Result<Ion, String>> {
        loop {
            if let Err(e) = self.skip_space() {
                // Only an unterminated comment fails here: nothing after it can be
                // read, so the reader ends.
                self.pos = self.text.len();
                return Some(Err(e));
            }
            if self.pos >= self.text.len() {
                return None;
            }
            let start = self.pos;
            let value = self.value(0);
            match value {
                Ok(Ion::Symbol(s)) if s == "$ion_1_0" => continue,
                Ok(v) => return Some(Ok(v)),
                Err(e) => {
                    // Resynchronise at the next line so one bad value costs one error.
                    let rest = &self.text[start..];
                    self.pos = match rest.iter().position(|&b| b == b'\n') {
                        Some(i) => start + i + 1,
                        None => self.text.len(),
                    };
                    return Some(Err(e));
                }
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'*') => {
                    let rest = &self.text[self.pos + 2..];
                    match rest.windows(2).position(|w| w == b"*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => return Err("unterminated comment".to_string()),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_space()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", byte as char, self.pos))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Ion, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deep".to_string());
        }
        self.skip_space()?;
        let mut annotations = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err("unexpected end of input".to_string());
            };
            let value = match b {
                b'{' if self.text.get(self.pos + 1) == Some(&b'{') => self.blob()?,
                b'{' => self.structure(depth)?,
                b'[' => self.list(depth)?,
                b'"' => Ion::String(self.quoted(b'"')?),
                b'\'' if self.text[self.pos..].starts_with(b"'''") => Ion::String(self.long_strings()?),
                b'\'' => Ion::Symbol(self.quoted(b'\'')?),
                b'-' | b'+' | b'0'..=b'9' => self.number()?,
                b if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                    let word = self.identifier();
                    match word.as_str() {
                        "true" => Ion::Bool(true),
                        "false" => Ion::Bool(false),
                        "null" => {
                            // Typed nulls (`null.string`) are nulls too.
                            if self.peek() == Some(b'.') {
                                self.pos += 1;
                                self.identifier();
                            }
                            Ion::Null
                        }
                        "nan" => return Err("nan is not a DynamoDB number".to_string()),
                        _ => Ion::Symbol(word),
                    }
                }
                other => return Err(format!("unexpected '{}' at byte {}", other as char, self.pos)),
            };
            // `symbol::` starts an annotation on the value that follows.
            let save = self.pos;
            // A look ahead for `::`; trouble after the value is the next value's.
            let ahead = self.skip_space().is_ok();
            if let (true, Ion::Symbol(name)) = (ahead, &value) {
                if self.text[self.pos..].starts_with(b"::") {
                    self.pos += 2;
                    self.skip_space()?;
                    annotations.push(name.clone());
                    if annotations.len() > 8 {
                        return Err("too many annotations".to_string());
                    }
                    continue;
                }
            }
            self.pos = save;
            return Ok(match value {
                Ion::List(items, _) => Ion::List(items, annotations),
                other => other,
            });
        }
    }

    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()
    }

    fn structure(&mut self, depth: usize) -> Result<Ion, String> {
        self.pos += 1;
        let mut fields = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Ion::Struct(fields));
            }
            let name = match self.peek() {
                Some(b'"') => self.quoted(b'"')?,
                Some(b'\'') => self.quoted(b'\'')?,
                Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => self.identifier(),
                _ => return Err(format!("expected a field name at byte {}", self.pos)),
            };
            self.expect(b':')?;
            let value = self.value(depth + 1)?;
            fields.push((name, value));
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(format!("expected ',' or '}}' at byte {}", self.pos)),
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Ion, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Ion::List(items, Vec::new()));
            }
            items.push(self.value(depth + 1)?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(format!("expected ',' or ']' at byte {}", self.pos)),
            }
        }
    }

    fn blob(&mut self) -> Result<Ion, String> {
        self.pos += 2;
        let start = self.pos;
        let end = self.text[start..]
            .windows(2)
            .position(|w| w == b"}}")
            .ok_or("unterminated blob")?;
        self.pos = start + end + 2;
        let encoded: Vec<u8> = self.text[start..start + end]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if encoded.first() == Some(&b'"') {
            return Err("clobs are not DynamoDB values".to_string());
        }
        base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .map(Ion::Blob)
            .map_err(|e| format!("bad blob: {e}"))
    }

    /// `'''...'''` strings, adjacent ones joined.
    fn long_strings(&mut self) -> Result<String, String> {
        let mut out = String::new();
        while self.text[self.pos..].starts_with(b"'''") {
            self.pos += 3;
            loop {
                if self.text[self.pos..].starts_with(b"'''") {
                    self.pos += 3;
                    break;
                }
                match self.peek() {
                    None => return Err("unterminated long string".to_string()),
                    Some(b'\\') => out.push(self.escape()?),
                    Some(_) => out.push(self.utf8_char()?),
                }
            }
            let save = self.pos;
            self.skip_space()?;
            if !self.text[self.pos..].starts_with(b"'''") {
                self.pos = save;
            }
        }
        Ok(out)
    }

    fn quoted(&mut self, quote: u8) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return Err("unterminated string".to_string()),
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => out.push(self.utf8_char()?),
            }
        }
    }

    fn utf8_char(&mut self) -> Result<char, String> {
        let rest = &self.text[self.pos..self.text.len().min(self.pos + 4)];
        let valid = match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or(""),
        };
        let c = valid.chars().next().ok_or("invalid UTF-8")?;
        self.pos += c.len_utf8();
        Ok(c)
    }

    fn escape(&mut self) -> Result<char, String> {
        self.pos += 1;
        let Some(b) = self.peek() else {
            return Err("unterminated escape".to_string());
        };
        self.pos += 1;
        let hex = |reader: &mut Self, n: usize| -> Result<char, String> {
            let digits = reader
                .text
                .get(reader.pos..reader.pos + n)
                .and_then(|d| std::str::from_utf8(d).ok())
                .ok_or("short escape")?;
            let code = u32::from_str_radix(digits, 16).map_err(|_| "bad escape")?;
            reader.pos += n;
            char::from_u32(code).ok_or_else(|| "escape is not a character".to_string())
        };
        Ok(match b {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'v' => '\u{b}',
            b'\\' | b'"' | b'\'' | b'/' | b'?' => b as char,
            b'x' => hex(self, 2)?,
            b'u' => hex(self, 4)?,
            b'U' => hex(self, 8)?,
            other => return Err(format!("unknown escape \\{}", other as char)),
        })
    }

    fn number(&mut self) -> Result<Ion, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
        {
            self.pos += 1;
            if self.pos - start > 512 {
                return Err("number too long".to_string());
            }
        }
        let text = std::str::from_utf8(&self.text[start..self.pos]).map_err(|_| "bad number")?;
        number_text(text).map(Ion::Number)
    }
}

/// Ion numeric text (`103.`, `1_000`, `1.5d-3`, `2e10`) as DynamoDB number text.
fn number_text(ion: &str) -> Result<String, String> {
    let bad = || format!("not a decimal number: {ion}");
    let cleaned: String = ion.chars().filter(|&c| c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    if lower.starts_with("0x") || lower.starts_with("-0x") || lower.starts_with("0b") || lower.starts_with("-0b") {
        return Err("hexadecimal and binary integers are not supported".to_string());
    }
    if lower.contains('t') || lower.matches('-').count() > 2 {
        return Err("timestamps are not DynamoDB values".to_string());
    }
    let (mantissa, exponent) = match lower.split_once(['d', 'e']) {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let mantissa = mantissa.strip_suffix('.').unwrap_or(mantissa);
    let digits_ok = |s: &str| {
        let s = s.strip_prefix('-').unwrap_or(s);
        !s.is_empty() && s.split('.').count() <= 2 && s.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    if !digits_ok(mantissa) || mantissa.starts_with('+') {
        return Err(bad());
    }
    match exponent {
        None => Ok(mantissa.to_string()),
        Some(e) => {
            let e = e.strip_prefix('+').unwrap_or(e);
            let plain = e.strip_prefix('-').unwrap_or(e);
            if plain.is_empty() || !plain.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            Ok(format!("{mantissa}E{e}"))
        }
    }
}

/// An Ion value as the DynamoDB value it stands for (before DynamoDB's value rules).
pub fn to_raw(value: Ion) -> Result<RawValue, String> {
    let mut raw = RawValue::default();
    match value {
        Ion::Null => raw.null = Some(true),
        Ion::Bool(b) => raw.bool = Some(b),
        Ion::Number(n) => raw.n = Some(n),
        Ion::String(s) => raw.s = Some(s),
        Ion::Symbol(s) => raw.s = Some(s),
        Ion::Blob(b) => raw.b = Some(base64::engine::general_purpose::STANDARD.encode(b)),
        Ion::Struct(fields) => {
            let mut map = BTreeMap::new();
            for (name, v) in fields {
                map.insert(name, to_raw(v)?);
            }
            raw.m = Some(map);
        }
        Ion::List(items, annotations) => match annotations.first().map(String::as_str) {
            None => raw.l = Some(items.into_iter().map(to_raw).collect::<Result<_, _>>()?),
            Some("$dynamodb_SS") => {
                raw.ss = Some(
                    items
                        .into_iter()
                        .map(|v| match v {
                            Ion::String(s) | Ion::Symbol(s) => Ok(s),
                            _ => Err("a string set holds strings".to_string()),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Some("$dynamodb_NS") => {
                raw.ns = Some(
                    items
                        .into_iter()
                        .map(|v| match v {
                            Ion::Number(n) => Ok(n),
                            _ => Err("a number set holds numbers".to_string()),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Some("$dynamodb_BS") => {
                raw.bs = Some(
                    items
                        .into_iter()
                        .map(|v| match v {
                            Ion::Blob(b) => Ok(base64::engine::general_purpose::STANDARD.encode(b)),
                            _ => Err("a binary set holds blobs".to_string()),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(other) => return Err(format!("unknown annotation {other}")),
        },
    }
    Ok(raw)
}

/// The struct under field `field` of a top-level struct (`Item`, `Keys`, ...).
pub fn field(value: &Ion, field: &str) -> Option<Ion> {
    match value {
        Ion::Struct(fields) => fields.iter().find(|(n, _)| n == field).map(|(_, v)| v.clone()),
        _ => None,
    }
}

/// Reads one `{Item:{...}}` value as a DynamoDB item.
pub fn item_of(value: Ion) -> Result<Item, String> {
    let Some(item @ Ion::Struct(_)) = field(&value, "Item") else {
        return Err("the value has no Item struct".to_string());
    };
    match to_raw(item)?.m {
        Some(raw) => cairn_model::value::item_from_raw(raw).map_err(|e| e.message),
        None => Err("Item is not a struct".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        let raw: cairn_model::wire::RawItem = serde_json::from_str(json).expect("json");
        cairn_model::value::item_from_raw(raw).expect("item")
    }

    fn round_trip(item: &Item) -> Item {
        let mut text = "$ion_1_0 {Item:".to_string();
        write_struct(&mut text, item);
        text.push('}');
        let mut reader = Reader::new(text.as_bytes());
        let value = reader.next_value().expect("a value").expect("valid");
        assert!(reader.next_value().is_none());
        item_of(value).expect("an item")
    }

    #[test]
    fn every_dynamodb_type_survives_ion_text() {
        let original = item(
            r#"{"s":{"S":"a \"q\" \n ü 😀"},"n":{"N":"103"},"d":{"N":"-1.5"},"big":{"N":"1E+100"},
                "tiny":{"N":"1.5E-130"},"b":{"B":"AAEC"},"t":{"BOOL":true},"z":{"NULL":true},
                "m":{"M":{"odd name":{"S":"x"},"null":{"L":[{"N":"1"},{"S":"y"}]}}},
                "ss":{"SS":["a","b"]},"ns":{"NS":["1","2.5"]},"bs":{"BS":["AA==","AQ=="]}}"#,
        );
        assert_eq!(round_trip(&original), original);
    }

    #[test]
    fn numbers_are_written_as_ion_decimals() {
        let mut out = String::new();
        write_struct(
            &mut out,
            &item(r#"{"a":{"N":"103"},"b":{"N":"-1.5"},"c":{"N":"1E+3"}}"#),
        );
        assert_eq!(out, "{a:103.,b:-1.5,c:1000.}");
    }

    #[test]
    fn reads_ion_as_other_writers_format_it() {
        let text = "$ion_1_0 // a comment\n{ Item : { 'Id' : 1_000 , f: 2.5e0, g: 7d-1, s: '''ab''' '''cd''', ss: $dynamodb_SS::[x, \"y\"], n: null.string, q: /* c */ true } }\n";
        let value = Reader::new(text.as_bytes())
            .next_value()
            .expect("value")
            .expect("valid");
        let got = item_of(value).expect("item");
        let expected = item(
            r#"{"Id":{"N":"1000"},"f":{"N":"2.5"},"g":{"N":"0.7"},"s":{"S":"abcd"},"ss":{"SS":["x","y"]},"n":{"NULL":true},"q":{"BOOL":true}}"#,
        );
        assert_eq!(got, expected);
    }

    #[test]
    fn a_bad_value_is_one_error_and_reading_goes_on_at_the_next_line() {
        let text = b"{Item:{a:1.}}\n{Item:{a:}}\n{Item:{a:2.}}\n";
        let mut reader = Reader::new(text);
        let results: Vec<bool> = std::iter::from_fn(|| reader.next_value()).map(|r| r.is_ok()).collect();
        assert_eq!(results, [true, false, true]);
    }

    #[test]
    fn values_dynamodb_cannot_hold_are_refused() {
        for bad in [
            "{Item:{a:0x1F}}",
            "{Item:{a:2007-01-01T}}",
            "{Item:{a:nan}}",
            "{Item:{a:{{\"clob\"}}}}",
            "{Item:{a:$other::[1]}}",
            "{Item:{a:$dynamodb_SS::[1.]}}",
            "{Item:{a:$dynamodb_SS::[]}}",
            "{Item:{a:\"unterminated}}",
            "{Items:{a:1}}",
        ] {
            let outcome = Reader::new(bad.as_bytes())
                .next_value()
                .expect("a value")
                .and_then(item_of);
            assert!(outcome.is_err(), "{bad} was accepted: {outcome:?}");
        }
    }

    #[test]
    fn an_unterminated_comment_is_one_error_and_the_end() {
        for text in [&b"{Item:{a:1.}}\n/* never closed"[..], b"/*", b"{Item:{a:1.}} /* x"] {
            let mut reader = Reader::new(text);
            let results: Vec<bool> = std::iter::from_fn(|| reader.next_value())
                .take(10)
                .map(|r| r.is_ok())
                .collect();
            assert!(results.len() <= 2 && results.last() == Some(&false), "{results:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let outcome = Reader::new(text.as_bytes()).next_value().expect("a value");
        assert_eq!(outcome, Err("nested too deep".to_string()));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"{}[]:,'\"$_:.-+0123456789abdenulltrue/*\\x \n";
        for _ in 0..20_000 {
            let len = (seed % 40) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let mut reader = Reader::new(&text);
            let mut guard = 0;
            while let Some(v) = reader.next_value() {
                let _ = v.and_then(item_of);
                guard += 1;
                assert!(guard <= text.len() + 1, "the reader must always advance");
            }
        }
    }
}
