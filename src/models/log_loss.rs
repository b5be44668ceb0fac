//! The numerical kernel of logistic models: margins, a stable sigmoid and the mini-batch
//! log-loss with its gradient.
//!
//! Every sum runs in a fixed order and no operation is fused or reordered by the compiler
//! (Rust does not contract `a * b + c` into FMA), and the exponential is our own
//! ([`exp_non_positive`]), so weights are bit-identical across runs and machines.

use super::portable_exp::exp_non_positive;

/// The loss of the all-zero starting model is ln 2 per row (for an average row weight of 1);
/// an epoch whose mean loss exceeds this many times that is treated as diverged. Stable
/// log-loss stays finite even for absurd weights, so a non-finite check alone would let a
/// learning rate of 1e6 through with a model that is meaningless.
pub const DIVERGENCE_LOSS_FACTOR: f64 = 100.0;

/// Rows whose `1 + e^-|z|` factors are multiplied before taking one logarithm: each factor
/// is at most 2, so the product stays below 2^512, far from overflow.
const LOG_PRODUCT_ROWS: usize = 512;

/// `bias + weights · row`, summed in four interleaved lanes that are combined in a fixed
/// order: the lanes give the CPU independent additions to overlap, and the fixed order keeps
/// the result deterministic.
#[inline]
pub fn margin(weights: &[f64], row: &[f64], bias: f64) -> f64 {
    let mut lanes = [0.0; 4];
    let mut weight_chunks = weights.chunks_exact(4);
    let mut row_chunks = row.chunks_exact(4);
    for (w, x) in (&mut weight_chunks).zip(&mut row_chunks) {
        for ((lane, w), x) in lanes.iter_mut().zip(w).zip(x) {
            *lane += w * x;
        }
    }
    let mut tail = 0.0;
    for (w, x) in weight_chunks.remainder().iter().zip(row_chunks.remainder()) {
        tail += w * x;
    }
    bias + (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail)
}

/// P(y = 1) for margin `z` and `t = e^-|z|`, computed so neither overflows nor loses the
/// small tail probability for large `|z|`.
#[inline]
pub(crate) fn sigmoid_from_tail(z: f64, t: f64) -> f64 {
    let numerator = if z >= 0.0 { 1.0 } else { t };
    numerator / (1.0 + t)
}

/// P(y = 1) for a margin.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    sigmoid_from_tail(z, exp_non_positive(-z.abs()))
}

/// The loss and gradient of one mini-batch, with buffers reused across batches.
///
/// The objective for a batch B is `(1/|B|) Σ s_i ℓ(z_i, y_i) + (l2/2) ‖w‖²`, where
/// `ℓ(z, y) = ln(1 + e^z) − y z = max(z, 0) − y z + ln(1 + e^-|z|)` is the log-loss of
/// margin `z`, `s_i` the row's class weight, and the bias is not penalised.
///
/// A batch is fed in one or more consecutive pieces ([`BatchGradient::add_rows`]) between
/// [`BatchGradient::start`] and [`BatchGradient::finish`], so a caller can stream a batch
/// larger than its buffers. Every sum runs over the rows in batch order and the logarithm
/// groups below count from the batch's first row, so the result has the same bits however
/// the batch is cut into pieces.
///
/// The work is split into passes over each piece (margins, then the exponentials, then the
/// residuals, loss terms and gradient sums in one pass for up to eight features, where the
/// sums' dependency chains then run side by side; in separate passes for wider rows) so each
/// pass is a short loop the CPU pipelines well. The `ln(1 + e^-|z|)`
/// terms, needed only for the reported loss, are multiplied per class and logged once per
/// [`LOG_PRODUCT_ROWS`] rows instead of once per row.
#[derive(Debug, Clone)]
pub struct BatchGradient {
    gradient: Vec<f64>,
    bias_gradient: f64,
    margins: Vec<f64>,
    residuals: Vec<f64>,
    row_weights: [f64; 2],
    rows: usize,
    linear_loss: f64,
    log_sums: [f64; 2],
    /// The running `Π (1 + e^-|z|)` of each class over the rows since the last logarithm.
    products: [f64; 2],
}

