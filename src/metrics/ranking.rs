//! Threshold-free ranking metrics: ROC AUC and average precision.
//!
//! References: scikit-learn `roc_auc_score` (tied scores get half credit, i.e. the trapezoid
//! through tied points, which is the Mann–Whitney U statistic) and `average_precision_score`
//! (step-wise `Σ (R_k − R_{k−1}) · P_k` over distinct thresholds, no interpolation). Both come
//! from one sort of the rows by descending probability, grouped into runs of equal probability.

use super::undefined::Undefined;
use super::{MetricsError, validate};

/// `None` when `y_true` holds one class only (sklearn raises there).
pub fn roc_auc(y_true: &[u8], y_prob: &[f64]) -> Result<Option<f64>, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    Ok(Ranking::new(y_true, y_prob).roc_auc.ok())
}

/// `None` when `y_true` has no positives (recall is then 0/0). With positives only it is 1.0,
/// as in sklearn: every ranking puts positives first.
pub fn average_precision(y_true: &[u8], y_prob: &[f64]) -> Result<Option<f64>, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    Ok(Ranking::new(y_true, y_prob).average_precision.ok())
}

/// Both ranking metrics, computed together because the sort is the cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ranking {
    pub(crate) roc_auc: Result<f64, Undefined>,
    pub(crate) average_precision: Result<f64, Undefined>,
}

impl Ranking {
    /// Expects validated input.
    ///
    /// Sorts one `u64` key per row, which gives the order of sorting `(p, label)` pairs with
    /// `f64::total_cmp`, about twice as fast: for `p` in [0, 1] the IEEE bit pattern orders
    /// like `total_cmp` and is below 2^62, so the label fits in the freed low bit. `p + 0.0`
    /// turns `-0.0` into `0.0`, so both are one tie, as numpy sees them. Ties are the runs of
    /// equal `key >> 1`, walked from the highest probability down.
    pub(crate) fn new(y_true: &[u8], y_prob: &[f64]) -> Self {
        let mut keys: Vec<u64> = y_prob.iter().zip(y_true).map(|(&p, &y)| sort_key(p, y)).collect();
        // By radix: the same order as `sort_unstable` (keys that tie are equal), in linear time.
        radsort::sort(&mut keys);
        let positives = keys.iter().filter(|&&key| key & 1 == 1).count() as u64;
        let negatives = keys.len() as u64 - positives;

        // ROC AUC counts 2U exactly in integers: each negative scores 2 per positive ranked
        // above it and 1 per positive tied with it; AUC = 2U / (2 · P · N), one division.
        let mut twice_u: u128 = 0;
        // AP takes recall and precision at each distinct probability, as sklearn's
        // precision_recall_curve does; runs without positives add no recall.
        let (mut ap, mut previous_recall) = (0.0, 0.0);
        let (mut tp, mut fp) = (0_u64, 0_u64);
        for run in keys.chunk_by(|a, b| a >> 1 == b >> 1).rev() {
            // The label is the lowest key bit: a run holds its negatives, then its positives.
            let run_negatives = run.partition_point(|&key| key & 1 == 0) as u64;
            let run_positives = run.len() as u64 - run_negatives;
            twice_u += u128::from(run_negatives) * (2 * u128::from(tp) + u128::from(run_positives));
            tp += run_positives;
            fp += run_negatives;
            if run_positives > 0 {
                let recall = tp as f64 / positives as f64;
                let precision = tp as f64 / (tp + fp) as f64;
                ap += (recall - previous_recall) * precision;
                previous_recall = recall;
            }
        }

        let pairs = 2 * u128::from(positives) * u128::from(negatives);
        Self {
            roc_auc: if pairs == 0 { Err(Undefined::SingleClass) } else { Ok(twice_u as f64 / pairs as f64) },
            average_precision: if positives == 0 { Err(Undefined::NoPositiveLabels) } else { Ok(ap) },
        }
    }
}

/// `(p, label)` packed so that integer order is `total_cmp` order on `p`, then label (also
/// DeLong's rank keys, `compare::delong`).
pub(crate) fn sort_key(p: f64, label: u8) -> u64 {
    ((p + 0.0).to_bits() << 1) | u64::from(label)
}

