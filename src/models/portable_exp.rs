//! The exponential used by logistic models, in plain IEEE arithmetic.
//!
//! libm's `exp` differs between libc versions and between its FMA and non-FMA code paths, so
//! the same fit could give different bits on two machines; this one uses only `+`, `-`, `*`
//! and bit operations, which every target rounds alike. It is also inlined into the
//! training loop, where a libm call per row was a noticeable share of the cost.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split as in fdlibm: the high part has 21 trailing zero bits, so `k * LN2_HI` is exact
/// for every exponent `k` that occurs here.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding and subtracting 1.5 × 2^52 rounds to the nearest integer without a libm call.
const ROUNDING_SHIFTER: f64 = 6_755_399_441_055_744.0;
/// Below this, e^x rounds to zero.
const UNDERFLOW: f64 = -745.2;

/// 1/n! for n = 0 to 13: the Taylor series of e^r, accurate to well under an ulp for
/// |r| <= ln(2)/2.
const TAYLOR: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.666_666_666_666_666_6e-1,
    4.166_666_666_666_666_4e-2,
    8.333_333_333_333_333e-3,
    1.388_888_888_888_889e-3,
    1.984_126_984_126_984e-4,
    2.480_158_730_158_73e-5,
    2.755_731_922_398_589_3e-6,
    2.755_731_922_398_589e-7,
    2.505_210_838_544_172e-8,
    2.087_675_698_786_81e-9,
    1.605_904_383_682_161_3e-10,
];

/// e^x for x <= 0, within about one ulp of the exact value; NaN gives NaN.
///
/// Only non-positive arguments occur (the stable sigmoid needs `e^-|z|`), which removes
/// the overflow case.
///
/// Written without branches (both scalings are computed and one is selected; the exponent
/// is taken from the bits of the rounding sum, with no float-to-integer conversion), so a
/// loop over many rows compiles to vector instructions, two or four rows at a time; each
/// lane does the same IEEE operations as one row alone, so the bits are the same.
#[inline]
pub fn exp_non_positive(x: f64) -> f64 {
    let shifted = x * LOG2_E + ROUNDING_SHIFTER;
    let k = shifted - ROUNDING_SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r = 1 + r + r²·P(r), with P evaluated by Estrin's scheme: a tree of depth three
    // instead of a chain of eleven dependent steps, so rows overlap in the pipeline. Adding
    // the leading 1 + r last keeps the rounding error of P's terms relative to r².
    let r2 = r * r;
    let r4 = r2 * r2;
    let pair = |n: usize| TAYLOR[n] + TAYLOR[n + 1] * r;
    let tail = (pair(2) + pair(4) * r2) + ((pair(6) + pair(8) * r2) + (pair(10) + pair(12) * r2) * r4) * r4;
    let mantissa = 1.0 + (r + r2 * tail);
    // `shifted` is 1.5 · 2^52 + k exactly, so its low bits are k in two's complement; adding
    // an exponent bias and shifting the sum into the exponent field gives 2^(k + offset) for
    // any offset that keeps the exponent normal (a NaN mantissa carries through the product).
    let k_bits = shifted.to_bits();
    let power_of_two = |offset: u64| f64::from_bits(k_bits.wrapping_add(1023 + offset) << 52);
    let normal = mantissa * power_of_two(0);
    // 2^k itself would be subnormal; scale in two steps.
    let subnormal = mantissa * power_of_two(1000) * TWO_TO_MINUS_1000;
    let scaled = if k >= -1021.0 { normal } else { subnormal };
    if x < UNDERFLOW { 0.0 } else { scaled }
}

/// 2^-1000.
const TWO_TO_MINUS_1000: f64 = f64::from_bits(23 << 52);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_to_an_ulp_or_two() {
        let mut worst: f64 = 0.0;
        let mut x: f64 = 0.0;
        while x > -708.0 {
            let exact = x.exp();
            let relative = (exp_non_positive(x) - exact).abs() / exact;
            worst = worst.max(relative);
            x -= 0.001_234_567;
        }
        assert!(worst < 3e-16, "worst relative error {worst}");
    }

    /// The exponential as it was written before it was made branch-free, to compare bits.
    fn with_branches(x: f64) -> f64 {
        if x < UNDERFLOW {
            return 0.0;
        }
        let k = (x * LOG2_E + ROUNDING_SHIFTER) - ROUNDING_SHIFTER;
        let r = (x - k * LN2_HI) - k * LN2_LO;
        let r2 = r * r;
        let r4 = r2 * r2;
        let pair = |n: usize| TAYLOR[n] + TAYLOR[n + 1] * r;
        let tail = (pair(2) + pair(4) * r2) + ((pair(6) + pair(8) * r2) + (pair(10) + pair(12) * r2) * r4) * r4;
        let mantissa = 1.0 + (r + r2 * tail);
        let power_of_two = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
        let k = k as i64;
        if k >= -1021 { mantissa * power_of_two(k) } else { mantissa * power_of_two(k + 1000) * power_of_two(-1000) }
    }

    #[test]
    fn branch_free_form_gives_the_same_bits() {
        let mut x: f64 = 0.0;
        while x > -760.0 {
            for x in [x, x.next_down(), x.next_up().min(0.0)] {
                assert_eq!(exp_non_positive(x).to_bits(), with_branches(x).to_bits(), "x = {x:e}");
            }
            x -= 0.000_987_654_3;
        }
        for x in [0.0, -0.0, -1e-300, -5e-324, UNDERFLOW, UNDERFLOW.next_up(), -708.4, -1021.0 / LOG2_E, f64::MIN] {
            assert_eq!(exp_non_positive(x).to_bits(), with_branches(x).to_bits(), "x = {x:e}");
        }
        assert_eq!(TWO_TO_MINUS_1000, 2f64.powi(-1000));
    }

    #[test]
    fn handles_the_edges() {
        assert_eq!(exp_non_positive(0.0), 1.0);
        assert_eq!(exp_non_positive(-0.0), 1.0);
        assert_eq!(exp_non_positive(-1000.0), 0.0);
        assert_eq!(exp_non_positive(f64::NEG_INFINITY), 0.0);
        assert!(exp_non_positive(f64::NAN).is_nan());
        for x in [-709.5, -720.0, -740.0, -745.0] {
            let (ours, exact) = (exp_non_positive(x), x.exp());
            assert!(ours > 0.0 && (ours - exact).abs() <= 2.0 * 5e-324 + exact * 1e-15);
        }
    }
}
