//! The metrics artifact: every METRICS.md classification and calibration metric in one
//! serialisable report, with the convention parameters needed to recompute it.
//!
//! Field names are METRICS.md's metric names, fields are in a fixed order and maps are
//! `BTreeMap`s, so the JSON is byte-for-byte deterministic. Undefined metrics are `null` with a
//! reason in `undefined`; NaN never appears (strict JSON parsers reject it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calibration::{self, Binned};
use super::ranking::Ranking;
use super::scoring::{self, LOG_LOSS_EPS};
use super::undefined::Undefined;
use super::{ConfusionCounts, MetricsConfig, MetricsError, ReliabilityBin, validate};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsReport {
    pub threshold: f64,
    pub bins: usize,
    pub log_loss_eps: f64,
    pub n: u64,
    pub confusion: ConfusionCounts,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub specificity: Option<f64>,
    pub fp_rate: Option<f64>,
    pub roc_auc: Option<f64>,
    pub average_precision: Option<f64>,
    pub brier: Option<f64>,
    pub log_loss: Option<f64>,
    pub ece: Option<f64>,
    pub mce: Option<f64>,
    pub ece_top_label: Option<f64>,
    /// Positive-class reliability diagram, one row per bin including empty ones.
    pub reliability: Vec<ReliabilityBin>,
    /// Metric name -> why it is `null`.
    pub undefined: BTreeMap<String, String>,
}

