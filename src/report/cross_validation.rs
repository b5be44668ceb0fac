//! The cross-validation section of the comparison report: with a `kfold` split every fold is a
//! cohort, and this section puts a model's folds back together (docs/METRICS.md, k-fold).
//!
//! An *arm* is one configuration trained on every fold: the `train` instances whose matrix
//! variables are equal apart from `fold`. Per arm, each metric's value on every fold with the
//! mean and the sample standard deviation over folds. Per pair of arms scored on the same
//! folds (the same validation rows fold by fold), the Nadeau–Bengio corrected resampled
//! t-test of the folds' differences for accuracy and ROC-AUC, with Holm's adjustment over each
//! metric's family of pairs, and the sentence that says what it means. A decision then rests
//! on every row of the data, not on one split.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::compare::{
    self, ACCURACY, ALPHA, CorrectedT, Interval, ROC_AUC, Wording, ab_sentence_in_family, corrected_t, format_p,
};

/// The metrics summarised over folds, in the order shown.
pub const CV_METRICS: [&str; 5] = ["accuracy", "roc_auc", "ece", "brier", "log_loss"];

/// The metrics tested between arms, with their wording.
const TESTED: [(&str, Wording); 2] = [("accuracy", ACCURACY), ("roc_auc", ROC_AUC)];

/// The section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrossValidation {
    /// The number of folds of the split.
    pub folds: u32,
    /// Each configuration trained on every fold, in need order.
    pub arms: Vec<CvArm>,
    /// Every pair of arms scored on the same folds.
    pub comparisons: Vec<CvPair>,
}

/// One configuration over the folds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CvArm {
    /// The cohorts' common name (`logistic` for `logistic_fold1` … `logistic_fold5`).
    pub arm: String,
    /// The model type.
    pub model_type: String,
    /// The fold of each cohort, in fold order.
    pub folds: Vec<u32>,
    /// The cohorts, in fold order.
    pub cohorts: Vec<String>,
    /// Per metric of [`CV_METRICS`], its value on each fold and their mean and sd.
    pub metrics: BTreeMap<String, FoldSummary>,
}

/// One metric over folds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FoldSummary {
    /// The value on each fold (in the arm's fold order); `null` where undefined.
    pub values: Vec<Option<f64>>,
    /// Mean over the folds where it is defined; absent when it is defined on none.
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof 1) over those folds; absent below two.
    pub sd: Option<f64>,
}

