//! Checks that the Brier score's and log loss's cell bootstrap is the row bootstrap: point
//! estimates are the crate's, the interval matches a naive row bootstrap and numpy's, the
//! bootstrap variance is the exact one, and the new draws changed no other interval.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::super::scoring::{brier_term, log_loss_term};
use super::super::tests_reference::{P_A, TOL, Y_A, assert_close};
use super::super::{brier, log_loss};
use super::cohort_cells::CohortCells;
use super::interval::percentile_interval;
use super::tests_bootstrap::{same_law, synthetic};
use super::*;

/// The exact standard error of the row bootstrap of a mean: a resampled mean of N rows drawn
/// with replacement has variance `var_pop / N`, so its sd needs no resampling at all.
fn exact_bootstrap_se(terms: &[f64]) -> f64 {
    let n = terms.len() as f64;
    let mean = terms.iter().sum::<f64>() / n;
    let var_pop = terms.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
    (var_pop / n).sqrt()
}

/// Monte Carlo sd of the 2.5th (or 97.5th) percentile of `resamples` draws from a law close to
/// N(·, se²): `√(q(1 − q)/R) / f(x_q)` with the normal density `f(x_q) = φ(1.96) / se`.
fn percentile_sd(se: f64, resamples: usize) -> f64 {
    let q = (1.0 - LEVEL) / 2.0;
    let density = (-Z_975 * Z_975 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    se * (q * (1.0 - q) / resamples as f64).sqrt() / density
}

fn terms(y: &[u8], p: &[f64], term: fn(u8, f64) -> f64) -> Vec<f64> {
    y.iter().zip(p).map(|(&y, &p)| term(y, p)).collect()
}

/// `resamples` (Brier score, log loss) replicates drawn as [`Cohort::intervals`] draws them.
fn replicates(cells: &CohortCells, resamples: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (mut rng, mut loss_rng) = (ChaCha8Rng::seed_from_u64(seed), ChaCha8Rng::seed_from_u64(seed + 1));
    let mut scratch = cells.scratch();
    let (mut brier, mut log_loss) = (Vec::with_capacity(resamples), Vec::with_capacity(resamples));
    for _ in 0..resamples {
        cells.resample(&mut rng, &mut scratch);
        let (b, l) = cells.resample_losses(&mut loss_rng, &scratch);
        brier.push(b);
        log_loss.push(l);
    }
    (brier, log_loss)
}

/// Sample sd of `values`.
fn sd(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

// reference: scikit-learn 1.9.1 brier_score_loss and log_loss on (Y_A, P_A), as in
// `metrics::scoring`'s tests; P_A has confident mistakes at p = 0 and 1, so the clipping counts.
#[test]
fn loss_estimates_are_the_crate_metrics() {
    let cohort = Cohort::new(&Y_A, &P_A, 0.5, 10).expect("valid input");
    let got = cohort.intervals(&Bootstrap::new(200, 3).expect("resamples > 0"));
    // Exactly what `metrics.json` records, not merely close: the same function on the same rows.
    assert_eq!(got.brier.estimate, Some(brier(&Y_A, &P_A).expect("valid input")));
    assert_eq!(got.log_loss.estimate, Some(log_loss(&Y_A, &P_A).expect("valid input")));
    assert_close("brier", got.brier.estimate.unwrap_or(f64::NAN), 0.25038125, TOL);
    assert_close("log_loss", got.log_loss.estimate.unwrap_or(f64::NAN), 2.143573129763297, TOL);
    for (name, e) in [("brier", got.brier), ("log_loss", got.log_loss)] {
        assert_eq!(e.undefined_resamples, 0, "{name}: a mean is defined on every resample");
        let ci = e.ci.expect("defined");
        assert!(ci.contains(e.estimate.unwrap_or(f64::NAN)), "{name}: {e:?}");
    }
    // The module's data-free bounds: 2/N, and 2·ln((1 − ε)/ε)/N for the clipped log loss.
    let n = Y_A.len() as f64;
    assert!(got.brier_approximation_bound > 0.0 && got.brier_approximation_bound <= 2.0 / n);
    let log_loss_range = ((1.0 - f64::EPSILON) / f64::EPSILON).ln();
    assert!(got.log_loss_approximation_bound > 0.0 && got.log_loss_approximation_bound <= 2.0 * log_loss_range / n);
}

/// Cell resampling against resampling 3 000 rows with replacement and calling the crate's
/// functions, 4 000 times each. Tolerances are Monte Carlo ones only: the replicates' mean and
/// sd by `same_law`, and each interval end within 4.5 · √2 times the sd of an empirical
/// percentile (two independent runs). The normal draws' own error is not added: the W1 bound
/// `B` is a worst case per cell (and W1 does not bound a percentile anyway), while the errors
/// of some 40 cells' sums average out in their total; this test is what shows that error is
/// below the Monte Carlo one (observed gaps are a fifth of the tolerance or less).
#[test]
fn loss_intervals_match_a_naive_row_bootstrap() {
    let (y, p, _) = synthetic(3_000, 12, 0.25);
    let resamples = 4_000;
    let cohort = Cohort::new(&y, &p, 0.5, 10).expect("valid input");
    let got = cohort.intervals(&Bootstrap::new(resamples, 13).expect("resamples > 0"));
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let (mut naive_brier, mut naive_log_loss) = (Vec::new(), Vec::new());
    for _ in 0..resamples {
        let index: Vec<usize> = (0..y.len()).map(|_| rng.random_range(0..y.len())).collect();
        let ys: Vec<u8> = index.iter().map(|&i| y[i]).collect();
        let ps: Vec<f64> = index.iter().map(|&i| p[i]).collect();
        naive_brier.push(brier(&ys, &ps).expect("valid input"));
        naive_log_loss.push(log_loss(&ys, &ps).expect("valid input"));
    }
    let (ours_brier, ours_log_loss) = replicates(&CohortCells::new(&y, &p, 0.5, 10), resamples, 15);
    same_law("brier", &ours_brier, &naive_brier);
    same_law("log_loss", &ours_log_loss, &naive_log_loss);

    let cases = [
        ("brier", got.brier, got.brier_approximation_bound, naive_brier, terms(&y, &p, brier_term)),
        ("log_loss", got.log_loss, got.log_loss_approximation_bound, naive_log_loss, terms(&y, &p, log_loss_term)),
    ];
    for (name, ours, bound, mut naive, terms) in cases {
        assert!(bound > 0.0 && bound <= 72.1 / y.len() as f64, "{name}: bound {bound}");
        let ci = ours.ci.expect("defined");
        let naive_ci = percentile_interval(&mut naive).expect("non-empty");
        let se = exact_bootstrap_se(&terms);
        let tol = 4.5 * 2_f64.sqrt() * percentile_sd(se, resamples);
        assert!((ci.lo - naive_ci.lo).abs() <= tol, "{name}: {ci:?} vs naive {naive_ci:?} (tol {tol})");
        assert!((ci.hi - naive_ci.hi).abs() <= tol, "{name}: {ci:?} vs naive {naive_ci:?} (tol {tol})");
        // Percentile, not basic: a resampled mean is centred on the estimate, so the interval
        // is near-symmetric about it and holds it (the two intervals then nearly coincide).
        let estimate = ours.estimate.expect("defined");
        assert!(ci.contains(estimate), "{name}: {estimate} outside {ci:?}");
        let off_centre = (ci.lo + ci.hi) / 2.0 - estimate;
        assert!(off_centre.abs() <= 0.1 * (ci.hi - ci.lo), "{name}: {estimate} vs {ci:?}");
    }
}

/// 1 000 rows built from integers, so numpy and Rust see the same floats: `p = (a + 1)/98` with
/// `a = 37i mod 97`, and `y = 1` iff `b/89 < a/97` with `b = (53i + 11) mod 89`, which makes
/// `p` roughly calibrated (500 positives).
fn integer_rows() -> (Vec<u8>, Vec<f64>) {
    (0..1_000_u64)
        .map(|i| {
            let (a, b) = ((i * 37) % 97, (i * 53 + 11) % 89);
            (u8::from(b * 97 < a * 89), (a + 1) as f64 / 98.0)
        })
        .unzip()
}

// reference: numpy 2.4.6, Python 3.11.7:
//
// ```python
// import numpy as np
// N = 1000; i = np.arange(N); a = (i * 37) % 97; p = (a + 1) / 98
// b = (i * 53 + 11) % 89; y = (b * 97 < a * 89).astype(np.int64)
// eps = np.finfo(np.float64).eps
// brier_t = (y - p) ** 2; ll_t = -np.log(np.clip(np.where(y == 1, p, 1 - p), eps, 1 - eps))
// for t in (brier_t, ll_t): print(repr(t.mean()), repr(np.sqrt(t.var() / N)))  # exact se
// rng = np.random.default_rng(20261123); R, chunk = 200_000, 2_000; m = {0: [], 1: []}
// for _ in range(R // chunk):
//     idx = rng.integers(0, N, size=(chunk, N))
//     for k, t in enumerate((brier_t, ll_t)): m[k].append(t[idx].mean(axis=1))
// for k in m: print(np.percentile(np.concatenate(m[k]), [2.5, 97.5]))  # naive row bootstrap
// ```
#[test]
fn loss_bootstrap_matches_numpy() {
    let (y, p) = integer_rows();
    assert_eq!(y.iter().filter(|&&v| v == 1).count(), 500);
    let resamples = 100_000;
    let (brier_replicates, log_loss_replicates) = replicates(&CohortCells::new(&y, &p, 0.5, 10), resamples, 21);
    let cases = [
        (
            "brier",
            brier_replicates,
            0.17418419408579758,
            0.006460692988275566,
            (0.16162691847147023, 0.18701513431903372),
        ),
        (
            "log_loss",
            log_loss_replicates,
            0.5214204400688687,
            0.016589985715094333,
            (0.4893187860033362, 0.5544811052916878),
        ),
    ];
    let ours = [brier(&y, &p).expect("valid input"), log_loss(&y, &p).expect("valid input")];
    for ((name, mut replicates, estimate, se, (lo, hi)), got) in cases.into_iter().zip(ours) {
        assert_close(name, got, estimate, TOL);
        // Deterministic in law: the normal draws keep each cell sum's exact conditional mean and
        // variance, so by the law of total variance the replicates' variance is exactly the row
        // bootstrap's, `var_pop / N`. What is left is Monte Carlo error: the sample sd of R
        // near-normal draws has relative sd 1/√(2R) = 0.22%; allow 4.5 of those.
        let got_sd = sd(&replicates);
        let tol = 4.5 / (2.0 * resamples as f64).sqrt();
        assert!((got_sd / se - 1.0).abs() <= tol, "{name}: bootstrap sd {got_sd} vs exact {se}");
        // numpy's naive interval (200 000 resamples) against ours (100 000): 4.5 combined sds of
        // the two runs' Monte Carlo error, 3e-4 for the Brier score and 8e-4 for the log loss
        // (observed gaps: 7e-5). `B` (7e-4 and 3e-3 here) is not added, as in the naive test.
        let ci = percentile_interval(&mut replicates).expect("non-empty");
        let mc = percentile_sd(se, 200_000).hypot(percentile_sd(se, resamples));
        let tol = 4.5 * mc;
        assert!(
            (ci.lo - lo).abs() <= tol && (ci.hi - hi).abs() <= tol,
            "{name}: {ci:?} vs numpy ({lo}, {hi}), tol {tol}"
        );
    }
}

/// Same seed, same intervals; another seed, other intervals. And the Brier and log-loss draws
/// come from their own stream: the confusion metrics and ECE are exactly what the generator of
/// stream 0 gives with `resample` alone, as before those draws existed.
#[test]
fn loss_intervals_are_deterministic_and_leave_the_other_intervals_unchanged() {
    let (y, p, _) = synthetic(2_000, 16, 0.25);
    let cohort = Cohort::new(&y, &p, 0.5, 10).expect("valid input");
    let seeded = |seed| Bootstrap::new(300, seed).expect("resamples > 0");
    let first = cohort.intervals(&seeded(42));
    let again = cohort.intervals(&seeded(42));
    assert_eq!((first.brier, first.log_loss), (again.brier, again.log_loss));
    let json = |iv: &CohortIntervals| serde_json::to_string(iv).expect("serialisable");
    assert_eq!(json(&first), json(&again));
    let other = cohort.intervals(&seeded(43));
    assert_ne!(first.brier.ci, other.brier.ci);
    assert_ne!(first.log_loss.ci, other.log_loss.ci);
    assert_eq!(first.brier.estimate, other.brier.estimate);

    let cells = CohortCells::new(&y, &p, 0.5, 10);
    let mut rng = seeded(42).rng(0);
    let mut scratch = cells.scratch();
    let (mut accuracy, mut ece) = (Vec::new(), Vec::new());
    for _ in 0..300 {
        let (counts, e) = cells.resample(&mut rng, &mut scratch);
        accuracy.push(ConfusionMetric::Accuracy.value(counts));
        ece.push(Some(e));
    }
    let (counts, point_ece) = cells.point();
    let want_accuracy = BootstrapEstimate::new(ConfusionMetric::Accuracy.value(counts), &accuracy);
    assert_eq!(first.metrics[&ConfusionMetric::Accuracy], want_accuracy);
    assert_eq!(first.ece, BootstrapEstimate::median_corrected(Some(point_ece), &ece, 0.0));
}

/// The cells' Brier score and log loss are `metrics.json`'s to the bit: the same terms summed
/// in row order, each row's logarithm taken once for both uses.
#[test]
fn the_cells_estimates_are_the_scoring_functions_bits() {
    for (rows, seed, shift) in [(1, 3, 0.0), (2_000, 16, 0.25), (50_001, 5, -0.1)] {
        let (y, p, _) = synthetic(rows, seed, shift);
        let want = [
            crate::metrics::scoring::brier_unchecked(&y, &p).to_bits(),
            crate::metrics::scoring::log_loss_unchecked(&y, &p).to_bits(),
        ];
        assert_eq!(CohortCells::new(&y, &p, 0.5, 10).estimates().map(f64::to_bits), want, "{rows} rows");
    }
}
