//! Cross-cohort patterns found in what the run measured.
//!
//! The original `CorrelationEngine` looked for attack patterns in sliding windows of agent
//! "actions"; in training any two agents within 30 s were a "coordinated attack", and its matches
//! were never returned. Here each rule reads a real signal of the run and says why it fired:
//!
//! - `joint_gate_failure` (high): ≥ 2 cohorts rejected by the gate share a violation type;
//!   confidence = those cohorts / all cohorts.
//! - `shared_drift` (medium): one variable drifted against one reference in ≥ 2 cohorts;
//!   confidence = drifted / compared cohorts.
//! - `coordinated_errors` (medium): two models' misclassified rows overlap ≥ 2× what independent
//!   errors would give, on ≥ 10 rows; confidence = 1 − expected / observed.
//! - `correlated_metrics` (low): two cohorts' accuracies have Pearson r ≥ 0.9 over ≥ 3 common
//!   runs; confidence = r.
//!
//! Every rule costs O(n log n) in its n input items (sorting, then merges), except that pairwise
//! rules also pay k² merges for k cohorts, each linear in the two cohorts' items: O(k·n) in all,
//! small because k is the handful of cohorts in a manifest. Output is sorted by pattern name,
//! then cohorts, then variable, so reports are byte-identical across runs.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Overlap must reach this multiple of the independence expectation to be `coordinated_errors`.
pub const COORDINATED_ERROR_RATIO: f64 = 2.0;
/// Fewest shared errors for `coordinated_errors`: below it a 2× ratio is noise (2 rows vs 1).
pub const COORDINATED_ERROR_MIN_SHARED: u64 = 10;
/// Pearson r from which two accuracy series count as `correlated_metrics`.
pub const CORRELATED_METRICS_MIN_R: f64 = 0.9;
/// Fewest common runs for a correlation: two points always lie on a line.
pub const CORRELATED_METRICS_MIN_RUNS: usize = 3;

/// A cross-cohort pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pattern {
    pub name: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// In [0, 1].
    pub confidence: f64,
    /// Sorted.
    pub cohorts: Vec<String>,
    /// The violation type or drifted variable the cohorts share, when the rule has one.
    pub variable: Option<String>,
    pub description: String,
}

/// One cohort's gate verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutcome {
    pub cohort: String,
    pub promoted: bool,
    /// Violation types, e.g. `calibration_error`.
    pub violations: Vec<String>,
}

/// One drift comparison of a variable between a reference cohort and a current cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftObservation {
    pub reference: String,
    pub current: String,
    pub variable: String,
    pub drifted: bool,
}

/// The rows a cohort's model was evaluated on and the ones it misclassified, by row id.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorSet {
    pub cohort: String,
    pub rows: Vec<u64>,
    pub errors: Vec<u64>,
}

/// A cohort's accuracy in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyPoint {
    pub run_id: String,
    pub cohort: String,
    pub accuracy: f64,
}

/// Everything [`correlations`] reads; an empty slice disables its rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorrelationInputs<'a> {
    pub gates: &'a [GateOutcome],
    pub drift: &'a [DriftObservation],
    pub errors: &'a [ErrorSet],
    pub accuracy: &'a [AccuracyPoint],
}

/// All rules, sorted by pattern name, then cohorts, then variable.
pub fn correlations(inputs: &CorrelationInputs<'_>) -> Vec<Pattern> {
    let mut patterns = joint_gate_failure(inputs.gates);
    patterns.extend(shared_drift(inputs.drift));
    patterns.extend(coordinated_errors(inputs.errors));
    patterns.extend(correlated_metrics(inputs.accuracy));
    sort_patterns(&mut patterns);
    patterns
}

fn sort_patterns(patterns: &mut [Pattern]) {
    patterns
        .sort_by(|a, b| (a.name.as_str(), &a.cohorts, &a.variable).cmp(&(b.name.as_str(), &b.cohorts, &b.variable)));
}

