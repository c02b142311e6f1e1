//! DynamoDB numbers: up to 38 significant decimal digits, magnitude in
//! [1E-130, 1E+126), exact (no binary floating point), compared numerically, written
//! back in canonical plain notation ("1.0" and "1E0" both come back as "1").

use crate::error::ApiError;
use crate::limits::{MAX_NUMBER_DIGITS, MAX_NUMBER_MAGNITUDE_EXPONENT, MIN_NUMBER_MAGNITUDE_EXPONENT};
use std::cmp::Ordering;
use std::fmt;

/// An exact decimal: `(-1)^negative × 0.d1 d2 … dn × 10^exponent`.
// INVARIANT: `digits` holds ASCII digits with no leading or trailing '0'; it is empty
// exactly when the number is zero, and then `negative` is false and `exponent` is 0.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i32,
}

/// Why text is not a valid DynamoDB number; `message()` is DynamoDB's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    NotANumber,
    TooManyDigits,
    Overflow,
    Underflow,
}

impl NumberError {
    pub fn message(self) -> &'static str {
        match self {
            NumberError::NotANumber => "A value provided cannot be converted into a number",
            NumberError::TooManyDigits => "Attempting to store more than 38 significant digits in a Number",
            NumberError::Overflow => {
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            }
            NumberError::Underflow => {
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            }
        }
    }
}

impl From<NumberError> for ApiError {
    fn from(e: NumberError) -> Self {
        ApiError::validation(e.message())
    }
}

/// Longest number text accepted before parsing; far above any valid number, it keeps
/// exponent arithmetic in range.
const MAX_TEXT_LEN: usize = 1024;

impl Number {
    pub fn zero() -> Self {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Significant digits as ASCII bytes (empty for zero).
    pub fn significant_digits(&self) -> &[u8] {
        &self.digits
    }

    /// The decimal exponent `e` such that the value is `0.d1d2… × 10^e`.
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// Parses DynamoDB number text: optional sign, digits with an optional point, an
    /// optional exponent. Leading/trailing zeros are not significant.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let bytes = text.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_TEXT_LEN {
            return Err(NumberError::NotANumber);
        }
        let mut pos = 0;
        let mut negative = false;
        if bytes[0] == b'-' || bytes[0] == b'+' {
            negative = bytes[0] == b'-';
            pos = 1;
        }
        let mut mantissa: Vec<u8> = Vec::new();
        let mut point_at: Option<usize> = None;
        let mut saw_digit = false;
        while pos < bytes.len() {
            match bytes[pos] {
                b'0'..=b'9' => {
                    mantissa.push(bytes[pos]);
                    saw_digit = true;
                }
                b'.' if point_at.is_none() => point_at = Some(mantissa.len()),
                _ => break,
            }
            pos += 1;
        }
        if !saw_digit {
            return Err(NumberError::NotANumber);
        }
        let mut exp_part: i64 = 0;
        if pos < bytes.len() {
            if bytes[pos] != b'e' && bytes[pos] != b'E' {
                return Err(NumberError::NotANumber);
            }
            pos += 1;
            let mut exp_negative = false;
            if pos < bytes.len() && (bytes[pos] == b'-' || bytes[pos] == b'+') {
                exp_negative = bytes[pos] == b'-';
                pos += 1;
            }
            if pos >= bytes.len() {
                return Err(NumberError::NotANumber);
            }
            while pos < bytes.len() {
                let b = bytes[pos];
                if !b.is_ascii_digit() {
                    return Err(NumberError::NotANumber);
                }
                exp_part = (exp_part * 10 + i64::from(b - b'0')).min(1_000_000);
                pos += 1;
            }
            if exp_negative {
                exp_part = -exp_part;
            }
        }
        let int_len = point_at.unwrap_or(mantissa.len()) as i64;
        let leading = mantissa.iter().take_while(|&&d| d == b'0').count();
        if leading == mantissa.len() {
            return Ok(Number::zero());
        }
        let trailing = mantissa.iter().rev().take_while(|&&d| d == b'0').count();
        let digits = mantissa[leading..mantissa.len() - trailing].to_vec();
        let exponent = int_len - leading as i64 + exp_part;
        // value = 0.digits × 10^exponent, so magnitude >= 10^(exponent-1).
        if exponent > i64::from(MAX_NUMBER_MAGNITUDE_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if exponent - 1 < i64::from(MIN_NUMBER_MAGNITUDE_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        if digits.len() > MAX_NUMBER_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
    }

    /// Builds a number from parts already known to be canonical and in range
    /// (used by the key decoder, which validates the same bounds).
    pub(crate) fn from_parts(negative: bool, digits: Vec<u8>, exponent: i32) -> Option<Number> {
        if digits.is_empty() {
            return Some(Number::zero());
        }
        let canonical = digits.iter().all(u8::is_ascii_digit)
            && digits.first() != Some(&b'0')
            && digits.last() != Some(&b'0')
            && digits.len() <= MAX_NUMBER_DIGITS;
        canonical.then_some(Number {
            negative,
            digits,
            exponent,
        })
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl Number {
    /// Exact sum, within DynamoDB's limits (errors as DynamoDB reports them).
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Write both as integers over a common power of ten: value = mantissa × 10^scale.
        let scale = (self.exponent - self.digits.len() as i32).min(other.exponent - other.digits.len() as i32);
        let widen = |n: &Number| -> Vec<u8> {
            let zeros = (n.exponent - n.digits.len() as i32 - scale) as usize;
            let mut v: Vec<u8> = n.digits.iter().map(|d| d - b'0').collect();
            v.extend(std::iter::repeat_n(0, zeros));
            v
        };
        let (a, b) = (widen(self), widen(other));
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match compare_magnitudes(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, subtract_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, subtract_magnitudes(&b, &a)),
            }
        };
        let text: String = magnitude.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if negative { "-" } else { "" };
        Number::parse(&format!("{sign}{text}E{scale}"))
    }

