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

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

/// The quantiles of R that become the PSI bin edges, as `np.arange(1, 10) / 10` computes them
/// (each literal is the nearest double to i/10, which is what that division gives).
pub const PSI_QUANTILES: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// The proportion an empty bin is given before PSI takes its logarithm, so that a bin one
/// cohort never visits costs a large but finite amount instead of infinity.
pub const PSI_EMPTY_BIN_FLOOR: f64 = 1e-4;

/// Largest cohort size for which `ks_2samp(method="auto")` computes the exact p-value; scipy's
/// `MAX_AUTO_N`.
pub const KS_MAX_EXACT_N: usize = 10_000;

/// Why a drift statistic could not be computed; each variant names the offending input and,
/// where there is one, the position and value so the caller can point at the bad row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    #[error("{name} has no values")]
    Empty { name: &'static str },

    #[error("{name}[{index}] is {value}, but drift needs finite values")]
    NonFinite { name: &'static str, index: usize, value: f64 },

    #[error("edges[{index}] is {value}, but bin edges must be finite and strictly increasing")]
    InvalidEdge { index: usize, value: f64 },

    #[error("{name}[{index}] is {value}, but proportions must be finite and non-negative")]
    InvalidProportion { name: &'static str, index: usize, value: f64 },

    #[error("{name} sums to 0, so it cannot be normalised to a distribution")]
    ZeroMass { name: &'static str },

    #[error("reference_props has {reference} bins but current_props has {current}")]
    BinCountMismatch { reference: usize, current: usize },
}

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

/// The two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(R, C)` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ks {
    /// D = sup |F_R − F_C|. In the exact regime scipy reports it rounded to the lattice
    /// `h / lcm(n, m)` it computed the p-value on, and so does this.
    pub statistic: f64,
    /// Two-sided p-value.
    pub pvalue: f64,
    /// How the p-value was computed.
    pub method: KsMethod,
}

/// How a KS p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KsMethod {
    /// Exact lattice-path count, used when both cohorts have at most [`KS_MAX_EXACT_N`] values.
    Exact,
    /// `kstwo.sf(D, round(n·m / (n + m)))`, used for larger cohorts.
    Asymptotic,
    /// The exact computation produced no valid probability, so the asymptotic form was used:
    /// the case where scipy warns "Exact calculation unsuccessful. Switching to method=asymp".
    AsymptoticAfterExactFailed,
}

/// All drift statistics of C against R, as stored in a drift artifact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftStats {
    pub psi: f64,
    pub ks_statistic: f64,
    pub ks_pvalue: f64,
    /// How the KS p-value was computed (a convention parameter the artifact records).
    pub ks_method: KsMethod,
    pub js_distance: f64,
    pub wasserstein: f64,
    /// The PSI/JS bin edges fitted on R, so the numbers can be recomputed.
    pub edges: Vec<f64>,
    pub n_reference: usize,
    pub n_current: usize,
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

/// `scipy.stats.ks_2samp(reference, current)` with `method="auto"` and the two-sided alternative.
pub fn ks_2samp(reference: &[f64], current: &[f64]) -> Result<Ks, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    let walk = Walk::new(&r.0, &c.0);
    Ok(ks_from_statistic(r.0.len(), c.0.len(), walk.ks_statistic(), ks_exact::two_sided_pvalue))
}

/// `scipy.spatial.distance.jensenshannon(reference_props, current_props, base=2)`: both inputs
/// are normalised to sum to 1 first, as scipy does. A result scipy would compute as the square
/// root of a rounding-negative number (NaN) is reported as 0.
pub fn js_distance(reference_props: &[f64], current_props: &[f64]) -> Result<f64, DriftError> {
    if reference_props.len() != current_props.len() {
        return Err(DriftError::BinCountMismatch { reference: reference_props.len(), current: current_props.len() });
    }
    check_proportions("reference_props", reference_props)?;
    check_proportions("current_props", current_props)?;
    Ok(jensen_shannon_base2(reference_props, current_props))
}

/// `scipy.stats.wasserstein_distance(reference, current)`: the area between the two empirical
/// CDFs.
pub fn wasserstein_1(reference: &[f64], current: &[f64]) -> Result<f64, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(Walk::new(&r.0, &c.0).wasserstein)
}

/// PSI, KS, Jensen–Shannon distance and Wasserstein-1 of `current` against `reference`, each
/// sample sorted once and shared by all four.
pub fn drift_between(reference: &[f64], current: &[f64]) -> Result<DriftStats, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(drift_between_sorted(&r, &c))
}

/// [`drift_between`] of two samples already validated and sorted, so a caller comparing one
/// sample with several others sorts it once.
pub fn drift_between_sorted(r: &Sorted, c: &Sorted) -> DriftStats {
    let psi = psi_sorted(&r.0, &c.0);
    let walk = Walk::new(&r.0, &c.0);
    let ks = ks_from_statistic(r.0.len(), c.0.len(), walk.ks_statistic(), ks_exact::two_sided_pvalue);
    let js_distance = jensen_shannon_base2(&psi.reference_props, &psi.current_props);
    DriftStats {
        psi: psi.value,
        ks_statistic: ks.statistic,
        ks_pvalue: ks.pvalue,
        ks_method: ks.method,
        js_distance,
        wasserstein: walk.wasserstein,
        edges: psi.edges,
        n_reference: r.0.len(),
        n_current: c.0.len(),
    }
}

/// A validated (non-empty, finite) sample sorted ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Sorted(Vec<f64>);

impl Sorted {
    /// Validates `values` (named `name` in errors: `reference` or `current`) and sorts a copy.
    pub fn new(name: &'static str, values: &[f64]) -> Result<Self, DriftError> {
        check_finite(name, values)?;
        let mut sorted = values.to_vec();
        sort_values(&mut sorted);
        Ok(Self(sorted))
    }

    /// Validates both samples, then sorts them on both cores at once.
    fn pair(reference: &[f64], current: &[f64]) -> Result<(Self, Self), DriftError> {
        check_finite("reference", reference)?;
        check_finite("current", current)?;
        let (mut r, mut c) = (reference.to_vec(), current.to_vec());
        rayon::join(|| sort_values(&mut r), || sort_values(&mut c));
        Ok((Self(r), Self(c)))
    }
}

/// Below this many values a parallel sort costs more in coordination than it saves.
const PARALLEL_SORT_MIN: usize = 1 << 15;

fn sort_values(values: &mut [f64]) {
    if values.len() >= PARALLEL_SORT_MIN {
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(values, f64::total_cmp);
    } else {
        values.sort_unstable_by(f64::total_cmp);
    }
}

fn check_finite(name: &'static str, values: &[f64]) -> Result<(), DriftError> {
    if values.is_empty() {
        return Err(DriftError::Empty { name });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DriftError::NonFinite { name, index, value: values[index] }),
        None => Ok(()),
    }
}

fn check_edges(edges: &[f64]) -> Result<(), DriftError> {
    for (index, &value) in edges.iter().enumerate() {
        let increasing = index == 0 || edges[index - 1] < value;
        if !value.is_finite() || !increasing {
            return Err(DriftError::InvalidEdge { index, value });
        }
    }
    Ok(())
}

fn check_proportions(name: &'static str, props: &[f64]) -> Result<(), DriftError> {
    if props.is_empty() {
        return Err(DriftError::Empty { name });
    }
    if let Some(index) = props.iter().position(|p| !p.is_finite() || *p < 0.0) {
        return Err(DriftError::InvalidProportion { name, index, value: props[index] });
    }
    if props.iter().all(|&p| p == 0.0) {
        return Err(DriftError::ZeroMass { name });
    }
    Ok(())
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

fn psi_sorted(reference: &[f64], current: &[f64]) -> Psi {
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

/// scipy's `rel_entr(x, y)` = `x · ln(x / y)`, 0 where x is 0, as xsf computes it since scipy
/// 1.14: through `log1p` when x and y are close (where JS distances near 0 come from), and
/// through two logarithms when the ratio would leave the normal range.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 || y <= 0.0 {
        return if x == 0.0 && y >= 0.0 { 0.0 } else { f64::INFINITY };
    }
    let ratio = x / y;
    if 0.5 < ratio && ratio < 2.0 {
        x * ((x - y) / y).ln_1p()
    } else if f64::MIN_POSITIVE < ratio && ratio < f64::INFINITY {
        x * ratio.ln()
    } else {
        x * (x.ln() - y.ln())
    }
}

/// `jensenshannon(p, q, base=2)` on validated proportions, operation by operation; the sums
/// follow numpy's order because the two relative entropies nearly cancel for close
/// distributions, where summation order shows at 1e-12.
fn jensen_shannon_base2(p: &[f64], q: &[f64]) -> f64 {
    let (p_sum, q_sum) = (numpy_sum(p), numpy_sum(q));
    let p: Vec<f64> = p.iter().map(|&v| v / p_sum).collect();
    let q: Vec<f64> = q.iter().map(|&v| v / q_sum).collect();
    let m: Vec<f64> = p.iter().zip(&q).map(|(&a, &b)| (a + b) / 2.0).collect();
    let left: Vec<f64> = p.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let right: Vec<f64> = q.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let js = (numpy_sum(&left) + numpy_sum(&right)) / std::f64::consts::LN_2;
    (js / 2.0).max(0.0).sqrt()
}