impl BatchGradient {
    pub fn new(width: usize) -> Self {
        Self {
            gradient: vec![0.0; width],
            bias_gradient: 0.0,
            margins: Vec::new(),
            residuals: Vec::new(),
            row_weights: [1.0; 2],
            rows: 0,
            linear_loss: 0.0,
            log_sums: [0.0; 2],
            products: [1.0; 2],
        }
    }

    /// Computes the gradient at (`weights`, `bias`) for the standardized row-major `rows`
    /// with their `labels`, where `row_weights[c]` weighs rows of class `c`; returns the
    /// objective. Afterwards [`BatchGradient::gradient`] holds ∂/∂w and
    /// [`BatchGradient::bias_gradient`] ∂/∂b.
    #[cfg(test)]
    pub fn compute(
        &mut self,
        rows: &[f64],
        labels: &[u8],
        row_weights: [f64; 2],
        weights: &[f64],
        bias: f64,
        l2: f64,
    ) -> f64 {
        self.start(row_weights);
        self.add_rows(rows, labels, weights, bias);
        self.finish(weights, l2)
    }

    /// Begins a batch whose rows of class `c` weigh `row_weights[c]`.
    pub fn start(&mut self, row_weights: [f64; 2]) {
        self.gradient.fill(0.0);
        self.bias_gradient = 0.0;
        self.row_weights = row_weights;
        self.rows = 0;
        self.linear_loss = 0.0;
        self.log_sums = [0.0; 2];
        self.products = [1.0; 2];
    }

    /// Adds the batch's next standardized row-major `rows` and their `labels` at (`weights`,
    /// `bias`), which must stay the same for the whole batch.
    pub fn add_rows(&mut self, rows: &[f64], labels: &[u8], weights: &[f64], bias: f64) {
        let width = weights.len();
        let count = labels.len();
        let rows = &rows[..count * width];
        self.margins.clear();
        self.margins.extend(rows.chunks_exact(width).map(|row| margin(weights, row, bias)));
        self.residuals.resize(count, 0.0);

        // Cut the piece where a logarithm group of the batch ends.
        let mut done = 0;
        while done < count {
            let room = LOG_PRODUCT_ROWS - self.rows % LOG_PRODUCT_ROWS;
            let end = count.min(done + room);
            match width {
                1 => self.add_fused::<1>(done..end, labels, rows),
                2 => self.add_fused::<2>(done..end, labels, rows),
                3 => self.add_fused::<3>(done..end, labels, rows),
                4 => self.add_fused::<4>(done..end, labels, rows),
                5 => self.add_fused::<5>(done..end, labels, rows),
                6 => self.add_fused::<6>(done..end, labels, rows),
                7 => self.add_fused::<7>(done..end, labels, rows),
                8 => self.add_fused::<8>(done..end, labels, rows),
                _ => self.add_residuals(done..end, labels),
            }
            self.rows += end - done;
            if self.rows.is_multiple_of(LOG_PRODUCT_ROWS) {
                self.log_products();
            }
            done = end;
        }
        if width > 8 {
            self.add_gradient(rows, width);
        }
    }

    /// [`BatchGradient::add_residuals`] and [`BatchGradient::add_gradient`] of the rows
    /// `range` of `WIDTH` features, in one pass.
    ///
    /// Every sum of a batch (the loss, the two products, each feature's gradient and the
    /// bias's) is a chain of dependent additions over the rows, each waiting for the one
    /// before. In separate loops the chains run one after another; in one loop the CPU runs
    /// them side by side, and each still adds the rows in order, so the bits are the same.
    /// Mini-batch training spent most of its time waiting on these chains (a batch of 32 rows
    /// took about 1,000 cycles).
    fn add_fused<const WIDTH: usize>(&mut self, range: std::ops::Range<usize>, labels: &[u8], rows: &[f64]) {
        let row_weights = self.row_weights;
        let margins = &self.margins[range.clone()];
        let residuals = &mut self.residuals[range.clone()];
        for (&z, residual) in margins.iter().zip(residuals.iter_mut()) {
            *residual = exp_non_positive(-z.abs());
        }
        let mut linear_loss = self.linear_loss;
        let mut products = self.products;
        let mut lanes = [0.0; WIDTH];
        lanes.copy_from_slice(&self.gradient);
        let mut bias = self.bias_gradient;
        let rows = &rows[range.start * WIDTH..range.end * WIDTH];
        for (((&z, &t), &label), row) in
            margins.iter().zip(residuals.iter()).zip(&labels[range]).zip(rows.chunks_exact(WIDTH))
        {
            let y = f64::from(label);
            let row_weight = row_weights[usize::from(label)];
            linear_loss += row_weight * (z.max(0.0) - y * z);
            products[0] *= 1.0 + (1.0 - y) * t;
            products[1] *= 1.0 + y * t;
            let residual = row_weight * (sigmoid_from_tail(z, t) - y);
            for (lane, x) in lanes.iter_mut().zip(row) {
                *lane += residual * x;
            }
            bias += residual;
        }
        self.linear_loss = linear_loss;
        self.products = products;
        self.gradient.copy_from_slice(&lanes);
        self.bias_gradient = bias;
    }

