//! Logistic regression fitted by mini-batch gradient descent on standardized features.
//!
//! The original trainer's "logistic" model was an additive z-score heuristic with no
//! optimisation; this is the real thing. The standardizer is fitted on the training rows
//! and saved inside the model, so a loaded model scores raw inputs.

use ndarray::ArrayView2;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize, Serializer};

use super::log_loss::{margin, sigmoid};
use super::logistic_sgd;
use super::{ClassWeight, FORMAT_VERSION, FitError, LoadError, LogisticParams, LogisticSolver, Model};
use crate::data::{FeatureSource, Features, Standardizer};

/// Rows per task when predicting.
const PREDICT_ROWS: usize = 8_192;

/// The `model_type` of the saved form.
const KIND: &str = "logistic";

/// The version of this model's training code, part of a `train` or `optimize` cache key: bump
/// it when the same data, parameters and seed give another model (or other bytes), and update
/// its golden file (`tests/golden/`).
pub(crate) const CODE_VERSION: u32 = 1;

/// A fitted logistic regression: P(y = 1) = σ(w · standardize(x) + b).
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    feature_names: Vec<String>,
    standardizer: Standardizer,
    weights: Vec<f64>,
    bias: f64,
    params: LogisticParams,
    history: Vec<f64>,
}

impl LogisticRegression {
    /// One row's probability: standardized into `scaled`, then the sigmoid of its margin.
    fn probability<'r>(&self, row: impl IntoIterator<Item = &'r f64>, inverse_std: &[f64], scaled: &mut [f64]) -> f64 {
        for (((out, value), mean), scale) in scaled.iter_mut().zip(row).zip(&self.standardizer.mean).zip(inverse_std) {
            *out = (value - mean) * scale;
        }
        sigmoid(margin(&self.weights, scaled, self.bias))
    }

    /// Fits the model on raw features `x` (rows × features) and 0/1 labels `y`.
    ///
    /// Weights start at zero. Each epoch visits the rows in a fresh order drawn from `rng`
    /// and takes one gradient step per mini-batch. `cancel` is polled before every epoch.
    /// The same inputs and generator state give bit-identical weights on any number of
    /// threads: the rayon pool only gathers rows and draws the next epoch's order ahead of
    /// the gradient steps, which all run in a fixed order on one thread.
    ///
    /// Memory beyond the model is two row orders (of `u32` when the rows allow: this and the
    /// next epoch's) and two blocks of about 1 MiB of standardized rows; the data is never
    /// copied whole (unless `x` is not in row-major layout, in which case one row-major copy
    /// is made).
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        feature_names: &[String],
        params: &LogisticParams,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Self, FitError> {
        Self::fit_features(&Features::Rows(x), y, feature_names, params, rng, cancel)
    }

    /// [`LogisticRegression::fit`] of a matrix in either layout, with the same result: the
    /// `sgd` solver reads its statistics and standardized rows straight from columns, and
    /// gives the matrix back once it has its standardized copy; the `lbfgs` solver reads the
    /// row-major matrix (made from columns when it is lent those) throughout its fit.
    pub fn fit_features(
        x: &impl FeatureSource,
        y: &[u8],
        feature_names: &[String],
        params: &LogisticParams,
        rng: &mut ChaCha8Rng,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Self, FitError> {
        params.validate()?;
        let (rows, width) = x.dim();
        if width == 0 {
            return Err(FitError::NoFeatures);
        }
        if feature_names.len() != width {
            return Err(FitError::FeatureCountMismatch { names: feature_names.len(), columns: width });
        }
        if y.len() != rows {
            return Err(FitError::LabelCountMismatch { labels: y.len(), rows });
        }
        if rows == 0 {
            return Err(FitError::EmptyTrainingSet);
        }
        let mut label_counts = [0usize; 2];
        for (row, &label) in y.iter().enumerate() {
            match label {
                0 | 1 => label_counts[usize::from(label)] += 1,
                value => return Err(FitError::InvalidLabel { row, value }),
            }
        }
        let row_weights = ClassWeight::weights(params.class_weight, label_counts);
        if params.solver == LogisticSolver::Lbfgs {
            let fitted = x.lend(|x| match x {
                Features::Rows(x) => super::logistic_lbfgs::fit(x, y, feature_names, params, row_weights, cancel),
                Features::Columns(columns) => {
                    let x = columns.to_rows();
                    super::logistic_lbfgs::fit(x.view(), y, feature_names, params, row_weights, cancel)
                }
            })?;
            return Ok(Self {
                feature_names: feature_names.to_vec(),
                standardizer: fitted.standardizer,
                weights: fitted.weights,
                bias: fitted.bias,
                params: params.clone(),
                history: fitted.history,
            });
        }
        let fitted = if u32::try_from(rows).is_ok() {
            logistic_sgd::fit_in_order::<u32>(x, y, feature_names, params, row_weights, rng, cancel)?
        } else {
            logistic_sgd::fit_in_order::<u64>(x, y, feature_names, params, row_weights, rng, cancel)?
        };
        Ok(Self {
            feature_names: feature_names.to_vec(),
            standardizer: fitted.standardizer,
            weights: fitted.weights,
            bias: fitted.bias,
            params: params.clone(),
            history: fitted.history,
        })
    }

    pub fn standardizer(&self) -> &Standardizer {
        &self.standardizer
    }

    /// Weights on the standardized features, in feature order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    pub fn bias(&self) -> f64 {
        self.bias
    }

    pub fn params(&self) -> &LogisticParams {
        &self.params
    }

    /// Mean training objective of each epoch, averaged over the epoch's mini-batches (each
    /// evaluated just before its step, weighted by its row count).
    pub fn history(&self) -> &[f64] {
        &self.history
    }
}

