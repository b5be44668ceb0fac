//! One cohort's validation rows, prepared once, and its metrics with 95% intervals.
//!
//! Preparation is O(N): one radix sort for DeLong's components and the ROC curve, one pass for
//! the cells. After it every bootstrap resample costs O(cells), not O(N): see [`super`] for the
//! method and its exactness.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::bootstrap::{Bootstrap, BootstrapEstimate};
use super::cohort_cells::CohortCells;
use super::confusion_metric::ConfusionMetric;
use super::delong::{AucComponents, DelongAuc, Ranked};
use super::{CompareError, validate};

/// Generator stream of the cohort intervals (paired comparisons use others).
const COHORT_STREAM: u64 = 0;

/// Generator stream of the Brier score's and log loss's draws. Not [`COHORT_STREAM`]: they came
/// after the other metrics' intervals, and a stream of their own left every confusion-metric
/// and ECE interval exactly as it was for a given seed.
const LOSS_STREAM: u64 = 2;

/// A cohort's labels and probabilities with what its intervals and comparisons need.
#[derive(Debug, Clone)]
pub struct Cohort<'a> {
    pub(crate) y_true: &'a [u8],
    pub(crate) y_prob: &'a [f64],
    pub(crate) threshold: f64,
    /// Made on first use by [`Cohort::intervals`] (a pass over the rows): a cohort prepared
    /// only to be compared with others never needs them.
    cells: OnceLock<CohortCells>,
    ece_bins: usize,
    pub(crate) auc: Result<AucComponents, CompareError>,
    /// The ROC curve, from the same ranking as the AUC.
    roc: Vec<[f64; 2]>,
}

/// Every metric of one cohort with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortIntervals {
    pub rows: u64,
    pub threshold: f64,
    pub resamples: usize,
    pub seed: u64,
    /// Percentile bootstrap from exact multinomial resamples of the confusion counts.
    pub metrics: BTreeMap<ConfusionMetric, BootstrapEstimate>,
    /// Median-bias-corrected percentile bootstrap (`[q2.5 − β, q97.5 − β]`, `β = q50 − ECE`,
    /// floored at 0), because resampling biases the ECE upward; it always contains the
    /// estimate. See `ece_approximation_bound`.
    pub ece: BootstrapEstimate,
    pub ece_bins: usize,
    /// W1 distance bound between the ECE bootstrap law used and the exact row bootstrap's.
    pub ece_approximation_bound: f64,
    /// Percentile bootstrap (absent, read as undefined, in reports written before it existed).
    /// The Brier score is a mean of per-row terms, so its replicates are
    /// centred on the estimate (no bias to correct, unlike the ECE); each cell's resampled sum of
    /// terms is drawn like the ECE's sums of probabilities, see `brier_approximation_bound`.
    #[serde(default)]
    pub brier: BootstrapEstimate,
    /// W1 distance bound between the Brier bootstrap law used and the exact row bootstrap's.
    #[serde(default)]
    pub brier_approximation_bound: f64,
    /// Percentile bootstrap, as `brier`, of the log loss (METRICS.md's clipping); see
    /// `log_loss_approximation_bound`.
    #[serde(default)]
    pub log_loss: BootstrapEstimate,
    /// W1 distance bound between the log-loss bootstrap law used and the exact row bootstrap's.
    #[serde(default)]
    pub log_loss_approximation_bound: f64,
    /// DeLong normal interval (not bootstrapped: it needs no resampling of the sort).
    pub roc_auc: Option<DelongAuc>,
    /// Why `roc_auc` is missing, when it is.
    pub roc_auc_unavailable: Option<String>,
}

impl<'a> Cohort<'a> {
    /// Validates the rows and prepares them: `threshold` for the hard predictions (METRICS.md
    /// `p >= threshold`), `ece_bins` equal-width bins for the ECE.
    pub fn new(y_true: &'a [u8], y_prob: &'a [f64], threshold: f64, ece_bins: usize) -> Result<Self, CompareError> {
        Self::with_ranking(y_true, y_prob, threshold, ece_bins, None)
    }