    /// Residuals and loss terms of the piece's rows `range`, which lie in one logarithm group.
    fn add_residuals(&mut self, range: std::ops::Range<usize>, labels: &[u8]) {
        let row_weights = self.row_weights;
        let mut linear_loss = self.linear_loss;
        let mut products = self.products;
        let margins = &self.margins[range.clone()];
        let residuals = &mut self.residuals[range.clone()];
        // The exponentials first, in a loop of their own that pipelines well; the residuals
        // hold them until the second loop replaces them.
        for (&z, residual) in margins.iter().zip(residuals.iter_mut()) {
            *residual = exp_non_positive(-z.abs());
        }
        // Written without data-dependent branches: labels and margin signs are random,
        // and mispredicted branches would cost more than the arithmetic.
        for ((&z, residual), &label) in margins.iter().zip(residuals).zip(&labels[range]) {
            let t = *residual;
            let y = f64::from(label);
            let row_weight = row_weights[usize::from(label)];
            linear_loss += row_weight * (z.max(0.0) - y * z);
            products[0] *= 1.0 + (1.0 - y) * t;
            products[1] *= 1.0 + y * t;
            *residual = row_weight * (sigmoid_from_tail(z, t) - y);
        }
        self.linear_loss = linear_loss;
        self.products = products;
    }

    fn log_products(&mut self) {
        for (sum, product) in self.log_sums.iter_mut().zip(self.products) {
            *sum += product.ln();
        }
        self.products = [1.0; 2];
    }

    /// Adds `residual · row` of the piece's rows to the gradient.
    ///
    /// Features are taken eight (then four) at a time across all rows, so their running sums
    /// stay in registers instead of being loaded and stored once per row; each sum still
    /// adds the rows in order.
    fn add_gradient(&mut self, rows: &[f64], width: usize) {
        let residuals = &self.residuals[..self.margins.len()];
        let mut first = 0;
        while width - first >= 8 {
            add_products::<8>(&mut self.gradient[first..first + 8], rows, width, residuals, first);
            first += 8;
        }
        if width - first >= 4 {
            add_products::<4>(&mut self.gradient[first..first + 4], rows, width, residuals, first);
            first += 4;
        }
        let tail = &mut self.gradient[first..];
        for (row, &residual) in rows.chunks_exact(width).zip(residuals) {
            for (sum, x) in tail.iter_mut().zip(&row[first..]) {
                *sum += residual * x;
            }
        }
        for &residual in residuals {
            self.bias_gradient += residual;
        }
    }

    /// Ends the batch: scales the gradient, adds the penalty's, and returns the objective.
    pub fn finish(&mut self, weights: &[f64], l2: f64) -> f64 {
        if !self.rows.is_multiple_of(LOG_PRODUCT_ROWS) {
            self.log_products();
        }
        let scale = 1.0 / self.rows.max(1) as f64;
        let mut penalty = 0.0;
        for (g, w) in self.gradient.iter_mut().zip(weights) {
            *g = *g * scale + l2 * w;
            penalty += w * w;
        }
        self.bias_gradient *= scale;
        let [weight_0, weight_1] = self.row_weights;
        let data_loss = self.linear_loss + weight_0 * self.log_sums[0] + weight_1 * self.log_sums[1];
        data_loss * scale + 0.5 * l2 * penalty
    }

