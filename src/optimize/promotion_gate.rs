//! The promotion gate: whether a candidate's measurements justify replacing the baseline.
//!
//! The criteria and reason texts are the original's `PromotionGate`, in its order, with two
//! changes:
//!
//! - **Both sample sizes are checked** (the original checked only the candidate's, bug B7): a
//!   gain measured against a baseline evaluated on 40 cases is as unreliable as one measured
//!   on a 40-case candidate.
//! - **Human agreement without review labels is "not evaluated" and does not block** (unless
//!   [`GateThresholds::require_human_agreement`] is set). The value cannot be invented (the
//!   original's 0.8–0.95 were random draws), and failing instead would make the gate
//!   unpassable for every run without review labels — in practice the default — so a gate
//!   that always says no would carry no information about the other four criteria. The
//!   criterion stays in the decision with `passed: None`, and
//!   [`GateDecision::not_evaluated`] names it, so a report shows that the promotion was
//!   decided without human review.
//!
//! **Comparisons allow [`GATE_EPSILON`].** Metrics are ratios of counts, and their
//! differences carry float error: 0.83 − 0.80 is 0.029999999999999916 in f64, so the
//! original failed a recall gain of exactly 0.03 with the baffling reason "Recall gain
//! insufficient: 0.030 < 0.03". A value within 1e-9 of its threshold counts as at the
//! threshold, which passes (all thresholds are inclusive, as in the original). 1e-9 is far
//! above the rounding error of these differences (~1e-15) and far below any difference two
//! real measurements can have on fewer than ~30,000 cases (1/n² ≥ 1e-9); beyond that a
//! sub-1e-9 shortfall is immaterial. A NaN measurement fails its criterion.

use serde::Serialize;

use super::python_format::{fixed, repr, signed_fixed};
use super::{CandidateMetrics, GateThresholds};

/// Slack allowed at every float threshold (see the module documentation).
pub const GATE_EPSILON: f64 = 1e-9;

/// One criterion of the gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    /// `sample_size`, `baseline_sample_size`, `recall_gain`, `fp_increase`,
    /// `latency_increase` or `human_agreement`.
    pub name: &'static str,
    /// `Some(true)` passed, `Some(false)` failed, `None` not evaluated (no data).
    pub passed: Option<bool>,
    /// The value compared; `None` when not evaluated.
    pub value: Option<f64>,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// The original's reason text, e.g. `✓ Recall gain: +0.049 >= 0.03`.
    pub reason: String,
}

/// The gate's decision: every criterion, each evaluated (none short-circuits).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateDecision {
    /// True when no criterion failed.
    pub passed: bool,
    /// The criteria in the original's order, the baseline's sample size after the
    /// candidate's.
    pub criteria: Vec<Criterion>,
}

impl GateDecision {
    /// The reason texts, in order, as the original returned them.
    pub fn reasons(&self) -> Vec<&str> {
        self.criteria.iter().map(|criterion| criterion.reason.as_str()).collect()
    }

    /// The criteria that could not be evaluated for lack of data.
    pub fn not_evaluated(&self) -> Vec<&'static str> {
        self.criteria.iter().filter(|criterion| criterion.passed.is_none()).map(|criterion| criterion.name).collect()
    }
}

/// Gates `candidate` against `baseline` with `thresholds`.
pub fn promotion_gate(
    candidate: &CandidateMetrics,
    baseline: &CandidateMetrics,
    thresholds: &GateThresholds,
) -> GateDecision {
    let criteria = vec![
        sample_size("sample_size", "", candidate.total_cases, thresholds.min_sample_size),
        sample_size("baseline_sample_size", "baseline ", baseline.total_cases, thresholds.min_sample_size),
        recall_gain(candidate.recall - baseline.recall, thresholds.min_recall_gain),
        fp_increase(candidate.fp_rate - baseline.fp_rate, thresholds.max_fp_increase),
        latency_increase(candidate.latency_ms - baseline.latency_ms, thresholds.max_latency_increase_ms),
        human_agreement(candidate.human_agreement, thresholds),
    ];
    let passed = criteria.iter().all(|criterion| criterion.passed != Some(false));
    GateDecision { passed, criteria }
}

