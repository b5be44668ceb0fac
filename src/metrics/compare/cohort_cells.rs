//! One cohort's rows grouped into cells of (ECE bin, label, prediction): everything a row
//! bootstrap of the confusion metrics and of the ECE needs, in a few dozen numbers.
//!
//! Binning is METRICS.md's, by `metrics::calibration`'s own functions, so the report's ECE is
//! the one `metrics.json` records: edges `i · (1/bins)` with the last forced to 1.0, and `p`
//! goes to the bin numbered by how many inner edges lie strictly below it (bins are `(lo, hi]`,
//! the first also holds 0).
//!
//! Per cell the rows' count, label, prediction, sum of `p`, and population mean and standard
//! deviation of `p` are kept. A resample draws the cell counts `K_c` from the exact multinomial;
//! the confusion counts follow exactly. The ECE also needs each bin's resampled sum of `p`,
//! which depends on which rows were drawn, not only how many: it is drawn as
//! `K_c · mean_c + √K_c · sd_c · Z`, the normal law with the exact conditional mean and
//! variance of a sum of `K_c` draws with replacement from the cell. This is the only
//! approximation in the cohort bootstrap, and it is bounded: by Goldstein's (2010) constant-1
//! Wasserstein bound for the CLT, the normal law is within W1 distance `ρ_c / σ_c²` (ρ the
//! third absolute central moment) of the exact law of that sum, whatever `K_c`; ECE is
//! `1/N`-Lipschitz in each cell's sum; so coupling cell by cell, the approximate and exact
//! bootstrap laws of the ECE are within W1 distance `B = Σ_c ρ_c / σ_c² / N`, and since
//! `ρ_c <= range_c · σ_c²`, `B <= Σ_c range_c / N <= 2 / N` (each bin is split into at most
//! two labels times disjoint prediction ranges, all inside a bin of width `1/bins`).
//! For N = 100 000 rows that is at most 2e-5 (0.002 ECE points), below the Monte Carlo error
//! of a 1 000-resample percentile. `B` is computed exactly from the data and reported.

use rand::Rng;

use super::super::calibration::{bin_of, bounds, edges};
use super::confusion_metric::{ConfusionMetric, Counts};
use super::multinomial::multinomial;
use super::normal::standard_normal;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CohortCells {
    rows: u64,
    bins: usize,
    /// Rows per non-empty cell (the multinomial's weights).
    weights: Vec<u64>,
    bin: Vec<usize>,
    /// Index into `[tp, fp, tn, fn]`.
    confusion: Vec<usize>,
    positive: Vec<bool>,
    sum_prob: Vec<f64>,
    mean_prob: Vec<f64>,
    sd_prob: Vec<f64>,
    approximation_bound: f64,
}

/// Scratch space for one resample, reused across resamples.
pub(crate) struct Scratch {
    counts: Vec<u64>,
    gaps: Vec<f64>,
}