    /// Rows added since [`BatchGradient::start`].
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn gradient(&self) -> &[f64] {
        &self.gradient
    }

    pub fn bias_gradient(&self) -> f64 {
        self.bias_gradient
    }
}

/// Adds `residual · row[first..first + N]` of each `width`-wide row of the row-major `rows`
/// (one row per residual) to the `N` `sums`, which are held in registers meanwhile.
fn add_products<const N: usize>(sums: &mut [f64], rows: &[f64], width: usize, residuals: &[f64], first: usize) {
    let mut lanes = [0.0; N];
    lanes.copy_from_slice(sums);
    for (row, &residual) in rows.chunks_exact(width).zip(residuals) {
        for (lane, x) in lanes.iter_mut().zip(&row[first..first + N]) {
            *lane += residual * x;
        }
    }
    sums.copy_from_slice(&lanes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert!(sigmoid(-700.0) > 0.0);
        // For very negative z, P(y = 1) ≈ e^z: no cancellation to 0 from computing 1 - p.
        let tail = sigmoid(-30.0) / (-30f64).exp();
        assert!((tail - 1.0).abs() < 1e-12);
        assert!(sigmoid(f64::NAN).is_nan());
    }

    /// [`BatchGradient::add_rows`] through the separate loops, as rows wider than eight
    /// features take them.
    fn add_rows_in_separate_loops(batch: &mut BatchGradient, rows: &[f64], labels: &[u8], weights: &[f64], bias: f64) {
        let width = weights.len();
        batch.margins.clear();
        batch.margins.extend(rows.chunks_exact(width).map(|row| margin(weights, row, bias)));
        batch.residuals.resize(labels.len(), 0.0);
        let mut done = 0;
        while done < labels.len() {
            let end = labels.len().min(done + LOG_PRODUCT_ROWS - batch.rows % LOG_PRODUCT_ROWS);
            batch.add_residuals(done..end, labels);
            batch.rows += end - done;
            if batch.rows.is_multiple_of(LOG_PRODUCT_ROWS) {
                batch.log_products();
            }
            done = end;
        }
        batch.add_gradient(rows, width);
    }

    #[test]
    fn one_pass_gives_the_bits_of_separate_loops() {
        // Batches of 3 rows, of 700 (two logarithm groups), and of 700 fed in pieces.
        for width in 1..=8 {
            for (rows, pieces) in [(3, 1), (700, 1), (700, 3)] {
                let values: Vec<f64> =
                    (0..rows * width).map(|i| ((i * 7919 % 1013) as f64 / 101.3 - 5.0) * 0.7).collect();
                let labels: Vec<u8> = (0..rows).map(|i| u8::from(i * 31 % 7 < 3)).collect();
                let weights: Vec<f64> = (0..width).map(|j| 0.3 - j as f64 * 0.17).collect();
                let (mut fused, mut separate) = (BatchGradient::new(width), BatchGradient::new(width));
                fused.start(ROW_WEIGHTS);
                separate.start(ROW_WEIGHTS);
                let piece = rows.div_ceil(pieces);
                for (chunk, labels) in values.chunks(piece * width).zip(labels.chunks(piece)) {
                    fused.add_rows(chunk, labels, &weights, -0.2);
                    add_rows_in_separate_loops(&mut separate, chunk, labels, &weights, -0.2);
                }
                let (a, b) = (fused.finish(&weights, L2), separate.finish(&weights, L2));
                assert_eq!(a.to_bits(), b.to_bits(), "loss, width {width}, {rows} rows in {pieces}");
                let bits = |g: &BatchGradient| g.gradient().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fused), bits(&separate), "gradient, width {width}, {rows} rows in {pieces}");
                assert_eq!(fused.bias_gradient().to_bits(), separate.bias_gradient().to_bits());
            }
        }
    }

    #[test]
    fn margin_matches_a_plain_dot_product() {
        let weights: Vec<f64> = (0..7).map(|i| 0.5 - f64::from(i) * 0.25).collect();
        let row: Vec<f64> = (0..7).map(|i| f64::from(i) * 1.5 - 2.0).collect();
        let plain: f64 = weights.iter().zip(&row).map(|(w, x)| w * x).sum::<f64>() + 0.75;
        assert!((margin(&weights, &row, 0.75) - plain).abs() < 1e-12);
    }

    const ROWS: [f64; 15] = [
        0.5, -1.2, 2.0, //
        -0.3, 0.8, -1.5, //
        1.7, 0.1, 0.4, //
        -2.2, -0.6, 1.1, //
        0.9, 1.9, -0.7,
    ];
    const LABELS: [u8; 5] = [1, 0, 1, 0, 1];
    const ROW_WEIGHTS: [f64; 2] = [0.8, 1.3];
    const L2: f64 = 0.3;

    fn objective(weights: &[f64], bias: f64) -> f64 {
        BatchGradient::new(weights.len()).compute(&ROWS, &LABELS, ROW_WEIGHTS, weights, bias, L2)
    }

    #[test]
    fn objective_matches_the_textbook_formula() {
        let weights = [0.4, -0.9, 0.25];
        let bias = -0.35;
        let mut expected = 0.0;
        for (row, &label) in ROWS.chunks_exact(3).zip(&LABELS) {
            let z: f64 = bias + row.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let y = f64::from(label);
            expected -= ROW_WEIGHTS[usize::from(label)] * (y * p.ln() + (1.0 - y) * (1.0 - p).ln());
        }
        expected = expected / 5.0 + 0.5 * L2 * weights.iter().map(|w| w * w).sum::<f64>();
        assert!((objective(&weights, bias) - expected).abs() < 1e-14);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let weights = [0.4, -0.9, 0.25];
        let bias = -0.35;
        let mut batch = BatchGradient::new(3);
        batch.compute(&ROWS, &LABELS, ROW_WEIGHTS, &weights, bias, L2);

        let h = 1e-5;
        let relative_error =
            |analytic: f64, numeric: f64| (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1e-12);
        for j in 0..3 {
            let mut up = weights;
            let mut down = weights;
            up[j] += h;
            down[j] -= h;
            let numeric = (objective(&up, bias) - objective(&down, bias)) / (2.0 * h);
            let error = relative_error(batch.gradient()[j], numeric);
            assert!(error < 1e-6, "weight {j}: relative error {error}");
        }
        let numeric = (objective(&weights, bias + h) - objective(&weights, bias - h)) / (2.0 * h);
        let error = relative_error(batch.bias_gradient(), numeric);
        assert!(error < 1e-6, "bias: relative error {error}");
    }

    #[test]
    fn a_batch_fed_in_pieces_gives_the_same_bits() {
        // 1,300 rows of 13 features (so both gradient block widths and a tail are used), cut
        // across the 512-row logarithm groups.
        let width = 13;
        let rows: Vec<f64> = (0..1_300 * width).map(|i| ((i * 7_919) % 1_000) as f64 / 250.0 - 2.0).collect();
        let labels: Vec<u8> = (0..1_300).map(|i| u8::from(i % 3 == 0)).collect();
        let weights: Vec<f64> = (0..width).map(|j| 0.3 - j as f64 * 0.05).collect();
        let mut whole = BatchGradient::new(width);
        let whole_loss = whole.compute(&rows, &labels, ROW_WEIGHTS, &weights, 0.2, L2);

        let mut pieces = BatchGradient::new(width);
        pieces.start(ROW_WEIGHTS);
        let mut first = 0;
        for len in [1, 510, 2, 600, 187] {
            pieces.add_rows(&rows[first * width..(first + len) * width], &labels[first..first + len], &weights, 0.2);
            first += len;
        }
        assert_eq!(pieces.rows(), 1_300);
        assert_eq!(pieces.finish(&weights, L2).to_bits(), whole_loss.to_bits());
        assert_eq!(pieces.gradient(), whole.gradient());
        assert_eq!(pieces.bias_gradient().to_bits(), whole.bias_gradient().to_bits());
    }

    #[test]
    fn long_batches_keep_the_log_product_finite() {
        // 2,000 rows at z = 0 contribute ln 2 each; one product of 2,000 factors of 2 would
        // overflow.
        let rows = vec![0.0; 2_000];
        let labels = vec![1; 2_000];
        let loss = BatchGradient::new(1).compute(&rows, &labels, [1.0, 1.0], &[0.0], 0.0, 0.0);
        assert!((loss - std::f64::consts::LN_2).abs() < 1e-15);
    }
}