fn sample_size(name: &'static str, whose: &str, cases: u64, min: u64) -> Criterion {
    let passed = cases >= min;
    let reason = if passed {
        let label = if whose.is_empty() { "Sample size".to_owned() } else { "Baseline sample size".to_owned() };
        format!("✓ {label}: {cases} >= {min}")
    } else {
        format!("Insufficient {whose}sample size: {cases} < {min}")
    };
    Criterion { name, passed: Some(passed), value: Some(cases as f64), threshold: min as f64, reason }
}

fn recall_gain(gain: f64, min: f64) -> Criterion {
    let passed = gain >= min - GATE_EPSILON;
    let reason = if passed {
        format!("✓ Recall gain: {} >= {}", signed_fixed(gain, 3), repr(min))
    } else {
        format!("Recall gain insufficient: {} < {}", fixed(gain, 3), repr(min))
    };
    Criterion { name: "recall_gain", passed: Some(passed), value: Some(gain), threshold: min, reason }
}

fn fp_increase(increase: f64, max: f64) -> Criterion {
    let passed = increase <= max + GATE_EPSILON;
    let reason = if passed {
        format!("✓ FP increase: {} <= {}", signed_fixed(increase, 3), repr(max))
    } else {
        format!("FP rate increase too high: {} > {}", signed_fixed(increase, 3), repr(max))
    };
    Criterion { name: "fp_increase", passed: Some(passed), value: Some(increase), threshold: max, reason }
}

fn latency_increase(increase: f64, max: f64) -> Criterion {
    let passed = increase <= max + GATE_EPSILON;
    let reason = if passed {
        format!("✓ Latency increase: {}ms <= {}ms", signed_fixed(increase, 1), repr(max))
    } else {
        format!("Latency increase too high: {}ms > {}ms", signed_fixed(increase, 1), repr(max))
    };
    Criterion { name: "latency_increase", passed: Some(passed), value: Some(increase), threshold: max, reason }
}

