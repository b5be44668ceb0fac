//! A two-sided 95% interval, and the percentile rule that reads one off bootstrap replicates.
//!
//! Percentiles follow numpy's default (`np.percentile(x, [2.5, 97.5])`, method "linear"):
//! sort the R replicates, take position `h = (R − 1) · q` and interpolate linearly between the
//! neighbours, so a reader can recompute an interval from the replicates with numpy.

use serde::{Deserialize, Serialize};

/// Confidence level of every interval in this module: the report's contract is 95%.
pub const LEVEL: f64 = 0.95;

/// Lower and upper ends of a 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// `estimate ± z · se`, the normal (Wald) interval.
    pub(crate) fn normal(estimate: f64, se: f64, z: f64) -> Self {
        Self { lo: estimate - z * se, hi: estimate + z * se }
    }

    /// The interval restricted to `[lo, hi]`, for quantities that cannot leave a range.
    pub(crate) fn clamp(self, lo: f64, hi: f64) -> Self {
        Self { lo: self.lo.clamp(lo, hi), hi: self.hi.clamp(lo, hi) }
    }

    pub fn contains(&self, value: f64) -> bool {
        self.lo <= value && value <= self.hi
    }
}

/// The 2.5th and 97.5th percentiles of `replicates` (reordered in place), `None` if empty.
pub(crate) fn percentile_interval(replicates: &mut [f64]) -> Option<Interval> {
    if replicates.is_empty() {
        return None;
    }
    replicates.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    Some(Interval { lo: percentile(replicates, tail), hi: percentile(replicates, 1.0 - tail) })
}

/// numpy's median (`np.percentile(x, 50)`) of sorted, non-empty `values`.
pub(crate) fn median(sorted: &[f64]) -> f64 {
    percentile(sorted, 0.5)
}

/// numpy's "linear" percentile of sorted `values` at fraction `q`.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    // reference: numpy 2.4.6 np.percentile(x, [2.5, 97.5]) for x = [(i * 37) % 101 / 100 for
    // i in range(101)] and for x = [0.3, 0.1, 0.2].
    #[test]
    fn matches_numpy_linear_percentiles() {
        let mut x: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64 / 100.0).collect();
        let close = |got: Interval, lo: f64, hi: f64| (got.lo - lo).abs() < 1e-15 && (got.hi - hi).abs() < 1e-15;
        let got = percentile_interval(&mut x).expect("non-empty");
        assert!(close(got, 0.025, 0.975), "{got:?}");
        let got = percentile_interval(&mut [0.3, 0.1, 0.2]).expect("non-empty");
        assert!(close(got, 0.105, 0.295), "{got:?}");
        assert_eq!(percentile_interval(&mut [0.7]), Some(Interval { lo: 0.7, hi: 0.7 }));
        assert_eq!(percentile_interval(&mut []), None);
    }
}
