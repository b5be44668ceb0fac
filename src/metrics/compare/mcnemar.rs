//! McNemar's exact test: do two classifiers have the same accuracy on the same rows?
//!
//! Only the discordant rows carry information: `b` rows only A gets right, `c` rows only B gets
//! right. Under the null each discordant row is a fair coin, so `min(b, c)` is
//! Binomial(b + c, 1/2) in its lower tail. The p-value is exactly statsmodels'
//! `mcnemar(table, exact=True)`: `min(1, 2 · BinomCDF(min(b, c); b + c, 1/2))` (so b + c = 0
//! gives 1).

use serde::{Deserialize, Serialize};

use super::CompareError;
use super::confusion_metric::ConfusionMetric;
use super::paired_counts::PairedCounts;

/// The test's inputs and result; `difference` is accuracy of B minus accuracy of A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McNemar {
    pub rows: u64,
    /// Rows only A classifies correctly (statsmodels' `b`).
    pub only_a_correct: u64,
    /// Rows only B classifies correctly (statsmodels' `c`).
    pub only_b_correct: u64,
    pub accuracy_a: f64,
    pub accuracy_b: f64,
    pub difference: f64,
    pub p_value: f64,
}

/// McNemar's exact test on hard predictions of A and B against `y_true`.
pub fn mcnemar(y_true: &[u8], pred_a: &[u8], pred_b: &[u8]) -> Result<McNemar, CompareError> {
    Ok(McNemar::from_table(&PairedCounts::from_predictions(y_true, pred_a, pred_b)?))
}

impl McNemar {
    /// The test on a joint table. Tables built from input have rows; a hand-built empty table
    /// gives accuracies 0 and p = 1 rather than a NaN in the report.
    pub fn from_table(table: &PairedCounts) -> Self {
        let (b, c) = table.discordant();
        let accuracy = |counts| ConfusionMetric::Accuracy.value(counts).unwrap_or(0.0);
        let (accuracy_a, accuracy_b) = (accuracy(table.counts_a()), accuracy(table.counts_b()));
        Self {
            rows: table.rows(),
            only_a_correct: b,
            only_b_correct: c,
            accuracy_a,
            accuracy_b,
            difference: accuracy_b - accuracy_a,
            p_value: mcnemar_exact_p(b, c),
        }
    }
}

/// `min(1, 2 · P(X <= min(b, c)))` for X ~ Binomial(b + c, 1/2).
///
/// The largest term `C(n, s) / 2^n` is taken in logs (a sum of `s` logs of ratios, relative
/// error about `s · 1e-16`, so below 1e-11 even for n = 10^5 discordant rows); the smaller
/// terms follow by the pmf recurrence and are summed smallest-last until they stop mattering.
pub fn mcnemar_exact_p(b: u64, c: u64) -> f64 {
    let n = b + c;
    let s = b.min(c);
    if 2 * s == n {
        // The lower tail then holds at least half the mass: statsmodels' min(1, ·) gives 1.
        return 1.0;
    }
    let ln_choose: f64 = (1..=s).map(|j| ((n - s + j) as f64 / j as f64).ln()).sum();
    let ln_top = ln_choose - n as f64 * std::f64::consts::LN_2;
    let (mut relative_sum, mut relative_term) = (1.0_f64, 1.0_f64);
    for k in (1..=s).rev() {
        relative_term *= k as f64 / (n - k + 1) as f64;
        relative_sum += relative_term;
        if relative_term < relative_sum * 1e-17 {
            break;
        }
    }
    (2.0 * ln_top.exp() * relative_sum).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_rel(name: &str, got: f64, want: f64, tol: f64) {
        let err = ((got - want) / want).abs();
        assert!(err <= tol, "{name}: got {got:e}, want {want:e}, relative error {err:e}");
    }

    // reference: statsmodels 0.15.0 statsmodels.stats.contingency_tables.mcnemar(
    // [[100, b], [c, 50]], exact=True).pvalue (scipy 1.17.1 underneath).
    #[test]
    fn p_value_matches_statsmodels() {
        let cases = [
            (0, 0, 1.0, 0.0),
            (1, 2, 1.0, 1e-15),
            (10, 10, 1.0, 0.0),
            (3, 9, 0.14599609375, 1e-14),
            (5, 0, 0.0625, 1e-14),
            (25, 41, 0.06401750413722565, 1e-13),
            (480, 560, 0.014259079095385853, 1e-12),
            (12_000, 12_500, 0.0014321425048026506, 1e-10),
        ];
        for (b, c, want, tol) in cases {
            assert_rel(&format!("({b}, {c})"), mcnemar_exact_p(b, c), want, tol);
            assert_eq!(mcnemar_exact_p(b, c), mcnemar_exact_p(c, b), "symmetric in b and c");
        }
    }

    // reference: statsmodels 0.15.0 mcnemar(exact=True) on the correctness table
    // [[13, 16], [6, 5]] of these rows (numpy default_rng(5) draws, written out).
    #[test]
    fn test_from_predictions_matches_statsmodels() {
        let y = [
            1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0,
            1, 1, 1, 0,
        ];
        let a = [
            1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1,
            1, 1, 1, 0,
        ];
        let b = [
            0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0,
            0, 1, 1, 0,
        ];
        let got = mcnemar(&y, &a, &b).expect("valid input");
        assert_eq!((got.rows, got.only_a_correct, got.only_b_correct), (40, 16, 6));
        assert_eq!((got.accuracy_a, got.accuracy_b), (0.725, 0.475));
        assert!((got.difference - -0.25).abs() < 1e-15);
        assert_rel("p", got.p_value, 0.052478790283203125, 1e-14);
    }

    #[test]
    fn rejects_mismatched_predictions() {
        assert_eq!(
            mcnemar(&[0, 1], &[0, 1], &[1]),
            Err(CompareError::LengthMismatch { name: "pred_b", expected: 2, actual: 1 })
        );
    }
}