impl Model for LogisticRegression {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Per feature a subtraction and a multiplication to standardize, a multiply-add for the
    /// margin; then the bias and the sigmoid.
    fn ops_per_prediction(&self) -> u64 {
        4 * self.weights.len() as u64 + 1 + super::model::EXP_OPS
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        assert_eq!(x.ncols(), self.weights.len(), "logistic model expects one column per feature");
        let (inverse_std, width) = (self.standardizer.inverse_std(), self.weights.len());
        let mut out = vec![0.0; x.nrows()];
        match x.as_slice() {
            // Rows are independent: runs of them on all cores, each row computed as alone
            // (the 200,000 validation rows of a 1,000,000-row run took 7 ms on one core).
            Some(data) if width > 0 => {
                out.par_chunks_mut(PREDICT_ROWS).zip(data.par_chunks(PREDICT_ROWS * width)).for_each(|(out, rows)| {
                    let mut scaled = vec![0.0; width];
                    for (out, row) in out.iter_mut().zip(rows.chunks_exact(width)) {
                        *out = self.probability(row, &inverse_std, &mut scaled);
                    }
                });
            }
            _ => {
                let mut scaled = vec![0.0; width];
                for (out, row) in out.iter_mut().zip(x.outer_iter()) {
                    *out = self.probability(row, &inverse_std, &mut scaled);
                }
            }
        }
        out
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// The saved form as written: the model's fields behind a version and type tag.
#[derive(Serialize)]
struct SavedLogisticRef<'a> {
    format_version: u32,
    model_type: &'static str,
    feature_names: &'a [String],
    standardizer: &'a Standardizer,
    weights: &'a [f64],
    bias: f64,
    params: &'a LogisticParams,
    history: &'a [f64],
}

/// The saved form as read, checked by `TryFrom` before it becomes a model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedLogistic {
    format_version: u64,
    model_type: String,
    feature_names: Vec<String>,
    standardizer: Standardizer,
    weights: Vec<f64>,
    bias: f64,
    params: LogisticParams,
    history: Vec<f64>,
}

impl Serialize for LogisticRegression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedLogisticRef {
            format_version: FORMAT_VERSION,
            model_type: KIND,
            feature_names: &self.feature_names,
            standardizer: &self.standardizer,
            weights: &self.weights,
            bias: self.bias,
            params: &self.params,
            history: &self.history,
        }
        .serialize(serializer)
    }
}

super::saved::saved_model!(LogisticRegression, SavedLogistic);

