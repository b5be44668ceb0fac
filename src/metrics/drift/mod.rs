//! Drift statistics between a reference cohort R and a current cohort C, with the conventions of
//! `spec/METRICS.md` ("Drift between two cohorts"): PSI and Jensen–Shannon distance on bins fitted
//! to R's deciles, the two-sample Kolmogorov–Smirnov test and the Wasserstein-1 distance on the raw
//! values.
//!
//! Every number is meant to be checked against a named reference (numpy's `quantile`,
//! `scipy.stats.ks_2samp`, `scipy.spatial.distance.jensenshannon`,
//! `scipy.stats.wasserstein_distance`), so the code follows those implementations operation by
//! operation, including the order in which numpy sums and scipy's choice of algorithm for the KS
//! p-value. Each sample is sorted once and the sorted arrays are shared by the quantiles, the
//! binning, the KS statistic and W1, which keeps a million-row cohort well under a second.
//!
//! A plain library: slices in, typed results out; it knows nothing of manifests or files.

mod double_double;
mod drift_stats;
mod error;
mod jensen_shannon;
mod ks;
mod ks_exact;
mod kstwo;
mod numpy_sum;
mod psi;
mod select;
mod smirnov;
mod sorted;
mod walk;

pub use drift_stats::{DriftStats, drift_between, drift_between_sorted, drift_of_itself};
pub use error::DriftError;
pub use jensen_shannon::js_distance;
pub use ks::{KS_MAX_EXACT_N, Ks, KsMethod, ks_2samp};
pub use psi::{PSI_EMPTY_BIN_FLOOR, PSI_QUANTILES, Psi, PsiBand, binned_proportions, psi, psi_edges};
pub use sorted::Sorted;
pub use walk::wasserstein_1;

#[cfg(test)]
mod tests;
