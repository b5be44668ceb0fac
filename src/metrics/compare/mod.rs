//! Statistics for the comparison report (issue #7): 95% intervals for every metric of a cohort,
//! and A/B tests between cohorts scored on the same validation rows, with the sentence that
//! states each result. A plain library: slices in, serialisable results out.
//!
//! Methods, and why they are fast enough for 50 cohorts × 100 000 rows × 1 000 resamples
//! (naive row resampling would visit 5·10⁹ rows):
//!
//! - **Confusion metrics** (accuracy, precision, recall, F1, fp_rate): resampling N rows with
//!   replacement and recounting gives confusion counts distributed exactly as
//!   Multinomial(N, cell proportions). So a resample is one multinomial draw over the cells
//!   (sequential conditional binomials from an exact binomial sampler, `binomial`) — the same law as
//!   the row bootstrap, at O(cells) instead of O(N). The percentile interval follows numpy's
//!   `np.percentile(..., [2.5, 97.5])`.
//! - **ECE**: the cells are (ECE bin, label, prediction), so the same multinomial draw also
//!   gives every bin's count and positives exactly; each bin's resampled sum of probabilities
//!   is drawn from the normal law with its exact conditional mean and variance. That one step
//!   is approximate, with a proven, data-computed bound on the Wasserstein distance to the
//!   exact row bootstrap (≤ 2/N; 2e-5 at N = 10⁵): see `cohort_cells`. A resample's bins are
//!   noisier than the data's, so its ECE is biased upward and a percentile interval can miss
//!   the estimate: the ECE gets the basic interval `[2θ̂ − q97.5, 2θ̂ − q2.5]` instead.
//! - **Brier score and log loss**: means of a per-row term (`metrics::scoring`'s, so the
//!   log loss is clipped as in `metrics.json`). The same cells keep each term's mean and
//!   standard deviation, and a resample draws each cell's sum of the term the way the ECE's
//!   sums of probabilities are drawn, with the same kind of data-computed W1 bound (≤ 2/N for
//!   the Brier score, ≤ 72.1/N for the clipped log loss). A resampled mean is centred on the
//!   estimate, so these get the percentile interval. Their normal draws come from a generator
//!   stream of their own, so the other metrics' intervals are what they were without them.
//! - **ROC-AUC**: DeLong's variance (the fast midrank algorithm of Sun & Xu 2014), not a
//!   bootstrap: a resampled AUC needs an O(N) pass over the sorted rows per resample (the
//!   5·10⁹ again), while DeLong needs one sort per cohort and O(N) per pair. Single-cohort
//!   interval: `AUC ± 1.96·se`, clamped to [0, 1]; paired test: z = ΔAUC / se, normal p.
//! - **Paired A/B**: accuracy by McNemar's exact test (statsmodels' `mcnemar(exact=True)`);
//!   the intervals of all confusion-metric differences by the paired bootstrap, drawn exactly
//!   from the 8-cell joint table of (label, prediction A, prediction B); ROC-AUC by DeLong's
//!   paired test.
//!
//! Everything is deterministic given [`Bootstrap`]'s seed (ChaCha8).

mod binomial;
mod bootstrap;
mod cohort;
mod cohort_cells;
mod comparison;
mod confusion_metric;
mod corrected_t;
mod delong;
mod error;
mod holm;
mod interval;
mod mcnemar;
mod multinomial;
mod normal;
mod paired_counts;
mod sentence;
mod student_t;
mod validate;

#[cfg(test)]
mod tests_bootstrap;
#[cfg(test)]
mod tests_ece_interval;
#[cfg(test)]
mod tests_loss_bootstrap;

pub use bootstrap::{Bootstrap, BootstrapEstimate, DEFAULT_RESAMPLES};
pub use cohort::{Cohort, CohortIntervals};
pub use comparison::{Comparison, compare, paired_bootstrap};
pub use confusion_metric::{ConfusionMetric, Counts};
pub use corrected_t::{CorrectedT, CorrectedTError, corrected_t};
pub use delong::{AucComponents, DelongAuc, DelongComparison, delong_auc, delong_test};
pub use error::CompareError;
pub use holm::holm;
pub use interval::{Interval, LEVEL};
pub use mcnemar::{McNemar, mcnemar, mcnemar_exact_p};
/// The exact multinomial draw of resampled counts, shared with the fairness gaps' bootstrap.
pub(crate) use multinomial::multinomial;
pub use normal::{Z_975, two_sided_p};
pub use paired_counts::PairedCounts;
pub use sentence::{
    ACCURACY, ALPHA, ECE, F1, FP_RATE, PRECISION, RECALL, ROC_AUC, Scale, Wording, ab_sentence, ab_sentence_in_family,
    format_p,
};
