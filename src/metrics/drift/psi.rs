//! The Population Stability Index on bins fitted to the reference's deciles, as numpy computes
//! the quantiles and `np.histogram` assigns values to bins.

use std::fmt;

use serde::Serialize;

use super::error::DriftError;
use super::numpy_sum::numpy_sum;
use super::sorted::{Sorted, check_edges, check_finite};

/// The quantiles of R that become the PSI bin edges, as `np.arange(1, 10) / 10` computes them
/// (each literal is the nearest double to i/10, which is what that division gives).
pub const PSI_QUANTILES: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// The proportion an empty bin is given before PSI takes its logarithm, so that a bin one
/// cohort never visits costs a large but finite amount instead of infinity.
pub const PSI_EMPTY_BIN_FLOOR: f64 = 1e-4;

/// PSI of C against R on R's decile bins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Psi {
    /// Inner bin edges (R's deciles, repeated values merged); the outer bins are open to ±∞.
    pub edges: Vec<f64>,
    /// Share of R in each of the `edges.len() + 1` bins, before the empty-bin floor.
    pub reference_props: Vec<f64>,
    /// Share of C in each bin, before the empty-bin floor.
    pub current_props: Vec<f64>,
    /// `Σ (c_i − r_i) · ln(c_i / r_i)` with empty bins floored at [`PSI_EMPTY_BIN_FLOOR`].
    pub value: f64,
}

impl Psi {
    /// The conventional reading of this PSI value.
    pub fn band(&self) -> PsiBand {
        PsiBand::of(self.value)
    }
}

/// The conventional reading of a PSI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PsiBand {
    /// PSI < 0.10.
    Stable,
    /// 0.10 ≤ PSI ≤ 0.25.
    Moderate,
    /// PSI > 0.25.
    Significant,
}

impl PsiBand {
    /// The band a PSI value falls in.
    pub fn of(psi: f64) -> Self {
        if psi < 0.10 {
            Self::Stable
        } else if psi <= 0.25 {
            Self::Moderate
        } else {
            Self::Significant
        }
    }
}

impl fmt::Display for PsiBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stable => "stable",
            Self::Moderate => "moderate",
            Self::Significant => "significant",
        })
    }
}

/// PSI bin edges: the [`PSI_QUANTILES`] of `reference` with numpy's default (linear)
/// interpolation, sorted with repeats merged, as `np.unique(np.quantile(R, q))`.
pub fn psi_edges(reference: &[f64]) -> Result<Vec<f64>, DriftError> {
    let sorted = Sorted::new("reference", reference)?;
    Ok(edges_from_sorted(&sorted.0))
}

/// Share of `values` in each bin `(-∞, e0), [e0, e1), …, [ek, +∞)`: a value equal to an inner
/// edge goes to the upper bin, as `np.histogram` does. Returns `edges.len() + 1` proportions.
pub fn binned_proportions(values: &[f64], edges: &[f64]) -> Result<Vec<f64>, DriftError> {
    check_finite("values", values)?;
    check_edges(edges)?;
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in values {
        counts[edges.partition_point(|&e| e <= v)] += 1;
    }
    Ok(proportions(&counts, values.len()))
}

/// PSI of `current` against `reference` on the reference's decile bins.
pub fn psi(reference: &[f64], current: &[f64]) -> Result<Psi, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(psi_sorted(&r.0, &c.0))
}

/// numpy's linear-interpolation quantile (`method="linear"`) of a sorted, non-empty sample.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n - 1) as f64 * q;
    // numpy points both neighbours at the last value when the index reaches the end; its
    // `gamma` is then `virtual_index + 1`, which the `t >= 0.5` branch below turns into `b`.
    let (below, above, gamma) = if virtual_index >= (n - 1) as f64 {
        (n - 1, n - 1, virtual_index + 1.0)
    } else {
        let floor = virtual_index.floor();
        let below = floor as usize;
        (below, below + 1, virtual_index - floor)
    };
    lerp(sorted[below], sorted[above], gamma)
}

/// numpy's `_lerp`: from the nearer end, so that `t = 1` gives `b` exactly.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

fn edges_from_sorted(sorted: &[f64]) -> Vec<f64> {
    let mut edges: Vec<f64> = PSI_QUANTILES.iter().map(|&q| quantile_sorted(sorted, q)).collect();
    // np.unique: sort, then keep the first of each run of equal values.
    edges.sort_by(f64::total_cmp);
    edges.dedup_by(|later, earlier| later == earlier);
    edges
}

/// Bin counts of a sorted sample: the count below each edge is a binary search away.
fn bin_counts_sorted(sorted: &[f64], edges: &[f64]) -> Vec<usize> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut previous = 0;
    for &edge in edges {
        let below = sorted.partition_point(|&v| v < edge);
        counts.push(below - previous);
        previous = below;
    }
    counts.push(sorted.len() - previous);
    counts
}

fn proportions(counts: &[usize], total: usize) -> Vec<f64> {
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

pub(super) fn psi_sorted(reference: &[f64], current: &[f64]) -> Psi {
    let edges = edges_from_sorted(reference);
    let reference_props = proportions(&bin_counts_sorted(reference, &edges), reference.len());
    let current_props = proportions(&bin_counts_sorted(current, &edges), current.len());
    let floor = |p: f64| if p == 0.0 { PSI_EMPTY_BIN_FLOOR } else { p };
    let terms: Vec<f64> = reference_props
        .iter()
        .zip(&current_props)
        .map(|(&r, &c)| {
            let (r, c) = (floor(r), floor(c));
            (c - r) * (c / r).ln()
        })
        .collect();
    let value = numpy_sum(&terms);
    Psi { edges, reference_props, current_props, value }
}
