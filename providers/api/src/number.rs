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
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;

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

/// `(-1)^neg * mant * 2^exp`, with `mant` free of trailing zero bits and at most `prec` bits.
#[derive(Clone, Debug)]
struct Float {
    neg: bool,
    mant: BigUint,
    exp: i64,
    prec: u32,
}

impl Float {
    fn zero(neg: bool, prec: u32) -> Float {
        Float {
            neg,
            mant: BigUint::zero(),
            exp: 0,
            prec,
        }
    }

    fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// Rounds `mant * 2^exp` (plus a nonzero tail below it when `sticky`) to `prec` bits,
    /// nearest-even, and normalizes.
    fn rounded(neg: bool, mut mant: BigUint, mut exp: i64, prec: u32, sticky: bool) -> Float {
        let bits = mant.bits();
        if bits > prec as u64 {
            let drop = bits - prec as u64;
            let half = mant.bit(drop - 1);
            let below = sticky || lower_bits_nonzero(&mant, drop - 1);
            mant >>= drop;
            exp += drop as i64;
            if half && (below || mant.bit(0)) {
                mant += 1u32;
            }
        }
        let mut f = Float {
            neg,
            mant,
            exp,
            prec,
        };
        f.normalize();
        f
    }

    fn normalize(&mut self) {
        if self.mant.is_zero() {
            self.exp = 0;
            return;
        }
        let tz = self.mant.trailing_zeros().unwrap_or(0);
        if tz > 0 {
            self.mant >>= tz;
            self.exp += tz as i64;
        }
    }

    /// The exponent of the value's top bit plus one: `2^(top-1) <= |x| < 2^top`.
    fn top(&self) -> i64 {
        self.exp + self.mant.bits() as i64
    }

    fn check_range(self) -> Result<Float, NumberError> {
        if !self.is_zero() && self.top().abs() > MAX_BINARY_EXPONENT {
            return Err(NumberError::OutOfRange);
        }
        Ok(self)
    }

    fn is_int(&self) -> bool {
        self.is_zero() || self.exp >= 0
    }

    /// The integer part (truncated towards zero), as magnitude.
    fn trunc_mag(&self) -> BigUint {
        if self.exp >= 0 {
            &self.mant << self.exp as u64
        } else {
            &self.mant >> (-self.exp) as u64
        }
    }

    fn cmp_mag(&self, other: &Float) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        match self.top().cmp(&other.top()) {
            Ordering::Equal => {}
            o => return o,
        }
        let e = self.exp.min(other.exp);
        let a = &self.mant << (self.exp - e) as u64;
        let b = &other.mant << (other.exp - e) as u64;
        a.cmp(&b)
    }

    fn cmp(&self, other: &Float) -> Ordering {
        let sa = if self.is_zero() {
            0
        } else if self.neg {
            -1
        } else {
            1
        };
        let sb = if other.is_zero() {
            0
        } else if other.neg {
            -1
        } else {
            1
        };
        match sa.cmp(&sb) {
            Ordering::Equal if sa == 0 => Ordering::Equal,
            Ordering::Equal if sa < 0 => other.cmp_mag(self),
            Ordering::Equal => self.cmp_mag(other),
            o => o,
        }
    }

    /// `self + other` rounded to `prec` bits, Go's `Float.Add` with its zero-sign rules.
    fn add(&self, other: &Float, prec: u32) -> Float {
        if self.is_zero() && other.is_zero() {
            return Float::zero(self.neg && other.neg, prec);
        }
        if self.is_zero() {
            return Float::rounded(other.neg, other.mant.clone(), other.exp, prec, false);
        }
        if other.is_zero() {
            return Float::rounded(self.neg, self.mant.clone(), self.exp, prec, false);
        }
        // Operands far apart: the smaller one only decides the rounding.
        let (big, small) = if self.cmp_mag(other) == Ordering::Less {
            (other, self)
        } else {
            (self, other)
        };
        let gap = big.exp - small.top();
        if gap > prec as i64 + 2 {
            let mant = &big.mant << (prec as u64 + 2);
            let exp = big.exp - (prec as i64 + 2);
            let mant = if big.neg == small.neg {
                mant
            } else {
                mant - 1u32
            };
            return Float::rounded(big.neg, mant, exp, prec, true);
        }
        let e = big.exp.min(small.exp);
        let a = &big.mant << (big.exp - e) as u64;
        let b = &small.mant << (small.exp - e) as u64;
        if big.neg == small.neg {
            Float::rounded(big.neg, a + b, e, prec, false)
        } else if a == b {
            Float::zero(false, prec)
        } else {
            Float::rounded(big.neg, a - b, e, prec, false)
        }
    }

    fn neg(mut self) -> Float {
        self.neg = !self.neg;
        self
    }

    fn mul(&self, other: &Float, prec: u32) -> Float {
        let neg = self.neg != other.neg;
        if self.is_zero() || other.is_zero() {
            return Float::zero(neg, prec);
        }
        Float::rounded(
            neg,
            &self.mant * &other.mant,
            self.exp + other.exp,
            prec,
            false,
        )
    }

    fn quo(&self, other: &Float, prec: u32) -> Float {
        let neg = self.neg != other.neg;
        if self.is_zero() {
            return Float::zero(neg, prec);
        }
        let want = prec as i64 + 2 + other.mant.bits() as i64 - self.mant.bits() as i64;
        let shift = want.max(0) as u64;
        let (q, r) = (&self.mant << shift).div_rem(&other.mant);
        Float::rounded(
            neg,
            q,
            self.exp - other.exp - shift as i64,
            prec,
            !r.is_zero(),
        )
    }

    fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return if self.neg { -0.0 } else { 0.0 };
        }
        let r = Float::rounded(self.neg, self.mant.clone(), self.exp, 53, false);
        let m = r.mant.to_u64().unwrap_or(0) as f64;
        let v = ldexp(m, r.exp);
        if r.neg {
            -v
        } else {
            v
        }
    }
}