/// `np.sum` of a contiguous float64 array: numpy's pairwise summation, eight accumulators per
/// block of at most 128 values.
fn numpy_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        values.iter().fold(0.0, |acc, &v| acc + v)
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&values[..8]);
        let whole = n - n % 8;
        for chunk in values[8..whole].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        values[whole..].iter().fold(res, |acc, &v| acc + v)
    } else {
        let half = n / 2;
        let half = half - half % 8;
        numpy_sum(&values[..half]) + numpy_sum(&values[half..])
    }
}

/// One merged pass over both sorted samples, visiting each distinct value once: the extremes
/// of `F_R − F_C` for KS and the area between the CDFs for W1.
struct Walk {
    /// Largest `F_R(v) − F_C(v)` over the data values (at least 0, reached at the maximum).
    max_diff: f64,
    /// Smallest `F_R(v) − F_C(v)` over the data values (at most 0).
    min_diff: f64,
    wasserstein: f64,
}

impl Walk {
    fn new(r: &[f64], c: &[f64]) -> Self {
        let (n1, n2) = (r.len(), c.len());
        let (mut i, mut j) = (0, 0);
        let (mut max_diff, mut min_diff) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut area = NeumaierSum::default();
        let mut current = next_value(r, c, 0, 0);
        while let Some(v) = current {
            while i < n1 && r[i] <= v {
                i += 1;
            }
            while j < n2 && c[j] <= v {
                j += 1;
            }
            // The same divisions numpy makes (`searchsorted(...) / n`), so D matches bit for bit.
            let diff = i as f64 / n1 as f64 - j as f64 / n2 as f64;
            max_diff = max_diff.max(diff);
            min_diff = min_diff.min(diff);
            current = next_value(r, c, i, j);
            if let Some(next) = current {
                area.add((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs() * (next - v));
            }
        }
        Self { max_diff, min_diff, wasserstein: area.total() }
    }

    /// scipy's two-sided D: `max(maxS, clip(−minS, 0, 1))`, preferring `maxS` on a tie.
    fn ks_statistic(&self) -> f64 {
        let min_s = (-self.min_diff).clamp(0.0, 1.0);
        if min_s > self.max_diff { min_s } else { self.max_diff }
    }
}

fn next_value(r: &[f64], c: &[f64], i: usize, j: usize) -> Option<f64> {
    match (r.get(i), c.get(j)) {
        (Some(&a), Some(&b)) => Some(if a.total_cmp(&b) == Ordering::Greater { b } else { a }),
        (Some(&a), None) => Some(a),
        (None, Some(&b)) => Some(b),
        (None, None) => None,
    }
}

/// Compensated summation: W1 adds up to two million positive terms, and the error of a plain
/// running sum would grow with their number.
#[derive(Default)]
struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The p-value half of `ks_2samp` once D is known. `exact` is scipy's exact two-sided
/// probability for `(n1, n2, gcd, h)`, a parameter so tests can make it fail.
fn ks_from_statistic(n1: usize, n2: usize, d: f64, exact: impl Fn(u64, u64, u64, u64) -> f64) -> Ks {
    let (n1, n2) = (n1 as u64, n2 as u64);
    if n1.max(n2) <= KS_MAX_EXACT_N as u64 {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) * n2;
        // scipy snaps D to the lattice the exact distribution lives on and reports that value.
        let h = (d * lcm as f64).round_ties_even() as u64;
        let d = h as f64 / lcm as f64;
        if h == 0 {
            return Ks { statistic: d, pvalue: 1.0, method: KsMethod::Exact };
        }
        let prob = exact(n1, n2, g, h);
        if (0.0..=1.0).contains(&prob) {
            return Ks { statistic: d, pvalue: prob, method: KsMethod::Exact };
        }
        let pvalue = asymptotic_pvalue(n1, n2, d);
        return Ks { statistic: d, pvalue, method: KsMethod::AsymptoticAfterExactFailed };
    }
    Ks { statistic: d, pvalue: asymptotic_pvalue(n1, n2, d), method: KsMethod::Asymptotic }
}

/// `kstwo.sf(D, np.round(en))` with `en = m·n / (m + n)`, m the larger size, clipped to [0, 1].
fn asymptotic_pvalue(n1: u64, n2: u64, d: f64) -> f64 {
    let (m, n) = if n1 >= n2 { (n1 as f64, n2 as f64) } else { (n2 as f64, n1 as f64) };
    let en = (m * n / (m + n)).round_ties_even();
    kstwo::sf(d, en).clamp(0.0, 1.0)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's exact two-sided p-value of the two-sample KS statistic (`_attempt_exact_2kssamp`).
mod ks_exact {
    /// `P(D ≥ h / lcm(n1, n2))`; NaN where the computation cannot give one.
    pub(super) fn two_sided_pvalue(n1: u64, n2: u64, g: u64, h: u64) -> f64 {
        let (n1, n2, g, h) = (n1 as i64, n2 as i64, g as i64, h as i64);
        if n1 == n2 { prob_outside_square(n1, h) } else { outer_prob_inside_method(n1, n2, g, h) }
    }

    /// `_compute_prob_outside_square(n, h)`: `P(D_{n,n} ≥ h/n)` from the alternating binomial
    /// series, each term divided by `binom(2n, n)` and nested Horner-style so nothing overflows.
    fn prob_outside_square(n: i64, h: i64) -> f64 {
        let mut p = 0.0;
        let mut k = (n as f64 / h as f64).floor() as i64;
        while k >= 0 {
            let mut p1 = 1.0;
            for j in 0..h {
                p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
            }
            p = p1 * (1.0 - p);
            k -= 1;
        }
        2.0 * p
    }

    /// `_compute_outer_prob_inside_method(m, n, g, h)` (scipy's pythran kernel): the share of
    /// lattice paths from (0, 0) to (m, n) that leave the band `|x/m − y/n| < h/lcm`, with
    /// Viehmann's recursion for the complement, which stays in [0, 1] and cannot overflow.
    fn outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
        let (m, n) = if m < n { (n, m) } else { (m, n) };
        let (mg, ng) = (m / g, n / g);
        let mut minj = 0i64;
        let mut maxj = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
        let mut curlen = maxj - minj;
        let len_a = (2 * maxj + 2).min(n + 1) as usize;
        let mut a = vec![1.0f64; len_a];
        for slot in a.iter_mut().take(maxj as usize) {
            *slot = 0.0;
        }
        for i in 1..=m {
            let (lastminj, lastlen) = (minj, curlen);
            minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0).min(n);
            maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
            if maxj <= minj {
                return 1.0;
            }
            let mut val = if minj == 0 { 0.0 } else { 1.0 };
            for jj in 0..(maxj - minj) {
                let j = jj + minj;
                // The pythran kernel reads unchecked; an index outside the window would be a
                // bug there too, so report "no valid probability" rather than guess.
                let Some(&previous) = a.get((jj + minj - lastminj) as usize) else {
                    return f64::NAN;
                };
                val = (previous * i as f64 + val * j as f64) / (i + j) as f64;
                if let Some(slot) = a.get_mut(jj as usize) {
                    *slot = val;
                }
            }
            curlen = maxj - minj;
            if lastlen > curlen {
                let start = (maxj - minj) as usize;
                let end = (start + (lastlen - curlen) as usize).min(len_a);
                for slot in a.iter_mut().take(end).skip(start) {
                    *slot = 1.0;
                }
            }
        }
        a.get((maxj - minj - 1) as usize).copied().unwrap_or(f64::NAN)
    }
}

/// `scipy.stats.kstwo.sf(x, n)`: the survival function of the one-sample two-sided KS statistic
/// D_n, ported from `scipy/stats/_ksstats.py` (`_kolmogn` with `cdf=False`, Simard and
/// L'Ecuyer's choice among Ruben–Gambino, Durbin/Marsaglia–Tsang–Wang, Pomeranz, Pelz–Good and
/// Smirnov's one-sided formula) and the `rv_continuous.sf` support checks around it.
mod kstwo {
    use super::smirnov::smirnov;

    const E128: i32 = 128;

    fn ep128() -> f64 {
        2f64.powi(E128)
    }

    fn em128() -> f64 {
        2f64.powi(-E128)
    }

    /// `kstwo.sf(x, n)` for an integral `n` given as a float (scipy rounds `en` as a float).
    pub(super) fn sf(x: f64, n: f64) -> f64 {
        if x.is_nan() || n.is_nan() || n < 1.0 || n != n.round() {
            return f64::NAN;
        }
        // rv_continuous.sf: below the support (0.5/n, 1) the survival is 1, at or above it 0.
        if x <= 0.5 / n {
            return 1.0;
        }
        if x >= 1.0 {
            return 0.0;
        }
        kolmogn_sf(n as i64, x)
    }

