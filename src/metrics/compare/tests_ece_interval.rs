//! Properties of the ECE's bootstrap interval (issue: a statistic that contradicts itself):
//! it contains its estimate for every seed and cohort size, near-zero ECE included, and on
//! simulated data with a known population ECE it covers that value about 95% of the time.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Bootstrap, Cohort};

/// `n` rows with P(y = 1 | p) = `truth(p)` and p uniform on (0, 1).
fn simulate(n: usize, seed: u64, truth: impl Fn(f64) -> f64) -> (Vec<u8>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let y = p.iter().map(|&p| u8::from(rng.random::<f64>() < truth(p))).collect();
    (y, p)
}

#[test]
fn the_interval_always_contains_the_estimate() {
    let mut checked = 0;
    for n in [20, 50, 200, 1000, 5000] {
        for seed in 0..40 {
            // Calibrated (ECE near zero, where the upward bias is largest) and miscalibrated.
            for shift in [0.0, 0.05, 0.2] {
                let (y, p) = simulate(n, seed, |p| (p + shift).min(1.0));
                let cohort = Cohort::new(&y, &p, 0.5, 10).expect("cohort");
                let iv = cohort.intervals(&Bootstrap::new(200, seed).expect("resamples")).ece;
                let (e, ci) = (iv.estimate.expect("defined"), iv.ci.expect("an interval"));
                assert!(ci.lo <= e && e <= ci.hi, "n {n} seed {seed} shift {shift}: {e} outside {ci:?}");
                assert!(ci.lo >= 0.0, "the ECE is never negative: {ci:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 600);
}

#[test]
fn the_interval_covers_a_known_ece_about_95_percent_of_the_time() {
    // P(y = 1 | p) = 0.7 p + 0.2: in bin b (width 0.1, p uniform) the gap is
    // |0.2 − 0.3 · (0.05 + 0.1 b)|, so the population ECE is 0.1 · 0.83 = 0.083.
    let truth = 0.1 * (0..10).map(|b| (0.2 - 0.3 * (0.05 + 0.1 * f64::from(b))).abs()).sum::<f64>();
    assert!((truth - 0.083).abs() < 1e-12);
    let trials = 300;
    let covered = (0..trials)
        .filter(|&seed| {
            let (y, p) = simulate(2000, 1000 + seed, |p| 0.7 * p + 0.2);
            let cohort = Cohort::new(&y, &p, 0.5, 10).expect("cohort");
            let ci = cohort.intervals(&Bootstrap::new(500, seed).expect("resamples")).ece.ci.expect("interval");
            ci.contains(truth)
        })
        .count();
    let coverage = covered as f64 / f64::from(u32::try_from(trials).unwrap_or(u32::MAX));
    // 300 trials: a true 95% coverage lands in [0.91, 0.98] with probability > 0.99.
    assert!((0.91..=0.98).contains(&coverage), "coverage {coverage}");
}
