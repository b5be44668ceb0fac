//! The `sgd` solver of [`super::LogisticRegression`]: shuffled mini-batch gradient descent,
//! pipelined so that gathering the randomly ordered rows (memory-bound) overlaps the gradient
//! steps (which run in a fixed order on one thread, so the weights are bit-identical at any
//! thread count).

use std::f64::consts::LN_2;

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::log_loss::{BatchGradient, DIVERGENCE_LOSS_FACTOR};
use super::{FitError, LogisticParams};
use crate::data::huge_page_buffer::HugePageBuffer;
use crate::data::sampling::shuffle_steps;
use crate::data::{FeatureSource, Features, Standardizer};

/// Bytes of standardized rows gathered per step of an epoch. Two blocks are in flight (one
/// trained on, one being gathered), small enough to stay in cache (L2 or L3; the training
/// reads a block in order, which the prefetchers follow) and large enough that handing a
/// block between threads costs little next to gathering and training it: each step is a
/// `rayon::join` that may have to wake the other thread, tens of microseconds on a VM.
/// Measured on 800,000 rows × 5, 20 epochs: 1 MiB blocks fitted in 215–260 ms, 4 MiB in
/// 175–205 ms; 2, 8 and 16 MiB were between.
const BLOCK_BYTES: usize = 4 << 20;

/// Rows one gather task reads; see [`Source::gather_rows`].
const GATHER_ROWS: usize = 256;

/// `f64` values per 64-byte cache line.
const VALUES_PER_LINE: usize = 8;

/// A row number as stored in an epoch's order: `u32` whenever the row count allows, which
/// halves the order's memory and the cache misses of shuffling it.
pub(super) trait RowIndex: Copy + Send + Sync + Into<u64> {
    /// Only called with row numbers below the training set's row count, which the caller
    /// checked fits the type.
    fn from_row(row: usize) -> Self;
    fn row(self) -> usize;
}

impl RowIndex for u32 {
    fn from_row(row: usize) -> Self {
        row as u32
    }

    fn row(self) -> usize {
        self as usize
    }
}

impl RowIndex for u64 {
    fn from_row(row: usize) -> Self {
        row as u64
    }

    fn row(self) -> usize {
        self as usize
    }
}

/// The fitted state that [`LogisticRegression::fit`] wraps with its inputs.
pub(super) struct Fitted {
    pub standardizer: Standardizer,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub history: Vec<f64>,
}

/// Fits on validated inputs, with the epoch order stored as `I`.
///
/// Each epoch is a pipeline over blocks of the epoch's order: while one thread takes the
/// gradient steps of block `k`, the pool gathers and standardizes block `k + 1` and draws a
/// share of the next epoch's order. Only the gradient steps touch the weights, so the
/// threads change when things happen, never what is computed.
pub(super) fn fit_in_order<I: RowIndex>(
    x: &impl FeatureSource,
    y: &[u8],
    feature_names: &[String],
    params: &LogisticParams,
    row_weights: [f64; 2],
    rng: &mut ChaCha8Rng,
    cancel: &dyn Fn() -> bool,
) -> Result<Fitted, FitError> {
    let (rows, width) = x.dim();
    let mut order: Vec<I> = (0..rows).map(I::from_row).collect();
    // The matrix is read only here, for the statistics and the standardized copy, and then
    // given back.
    let (standardizer, standardized) = x.lend(|x| {
        // The first epoch's order does not depend on the statistics, so it is drawn meanwhile.
        let (standardizer, ()) =
            rayon::join(|| Standardizer::fit_features(x), || shuffle_steps(&mut order, 0..rows, rng));
        let standardizer = standardizer.map_err(|_| FitError::EmptyTrainingSet)?;
        let statistics = standardizer.mean.iter().zip(&standardizer.std);
        let finite = statistics.map(|(mean, std)| mean.is_finite() && std.is_finite());
        if let Some(feature) = finite.into_iter().position(|finite| !finite) {
            return Err(FitError::NonFiniteFeature { feature: feature_names[feature].clone() });
        }
        let standardized = standardize_rows(x, &standardizer);
        Ok((standardizer, standardized))
    })?;
    let source = Source { data: standardized.as_slice(), labels: y, width };

    let block_rows = (BLOCK_BYTES / (width * size_of::<f64>())).clamp(1, rows);
    let mut current = Block::new(block_rows, width);
    let mut next = Block::new(block_rows, width);
    let mut next_order: Vec<I> = Vec::new();
    source.gather(&order[..block_rows], &mut current);
    let mut trainer = Trainer::new(rows, width, params, row_weights);
    let loss_limit = DIVERGENCE_LOSS_FACTOR * LN_2;
    let mut history = Vec::with_capacity(params.epochs as usize);

    for epoch in 1..=params.epochs {
        if cancel() {
            return Err(FitError::Cancelled);
        }
        let pipeline = Pipeline {
            source: &source,
            order: &order,
            next_order: (epoch < params.epochs).then_some(NextOrder { order: &mut next_order, rng: &mut *rng }),
            block_rows,
        };
        // Moving onto a pool thread once per epoch makes the per-block joins cheap.
        rayon::scope(|_| pipeline.run_epoch(&mut trainer, &mut current, &mut next, epoch))?;
        if epoch < params.epochs {
            std::mem::swap(&mut order, &mut next_order);
        }
        let epoch_loss = trainer.loss_sum / rows as f64;
        let finite = trainer.bias.is_finite() && trainer.weights.iter().all(|w| w.is_finite());
        if !finite || !epoch_loss.is_finite() || epoch_loss > loss_limit {
            return Err(FitError::Diverged { epoch });
        }
        history.push(epoch_loss);
    }
    Ok(Fitted { standardizer, weights: trainer.weights, bias: trainer.bias, history })
}