    fn clip(p: f64) -> f64 {
        p.clamp(0.0, 1.0)
    }

    /// `_kolmogn(n, x, cdf=False)`.
    fn kolmogn_sf(n: i64, x: f64) -> f64 {
        if x >= 1.0 {
            return 0.0;
        }
        if x <= 0.0 {
            return 1.0;
        }
        let nf = n as f64;
        let t = nf * x;
        if t <= 1.0 {
            // Ruben–Gambino: 1/2n ≤ x ≤ 1/n.
            if t <= 0.5 {
                return 1.0;
            }
            let prob = if n <= 140 {
                (1..=n).fold(1.0, |acc, i| acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0)))
            } else {
                (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
            };
            return clip(1.0 - prob);
        }
        if t >= nf - 1.0 {
            // Ruben–Gambino: x ≥ 1 − 1/n.
            return clip(2.0 * (1.0 - x).powf(nf));
        }
        if x >= 0.5 {
            return clip(2.0 * smirnov(n, x));
        }
        let nxsquared = t * x;
        if n <= 140 {
            if nxsquared <= 0.754693 {
                return clip(1.0 - dmtw_cdf(n, x));
            }
            if nxsquared <= 4.0 {
                return clip(1.0 - pomeranz_cdf(n, x));
            }
            return clip(2.0 * smirnov(n, x));
        }
        if nxsquared >= 370.0 {
            return 0.0;
        }
        if nxsquared >= 2.2 {
            return clip(2.0 * smirnov(n, x));
        }
        let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 { dmtw_cdf(n, x) } else { pelz_good_cdf(n, x) };
        clip(1.0 - cdf)
    }

    /// `log(n! / n^n)` by Stirling's series with `n·log(n)` removed up front.
    fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
        const STIRLING: [f64; 8] = [
            -0.029550653594771242,
            0.00641025641025641,
            -0.0019175269175269176,
            0.0008417508417508417,
            -0.0005952380952380953,
            0.0007936507936507937,
            -0.002777777777777778,
            0.08333333333333333,
        ];
        let rn = 1.0 / n;
        let x = rn / n;
        let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * x + c);
        let log_2pi = (2.0 * std::f64::consts::PI).ln();
        n.ln() / 2.0 - n + log_2pi / 2.0 + rn * poly
    }

    /// `_kolmogn_DMTW`: `P(D_n ≤ d)` as the (k, k) entry of `H^n · n!/n^n` (Durbin's matrix,
    /// Marsaglia–Tsang–Wang's evaluation), rescaling by 2^128 to stay in range.
    fn dmtw_cdf(n: i64, d: f64) -> f64 {
        if d >= 1.0 {
            return 1.0;
        }
        let nd = n as f64 * d;
        if nd <= 0.5 {
            return 0.0;
        }
        let k = nd.ceil() as usize;
        let h = k as f64 - nd;
        let m = 2 * k - 1;

        let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
        let mut w = vec![0.0; m];
        let mut fac = 1.0;
        for j in 1..=m {
            w[j - 1] = fac;
            fac /= j as f64;
            v[j - 1] *= fac;
        }
        let lower = 2.0 * h - 1.0;
        let tt = if lower > 0.0 { lower.powf(m as f64) } else { 0.0 } - 2.0 * h.powf(m as f64);
        v[m - 1] = (1.0 + tt) * fac;

        let mut hm = vec![0.0; m * m];
        for i in 1..m {
            for row in (i - 1)..m {
                hm[row * m + i] = w[row - (i - 1)];
            }
        }
        for row in 0..m {
            hm[row * m] = v[row];
        }
        for col in 0..m {
            hm[(m - 1) * m + col] = v[m - 1 - col];
        }

        let mut hpwr = vec![0.0; m * m];
        for i in 0..m {
            hpwr[i * m + i] = 1.0;
        }
        let mut nn = n;
        let mut expnt: i32 = 0;
        let mut h_expnt: i32 = 0;
        while nn > 0 {
            if nn % 2 == 1 {
                hpwr = matmul(&hpwr, &hm, m);
                expnt += h_expnt;
            }
            hm = matmul(&hm, &hm, m);
            h_expnt *= 2;
            if hm[(k - 1) * m + (k - 1)].abs() > ep128() {
                for value in &mut hm {
                    *value /= ep128();
                }
                h_expnt += E128;
            }
            nn /= 2;
        }

        let mut p = hpwr[(k - 1) * m + (k - 1)];
        let nf = n as f64;
        for i in 1..=n {
            p = i as f64 * p / nf;
            if p.abs() < em128() {
                p *= ep128();
                expnt -= E128;
            }
        }
        if expnt != 0 {
            p = ldexp(p, expnt);
        }
        clip(p)
    }

    fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
        let mut out = vec![0.0; m * m];
        for i in 0..m {
            for l in 0..m {
                let a_il = a[i * m + l];
                if a_il == 0.0 {
                    continue;
                }
                for j in 0..m {
                    out[i * m + j] += a_il * b[l * m + j];
                }
            }
        }
        out
    }

    /// `_pomeranz_compute_j1j2`: the non-zero window of row `i`.
    fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
        let (j1, j2) = if i == 0 {
            (-ll - ceilf - 1, ll + ceilf - 1)
        } else {
            let (ip1div2, ip1mod2) = ((i + 1).div_euclid(2), (i + 1).rem_euclid(2));
            if ip1mod2 == 0 {
                if ip1div2 == n + 1 {
                    (n - ll - ceilf - 1, n + ll + ceilf - 1)
                } else {
                    (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
                }
            } else {
                (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
            }
        };
        ((j1 + 2).max(0), j2.min(n))
    }

    /// Python's `seq[start:stop]` bounds for a sequence of length `len`.
    fn py_slice(len: usize, start: i64, stop: i64) -> std::ops::Range<usize> {
        let len = len as i64;
        let resolve = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
        let (start, stop) = (resolve(start), resolve(stop));
        start as usize..(stop.max(start)) as usize
    }

    /// Python's `seq[i]` position for a possibly negative `i`.
    fn py_index(len: usize, i: i64) -> Option<usize> {
        let resolved = if i < 0 { i + len as i64 } else { i };
        usize::try_from(resolved).ok().filter(|&r| r < len)
    }

    /// `np.convolve(a, v)` in "full" mode.
    fn convolve(a: &[f64], v: &[f64]) -> Vec<f64> {
        if a.is_empty() || v.is_empty() {
            return Vec::new();
        }
        let mut out = vec![0.0; a.len() + v.len() - 1];
        for (i, &x) in a.iter().enumerate() {
            for (j, &y) in v.iter().enumerate() {
                out[i + j] += x * y;
            }
        }
        out
    }

    /// `_kolmogn_Pomeranz`: `P(D_n ≤ x)` by Pomeranz's recursion, two rows of Poisson-weighted
    /// convolutions at a time.
    fn pomeranz_cdf(n: i64, x: f64) -> f64 {
        let t = n as f64 * x;
        let ll = t.floor() as i64;
        let f = t - ll as f64;
        let g = f.min(1.0 - f);
        let ceilf = i64::from(f > 0.0);
        let roundf = i64::from(f > 0.5);
        let npwrs = (2 * (ll + 1)) as usize;
        let nf = n as f64;
        let (g_over_n, two_g_over_n, one_minus_two_g_over_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
        let mut gpower = vec![1.0; npwrs];
        let mut twogpower = vec![1.0; npwrs];
        let mut onem2gpower = vec![1.0; npwrs];
        for m in 1..npwrs {
            gpower[m] = gpower[m - 1] * g_over_n / m as f64;
            twogpower[m] = twogpower[m - 1] * two_g_over_n / m as f64;
            onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / m as f64;
        }

        let mut v0 = vec![0.0; npwrs];
        let mut v1 = vec![0.0; npwrs];
        v1[0] = 1.0;
        let (mut v0s, mut v1s) = (0i64, 0i64);
        let mut expnt: i32 = 0;
        let (mut j1, _) = pomeranz_j1j2(0, n, ll, ceilf, roundf);
        for i in 1..(2 * n + 2) {
            let k1 = j1;
            std::mem::swap(&mut v0, &mut v1);
            std::mem::swap(&mut v0s, &mut v1s);
            v1.fill(0.0);
            let (new_j1, j2) = pomeranz_j1j2(i, n, ll, ceilf, roundf);
            j1 = new_j1;
            let pwrs = if i == 1 || i == 2 * n + 1 {
                &gpower
            } else if i % 2 == 1 {
                &twogpower
            } else {
                &onem2gpower
            };
            let ln2 = j2 - k1 + 1;
            if ln2 > 0 {
                let a = &v0[py_slice(npwrs, k1 - v0s, k1 - v0s + ln2)];
                let b = &pwrs[py_slice(npwrs, 0, ln2)];
                let conv = convolve(a, b);
                let conv_start = j1 - k1;
                let conv_len = j2 - j1 + 1;
                let src = &conv[py_slice(conv.len(), conv_start, conv_start + conv_len)];
                let dst = py_slice(npwrs, 0, conv_len);
                for (slot, &value) in v1[dst].iter_mut().zip(src) {
                    *slot = value;
                }
                let max = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if 0.0 < max && max < em128() {
                    for value in &mut v1 {
                        *value *= ep128();
                    }
                    expnt -= E128;
                }
                v1s = v0s + j1 - k1;
            }
        }
        let Some(index) = py_index(npwrs, n - v1s) else {
            return f64::NAN;
        };
        let mut ans = v1[index];
        for m in 1..=n {
            if ans.abs() > ep128() {
                ans *= em128();
                expnt += E128;
            }
            ans *= m as f64;
        }
        if expnt != 0 {
            ans = ldexp(ans, expnt);
        }
        clip(ans)
    }

    /// `_kolmogn_PelzGood`: Pelz and Good's small-z transform of the Li-Chien/Korolyuk expansion
    /// `K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5`, z = x·√n. Returns the (unclipped) CDF.
    fn pelz_good_cdf(n: i64, x: f64) -> f64 {
        use std::f64::consts::PI;
        if x <= 0.0 {
            return 0.0;
        }
        if x >= 1.0 {
            return 1.0;
        }
        let nf = n as f64;
        let sqrt2pi = (2.0 * PI).sqrt();
        let pi_squared = PI.powf(2.0);
        let pi_four = PI.powf(4.0);
        let pi_six = PI.powf(6.0);
        let sqrt3 = 3f64.sqrt();

        let z = nf.sqrt() * x;
        let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));
        let qlog = -pi_squared / 8.0 / zsquared;
        if qlog < -708.0 {
            return 0.0;
        }
        let q = qlog.exp();

        let k1a = -zsquared;
        let k1b = pi_squared / 4.0;
        let k2a = 6.0 * zsix + 2.0 * zfour;
        let k2b = (2.0 * zfour - 5.0 * zsquared) * pi_squared / 4.0;
        let k2c = pi_four * (1.0 - 2.0 * zsquared) / 16.0;
        let k3d = pi_six * (5.0 - 30.0 * zsquared) / 64.0;
        let k3c = pi_four * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
        let k3b = pi_squared * (135.0 * zfour - 96.0 * zsix) / 4.0;
        let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

        let mut k = [0.0f64; 4];
        let maxk = (16.0 * z / PI).ceil() as i64;
        for kk in (1..=maxk).rev() {
            let m = 2 * kk - 1;
            let (msquared, mfour, msix) = ((m * m) as f64, (m * m * m * m) as f64, (m * m * m * m * m * m) as f64);
            let qpower = q.powf((8 * kk) as f64);
            let coeffs = [
                1.0,
                k1a + k1b * msquared,
                k2a + k2b * msquared + k2c * mfour,
                k3a + k3b * msquared + k3c * mfour + k3d * msix,
            ];
            for (acc, c) in k.iter_mut().zip(coeffs) {
                *acc *= qpower;
                *acc += c;
            }
        }
        let divisors = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
        for (acc, d) in k.iter_mut().zip(divisors) {
            *acc *= q;
            *acc *= sqrt2pi;
            *acc /= d;
        }

        let q = (-pi_squared / 2.0 / zsquared).exp();
        let sqrt3z = sqrt3 * z;
        let mut k2_terms = Vec::new();
        let mut k3_terms = Vec::new();
        for kk in (1..=maxk).rev() {
            let ksquared = (kk * kk) as f64;
            let kspi = PI * kk as f64;
            let qpwers = q.powf(ksquared);
            k2_terms.push(ksquared * qpwers);
            k3_terms.push((sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwers);
        }
        let k2extra = super::numpy_sum(&k2_terms) * (pi_squared * sqrt2pi / (-36.0 * zthree));
        let k3extra = super::numpy_sum(&k3_terms) * (pi_squared * sqrt2pi / (216.0 * zsix));
        k[2] += k2extra;
        k[3] += k3extra;
        for (i, acc) in k.iter_mut().enumerate() {
            *acc /= nf.powf(i as f64 / 2.0);
        }
        k.iter().fold(0.0, |acc, &v| acc + v)
    }

    /// C's `ldexp`: `x · 2^e`, in steps so intermediate powers of two stay representable.
    pub(super) fn ldexp(mut x: f64, mut e: i32) -> f64 {
        while e > 1000 {
            x *= 2f64.powi(1000);
            e -= 1000;
        }
        while e < -1000 {
            x *= 2f64.powi(-1000);
            e += 1000;
        }
        x * 2f64.powi(e)
    }
}

