//! The "correlation" model type: gradient-boosted regression trees on the logistic loss.
//!
//! The original's correlation model was a fixed, unsigned weighted mean of min-max-scaled
//! features squashed by a hand-set sigmoid (and scaled twice, which flattened two of its five
//! features). Coordinated activity is naturally an interaction between features (many agents
//! *and* correlated timing *and* similar payloads): trees represent interactions, a weighted
//! sum cannot. (On the synthetic correlation family one feature alone separates the classes,
//! so there the trees can only match logistic regression; the tests show both.)
//!
//! Each boosting round computes the gradient `p − y` and hessian `p (1 − p)` of the log-loss
//! at the current prediction, grows one depth-limited tree on them (Newton leaf values with
//! an L2 penalty, `tree_shape.rs`), shrinks it by the learning rate and adds it. The first
//! prediction is the log-odds of the training base rate. Splits are searched on histograms of
//! features binned once per fit (`hist_tree_builder.rs`, the default) or over every distinct
//! value (`tree_builder.rs`, `algorithm = "exact"`); either way a split is a threshold on raw
//! feature values, so no scaling is needed and a saved model scores raw inputs.
//!
//! Pipeline mapping: `rounds` is the number of boosting rounds (`n_trees`, default 100);
//! `epochs` and `batch_size` mean nothing here. Work is spread over the rayon pool only where
//! the result cannot depend on it (per-row updates; sums over fixed blocks of rows, added in
//! block order; per-feature split searches reduced in feature order), so the same data,
//! parameters and generator state give the same trees at any thread count; and the trees
//! depend on no libm function
//! (only on the portable exponential), so they are the same on every machine. (The reported
//! loss history uses libm's `ln`.)

use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayView2;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize, Serializer};

use super::hist_tree_builder::HistTreeBuilder;
use super::log_loss::sigmoid;
use super::portable_exp::exp_non_positive;
use super::training_data::check_training_data;
use super::tree::RegressionTree;
use super::tree_builder::TreeBuilder;
use super::tree_shape::{GradientPair, TreeShape};
use super::{CorrelationFitError, CorrelationParams, FORMAT_VERSION, FitError, LoadError, Model, TreeAlgorithm};
use crate::data::sampling::index_below;

/// The `model_type` of the saved form.
const KIND: &str = "correlation";

/// The version of this model's training code, part of a `train` or `optimize` cache key: bump
/// it when the same data, parameters and seed give another model (or other bytes), and update
/// its golden file (`tests/golden/`).
pub(crate) const CODE_VERSION: u32 = 1;

/// Rows per task of the per-row updates: large enough to amortise a task, small enough to
/// balance two to a few dozen threads. Each row's result is computed alone, so the chunking
/// never changes a bit.
const ROWS_PER_TASK: usize = 16_384;

/// The tree builder of one fit, holding what it prepared from the training rows.
enum Grower {
    Exact(TreeBuilder),
    Hist(HistTreeBuilder),
}

impl Grower {
    fn grow(&mut self, pairs: &[GradientPair], in_sample: &[bool], shape: TreeShape) -> RegressionTree {
        match self {
            Self::Exact(builder) => builder.grow(pairs, in_sample, shape),
            Self::Hist(builder) => builder.grow(pairs, in_sample, shape),
        }
    }

    /// The output of `tree`, just grown, for every training row of `x`, as `f64` bits.
    fn outputs(&self, tree: &RegressionTree, x: ArrayView2<'_, f64>, in_sample: &[bool], out: &[AtomicU64]) {
        match self {
            Self::Exact(_) => out.par_chunks(ROWS_PER_TASK).enumerate().for_each(|(task, out)| {
                for (offset, out) in out.iter().enumerate() {
                    let row = x.row(task * ROWS_PER_TASK + offset);
                    out.store(tree.value(|j| row[j]).to_bits(), Ordering::Relaxed);
                }
            }),
            Self::Hist(builder) => builder.outputs(tree, x, in_sample, out),
        }
    }
}

