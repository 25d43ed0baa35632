//! Go's `math/big` decimal conversion, which Terraform's number printing goes through: the
//! exact decimal of a binary value, Go's rounding of it (half to even on an exact half),
//! the shortest digits that read back at a given precision, and the `%e`/`%f` layouts.

use num_bigint::BigUint;
use num_traits::Zero;

/// A decimal `0.digits × 10^exp`, digits without trailing zeros (Go's `big.decimal`).
pub(super) struct Decimal {
    pub(super) digits: Vec<u8>,
    pub(super) exp: i64,
}

impl Decimal {
    /// The exact decimal of `mant × 2^shift`.
    pub(super) fn of(mant: &BigUint, shift: i64) -> Decimal {
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

    pub(super) fn round(&mut self, n: i64) {
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
    pub(super) fn round_shortest(&mut self, x_mant: &BigUint, x_exp: i64, prec: u32) {
        if self.digits.is_empty() {
            return;
        }
        let bits = x_mant.bits() as i64;
        let s = bits - (prec as i64 + 1);
        let mant = if s < 0 {
            x_mant << (-s) as u64
        } else {
            x_mant >> s as u64
        };
        let exp = x_exp + s;
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

    pub(super) fn fmt_e(&self, upper: bool, prec: usize, out: &mut String) {
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

    pub(super) fn fmt_f(&self, prec: usize, out: &mut String) {
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