/// `scipy.special.smirnov(n, x)`: the survival function of the one-sided KS statistic D_n^+, a
/// port of xsf's `cephes/kolmogorov.h` (`_smirnov`), which sums the Smirnov/Birnbaum–Tingey
/// series in double-double arithmetic with the binomial coefficients kept as mantissa and
/// exponent. The series has up to n terms and rarely stops early, so this is the one costly
/// step of a large-cohort p-value: about 0.5 s at n = 500,000 (scipy takes about 1 s).
mod smirnov {
    use super::dd::Dd;
    use super::kstwo::ldexp;

    /// Larger n are approximated: the series would take too long.
    const SMIRNOV_MAX_COMPUTE_N: i64 = 1_000_000;
    /// The upper sum is used with at most this many terms, and only for n at least
    /// `SM_UPPERSUM_MIN_N`: its terms alternate in sign and grow past 1.
    const SM_UPPER_MAX_TERMS: i64 = 3;
    const SM_UPPERSUM_MIN_N: i64 = 10;
    /// Keeps both words of a double-double normalised while powers are taken.
    const SM_MAX_EXPONENT: i64 = 960;
    /// cephes `MINLOG`: `exp` of anything smaller underflows.
    const MINLOG: f64 = -745.1332191019412;

    /// `smirnov(n, x)`.
    pub(super) fn smirnov(n: i64, x: f64) -> f64 {
        if x.is_nan() || !(n > 0 && (0.0..=1.0).contains(&x)) {
            return f64::NAN;
        }
        if n == 1 {
            return 1.0 - x;
        }
        if x == 0.0 {
            return 1.0;
        }
        if x == 1.0 {
            return 0.0;
        }
        let nf = n as f64;
        let (alpha, nxfl) = mod_nx(n, x);
        let mut n1mxfl = n - nxfl - i64::from(alpha != 0.0);
        let mut n1mxceil = n - nxfl;
        if alpha == 0.0 {
            n1mxfl -= 1;
            n1mxceil += 1;
        }
        // x ≤ 1/n.
        if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
            let t = pow_d(Dd::from(1.0) + x, n - 1).hi;
            return 1.0 - x * t;
        }
        // The survival underflows.
        if -2.0 * nf * x * x < MINLOG {
            return 0.0;
        }
        // x ≥ 1 − 1/n.
        if nxfl >= n - 1 {
            return pow_d(Dd::from(1.0) - x, n).hi;
        }
        if n > SMIRNOV_MAX_COMPUTE_N {
            let logp = -(6.0 * nf * x + 1.0).powf(2.0) / 18.0 / nf;
            return if logp < -std::f64::consts::LN_2 { logp.exp() } else { 1.0 - -logp.exp_m1() };
        }

        let n_upper_terms = n - n1mxceil + 1;
        let use_upper_sum = (n_upper_terms <= 1 && x < 0.5)
            || (n >= SM_UPPERSUM_MIN_N && n_upper_terms <= SM_UPPER_MAX_TERMS && x <= 0.5 / nf.sqrt());