impl TryFrom<SavedLogistic> for LogisticRegression {
    type Error = LoadError;

    fn try_from(saved: SavedLogistic) -> Result<Self, LoadError> {
        super::saved::check_header(saved.format_version, &saved.model_type, KIND)?;
        let expected = saved.feature_names.len();
        let lengths = [
            ("weights", saved.weights.len()),
            ("standardizer means", saved.standardizer.mean.len()),
            ("standardizer stds", saved.standardizer.std.len()),
        ];
        for (what, found) in lengths {
            if found != expected || found == 0 {
                return Err(LoadError::LengthMismatch { what, found, expected });
            }
        }
        let all_finite = |values: &[f64]| values.iter().all(|v| v.is_finite());
        if !all_finite(&saved.weights) || !saved.bias.is_finite() {
            return Err(LoadError::InvalidNumber { what: "weight" });
        }
        if !all_finite(&saved.standardizer.mean) {
            return Err(LoadError::InvalidNumber { what: "standardizer mean" });
        }
        if !saved.standardizer.std.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(LoadError::InvalidNumber { what: "standardizer std" });
        }
        saved.params.validate().map_err(|source| LoadError::InvalidParams { source })?;
        Ok(Self {
            feature_names: saved.feature_names,
            standardizer: saved.standardizer,
            weights: saved.weights,
            bias: saved.bias,
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
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::data::sampling::{shuffle, unit_f64};
    use crate::data::synthetic::default_family;
    use crate::data::{Dataset, SplitConfig, SplitStrategy, Splits, split};
    use crate::models::load_model;
    use crate::models::log_loss::BatchGradient;

    fn never() -> bool {
        false
    }

    fn stratified(num_samples: usize, seed: u64) -> Result<Splits, Box<dyn Error>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let data = default_family(num_samples, &mut rng);
        let config = SplitConfig { strategy: SplitStrategy::Stratified, train_ratio: 0.8, calibration_ratio: None };
        Ok(split(&data, &config, &mut rng)?)
    }

    fn fit_on(data: &Dataset, params: &LogisticParams, seed: u64) -> Result<LogisticRegression, FitError> {
        LogisticRegression::fit(
            data.x(),
            data.y(),
            data.feature_names(),
            params,
            &mut ChaCha8Rng::seed_from_u64(seed),
            &never,
        )
    }

    fn accuracy(probabilities: &[f64], labels: &[u8]) -> f64 {
        let correct = probabilities.iter().zip(labels).filter(|&(&p, &y)| u8::from(p >= 0.5) == y).count();
        correct as f64 / labels.len() as f64
    }

    #[test]
    fn learns_the_default_family() -> Result<(), Box<dyn Error>> {
        let splits = stratified(10_000, 42)?;
        let model = fit_on(&splits.train, &LogisticParams::default(), 1)?;
        let probabilities = model.predict_dataset(&splits.validation)?;
        let accuracy = accuracy(&probabilities, splits.validation.y());
        assert!(accuracy >= 0.97, "validation accuracy {accuracy}");
        // The label depends on the first two features only.
        let weights = model.weights();
        assert!(weights[0] > 1.0 && weights[1] > 1.0, "{weights:?}");
        assert!(weights[2..].iter().all(|w| w.abs() < 0.5 * weights[0]), "{weights:?}");
        assert_eq!(model.history().len(), 20);
        assert!(model.history()[19] < model.history()[0]);
        Ok(())
    }

    #[test]
    fn balanced_class_weight_trains_on_imbalanced_data() -> Result<(), Box<dyn Error>> {
        let splits = stratified(4_000, 8)?;
        let keep: Vec<usize> =
            (0..splits.train.n_rows()).filter(|&i| splits.train.y()[i] == 0 || i % 10 == 0).collect();
        let imbalanced = splits.train.select(&keep);
        let params = LogisticParams { class_weight: Some(ClassWeight::Balanced), ..LogisticParams::default() };
        let model = fit_on(&imbalanced, &params, 3)?;
        let probabilities = model.predict_dataset(&splits.validation)?;
        assert!(accuracy(&probabilities, splits.validation.y()) >= 0.9);
        Ok(())
    }

    #[test]
    fn same_seed_gives_identical_bits() -> Result<(), Box<dyn Error>> {
        let splits = stratified(2_000, 5)?;
        let params = LogisticParams { epochs: 5, l2: 0.01, ..LogisticParams::default() };
        let bits = |model: &LogisticRegression| {
            let mut bits: Vec<u64> = model.weights().iter().map(|w| w.to_bits()).collect();
            bits.push(model.bias().to_bits());
            bits
        };
        let first = fit_on(&splits.train, &params, 11)?;
        assert_eq!(bits(&fit_on(&splits.train, &params, 11)?), bits(&first));
        assert_ne!(bits(&fit_on(&splits.train, &params, 12)?), bits(&first));
        Ok(())
    }

    #[test]
    fn columns_fit_as_the_rows_do_bit_for_bit() -> Result<(), Box<dyn Error>> {
        let splits = stratified(3_000, 21)?;
        let train = &splits.train;
        let columns: Vec<Vec<f64>> = train.x().columns().into_iter().map(|c| c.to_vec()).collect();
        let columns = crate::data::Columns::new(&columns).ok_or("one length")?;
        let bits = |model: &LogisticRegression| {
            let s = model.standardizer();
            [&model.weights[..], &[model.bias], &model.history, &s.mean, &s.std]
                .concat()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        for solver in [LogisticSolver::Sgd, LogisticSolver::Lbfgs] {
            let params = LogisticParams { epochs: 5, solver, ..LogisticParams::default() };
            let by_rows = fit_on(train, &params, 4)?;
            let by_columns = LogisticRegression::fit_features(
                &Features::Columns(columns),
                train.y(),
                train.feature_names(),
                &params,
                &mut ChaCha8Rng::seed_from_u64(4),
                &never,
            )?;
            assert_eq!(bits(&by_columns), bits(&by_rows), "{solver:?}");
        }
        Ok(())
    }

    #[test]
    fn huge_learning_rate_is_reported_as_divergence() -> Result<(), Box<dyn Error>> {
        let splits = stratified(1_000, 3)?;
        let params = LogisticParams { learning_rate: 1e6, ..LogisticParams::default() };
        let result = fit_on(&splits.train, &params, 1);
        assert_eq!(result, Err(FitError::Diverged { epoch: 1 }));
        Ok(())
    }

    #[test]
    fn cancel_stops_between_epochs() -> Result<(), Box<dyn Error>> {
        let splits = stratified(500, 3)?;
        let data = &splits.train;
        let polls = Cell::new(0);
        let cancel_on_third = || {
            polls.set(polls.get() + 1);
            polls.get() == 3
        };
        let result = LogisticRegression::fit(
            data.x(),
            data.y(),
            data.feature_names(),
            &LogisticParams::default(),
            &mut ChaCha8Rng::seed_from_u64(1),
            &cancel_on_third,
        );
        assert_eq!(result, Err(FitError::Cancelled));
        assert_eq!(polls.get(), 3);
        Ok(())
    }

    #[test]
    fn rejects_bad_inputs() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        let fit = |x: ArrayView2<'_, f64>, y: &[u8], names: &[String]| {
            let result = LogisticRegression::fit(
                x,
                y,
                names,
                &LogisticParams::default(),
                &mut ChaCha8Rng::seed_from_u64(1),
                &never,
            );
            result.map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(fit(x.view(), &[0, 1], &names), "ok");
        assert_eq!(fit(x.view(), &[0, 1], &names[..1]), "1 feature names were given for 2 feature columns");
        assert_eq!(fit(x.view(), &[0], &names), "1 labels were given for 2 rows");
        assert_eq!(fit(x.view(), &[0, 3], &names), "label of row 1 is 3, but labels must be 0 or 1");
        assert_eq!(fit(x.select(ndarray::Axis(0), &[]).view(), &[], &names), "training set has no rows");
        assert_eq!(
            fit(array![[0.0, f64::NAN], [1.0, 2.0]].view(), &[0, 1], &names),
            "feature `b` has non-finite values"
        );
    }

    /// Weights, bias and loss history of [`plain_fit`].
    struct PlainFit {
        weights: Vec<f64>,
        bias: f64,
        history: Vec<f64>,
    }

    /// The plain form of the algorithm the pipelined fit must reproduce bit for bit: the
    /// whole matrix standardized, one shuffle per epoch, one batch gradient per step.
    fn plain_fit(
        x: ArrayView2<'_, f64>,
        y: &[u8],
        params: &LogisticParams,
        seed: u64,
    ) -> Result<PlainFit, Box<dyn Error>> {
        let (rows, width) = x.dim();
        let scaled = Standardizer::fit(x)?.transform(x)?;
        let scaled = scaled.as_slice().ok_or("standardized rows are row-major")?;
        let counts = [y.iter().filter(|&&l| l == 0).count(), y.iter().filter(|&&l| l == 1).count()];
        let row_weights = ClassWeight::weights(params.class_weight, counts);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..rows).collect();
        let (mut weights, mut bias, mut history) = (vec![0.0; width], 0.0, Vec::new());
        let mut batch = BatchGradient::new(width);
        for _ in 0..params.epochs {
            shuffle(&mut order, &mut rng);
            let mut loss_sum = 0.0;
            for chunk in order.chunks(params.batch_size) {
                let batch_rows: Vec<f64> =
                    chunk.iter().flat_map(|&row| &scaled[row * width..(row + 1) * width]).copied().collect();
                let labels: Vec<u8> = chunk.iter().map(|&row| y[row]).collect();
                let loss = batch.compute(&batch_rows, &labels, row_weights, &weights, bias, params.l2);
                loss_sum += loss * chunk.len() as f64;
                for (weight, gradient) in weights.iter_mut().zip(batch.gradient()) {
                    *weight -= params.learning_rate * gradient;
                }
                bias -= params.learning_rate * batch.bias_gradient();
            }
            history.push(loss_sum / rows as f64);
        }
        Ok(PlainFit { weights, bias, history })
    }