impl FoldSummary {
    fn new(values: Vec<Option<f64>>) -> Self {
        let defined: Vec<f64> = values.iter().flatten().copied().collect();
        let n = defined.len() as f64;
        let mean = (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / n);
        let sd = mean
            .filter(|_| defined.len() >= 2)
            .map(|m| (defined.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        Self { values, mean, sd }
    }
}

/// Two arms over the same folds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CvPair {
    /// Arm A.
    pub a: String,
    /// Arm B (differences are B − A).
    pub b: String,
    /// The folds compared.
    pub folds: Vec<u32>,
    /// The corrected resampled t-test of each tested metric (`accuracy`, `roc_auc` where it
    /// is defined on every fold of both).
    pub tests: BTreeMap<String, CorrectedT>,
    /// Holm-adjusted p-value of each test over the section's pairs for that metric.
    pub adjusted_p: BTreeMap<String, f64>,
    /// What each test says, one sentence per metric.
    pub sentences: BTreeMap<String, String>,
}

/// One fold of one arm, as the report stage found it.
#[derive(Clone, Debug)]
pub struct CvCohort {
    /// The arm it belongs to.
    pub arm: String,
    /// Its cohort.
    pub cohort: String,
    /// The model type.
    pub model_type: String,
    /// Its fold.
    pub fold: u32,
    /// Its validation rows (ids), to check two arms were scored on the same rows.
    pub rows: Vec<u64>,
    /// Its training rows.
    pub training_rows: usize,
    /// Each metric of [`CV_METRICS`] on its validation rows.
    pub values: BTreeMap<&'static str, Option<f64>>,
}

/// Builds the section from the folds found; `None` when there are none.
pub fn cross_validation(found: &[CvCohort]) -> Option<CrossValidation> {
    let folds = found.iter().map(|c| c.fold).max()?;
    let mut arms: Vec<(String, Vec<&CvCohort>)> = Vec::new();
    for c in found {
        match arms.iter_mut().find(|(name, _)| name == &c.arm) {
            Some((_, members)) => members.push(c),
            None => arms.push((c.arm.clone(), vec![c])),
        }
    }
    for (_, members) in &mut arms {
        members.sort_by_key(|c| c.fold);
    }
    let cv_arms: Vec<CvArm> = arms
        .iter()
        .map(|(name, members)| CvArm {
            arm: name.clone(),
            model_type: members.first().map(|c| c.model_type.clone()).unwrap_or_default(),
            folds: members.iter().map(|c| c.fold).collect(),
            cohorts: members.iter().map(|c| c.cohort.clone()).collect(),
            metrics: CV_METRICS
                .iter()
                .map(|&m| (m.to_owned(), FoldSummary::new(members.iter().map(|c| c.values[m]).collect())))
                .collect(),
        })
        .collect();
    let mut pairs: Vec<CvPair> = Vec::new();
    for i in 0..arms.len() {
        for j in i + 1..arms.len() {
            if let Some(pair) = pair(&arms[i], &arms[j]) {
                pairs.push(pair);
            }
        }
    }
    for (metric, wording) in TESTED {
        let raw: Vec<(usize, f64)> = pairs
            .iter()
            .enumerate()
            .filter_map(|(n, p)| p.tests.get(metric).and_then(|t| t.p_value).map(|q| (n, q)))
            .collect();
        let adjusted = compare::holm(&raw.iter().map(|&(_, q)| q).collect::<Vec<f64>>());
        for (&(n, raw_p), adj) in raw.iter().zip(adjusted) {
            let p = &mut pairs[n];
            p.adjusted_p.insert(metric.to_owned(), adj);
            if let Some(t) = p.tests.get(metric) {
                let ci = Interval { lo: t.ci[0], hi: t.ci[1] };
                let s =
                    ab_sentence_in_family(&p.a, &p.b, &wording, t.mean_difference, ci, raw_p, Some((adj, raw.len())));
                p.sentences.insert(metric.to_owned(), format!("{s} (corrected t-test over {} folds)", t.folds));
            }
        }
        for p in &mut pairs {
            if let Some(t) = p.tests.get(metric).filter(|t| t.p_value.is_none()) {
                p.sentences.insert(
                    metric.to_owned(),
                    format!(
                        "{b} − {a} = {d} in {noun} on every one of the {k} folds: with no variation over folds the t-test is undefined",
                        a = p.a,
                        b = p.b,
                        d = t.mean_difference,
                        noun = wording.noun,
                        k = t.folds
                    ),
                );
            }
        }
    }
    Some(CrossValidation { folds, arms: cv_arms, comparisons: pairs })
}

/// The test between two arms over the folds where both were scored on the same rows; `None`
/// when fewer than two such folds exist.
fn pair(a: &(String, Vec<&CvCohort>), b: &(String, Vec<&CvCohort>)) -> Option<CvPair> {
    let common: Vec<(&CvCohort, &CvCohort)> =
        a.1.iter()
            .filter_map(|x| b.1.iter().find(|y| y.fold == x.fold && y.rows == x.rows).map(|y| (*x, *y)))
            .collect();
    if common.len() < 2 {
        return None;
    }
    let mean = |f: &dyn Fn(&CvCohort) -> f64| common.iter().map(|(x, _)| f(x)).sum::<f64>() / common.len() as f64;
    let ratio = mean(&|c| c.rows.len() as f64) / mean(&|c| c.training_rows as f64);
    let mut tests = BTreeMap::new();
    for (metric, _) in TESTED {
        let differences: Option<Vec<f64>> =
            common.iter().map(|(x, y)| Some(y.values[metric]? - x.values[metric]?)).collect();
        if let Some(t) = differences.and_then(|d| corrected_t(&d, ratio).ok()) {
            tests.insert(metric.to_owned(), t);
        }
    }
    Some(CvPair {
        a: a.0.clone(),
        b: b.0.clone(),
        folds: common.iter().map(|(x, _)| x.fold).collect(),
        tests,
        adjusted_p: BTreeMap::new(),
        sentences: BTreeMap::new(),
    })
}

/// The arms' table, as text cells shared by the Markdown and HTML views: a header, then per
/// arm its name, model, folds and each metric's mean ± sd.
pub fn arm_table(cv: &CrossValidation) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = ["arm", "model", "folds"].map(str::to_owned).to_vec();
    header.extend(["accuracy", "ROC-AUC", "ECE", "Brier", "log loss"].map(|m| format!("{m} (mean ± sd)")));
    let rows = cv
        .arms
        .iter()
        .map(|a| {
            let mut row = vec![a.arm.clone(), a.model_type.clone(), a.folds.len().to_string()];
            row.extend(
                CV_METRICS.iter().map(|m| a.metrics.get(*m).map_or_else(|| "n/a".to_owned(), |s| mean_sd(s, 3))),
            );
            row
        })
        .collect();
    (header, rows)
}