        let (start, step, n_terms, first) = if use_upper_sum {
            (n, -1, n - n1mxceil + 1, pow4_d(1.0, x, 1.0, 0.0, n - 1))
        } else {
            (0, 1, n1mxfl + 1, pow4_d(1.0, -x, 1.0, 0.0, n) / Dd::from(x))
        };
        let vmid = n / 2;
        let mut c_man = Dd::from(1.0);
        let mut c_expt: i64 = 0;
        let mut aj_sum = Dd::from(0.0) + first;
        update_binomial(&mut c_man, &mut c_expt, n, 0);
        for j in 1..n_terms {
            let v = start + j * step;
            let aj = compute_av(n, x, v, c_man, c_expt);
            if aj.hi.is_finite() && aj != 0.0 {
                aj_sum = aj_sum + aj;
            }
            if aj != 0.0 {
                if (4 * (n_terms - j)) as f64 * aj.hi.abs() < f64::EPSILON * aj_sum.hi && j != n_terms - 1 {
                    break;
                }
            } else if j > vmid {
                break;
            }
            update_binomial(&mut c_man, &mut c_expt, n, j);
        }
        let prob = (x * aj_sum).hi;
        clamp(if step < 0 { 1.0 - prob } else { prob })
    }

    fn clamp(p: f64) -> f64 {
        p.clamp(0.0, 1.0)
    }

    /// `modNX`: the fractional part of n·x and ⌊n·x⌋, exactly, nudged up when the fraction
    /// rounds to 1.
    fn mod_nx(n: i64, x: f64) -> (f64, i64) {
        let nx = n as f64 * Dd::from(x);
        let nx_floor = nx.floor();
        let mut alpha = (nx - nx_floor).hi;
        let mut nxfloor = nx_floor.hi as i64;
        if alpha == 1.0 {
            nxfloor += 1;
            alpha = 0.0;
        }
        (alpha, nxfloor)
    }

    /// `updateBinomial`: C(n, j+1) from C(n, j), kept as a mantissa in [0.5, 1) and an exponent
    /// because the coefficients overflow a double.
    fn update_binomial(c_man: &mut Dd, c_expt: &mut i64, n: i64, j: i64) {
        let rat = Dd::from((n - j) as f64) / Dd::from(j as f64 + 1.0);
        let (man, expt) = (*c_man * rat).frexp();
        *c_expt += expt;
        *c_man = man;
    }

    /// `pow_D`: a^m from `pow(a.hi, m)` corrected for `a.lo`, trading a little accuracy for
    /// speed as xsf does.
    fn pow_d(a: Dd, m: i64) -> Dd {
        if m <= 0 {
            if m == 0 {
                return Dd::from(1.0);
            }
            return Dd::from(1.0) / pow_d(a, -m);
        }
        if a == 0.0 {
            return Dd::from(0.0);
        }
        let mf = m as f64;
        let ans = a.hi.powf(mf);
        let r = a.lo / a.hi;
        let mut adj = mf * r;
        if adj.abs() > 1e-8 {
            if adj.abs() < 1e-4 {
                adj += (mf * r) * ((m - 1) as f64 / 2.0 * r);
            } else {
                adj = (mf * r.ln_1p()).exp_m1();
            }
        }
        Dd::from(ans) + ans * adj
    }

    /// `nextPowerOf2` as xsf writes it (it rounds x up by one part in 2^52, not to a power of 2).
    fn next_power_of_2(x: f64) -> f64 {
        let q = ldexp(x, 1 - f64::MANTISSA_DIGITS as i32);
        let l = (q + x).abs();
        if l == 0.0 {
            return x.abs();
        }
        let l_int = l as i32;
        if f64::from(l_int) == l { f64::from(l_int) } else { l }
    }

    /// `pow2Scaled_D`: a^m as (significand, binary exponent), split into pieces small enough
    /// that no intermediate power under- or overflows.
    fn pow2_scaled_d(a: Dd, m: i64) -> (Dd, i64) {
        if m <= 0 {
            if m == 0 {
                return (Dd::from(1.0), 0);
            }
            let (ans, a_e1) = pow2_scaled_d(a, -m);
            let (ans, a_e2) = (Dd::from(1.0) / ans).frexp();
            return (ans, -a_e1 + a_e2);
        }
        let (y, y_e) = a.frexp();
        if m == 1 {
            return (y, y_e);
        }
        let mut max_expt = SM_MAX_EXPONENT;
        let mf = m as f64;
        if mf * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * std::f64::consts::LN_2 {
            let lg2y = y.hi.ln() / std::f64::consts::LN_2;
            let lg_ans = mf * lg2y;
            if lg_ans <= -(SM_MAX_EXPONENT as f64) {
                max_expt = (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i32 as i64;
            }
        }
        if m <= max_expt {
            let (ans, ans_e) = pow_d(y, m).frexp();
            return (ans, ans_e + m * y_e);
        }
        let (q, r) = (m / max_expt, m % max_expt);
        let (y2r, y2r_e) = pow2_scaled_d(y, r);
        let (y2m, y2m_e) = pow2_scaled_d(y, max_expt);
        let (y2mq, y2mq_e) = pow2_scaled_d(y2m, q);
        let (ans, ans_e) = (y2r * y2mq).frexp();
        let y2mq_e = y2mq_e + y2m_e * q;
        (ans, ans_e + y2mq_e + y2r_e + m * y_e)
    }

    /// `pow4_D`: ((a + b) / (c + d))^m in double-double.
    fn pow4_d(a: f64, b: f64, c: f64, d: f64, m: i64) -> Dd {
        if m <= 0 {
            if m == 0 {
                return Dd::from(1.0);
            }
            return pow4_d(c, d, a, b, -m);
        }
        let big_a = Dd::from(a) + b;
        let big_c = Dd::from(c) + d;
        if big_a == 0.0 {
            return if big_c == 0.0 { Dd::new(f64::NAN, f64::NAN) } else { Dd::from(0.0) };
        }
        if big_c == 0.0 {
            let inf = if big_a.hi < 0.0 { f64::NEG_INFINITY } else { f64::INFINITY };
            return Dd::new(inf, inf);
        }
        pow_d(big_a / big_c, m)
    }

    /// `computeAv`: the series term `C(n, v) · (1 − x − v/n)^(n−v) · (x + v/n)^(v−1)`.
    fn compute_av(n: i64, x: f64, v: i64, c_man: Dd, c_expt: i64) -> Dd {
        let nf = n as f64;
        let t2x = Dd::from((n - v) as f64) / Dd::from(nf) - x;
        let (t2, t2_e) = pow2_scaled_d(t2x, n - v);
        let t1x = Dd::from(v as f64) / Dd::from(nf) + x;
        let (t1, t1_e) = pow2_scaled_d(t1x, v - 1);
        let ans = t1 * t2 * c_man;
        let ans_e = c_expt + t1_e + t2_e;
        ans.ldexp(ans_e.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
    }
}

/// The double-double arithmetic of xsf's `cephes/dd_real.h` (from the qd package): a value as
/// an unevaluated sum `hi + lo` of two doubles, about 106 significant bits.
mod dd {
    use std::ops::{Add, Div, Mul, Neg, Sub};

    #[derive(Debug, Clone, Copy)]
    pub(super) struct Dd {
        pub(super) hi: f64,
        pub(super) lo: f64,
    }

    /// fl(a + b) and its error, assuming |a| ≥ |b|.
    fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let err = b - (s - a);
        (s, err)
    }

    /// fl(a + b) and its error.
    fn two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let c = s - a;
        let d = b - c;
        let e = s - c;
        (s, (a - e) + d)
    }

    /// fl(a · b) and its error, exact through a fused multiply-add.
    fn two_prod(a: f64, b: f64) -> (f64, f64) {
        let p = a * b;
        (p, a.mul_add(b, -p))
    }

    impl Dd {
        pub(super) fn new(hi: f64, lo: f64) -> Self {
            Self { hi, lo }
        }

        pub(super) fn floor(self) -> Self {
            let hi = self.hi.floor();
            if hi == self.hi {
                let (hi, lo) = quick_two_sum(hi, self.lo.floor());
                Self::new(hi, lo)
            } else {
                Self::new(hi, 0.0)
            }
        }

        pub(super) fn ldexp(self, e: i32) -> Self {
            Self::new(super::kstwo::ldexp(self.hi, e), super::kstwo::ldexp(self.lo, e))
        }

        /// `(b, l)` with `0.5 ≤ |b.hi| < 1` (or `|b.hi| = 1` with `b.lo` of opposite sign) and
        /// `self = b · 2^l`.
        pub(super) fn frexp(self) -> (Self, i64) {
            let (mut man, mut exponent) = frexp(self.hi);
            let mut b1 = super::kstwo::ldexp(self.lo, -exponent);
            if man.abs() == 0.5 && man * b1 < 0.0 {
                man *= 2.0;
                b1 *= 2.0;
                exponent -= 1;
            }
            (Self::new(man, b1), i64::from(exponent))
        }
    }

    /// C's `frexp` for doubles: `(m, e)` with `0.5 ≤ |m| < 1` and `x = m · 2^e`.
    fn frexp(x: f64) -> (f64, i32) {
        if x == 0.0 || !x.is_finite() {
            return (x, 0);
        }
        let bits = x.to_bits();
        let exp_bits = ((bits >> 52) & 0x7ff) as i32;
        if exp_bits == 0 {
            // Subnormal: scale into the normal range first.
            let (m, e) = frexp(x * 2f64.powi(64));
            return (m, e - 64);
        }
        let exponent = exp_bits - 1022;
        let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
        (mantissa, exponent)
    }

    impl From<f64> for Dd {
        fn from(hi: f64) -> Self {
            Self::new(hi, 0.0)
        }
    }

    impl PartialEq<f64> for Dd {
        fn eq(&self, other: &f64) -> bool {
            self.hi == *other && self.lo == 0.0
        }
    }

    impl Neg for Dd {
        type Output = Self;
        fn neg(self) -> Self {
            Self::new(-self.hi, -self.lo)
        }
    }

    impl Add for Dd {
        type Output = Self;
        fn add(self, rhs: Self) -> Self {
            let (s1, s2) = two_sum(self.hi, rhs.hi);
            let (t1, t2) = two_sum(self.lo, rhs.lo);
            let (s1, s2) = quick_two_sum(s1, s2 + t1);
            let (s1, s2) = quick_two_sum(s1, s2 + t2);
            Self::new(s1, s2)
        }
    }

    impl Add<f64> for Dd {
        type Output = Self;
        fn add(self, rhs: f64) -> Self {
            let (s1, s2) = two_sum(self.hi, rhs);
            let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
            Self::new(s1, s2)
        }
    }

    impl Sub for Dd {
        type Output = Self;
        fn sub(self, rhs: Self) -> Self {
            self + (-rhs)
        }
    }

    impl Sub<f64> for Dd {
        type Output = Self;
        fn sub(self, rhs: f64) -> Self {
            let (s1, s2) = two_sum(self.hi, -rhs);
            let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
            Self::new(s1, s2)
        }
    }

    impl Mul for Dd {
        type Output = Self;
        fn mul(self, rhs: Self) -> Self {
            let (p1, p2) = two_prod(self.hi, rhs.hi);
            let p2 = p2 + (self.hi * rhs.lo + self.lo * rhs.hi);
            let (p1, p2) = quick_two_sum(p1, p2);
            Self::new(p1, p2)
        }
    }

    impl Mul<Dd> for f64 {
        type Output = Dd;
        fn mul(self, rhs: Dd) -> Dd {
            let (p1, e1) = two_prod(self, rhs.hi);
            let (p2, e2) = two_prod(self, rhs.lo);
            let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
            Dd::new(p1, e1)
        }
    }

    impl Div for Dd {
        type Output = Self;
        fn div(self, rhs: Self) -> Self {
            let q1 = self.hi / rhs.hi;
            let r = self - q1 * rhs;
            let q2 = r.hi / rhs.hi;
            let r = r - q2 * rhs;
            let q3 = r.hi / rhs.hi;
            let (q1, q2) = quick_two_sum(q1, q2);
            Self::new(q1, q2) + q3
        }
    }

    impl Add<Dd> for f64 {
        type Output = Dd;
        fn add(self, rhs: Dd) -> Dd {
            rhs + self
        }
    }

    impl Sub<Dd> for f64 {
        type Output = Dd;
        fn sub(self, rhs: Dd) -> Dd {
            let (s1, s2) = two_sum(self, -rhs.hi);
            let (s1, s2) = quick_two_sum(s1, s2 - rhs.lo);
            Dd::new(s1, s2)
        }
    }

    impl Mul<f64> for Dd {
        type Output = Self;
        fn mul(self, rhs: f64) -> Self {
            rhs * self
        }
    }

    impl Div<f64> for Dd {
        type Output = Self;
        fn div(self, rhs: f64) -> Self {
            self / Dd::from(rhs)
        }
    }
}

