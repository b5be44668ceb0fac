//! The report's answer to "which model, and may it be promoted": each cohort's gate cell
//! (which criterion failed and by how much), the recommended cohort with the A/B test against
//! the runner-up, and the precision numbers are printed with. Every view opens with it.
//!
//! It is derived from `comparison.json` when a view renders, not stored in it: it is a reading
//! of numbers the JSON already holds (the gate criteria with values and thresholds, the
//! intervals, the pairs' sentences), so older reports get it too and the schema stays put.

use super::{CohortReport, ComparisonReport};

/// The recommendation and who it was weighed against.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Index into `cohorts` of the cohort to promote, if any may be.
    pub recommended: Option<usize>,
    /// Index of the next best eligible cohort.
    pub runner_up: Option<usize>,
    /// One plain-text paragraph saying what is recommended and why, or why nothing is.
    pub line: String,
}

/// How many decimals a number needs beside its 95% interval: three, or two significant
/// figures of the interval's width when it is narrower (an ROC-AUC of 0.99986 with interval
/// 0.99975–0.99997 prints as such, not as "1.000 (1.000–1.000)"), at most six.
pub fn decimals(ci: Option<(f64, f64)>) -> usize {
    let width = ci.map_or(0.0, |(lo, hi)| (hi - lo).abs());
    if width > 0.0 && width.is_finite() { ((-width.log10()).ceil() + 1.0).clamp(3.0, 6.0) as usize } else { 3 }
}

/// The estimate and its interval as text: ("0.992", Some("0.988–0.996")), or ("n/a", None).
pub fn estimate_parts(v: Option<f64>, ci: Option<(f64, f64)>) -> (String, Option<String>) {
    let d = decimals(ci);
    match v {
        Some(v) => (format!("{v:.d$}"), ci.map(|(lo, hi)| format!("{lo:.d$}–{hi:.d$}"))),
        None => ("n/a".to_owned(), None),
    }
}

/// A cohort's accuracy with its interval.
pub fn accuracy(c: &CohortReport) -> (Option<f64>, Option<(f64, f64)>) {
    let e = c.intervals.metrics.get(&crate::metrics::compare::ConfusionMetric::Accuracy);
    (e.and_then(|e| e.estimate), e.and_then(|e| e.ci.map(|c| (c.lo, c.hi))))
}

/// A cohort's ROC-AUC with DeLong's interval.
pub fn roc_auc(c: &CohortReport) -> (Option<f64>, Option<(f64, f64)>) {
    let a = c.intervals.roc_auc;
    (a.map(|a| a.auc), a.map(|a| (a.ci.lo, a.ci.hi)))
}

/// A cohort's ECE with its interval.
pub fn ece(c: &CohortReport) -> (Option<f64>, Option<(f64, f64)>) {
    (c.intervals.ece.estimate, c.intervals.ece.ci.map(|c| (c.lo, c.hi)))
}

/// The gate column: `PASS`, `FAIL: ece 0.054 > 0.030 (over by 0.024)` (every failed
/// criterion, `; `-separated), or `–` without a gate.
pub fn gate_cell(c: &CohortReport) -> String {
    match &c.gate {
        None => "–".to_owned(),
        Some(g) => {
            let failed: Vec<String> = g.criteria.iter().filter_map(super::GateCriterion::shortfall).collect();
            if failed.is_empty() { g.decision.clone() } else { format!("{}: {}", g.decision, failed.join("; ")) }
        }
    }
}

/// Whether a cohort's gate passed (`None` without a gate).
pub fn passed(c: &CohortReport) -> Option<bool> {
    c.gate.as_ref().map(|g| g.decision == "PASS")
}

/// The cohort to promote: among those that pass their gate (every cohort when none is
/// gated), the most accurate; ties go to the higher ROC-AUC, then the lower ECE, then the
/// earlier cohort. With cross-validation, no fold is recommended (see the section). The runner-up is tested against it with the report's own A/B sentence.
pub fn decide(r: &ComparisonReport) -> Decision {
    if let Some(cv) = &r.cross_validation {
        // A fold's cohort is one of k estimates of a configuration: recommending the luckiest
        // fold would be noise. The configurations' means and tests decide.
        let line = format!(
            "Cross-validated ({} folds): choose between configurations by their mean over the folds and the corrected t-tests in the Cross-validation section; the rows below are single folds, each with its own gate.",
            cv.folds
        );
        return Decision { recommended: None, runner_up: None, line };
    }
    let gated = r.cohorts.iter().any(|c| c.gate.is_some());
    let mut eligible: Vec<usize> =
        (0..r.cohorts.len()).filter(|&i| !gated || passed(&r.cohorts[i]) == Some(true)).collect();
    let key = |i: usize| {
        let c = &r.cohorts[i];
        let or_low = |v: Option<f64>| v.filter(|v| v.is_finite()).unwrap_or(f64::NEG_INFINITY);
        (or_low(accuracy(c).0), or_low(roc_auc(c).0), ece(c).0.filter(|e| e.is_finite()).unwrap_or(f64::INFINITY))
    };
    eligible.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(ka.2.total_cmp(&kb.2)).then(a.cmp(&b))
    });
    let gated_count = r.cohorts.iter().filter(|c| c.gate.is_some()).count();
    let Some(&best) = eligible.first() else {
        let line = if gated {
            format!(
                "No cohort may be promoted: all {gated_count} gated cohorts fail their gate (the gate column says which criterion, by how much)."
            )
        } else {
            "No cohort to recommend: the report has no cohorts.".to_owned()
        };
        return Decision { recommended: None, runner_up: None, line };
    };
    let runner_up = eligible.get(1).copied();
    let c = &r.cohorts[best];
    let (v, ci) = accuracy(c);
    let (acc, range) = estimate_parts(v, ci);
    let pool = if gated {
        match eligible.len() {
            1 => format!("the only one of {gated_count} gated cohorts that passes its gate"),
            n => format!("the most accurate of the {n} cohorts (of {gated_count} gated) that pass their gate"),
        }
    } else {
        format!("the most accurate of the {} cohorts (no gate in this report)", r.cohorts.len())
    };
    let mut line = format!(
        "Recommended: {} ({}), {pool}: accuracy {acc}{}.",
        c.cohort,
        c.model_type,
        range.map_or_else(String::new, |r| format!(" (95% CI {r})"))
    );
    if let Some(next) = runner_up {
        let other = &r.cohorts[next].cohort;
        let sentence = r
            .comparisons
            .iter()
            .find(|p| (&p.a == other && p.b == c.cohort) || (p.a == c.cohort && &p.b == other))
            .and_then(|p| p.sentences.get("accuracy"));
        match sentence {
            Some(s) => line.push_str(&format!(" Against the runner-up {other}: {s}.")),
            None => line.push_str(&format!(
                " Not tested against the runner-up {other} (not scored on the same rows, or left out by max_pairs)."
            )),
        }
    }
    Decision { recommended: Some(best), runner_up, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_the_interval_width() {
        assert_eq!(decimals(None), 3);
        assert_eq!(decimals(Some((0.9, 0.95))), 3);
        assert_eq!(decimals(Some((0.99975, 0.99997))), 5);
        assert_eq!(decimals(Some((0.5, 0.5))), 3, "a zero-width interval");
        assert_eq!(decimals(Some((0.0, 1e-12))), 6, "at most six");
        assert_eq!(
            estimate_parts(Some(0.999_86), Some((0.999_75, 0.999_97))),
            ("0.99986".to_owned(), Some("0.99975–0.99997".to_owned()))
        );
        assert_eq!(estimate_parts(None, None), ("n/a".to_owned(), None));
    }
}
