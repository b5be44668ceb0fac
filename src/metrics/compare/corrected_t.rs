//! The corrected resampled t-test of Nadeau and Bengio (2003, "Inference for the
//! generalization error", Machine Learning 52), for two models scored on the same
//! cross-validation folds.
//!
//! The folds' differences `d_1 … d_k` (B − A) are not independent: every pair of folds shares
//! most of its training rows. The plain paired t-test then underestimates the variance and
//! finds differences that are not there. Nadeau and Bengio inflate the variance of the mean
//! difference from `s²/k` to `(1/k + n_test/n_train) · s²`, with `s²` the sample variance
//! (ddof 1) of the differences; `t = d̄ / √that`, with `k − 1` degrees of freedom. The 95%
//! interval is `d̄ ± t_{0.975, k−1} · √that`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::student_t;

/// The test's result for one metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectedT {
    /// Folds compared (both models scored on each).
    pub folds: usize,
    /// Mean over folds of B − A.
    pub mean_difference: f64,
    /// Sample standard deviation (ddof 1) of the folds' differences.
    pub sd: f64,
    /// Mean validation rows over mean training rows, the correction's `n_test / n_train`.
    pub test_train_ratio: f64,
    /// The t statistic; absent when the differences do not vary over folds and are not all
    /// zero (the test is undefined there).
    pub t: Option<f64>,
    /// Degrees of freedom, `folds − 1`.
    pub df: usize,
    /// Two-sided p-value, absent with `t`.
    pub p_value: Option<f64>,
    /// 95% interval of the mean difference, `[low, high]`.
    pub ci: [f64; 2],
}

/// Why the test cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorrectedTError {
    #[error("the corrected t-test needs at least 2 folds, got {0}")]
    TooFewFolds(usize),
    #[error("fold {index}'s difference is {value}, but differences must be finite")]
    NotFinite { index: usize, value: f64 },
    #[error("the test/train ratio is {0}, but it must be finite and positive")]
    InvalidRatio(f64),
}

/// The corrected resampled t-test of `differences` (one per fold, B − A) with the ratio of
/// validation to training rows `test_train_ratio`.
pub fn corrected_t(differences: &[f64], test_train_ratio: f64) -> Result<CorrectedT, CorrectedTError> {
    let k = differences.len();
    if k < 2 {
        return Err(CorrectedTError::TooFewFolds(k));
    }
    if let Some((index, &value)) = differences.iter().enumerate().find(|(_, d)| !d.is_finite()) {
        return Err(CorrectedTError::NotFinite { index, value });
    }
    if !(test_train_ratio.is_finite() && test_train_ratio > 0.0) {
        return Err(CorrectedTError::InvalidRatio(test_train_ratio));
    }
    let n = k as f64;
    // Equal differences have no variance; summing them could leave a rounding residue.
    let (mean, variance) = if differences.iter().all(|&d| d == differences[0]) {
        (differences[0], 0.0)
    } else {
        let mean = differences.iter().sum::<f64>() / n;
        (mean, differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0))
    };
    let se = ((1.0 / n + test_train_ratio) * variance).sqrt();
    let df = k - 1;
    let (t, p_value) = if se > 0.0 {
        let t = mean / se;
        (Some(t), Some(student_t::two_sided_p(t, df as f64)))
    } else if mean == 0.0 {
        (Some(0.0), Some(1.0))
    } else {
        (None, None)
    };
    let half = student_t::quantile_975(df as f64) * se;
    Ok(CorrectedT {
        folds: k,
        mean_difference: mean,
        sd: variance.sqrt(),
        test_train_ratio,
        t,
        df,
        p_value,
        ci: [mean - half, mean + half],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-12)
    }

    /// Reference: numpy 2 / scipy 1.17.1 on the same differences,
    /// `m = d.mean(); v = (1/k + r) * d.var(ddof=1); t = m / sqrt(v);
    /// p = 2 * stats.t.sf(abs(t), k - 1); ci = m ± stats.t.ppf(0.975, k - 1) * sqrt(v)`.
    #[test]
    fn matches_the_formula_computed_with_scipy() -> Result<(), CorrectedTError> {
        let r = corrected_t(&[0.01, 0.03, -0.005, 0.02, 0.015], 200.0 / 800.0)?;
        assert_eq!((r.folds, r.df), (5, 4));
        assert!(close(r.mean_difference, 0.014_000_000_000_000_002));
        assert!(close(r.sd * r.sd, 0.000_167_5));
        assert!(close(r.t.unwrap_or(f64::NAN), 1.612_554_394_418_539));
        assert!(close(r.p_value.unwrap_or(f64::NAN), 0.182_136_298_923_722_3));
        assert!(close(r.ci[0], -0.010_104_756_780_489_929));
        assert!(close(r.ci[1], 0.038_104_756_780_489_93));
        Ok(())
    }

    #[test]
    fn the_correction_widens_the_plain_paired_test() -> Result<(), CorrectedTError> {
        let d = [0.02, 0.025, 0.015, 0.03, 0.02];
        let corrected = corrected_t(&d, 0.25)?;
        // The plain paired t-test is the same formula with no n_test/n_train term.
        let plain = corrected_t(&d, f64::MIN_POSITIVE)?;
        assert!(corrected.p_value > plain.p_value);
        assert!(corrected.ci[1] - corrected.ci[0] > plain.ci[1] - plain.ci[0]);
        Ok(())
    }

    #[test]
    fn constant_differences_and_bad_inputs() {
        let same = corrected_t(&[0.0, 0.0, 0.0], 0.5).ok();
        assert_eq!(same.as_ref().and_then(|r| r.p_value), Some(1.0));
        let constant = corrected_t(&[0.1, 0.1, 0.1], 0.5).ok();
        assert_eq!(constant.as_ref().map(|r| (r.t, r.p_value, r.ci)), Some((None, None, [0.1, 0.1])));
        assert_eq!(corrected_t(&[0.1], 0.5), Err(CorrectedTError::TooFewFolds(1)));
        assert_eq!(
            corrected_t(&[0.1, f64::NAN], 0.5).map_err(|e| e.to_string()),
            Err("fold 1's difference is NaN, but differences must be finite".to_owned())
        );
        assert_eq!(corrected_t(&[0.1, 0.2], 0.0), Err(CorrectedTError::InvalidRatio(0.0)));
    }
}