/// A fitted boosted-tree model: P(y = 1) = σ(base_score + Σ_t tree_t(x)).
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    feature_names: Vec<String>,
    base_score: f64,
    trees: Vec<RegressionTree>,
    params: CorrelationParams,
    history: Vec<f64>,
}

impl Correlation {
    /// Fits `params.n_trees` boosting rounds on raw features `x` (rows × features) and 0/1
    /// labels `y`.
    ///
    /// `rng` is used only when `params.subsample < 1`, to draw each tree's rows (without
    /// replacement, `max(1, int(n · subsample))` of them). `cancel` is polled before every
    /// round. With one class only, the base rate is smoothed to `1 / (n + 2)` or
    /// `(n + 1) / (n + 2)` so the starting log-odds stay finite.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        feature_names: &[String],
        params: &CorrelationParams,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Self, CorrelationFitError> {
        params.validate()?;
        let [_, positives] = check_training_data(x, y, feature_names)?;
        let rows = x.nrows();
        let n = rows as f64;
        let base_rate = (positives as f64 / n).clamp(1.0 / (n + 2.0), (n + 1.0) / (n + 2.0));
        let base_score = log_odds(base_rate);

        let shape = TreeShape {
            max_depth: params.max_depth,
            min_samples_leaf: params.min_samples_leaf,
            l2: params.l2,
            learning_rate: params.learning_rate,
        };
        let mut grower = match params.algorithm {
            TreeAlgorithm::Exact => Grower::Exact(TreeBuilder::new(x)),
            TreeAlgorithm::Hist if u32::try_from(rows).is_err() => {
                return Err(CorrelationFitError::TooManyRowsForHist { rows });
            }
            TreeAlgorithm::Hist => Grower::Hist(HistTreeBuilder::new(x)),
        };
        let mut margins = vec![base_score; rows];
        let start_tail = exp_non_positive(-base_score.abs());
        let mut pairs: Vec<GradientPair> =
            y.iter().map(|&label| gradient_pair(base_score, start_tail, label)).collect();
        // Written by the tree builders' parallel tasks (see `HistTreeBuilder::outputs`).
        let outputs: Vec<AtomicU64> = (0..rows).map(|_| AtomicU64::new(0)).collect();
        let mut in_sample = vec![true; rows];
        let mut order: Vec<usize> = (0..rows).collect();
        let sample_size = ((n * params.subsample) as usize).clamp(1, rows);
        let mut trees = Vec::with_capacity(params.n_trees as usize);
        let mut history = Vec::with_capacity(params.n_trees as usize);

        for round in 1..=params.n_trees {
            if cancel() {
                return Err(FitError::Cancelled.into());
            }
            if sample_size < rows {
                // A partial Fisher–Yates shuffle: the first `sample_size` entries become a
                // uniform random subset, whatever order the previous round left.
                for i in 0..sample_size {
                    order.swap(i, i + index_below(rng, rows - i));
                }
                in_sample.fill(false);
                for &row in &order[..sample_size] {
                    in_sample[row] = true;
                }
            }
            let tree = grower.grow(&pairs, &in_sample, shape);
            grower.outputs(&tree, x, &in_sample, &outputs);
            // Tasks cover fixed row ranges and their losses are added in task order, so the
            // sum does not depend on the threads.
            let task_losses: Vec<f64> = margins
                .par_chunks_mut(ROWS_PER_TASK)
                .zip(pairs.par_chunks_mut(ROWS_PER_TASK))
                .zip(outputs.par_chunks(ROWS_PER_TASK))
                .zip(y.par_chunks(ROWS_PER_TASK))
                .map(|(((margins, pairs), outputs), labels)| boost_rows(margins, pairs, outputs, labels))
                .collect();
            let loss = task_losses.iter().fold(0.0, |sum, loss| sum + loss);
            if !loss.is_finite() {
                return Err(FitError::Diverged { epoch: round }.into());
            }
            history.push(loss / n);
            trees.push(tree);
        }

        Ok(Self { feature_names: feature_names.to_vec(), base_score, trees, params: params.clone(), history })
    }

