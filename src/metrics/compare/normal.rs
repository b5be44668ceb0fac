//! The standard normal distribution: two-sided p-values, the 97.5% quantile, and exact draws.
//!
//! `std` has no `erfc`, and the p-values of DeLong's test must stay accurate far in the tail
//! (a large validation set makes |z| = 10 common), where `1 − erf` would round to 0. So `erfc`
//! is evaluated from two convergent expansions chosen by range, each accurate to a few ulps
//! where it is used: the all-positive series for `erf` (no cancellation) below 2, and the
//! Laplace continued fraction for `erfc` (evaluated by modified Lentz) from 2 on.

use rand::{Rng, RngExt};

/// The 0.975 quantile of N(0, 1), `scipy.stats.norm.ppf(0.975)`: a 95% two-sided interval is
/// `estimate ± Z_975 · se`.
pub const Z_975: f64 = 1.959_963_984_540_054;

const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// Two-sided p-value of a z statistic, `2 · P(Z > |z|)`; `z = ±∞` gives 0.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Complementary error function for finite or infinite `x` (NaN in, NaN out).
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.5 {
        // erfc(27.5) < 1e-330: below the smallest subnormal.
        return 0.0;
    }
    erfc_continued_fraction(x)
}

/// `erf(x) = 2/√π · e^(−x²) · Σ_k 2^k x^(2k+1) / (1·3·…·(2k+1))`: every term is positive, so
/// the sum is accurate to rounding; for x < 2 it converges in under 60 terms.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut k = 0.0;
    while term > sum * 1e-17 {
        k += 1.0;
        term *= 2.0 * x2 / (2.0 * k + 1.0);
        sum += term;
    }
    FRAC_2_SQRT_PI * (-x2).exp() * sum
}

/// `erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`, by modified Lentz.
fn erfc_continued_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..1000 {
        let a = f64::from(k) / 2.0;
        d = x + a * d;
        d = if d == 0.0 { 1.0 / TINY } else { 1.0 / d };
        c = x + a / c;
        if c == 0.0 {
            c = TINY;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// One N(0, 1) draw by Marsaglia's polar method, which is exact (no table, no approximation);
/// the second variate of the pair is dropped to keep the generator stateless.
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    loop {
        let u = 2.0 * rng.random::<f64>() - 1.0;
        let v = 2.0 * rng.random::<f64>() - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * s.ln() / s).sqrt();
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn assert_rel(name: &str, got: f64, want: f64, tol: f64) {
        let err = if want == 0.0 { got.abs() } else { ((got - want) / want).abs() };
        assert!(err <= tol, "{name}: got {got:e}, want {want:e}, relative error {err:e}");
    }

    // reference: scipy 1.17.1 scipy.special.erfc
    #[test]
    fn erfc_matches_scipy() {
        let cases = [
            (-1.5, 1.9661051464753108),
            (0.0, 1.0),
            (0.1, 0.8875370839817152),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028516),
            (1.9, 0.007209570764742531),
            (2.0, 0.004677734981047266),
            (3.0, 2.2090496998585445e-05),
            (6.0, 2.1519736712498913e-17),
            (10.0, 2.0884875837625446e-45),
            (26.0, 5.663192408856145e-296),
        ];
        for (x, want) in cases {
            assert_rel(&format!("erfc({x})"), erfc(x), want, 1e-13);
        }
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
    }

    // reference: scipy 1.17.1, 2 * scipy.stats.norm.sf(abs(z)) and norm.ppf(0.975)
    #[test]
    fn two_sided_p_matches_scipy() {
        let cases = [
            (0.0, 1.0),
            (-0.3, 0.7641771556220948),
            (1.959963984540054, 0.05),
            (3.2, 0.0013742758758316942),
            (-8.5, 1.89590696444065e-17),
        ];
        for (z, want) in cases {
            assert_rel(&format!("p({z})"), two_sided_p(z), want, 1e-13);
        }
        assert_eq!(two_sided_p(f64::INFINITY), 0.0);
    }

    #[test]
    fn normal_draws_have_unit_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
    }
}
