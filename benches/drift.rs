//! Drift statistics benchmark (`cargo bench --bench drift`): PSI, KS, Jensen–Shannon and
//! Wasserstein-1 of two 1,000,000-value cohorts, N(0, 1) against N(0.1, 1), target < 1 s.

use divan::Bencher;
use nethical::data::sampling::unit_f64;
use nethical::metrics::drift::drift_between;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    divan::main();
}

/// `n` draws from N(mean, 1) by Box–Muller on the crate's portable uniform draws.
fn normal_sample(n: usize, mean: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - unit_f64(&mut rng)).ln()).sqrt();
        let angle = std::f64::consts::TAU * unit_f64(&mut rng);
        out.push(mean + radius * angle.cos());
        if out.len() < n {
            out.push(mean + radius * angle.sin());
        }
    }
    out
}

/// All four statistics on 1,000,000 vs 1,000,000 values, sorting included (target < 1 s).
#[divan::bench(sample_count = 10)]
fn drift_1m_vs_1m(bencher: Bencher<'_, '_>) {
    let reference = normal_sample(1_000_000, 0.0, 11);
    let current = normal_sample(1_000_000, 0.1, 12);
    bencher.bench(|| drift_between(&reference, &current).expect("finite samples"));
}