    /// The log-odds every prediction starts from.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// The trees, in the order their outputs are added.
    pub fn trees(&self) -> &[RegressionTree] {
        &self.trees
    }

    pub fn params(&self) -> &CorrelationParams {
        &self.params
    }

    /// Mean training log-loss after each boosting round (to about 1e-15 relative: the
    /// logarithms are taken of products of 512 rows' factors).
    pub fn history(&self) -> &[f64] {
        &self.history
    }
}

/// The log-loss gradient `p − y` and hessian `p (1 − p)` at `margin`, whose
/// `exp(−|margin|)` is `tail`.
#[inline]
fn gradient_pair(margin: f64, tail: f64, label: u8) -> GradientPair {
    let p = if margin >= 0.0 { 1.0 } else { tail } / (1.0 + tail);
    // p (1 − p) without the cancellation in 1 − p for confident rows.
    GradientPair { gradient: p - f64::from(label), hessian: tail / ((1.0 + tail) * (1.0 + tail)) }
}

/// Rows whose factors `1 + exp(−|z|)` (each in (1, 2]) are multiplied before one logarithm is
/// taken: the product stays below 2^512, far inside `f64`, and the loss costs one logarithm
/// per block instead of one per row (which took a fifth of a histogram fit).
const ROWS_PER_LOGARITHM: usize = 512;

/// Adds a tree's `outputs` to the `margins` of some rows, leaves each row's next gradient
/// pair, and returns their log-loss after the tree, `Σ log(1 + exp(−(2y − 1) z))`, summed in
/// row order as `Σ max(z, 0) − y z + ln Π (1 + exp(−|z|))`.
fn boost_rows(margins: &mut [f64], pairs: &mut [GradientPair], outputs: &[AtomicU64], labels: &[u8]) -> f64 {
    let mut sum = 0.0;
    let blocks = margins
        .chunks_mut(ROWS_PER_LOGARITHM)
        .zip(pairs.chunks_mut(ROWS_PER_LOGARITHM))
        .zip(outputs.chunks(ROWS_PER_LOGARITHM).zip(labels.chunks(ROWS_PER_LOGARITHM)));
    for ((margins, pairs), (outputs, labels)) in blocks {
        let mut product = 1.0;
        for ((margin, pair), (output, &label)) in margins.iter_mut().zip(pairs).zip(outputs.iter().zip(labels)) {
            *margin += f64::from_bits(output.load(Ordering::Relaxed));
            let z = *margin;
            let tail = exp_non_positive(-z.abs());
            *pair = gradient_pair(z, tail, label);
            sum += z.max(0.0) - f64::from(label) * z;
            product *= 1.0 + tail;
        }
        sum += product.ln();
    }
    sum
}

/// `ln(p / (1 − p))` for `p` in (0, 1), solved by Newton's method on the portable sigmoid so
/// no libm logarithm (whose last bit differs between libc versions) reaches the model.
///
/// Solved for `min(p, 1 − p)` (`1 − p` is exact for `p ≥ 0.5`), where the sigmoid's tail
/// formula has full relative precision, and mirrored.
fn log_odds(p: f64) -> f64 {
    if p > 0.5 {
        return -log_odds(1.0 - p);
    }
    let mut z: f64 = 0.0;
    // From 0, Newton's iterates approach the root monotonically (the sigmoid is convex for
    // z <= 0); 100 steps is far more than it needs.
    for _ in 0..100 {
        let tail = exp_non_positive(-z.abs());
        let slope = tail / ((1.0 + tail) * (1.0 + tail));
        let next = z - (sigmoid(z) - p) / slope;
        if next == z || !next.is_finite() {
            break;
        }
        z = next;
    }
    z
}