/// "a, b and c".
fn join_cohorts(cohorts: &[String]) -> String {
    match cohorts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Cohorts the gate rejected with the same violation type, one pattern per type. A shared
/// failure points at the data or the gate rather than at one model. O(n log n) in the
/// (cohort, violation) pairs.
pub fn joint_gate_failure(gates: &[GateOutcome]) -> Vec<Pattern> {
    let mut all: Vec<&str> = gates.iter().map(|g| g.cohort.as_str()).collect();
    all.sort_unstable();
    all.dedup();
    let total = all.len();
    let mut failures: Vec<(&str, &str)> = gates
        .iter()
        .filter(|g| !g.promoted)
        .flat_map(|g| g.violations.iter().map(move |v| (v.as_str(), g.cohort.as_str())))
        .collect();
    failures.sort_unstable();
    failures.dedup();
    let mut patterns = Vec::new();
    for group in failures.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(violation, _)) = group.first() else { continue };
        if group.len() < 2 {
            continue;
        }
        let cohorts: Vec<String> = group.iter().map(|&(_, c)| c.to_owned()).collect();
        patterns.push(Pattern {
            name: "joint_gate_failure".to_owned(),
            severity: "high".to_owned(),
            confidence: cohorts.len() as f64 / total as f64,
            description: format!("Cohorts {} failed the gate together on {violation}", join_cohorts(&cohorts)),
            cohorts,
            variable: Some(violation.to_owned()),
        });
    }
    sort_patterns(&mut patterns);
    patterns
}

/// One variable drifting against one reference in several cohorts: a shift in the population,
/// not in one cohort. O(n log n) in the comparisons.
pub fn shared_drift(drift: &[DriftObservation]) -> Vec<Pattern> {
    let mut rows: Vec<(&str, &str, &str, bool)> =
        drift.iter().map(|d| (d.reference.as_str(), d.variable.as_str(), d.current.as_str(), d.drifted)).collect();
    rows.sort_unstable();
    // A repeated comparison counts once, drifted if any repeat drifted (true sorts last).
    rows.dedup_by(|later, earlier| {
        let same = (later.0, later.1, later.2) == (earlier.0, earlier.1, earlier.2);
        if same {
            earlier.3 |= later.3;
        }
        same
    });
    let mut patterns = Vec::new();
    for group in rows.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let Some(&(reference, variable, _, _)) = group.first() else { continue };
        let cohorts: Vec<String> = group.iter().filter(|r| r.3).map(|r| r.2.to_owned()).collect();
        if cohorts.len() < 2 {
            continue;
        }
        patterns.push(Pattern {
            name: "shared_drift".to_owned(),
            severity: "medium".to_owned(),
            confidence: cohorts.len() as f64 / group.len() as f64,
            description: format!(
                "Variable {variable} drifted against reference {reference} in cohorts {}",
                join_cohorts(&cohorts)
            ),
            cohorts,
            variable: Some(variable.to_owned()),
        });
    }
    sort_patterns(&mut patterns);
    patterns
}

/// `values` sorted and deduplicated, copying only when needed.
fn sorted_set(values: &[u64]) -> Vec<u64> {
    let mut out = values.to_vec();
    if !out.is_sorted() {
        out.sort_unstable();
    }
    out.dedup();
    out
}