/// Validates once, then computes each metric in one pass over the rows (one sort for the
/// ranking metrics), so a million rows take milliseconds.
pub fn evaluate(y_true: &[u8], y_prob: &[f64], config: &MetricsConfig) -> Result<MetricsReport, MetricsError> {
    validate::labels_and_probs(y_true, y_prob)?;
    validate::threshold(config.threshold)?;
    validate::bins(config.bins)?;

    let mut confusion = ConfusionCounts::default();
    for (&y, &p) in y_true.iter().zip(y_prob) {
        confusion.add(y == 1, p >= config.threshold);
    }
    let ranking = Ranking::new(y_true, y_prob);
    let edges = calibration::edges(config.bins);
    let positive_class = Binned::positive_class(y_true, y_prob, edges.clone());
    let top_label = Binned::top_label(y_true, y_prob, edges);

    let mut undefined = BTreeMap::new();
    let mut record = |name: &str, value: Result<f64, Undefined>| {
        value.map_err(|reason| undefined.insert(name.to_owned(), reason.to_string())).ok()
    };
    Ok(MetricsReport {
        threshold: config.threshold,
        bins: config.bins,
        log_loss_eps: LOG_LOSS_EPS,
        n: confusion.n(),
        confusion,
        accuracy: record("accuracy", confusion.accuracy()),
        precision: record("precision", confusion.precision()),
        recall: record("recall", confusion.recall()),
        f1: record("f1", confusion.f1()),
        specificity: record("specificity", confusion.specificity()),
        fp_rate: record("fp_rate", confusion.fp_rate()),
        roc_auc: record("roc_auc", ranking.roc_auc),
        average_precision: record("average_precision", ranking.average_precision),
        brier: Some(scoring::brier_unchecked(y_true, y_prob)),
        log_loss: Some(scoring::log_loss_unchecked(y_true, y_prob)),
        ece: Some(positive_class.ece()),
        mce: Some(positive_class.mce()),
        ece_top_label: Some(top_label.ece()),
        reliability: positive_class.reliability(),
        undefined,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_reference::*;
    use super::super::{self as metrics};
    use super::*;

    fn report(y: &[u8], p: &[f64]) -> MetricsReport {
        evaluate(y, p, &MetricsConfig::default()).expect("valid input")
    }

    // reference: scikit-learn 1.9.1 / numpy 2.4.6 values of the sibling modules' tests (case A,
    // threshold 0.5, 10 bins); see tests_reference.rs for the script.
    #[test]
    fn evaluate_matches_the_references() {
        let got = report(&Y_A, &P_A);
        let want: [(&str, Option<f64>, f64); 13] = [
            ("accuracy", got.accuracy, 0.6666666666666666),
            ("precision", got.precision, 0.6785714285714286),
            ("recall", got.recall, 0.7307692307692307),
            ("f1", got.f1, 0.7037037037037037),
            ("specificity", got.specificity, 0.5909090909090909),
            ("fp_rate", got.fp_rate, 0.4090909090909091),
            ("roc_auc", got.roc_auc, 0.6713286713286712),
            ("average_precision", got.average_precision, 0.6545728451908495),
            ("brier", got.brier, 0.25038125),
            ("log_loss", got.log_loss, 2.143573129763297),
            ("ece", got.ece, 0.15562499999999996),
            ("mce", got.mce, 0.382),
            ("ece_top_label", got.ece_top_label, 0.13729166666666665),
        ];
        for (name, actual, expected) in want {
            assert_close_opt(name, actual, Some(expected), TOL);
        }
        assert_eq!((got.n, got.threshold, got.bins), (48, 0.5, 10));
        assert_eq!(got.log_loss_eps, f64::EPSILON);
        let [tp, fp, tn, r#fn] = [19, 9, 13, 7];
        assert_eq!(got.confusion, ConfusionCounts { tp, fp, tn, r#fn });
        assert_eq!(got.reliability, reliability_of(&Y_A, &P_A, 10));
        assert!(got.undefined.is_empty());
    }

    fn reliability_of(y: &[u8], p: &[f64], bins: usize) -> Vec<ReliabilityBin> {
        metrics::reliability(y, p, bins).expect("valid input")
    }

    #[test]
    fn evaluate_agrees_with_the_individual_functions() {
        let config = MetricsConfig { threshold: 0.3, bins: 3 };
        let got = evaluate(&Y_A, &P_A, &config).expect("valid input");
        let (y, p) = (&Y_A[..], &P_A[..]);
        let ok = |r: Result<Option<f64>, MetricsError>| r.expect("valid input");
        let some = |r: Result<f64, MetricsError>| Some(r.expect("valid input"));
        assert_eq!(got.accuracy, some(metrics::accuracy(y, p, 0.3)));
        assert_eq!(got.precision, ok(metrics::precision(y, p, 0.3)));
        assert_eq!(got.recall, ok(metrics::recall(y, p, 0.3)));
        assert_eq!(got.f1, ok(metrics::f1(y, p, 0.3)));
        assert_eq!(got.specificity, ok(metrics::specificity(y, p, 0.3)));
        assert_eq!(got.fp_rate, ok(metrics::fp_rate(y, p, 0.3)));
        assert_eq!(got.roc_auc, ok(metrics::roc_auc(y, p)));
        assert_eq!(got.average_precision, ok(metrics::average_precision(y, p)));
        assert_eq!(got.brier, some(metrics::brier(y, p)));
        assert_eq!(got.log_loss, some(metrics::log_loss(y, p)));
        assert_eq!(got.ece, some(metrics::ece(y, p, 3)));
        assert_eq!(got.mce, some(metrics::mce(y, p, 3)));
        assert_eq!(got.ece_top_label, some(metrics::ece_top_label(y, p, 3)));
        assert_eq!(got.reliability, reliability_of(y, p, 3));
        // reference: scikit-learn 1.9.1 precision_score at threshold 0.3 (see classification.rs).
        assert_eq!(got.precision, Some(0.6052631578947368));
    }

    #[test]
    fn undefined_metrics_are_null_with_a_reason() {
        let got = report(&Y_ALL_NEG_NO_PRED, &P_ALL_NEG_NO_PRED);
        let names: Vec<&str> = got.undefined.keys().map(String::as_str).collect();
        assert_eq!(names, ["average_precision", "f1", "precision", "recall", "roc_auc"]);
        assert_eq!(got.undefined["precision"], "no predicted positives (tp + fp = 0)");
        assert_eq!((got.precision, got.recall, got.f1, got.roc_auc), (None, None, None, None));
        let json = serde_json::to_value(&got).expect("serialisable");
        assert_eq!(json["roc_auc"], serde_json::Value::Null);
        assert_eq!(json["undefined"]["roc_auc"], Undefined::SingleClass.to_string());

        let got = report(&Y_ALL_POS, &P_ALL_POS);
        let names: Vec<&str> = got.undefined.keys().map(String::as_str).collect();
        assert_eq!(names, ["fp_rate", "roc_auc", "specificity"]);
        // sklearn's average_precision_score is 1.0 with positives only: defined.
        assert_eq!(got.average_precision, Some(1.0));
    }

    #[test]
    fn json_has_the_metrics_md_names_in_a_fixed_order_and_no_nan() {
        let got = report(&Y_NO_PRED_POS, &P_NO_PRED_POS);
        let json = serde_json::to_string(&got).expect("serialisable");
        assert!(!json.contains("NaN"), "{json}");
        let keys = [
            "threshold",
            "bins",
            "log_loss_eps",
            "n",
            "confusion",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "specificity",
            "fp_rate",
            "roc_auc",
            "average_precision",
            "brier",
            "log_loss",
            "ece",
            "mce",
            "ece_top_label",
            "reliability",
            "undefined",
        ];
        let positions: Vec<Option<usize>> = keys.iter().map(|key| json.find(&format!("\"{key}\":"))).collect();
        assert!(positions.iter().all(Option::is_some), "{json}");
        assert!(positions.is_sorted(), "{json}");
        assert!(json.contains(r#""confusion":{"tp":0,"fp":0,"tn":2,"fn":2}"#));
        // Empty bins are kept, with null means.
        assert!(json.contains(r#"{"lo":0.4,"hi":0.5,"count":0,"mean_prob":null,"frac_positive":null}"#));
        // Same input, same bytes.
        let again = serde_json::to_string(&report(&Y_NO_PRED_POS, &P_NO_PRED_POS));
        assert_eq!(again.ok(), Some(json));
    }

    #[test]
    fn json_round_trips() {
        let got = report(&Y_A, &P_A);
        let json = serde_json::to_string_pretty(&got).expect("serialisable");
        let back: MetricsReport = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, got);
    }

    #[test]
    fn config_defaults_follow_metrics_md() {
        let config: MetricsConfig = serde_json::from_str("{}").expect("defaults");
        assert_eq!(config, MetricsConfig { threshold: 0.5, bins: 10 });
        assert!(serde_json::from_str::<MetricsConfig>(r#"{"bin": 5}"#).is_err());
    }

    #[test]
    fn evaluate_rejects_invalid_input() {
        let config = MetricsConfig::default();
        assert_eq!(evaluate(&[], &[], &config), Err(MetricsError::Empty));
        assert!(matches!(evaluate(&[0, 1], &[0.3], &config), Err(MetricsError::LengthMismatch { .. })));
        assert!(matches!(evaluate(&[0, 3], &[0.3, 0.4], &config), Err(MetricsError::InvalidLabel { .. })));
        assert!(matches!(evaluate(&[0, 1], &[0.3, f64::NAN], &config), Err(MetricsError::InvalidProbability { .. })));
        let zero_bins = MetricsConfig { bins: 0, ..config };
        assert_eq!(evaluate(&[0, 1], &[0.3, 0.4], &zero_bins), Err(MetricsError::ZeroBins));
        let bad_threshold = MetricsConfig { threshold: -1.0, ..config };
        assert_eq!(evaluate(&[0, 1], &[0.3, 0.4], &bad_threshold), Err(MetricsError::InvalidThreshold { value: -1.0 }));
    }

    /// Timing, not correctness: `cargo test --release -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release"]
    fn evaluate_a_million_rows() {
        let n = 1_000_000;
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1_u64 << 53) as f64
        };
        let y_prob: Vec<f64> = (0..n).map(|_| next()).collect();
        let y_true: Vec<u8> = y_prob.iter().map(|&p| u8::from(next() < p)).collect();
        let start = std::time::Instant::now();
        let got = evaluate(&y_true, &y_prob, &MetricsConfig::default()).expect("valid input");
        let elapsed = start.elapsed();
        eprintln!("evaluate() on {n} rows: {elapsed:?} (ece {:?})", got.ece);
    }
}