impl CohortCells {
    /// Expects validated input and `bins >= 1`.
    pub(crate) fn new(y_true: &[u8], y_prob: &[f64], threshold: f64, bins: usize) -> Self {
        let bounds = bounds(&edges(bins));
        // Dense cell id: (bin, label, prediction).
        let cell_of = |y: u8, p: f64| (bin_of(&bounds, p) * 2 + usize::from(y)) * 2 + usize::from(p >= threshold);
        let dense = 4 * bins;
        let mut count = vec![0_u64; dense];
        let mut sum = vec![0.0_f64; dense];
        for (&y, &p) in y_true.iter().zip(y_prob) {
            let cell = cell_of(y, p);
            count[cell] += 1;
            sum[cell] += p;
        }
        let mean: Vec<f64> = count.iter().zip(&sum).map(|(&n, &s)| if n > 0 { s / n as f64 } else { 0.0 }).collect();
        // Second pass: central moments about the exact cell means (no cancellation).
        let (mut m2, mut m3) = (vec![0.0_f64; dense], vec![0.0_f64; dense]);
        for (&y, &p) in y_true.iter().zip(y_prob) {
            let cell = cell_of(y, p);
            let d = (p - mean[cell]).abs();
            m2[cell] += d * d;
            m3[cell] += d * d * d;
        }

        let mut cells = Self {
            rows: y_true.len() as u64,
            bins,
            weights: Vec::new(),
            bin: Vec::new(),
            confusion: Vec::new(),
            positive: Vec::new(),
            sum_prob: Vec::new(),
            mean_prob: Vec::new(),
            sd_prob: Vec::new(),
            approximation_bound: 0.0,
        };
        let mut bound = 0.0;
        for cell in (0..dense).filter(|&cell| count[cell] > 0) {
            let (positive, predicted) = (cell / 2 % 2 == 1, cell % 2 == 1);
            cells.weights.push(count[cell]);
            cells.bin.push(cell / 4);
            cells.confusion.push(ConfusionMetric::cell(positive, predicted));
            cells.positive.push(positive);
            cells.sum_prob.push(sum[cell]);
            cells.mean_prob.push(mean[cell]);
            cells.sd_prob.push((m2[cell] / count[cell] as f64).sqrt());
            if m2[cell] > 0.0 {
                // ρ / σ² = (m3 / n) / (m2 / n).
                bound += m3[cell] / m2[cell];
            }
        }
        cells.approximation_bound = bound / cells.rows as f64;
        cells
    }

    pub(crate) fn scratch(&self) -> Scratch {
        Scratch { counts: vec![0; self.weights.len()], gaps: vec![0.0; self.bins] }
    }

    pub(crate) fn approximation_bound(&self) -> f64 {
        self.approximation_bound
    }

    /// Confusion counts and ECE on the original rows.
    pub(crate) fn point(&self) -> (Counts, f64) {
        let mut scratch = self.scratch();
        scratch.counts.copy_from_slice(&self.weights);
        self.evaluate(&mut scratch, |cell, _| self.sum_prob[cell])
    }

    /// Confusion counts and ECE of one row resample (exact counts, ECE as the module says).
    pub(crate) fn resample<R: Rng + ?Sized>(&self, rng: &mut R, scratch: &mut Scratch) -> (Counts, f64) {
        multinomial(rng, self.rows, &self.weights, &mut scratch.counts);
        self.evaluate(scratch, |cell, k| {
            let kf = k as f64;
            let spread = self.sd_prob[cell];
            let noise = if spread > 0.0 { kf.sqrt() * spread * standard_normal(rng) } else { 0.0 };
            kf * self.mean_prob[cell] + noise
        })
    }

    /// `ECE = Σ_b |Σ_{c in b} (positives_c − Σp_c)| / N` from per-cell counts and sums of p.
    fn evaluate(&self, scratch: &mut Scratch, mut sum_prob: impl FnMut(usize, u64) -> f64) -> (Counts, f64) {
        let mut counts = [0_u64; 4];
        scratch.gaps.fill(0.0);
        for (cell, &k) in scratch.counts.iter().enumerate() {
            if k == 0 {
                continue;
            }
            counts[self.confusion[cell]] += k;
            let positives = if self.positive[cell] { k as f64 } else { 0.0 };
            scratch.gaps[self.bin[cell]] += positives - sum_prob(cell, k);
        }
        let ece = scratch.gaps.iter().map(|gap| gap.abs()).sum::<f64>() / self.rows as f64;
        (counts, ece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // reference: numpy 2.4.6 np.searchsorted(np.linspace(0, 1, 11)[1:-1], p, side="left").
    #[test]
    fn bins_follow_numpy() {
        let bounds = bounds(&edges(10));
        let cases = [(0.0, 0), (0.1, 0), (0.2, 1), (0.30000000000000004, 2), (0.3, 2), (0.31, 3), (1.0, 9)];
        for (p, want) in cases {
            assert_eq!(bin_of(&bounds, p), want, "p = {p}");
        }
    }
}