fn lower_bits_nonzero(mant: &BigUint, n: u64) -> bool {
    match mant.trailing_zeros() {
        Some(tz) => tz < n,
        None => false,
    }
}

fn ldexp(mut m: f64, mut exp: i64) -> f64 {
    while exp > 0 {
        let step = exp.min(1000);
        m *= 2f64.powi(step as i32);
        exp -= step;
        if m.is_infinite() {
            return m;
        }
    }
    while exp < 0 {
        let step = (-exp).min(1000);
        m /= 2f64.powi(step as i32);
        exp += step;
        if m == 0.0 {
            return m;
        }
    }
    m
}

/// A decimal `0.digits × 10^exp`, digits without trailing zeros (Go's `big.decimal`).
struct Decimal {
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// The exact decimal of `mant × 2^shift`.
    fn of(mant: &BigUint, shift: i64) -> Decimal {
        if mant.is_zero() {
            return Decimal {
                digits: Vec::new(),
                exp: 0,
            };
        }
        let (text, frac) = if shift >= 0 {
            ((mant << shift as u64).to_str_radix(10), 0)
        } else {
            let k = (-shift) as u64;
            (
                (mant * BigUint::from(5u32).pow(k as u32)).to_str_radix(10),
                k as i64,
            )
        };
        let mut digits = text.into_bytes();
        let exp = digits.len() as i64 - frac;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, exp }
    }

    fn at(&self, i: i64) -> u8 {
        if i >= 0 && (i as usize) < self.digits.len() {
            self.digits[i as usize]
        } else {
            b'0'
        }
    }

    fn should_round_up(&self, n: usize) -> bool {
        if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            return n > 0 && (self.digits[n - 1] - b'0') & 1 != 0;
        }
        self.digits[n] >= b'5'
    }

    fn round(&mut self, n: i64) {
        if n < 0 || n as usize >= self.digits.len() {
            return;
        }
        if self.should_round_up(n as usize) {
            self.round_up(n as usize)
        } else {
            self.round_down(n as usize)
        }
    }

    fn round_up(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let mut i = n;
        while i > 0 && self.digits[i - 1] >= b'9' {
            i -= 1;
        }
        if i == 0 {
            self.digits.clear();
            self.digits.push(b'1');
            self.exp += 1;
            return;
        }
        self.digits[i - 1] += 1;
        self.digits.truncate(i);
    }

    fn round_down(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }

    /// Shortens to the fewest digits that still read back as `x` at `x.prec` bits.
    fn round_shortest(&mut self, x: &Float) {
        if self.digits.is_empty() {
            return;
        }
        let bits = x.mant.bits() as i64;
        let s = bits - (x.prec as i64 + 1);
        let mant = if s < 0 {
            &x.mant << (-s) as u64
        } else {
            &x.mant >> s as u64
        };
        let exp = x.exp + s;
        let lower = Decimal::of(&(&mant - 1u32), exp);
        let upper = Decimal::of(&(&mant + 1u32), exp);
        let inclusive = !mant.bit(1);
        for i in 0..self.digits.len() {
            let m = self.digits[i];
            let l = lower.at(i as i64);
            let u = upper.at(i as i64);
            let okdown = l != m || inclusive && i + 1 == lower.digits.len();
            let okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.digits.len());
            match (okdown, okup) {
                (true, true) => return self.round(i as i64 + 1),
                (true, false) => return self.round_down(i + 1),
                (false, true) => return self.round_up(i + 1),
                _ => {}
            }
        }
    }

    fn fmt_e(&self, upper: bool, prec: usize, out: &mut String) {
        out.push(self.digits.first().map(|&d| d as char).unwrap_or('0'));
        if prec > 0 {
            out.push('.');
            for i in 1..=prec {
                out.push(self.at(i as i64) as char);
            }
        }
        out.push(if upper { 'E' } else { 'e' });
        let exp = if self.digits.is_empty() {
            0
        } else {
            self.exp - 1
        };
        out.push(if exp < 0 { '-' } else { '+' });
        if exp.abs() < 10 {
            out.push('0');
        }
        out.push_str(&exp.abs().to_string());
    }

    fn fmt_f(&self, prec: usize, out: &mut String) {
        if self.exp > 0 {
            for i in 0..self.exp {
                out.push(self.at(i) as char);
            }
        } else {
            out.push('0');
        }
        if prec > 0 {
            out.push('.');
            for i in 0..prec as i64 {
                out.push(self.at(self.exp + i) as char);
            }
        }
    }
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
            d.round_shortest(&f);
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
        if let Some(i) = n.as_i64() {
            return Number::from_i64(i);
        }
        if let Some(u) = n.as_u64() {
            return Number::from_u64(u);
        }
        Number::parse(&n.to_string())
            .or_else(|_| n.as_f64().and_then(Number::from_f64).ok_or(()))
            .unwrap_or_else(|_| Number::from_i64(0))
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
