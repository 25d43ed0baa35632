//! The binary floating-point arithmetic under `Number`, as Go's `big.Float` does it:
//! exact operations rounded to a precision in bits, nearest-even, with a sticky bit where
//! a result was cut.

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

use super::{NumberError, MAX_BINARY_EXPONENT};

/// `(-1)^neg * mant * 2^exp`, with `mant` free of trailing zero bits and at most `prec` bits.
#[derive(Clone, Debug)]
pub(super) struct Float {
    pub(super) neg: bool,
    pub(super) mant: BigUint,
    pub(super) exp: i64,
    pub(super) prec: u32,
}

impl Float {
    pub(super) fn zero(neg: bool, prec: u32) -> Float {
        Float {
            neg,
            mant: BigUint::zero(),
            exp: 0,
            prec,
        }
    }

    pub(super) fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// Rounds `mant * 2^exp` (plus a nonzero tail below it when `sticky`) to `prec` bits,
    /// nearest-even, and normalizes.
    pub(super) fn rounded(
        neg: bool,
        mut mant: BigUint,
        mut exp: i64,
        prec: u32,
        sticky: bool,
    ) -> Float {
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

    pub(super) fn normalize(&mut self) {
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
    pub(super) fn top(&self) -> i64 {
        self.exp + self.mant.bits() as i64
    }

    pub(super) fn check_range(self) -> Result<Float, NumberError> {
        if !self.is_zero() && self.top().abs() > MAX_BINARY_EXPONENT {
            return Err(NumberError::OutOfRange);
        }
        Ok(self)
    }

    pub(super) fn is_int(&self) -> bool {
        self.is_zero() || self.exp >= 0
    }

    /// The integer part (truncated towards zero), as magnitude.
    pub(super) fn trunc_mag(&self) -> BigUint {
        if self.exp >= 0 {
            &self.mant << self.exp as u64
        } else {
            &self.mant >> (-self.exp) as u64
        }
    }

    pub(super) fn cmp_mag(&self, other: &Float) -> Ordering {
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

    pub(super) fn cmp(&self, other: &Float) -> Ordering {
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
    pub(super) fn add(&self, other: &Float, prec: u32) -> Float {
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

    pub(super) fn neg(mut self) -> Float {
        self.neg = !self.neg;
        self
    }

    pub(super) fn mul(&self, other: &Float, prec: u32) -> Float {
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

    pub(super) fn quo(&self, other: &Float, prec: u32) -> Float {
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

    pub(super) fn to_f64(&self) -> f64 {
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

pub(super) fn ldexp(mut m: f64, mut exp: i64) -> f64 {
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