fn human_agreement(agreement: Option<f64>, thresholds: &GateThresholds) -> Criterion {
    let min = thresholds.min_human_agreement;
    let Some(agreement) = agreement else {
        let (passed, reason) = if thresholds.require_human_agreement {
            (Some(false), "Human agreement unavailable: no review labels, and it is required".to_owned())
        } else {
            (None, "Human agreement not evaluated: no review labels (does not block)".to_owned())
        };
        return Criterion { name: "human_agreement", passed, value: None, threshold: min, reason };
    };
    let passed = agreement >= min - GATE_EPSILON;
    let reason = if passed {
        format!("✓ Human agreement: {} >= {}", fixed(agreement, 3), repr(min))
    } else {
        format!("Human agreement too low: {} < {}", fixed(agreement, 3), repr(min))
    };
    Criterion { name: "human_agreement", passed: Some(passed), value: Some(agreement), threshold: min, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(
        recall: f64,
        fp_rate: f64,
        latency_ms: f64,
        human_agreement: Option<f64>,
        total_cases: u64,
    ) -> CandidateMetrics {
        CandidateMetrics { recall, fp_rate, latency_ms, human_agreement, total_cases }
    }

    /// The baseline of the original's gate test: recall .80, fp .08, 12 ms, agreement .86.
    fn baseline() -> CandidateMetrics {
        metrics(0.80, 0.08, 12.0, Some(0.86), 100)
    }

    /// A candidate passing every criterion of the default gate against [`baseline`].
    fn passing() -> CandidateMetrics {
        metrics(0.849, 0.09, 13.0, Some(0.9), 150)
    }

    fn criterion(decision: &GateDecision, name: &str) -> Criterion {
        decision.criteria.iter().find(|c| c.name == name).cloned().unwrap_or_else(|| panic!("no criterion {name}"))
    }

    fn gate(candidate: &CandidateMetrics) -> GateDecision {
        promotion_gate(candidate, &baseline(), &GateThresholds::default())
    }

    #[test]
    fn the_original_gate_test_passes() {
        // test_phase89.py: baseline (.80, .85, .08, 12, .86, 100) vs candidate
        // (.84, .87, .09, 14, .88, 150) passes (precision is not a criterion).
        let decision = gate(&metrics(0.84, 0.09, 14.0, Some(0.88), 150));
        assert!(decision.passed);
        assert_eq!(
            decision.reasons(),
            [
                "✓ Sample size: 150 >= 100",
                "✓ Baseline sample size: 100 >= 100",
                "✓ Recall gain: +0.040 >= 0.03",
                "✓ FP increase: +0.010 <= 0.02",
                "✓ Latency increase: +2.0ms <= 5.0ms",
                "✓ Human agreement: 0.880 >= 0.85",
            ]
        );
        assert!(decision.not_evaluated().is_empty());
    }

    #[test]
    fn sample_size_of_candidate_and_baseline() {
        for (cases, passed, reason) in [
            (99, false, "Insufficient sample size: 99 < 100"),
            (100, true, "✓ Sample size: 100 >= 100"),
            (40, false, "Insufficient sample size: 40 < 100"),
        ] {
            let decision = gate(&CandidateMetrics { total_cases: cases, ..passing() });
            let c = criterion(&decision, "sample_size");
            assert_eq!((c.passed, c.reason.as_str()), (Some(passed), reason));
            assert_eq!(decision.passed, passed);
        }
        // Bug B7: the baseline's sample size counts too.
        let small_baseline = CandidateMetrics { total_cases: 40, ..baseline() };
        let decision = promotion_gate(&passing(), &small_baseline, &GateThresholds::default());
        assert!(!decision.passed);
        let c = criterion(&decision, "baseline_sample_size");
        assert_eq!((c.passed, c.reason.as_str()), (Some(false), "Insufficient baseline sample size: 40 < 100"));
    }

    #[test]
    fn recall_gain_on_both_sides_of_the_threshold() {
        let cases = [
            (0.849, true, "✓ Recall gain: +0.049 >= 0.03"),
            // 0.83 − 0.80 = 0.029999999999999916: exactly at the threshold, passes.
            (0.83, true, "✓ Recall gain: +0.030 >= 0.03"),
            // Truly below, though it displays as 0.030.
            (0.8299, false, "Recall gain insufficient: 0.030 < 0.03"),
            (0.81, false, "Recall gain insufficient: 0.010 < 0.03"),
            (0.674, false, "Recall gain insufficient: -0.126 < 0.03"),
            (0.80, false, "Recall gain insufficient: 0.000 < 0.03"),
        ];
        assert!(0.83 - baseline().recall < 0.03, "the float case this test guards");
        for (recall, passed, reason) in cases {
            let decision = gate(&CandidateMetrics { recall, ..passing() });
            let c = criterion(&decision, "recall_gain");
            assert_eq!((c.passed, c.reason.as_str()), (Some(passed), reason), "recall {recall}");
            assert_eq!(decision.passed, passed, "recall {recall}");
        }
    }

    #[test]
    fn fp_increase_on_both_sides_of_the_threshold() {
        let cases = [
            (0.09, true, "✓ FP increase: +0.010 <= 0.02"),
            // 0.10 − 0.08 = 0.020000000000000004: exactly at the threshold, passes.
            (0.10, true, "✓ FP increase: +0.020 <= 0.02"),
            (0.1001, false, "FP rate increase too high: +0.020 > 0.02"),
            (0.11, false, "FP rate increase too high: +0.030 > 0.02"),
            (0.07, true, "✓ FP increase: -0.010 <= 0.02"),
            (0.08, true, "✓ FP increase: +0.000 <= 0.02"),
        ];
        assert!(0.10 - baseline().fp_rate > 0.02, "the float case this test guards");
        for (fp_rate, passed, reason) in cases {
            let decision = gate(&CandidateMetrics { fp_rate, ..passing() });
            let c = criterion(&decision, "fp_increase");
            assert_eq!((c.passed, c.reason.as_str()), (Some(passed), reason), "fp {fp_rate}");
            assert_eq!(decision.passed, passed, "fp {fp_rate}");
        }
    }

    #[test]
    fn latency_increase_on_both_sides_of_the_threshold() {
        let cases = [
            (13.0, true, "✓ Latency increase: +1.0ms <= 5.0ms"),
            (17.0, true, "✓ Latency increase: +5.0ms <= 5.0ms"),
            (17.01, false, "Latency increase too high: +5.0ms > 5.0ms"),
            (19.3, false, "Latency increase too high: +7.3ms > 5.0ms"),
            (10.0, true, "✓ Latency increase: -2.0ms <= 5.0ms"),
        ];
        for (latency_ms, passed, reason) in cases {
            let decision = gate(&CandidateMetrics { latency_ms, ..passing() });
            let c = criterion(&decision, "latency_increase");
            assert_eq!((c.passed, c.reason.as_str()), (Some(passed), reason), "latency {latency_ms}");
            assert_eq!(decision.passed, passed, "latency {latency_ms}");
        }
        // 17.1 − 12.1 = 5.000000000000002 in f64: at the threshold, passes.
        let base = CandidateMetrics { latency_ms: 12.1, ..baseline() };
        assert!(17.1 - base.latency_ms > 5.0, "the float case this test guards");
        let decision =
            promotion_gate(&CandidateMetrics { latency_ms: 17.1, ..passing() }, &base, &GateThresholds::default());
        assert_eq!(criterion(&decision, "latency_increase").passed, Some(true));
    }

    #[test]
    fn human_agreement_on_both_sides_of_the_threshold() {
        let cases = [
            (0.9, true, "✓ Human agreement: 0.900 >= 0.85"),
            (0.85, true, "✓ Human agreement: 0.850 >= 0.85"),
            (0.8499, false, "Human agreement too low: 0.850 < 0.85"),
            (0.8, false, "Human agreement too low: 0.800 < 0.85"),
        ];
        for (agreement, passed, reason) in cases {
            let decision = gate(&CandidateMetrics { human_agreement: Some(agreement), ..passing() });
            let c = criterion(&decision, "human_agreement");
            assert_eq!((c.passed, c.reason.as_str()), (Some(passed), reason), "agreement {agreement}");
            assert_eq!(decision.passed, passed, "agreement {agreement}");
        }
    }

    #[test]
    fn missing_human_agreement_is_not_evaluated_and_does_not_block() {
        let decision = gate(&CandidateMetrics { human_agreement: None, ..passing() });
        assert!(decision.passed);
        assert_eq!(decision.not_evaluated(), ["human_agreement"]);
        let c = criterion(&decision, "human_agreement");
        assert_eq!(c.value, None);
        assert_eq!(c.reason, "Human agreement not evaluated: no review labels (does not block)");

        let strict = GateThresholds { require_human_agreement: true, ..GateThresholds::default() };
        let decision = promotion_gate(&CandidateMetrics { human_agreement: None, ..passing() }, &baseline(), &strict);
        assert!(!decision.passed);
        assert_eq!(criterion(&decision, "human_agreement").passed, Some(false));
    }

    #[test]
    fn every_criterion_is_reported_even_after_a_failure() {
        let decision = gate(&metrics(0.81, 0.11, 19.3, Some(0.8), 40));
        assert!(!decision.passed);
        assert_eq!(
            decision.reasons(),
            [
                "Insufficient sample size: 40 < 100",
                "✓ Baseline sample size: 100 >= 100",
                "Recall gain insufficient: 0.010 < 0.03",
                "FP rate increase too high: +0.030 > 0.02",
                "Latency increase too high: +7.3ms > 5.0ms",
                "Human agreement too low: 0.800 < 0.85",
            ]
        );
    }

    #[test]
    fn custom_thresholds_appear_in_the_reasons_and_nan_fails() {
        let thresholds = GateThresholds {
            min_recall_gain: 0.05,
            max_latency_increase_ms: 2.5,
            min_sample_size: 10,
            ..GateThresholds::default()
        };
        let decision = promotion_gate(&passing(), &baseline(), &thresholds);
        assert_eq!(criterion(&decision, "recall_gain").reason, "Recall gain insufficient: 0.049 < 0.05");
        assert_eq!(criterion(&decision, "latency_increase").reason, "✓ Latency increase: +1.0ms <= 2.5ms");
        assert_eq!(criterion(&decision, "sample_size").reason, "✓ Sample size: 150 >= 10");
        let decision = gate(&CandidateMetrics { fp_rate: f64::NAN, ..passing() });
        assert_eq!(criterion(&decision, "fp_increase").reason, "FP rate increase too high: +nan > 0.02");
        assert!(!decision.passed);
    }

    #[test]
    fn thresholds_deserialise_with_the_original_defaults() {
        let thresholds: GateThresholds = serde_json::from_str(r#"{"min_recall_gain": 0.05}"#).expect("valid");
        assert_eq!(thresholds, GateThresholds { min_recall_gain: 0.05, ..GateThresholds::default() });
        assert!(serde_json::from_str::<GateThresholds>(r#"{"min_recal_gain": 0.05}"#).is_err());
    }
}