/// The method line above the section.
pub fn method_line(cv: &CrossValidation) -> String {
    format!(
        "Stratified {k}-fold cross-validation: each fold validates once, every row exactly once. Mean ± sd over the folds; \
         between two configurations, the Nadeau–Bengio corrected resampled t-test over the same folds \
         (variance × (1/k + n_test/n_train), t with k − 1 degrees of freedom), Holm-adjusted within each metric.",
        k = cv.folds
    )
}

/// "0.812 ± 0.021" (mean ± sd over folds), or "n/a".
pub fn mean_sd(s: &FoldSummary, decimals: usize) -> String {
    match (s.mean, s.sd) {
        (Some(m), Some(sd)) => format!("{m:.decimals$} ± {sd:.decimals$}"),
        (Some(m), None) => format!("{m:.decimals$}"),
        _ => "n/a".to_owned(),
    }
}

/// "p = 0.18, Holm 0.36" for a table cell.
pub fn p_cell(pair: &CvPair, metric: &str) -> String {
    match (pair.tests.get(metric).and_then(|t| t.p_value), pair.adjusted_p.get(metric)) {
        (Some(p), Some(adj)) => format!("{}, Holm {}", format_p(p), format_p(*adj).trim_start_matches("p ")),
        (Some(p), None) => format_p(p),
        _ => "n/a".to_owned(),
    }
}

/// Whether the pair's test of `metric` is significant after Holm's adjustment.
pub fn significant(pair: &CvPair, metric: &str) -> bool {
    pair.adjusted_p.get(metric).is_some_and(|&q| q < ALPHA)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(arm: &str, fold: u32, accuracy: f64, auc: Option<f64>) -> CvCohort {
        let values = CV_METRICS
            .iter()
            .map(|&m| {
                let v = match m {
                    "accuracy" => Some(accuracy),
                    "roc_auc" => auc,
                    _ => Some(0.1),
                };
                (m, v)
            })
            .collect();
        CvCohort {
            arm: arm.into(),
            cohort: format!("{arm}_fold{fold}"),
            model_type: arm.into(),
            fold,
            rows: (u64::from(fold) * 10..u64::from(fold) * 10 + 5).collect(),
            training_rows: 10,
            values,
        }
    }

    #[test]
    fn arms_gather_their_folds_and_pairs_test_the_differences() {
        let found = [
            cohort("a", 2, 0.80, Some(0.9)),
            cohort("a", 1, 0.70, Some(0.8)),
            cohort("b", 1, 0.75, Some(0.85)),
            cohort("a", 3, 0.90, None),
            cohort("b", 2, 0.82, Some(0.9)),
            cohort("b", 3, 0.97, Some(0.95)),
        ];
        let cv = cross_validation(&found).expect("a section");
        assert_eq!(cv.arms.len(), 2);
        let a = &cv.arms[0];
        assert_eq!((a.folds.clone(), a.cohorts[0].as_str()), (vec![1, 2, 3], "a_fold1"));
        let acc = &a.metrics["accuracy"];
        assert_eq!(acc.values, [Some(0.70), Some(0.80), Some(0.90)]);
        assert!((acc.mean.unwrap_or_default() - 0.8).abs() < 1e-12);
        assert!((acc.sd.unwrap_or_default() - 0.1).abs() < 1e-12);
        // ROC-AUC undefined on a's fold 3: averaged over the other two, and not tested.
        assert_eq!(a.metrics["roc_auc"].values[2], None);
        let pair = &cv.comparisons[0];
        assert_eq!((pair.a.as_str(), pair.b.as_str(), pair.folds.clone()), ("a", "b", vec![1, 2, 3]));
        assert!(!pair.tests.contains_key("roc_auc"));
        // Differences 0.05, 0.02, 0.07; ratio 5/10: the formula of `corrected_t`.
        let t = &pair.tests["accuracy"];
        assert!((t.mean_difference - 0.14 / 3.0).abs() < 1e-12);
        assert!((t.test_train_ratio - 0.5).abs() < 1e-12);
        assert!(
            pair.sentences["accuracy"].ends_with("(corrected t-test over 3 folds)"),
            "{}",
            pair.sentences["accuracy"]
        );
    }

    #[test]
    fn arms_on_other_rows_are_not_compared() {
        let mut other = cohort("b", 1, 0.75, Some(0.85));
        other.rows = vec![99];
        let found =
            [cohort("a", 1, 0.7, Some(0.8)), cohort("a", 2, 0.8, Some(0.8)), other, cohort("b", 2, 0.8, Some(0.9))];
        let cv = cross_validation(&found).expect("a section");
        assert!(cv.comparisons.is_empty(), "one common fold is not enough for a test");
        assert!(cross_validation(&[]).is_none());
    }
}