/// |a ∩ b| of two sorted, deduplicated slices, by merging.
fn intersection_len(a: &[u64], b: &[u64]) -> u64 {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Sorted a ∩ b of two sorted, deduplicated slices.
fn intersection(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Pairs of models that fail on the same rows far more than chance says. Over the N rows both
/// were evaluated on, with error sets A and B restricted to them, independent models would
/// share |A|·|B|/N errors; the pair is flagged when the observed |A ∩ B| is at least twice that
/// and at least 10 rows (a minimum so that 2 shared errors against 1 expected is not a pattern).
/// Shared hard rows mean the models' mistakes do not cancel out in an ensemble and that the
/// rows themselves (labels, features) deserve a look. Error ids outside a cohort's rows are
/// ignored. O(n log n) to sort, then one merge per pair.
pub fn coordinated_errors(sets: &[ErrorSet]) -> Vec<Pattern> {
    let mut cohorts: Vec<(&str, Vec<u64>, Vec<u64>)> = sets
        .iter()
        .map(|s| {
            let rows = sorted_set(&s.rows);
            let errors = intersection(&sorted_set(&s.errors), &rows);
            (s.cohort.as_str(), rows, errors)
        })
        .collect();
    cohorts.sort_by(|a, b| a.0.cmp(b.0));
    let mut patterns = Vec::new();
    for (i, (name_a, rows_a, errors_a)) in cohorts.iter().enumerate() {
        for (name_b, rows_b, errors_b) in cohorts.iter().skip(i + 1) {
            if name_a == name_b {
                continue;
            }
            let shared_rows = intersection_len(rows_a, rows_b);
            if shared_rows == 0 {
                continue;
            }
            // Errors of each model on the rows both were evaluated on.
            let errors_a_shared = intersection_len(errors_a, rows_b);
            let errors_b_shared = intersection_len(errors_b, rows_a);
            let observed = intersection_len(errors_a, errors_b);
            let expected = errors_a_shared as f64 * errors_b_shared as f64 / shared_rows as f64;
            if observed < COORDINATED_ERROR_MIN_SHARED || (observed as f64) < COORDINATED_ERROR_RATIO * expected {
                continue;
            }
            let cohorts = vec![(*name_a).to_owned(), (*name_b).to_owned()];
            patterns.push(Pattern {
                name: "coordinated_errors".to_owned(),
                severity: "medium".to_owned(),
                confidence: 1.0 - expected / observed as f64,
                description: format!(
                    "Cohorts {name_a} and {name_b} misclassified {observed} of the same {shared_rows} rows \
                     ({expected:.1} expected if their errors were independent)"
                ),
                cohorts,
                variable: None,
            });
        }
    }
    sort_patterns(&mut patterns);
    patterns
}

/// Pearson r of paired values; None when either side is constant (r is undefined).
fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    let (mean_x, mean_y) = pairs.iter().fold((0.0, 0.0), |(sx, sy), &(x, y)| (sx + x / n, sy + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let denominator = (sxx * syy).sqrt();
    (denominator > 0.0 && denominator.is_finite()).then(|| (sxy / denominator).clamp(-1.0, 1.0))
}

/// Two cohorts whose accuracy rises and falls together across runs: a shared cause (data
/// refresh, shared feature) rather than two independent models. n is the rows of accuracy
/// history: grouping is a sort, O(n log n); the k² cohort pairs each merge two series.
/// Non-finite accuracies are skipped; a (run, cohort) seen twice keeps its last value.
pub fn correlated_metrics(history: &[AccuracyPoint]) -> Vec<Pattern> {
    let mut rows: Vec<(&str, &str, usize, f64)> = history
        .iter()
        .enumerate()
        .filter(|(_, p)| p.accuracy.is_finite())
        .map(|(i, p)| (p.cohort.as_str(), p.run_id.as_str(), i, p.accuracy))
        .collect();
    rows.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    // Keep the last input row per (cohort, run): dedup keeps the first of a run, so reverse.
    rows.reverse();
    rows.dedup_by(|later, earlier| (later.0, later.1) == (earlier.0, earlier.1));
    rows.reverse();
    let series: Vec<(&str, Vec<(&str, f64)>)> = rows
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|group| Some((group.first()?.0, group.iter().map(|r| (r.1, r.3)).collect())))
        .collect();
    let mut patterns = Vec::new();
    let mut pairs = Vec::new();
    for (i, (name_a, series_a)) in series.iter().enumerate() {
        for (name_b, series_b) in series.iter().skip(i + 1) {
            pairs.clear();
            let (mut x, mut y) = (0, 0);
            while let (Some(&(run_a, acc_a)), Some(&(run_b, acc_b))) = (series_a.get(x), series_b.get(y)) {
                match run_a.cmp(run_b) {
                    Ordering::Less => x += 1,
                    Ordering::Greater => y += 1,
                    Ordering::Equal => {
                        pairs.push((acc_a, acc_b));
                        x += 1;
                        y += 1;
                    }
                }
            }
            if pairs.len() < CORRELATED_METRICS_MIN_RUNS {
                continue;
            }
            let Some(r) = pearson(&pairs) else { continue };
            if r < CORRELATED_METRICS_MIN_R {
                continue;
            }
            patterns.push(Pattern {
                name: "correlated_metrics".to_owned(),
                severity: "low".to_owned(),
                confidence: r,
                description: format!(
                    "Accuracy of cohorts {name_a} and {name_b} moved together across {} runs (Pearson r = {r:.3})",
                    pairs.len()
                ),
                cohorts: vec![(*name_a).to_owned(), (*name_b).to_owned()],
                variable: Some("accuracy".to_owned()),
            });
        }
    }
    sort_patterns(&mut patterns);
    patterns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(cohort: &str, promoted: bool, violations: &[&str]) -> GateOutcome {
        GateOutcome {
            cohort: cohort.to_owned(),
            promoted,
            violations: violations.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn drift(reference: &str, current: &str, variable: &str, drifted: bool) -> DriftObservation {
        DriftObservation {
            reference: reference.to_owned(),
            current: current.to_owned(),
            variable: variable.to_owned(),
            drifted,
        }
    }

    fn point(run: &str, cohort: &str, accuracy: f64) -> AccuracyPoint {
        AccuracyPoint { run_id: run.to_owned(), cohort: cohort.to_owned(), accuracy }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn joint_gate_failure_by_hand() {
        // 4 cohorts; b and c rejected on calibration_error → confidence 2/4 = .5. d fails alone on
        // low_accuracy (no pattern); a was promoted, so its listed violation does not count.
        let gates = [
            gate("c", false, &["calibration_error"]),
            gate("a", true, &["low_accuracy"]),
            gate("b", false, &["calibration_error", "calibration_error"]),
            gate("d", false, &["low_accuracy"]),
        ];
        let patterns = joint_gate_failure(&gates);
        assert_eq!(patterns.len(), 1);
        let p = &patterns[0];
        assert_eq!((p.name.as_str(), p.severity.as_str()), ("joint_gate_failure", "high"));
        assert_eq!(p.cohorts, ["b", "c"]);
        assert_eq!(p.variable.as_deref(), Some("calibration_error"));
        assert!(close(p.confidence, 0.5));
        assert_eq!(p.description, "Cohorts b and c failed the gate together on calibration_error");
    }

    #[test]
    fn one_failing_cohort_is_not_a_pattern() {
        assert!(joint_gate_failure(&[gate("a", false, &["low_accuracy"]), gate("b", true, &[])]).is_empty());
        assert!(joint_gate_failure(&[]).is_empty());
    }

    #[test]
    fn shared_drift_by_hand() {
        // Against reference r: x drifted in b and c, not d → 2 of 3 compared → confidence 2/3.
        // y drifted only in b → no pattern.
        let rows = [
            drift("r", "c", "x", true),
            drift("r", "b", "x", true),
            drift("r", "d", "x", false),
            drift("r", "b", "y", true),
            drift("r", "c", "y", false),
        ];
        let patterns = shared_drift(&rows);
        assert_eq!(patterns.len(), 1);
        let p = &patterns[0];
        assert_eq!((p.name.as_str(), p.severity.as_str()), ("shared_drift", "medium"));
        assert_eq!(p.cohorts, ["b", "c"]);
        assert_eq!(p.variable.as_deref(), Some("x"));
        assert!(close(p.confidence, 2.0 / 3.0));
        assert_eq!(p.description, "Variable x drifted against reference r in cohorts b and c");
        assert!(shared_drift(&rows[3..]).is_empty());
    }

    #[test]
    fn coordinated_errors_by_hand() {
        // N = 100 shared rows 0..100. a errs on 0..20, b on 0..20 as well: |A| = |B| = 20,
        // expected = 20·20/100 = 4, observed = 20 ≥ 2·4 and ≥ 10 → flagged,
        // confidence = 1 − 4/20 = .8.
        let rows: Vec<u64> = (0..100).rev().collect();
        let sets = [
            ErrorSet { cohort: "b".into(), rows: rows.clone(), errors: (0..20).collect() },
            ErrorSet { cohort: "a".into(), rows: rows.clone(), errors: (0..20).rev().chain([500]).collect() },
        ];
        let patterns = coordinated_errors(&sets);
        assert_eq!(patterns.len(), 1);
        let p = &patterns[0];
        assert_eq!(p.cohorts, ["a", "b"]);
        assert!(close(p.confidence, 0.8), "{}", p.confidence);
        assert_eq!(
            p.description,
            "Cohorts a and b misclassified 20 of the same 100 rows (4.0 expected if their errors were independent)"
        );
    }

    #[test]
    fn independent_errors_are_not_flagged() {
        // N = 100: a errs on even rows (50), b on rows < 50 (50): expected 50·50/100 = 25,
        // observed = evens below 50 = 25 < 2·25 → not flagged.
        let rows: Vec<u64> = (0..100).collect();
        let sets = [
            ErrorSet {
                cohort: "a".into(),
                rows: rows.clone(),
                errors: (0..100u64).filter(|r| r.is_multiple_of(2)).collect(),
            },
            ErrorSet { cohort: "b".into(), rows: rows.clone(), errors: (0..50).collect() },
        ];
        assert!(coordinated_errors(&sets).is_empty());
        // Strong ratio but too few rows: N = 1000, both err on 0..5 → observed 5 < 10.
        let rows: Vec<u64> = (0..1000).collect();
        let sets = [
            ErrorSet { cohort: "a".into(), rows: rows.clone(), errors: (0..5).collect() },
            ErrorSet { cohort: "b".into(), rows, errors: (0..5).collect() },
        ];
        assert!(coordinated_errors(&sets).is_empty());
    }

    #[test]
    fn coordinated_errors_only_count_shared_rows() {
        // a evaluated on 0..100, b on 50..150: N = 50 shared rows (50..100).
        // a errs on 50..70 and 0..30 (only 50..70 shared: 20); b errs on 50..70 and 100..150 (20).
        // expected = 20·20/50 = 8, observed 20 ≥ 16 → flagged, confidence 1 − 8/20 = .6.
        let sets = [
            ErrorSet { cohort: "a".into(), rows: (0..100).collect(), errors: (50..70).chain(0..30).collect() },
            ErrorSet { cohort: "b".into(), rows: (50..150).collect(), errors: (50..70).chain(100..150).collect() },
        ];
        let patterns = coordinated_errors(&sets);
        assert_eq!(patterns.len(), 1);
        assert!(close(patterns[0].confidence, 0.6), "{}", patterns[0].confidence);
    }

    #[test]
    fn correlated_metrics_by_hand() {
        // a: .80 .85 .90, b: .70 .75 .80 over runs 1–3 → b = a − .1, r = 1.
        // c: .90 .80 .85 → deviations (+.05, −.05, 0) against a's (−.05, 0, +.05):
        // Σdxdy = −.0025, Σdx² = Σdy² = .005 → r = −.5, not flagged.
        // d has only two runs → skipped.
        let history = [
            point("1", "a", 0.80),
            point("2", "a", 0.85),
            point("3", "a", 0.90),
            point("1", "b", 0.70),
            point("2", "b", 0.75),
            point("3", "b", 0.2),
            point("3", "b", 0.80),
            point("1", "c", 0.90),
            point("2", "c", 0.80),
            point("3", "c", 0.85),
            point("1", "d", 0.5),
            point("2", "d", 0.6),
            point("4", "a", f64::NAN),
        ];
        let patterns = correlated_metrics(&history);
        assert_eq!(patterns.len(), 1, "{patterns:?}");
        let p = &patterns[0];
        assert_eq!((p.name.as_str(), p.severity.as_str()), ("correlated_metrics", "low"));
        assert_eq!(p.cohorts, ["a", "b"]);
        assert!((p.confidence - 1.0).abs() < 1e-9, "{}", p.confidence);
        let r = pearson(&[(0.80, 0.90), (0.85, 0.80), (0.90, 0.85)]).expect("varying");
        assert!((r + 0.5).abs() < 1e-9, "{r}");
        assert_eq!(pearson(&[(1.0, 0.5), (2.0, 0.5), (3.0, 0.5)]), None);
    }

    #[test]
    fn correlations_runs_all_rules_in_order() {
        let gates = [gate("b", false, &["low_accuracy"]), gate("a", false, &["low_accuracy"])];
        let drift_rows = [drift("r", "a", "x", true), drift("r", "b", "x", true)];
        let history = [point("1", "a", 0.1), point("2", "a", 0.2), point("3", "a", 0.3)];
        let history = [&history[..], &[point("1", "b", 0.2), point("2", "b", 0.4), point("3", "b", 0.6)]].concat();
        let errors = [
            ErrorSet { cohort: "a".into(), rows: (0..100).collect(), errors: (0..20).collect() },
            ErrorSet { cohort: "b".into(), rows: (0..100).collect(), errors: (0..20).collect() },
        ];
        let inputs = CorrelationInputs { gates: &gates, drift: &drift_rows, errors: &errors, accuracy: &history };
        let names: Vec<String> = correlations(&inputs).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["coordinated_errors", "correlated_metrics", "joint_gate_failure", "shared_drift"]);
        assert!(correlations(&CorrelationInputs::default()).is_empty());
        let json = serde_json::to_value(correlations(&inputs)).expect("serialise");
        assert_eq!(json[2]["variable"], "low_accuracy");
        assert!(close(json[2]["confidence"].as_f64().expect("number"), 1.0));
    }
}