    #[test]
    fn pipelined_fit_matches_the_plain_algorithm_on_any_number_of_threads() -> Result<(), Box<dyn Error>> {
        // 200 features make blocks of 655 rows, so batches of 1,000 span blocks, batches of
        // 96 straddle block ends, and the last batch of an epoch is partial.
        let (rows, width) = (2_100, 200);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let x = Array2::from_shape_fn((rows, width), |(_, j)| unit_f64(&mut rng) * (j % 7 + 1) as f64 + j as f64);
        let y: Vec<u8> = x.rows().into_iter().map(|r| u8::from(r[0] - r[1] + 0.5 * r[3] > 0.3)).collect();
        let names: Vec<String> = (0..width).map(|j| format!("f{j}")).collect();
        for (batch_size, class_weight) in [(96, None), (1_000, Some(ClassWeight::Balanced))] {
            let params = LogisticParams {
                epochs: 3,
                batch_size,
                learning_rate: 0.05,
                l2: 1e-3,
                class_weight,
                solver: LogisticSolver::Sgd,
            };
            let plain = plain_fit(x.view(), &y, &params, 4)?;
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
                let mut rng = ChaCha8Rng::seed_from_u64(4);
                let model =
                    pool.install(|| LogisticRegression::fit(x.view(), &y, &names, &params, &mut rng, &never))?;
                assert_eq!(model.weights(), plain.weights, "batch {batch_size}, {threads} threads");
                assert_eq!(model.bias().to_bits(), plain.bias.to_bits());
                assert_eq!(model.history(), plain.history);
                // The caller's generator is left after exactly one shuffle per epoch.
                let mut plain_rng = ChaCha8Rng::seed_from_u64(4);
                let mut order: Vec<usize> = (0..rows).collect();
                for _ in 0..params.epochs {
                    shuffle(&mut order, &mut plain_rng);
                }
                assert_eq!(rng.next_u64(), plain_rng.next_u64());
            }
        }
        Ok(())
    }

    #[test]
    fn column_major_input_gives_the_same_model() -> Result<(), Box<dyn Error>> {
        let splits = stratified(600, 4)?;
        let data = &splits.train;
        let column_major = data.x().t().as_standard_layout().into_owned();
        let params = LogisticParams { epochs: 3, ..LogisticParams::default() };
        let transposed = LogisticRegression::fit(
            column_major.t(),
            data.y(),
            data.feature_names(),
            &params,
            &mut ChaCha8Rng::seed_from_u64(2),
            &never,
        )?;
        assert_eq!(transposed, fit_on(data, &params, 2)?);
        Ok(())
    }

    #[test]
    fn saved_model_scores_identically_after_loading() -> Result<(), Box<dyn Error>> {
        let splits = stratified(2_000, 6)?;
        let params = LogisticParams {
            epochs: 5,
            l2: 1e-3,
            class_weight: Some(ClassWeight::Balanced),
            ..LogisticParams::default()
        };
        let model = fit_on(&splits.train, &params, 9)?;
        let json = serde_json::to_string(&model.to_json()?)?;

        let keys: Vec<String> = serde_json::from_str::<serde_json::Value>(&json)?
            .as_object()
            .map(|object| object.keys().cloned().collect())
            .unwrap_or_default();
        let mut expected =
            ["format_version", "model_type", "feature_names", "standardizer", "weights", "bias", "params", "history"];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        // Serializing the model directly keeps the documented key order.
        let ordered = serde_json::to_string(&model)?;
        assert!(ordered.starts_with(r#"{"format_version":1,"model_type":"logistic","#));

        let direct: LogisticRegression = serde_json::from_str(&json)?;
        assert_eq!(direct, model);
        let loaded = load_model(&json)?;
        assert_eq!(loaded.kind(), "logistic");
        let bits = |p: Vec<f64>| p.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let x = splits.validation.x();
        assert_eq!(bits(loaded.predict_proba(x)), bits(model.predict_proba(x)));
        Ok(())
    }

    #[test]
    fn predicting_checks_feature_names() -> Result<(), Box<dyn Error>> {
        let splits = stratified(500, 2)?;
        let model = fit_on(&splits.train, &LogisticParams::default(), 1)?;
        let (mut names, x, y, ids) = splits.validation.into_parts();
        names.swap(0, 1);
        let swapped = Dataset::with_row_ids(names, x, y, ids)?;
        let error = model.predict_dataset(&swapped).map(|_| ());
        assert_eq!(
            error.map_err(|e| e.to_string()),
            Err("model expects features [\"violation_count\", \"severity_max\", \
                 \"recency_score\", \"frequency_score\", \"context_risk\"] but the data has \
                 [\"severity_max\", \"violation_count\", \"recency_score\", \
                 \"frequency_score\", \"context_risk\"]"
                .to_owned())
        );
        Ok(())
    }

    #[test]
    fn loading_rejects_inconsistent_files() -> Result<(), Box<dyn Error>> {
        let splits = stratified(300, 2)?;
        let params = LogisticParams { epochs: 1, ..LogisticParams::default() };
        let saved = fit_on(&splits.train, &params, 1)?.to_json()?;
        let edit = |path: &str, value: serde_json::Value| {
            let mut edited = saved.clone();
            if let Some(slot) = edited.pointer_mut(path) {
                *slot = value;
            }
            load_model(&edited.to_string()).map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(edit("/bias", serde_json::json!(0.5)), "ok");
        assert_eq!(
            edit("/format_version", serde_json::json!(2)),
            "saved model has format version 2; this build reads version 1"
        );
        assert_eq!(
            edit("/model_type", serde_json::json!("forest")),
            "saved model type \"forest\" is not known; known types: logistic, anomaly, heuristic, correlation, simple_transformer"
        );
        assert_eq!(edit("/weights", serde_json::json!([1.0])), "saved model has 1 weights for 5 features");
        assert_eq!(
            edit("/standardizer/std/2", serde_json::json!(0.0)),
            "saved model has a non-finite or non-positive standardizer std"
        );
        assert_eq!(edit("/params/epochs", serde_json::json!(0)), "saved model has invalid training parameters");
        assert_eq!(
            load_model("{}").map(|_| ()).map_err(|e| e.to_string()),
            Err("saved model has no `format_version` field".to_owned())
        );
        Ok(())
    }
}