    pub fn negate(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }
}

/// Big-endian decimal digit vectors (most significant first).
fn compare_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |v: &[u8]| v.iter().position(|&d| d != 0).map_or(0, |i| v.len() - i);
    strip(a).cmp(&strip(b)).then_with(|| {
        let (ta, tb) = (&a[a.len() - strip(a)..], &b[b.len() - strip(b)..]);
        ta.cmp(tb)
    })
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let len = a.len().max(b.len());
    let mut out = vec![0u8; len + 1];
    let mut carry = 0u8;
    for i in 0..len {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let sum = da + db + carry;
        out[len - i] = sum % 10;
        carry = sum / 10;
    }
    out[0] = carry;
    out
}

/// a - b where |a| > |b|.
fn subtract_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let da = a[a.len() - 1 - i] as i8;
        let db = if i < b.len() { b[b.len() - 1 - i] as i8 } else { 0 };
        let mut diff = da - db - borrow;
        borrow = 0;
        if diff < 0 {
            diff += 10;
            borrow = 1;
        }
        out[a.len() - 1 - i] = diff as u8;
    }
    out
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if self.negative => other.cmp_magnitude(self),
            Ordering::Equal => self.cmp_magnitude(other),
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Canonical plain notation, as DynamoDB returns numbers: no exponent, no
/// insignificant zeros.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut out = String::with_capacity(self.digits.len() + 4);
        if self.negative {
            out.push('-');
        }
        let digits = std::str::from_utf8(&self.digits).map_err(|_| fmt::Error)?;
        let n = self.digits.len() as i32;
        if self.exponent <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-self.exponent) as usize));
            out.push_str(digits);
        } else if self.exponent >= n {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', (self.exponent - n) as usize));
        } else {
            let (int, frac) = digits.split_at(self.exponent as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn canonical_text_drops_insignificant_zeros_and_exponents() {
        assert_eq!(n("00042").to_string(), "42");
        assert_eq!(n("1.0").to_string(), "1");
        assert_eq!(n("3.1400").to_string(), "3.14");
        assert_eq!(n("1.5E2").to_string(), "150");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("1e-3").to_string(), "0.001");
        assert_eq!(n("-12.5e1").to_string(), "-125");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("+7").to_string(), "7");
    }

    #[test]
    fn equal_values_in_different_notation_are_equal() {
        assert_eq!(n("1"), n("1.0"));
        assert_eq!(n("100"), n("1E2"));
        assert_eq!(n("0"), n("-0.000"));
    }

    #[test]
    fn ordering_is_numeric() {
        let ordered = [
            "-1E+125", "-100", "-2", "-1.5", "-0.001", "0", "1E-130", "0.5", "1", "9", "10", "1E+125",
        ];
        for w in ordered.windows(2) {
            assert!(n(w[0]) < n(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn limits_match_dynamodb() {
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert_eq!(Number::parse("1E+126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("-1E+126"), Err(NumberError::Overflow));
        assert!(Number::parse("1E-130").is_ok());
        assert_eq!(Number::parse("1E-131"), Err(NumberError::Underflow));
        // Trailing zeros of an integer are not significant digits.
        assert!(Number::parse("1000000000000000000000000000000000000000000").is_ok());
    }

    #[test]
    fn addition_and_subtraction_are_exact() {
        let sum = |a: &str, b: &str| n(a).add(&n(b)).unwrap().to_string();
        assert_eq!(sum("1", "2"), "3");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("10", "-3"), "7");
        assert_eq!(sum("-10", "3"), "-7");
        assert_eq!(sum("5", "-5"), "0");
        assert_eq!(
            sum("99999999999999999999999999999999999999", "-1"),
            "99999999999999999999999999999999999998"
        );
        assert_eq!(sum("1E+20", "1E-5"), "100000000000000000000.00001");
        assert_eq!(sum("-0.5", "-0.25"), "-0.75");
        assert_eq!(
            n("99999999999999999999999999999999999999")
                .add(&n("1"))
                .unwrap()
                .to_string(),
            "100000000000000000000000000000000000000"
        );
        assert_eq!(n("1E+100").add(&n("1E-100")), Err(NumberError::TooManyDigits));
        assert_eq!(
            n("9.9999999999999999999999999999999999999E+125").add(&n("1E+125")),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn rejects_text_that_is_not_a_number() {
        for bad in [
            "", "abc", "1.2.3", "1e", "e5", "--1", "1 2", "0x10", "NaN", "Infinity", "1e+-2", ".",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::NotANumber), "{bad:?}");
        }
    }
}