impl Model for Correlation {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Per tree one comparison per level on the deepest path (an upper bound of the path taken)
    /// and one addition; then the sigmoid.
    fn ops_per_prediction(&self) -> u64 {
        self.trees.iter().map(|t| t.depth() as u64 + 1).sum::<u64>() + super::model::EXP_OPS
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        assert_eq!(x.ncols(), self.feature_names.len(), "correlation model expects one column per feature");
        x.outer_iter()
            .map(|row| {
                let mut margin = self.base_score;
                for tree in &self.trees {
                    margin += tree.value(|j| row[j]);
                }
                sigmoid(margin)
            })
            .collect()
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// The saved form as written: the model's fields behind a version and type tag.
#[derive(Serialize)]
struct SavedCorrelationRef<'a> {
    format_version: u32,
    model_type: &'static str,
    feature_names: &'a [String],
    base_score: f64,
    params: &'a CorrelationParams,
    history: &'a [f64],
    trees: &'a [RegressionTree],
}

/// The saved form as read, checked by `TryFrom` before it becomes a model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedCorrelation {
    format_version: u64,
    model_type: String,
    feature_names: Vec<String>,
    base_score: f64,
    params: CorrelationParams,
    history: Vec<f64>,
    trees: Vec<RegressionTree>,
}

impl Serialize for Correlation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedCorrelationRef {
            format_version: FORMAT_VERSION,
            model_type: KIND,
            feature_names: &self.feature_names,
            base_score: self.base_score,
            params: &self.params,
            history: &self.history,
            trees: &self.trees,
        }
        .serialize(serializer)
    }
}

super::saved::saved_model!(Correlation, SavedCorrelation);

impl TryFrom<SavedCorrelation> for Correlation {
    type Error = LoadError;

