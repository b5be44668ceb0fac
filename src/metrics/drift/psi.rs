//! The Population Stability Index on bins fitted to the reference's deciles, as numpy computes
//! the quantiles and `np.histogram` assigns values to bins.

use std::fmt;

use serde::Serialize;

use super::error::DriftError;
use super::numpy_sum::numpy_sum;
use super::select::order_statistics;
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
    Ok(proportions(&bin_counts(values, edges), values.len()))
}

/// PSI of `current` against `reference` on the reference's decile bins.
pub fn psi(reference: &[f64], current: &[f64]) -> Result<Psi, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(psi_sorted(&r.0, &c.0))
}

/// numpy's linear-interpolation quantile (`method="linear"`) of a sample of `n` values (n > 0):
/// the positions of its two neighbours in the sorted sample and the weight of the upper one.
fn quantile_position(n: usize, q: f64) -> (usize, usize, f64) {
    let virtual_index = (n - 1) as f64 * q;
    // numpy points both neighbours at the last value when the index reaches the end; its
    // `gamma` is then `virtual_index + 1`, which the `t >= 0.5` branch of `lerp` turns into `b`.
    if virtual_index >= (n - 1) as f64 {
        (n - 1, n - 1, virtual_index + 1.0)
    } else {
        let floor = virtual_index.floor();
        let below = floor as usize;
        (below, below + 1, virtual_index - floor)
    }
}

/// numpy's `_lerp`: from the nearer end, so that `t = 1` gives `b` exactly.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

fn edges_from_sorted(sorted: &[f64]) -> Vec<f64> {
    edges_from(sorted.len(), |positions| positions.iter().map(|&i| sorted[i]).collect())
}

/// The edges of a sample of `n` values, given the values its sort puts at any positions.
fn edges_from(n: usize, values_at: impl FnOnce(&[usize]) -> Vec<f64>) -> Vec<f64> {
    let quantiles = PSI_QUANTILES.map(|q| quantile_position(n, q));
    let positions: Vec<usize> = quantiles.iter().flat_map(|&(below, above, _)| [below, above]).collect();
    let values = values_at(&positions);
    let mut edges: Vec<f64> = quantiles
        .iter()
        .zip(values.chunks_exact(2))
        .map(|(&(.., gamma), pair)| lerp(pair[0], pair[1], gamma))
        .collect();
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
    let (reference_counts, current_counts) = (bin_counts_sorted(reference, &edges), bin_counts_sorted(current, &edges));
    psi_of_counts(edges, &reference_counts, reference.len(), &current_counts, current.len())
}

/// [`psi_sorted`] of a validated sample against itself, without sorting it: its deciles are
/// selected ([`order_statistics`]) and its bins counted in one pass, which gives the same
/// edges and counts.
pub(super) fn psi_of_itself(values: &[f64]) -> Psi {
    let edges = edges_from(values.len(), |positions| order_statistics(values, positions));
    let counts = bin_counts(values, &edges);
    psi_of_counts(edges, &counts, values.len(), &counts, values.len())
}

/// Counts of `values` in the bins of `edges` (finite, strictly increasing), a value equal to
/// an edge in the upper bin: at most [`PSI_QUANTILES`]' nine edges compared with every
/// value, without branches, otherwise a binary search per value.
fn bin_counts(values: &[f64], edges: &[f64]) -> Vec<usize> {
    let mut counts = vec![0usize; edges.len() + 1];
    if edges.len() <= PSI_QUANTILES.len() {
        for &v in values {
            counts[edges.iter().map(|&e| usize::from(e <= v)).sum::<usize>()] += 1;
        }
    } else {
        for &v in values {
            counts[edges.partition_point(|&e| e <= v)] += 1;
        }
    }
    counts
}

fn psi_of_counts(
    edges: Vec<f64>,
    reference_counts: &[usize],
    reference_len: usize,
    current_counts: &[usize],
    current_len: usize,
) -> Psi {
    let reference_props = proportions(reference_counts, reference_len);
    let current_props = proportions(current_counts, current_len);
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
