//! Proper scoring rules on the probabilities themselves: Brier score and log loss.
//!
//! References: scikit-learn `brier_score_loss` (binary: mean of `(y - p)^2`, which is what its
//! default `scale_by_half="auto"` gives for one column) and `log_loss`, which clips both columns
//! `[1 - p, p]` to `[eps, 1 - eps]` with `eps = f64::EPSILON` (sklearn: `np.finfo(float64).eps`).
//! Sums run left to right so results are bit-reproducible across runs and machines.

use super::{MetricsError, validate};

/// The clipping epsilon of [`log_loss`], recorded in every report that uses it.
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

pub fn brier(y_true: &[u8], y_prob: &[f64]) -> Result<f64, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    Ok(brier_unchecked(y_true, y_prob))
}

/// Finite even for `p` of exactly 0 or 1 on the wrong label, thanks to the clipping: such a row
/// costs `-ln(eps) ≈ 36.04`.
pub fn log_loss(y_true: &[u8], y_prob: &[f64]) -> Result<f64, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    Ok(log_loss_unchecked(y_true, y_prob))
}

pub(crate) fn brier_unchecked(y_true: &[u8], y_prob: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (&y, &p) in y_true.iter().zip(y_prob) {
        sum += brier_term(y, p);
    }
    sum / y_prob.len() as f64
}

pub(crate) fn log_loss_unchecked(y_true: &[u8], y_prob: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (&y, &p) in y_true.iter().zip(y_prob) {
        sum += log_loss_term(y, p);
    }
    sum / y_prob.len() as f64
}

/// One row's share of the Brier score, `(y - p)^2`. Shared with the comparison report's
/// bootstrap (`compare::cohort_cells`) so both use one definition.
pub(crate) fn brier_term(y: u8, p: f64) -> f64 {
    let d = f64::from(y) - p;
    d * d
}

/// One row's share of the log loss, `-ln(clip(q))` with `q` the probability of the true class.
/// Shared with the comparison report's bootstrap (`compare::cohort_cells`) so both use one
/// definition.
pub(crate) fn log_loss_term(y: u8, p: f64) -> f64 {
    // Clip the probability of the true class, `1 - p` for negatives, as sklearn does;
    // clipping `p` first and subtracting would differ in the last bits.
    let q = if y == 1 { p } else { 1.0 - p };
    -q.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS).ln()
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::*;

    // reference: scikit-learn 1.9.1 sklearn.metrics.brier_score_loss(y, p, labels=[0, 1]) and
    // sklearn.metrics.log_loss(y, p, labels=[0, 1]).
    #[test]
    fn matches_sklearn() {
        type Case<'a> = (&'a str, &'a [u8], &'a [f64], f64, f64);
        let cases: [Case; 5] = [
            ("A", &Y_A, &P_A, 0.25038125, 2.143573129763297),
            ("ALL_NEG", &Y_ALL_NEG, &P_ALL_NEG, 0.276, 0.8116411031212454),
            ("ALL_POS", &Y_ALL_POS, &P_ALL_POS, 0.20750000000000007, 0.6070370789923479),
            ("NO_PRED_POS", &Y_NO_PRED_POS, &P_NO_PRED_POS, 0.275, 0.7469410259762035),
            ("ALL_NEG_NO_PRED", &Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED, 0.0967, 0.33394954007860056),
        ];
        for (name, y, p, want_brier, want_log_loss) in cases {
            let got_brier = brier(y, p).expect("valid input");
            let got_log_loss = log_loss(y, p).expect("valid input");
            assert_close(&format!("{name} brier"), got_brier, want_brier, TOL);
            assert_close(&format!("{name} log_loss"), got_log_loss, want_log_loss, TOL);
        }
    }

    // reference: scikit-learn 1.9.1 sklearn.metrics.log_loss(..., labels=[0, 1]).
    #[test]
    fn log_loss_clips_at_f64_epsilon() {
        let cases: [(&[u8], &[f64], f64); 4] = [
            (&[1], &[0.0], 36.04365338911715),
            (&[0], &[1.0], 36.04365338911715),
            (&[1], &[1.0], 2.2204460492503136e-16),
            (&[0, 1], &[1e-300, 0.9999999999999999], 2.2204460492503136e-16),
        ];
        for (y, p, want) in cases {
            let got = log_loss(y, p).expect("valid input");
            assert_close(&format!("log_loss({y:?}, {p:?})"), got, want, 1e-15);
        }
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(brier(&[], &[]), Err(MetricsError::Empty));
        assert!(matches!(log_loss(&[1, 0], &[0.5]), Err(MetricsError::LengthMismatch { .. })));
        assert!(matches!(
            log_loss(&[1, 0], &[0.5, f64::INFINITY]),
            Err(MetricsError::InvalidProbability { index: 1, .. })
        ));
        assert!(matches!(brier(&[1, 255], &[0.5, 0.5]), Err(MetricsError::InvalidLabel { index: 1, .. })));
    }
}
