//! `Number`: Terraform's number. A binary floating-point value of arbitrary size that carries
//! its own precision in bits (512 for literals and parsed strings, 64 for integers that
//! functions produce, 53 for results of float math), rounded to nearest-even and printed as
//! the shortest decimal that reads back to the same value at that precision. These are the
//! semantics of Go's `math/big.Float`, on which Terraform's values are built, so `0.1 + 0.2`
//! prints `0.3`, integers of any size stay exact and `1 / 3` prints as Terraform prints it.
//!
//! Magnitudes are limited to 2^±[`MAX_BINARY_EXPONENT`] (about 10^±19728, far beyond any
//! float64) so that no expression can build a number that takes unbounded memory or time.

use num_bigint::BigUint;
use num_traits::{ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;

mod decimal;
mod float;
use decimal::Decimal;
use float::{ldexp, Float};

/// The precision of numbers written in configuration or parsed from strings, as Terraform.
pub const LITERAL_PRECISION: u32 = 512;
/// The largest binary exponent a number may reach.
pub const MAX_BINARY_EXPONENT: i64 = 65_536;
/// The longest decimal text `Number::parse` accepts.
pub const MAX_NUMBER_TEXT: usize = 4096;
/// Exponents written beyond this are out of range whatever the mantissa.
const MAX_DECIMAL_EXPONENT: i64 = 1_000_000;

/// Why a number could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("a number is required")]
    NotANumber,
    #[error("the number is out of range: magnitudes are limited to 2^{MAX_BINARY_EXPONENT} (about 1e19728)")]
    OutOfRange,
    #[error("the number text is longer than {MAX_NUMBER_TEXT} characters")]
    TooLong,
    #[error("division by zero")]
    DivisionByZero,
}

/// A Terraform number. See the module documentation.
#[derive(Clone)]
pub struct Number(Repr);

#[derive(Clone)]
enum Repr {
    /// `mant * 2^exp`, the common case, kept without a heap allocation.
    Small {
        neg: bool,
        mant: u64,
        exp: i32,
        prec: u16,
    },
    Big(Box<Float>),
}

impl Number {
    fn from_float(f: Float) -> Number {
        if let (Some(mant), Ok(exp), Ok(prec)) =
            (f.mant.to_u64(), i32::try_from(f.exp), u16::try_from(f.prec))
        {
            return Number(Repr::Small {
                neg: f.neg,
                mant,
                exp,
                prec,
            });
        }
        Number(Repr::Big(Box::new(f)))
    }

    fn float(&self) -> Float {
        match &self.0 {
            Repr::Small {
                neg,
                mant,
                exp,
                prec,
            } => Float {
                neg: *neg,
                mant: BigUint::from(*mant),
                exp: *exp as i64,
                prec: *prec as u32,
            },
            Repr::Big(f) => (**f).clone(),
        }
    }

    /// The precision in bits this number carries.
    pub fn precision(&self) -> u32 {
        match &self.0 {
            Repr::Small { prec, .. } => *prec as u32,
            Repr::Big(f) => f.prec,
        }
    }

