//! Exact Binomial(n, p) draws, the building block of the multinomial resampling of cells.
//!
//! `rand_distr` is not a dependency, so this is Devroye's recursive method (L. Devroye,
//! *Non-Uniform Random Variate Generation*, 1986, §X.4.3), chosen over BTPE because every step
//! is an identity of order statistics, with no acceptance constants to get subtly wrong:
//!
//! * Binomial(n, p) is the number of n iid uniforms at or below p. The i-th smallest of them,
//!   `U(i)`, is Beta(i, n + 1 − i). If `U(i) <= p`, the i smallest are all counted and the other
//!   n − i are uniform on (U(i), 1): the count is `i + Binomial(n − i, (p − U(i)) / (1 − U(i)))`.
//!   Otherwise only the i − 1 smaller ones, uniform on (0, U(i)), can be counted:
//!   `Binomial(i − 1, p / U(i))`. Any i is valid; i ≈ (n + 1)·p puts U(i) next to p, so the
//!   remaining binomial has mean O(√(n·p)) and the recursion is only O(log log n) deep.
//! * Once `n · min(p, 1 − p) < 16`, sequential inversion (Kachitvichyanukul & Schmeiser's BINV)
//!   finishes in about `n·p + 1` steps.
//! * Beta(a, b) = G_a / (G_a + G_b) with Gamma draws by Marsaglia & Tsang (2000), exact for
//!   shape ≥ 1 (here shapes are ≥ 1).
//!
//! "Exact" means exact in real arithmetic; in `f64` the only error is rounding (relative 1e-16
//! per step), far below anything a bootstrap of 1 000 resamples can see.

use rand::{Rng, RngExt};

use super::normal::standard_normal;

/// Below this mean (of the rarer outcome) inversion is cheaper than another split.
const INVERSION_MEAN: f64 = 16.0;

/// One Binomial(n, p) draw; `p` outside (0, 1) is clamped (0 → always 0, 1 → always n).
pub(crate) fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial(rng, n, 1.0 - p);
    }
    if (n as f64) * p < INVERSION_MEAN {
        return inversion(rng, n, p);
    }
    // Splitting at the order statistic nearest the mean leaves a remainder whose mean is only
    // O(√(n·p)), so two or three splits reach the inversion range (depth O(log log n)).
    let i = (((n + 1) as f64 * p) as u64).clamp(1, n);
    let u = beta(rng, i as f64, (n + 1 - i) as f64);
    if u <= p { i + binomial(rng, n - i, (p - u) / (1.0 - u)) } else { binomial(rng, i - 1, p / u) }
}

/// BINV: walk the CDF from 0 with the pmf recurrence `f(x) = f(x − 1) · (n − x + 1)/x · p/q`.
/// Needs `p <= 0.5` and a small `n · p`, so `q^n >= e^(−23)` does not underflow.
fn inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let q = 1.0 - p;
    let ratio = p / q;
    let start = (n as f64 * q.ln()).exp();
    'draw: loop {
        let mut u = rng.random::<f64>();
        let mut f = start;
        let mut x = 0;
        while u > f {
            u -= f;
            x += 1;
            if x > n {
                // Rounding left u above the total mass: draw again rather than bias the tail.
                continue 'draw;
            }
            f *= (n - x + 1) as f64 / x as f64 * ratio;
        }
        return x;
    }
}

/// Beta(a, b) for a, b >= 1.
fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// Gamma(shape, 1) for shape >= 1, Marsaglia & Tsang's squeeze-and-reject method.
fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = 1.0 - rng.random::<f64>();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Sample mean and variance of `draws` Binomial(n, p) variates must match n·p and n·p·q
    /// within 5 standard errors (the variance's standard error uses the binomial's fourth
    /// central moment).
    fn check_moments(n: u64, p: f64, draws: usize, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let xs: Vec<f64> = (0..draws).map(|_| binomial(&mut rng, n, p) as f64).collect();
        assert!(xs.iter().all(|&x| x >= 0.0 && x <= n as f64));
        let k = draws as f64;
        let mean = xs.iter().sum::<f64>() / k;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let (nf, q) = (n as f64, 1.0 - p);
        let (mu, sigma2) = (nf * p, nf * p * q);
        let mu4 = sigma2 * (1.0 + 3.0 * (nf - 2.0) * p * q);
        let se_mean = (sigma2 / k).sqrt();
        let se_var = ((mu4 - sigma2 * sigma2 * (k - 3.0) / (k - 1.0)) / k).sqrt();
        assert!((mean - mu).abs() < 5.0 * se_mean, "n={n} p={p}: mean {mean} vs {mu}");
        assert!((var - sigma2).abs() < 5.0 * se_var, "n={n} p={p}: variance {var} vs {sigma2}");
    }

    #[test]
    fn moments_match_across_regimes() {
        check_moments(10, 0.3, 100_000, 1); // inversion
        check_moments(40, 0.5, 100_000, 2); // one split, then inversion
        check_moments(1_000, 0.9, 50_000, 3); // symmetry, splits
        check_moments(100_000, 0.37, 50_000, 4); // deep recursion
        check_moments(100_000, 1e-4, 50_000, 5); // rare outcome, inversion at large n
    }

    /// The full distribution, not only two moments: a chi-square goodness-of-fit test of
    /// `draws` variates against the exact pmf (from the pmf recurrence in logs), classes pooled
    /// to expect at least 20. Fails above `df + 4·√(2·df)`, beyond the 0.9999 quantile.
    fn check_distribution(n: u64, p: f64, draws: usize, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut counts = vec![0_u64; n as usize + 1];
        for _ in 0..draws {
            counts[binomial(&mut rng, n, p) as usize] += 1;
        }
        let mut ln_pmf = n as f64 * (1.0 - p).ln();
        let (mut chi2, mut classes, mut pooled_e, mut pooled_o) = (0.0, 0_u32, 0.0, 0.0);
        for (x, &observed) in counts.iter().enumerate() {
            if x > 0 {
                ln_pmf += ((n as f64 - x as f64 + 1.0) / x as f64 * p / (1.0 - p)).ln();
            }
            pooled_e += ln_pmf.exp() * draws as f64;
            pooled_o += observed as f64;
            if pooled_e >= 20.0 {
                chi2 += (pooled_o - pooled_e).powi(2) / pooled_e;
                classes += 1;
                (pooled_e, pooled_o) = (0.0, 0.0);
            }
        }
        let df = f64::from(classes - 1);
        assert!(classes > 10, "n={n} p={p}: only {classes} classes");
        assert!(chi2 < df + 4.0 * (2.0 * df).sqrt(), "n={n} p={p}: chi-square {chi2} with {df} df");
    }

    #[test]
    fn distribution_matches_pmf() {
        check_distribution(60, 0.4, 200_000, 11); // one split, then inversion
        check_distribution(10_000, 0.3, 200_000, 12); // two or three splits
        check_distribution(100_000, 0.97, 200_000, 13); // symmetry and splits
    }

    #[test]
    fn edge_probabilities() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 17, 0.0), 0);
        assert_eq!(binomial(&mut rng, 17, 1.0), 17);
    }
}