/// Every row's `(sort_key, row)`, ascending, rows that tie in row order: the ranking that
/// DeLong's components and the ROC curve walk (`compare::delong`). Expects validated input.
pub(crate) fn ranked_pairs(y_true: &[u8], y_prob: &[f64]) -> Vec<(u64, u32)> {
    let mut pairs: Vec<(u64, u32)> =
        y_prob.iter().zip(y_true).enumerate().map(|(row, (&p, &y))| (sort_key(p, y), row as u32)).collect();
    // By radix on the key alone: stable, so rows that tie stay in row order, which is the
    // order of sorting the (key, row) pairs, in linear time.
    radsort::sort_by_key(&mut pairs, |&(key, _)| key);
    pairs
}

/// The rows in ranked order ([`ranked_pairs`]): `train` hands it on beside its predictions,
/// so that the stages comparing cohorts (`drift`, `report`) take the ranking instead of
/// sorting every cohort again. Expects validated input.
pub fn rank_rows(y_true: &[u8], y_prob: &[f64]) -> Vec<u32> {
    ranked_pairs(y_true, y_prob).into_iter().map(|(_, row)| row).collect()
}

/// [`ranked_pairs`] taken from `order`, a ranking handed on: `None` unless `order` is exactly
/// the ranking of these rows. Strictly ascending pairs over `y_prob.len()` positions below
/// that count name every row once (a row's key is a function of the row), so the check is one
/// pass, and a damaged or stale ranking costs a sort, never a wrong result.
pub(crate) fn ranked_pairs_from(y_true: &[u8], y_prob: &[f64], order: &[u32]) -> Option<Vec<(u64, u32)>> {
    let mut pairs = Vec::with_capacity(order.len());
    walk_ranking(y_true, y_prob, order, |pair| pairs.push(pair)).then_some(pairs)
}

/// The probabilities in the order of `order`, when it is the rows' ranking (the check and the
/// gathering in one pass): the sample sorted, but for `-0.0` and `0.0`, which it merges.
pub(crate) fn ranked_probabilities(y_true: &[u8], y_prob: &[f64], order: &[u32]) -> Option<Vec<f64>> {
    let mut probabilities = Vec::with_capacity(order.len());
    walk_ranking(y_true, y_prob, order, |(_, row)| probabilities.push(y_prob[row as usize])).then_some(probabilities)
}