    /// Parses a decimal number as Terraform parses literals and strings (`-1.5e3`, `0x` is not
    /// accepted), at 512 bits.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        if text.len() > MAX_NUMBER_TEXT {
            return Err(NumberError::TooLong);
        }
        let (neg, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !digits_ok(int_part)
            || !digits_ok(frac_part)
        {
            return Err(NumberError::NotANumber);
        }
        let mut exp10: i64 = match exponent {
            None => 0,
            Some(e) => {
                let (eneg, edigits) = match e.as_bytes().first() {
                    Some(b'-') => (true, &e[1..]),
                    Some(b'+') => (false, &e[1..]),
                    _ => (false, e),
                };
                if edigits.is_empty() || !digits_ok(edigits) {
                    return Err(NumberError::NotANumber);
                }
                let v: i64 = edigits.parse().map_err(|_| NumberError::OutOfRange)?;
                if v > MAX_DECIMAL_EXPONENT {
                    return Err(NumberError::OutOfRange);
                }
                if eneg {
                    -v
                } else {
                    v
                }
            }
        };
        exp10 -= frac_part.len() as i64;
        let all: String = [int_part, frac_part].concat();
        let mant = BigUint::parse_bytes(all.as_bytes(), 10).unwrap_or_default();
        if mant.is_zero() {
            return Ok(Number::from_float(Float::zero(neg, LITERAL_PRECISION)));
        }
        // Rough magnitude check before any big power is computed.
        let approx_top = (all.trim_start_matches('0').len() as i64 + exp10) as f64 * 3.33;
        if approx_top.abs() > MAX_BINARY_EXPONENT as f64 + 64.0 {
            return Err(NumberError::OutOfRange);
        }
        let f = if exp10 >= 0 {
            let scaled = mant * BigUint::from(10u32).pow(exp10 as u32);
            Float::rounded(neg, scaled, 0, LITERAL_PRECISION, false)
        } else {
            let num = Float::rounded(false, mant, 0, u32::MAX, false);
            let den = Float::rounded(
                false,
                BigUint::from(10u32).pow((-exp10) as u32),
                0,
                u32::MAX,
                false,
            );
            let mut q = num.quo(&den, LITERAL_PRECISION);
            q.neg = neg;
            q
        };
        f.check_range().map(Number::from_float)
    }

    /// An exact float64, at 53 bits (Terraform's `NumberFloatVal`). `None` for NaN and infinities.
    pub fn from_f64(v: f64) -> Option<Number> {
        if !v.is_finite() {
            return None;
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        Some(Number::from_float(Float::rounded(
            neg,
            BigUint::from(mant),
            exp,
            53,
            false,
        )))
    }

    /// An exact integer at 64 bits (Terraform's `NumberIntVal`).
    pub fn from_i64(v: i64) -> Number {
        Number::from_float(Float::rounded(
            v < 0,
            BigUint::from(v.unsigned_abs()),
            0,
            64,
            false,
        ))
    }

    pub fn from_u64(v: u64) -> Number {
        Number::from_float(Float::rounded(false, BigUint::from(v), 0, 64, false))
    }

    /// An exact integer of any size, at `max(bits, 64)` (Go's `SetInt`).
    pub fn from_big_int(neg: bool, magnitude: BigUint) -> Result<Number, NumberError> {
        let prec = (magnitude.bits() as u32).max(64);
        Float::rounded(neg, magnitude, 0, prec, false)
            .check_range()
            .map(Number::from_float)
    }

    pub fn is_zero(&self) -> bool {
        match &self.0 {
            Repr::Small { mant, .. } => *mant == 0,
            Repr::Big(f) => f.is_zero(),
        }
    }

    pub fn is_negative(&self) -> bool {
        !self.is_zero() && self.float().neg
    }

    /// True when the value is a whole number.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Small { mant, exp, .. } => *mant == 0 || *exp >= 0,
            Repr::Big(f) => f.is_int(),
        }
    }

    /// The value when it is a whole number that fits an `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        if let Repr::Small {
            neg, mant, exp: 0, ..
        } = &self.0
        {
            return if *neg {
                0i64.checked_sub_unsigned(*mant)
            } else {
                i64::try_from(*mant).ok()
            };
        }
        let f = self.float();
        if !f.is_int() || f.top() > 64 {
            return None;
        }
        let m = f.trunc_mag().to_u64()?;
        if f.neg {
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(m).ok()
        }
    }

    /// The value when it is a whole number in `usize`'s range.
    pub fn to_usize(&self) -> Option<usize> {
        self.to_i64().and_then(|v| usize::try_from(v).ok())
    }

    /// The nearest float64 (infinite beyond its range).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Small { neg, mant, exp, .. } if *mant < (1 << 53) => {
                let v = ldexp(*mant as f64, *exp as i64);
                if *neg {
                    -v
                } else {
                    v
                }
            }
            _ => self.float().to_f64(),
        }
    }

    /// The integer part, truncated towards zero, as sign and magnitude.
    pub fn trunc_parts(&self) -> (bool, BigUint) {
        let f = self.float();
        let m = f.trunc_mag();
        (f.neg && !m.is_zero(), m)
    }

    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        let (a, b) = (self.float(), other.float());
        a.add(&b, a.prec.max(b.prec))
            .check_range()
            .map(Number::from_float)
    }

    pub fn sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add(&other.neg())
    }

    /// Product, as Terraform multiplies: at 512 bits, then kept at the larger of the operands'
    /// precisions or what the product needs.
    pub fn mul(&self, other: &Number) -> Result<Number, NumberError> {
        let (a, b) = (self.float(), other.float());
        let mut r = a.mul(&b, LITERAL_PRECISION);
        r.prec = a.prec.max(b.prec).max(r.mant.bits() as u32);
        r.check_range().map(Number::from_float)
    }

    pub fn div(&self, other: &Number) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Err(NumberError::DivisionByZero);
        }
        let (a, b) = (self.float(), other.float());
        a.quo(&b, a.prec.max(b.prec))
            .check_range()
            .map(Number::from_float)
    }

    /// Remainder with the sign of the dividend, as Terraform's `%`.
    pub fn rem(&self, other: &Number) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Err(NumberError::DivisionByZero);
        }
        let v = self.float();
        let q = self.div(other)?.float();
        let (qneg, qmag) = (q.neg, q.trunc_mag());
        let qint = Float::rounded(qneg && !qmag.is_zero(), qmag, 0, v.prec, false);
        let prod = other.float().mul(&qint, v.prec);
        v.add(&prod.neg(), v.prec)
            .check_range()
            .map(Number::from_float)
    }

    pub fn neg(&self) -> Number {
        Number::from_float(self.float().neg())
    }

    pub fn abs(&self) -> Number {
        let mut f = self.float();
        f.neg = false;
        Number::from_float(f)
    }

    /// Largest whole number not above the value, at the value's precision.
    pub fn floor(&self) -> Number {
        self.to_whole(false)
    }

    /// Smallest whole number not below the value, at the value's precision.
    pub fn ceil(&self) -> Number {
        self.to_whole(true)
    }

    fn to_whole(&self, up: bool) -> Number {
        let f = self.float();
        if f.is_int() {
            return self.clone();
        }
        let mut m = f.trunc_mag();
        // Truncation moved towards zero: step away from it when the direction asks.
        if f.neg != up {
            m += 1u32;
        }
        let neg = f.neg && !m.is_zero();
        Number::from_float(Float::rounded(neg, m, 0, f.prec, false))
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i64 {
        if self.is_zero() {
            0
        } else if self.is_negative() {
            -1
        } else {
            1
        }
    }

    /// Numeric order (precision plays no part).
    pub fn total_cmp(&self, other: &Number) -> Ordering {
        self.float().cmp(&other.float())
    }

    /// Go's `Float.Text(format, prec)` for `e`, `E`, `f`, `g` and `G`; a negative `prec` asks
    /// for the fewest digits that read back exactly.
    pub fn text(&self, format: char, prec: i64) -> String {
        let f = self.float();
        let mut out = String::new();
        if f.neg {
            out.push('-');
        }
        let mut d = Decimal::of(&f.mant, f.exp);
        let shortest = prec < 0;
        let mut prec = prec;
        if shortest {
            d.round_shortest(&f.mant, f.exp, f.prec);
            prec = match format {
                'e' | 'E' => d.digits.len() as i64 - 1,
                'f' => (d.digits.len() as i64 - d.exp).max(0),
                _ => d.digits.len() as i64,
            };
        } else {
            match format {
                'e' | 'E' => d.round(1 + prec),
                'f' => d.round(d.exp + prec),
                _ => {
                    if prec == 0 {
                        prec = 1;
                    }
                    d.round(prec)
                }
            }
        }
        match format {
            'e' | 'E' => d.fmt_e(format == 'E', prec.max(0) as usize, &mut out),
            'f' => d.fmt_f(prec.max(0) as usize, &mut out),
            _ => {
                let mut eprec = prec;
                if eprec > d.digits.len() as i64 && d.digits.len() as i64 >= d.exp {
                    eprec = d.digits.len() as i64;
                }
                if shortest {
                    eprec = 6;
                }
                let exp = d.exp - 1;
                if exp < -4 || exp >= eprec {
                    if prec > d.digits.len() as i64 {
                        prec = d.digits.len() as i64;
                    }
                    d.fmt_e(format == 'G', (prec - 1).max(0) as usize, &mut out);
                } else {
                    if prec > d.exp {
                        prec = d.digits.len() as i64;
                    }
                    d.fmt_f((prec - d.exp).max(0) as usize, &mut out);
                }
            }
        }
        out
    }

    /// The value as a JSON number, exactly as Terraform writes it.
    pub fn to_json(&self) -> serde_json::Number {
        let text = self.to_string();
        text.parse()
            .unwrap_or_else(|_| serde_json::Number::from(0u8))
    }

    /// Reads a JSON number without loss.
    pub fn from_json(n: &serde_json::Number) -> Number {
        Number::from_json_text(&n.to_string())
    }

    /// A number as JSON writes it: 64-bit precision when it fits an integer, else parsed.
    pub fn from_json_text(text: &str) -> Number {
        if let Ok(i) = text.parse::<i64>() {
            return Number::from_i64(i);
        }
        if let Ok(u) = text.parse::<u64>() {
            return Number::from_u64(u);
        }
        Number::parse(text)
            .ok()
            .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
            .unwrap_or_else(|| Number::from_i64(0))
    }
}