/// The standardized training rows, row-major, and their labels.
struct Source<'a> {
    data: &'a [f64],
    labels: &'a [u8],
    width: usize,
}

/// `x` standardized once, row-major, in memory that asks for huge pages.
///
/// Every epoch reads all rows in a fresh random order, so the rows are standardized once
/// here rather than once per epoch as they are gathered (the same operation on the same
/// values, so the same bits), and they live in huge pages, which halve the cost of the
/// random reads (see [`HugePageBuffer`]). The copy costs one pass over the matrix.
fn standardize_rows(x: Features<'_>, standardizer: &Standardizer) -> HugePageBuffer {
    let (rows, width) = x.dim();
    let inverse_std = standardizer.inverse_std();
    let mut buffer = HugePageBuffer::zeroed(rows * width);
    const ROWS_PER_TASK: usize = 4096;
    buffer.as_mut_slice().par_chunks_mut(ROWS_PER_TASK * width).enumerate().for_each(|(task, out)| {
        let first = task * ROWS_PER_TASK;
        let scale = standardizer.mean.iter().zip(&inverse_std);
        match x {
            Features::Rows(x) => {
                for (row, out) in out.chunks_exact_mut(width).enumerate() {
                    let values = x.row(first + row);
                    for ((out, value), (mean, scale)) in out.iter_mut().zip(values).zip(scale.clone()) {
                        *out = (value - mean) * scale;
                    }
                }
            }
            Features::Columns(columns) => {
                for (row, out) in out.chunks_exact_mut(width).enumerate() {
                    let values = columns.columns().iter().map(|column| column[first + row]);
                    for ((out, value), (mean, scale)) in out.iter_mut().zip(values).zip(scale.clone()) {
                        *out = (value - mean) * scale;
                    }
                }
            }
        }
    });
    buffer
}