#[cfg(test)]
mod tests {
    //! Expected values computed with scipy 1.17.1 and numpy 2.4.6 (CPython 3.11, x86-64) on the
    //! same inputs: literal lists, or the formulas below written identically in Python
    //! (`frac(n, c, shift, scale)` is `[((i * c) % 1.0) * scale + shift for i in range(n)]`,
    //! `grid(n, a, b, p)` is `[((i * a + b) % p) / 100 for i in range(n)]`), through
    //! `np.unique(np.quantile(R, np.arange(1, 10) / 10))`, `np.searchsorted(edges, x, "right")`
    //! counts, `scipy.stats.ks_2samp(R, C)`, `jensenshannon(rp, cp, base=2)` and
    //! `scipy.stats.wasserstein_distance(R, C)`.

    use super::*;

    const GOLDEN: f64 = 0.6180339887498949;
    const SILVER: f64 = 0.4142135623730951;
    const PLASTIC: f64 = 0.7548776662466927;

    fn frac(n: usize, c: f64, shift: f64, scale: f64) -> Vec<f64> {
        (0..n).map(|i| ((i as f64 * c) % 1.0) * scale + shift).collect()
    }

    fn grid(n: u64, a: u64, b: u64, p: u64) -> Vec<f64> {
        (0..n).map(|i| ((i * a + b) % p) as f64 / 100.0).collect()
    }

    fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
        let scale = expected.abs().max(f64::MIN_POSITIVE);
        assert!(
            (actual - expected).abs() <= tol * scale,
            "{what}: got {actual:e}, scipy says {expected:e} (relative error {:e})",
            (actual - expected).abs() / scale
        );
    }

    struct Case {
        name: &'static str,
        reference: Vec<f64>,
        current: Vec<f64>,
        edges: &'static [f64],
        reference_props: &'static [f64],
        current_props: &'static [f64],
        psi: f64,
        js: f64,
        w1: f64,
        d: f64,
        p: f64,
        method: KsMethod,
    }

    /// Every statistic of a case against scipy/numpy: edges and proportions bit for bit, D
    /// exactly, PSI/JS/W1 to 1e-12 and the p-value to 1e-9 relative.
    fn check(case: &Case) {
        let name = case.name;
        let (r, c) = (&case.reference, &case.current);
        assert_eq!(psi_edges(r).expect("valid"), case.edges, "{name}: edges");
        assert_eq!(binned_proportions(r, case.edges).expect("valid"), case.reference_props, "{name}: rp");
        assert_eq!(binned_proportions(c, case.edges).expect("valid"), case.current_props, "{name}: cp");

        let psi = psi(r, c).expect("valid");
        assert_eq!(psi.edges, case.edges, "{name}: psi edges");
        assert_eq!(psi.reference_props, case.reference_props, "{name}: psi rp");
        assert_eq!(psi.current_props, case.current_props, "{name}: psi cp");
        assert_rel(psi.value, case.psi, 1e-12, &format!("{name}: psi"));
        assert_rel(js_distance(case.reference_props, case.current_props).expect("valid"), case.js, 1e-12, name);
        assert_rel(wasserstein_1(r, c).expect("valid"), case.w1, 1e-12, &format!("{name}: w1"));

        let ks = ks_2samp(r, c).expect("valid");
        assert_eq!(ks.statistic, case.d, "{name}: D");
        assert_rel(ks.pvalue, case.p, 1e-9, &format!("{name}: p"));
        assert_eq!(ks.method, case.method, "{name}: method");

        let all = drift_between(r, c).expect("valid");
        assert_eq!(all.edges, case.edges, "{name}: drift edges");
        assert_eq!((all.psi, all.ks_statistic, all.ks_pvalue), (psi.value, ks.statistic, ks.pvalue), "{name}");
        assert_rel(all.js_distance, case.js, 1e-12, &format!("{name}: drift js"));
        assert_rel(all.wasserstein, case.w1, 1e-12, &format!("{name}: drift w1"));
        assert_eq!((all.n_reference, all.n_current), (r.len(), c.len()), "{name}: sizes");
    }

    #[test]
    fn exact_regime_20_vs_30_with_ties_across_samples() {
        check(&Case {
            name: "small_20_vs_30_ties",
            reference: vec![
                0.12, 0.5, 0.33, 0.5, 0.91, 0.07, 0.45, 0.5, 0.62, 0.28, 0.77, 0.33, 0.19, 0.84, 0.5, 0.41, 0.66, 0.05,
                0.95, 0.58,
            ],
            current: vec![
                0.33, 0.5, 0.71, 0.88, 0.5, 0.62, 0.93, 0.45, 0.79, 0.66, 0.54, 0.97, 0.41, 0.86, 0.7, 0.62, 0.99,
                0.25, 0.81, 0.5, 0.73, 0.58, 0.9, 0.68, 0.77, 0.95, 0.35, 0.84, 0.6, 0.74,
            ],
            edges: &[0.115, 0.26200000000000007, 0.33, 0.434, 0.5, 0.592, 0.6820000000000002, 0.8470000000000001],
            reference_props: &[0.1, 0.1, 0.05, 0.15, 0.05, 0.25, 0.1, 0.1, 0.1],
            current_props: &[
                0.0,
                0.03333333333333333,
                0.0,
                0.1,
                0.03333333333333333,
                0.16666666666666666,
                0.16666666666666666,
                0.26666666666666666,
                0.23333333333333334,
            ],
            psi: 1.4447539137469956,
            js: 0.3907526457231816,
            w1: 0.194,
            d: 0.38333333333333336,
            p: 0.048040321074667734,
            method: KsMethod::Exact,
        });
    }

    #[test]
    fn exact_regime_equal_sizes_uses_the_square_formula() {
        check(&Case {
            name: "frac_25_vs_25",
            reference: frac(25, GOLDEN, 0.0, 1.0),
            current: frac(25, SILVER, 0.3, 1.0),
            edges: &[
                0.10394668524892801,
                0.20789337049785603,
                0.28165544924859165,
                0.3941166289984026,
                0.5065778087482133,
                0.6052622469985707,
                0.6970583144992011,
                0.8052622469985707,
                0.874767078498865,
            ],
            reference_props: &[0.12, 0.08, 0.12, 0.08, 0.08, 0.12, 0.08, 0.12, 0.08, 0.12],
            current_props: &[0.0, 0.0, 0.0, 0.12, 0.08, 0.12, 0.08, 0.12, 0.08, 0.4],
            psi: 2.587631891795363,
            js: 0.4693335518142625,
            w1: 0.29415488347840224,
            d: 0.32,
            p: 0.15576025200619348,
            method: KsMethod::Exact,
        });
        check(&Case {
            name: "frac_400_vs_400",
            reference: frac(400, GOLDEN, 0.0, 1.0),
            current: frac(400, SILVER, 0.1, 1.0),
            edges: &[
                0.09990937922924845,
                0.200056006716423,
                0.3009143789773901,
                0.40129825472248515,
                0.5019193787255105,
                0.5999093792292569,
                0.7006491273612425,
                0.798757751993945,
                0.8989043794811213,
            ],
            reference_props: &[0.1; 10],
            current_props: &[0.0, 0.1025, 0.1, 0.1025, 0.1, 0.1, 0.0975, 0.0975, 0.0975, 0.2025],
            psi: 0.762718993300396,
            js: 0.2506684251573155,
            w1: 0.09782493782843685,
            d: 0.1025,
            p: 0.02985302150862578,
            method: KsMethod::Exact,
        });
    }

    #[test]
    fn exact_regime_500_vs_700_without_ties() {
        check(&Case {
            name: "frac_500_vs_700",
            reference: frac(500, GOLDEN, 0.0, 1.0),
            current: frac(700, PLASTIC, 0.08, 0.9),
            edges: &[
                0.09990937922924845,
                0.200056006716423,
                0.3009143789773901,
                0.39967213097131665,
                0.4994068793551847,
                0.5994348827134046,
                0.6992429448408358,
                0.798757751993945,
                0.8987857553521579,
            ],
            reference_props: &[0.1; 10],
            current_props: &[
                0.022857142857142857,
                0.11428571428571428,
                0.10857142857142857,
                0.11142857142857143,
                0.11,
                0.11142857142857143,
                0.11142857142857143,
                0.11,
                0.11428571428571428,
                0.08571428571428572,
            ],
            psi: 0.12619426265504027,
            js: 0.14517043977434607,
            w1: 0.03355933557648226,
            d: 0.08171428571428571,
            p: 0.03839030314425437,
            method: KsMethod::Exact,
        });
    }

    #[test]
    fn exact_regime_500_vs_700_with_ties() {
        check(&Case {
            name: "grid_500_vs_700_ties",
            reference: grid(500, 37, 0, 101),
            current: grid(700, 53, 7, 97).into_iter().map(|v| v * 1.1).collect(),
            edges: &[0.09900000000000006, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
            reference_props: &[0.1, 0.098, 0.098, 0.1, 0.1, 0.098, 0.098, 0.1, 0.1, 0.108],
            current_props: &[
                0.10428571428571429,
                0.09285714285714286,
                0.09285714285714286,
                0.09285714285714286,
                0.09285714285714286,
                0.09142857142857143,
                0.09285714285714286,
                0.09285714285714286,
                0.09285714285714286,
                0.15428571428571428,
            ],
            psi: 0.020093972229327742,
            js: 0.06006561775682666,
            w1: 0.02803857142857147,
            d: 0.06142857142857143,
            p: 0.21190939395063113,
            method: KsMethod::Exact,
        });
    }

    #[test]
    fn asymptotic_regime_20000_vs_20000_pelz_good() {
        check(&Case {
            name: "asym_20000_vs_20000",
            reference: frac(20_000, GOLDEN, 0.0, 1.0),
            current: frac(20_000, SILVER, 0.012, 1.0),
            edges: &[
                0.09997415330217337,
                0.19998172848554532,
                0.30001381747879347,
                0.39999807102485646,
                0.49993389303881486,
                0.5999766783632366,
                0.7000194636872038,
                0.7999552857010713,
                0.8999980710251294,
            ],
            reference_props: &[0.1; 10],
            current_props: &[0.08805, 0.09995, 0.10005, 0.09995, 0.1, 0.1, 0.1, 0.09995, 0.1001, 0.11195],
            psi: 0.0028699626843670992,
            js: 0.02274304523460266,
            w1: 0.01199644519027426,
            d: 0.01215000000000005,
            p: 0.10356321160411086,
            method: KsMethod::Asymptotic,
        });
    }

    #[test]
    fn asymptotic_regime_15000_vs_12000_smirnov() {
        check(&Case {
            name: "asym_15000_vs_12000",
            reference: frac(15_000, GOLDEN, 0.0, 1.0),
            current: frac(12_000, PLASTIC, 0.02, 1.0),
            edges: &[
                0.09997006766716368,
                0.19997355721552595,
                0.29993545361303403,
                0.39999807102485646,
                0.49993389303881486,
                0.6000031211475289,
                0.6999609319096635,
                0.7999685070933993,
                0.8999344891247347,
            ],
            reference_props: &[0.1; 10],
            current_props: &[
                0.08008333333333334,
                0.09991666666666667,
                0.1,
                0.10008333333333333,
                0.09983333333333333,
                0.1,
                0.1,
                0.10016666666666667,
                0.09983333333333333,
                0.12008333333333333,
            ],
            psi: 0.008100078972877171,
            js: 0.03818617335407757,
            w1: 0.020010017196179467,
            d: 0.02028333333333332,
            p: 0.008176554506651862,
            method: KsMethod::Asymptotic,
        });
    }

    #[test]
    fn asymptotic_regime_near_identical_samples() {
        check(&Case {
            name: "asym_20000_near_identical",
            reference: frac(20_000, GOLDEN, 0.0, 1.0),
            current: frac(20_000, SILVER, 0.0, 1.0),
            edges: &[
                0.09997415330217337,
                0.19998172848554532,
                0.30001381747879347,
                0.39999807102485646,
                0.49993389303881486,
                0.5999766783632366,
                0.7000194636872038,
                0.7999552857010713,
                0.8999980710251294,
            ],
            reference_props: &[0.1; 10],
            current_props: &[0.10005, 0.09995, 0.10005, 0.1, 0.1, 0.0999, 0.10005, 0.09995, 0.1001, 0.09995],
            psi: 3.5000007916669397e-07,
            js: 0.00025123280138339464,
            w1: 2.8950069658610713e-05,
            d: 0.0001500000000000945,
            p: 1.0,
            method: KsMethod::Asymptotic,
        });
    }

    #[test]
    fn asymptotic_regime_with_a_small_cohort_uses_pomeranz() {
        check(&Case {
            name: "asym_10001_vs_50",
            reference: frac(10_001, GOLDEN, 0.0, 1.0),
            current: frac(50, SILVER, 0.2, 1.0),
            edges: &[
                0.0999807639982464,
                0.19998677860780845,
                0.3000336495670126,
                0.39990745025443175,
                0.49991346486422117,
                0.599960335823198,
                0.6999002434720296,
                0.7998401511206339,
                0.8998870220798381,
            ],
            reference_props: &[
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.0999900009999,
                0.10008999100089991,
            ],
            current_props: &[0.0, 0.0, 0.12, 0.08, 0.12, 0.1, 0.12, 0.08, 0.1, 0.28],
            psi: 1.5849564440801869,
            js: 0.3681645096496191,
            w1: 0.18832152536664692,
            d: 0.21900009999000092,
            p: 0.013823400146582676,
            method: KsMethod::Asymptotic,
        });
    }

    #[test]
    fn identical_samples_show_no_drift() {
        let sample = frac(300, GOLDEN, 0.0, 1.0);
        let stats = drift_between(&sample, &sample).expect("valid");
        assert_eq!(stats.psi, 0.0);
        assert_eq!((stats.ks_statistic, stats.ks_pvalue), (0.0, 1.0));
        assert_eq!(stats.js_distance, 0.0);
        assert_eq!(stats.wasserstein, 0.0);
        assert_eq!(ks_2samp(&sample, &sample).expect("valid").method, KsMethod::Exact);
        assert_eq!(psi(&sample, &sample).expect("valid").band(), PsiBand::Stable);
    }

    #[test]
    fn constant_reference_collapses_the_edges_to_one() {
        let reference = [3.0; 10];
        let current = [1.0, 3.0, 3.0, 5.0, 2.0, 4.0];
        let psi = psi(&reference, &current).expect("valid");
        assert_eq!(psi.edges, [3.0]);
        // A value equal to the edge belongs to the upper bin.
        assert_eq!(psi.reference_props, [0.0, 1.0]);
        assert_eq!(psi.current_props, [0.3333333333333333, 0.6666666666666666]);
        assert_rel(psi.value, 2.8382532243304146, 1e-12, "psi");
        assert_rel(
            js_distance(&psi.reference_props, &psi.current_props).expect("valid"),
            0.4368918683394205,
            1e-12,
            "js",
        );
        assert_rel(wasserstein_1(&reference, &current).expect("valid"), 1.0, 1e-12, "w1");
        let ks = ks_2samp(&reference, &current).expect("valid");
        assert_eq!(ks.statistic, 0.3333333333333333);
        assert_rel(ks.pvalue, 0.7125374625374625, 1e-9, "p");
        assert_eq!(psi_edges(&[7.5]).expect("valid"), [7.5]);
    }

    #[test]
    fn kstwo_survival_matches_scipy_in_every_branch() {
        // (n, x, scipy.stats.kstwo.sf(x, n)); the comment names the branch of `_kolmogn`.
        let cases = [
            (10.0, 0.04, 1.0),                          // below the support
            (10.0, 0.06, 0.9999999999628411),           // Ruben–Gambino, t ≤ 1, n ≤ 140
            (10.0, 0.95, 1.9531250000000172e-13),       // Ruben–Gambino, t ≥ n − 1
            (10.0, 0.6, 0.0005681672000000003),         // x ≥ 0.5: 2·smirnov
            (10.0, 0.2, 0.7487190399999999),            // Durbin/MTW
            (10.0, 0.4, 0.05898924519999926),           // Pomeranz
            (100.0, 0.05, 0.9532159710635725),          // Durbin/MTW
            (100.0, 0.15, 0.019839242125641813),        // Pomeranz
            (100.0, 0.25, 5.408871776434847e-06),       // Miller: 2·smirnov
            (140.0, 0.1, 0.11353657290090946),          // Pomeranz
            (200.0, 0.004, 1.0),                        // Ruben–Gambino with Stirling, n > 140
            (200.0, 0.035, 0.959895555633483),          // Durbin/MTW, n > 140
            (240.0, 0.03, 0.9777573617798243),          // Durbin/MTW, n > 140
            (200.0, 0.05, 0.6802625495871704),          // Pelz–Good
            (200.0, 0.01, 1.0),                         // Durbin/MTW, tiny x
            (200.0, 0.12, 0.005745760601982814),        // 2·smirnov, n·x² ≥ 2.2
            (200.0, 0.6, 2.2284451128877564e-69),       // x ≥ 0.5
            (200.0, 0.998, 0.0),                        // Ruben–Gambino, t ≥ n − 1
            (10000.0, 0.01, 0.2682191277029192),        // Pelz–Good
            (10000.0, 0.02, 0.0006616848639387309),     // 2·smirnov
            (10000.0, 0.2, 0.0),                        // n·x² ≥ 370
            (150000.0, 0.003, 0.1341018124495077),      // Pelz–Good, n > 100000
            (150000.0, 0.005, 0.001102453936024622),    // 2·smirnov
            (1500000.0, 0.0015, 0.0023394185661850583), // smirnov's approximation, n > 10^6
            (10.0, 1.0, 0.0),                           // above the support
        ];
        for (n, x, expected) in cases {
            assert_rel(kstwo::sf(x, n), expected, 1e-10, &format!("kstwo.sf({x}, {n})"));
        }
    }

    #[test]
    fn smirnov_matches_scipy_special() {
        let cases = [
            (100, 0.025, 0.8681674982884928),     // upper sum
            (1000001, 0.001, 0.1352448117787778), // approximation for n > 10^6
            (50, 0.3, 8.676630101359369e-05),     // lower sum
            (10, 0.95, 9.765625000000086e-14),    // x ≥ 1 − 1/n
            (10, 0.05, 0.9224335892010742),       // x ≤ 1/n
            (1000, 0.05, 0.006506037390545166),   // lower sum, many terms
        ];
        for (n, x, expected) in cases {
            assert_rel(smirnov::smirnov(n, x), expected, 1e-12, &format!("smirnov({n}, {x})"));
        }
    }

    #[test]
    fn exact_kernels_match_scipy() {
        // scipy's _compute_prob_outside_square(25, 8) and
        // _compute_outer_prob_inside_method(20, 30, 10, 23).
        assert_rel(ks_exact::two_sided_pvalue(25, 25, 25, 8), 0.15576025200619348, 1e-12, "square");
        assert_rel(ks_exact::two_sided_pvalue(20, 30, 10, 23), 0.048040321074667734, 1e-12, "inside");
    }

    #[test]
    fn failed_exact_computation_falls_back_to_the_asymptotic_form() {
        // scipy warns and switches to method="asymp" with D already snapped to h / lcm.
        for bad in [f64::NAN, 1.5, -0.25] {
            let ks = ks_from_statistic(20, 30, 0.38333333333333336, |_, _, _, _| bad);
            assert_eq!(ks.method, KsMethod::AsymptoticAfterExactFailed);
            assert_eq!(ks.statistic, 23.0 / 60.0);
            // scipy.stats.kstwo.sf(23 / 60, 12)
            assert_rel(ks.pvalue, 0.042731765344184325, 1e-12, "fallback p");
        }
    }

    #[test]
    fn values_on_inner_edges_go_to_the_upper_bin() {
        let props = binned_proportions(&[0.0, 1.0, 1.5, 2.0, 3.0], &[1.0, 2.0]).expect("valid");
        assert_eq!(props, [0.2, 0.4, 0.4]);
        assert_eq!(binned_proportions(&[5.0], &[]).expect("valid"), [1.0]);
    }

    #[test]
    fn psi_bands_follow_the_spec() {
        assert_eq!(PsiBand::of(0.0999), PsiBand::Stable);
        assert_eq!(PsiBand::of(0.10), PsiBand::Moderate);
        assert_eq!(PsiBand::of(0.25), PsiBand::Moderate);
        assert_eq!(PsiBand::of(0.2501), PsiBand::Significant);
        assert_eq!(PsiBand::Significant.to_string(), "significant");
    }

    #[test]
    fn js_distance_normalises_like_scipy() {
        // jensenshannon([1, 2, 3], [3, 2, 1], base=2) == 0.35470351519813204 (scipy 1.17.1).
        assert_rel(js_distance(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).expect("valid"), 0.35470351519813204, 1e-12, "js");
        assert_eq!(js_distance(&[1.0, 0.0], &[0.0, 1.0]).expect("valid"), 1.0);
    }

    #[test]
    fn numpy_sum_order_is_pairwise() {
        // np.sum of this 10-element array (8 accumulators, then the remainder) is
        // 1.0000000000000002; a left-to-right sum gives 1.0.
        let values = [0.1, 0.2, 0.3, 0.4, 1e-16, 1e-16, -1.0, 1.0, 1e-16, 1e-16];
        assert_eq!(numpy_sum(&values), 1.0000000000000002);
    }

    #[test]
    fn invalid_inputs_are_rejected_with_their_position() {
        assert_eq!(psi_edges(&[]), Err(DriftError::Empty { name: "reference" }));
        assert_eq!(ks_2samp(&[1.0], &[]), Err(DriftError::Empty { name: "current" }));
        assert!(matches!(
            drift_between(&[1.0, f64::NAN], &[1.0]),
            Err(DriftError::NonFinite { name: "reference", index: 1, .. })
        ));
        assert_eq!(
            wasserstein_1(&[1.0], &[0.0, f64::INFINITY]),
            Err(DriftError::NonFinite { name: "current", index: 1, value: f64::INFINITY })
        );
        assert_eq!(binned_proportions(&[1.0], &[2.0, 1.0]), Err(DriftError::InvalidEdge { index: 1, value: 1.0 }));
        assert_eq!(binned_proportions(&[1.0], &[1.0, 1.0]), Err(DriftError::InvalidEdge { index: 1, value: 1.0 }));
        assert_eq!(js_distance(&[0.5, 0.5], &[1.0]), Err(DriftError::BinCountMismatch { reference: 2, current: 1 }));
        assert_eq!(
            js_distance(&[0.5, -0.5], &[0.5, 0.5]),
            Err(DriftError::InvalidProportion { name: "reference_props", index: 1, value: -0.5 })
        );
        assert_eq!(js_distance(&[0.5, 0.5], &[0.0, 0.0]), Err(DriftError::ZeroMass { name: "current_props" }));
        let error = drift_between(&[1.0], &[2.0, f64::NEG_INFINITY]).expect_err("infinite value");
        assert_eq!(error.to_string(), "current[1] is -inf, but drift needs finite values");
    }

    #[test]
    fn drift_stats_serialise_with_the_artifact_field_names() {
        let stats = drift_between(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).expect("valid");
        let json = serde_json::to_value(&stats).expect("serialisable");
        let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        let mut expected = [
            "psi",
            "ks_statistic",
            "ks_pvalue",
            "ks_method",
            "js_distance",
            "wasserstein",
            "edges",
            "n_reference",
            "n_current",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(json["ks_method"], "exact");
    }
}
