//! The Phase 8–9 fitness of a candidate, with the terms it was computed from.
//!
//! `fitness = 0.4·recall − 0.25·fp_rate − 0.15·min(latency_ms / 100, 1) + 0.2·human_agreement`
//! (the original's `MultiObjectiveOptimizer` objectives). Two differences from the original:
//!
//! - `fp_rate` is the false-positive rate FP / (FP + TN) measured on the candidate's
//!   predictions; the original's training path fed it `1 − precision` (the false discovery
//!   rate) under that name.
//! - Without human review labels there is no human agreement, and the original's hard-coded
//!   0.85 is not invented in its place: the term is left out and listed as unavailable, and
//!   the value is the sum of the available terms (so it ranges over [−0.4, 0.4] instead of
//!   [−0.4, 0.6]). Candidates of one search share the same labels, so they all use the same
//!   terms and their ranking is unaffected; values with and without the term are not
//!   comparable, which is why [`Fitness::terms`] says which were used.

use serde::Serialize;

/// Weight of recall (rewarded).
pub const RECALL_WEIGHT: f64 = 0.4;
/// Weight of the false-positive rate (penalised).
pub const FP_RATE_WEIGHT: f64 = 0.25;
/// Weight of the scaled latency (penalised).
pub const LATENCY_WEIGHT: f64 = 0.15;
/// Weight of human agreement (rewarded).
pub const HUMAN_AGREEMENT_WEIGHT: f64 = 0.2;
/// Latency at which the latency penalty saturates, in milliseconds.
pub const LATENCY_SCALE_MS: f64 = 100.0;

/// One term of the fitness sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitnessTerm {
    /// `recall`, `fp_rate`, `latency` or `human_agreement`.
    pub name: &'static str,
    /// The measured input (for latency, in milliseconds before scaling).
    pub input: f64,
    /// The signed weight: positive for rewarded terms, negative for penalties.
    pub weight: f64,
    /// What the term adds to the value: `weight × input`, with latency first scaled and capped.
    pub contribution: f64,
}

/// A fitness value and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fitness {
    /// The sum of the terms' contributions; higher is better. NaN when an input is NaN (e.g.
    /// recall on a split without positives), which the searches rank last.
    pub value: f64,
    /// The terms used, in the formula's order.
    pub terms: Vec<FitnessTerm>,
    /// Terms left out for lack of data (only `human_agreement`, when there are no review
    /// labels).
    pub unavailable: Vec<&'static str>,
}

/// The Phase 8–9 fitness; `human_agreement` is `None` when no review labels were supplied.
pub fn calculate_fitness(recall: f64, fp_rate: f64, latency_ms: f64, human_agreement: Option<f64>) -> Fitness {
    let mut terms = vec![
        FitnessTerm { name: "recall", input: recall, weight: RECALL_WEIGHT, contribution: RECALL_WEIGHT * recall },
        FitnessTerm {
            name: "fp_rate",
            input: fp_rate,
            weight: -FP_RATE_WEIGHT,
            contribution: -FP_RATE_WEIGHT * fp_rate,
        },
        FitnessTerm {
            name: "latency",
            input: latency_ms,
            weight: -LATENCY_WEIGHT,
            contribution: -LATENCY_WEIGHT * (latency_ms / LATENCY_SCALE_MS).min(1.0),
        },
    ];
    let mut unavailable = Vec::new();
    match human_agreement {
        Some(agreement) => terms.push(FitnessTerm {
            name: "human_agreement",
            input: agreement,
            weight: HUMAN_AGREEMENT_WEIGHT,
            contribution: HUMAN_AGREEMENT_WEIGHT * agreement,
        }),
        None => unavailable.push("human_agreement"),
    }
    let value = terms.iter().map(|term| term.contribution).sum();
    Fitness { value, terms, unavailable }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_original_test_value() {
        // test_phase89.py: calculate_fitness(.9, .05, 10.0, .85) == 0.5025
        // = 0.36 − 0.0125 − 0.015 + 0.17.
        let fitness = calculate_fitness(0.9, 0.05, 10.0, Some(0.85));
        assert!((fitness.value - 0.5025).abs() < 1e-12, "{}", fitness.value);
        let contributions: Vec<f64> = fitness.terms.iter().map(|t| t.contribution).collect();
        let expected = [0.36, -0.0125, -0.015, 0.17];
        for (got, want) in contributions.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!(fitness.unavailable.is_empty());
    }

    #[test]
    fn without_review_labels_the_term_is_left_out_not_invented() {
        let fitness = calculate_fitness(0.9, 0.05, 10.0, None);
        assert!((fitness.value - 0.3325).abs() < 1e-12, "{}", fitness.value);
        let names: Vec<&str> = fitness.terms.iter().map(|t| t.name).collect();
        assert_eq!(names, ["recall", "fp_rate", "latency"]);
        assert_eq!(fitness.unavailable, ["human_agreement"]);
    }

    #[test]
    fn latency_penalty_saturates_at_100_ms() {
        let slow = calculate_fitness(1.0, 0.0, 250.0, None);
        assert!((slow.value - (0.4 - 0.15)).abs() < 1e-12);
        let at_scale = calculate_fitness(1.0, 0.0, 100.0, None);
        assert_eq!(slow.value, at_scale.value);
    }

    #[test]
    fn nan_input_gives_nan() {
        assert!(calculate_fitness(f64::NAN, 0.0, 1.0, None).value.is_nan());
    }
}
