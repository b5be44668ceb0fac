//! Governance benchmark (`cargo bench --bench governance`): per-cohort risk aggregation and the
//! shared-error rule on 100,000 and 1,000,000 items over 5 cohorts, so linear growth shows as a
//! 10× time for 10× input (target: 100,000 actions well under 1 s); and each Phase 3 detector on
//! one cohort of 100,000 rows.

use divan::Bencher;
use nethical::governance::correlation_engine::{ErrorSet, coordinated_errors};
use nethical::governance::risk_engine::{Action, score_actions};

const COHORTS: usize = 5;

fn main() {
    divan::main();
}

/// A cheap deterministic hash (SplitMix64 finaliser), so the bench needs no RNG crate.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `n` actions, cohort-major like a run's validation predictions; about 1 in 8 is a violation.
fn actions(n: usize) -> Vec<Action> {
    (0..n)
        .map(|i| {
            let cohort = i * COHORTS / n;
            let h = mix(i as u64);
            let risk = (h % 1000) as f64 / 1000.0;
            let violation = h.is_multiple_of(8).then(|| {
                let severity = if risk >= 0.75 { "high" } else { "medium" };
                ("false_positive".to_owned(), severity.to_owned())
            });
            Action { cohort: format!("cohort_{cohort}"), agent: format!("model_{cohort}"), risk, violation }
        })
        .collect()
}

/// `n` rows in all: each of the 5 cohorts evaluated on the same n/5 rows, about 1 in 10 wrong.
fn error_sets(n: usize) -> Vec<ErrorSet> {
    let per_cohort = (n / COHORTS) as u64;
    (0..COHORTS as u64)
        .map(|c| ErrorSet {
            cohort: format!("cohort_{c}"),
            rows: (0..per_cohort).collect(),
            errors: (0..per_cohort).filter(|&r| mix(r ^ (c << 40)).is_multiple_of(10)).collect(),
        })
        .collect()
}

#[divan::bench(args = [100_000, 1_000_000], sample_count = 20)]
fn score_actions_n(bencher: Bencher<'_, '_>, n: usize) {
    let input = actions(n);
    bencher.bench(|| score_actions(&input));
}

#[divan::bench(args = [100_000, 1_000_000], sample_count = 20)]
fn coordinated_errors_n(bencher: Bencher<'_, '_>, n: usize) {
    let input = error_sets(n);
    bencher.bench(|| coordinated_errors(&input));
}

/// One cohort's validation predictions with five features, for the Phase 3 detectors.
fn detector_data(n: usize) -> (Vec<u8>, Vec<f64>, std::collections::BTreeMap<String, Vec<f64>>) {
    let y: Vec<u8> = (0..n).map(|i| u8::from(mix(i as u64).is_multiple_of(3))).collect();
    let p: Vec<f64> =
        (0..n).map(|i| (f64::from(y[i]) * 0.6 + (mix(i as u64 ^ 0xff) % 1000) as f64 / 2500.0).min(1.0)).collect();
    let features = (0..5)
        .map(|f| (format!("x{f}"), (0..n).map(|i| (mix(i as u64 ^ (f << 50)) % 10_000) as f64).collect()))
        .collect();
    (y, p, features)
}

/// Each Phase 3 detector on one cohort of 100,000 rows: what the risk gating saves.
#[divan::bench(args = ["misclassification_scan", "calibration_audit", "error_slices", "threshold_review"], sample_count = 5)]
fn detector_100k(bencher: Bencher<'_, '_>, name: &str) {
    use nethical::governance::detectors::{DETECTORS, DetectorInput};
    let (y, p, features) = detector_data(100_000);
    let input = DetectorInput { y_true: &y, y_prob: &p, threshold: 0.5, features: &features, seed: 7 };
    let Some(detector) = DETECTORS.iter().find(|d| d.name == name) else { return };
    bencher.bench(|| (detector.run)(&input));
}
