//! Multinomial draws over cells, which is what resampling rows with replacement does to counts.
//!
//! Drawing N rows with replacement from N rows whose cells hold `n_1 … n_k` rows gives cell
//! counts Multinomial(N; n_1/N, …, n_k/N), exactly. The draw is sequential conditional
//! binomials: `K_1 ~ Bin(N, n_1/N)`, then `K_j ~ Bin(N − K_1 − … − K_{j−1}, n_j / (n_j + … +
//! n_k))`, and the last cell takes what is left. Probabilities are ratios of integer counts,
//! so no rounding accumulates along the cells.

use rand::Rng;

use super::binomial::binomial;

/// Fills `out` with one Multinomial(`draws`; `weights` / Σ `weights`) draw.
///
/// `out` and `weights` have the same length; zero weights get zero counts.
pub(crate) fn multinomial<R: Rng + ?Sized>(rng: &mut R, draws: u64, weights: &[u64], out: &mut [u64]) {
    let mut remaining_draws = draws;
    let mut remaining_weight: u64 = weights.iter().sum();
    for (&weight, slot) in weights.iter().zip(out.iter_mut()) {
        let k = if weight == remaining_weight {
            remaining_draws
        } else {
            binomial(rng, remaining_draws, weight as f64 / remaining_weight as f64)
        };
        *slot = k;
        remaining_draws -= k;
        remaining_weight -= weight;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn counts_sum_to_draws_and_have_multinomial_moments() {
        let weights = [500_u64, 0, 3_000, 6_400, 100];
        let n: u64 = weights.iter().sum();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let resamples = 20_000;
        let mut sums = [0.0_f64; 5];
        let mut squares = [0.0_f64; 5];
        let mut cross01 = 0.0;
        let mut out = [0_u64; 5];
        for _ in 0..resamples {
            multinomial(&mut rng, n, &weights, &mut out);
            assert_eq!(out.iter().sum::<u64>(), n);
            assert_eq!(out[1], 0);
            for j in 0..5 {
                sums[j] += out[j] as f64;
                squares[j] += (out[j] as f64).powi(2);
            }
            cross01 += out[2] as f64 * out[3] as f64;
        }
        let r = resamples as f64;
        for j in [0, 2, 3, 4] {
            let p = weights[j] as f64 / n as f64;
            let (mu, var) = (n as f64 * p, n as f64 * p * (1.0 - p));
            let mean = sums[j] / r;
            let sample_var = squares[j] / r - mean * mean;
            assert!((mean - mu).abs() < 5.0 * (var / r).sqrt(), "cell {j}: mean {mean} vs {mu}");
            assert!((sample_var / var - 1.0).abs() < 0.06, "cell {j}: variance {sample_var} vs {var}");
        }
        // Cov(K_2, K_3) = −N p_2 p_3.
        let (p2, p3) = (0.3, 0.64);
        let cov = cross01 / r - (sums[2] / r) * (sums[3] / r);
        let want = -(n as f64) * p2 * p3;
        assert!((cov / want - 1.0).abs() < 0.06, "covariance {cov} vs {want}");
    }
}