impl Source<'_> {
    /// Copies the rows numbered `order` and their labels to the front of
    /// `block`, in tasks of [`GATHER_ROWS`] rows spread over the pool.
    fn gather<I: RowIndex>(&self, order: &[I], block: &mut Block) {
        let rows = &mut block.rows[..order.len() * self.width];
        let labels = &mut block.labels[..order.len()];
        rows.par_chunks_mut(GATHER_ROWS * self.width)
            .zip(labels.par_chunks_mut(GATHER_ROWS))
            .zip(order.par_chunks(GATHER_ROWS))
            .for_each(|((rows, labels), order)| self.gather_rows(order, rows, labels));
    }

    /// Gathers a few rows: first one load per cache line of every row, then the copy.
    ///
    /// Randomly ordered rows miss the cache. Loads that nothing waits on let the CPU keep
    /// many misses outstanding at once; a copy loop alone has few in flight. This halves the
    /// cost of gathering, which otherwise dominates training.
    fn gather_rows<I: RowIndex>(&self, order: &[I], rows: &mut [f64], labels: &mut [u8]) {
        let touched = match self.width.div_ceil(VALUES_PER_LINE) {
            1 => self.touch::<1, I>(order),
            2 => self.touch::<2, I>(order),
            3 => self.touch::<3, I>(order),
            4 => self.touch::<4, I>(order),
            _ => self.touch_wide(order),
        };
        std::hint::black_box(touched);
        match self.width {
            1 => self.copy::<1, I>(order, rows, labels),
            2 => self.copy::<2, I>(order, rows, labels),
            3 => self.copy::<3, I>(order, rows, labels),
            4 => self.copy::<4, I>(order, rows, labels),
            5 => self.copy::<5, I>(order, rows, labels),
            6 => self.copy::<6, I>(order, rows, labels),
            7 => self.copy::<7, I>(order, rows, labels),
            8 => self.copy::<8, I>(order, rows, labels),
            width => {
                for ((out, label), &index) in rows.chunks_exact_mut(width).zip(labels).zip(order) {
                    let row = index.row();
                    out.copy_from_slice(&self.data[row * width..(row + 1) * width]);
                    *label = self.labels[row];
                }
            }
        }
    }

    /// The copy of [`Source::gather_rows`] for rows of `WIDTH` values: a copy of known size
    /// is a few moves, where one of run-time size is a `memcpy` call per row.
    fn copy<const WIDTH: usize, I: RowIndex>(&self, order: &[I], rows: &mut [f64], labels: &mut [u8]) {
        for ((out, label), &index) in rows.chunks_exact_mut(WIDTH).zip(labels).zip(order) {
            let row = index.row();
            let values = &self.data[row * WIDTH..(row + 1) * WIDTH];
            for (out, value) in out.iter_mut().zip(values) {
                *out = *value;
            }
            *label = self.labels[row];
        }
    }

    /// Loads every [`VALUES_PER_LINE`]-th value, the last value and the label of each row,
    /// which reaches every cache line the row spans, and folds them together.
    ///
    /// `STRIDES` is the row width in lines, rounded up; as a constant it unrolls the loads
    /// into straight-line code, and the fewer instructions per row, the more rows the CPU
    /// has in flight.
    fn touch<const STRIDES: usize, I: RowIndex>(&self, order: &[I]) -> u64 {
        let width = self.width;
        let mut touched = 0u64;
        for &index in order {
            let row = index.row();
            let values = &self.data[row * width..(row + 1) * width];
            let strided = &values[..(STRIDES - 1) * VALUES_PER_LINE + 1];
            let mut folded = values[width - 1].to_bits() ^ u64::from(self.labels[row]);
            for stride in 0..STRIDES {
                folded ^= strided[stride * VALUES_PER_LINE].to_bits();
            }
            touched ^= folded;
        }
        touched
    }

    /// [`Source::touch`] for rows wider than four lines, where a loop costs little next to
    /// the loads.
    fn touch_wide<I: RowIndex>(&self, order: &[I]) -> u64 {
        let width = self.width;
        let mut touched = 0u64;
        for &index in order {
            let row = index.row();
            let values = &self.data[row * width..(row + 1) * width];
            for value in values.iter().step_by(VALUES_PER_LINE) {
                touched ^= value.to_bits();
            }
            touched ^= values[width - 1].to_bits() ^ u64::from(self.labels[row]);
        }
        touched
    }
}

/// Standardized rows and their labels, in a run of an epoch's order.
struct Block {
    rows: Vec<f64>,
    labels: Vec<u8>,
}

impl Block {
    fn new(capacity: usize, width: usize) -> Self {
        Self { rows: vec![0.0; capacity * width], labels: vec![0; capacity] }
    }
}

/// One epoch's order and, unless it is the last epoch, the next epoch's order to draw.
struct Pipeline<'a, I> {
    source: &'a Source<'a>,
    order: &'a [I],
    next_order: Option<NextOrder<'a, I>>,
    block_rows: usize,
}

/// The next epoch's order, drawn a share per block while the current epoch trains.
struct NextOrder<'a, I> {
    order: &'a mut Vec<I>,
    rng: &'a mut ChaCha8Rng,
}