    /// [`Cohort::new`] taking the rows' ranking from `ranking` ([`crate::metrics::rank_rows`],
    /// as `train` hands it on) instead of sorting them, when it is their ranking; the same
    /// value either way.
    pub fn with_ranking(
        y_true: &'a [u8],
        y_prob: &'a [f64],
        threshold: f64,
        ece_bins: usize,
        ranking: Option<&[u32]>,
    ) -> Result<Self, CompareError> {
        validate::labels("y_true", y_true)?;
        validate::probabilities("y_prob", y_true.len(), y_prob)?;
        validate::threshold(threshold)?;
        if ece_bins == 0 {
            return Err(CompareError::ZeroBins);
        }
        let ranked = Ranked::with_order(y_true, y_prob, ranking);
        Ok(Self {
            y_true,
            y_prob,
            threshold,
            cells: OnceLock::new(),
            ece_bins,
            auc: AucComponents::from_ranked(y_true, &ranked),
            roc: ranked.roc_curve(),
        })
    }

    /// (FPR, TPR) at 0 and after each distinct probability from the highest down, thinned to
    /// at most 101 points; empty when a class is missing.
    pub fn roc_curve(&self) -> &[[f64; 2]] {
        &self.roc
    }

    /// Point estimates and 95% intervals of every metric.
    pub fn intervals(&self, bootstrap: &Bootstrap) -> CohortIntervals {
        let cells =
            self.cells.get_or_init(|| CohortCells::new(self.y_true, self.y_prob, self.threshold, self.ece_bins));
        // `metrics::brier` and `metrics::log_loss` of the rows: the estimates `metrics.json` has.
        let [brier, log_loss] = cells.estimates();
        let mut rng = bootstrap.rng(COHORT_STREAM);
        let mut loss_rng = bootstrap.rng(LOSS_STREAM);
        let mut scratch = cells.scratch();
        let resamples = bootstrap.resamples();
        let mut replicates = vec![Vec::with_capacity(resamples); ConfusionMetric::ALL.len()];
        let mut ece_replicates = Vec::with_capacity(resamples);
        let mut brier_replicates = Vec::with_capacity(resamples);
        let mut log_loss_replicates = Vec::with_capacity(resamples);
        for _ in 0..resamples {
            let (counts, ece) = cells.resample(&mut rng, &mut scratch);
            for (metric, values) in ConfusionMetric::ALL.iter().zip(&mut replicates) {
                values.push(metric.value(counts));
            }
            ece_replicates.push(Some(ece));
            let (brier, log_loss) = cells.resample_losses(&mut loss_rng, &scratch);
            brier_replicates.push(Some(brier));
            log_loss_replicates.push(Some(log_loss));
        }
        let (counts, ece) = cells.point();
        let metrics = ConfusionMetric::ALL
            .iter()
            .zip(&replicates)
            .map(|(&metric, values)| (metric, BootstrapEstimate::new(metric.value(counts), values)))
            .collect();
        CohortIntervals {
            rows: self.y_true.len() as u64,
            threshold: self.threshold,
            resamples,
            seed: bootstrap.seed(),
            metrics,
            // The ECE's replicates are biased upward: shifted back by their median bias, the
            // percentile interval always contains the estimate.
            ece: BootstrapEstimate::median_corrected(Some(ece), &ece_replicates, 0.0),
            ece_bins: self.ece_bins,
            ece_approximation_bound: cells.approximation_bound(),
            brier: BootstrapEstimate::new(Some(brier), &brier_replicates),
            brier_approximation_bound: cells.brier_approximation_bound(),
            log_loss: BootstrapEstimate::new(Some(log_loss), &log_loss_replicates),
            log_loss_approximation_bound: cells.log_loss_approximation_bound(),
            roc_auc: self.auc.as_ref().ok().map(AucComponents::interval),
            roc_auc_unavailable: self.auc.as_ref().err().map(ToString::to_string),
        }
    }
}
