//! The anomaly model's sequence mode: n-gram models of the training sequences turned into one
//! anomaly score per row.
//!
//! The normal model is an [`NgramModel`] of the label-0 rows. Its surprise, the mean negative
//! log-likelihood per predicted symbol, is the classic one-class score. But surprise alone
//! cannot tell "rare but benign" from "anomalous": with noisy sequences a normal row with a
//! foreign action looks as surprising as an anomalous row. When the training rows include
//! label-1 rows (and [`super::AnomalyParams::contrastive`] is on, the default), a second
//! model of the anomalous rows is fitted and the score is the mean log-likelihood ratio
//! `(ln P_anomalous(x) − ln P_normal(x)) / (L + 1)`, which is the Bayes-optimal statistic if
//! both n-gram models were exact. Higher scores are more anomalous in both cases.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::ngram::NgramModel;
use super::token_vocabulary::TokenVocabulary;

/// The vocabulary and the n-gram models of the two classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceDetector {
    /// Every token value of the training rows, of both classes, so that an anomalous action
    /// is a known symbol the normal model has simply not seen.
    vocabulary: TokenVocabulary,
    normal: NgramModel,
    anomalous: Option<NgramModel>,
}

impl SequenceDetector {
    /// Fits on rows of token values (one column per sequence position, in column order) with
    /// 0/1 labels.
    pub fn fit(x: ArrayView2<'_, f64>, y: &[u8], order: usize, smoothing: f64, contrastive: bool) -> Self {
        let vocabulary = TokenVocabulary::fit(x.iter().copied());
        let tokens = vocabulary.len() + 1;
        let sequences: Vec<Vec<usize>> = x.outer_iter().map(|row| encode(&vocabulary, row)).collect();
        let of_class = |class: u8| {
            sequences.iter().zip(y).filter(move |&(_, &label)| label == class).map(|(sequence, _)| sequence.as_slice())
        };
        let normal = NgramModel::fit(order, tokens, smoothing, of_class(0));
        let anomalous = (contrastive && y.contains(&1)).then(|| NgramModel::fit(order, tokens, smoothing, of_class(1)));
        Self { vocabulary, normal, anomalous }
    }

    /// The anomaly score of a new row.
    pub fn score(&self, row: ArrayView1<'_, f64>) -> f64 {
        self.score_sequence(&encode(&self.vocabulary, row), None)
    }

    /// The score of each training row as if it had been left out of the model of its class,
    /// so the calibration fitted on these scores sees what new rows will get. `x` and `y`
    /// must be the rows the detector was fitted on.
    pub fn training_scores(&self, x: ArrayView2<'_, f64>, y: &[u8]) -> Vec<f64> {
        x.outer_iter()
            .zip(y)
            .map(|(row, &label)| self.score_sequence(&encode(&self.vocabulary, row), Some(label)))
            .collect()
    }

    fn score_sequence(&self, sequence: &[usize], training_label: Option<u8>) -> f64 {
        let predictions = (sequence.len() + 1) as f64;
        let normal = self.normal.log_likelihood(sequence, training_label == Some(0));
        match &self.anomalous {
            Some(anomalous) => (anomalous.log_likelihood(sequence, training_label == Some(1)) - normal) / predictions,
            None => -normal / predictions,
        }
    }

    /// Whether the parts agree with each other, as [`SequenceDetector::fit`] leaves them.
    pub fn is_consistent(&self) -> bool {
        let tokens = self.vocabulary.len() + 1;
        self.normal.tokens() == tokens && self.anomalous.as_ref().is_none_or(|model| model.tokens() == tokens)
    }
}

fn encode(vocabulary: &TokenVocabulary, row: ArrayView1<'_, f64>) -> Vec<usize> {
    row.iter().map(|&value| vocabulary.index(value)).collect()
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn normal_rows_score_lower_than_anomalous_ones() {
        let x = array![[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let y = [0, 0, 1, 0, 1];
        for contrastive in [true, false] {
            let detector = SequenceDetector::fit(x.view(), &y, 2, 0.1, contrastive);
            assert_eq!(detector.anomalous.is_some(), contrastive);
            let normal = detector.score(x.row(0));
            let anomalous = detector.score(x.row(2));
            let unseen = detector.score(array![7.0, 8.0, 9.0].view());
            assert!(normal < anomalous, "{normal} {anomalous}");
            assert!(normal < unseen);
        }
    }

    #[test]
    fn training_scores_leave_the_row_out() {
        let x = array![[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [1.0, 4.0]];
        let y = [0, 0, 1, 0];
        let detector = SequenceDetector::fit(x.view(), &y, 2, 0.1, true);
        let held_out = detector.training_scores(x.view(), &y);
        // The row [1, 4] is unique: left out, its bigram 1 → 4 is unseen in normal rows and
        // it looks more anomalous than when scored as a new row.
        assert!(held_out[3] > detector.score(x.row(3)));
        // A duplicate row left out still has its twin.
        assert!(held_out[0] > detector.score(x.row(0)));
        assert!(held_out[0] < held_out[3]);
    }

    #[test]
    fn one_class_training_data_falls_back_to_surprise() {
        let x = array![[1.0, 2.0], [1.0, 3.0]];
        let detector = SequenceDetector::fit(x.view(), &[0, 0], 2, 0.1, true);
        assert!(detector.anomalous.is_none());
        assert!(detector.is_consistent());
    }
}
