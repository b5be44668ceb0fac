//! A/B comparison of two cohorts scored on the same validation rows.
//!
//! Accuracy: McNemar's exact test, with the paired-bootstrap interval of the difference. Every
//! confusion metric: the paired bootstrap, drawn exactly as Multinomial(N, joint table / N)
//! over the 8 cells of (label, prediction of A, prediction of B) — the same law as resampling
//! rows and recounting, at O(1) per resample. ROC-AUC: DeLong's paired test.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CompareError;
use super::bootstrap::{Bootstrap, BootstrapEstimate};
use super::cohort::Cohort;
use super::confusion_metric::ConfusionMetric;
use super::delong::DelongComparison;
use super::mcnemar::McNemar;
use super::multinomial::multinomial;
use super::paired_counts::PairedCounts;

/// Generator stream of paired comparisons (the cohort intervals use streams 0 and 2).
const PAIRED_STREAM: u64 = 1;

/// B compared with A; every difference is B − A.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    pub table: PairedCounts,
    pub mcnemar: McNemar,
    /// Paired percentile-bootstrap interval of each metric's difference.
    pub differences: BTreeMap<ConfusionMetric, BootstrapEstimate>,
    pub roc_auc: Option<DelongComparison>,
    /// Why `roc_auc` is missing, when it is.
    pub roc_auc_unavailable: Option<String>,
}

/// Compares cohort `b` with cohort `a`; both must hold the same labelled rows (same order).
/// Each cohort's decisions use its own threshold, so two thresholds can be A/B tested.
pub fn compare(a: &Cohort<'_>, b: &Cohort<'_>, bootstrap: &Bootstrap) -> Result<Comparison, CompareError> {
    if a.y_true != b.y_true {
        return Err(CompareError::DifferentRows);
    }
    let table = PairedCounts::unchecked_each(a.y_true, (a.y_prob, a.threshold), (b.y_prob, b.threshold));
    let (roc_auc, roc_auc_unavailable) = match (&a.auc, &b.auc) {
        (Ok(auc_a), Ok(auc_b)) => (Some(auc_a.compare(auc_b)?), None),
        (Err(reason), _) | (_, Err(reason)) => (None, Some(reason.to_string())),
    };
    Ok(Comparison {
        mcnemar: McNemar::from_table(&table),
        differences: paired_bootstrap(&table, bootstrap),
        table,
        roc_auc,
        roc_auc_unavailable,
    })
}

/// B − A for every confusion metric, bootstrapped from the joint table alone.
pub fn paired_bootstrap(table: &PairedCounts, bootstrap: &Bootstrap) -> BTreeMap<ConfusionMetric, BootstrapEstimate> {
    let difference = |metric: ConfusionMetric, cells: &[u64; 8]| {
        let a = metric.value(PairedCounts::marginal(cells, true))?;
        let b = metric.value(PairedCounts::marginal(cells, false))?;
        Some(b - a)
    };
    let mut rng = bootstrap.rng(PAIRED_STREAM);
    let mut replicates = vec![Vec::with_capacity(bootstrap.resamples()); ConfusionMetric::ALL.len()];
    let mut cells = [0_u64; 8];
    for _ in 0..bootstrap.resamples() {
        multinomial(&mut rng, table.rows(), &table.cells, &mut cells);
        for (&metric, values) in ConfusionMetric::ALL.iter().zip(&mut replicates) {
            values.push(difference(metric, &cells));
        }
    }
    ConfusionMetric::ALL
        .iter()
        .zip(&replicates)
        .map(|(&metric, values)| (metric, BootstrapEstimate::new(difference(metric, &table.cells), values)))
        .collect()
}