    /// Tree structure and finiteness were checked when the trees were deserialized; this
    /// checks what needs the whole model: feature indices within the feature list, a finite
    /// base score and valid parameters.
    fn try_from(saved: SavedCorrelation) -> Result<Self, LoadError> {
        super::saved::check_header(saved.format_version, &saved.model_type, KIND)?;
        let width = saved.feature_names.len();
        if width == 0 {
            return Err(LoadError::MissingField { field: "feature_names" });
        }
        if let Some(feature) = saved.trees.iter().filter_map(RegressionTree::max_feature).max()
            && feature >= width
        {
            return Err(LoadError::LengthMismatch {
                what: "tree feature indices",
                found: feature + 1,
                expected: width,
            });
        }
        if !saved.base_score.is_finite() {
            return Err(LoadError::InvalidNumber { what: "base score" });
        }
        saved.params.validate().map_err(|error| LoadError::Json {
            source: serde::de::Error::custom(format!("invalid correlation model parameters: {error}")),
        })?;
        Ok(Self {
            feature_names: saved.feature_names,
            base_score: saved.base_score,
            trees: saved.trees,
            params: saved.params,
            history: saved.history,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::error::Error;

    use ndarray::{Array2, array};
    use rand::SeedableRng;

    use super::*;
    use crate::data::Dataset;
    use crate::data::synthetic_correlation::{coordination_family, correlation_family};
    use crate::metrics::accuracy;
    use crate::models::test_support::{never, stratified};
    use crate::models::{LogisticParams, LogisticRegression, load_model};

    fn family(num_samples: usize, overlap: f64, seed: u64) -> Result<Dataset, Box<dyn Error>> {
        Ok(correlation_family(num_samples, overlap, &mut ChaCha8Rng::seed_from_u64(seed))?)
    }

    fn fit_on(data: &Dataset, params: &CorrelationParams, seed: u64) -> Result<Correlation, CorrelationFitError> {
        Correlation::fit(data.x(), data.y(), data.feature_names(), params, &mut ChaCha8Rng::seed_from_u64(seed), &never)
    }

    /// Validation accuracy of the default correlation and logistic models.
    fn compare_with_logistic(data: &Dataset) -> Result<(f64, f64), Box<dyn Error>> {
        let splits = stratified(data, 42)?;
        let (train, validation) = (&splits.train, &splits.validation);
        let trees = fit_on(train, &CorrelationParams::default(), 1)?;
        let logistic = LogisticRegression::fit(
            train.x(),
            train.y(),
            train.feature_names(),
            &LogisticParams::default(),
            &mut ChaCha8Rng::seed_from_u64(1),
            &never,
        )?;
        Ok((
            accuracy(validation.y(), &trees.predict_dataset(validation)?, 0.5)?,
            accuracy(validation.y(), &logistic.predict_dataset(validation)?, 0.5)?,
        ))
    }

    #[test]
    fn learns_the_correlation_family_at_least_as_well_as_logistic_regression() -> Result<(), Box<dyn Error>> {
        // The issue asked for "strictly better than logistic regression" here, which no model
        // can be: without overlap the classes are separable by one feature (agent_count <= 3
        // exactly for label 0), so both models score 1.0; with overlap both sit at the Bayes
        // rate (1 − overlap), as the overlap rows are exact copies of the other class. The
        // strict gain of trees shows on the coordination family (next test).
        let (trees, logistic) = compare_with_logistic(&family(10_000, 0.0, 42)?)?;
        println!("correlation_family overlap 0: correlation {trees:.4}, logistic {logistic:.4}");
        assert!(trees >= 0.97, "{trees}");
        assert!(trees >= logistic, "correlation {trees} vs logistic {logistic}");
        let (trees, logistic) = compare_with_logistic(&family(10_000, 0.1, 42)?)?;
        println!("correlation_family overlap 0.1: correlation {trees:.4}, logistic {logistic:.4}");
        assert!((trees - 0.9).abs() < 0.02, "{trees}");
        Ok(())
    }

    #[test]
    fn beats_logistic_regression_on_the_coordination_family() -> Result<(), Box<dyn Error>> {
        // The issue's floor, on the family whose classes differ only jointly: correlation
        // >= 0.97 and better than logistic regression (left with about the majority rate).
        let data = coordination_family(10_000, 0.0, &mut ChaCha8Rng::seed_from_u64(42))?;
        let (trees, logistic) = compare_with_logistic(&data)?;
        println!("coordination_family: correlation {trees:.4}, logistic {logistic:.4}");
        assert!(trees >= 0.97, "{trees}");
        assert!(trees > logistic + 0.2, "correlation {trees} vs logistic {logistic}");
        Ok(())
    }

    #[test]
    fn captures_interactions_a_linear_model_cannot() -> Result<(), Box<dyn Error>> {
        // Label = the two features have the same sign (XOR of signs): linearly inseparable.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rows = 4_000;
        let x = Array2::from_shape_fn((rows, 2), |_| crate::data::sampling::unit_f64(&mut rng) * 2.0 - 1.0);
        let y: Vec<u8> = x.outer_iter().map(|row| u8::from(row[0] * row[1] > 0.0)).collect();
        let data = Dataset::new(vec!["a".to_owned(), "b".to_owned()], x, y)?;
        let (trees, logistic) = compare_with_logistic(&data)?;
        assert!(trees > 0.95 && logistic < 0.7, "correlation {trees} vs logistic {logistic}");
        Ok(())
    }

    #[test]
    fn same_seed_gives_identical_bits() -> Result<(), Box<dyn Error>> {
        let data = family(2_000, 0.2, 5)?;
        let params = CorrelationParams { n_trees: 20, subsample: 0.7, ..CorrelationParams::default() };
        let first = fit_on(&data, &params, 11)?;
        let bits = |model: &Correlation| serde_json::to_string(model).map(|json| json.into_bytes());
        assert_eq!(bits(&fit_on(&data, &params, 11)?)?, bits(&first)?);
        assert_ne!(bits(&fit_on(&data, &params, 12)?)?, bits(&first)?);
        // Without subsampling the generator is not used.
        let full = CorrelationParams { n_trees: 5, ..CorrelationParams::default() };
        assert_eq!(fit_on(&data, &full, 1)?, fit_on(&data, &full, 2)?);
        assert!(first.history().windows(2).all(|pair| pair[1] < pair[0]), "{:?}", first.history());
        Ok(())
    }

    #[test]
    fn any_number_of_threads_fits_the_same_bytes() -> Result<(), Box<dyn Error>> {
        let data = family(3_000, 0.2, 8)?;
        let params = CorrelationParams { n_trees: 15, max_depth: 4, subsample: 0.8, ..CorrelationParams::default() };
        let fit_with = |threads: usize| -> Result<String, Box<dyn Error>> {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            Ok(serde_json::to_string(&pool.install(|| fit_on(&data, &params, 3))?)?)
        };
        let one = fit_with(1)?;
        for threads in [2, 3] {
            assert_eq!(fit_with(threads)?, one, "{threads} threads");
        }
        Ok(())
    }

    #[test]
    fn histograms_learn_as_well_as_exact_splits() -> Result<(), Box<dyn Error>> {
        let data = coordination_family(6_000, 0.05, &mut ChaCha8Rng::seed_from_u64(4))?;
        let splits = stratified(&data, 4)?;
        let validation = &splits.validation;
        let accuracy_of = |algorithm: TreeAlgorithm| -> Result<f64, Box<dyn Error>> {
            let model = fit_on(&splits.train, &CorrelationParams { algorithm, ..CorrelationParams::default() }, 1)?;
            Ok(accuracy(validation.y(), &model.predict_dataset(validation)?, 0.5)?)
        };
        let (hist, exact) = (accuracy_of(TreeAlgorithm::Hist)?, accuracy_of(TreeAlgorithm::Exact)?);
        println!("coordination family: hist {hist:.4}, exact {exact:.4}");
        assert!((hist - exact).abs() <= 0.01, "hist {hist} vs exact {exact}");
        Ok(())
    }

    #[test]
    fn models_saved_before_histograms_load_as_exact_split_models() -> Result<(), Box<dyn Error>> {
        let data = family(500, 0.1, 2)?;
        let params = CorrelationParams { n_trees: 4, algorithm: TreeAlgorithm::Exact, ..CorrelationParams::default() };
        let model = fit_on(&data, &params, 1)?;
        let mut saved = model.to_json()?;
        // The saved form as earlier versions wrote it: no `algorithm` among the parameters.
        let removed = saved.pointer_mut("/params").and_then(|p| p.as_object_mut()).and_then(|p| p.remove("algorithm"));
        assert_eq!(removed, Some(serde_json::json!("exact")));
        let loaded = load_model(&saved.to_string())?;
        assert_eq!(loaded.to_json()?, model.to_json()?);
        let bits = |p: Vec<f64>| p.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(bits(loaded.predict_proba(data.x())), bits(model.predict_proba(data.x())));
        Ok(())
    }

    #[test]
    fn one_class_gives_finite_confident_predictions() -> Result<(), Box<dyn Error>> {
        let x = array![[0.0], [1.0], [2.0]];
        let params = CorrelationParams { n_trees: 3, min_samples_leaf: 1, ..CorrelationParams::default() };
        let model = Correlation::fit(x.view(), &[0, 0, 0], &["a".to_owned()], &params, &mut rng(), &never)?;
        assert!((model.base_score() - (0.2f64 / 0.8).ln()).abs() < 1e-15);
        assert!(model.predict_proba(x.view()).iter().all(|&p| p > 0.0 && p < 0.2));
        Ok(())
    }

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(1)
    }

    #[test]
    fn log_odds_matches_the_logarithm() {
        for p in [1e-6_f64, 0.01, 0.35, 0.5, 0.65, 0.99, 1.0 - 1e-6] {
            let exact = (p / (1.0 - p)).ln();
            let error = (log_odds(p) - exact).abs() / exact.abs().max(1.0);
            assert!(error <= 4.0 * f64::EPSILON, "{p}: relative error {error}");
        }
        assert_eq!(log_odds(0.5), 0.0);
    }

    #[test]
    fn rejects_bad_inputs_and_parameters() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        let fit = |x: ArrayView2<'_, f64>, y: &[u8], names: &[String], params: &CorrelationParams| {
            Correlation::fit(x, y, names, params, &mut rng(), &never)
                .map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        let default = CorrelationParams::default();
        assert_eq!(fit(x.view(), &[0, 1], &names, &default), "ok");
        assert_eq!(fit(x.view(), &[0, 1], &names[..1], &default), "1 feature names were given for 2 feature columns");
        assert_eq!(fit(x.view(), &[0, 5], &names, &default), "label of row 1 is 5, but labels must be 0 or 1");
        assert_eq!(fit(x.select(ndarray::Axis(0), &[]).view(), &[], &names, &default), "training set has no rows");
        assert_eq!(
            fit(array![[f64::NAN, 1.0], [2.0, 3.0]].view(), &[0, 1], &names, &default),
            "feature `a` has non-finite values"
        );
        let no_trees = CorrelationParams { n_trees: 0, ..default };
        assert_eq!(fit(x.view(), &[0, 1], &names, &no_trees), "number of trees must be at least 1, got 0");
    }

    #[test]
    fn cancel_stops_between_rounds() -> Result<(), Box<dyn Error>> {
        let data = family(300, 0.0, 3)?;
        let polls = Cell::new(0);
        let cancel_on_third = || {
            polls.set(polls.get() + 1);
            polls.get() == 3
        };
        let result = Correlation::fit(
            data.x(),
            data.y(),
            data.feature_names(),
            &CorrelationParams::default(),
            &mut rng(),
            &cancel_on_third,
        );
        assert_eq!(result, Err(CorrelationFitError::Fit(FitError::Cancelled)));
        assert_eq!(polls.get(), 3);
        Ok(())
    }

    #[test]
    fn saved_model_scores_identically_after_loading() -> Result<(), Box<dyn Error>> {
        let data = family(2_000, 0.1, 6)?;
        let splits = stratified(&data, 6)?;
        let params = CorrelationParams { n_trees: 30, max_depth: 4, subsample: 0.8, ..CorrelationParams::default() };
        let model = fit_on(&splits.train, &params, 9)?;
        let json = serde_json::to_string(&model.to_json()?)?;
        let ordered = serde_json::to_string(&model)?;
        assert!(ordered.starts_with(r#"{"format_version":1,"model_type":"correlation","feature_names":"#));
        assert_eq!(serde_json::from_str::<Correlation>(&json)?, model);

        let loaded = load_model(&json)?;
        assert_eq!(loaded.kind(), "correlation");
        let bits = |p: Vec<f64>| p.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let x = splits.validation.x();
        assert_eq!(bits(loaded.predict_proba(x)), bits(model.predict_proba(x)));
        Ok(())
    }

    #[test]
    fn loading_rejects_inconsistent_files() -> Result<(), Box<dyn Error>> {
        let data = family(300, 0.0, 2)?;
        let params = CorrelationParams { n_trees: 2, min_samples_leaf: 1, ..CorrelationParams::default() };
        let saved = fit_on(&data, &params, 1)?.to_json()?;
        let edit = |path: &str, value: serde_json::Value| {
            let mut edited = saved.clone();
            if let Some(slot) = edited.pointer_mut(path) {
                *slot = value;
            }
            let loaded = load_model(&edited.to_string());
            loaded.map_or_else(
                |e| match std::error::Error::source(&e) {
                    Some(source) => format!("{e}: {source}"),
                    None => e.to_string(),
                },
                |_| "ok".to_owned(),
            )
        };
        assert_eq!(edit("/base_score", serde_json::json!(0.25)), "ok");
        assert_eq!(
            edit("/trees/0/nodes/0/split/feature", serde_json::json!(5)),
            "saved model has 6 tree feature indices for 5 features"
        );
        assert_eq!(
            edit("/trees/1/nodes/0/split/left", serde_json::json!(0)),
            "parse saved model json: a tree node points to a child that is not after it in the node list"
        );
        assert_eq!(
            edit("/params/subsample", serde_json::json!(0.0)),
            "parse saved model json: invalid correlation model parameters: subsample must be in (0, 1], got 0"
        );
        Ok(())
    }
}
