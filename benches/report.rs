//! Report benchmark (`cargo bench --bench report`), issue #7's case: 50 cohorts × 100,000
//! validation rows × 1,000 bootstrap resamples; target under 5 s on 2 cores. It does what the
//! `report` stage does: every cohort's intervals (5 confusion metrics, ECE, Brier score, log
//! loss, DeLong ROC-AUC) and every pair of cohorts compared (McNemar, paired bootstrap, DeLong)
//! with its sentences: 1,225 pairs.

use divan::Bencher;
use nethical::metrics::compare::{ACCURACY, Bootstrap, Cohort, ConfusionMetric, ROC_AUC, ab_sentence, compare};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const COHORTS: usize = 50;
const ROWS: usize = 100_000;
const RESAMPLES: usize = 1_000;

fn main() {
    divan::main();
}

/// Labels and 50 cohorts' probabilities of increasing noise around one signal.
fn data() -> (Vec<u8>, Vec<Vec<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let y: Vec<u8> = (0..ROWS).map(|_| u8::from(rng.random::<f64>() < 0.4)).collect();
    let base: Vec<f64> =
        y.iter().map(|&v| if v == 1 { 0.62 } else { 0.38 } + 0.4 * (rng.random::<f64>() - 0.5)).collect();
    let probs = (0..COHORTS)
        .map(|c| {
            let noise = 0.3 + 0.01 * c as f64;
            base.iter().map(|&b| (b + noise * (rng.random::<f64>() - 0.5)).clamp(0.0, 1.0)).collect()
        })
        .collect();
    (y, probs)
}

#[divan::bench(sample_count = 3)]
fn report_50_cohorts_all_pairs(bencher: Bencher<'_, '_>) {
    let (y, probs) = data();
    let bootstrap = Bootstrap::new(RESAMPLES, 42).expect("resamples");
    bencher.bench(|| {
        let cohorts: Vec<Cohort<'_>> = probs.par_iter().map(|p| Cohort::new(&y, p, 0.5, 10).expect("valid")).collect();
        let intervals: Vec<_> = cohorts.par_iter().map(|c| c.intervals(&bootstrap)).collect();
        let pairs: Vec<(usize, usize)> = (0..COHORTS).flat_map(|i| (i + 1..COHORTS).map(move |j| (i, j))).collect();
        let sentences: Vec<String> = pairs
            .par_iter()
            .flat_map_iter(|&(i, j)| {
                let c = compare(&cohorts[i], &cohorts[j], &bootstrap).expect("same rows");
                let mut out = Vec::new();
                if let Some(ci) = c.differences[&ConfusionMetric::Accuracy].ci {
                    out.push(ab_sentence("a", "b", &ACCURACY, c.mcnemar.difference, ci, c.mcnemar.p_value));
                }
                if let Some(d) = c.roc_auc {
                    out.push(ab_sentence("a", "b", &ROC_AUC, d.difference, d.ci, d.p_value));
                }
                out
            })
            .collect();
        (intervals, sentences)
    });
}