impl<I: RowIndex> NextOrder<'_, I> {
    /// Draws the share of block `block` of `blocks`: the shuffle steps that settle the
    /// positions from the top down, starting with a copy of `previous` at block 0.
    fn draw_share(&mut self, previous: &[I], block: usize, blocks: usize) {
        if block == 0 {
            self.order.clear();
            self.order.extend_from_slice(previous);
        }
        let rows = previous.len();
        let per_block = rows.div_ceil(blocks);
        let top = rows.saturating_sub(block * per_block);
        shuffle_steps(self.order, top.saturating_sub(per_block)..top, self.rng);
    }
}

impl<I: RowIndex> Pipeline<'_, I> {
    /// Trains on the epoch's blocks, starting with `current`, which holds the first block.
    /// On return `current` holds the first block of the next epoch, if there is one.
    ///
    /// While block `k` trains, the pool gathers block `k + 1`; the training thread then
    /// draws a share of the next epoch's order, whose random reads would otherwise compete
    /// with the gathering for memory. The last share is drawn on the gathering side, which
    /// needs the finished order for the next epoch's first block.
    fn run_epoch(
        mut self,
        trainer: &mut Trainer,
        current: &mut Block,
        next: &mut Block,
        epoch: u32,
    ) -> Result<(), FitError> {
        let rows = self.order.len();
        let blocks = rows.div_ceil(self.block_rows);
        trainer.loss_sum = 0.0;
        trainer.position = 0;
        for block in 0..blocks {
            let start = block * self.block_rows;
            let len = self.block_rows.min(rows - start);
            let following = start + len..rows.min(start + len + self.block_rows);
            let last = block + 1 == blocks;
            let (mut draw_while_training, mut draw_then_gather) = match self.next_order.as_mut() {
                Some(next_order) if last => (None, Some(next_order)),
                next_order => (next_order, None),
            };
            let (source, order, block_rows) = (self.source, self.order, self.block_rows);
            let (trained, ()) = rayon::join(
                || {
                    trainer.train(current, len, epoch)?;
                    if let Some(next_order) = draw_while_training.as_mut() {
                        next_order.draw_share(order, block, blocks);
                    }
                    Ok(())
                },
                || {
                    if !last {
                        source.gather(&order[following], next);
                    } else if let Some(next_order) = draw_then_gather.as_mut() {
                        next_order.draw_share(order, block, blocks);
                        source.gather(&next_order.order[..block_rows], next);
                    }
                },
            );
            trained?;
            std::mem::swap(current, next);
        }
        Ok(())
    }
}

/// The model being fitted and the mini-batch in progress.
struct Trainer {
    weights: Vec<f64>,
    bias: f64,
    batch: BatchGradient,
    row_weights: [f64; 2],
    batch_size: usize,
    learning_rate: f64,
    l2: f64,
    rows: usize,
    /// Rows of the current epoch trained on so far.
    position: usize,
    /// The epoch's batch losses, each times its row count.
    loss_sum: f64,
}

impl Trainer {
    fn new(rows: usize, width: usize, params: &LogisticParams, row_weights: [f64; 2]) -> Self {
        let mut batch = BatchGradient::new(width);
        batch.start(row_weights);
        Self {
            weights: vec![0.0; width],
            bias: 0.0,
            batch,
            row_weights,
            batch_size: params.batch_size,
            learning_rate: params.learning_rate,
            l2: params.l2,
            rows,
            position: 0,
            loss_sum: 0.0,
        }
    }

    /// Feeds the first `len` rows of `block` to the batches, stepping at each batch's end
    /// (every `batch_size` rows of the epoch, and at the epoch's last row).
    fn train(&mut self, block: &Block, len: usize, epoch: u32) -> Result<(), FitError> {
        let width = self.weights.len();
        let mut done = 0;
        while done < len {
            let take = (len - done).min(self.batch_size - self.batch.rows());
            let rows = &block.rows[done * width..(done + take) * width];
            self.batch.add_rows(rows, &block.labels[done..done + take], &self.weights, self.bias);
            done += take;
            self.position += take;
            if self.batch.rows() == self.batch_size || self.position == self.rows {
                let count = self.batch.rows();
                let loss = self.batch.finish(&self.weights, self.l2);
                if !loss.is_finite() {
                    return Err(FitError::Diverged { epoch });
                }
                self.loss_sum += loss * count as f64;
                for (weight, gradient) in self.weights.iter_mut().zip(self.batch.gradient()) {
                    *weight -= self.learning_rate * gradient;
                }
                self.bias -= self.learning_rate * self.batch.bias_gradient();
                self.batch.start(self.row_weights);
            }
        }
        Ok(())
    }
}
