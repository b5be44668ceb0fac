//! Bootstrap settings and the summary of one bootstrapped statistic.
//!
//! The interval is the percentile interval of the replicates ([`super::Interval`]); replicates
//! on which the statistic is undefined (a zero denominator in that resample) are left out and
//! counted, so a reader can see when an interval rests on fewer resamples than configured.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::CompareError;
use super::interval::{Interval, percentile_interval};

/// The default: 1 000 resamples.
pub const DEFAULT_RESAMPLES: usize = 1_000;

/// How many resamples, from which seed. Every interval is a pure function of the data and
/// these two numbers (ChaCha8 is portable across platforms and releases of `rand_chacha`).
/// Serialised for the record; built only through [`Bootstrap::new`], which rejects 0 resamples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Bootstrap {
    resamples: usize,
    seed: u64,
}

impl Bootstrap {
    pub fn new(resamples: usize, seed: u64) -> Result<Self, CompareError> {
        if resamples == 0 { Err(CompareError::ZeroResamples) } else { Ok(Self { resamples, seed }) }
    }

    pub fn resamples(&self) -> usize {
        self.resamples
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The generator for one use of the seed: `stream` keeps the cohort intervals and the
    /// paired comparisons from reusing the same random numbers.
    pub(crate) fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
}

/// A point estimate with its 95% percentile-bootstrap interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BootstrapEstimate {
    /// On the original rows; `None` where the metric is undefined there.
    pub estimate: Option<f64>,
    /// `None` when the estimate is undefined or no resample defined the metric.
    pub ci: Option<Interval>,
    /// Resamples on which the metric was undefined and which the interval leaves out.
    pub undefined_resamples: u64,
}

impl BootstrapEstimate {
    /// Summarises `replicates` (one per resample, `None` where undefined).
    pub(crate) fn new(estimate: Option<f64>, replicates: &[Option<f64>]) -> Self {
        let mut defined: Vec<f64> = replicates.iter().flatten().copied().collect();
        let undefined_resamples = (replicates.len() - defined.len()) as u64;
        let ci = estimate.and_then(|_| percentile_interval(&mut defined));
        Self { estimate, ci, undefined_resamples }
    }

    /// Like [`Self::new`] with the *median-bias-corrected percentile* interval
    /// `[q2.5 − β, q97.5 − β]`, `β = q50 − θ̂`, its low end kept at or above `floor`.
    ///
    /// For a statistic that resampling biases one way, such as the ECE (a resample's bins are
    /// noisier, so its calibration gaps are larger: the replicates sit above the estimate),
    /// both the percentile interval and the basic one `[2θ̂ − q97.5, 2θ̂ − q2.5]` can miss the
    /// estimate altogether (the basic interval did: "ECE 0.015 (0.000–0.013)"). Shifting the
    /// replicates by their median bias removes the bias the bootstrap measures, keeps the
    /// spread, and, since `q2.5 ≤ q50 ≤ q97.5`, always contains the estimate; the floor (0 for
    /// the ECE) cannot move the low end above it.
    pub(crate) fn median_corrected(estimate: Option<f64>, replicates: &[Option<f64>], floor: f64) -> Self {
        let base = Self::new(estimate, replicates);
        let mut defined: Vec<f64> = replicates.iter().flatten().copied().collect();
        let ci = match (estimate, base.ci) {
            (Some(e), Some(Interval { lo, hi })) => {
                defined.sort_unstable_by(f64::total_cmp);
                let bias = super::interval::median(&defined) - e;
                Some(Interval { lo: (lo - bias).max(floor).min(e), hi: (hi - bias).max(e) })
            }
            _ => None,
        };
        Self { ci, ..base }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_replicates_are_counted_and_left_out() {
        let got = BootstrapEstimate::new(Some(0.5), &[Some(0.4), None, Some(0.6), None]);
        assert_eq!(got.undefined_resamples, 2);
        let ci = got.ci.expect("two defined replicates");
        assert!((ci.lo - 0.405).abs() < 1e-12 && (ci.hi - 0.595).abs() < 1e-12, "{ci:?}");
        assert_eq!(BootstrapEstimate::new(None, &[Some(0.4)]).ci, None);
        assert_eq!(Bootstrap::new(0, 1), Err(CompareError::ZeroResamples));
    }
}