impl fmt::Display for Number {
    /// Terraform's canonical text: `Text('f', -1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.to_i64() {
            if !(i == 0 && self.float().neg) {
                return write!(f, "{i}");
            }
        }
        f.write_str(&self.text('f', -1))
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl PartialEq for Number {
    /// Terraform's equality: whole numbers compare exactly, others by their canonical text
    /// (so two values that print the same are equal), and -0 equals 0.
    fn eq(&self, other: &Number) -> bool {
        if self.is_zero() && other.is_zero() {
            return true;
        }
        if self.is_negative() != other.is_negative() {
            return false;
        }
        match (self.is_integer(), other.is_integer()) {
            (true, true) => self.total_cmp(other) == Ordering::Equal,
            (false, false) => self.text('f', -1) == other.text('f', -1),
            _ => false,
        }
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}
impl From<i32> for Number {
    fn from(v: i32) -> Number {
        Number::from_i64(v as i64)
    }
}
impl From<u32> for Number {
    fn from(v: u32) -> Number {
        Number::from_i64(v as i64)
    }
}
impl From<u64> for Number {
    fn from(v: u64) -> Number {
        Number::from_u64(v)
    }
}
impl From<usize> for Number {
    fn from(v: usize) -> Number {
        Number::from_u64(v as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn decimal_arithmetic_prints_as_terraform() {
        assert_eq!(p("0.1").add(&p("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(p("0.1").add(&p("0.2")).unwrap(), p("0.3"));
        assert_eq!(p("2").div(&p("3")).unwrap().to_string().len(), 156);
        assert!(p("1").div(&p("3")).unwrap().to_string().ends_with("335"));
        assert_eq!(p("1e-7").to_string(), "0.0000001");
        assert_eq!(p("1e30").to_string(), "1000000000000000000000000000000");
        assert_eq!(
            p("100000000000000000000")
                .mul(&p("100000000000000000000"))
                .unwrap()
                .to_string(),
            "10000000000000000000000000000000000000000"
        );
        assert_eq!(p("-0").to_string(), "-0");
        assert_eq!(p("7.5").rem(&p("2")).unwrap().to_string(), "1.5");
        assert_eq!(p("-7").rem(&p("3")).unwrap().to_string(), "-1");
    }

    #[test]
    fn big_integers_stay_exact() {
        let a = p("9007199254740993");
        assert_ne!(a, p("9007199254740992"));
        assert_eq!(a.to_string(), "9007199254740993");
        let two53 = Number::from_f64(9007199254740992.0).unwrap();
        assert_eq!(two53.add(&p("1")).unwrap().to_string(), "9007199254740993");
        assert_eq!(
            p("12345678901234567890.5").floor().to_string(),
            "12345678901234567890"
        );
    }

    #[test]
    fn go_formats() {
        let n = p("12345678901234567890");
        assert_eq!(n.text('g', -1), "1.234567890123456789e+19");
        assert_eq!(p("1234.5678").text('e', 6), "1.234568e+03");
        assert_eq!(p("1e30").text('g', -1), "1e+30");
        assert_eq!(p("0.000001").text('G', -1), "1E-06");
        assert_eq!(p("100000").text('g', -1), "100000");
        assert_eq!(p("2.5").text('f', 0), "2");
        assert_eq!(p("3.14159").text('f', 2), "3.14");
        assert_eq!(
            Number::from_f64(1.4142135623730951).unwrap().to_string(),
            "1.4142135623730951"
        );
    }

    #[test]
    fn limits_are_errors() {
        assert_eq!(Number::parse("1e999999999"), Err(NumberError::OutOfRange));
        assert!(Number::parse("1e-999999999").is_err());
        assert_eq!(Number::parse("abc"), Err(NumberError::NotANumber));
        assert_eq!(Number::parse(&"9".repeat(5000)), Err(NumberError::TooLong));
        assert!(p("1e300").to_f64().is_finite());
    }

    #[test]
    fn f64_round_trip() {
        for v in [0.5, -3.25, 1e-300, 123456.789, f64::MAX, 5e-324] {
            assert_eq!(Number::from_f64(v).unwrap().to_f64(), v);
        }
        assert_eq!(p("0.1").to_f64(), 0.1);
    }
}
