//! Drift statistics benchmark (`cargo bench --bench drift`): PSI, KS, Jensen–Shannon and
//! Wasserstein-1 of two 1,000,000-value cohorts, N(0, 1) against N(0.1, 1), target < 1 s; and
//! reading one cohort's 200,000 predictions as `train` writes them, which `drift` and `report`
//! do for every cohort (issue 19: the drift stage's 4 cohorts in ≤ 0.2 s all told).

use divan::Bencher;
use nethical::data::sampling::unit_f64;
use nethical::metrics::drift::drift_between;
use nethical::predictions::{PredictionColumns, read_predictions};
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

/// `row,y_true,y_prob,y_pred` for 200,000 validation rows, the probabilities printed as
/// `train` prints them (shortest round-trip decimal).
fn predictions_csv(rows: usize, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::from("row,y_true,y_prob,y_pred\n");
    for row in 0..rows {
        let p = unit_f64(&mut rng);
        let y = u8::from(unit_f64(&mut rng) < p);
        out.push_str(&format!("{},{y},{p},{}\n", row * 5, u8::from(p >= 0.5)));
    }
    out.into_bytes()
}

/// One cohort's predictions file parsed, row ids included, as the drift stage reads it.
#[divan::bench(sample_count = 10)]
fn read_predictions_200k(bencher: Bencher<'_, '_>) {
    let csv = predictions_csv(200_000, 13);
    let cols = PredictionColumns { row: Some("row".to_owned()), ..PredictionColumns::default() };
    bencher.bench(|| read_predictions(&csv, "predictions.csv", &cols).expect("valid predictions"));
}