/// Walks `order`'s `(sort_key, row)` pairs, handing each to `each`, while they ascend
/// strictly; true when every position was walked and the pairs are the rows' ranking.
fn walk_ranking(y_true: &[u8], y_prob: &[f64], order: &[u32], mut each: impl FnMut((u64, u32))) -> bool {
    if order.len() != y_prob.len() || y_true.len() != y_prob.len() {
        return false;
    }
    let mut last: Option<(u64, u32)> = None;
    for &row in order {
        let at = row as usize;
        let (Some(&p), Some(&y)) = (y_prob.get(at), y_true.get(at)) else { return false };
        let pair = (sort_key(p, y), row);
        if last.is_some_and(|last| last >= pair) {
            return false;
        }
        last = Some(pair);
        each(pair);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::*;

    fn both(y: &[u8], p: &[f64]) -> (Option<f64>, Option<f64>) {
        (roc_auc(y, p).expect("valid input"), average_precision(y, p).expect("valid input"))
    }

    // reference: scikit-learn 1.9.1 sklearn.metrics.roc_auc_score and average_precision_score
    // (roc_auc_score raises on one class and average_precision_score is meaningless without
    // positives: both printed as None).
    #[test]
    fn matches_sklearn() {
        type Case<'a> = (&'a str, &'a [u8], &'a [f64], Option<f64>, Option<f64>);
        let cases: [Case; 5] = [
            ("A", &Y_A, &P_A, Some(0.6713286713286712), Some(0.6545728451908495)),
            ("ALL_NEG", &Y_ALL_NEG, &P_ALL_NEG, None, None),
            ("ALL_POS", &Y_ALL_POS, &P_ALL_POS, None, Some(1.0)),
            ("NO_PRED_POS", &Y_NO_PRED_POS, &P_NO_PRED_POS, Some(0.75), Some(0.8333333333333333)),
            ("ALL_NEG_NO_PRED", &Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED, None, None),
        ];
        for (name, y, p, want_auc, want_ap) in cases {
            let (auc, ap) = both(y, p);
            assert_close_opt(&format!("{name} roc_auc"), auc, want_auc, TOL);
            assert_close_opt(&format!("{name} average_precision"), ap, want_ap, TOL);
        }
    }

    // reference: scikit-learn 1.9.1, same functions.
    #[test]
    fn ties_get_half_credit_and_negative_zero_ties_zero() {
        assert_eq!(both(&[0, 1, 0, 1], &[0.5; 4]), (Some(0.5), Some(0.5)));
        let (auc, ap) = both(&[0, 1, 1], &[-0.0, 0.0, 0.2]);
        assert_close_opt("-0.0 roc_auc", auc, Some(0.75), TOL);
        assert_close_opt("-0.0 ap", ap, Some(0.8333333333333333), TOL);
        assert_eq!(both(&[1, 0], &[0.9, 0.1]), (Some(1.0), Some(1.0)));
        assert_eq!(both(&[1, 0], &[0.1, 0.9]), (Some(0.0), Some(0.5)));
    }

    #[test]
    fn sort_keys_order_like_total_cmp() {
        let mut probs = vec![0.0, -0.0, 1.0, 0.5, 1e-300, 5e-324, 0.30000000000000004, 0.3];
        probs.extend(P_A);
        let mut by_key = probs.clone();
        by_key.sort_unstable_by_key(|&p| sort_key(p, 1));
        let mut by_total_cmp = probs.iter().map(|p| p + 0.0).collect::<Vec<_>>();
        by_total_cmp.sort_unstable_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|p| (p + 0.0).to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&by_total_cmp));
        assert!(sort_key(0.5, 0) < sort_key(0.5, 1) && sort_key(0.5, 1) < sort_key(0.6, 0));
        assert_eq!(sort_key(1.0, 1) >> 63, 0);
    }

    #[test]
    fn one_class_is_undefined_with_reason() {
        let ranking = Ranking::new(&Y_ALL_NEG, &P_ALL_NEG);
        assert_eq!(ranking.roc_auc, Err(Undefined::SingleClass));
        assert_eq!(ranking.average_precision, Err(Undefined::NoPositiveLabels));
        let ranking = Ranking::new(&Y_ALL_POS, &P_ALL_POS);
        assert_eq!(ranking.roc_auc, Err(Undefined::SingleClass));
        assert_eq!(ranking.average_precision, Ok(1.0));
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(roc_auc(&[], &[]), Err(MetricsError::Empty));
        assert!(matches!(
            average_precision(&[0, 1], &[0.5, 0.5, 0.5]),
            Err(MetricsError::LengthMismatch { actual: 3, .. })
        ));
        assert!(matches!(roc_auc(&[0, 1], &[0.5, f64::NAN]), Err(MetricsError::InvalidProbability { index: 1, .. })));
        assert!(matches!(average_precision(&[2, 1], &[0.5, 0.5]), Err(MetricsError::InvalidLabel { index: 0, .. })));
    }

    #[test]
    fn a_ranking_is_the_rows_sorted_by_key_then_row_and_is_checked_exactly() {
        // Ties within and across labels, both signed zeros, 0 and 1.
        let p: Vec<f64> =
            (0..2_000).map(|i| if i % 97 == 0 { -0.0 } else { f64::from((i * 7919) % 251) / 250.0 }).collect();
        let y: Vec<u8> = (0..2_000).map(|i| u8::from((i * 31) % 7 < 3)).collect();
        let ranking = rank_rows(&y, &p);
        // The definition: the (key, row) pairs sorted.
        let mut pairs: Vec<(u64, u32)> =
            p.iter().zip(&y).enumerate().map(|(row, (&p, &y))| (sort_key(p, y), row as u32)).collect();
        pairs.sort_unstable();
        assert_eq!(ranking, pairs.iter().map(|&(_, row)| row).collect::<Vec<_>>());
        assert!(ranked_probabilities(&y, &p, &ranking).is_some());
        assert_eq!(ranked_pairs_from(&y, &p, &ranking), Some(pairs));
        // Anything else is refused.
        let refused =
            |order: &[u32]| ranked_probabilities(&y, &p, order).is_none() && ranked_pairs_from(&y, &p, order).is_none();
        let mut swapped = ranking.clone();
        swapped.swap(10, 11);
        assert!(refused(&swapped));
        let mut repeated = ranking.clone();
        repeated[5] = repeated[4];
        assert!(refused(&repeated));
        assert!(refused(&ranking[1..]));
        let mut longer = ranking.clone();
        longer.push(0);
        assert!(refused(&longer));
        let mut beyond = ranking.clone();
        *beyond.last_mut().expect("rows") = 2_000;
        assert!(refused(&beyond));
        // The ranking of other probabilities: a stale or misplaced file.
        let other: Vec<f64> = p.iter().map(|v| 1.0 - v).collect();
        assert!(refused(&rank_rows(&y, &other)));
        assert!(ranked_probabilities(&y[1..], &p, &ranking).is_none());
    }
}
