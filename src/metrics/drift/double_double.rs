//! The double-double arithmetic of xsf's `cephes/dd_real.h` (from the qd package): a value as
//! an unevaluated sum `hi + lo` of two doubles, about 106 significant bits.

use std::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Debug, Clone, Copy)]
pub(super) struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

/// fl(a + b) and its error, assuming |a| ≥ |b|.
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let err = b - (s - a);
    (s, err)
}

/// fl(a + b) and its error.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

/// fl(a · b) and its error, exact through a fused multiply-add.
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    pub(super) fn new(hi: f64, lo: f64) -> Self {
        Self { hi, lo }
    }

    pub(super) fn floor(self) -> Self {
        let hi = self.hi.floor();
        if hi == self.hi {
            let (hi, lo) = quick_two_sum(hi, self.lo.floor());
            Self::new(hi, lo)
        } else {
            Self::new(hi, 0.0)
        }
    }

    pub(super) fn ldexp(self, e: i32) -> Self {
        Self::new(super::kstwo::ldexp(self.hi, e), super::kstwo::ldexp(self.lo, e))
    }

    /// `(b, l)` with `0.5 ≤ |b.hi| < 1` (or `|b.hi| = 1` with `b.lo` of opposite sign) and
    /// `self = b · 2^l`.
    pub(super) fn frexp(self) -> (Self, i64) {
        let (mut man, mut exponent) = frexp(self.hi);
        let mut b1 = super::kstwo::ldexp(self.lo, -exponent);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exponent -= 1;
        }
        (Self::new(man, b1), i64::from(exponent))
    }
}

/// C's `frexp` for doubles: `(m, e)` with `0.5 ≤ |m| < 1` and `x = m · 2^e`.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    if exp_bits == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let exponent = exp_bits - 1022;
    let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (mantissa, exponent)
}

impl From<f64> for Dd {
    fn from(hi: f64) -> Self {
        Self::new(hi, 0.0)
    }
}

impl PartialEq<f64> for Dd {
    fn eq(&self, other: &f64) -> bool {
        self.hi == *other && self.lo == 0.0
    }
}

impl Neg for Dd {
    type Output = Self;
    fn neg(self) -> Self {
        Self::new(-self.hi, -self.lo)
    }
}

impl Add for Dd {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        let (s1, s2) = two_sum(self.hi, rhs.hi);
        let (t1, t2) = two_sum(self.lo, rhs.lo);
        let (s1, s2) = quick_two_sum(s1, s2 + t1);
        let (s1, s2) = quick_two_sum(s1, s2 + t2);
        Self::new(s1, s2)
    }
}

impl Add<f64> for Dd {
    type Output = Self;
    fn add(self, rhs: f64) -> Self {
        let (s1, s2) = two_sum(self.hi, rhs);
        let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
        Self::new(s1, s2)
    }
}

impl Sub for Dd {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        self + (-rhs)
    }
}

impl Sub<f64> for Dd {
    type Output = Self;
    fn sub(self, rhs: f64) -> Self {
        let (s1, s2) = two_sum(self.hi, -rhs);
        let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
        Self::new(s1, s2)
    }
}

impl Mul for Dd {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        let (p1, p2) = two_prod(self.hi, rhs.hi);
        let p2 = p2 + (self.hi * rhs.lo + self.lo * rhs.hi);
        let (p1, p2) = quick_two_sum(p1, p2);
        Self::new(p1, p2)
    }
}

impl Mul<Dd> for f64 {
    type Output = Dd;
    fn mul(self, rhs: Dd) -> Dd {
        let (p1, e1) = two_prod(self, rhs.hi);
        let (p2, e2) = two_prod(self, rhs.lo);
        let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
        Dd::new(p1, e1)
    }
}

impl Div for Dd {
    type Output = Self;
    fn div(self, rhs: Self) -> Self {
        let q1 = self.hi / rhs.hi;
        let r = self - q1 * rhs;
        let q2 = r.hi / rhs.hi;
        let r = r - q2 * rhs;
        let q3 = r.hi / rhs.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        Self::new(q1, q2) + q3
    }
}

impl Add<Dd> for f64 {
    type Output = Dd;
    fn add(self, rhs: Dd) -> Dd {
        rhs + self
    }
}

impl Sub<Dd> for f64 {
    type Output = Dd;
    fn sub(self, rhs: Dd) -> Dd {
        let (s1, s2) = two_sum(self, -rhs.hi);
        let (s1, s2) = quick_two_sum(s1, s2 - rhs.lo);
        Dd::new(s1, s2)
    }
}

impl Mul<f64> for Dd {
    type Output = Self;
    fn mul(self, rhs: f64) -> Self {
        rhs * self
    }
}

impl Div<f64> for Dd {
    type Output = Self;
    fn div(self, rhs: f64) -> Self {
        self / Dd::from(rhs)
    }
}
