//! Splitting a dataset into train, validation and optional calibration parts, with the
//! original trainer's `split_data` semantics for the train/validation cut.
//!
//! Part sizes are `int(len * ratio)` as in the original (floor of the float product), taken
//! over the whole dataset or, for [`SplitStrategy::Stratified`], per class. When a
//! calibration ratio is given, the calibration part is the first `int(len *
//! calibration_ratio)` rows of the non-train remainder, in the remainder's order, and
//! validation is what is left after it:
//!
//! - temporal: rows `[0, t)` train, `[t, t + c)` calibration, `[t + c, n)` validation, so
//!   validation stays the most recent window;
//! - random: the same cuts over the shuffled row order;
//! - stratified: the same cuts within each shuffled class (positives, then negatives); each
//!   part is then shuffled, in the order train, validation, calibration.
//!
//! Without a calibration ratio the random draws are exactly the original's sequence of
//! shuffles (on our own generator), so the train/validation semantics are unchanged.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::sampling::shuffle;
use super::{DataError, Dataset};

/// How rows are assigned to parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitStrategy {
    /// Rows in their stored order: train on the past, validate on the future.
    Temporal,
    /// A seeded shuffle of all rows, then the temporal cut.
    Random,
    /// The cut within each class, so every part keeps the class balance (to within a row).
    Stratified,
    /// Stratified k-fold: validation is fold `fold` (1-based) of `folds`; see [`kfold`].
    KFold { folds: u32, fold: u32 },
}

/// What fraction of rows goes to each part. Validation receives the rest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    pub strategy: SplitStrategy,
    pub train_ratio: f64,
    #[serde(default)]
    pub calibration_ratio: Option<f64>,
}

impl SplitConfig {
    /// Checks that each ratio is in (0, 1) and that the ratios leave room for validation;
    /// the original accepted any ratio and produced empty or overlapping parts.
    pub fn validate(&self) -> Result<(), DataError> {
        let in_open_unit = |value: f64| value > 0.0 && value < 1.0;
        if let SplitStrategy::KFold { folds, fold } = self.strategy {
            if folds < 2 || fold == 0 || fold > folds {
                return Err(DataError::InvalidFold { folds, fold });
            }
            if let Some(calibration) = self.calibration_ratio
                && !in_open_unit(calibration)
            {
                return Err(DataError::InvalidCalibrationRatio { value: calibration });
            }
            return Ok(());
        }
        if !in_open_unit(self.train_ratio) {
            return Err(DataError::InvalidTrainRatio { value: self.train_ratio });
        }
        if let Some(calibration) = self.calibration_ratio {
            if !in_open_unit(calibration) {
                return Err(DataError::InvalidCalibrationRatio { value: calibration });
            }
            if self.train_ratio + calibration >= 1.0 {
                return Err(DataError::RatiosTooLarge { train: self.train_ratio, calibration });
            }
        }
        Ok(())
    }
}

/// The parts of one split. Rows keep the row ids they had in the source dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    pub train: Dataset,
    pub validation: Dataset,
    pub calibration: Option<Dataset>,
}

/// Splits `data` according to `config`; see the module docs for the exact cuts.
///
/// Fails rather than returning an empty part, which would otherwise surface later as a
/// division by zero in a metric or a model fitted on nothing.
pub fn split(data: &Dataset, config: &SplitConfig, rng: &mut ChaCha8Rng) -> Result<Splits, DataError> {
    let mut parts = split_indices(data.y(), config, rng)?;
    let calibration = config.calibration_ratio.map(|_| data.select(&std::mem::take(&mut parts.calibration)));
    Ok(Splits { train: data.select(&parts.train), validation: data.select(&parts.validation), calibration })
}

/// The row indices of each part for rows with labels `y`: the cut [`split`] makes, for data
/// that is not a [`Dataset`] yet (raw tables are split before their text columns are encoded,
/// so the encoding can be fitted on the training part alone).
pub fn split_indices(y: &[u8], config: &SplitConfig, rng: &mut ChaCha8Rng) -> Result<PartIndices, DataError> {
    config.validate()?;
    let rows = y.len();
    let parts = match config.strategy {
        SplitStrategy::KFold { folds, fold } => kfold(y, folds, fold, config.calibration_ratio, rng),
        SplitStrategy::Temporal => cut((0..rows).collect(), config),
        SplitStrategy::Random => {
            let mut order: Vec<usize> = (0..rows).collect();
            shuffle(&mut order, rng);
            cut(order, config)
        }
        SplitStrategy::Stratified => {
            let (mut positive, mut negative): (Vec<usize>, Vec<usize>) = (0..rows).partition(|&row| y[row] == 1);
            shuffle(&mut positive, rng);
            shuffle(&mut negative, rng);
            let mut parts = cut(positive, config);
            let negative_parts = cut(negative, config);
            parts.train.extend(negative_parts.train);
            parts.calibration.extend(negative_parts.calibration);
            parts.validation.extend(negative_parts.validation);
            shuffle(&mut parts.train, rng);
            shuffle(&mut parts.validation, rng);
            shuffle(&mut parts.calibration, rng);
            parts
        }
    };
    let empty = |part| DataError::EmptySplitPart { part, rows };
    if parts.train.is_empty() {
        return Err(empty("train"));
    }
    if parts.validation.is_empty() {
        return Err(empty("validation"));
    }
    if config.calibration_ratio.is_some() && parts.calibration.is_empty() {
        return Err(empty("calibration"));
    }
    Ok(parts)
}

/// Row indices of each part, before they are turned into datasets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartIndices {
    /// Training rows.
    pub train: Vec<usize>,
    /// Calibration rows (empty without a calibration ratio).
    pub calibration: Vec<usize>,
    /// Validation rows.
    pub validation: Vec<usize>,
}

/// Stratified k-fold: the positives and the negatives are each shuffled, then dealt to folds
/// 1, 2, …, `folds`, 1, 2, … in turn, the negatives continuing where the positives stopped, so
/// fold sizes differ by at most one row and each fold keeps the class balance to within a row
/// (scikit-learn's `StratifiedKFold` makes the same promise with another dealing). Validation is
/// fold `fold`, in row order; the other folds train, in a shuffled order. With a calibration
/// ratio, the first `int(rows * ratio)` of those training rows calibrate instead.
///
/// Every fold of one data set draws the same numbers from the same seed, so the `folds`
/// instances of a `kfold` load partition the rows between their validation parts.
fn kfold(y: &[u8], folds: u32, fold: u32, calibration_ratio: Option<f64>, rng: &mut ChaCha8Rng) -> PartIndices {
    let folds = folds as usize;
    let (mut positive, mut negative): (Vec<usize>, Vec<usize>) = (0..y.len()).partition(|&row| y[row] == 1);
    shuffle(&mut positive, rng);
    shuffle(&mut negative, rng);
    let mut assigned = vec![0usize; y.len()];
    for (k, &row) in positive.iter().chain(&negative).enumerate() {
        assigned[row] = k % folds + 1;
    }
    let wanted = fold as usize;
    let validation: Vec<usize> = (0..y.len()).filter(|&row| assigned[row] == wanted).collect();
    let mut train: Vec<usize> = (0..y.len()).filter(|&row| assigned[row] != wanted).collect();
    shuffle(&mut train, rng);
    let calibration_len = calibration_ratio.map_or(0, |ratio| (y.len() as f64 * ratio) as usize).min(train.len());
    let rest = train.split_off(calibration_len);
    PartIndices { train: rest, calibration: train, validation }
}

/// Cuts `order` into train, calibration and validation by the configured ratios.
fn cut(mut order: Vec<usize>, config: &SplitConfig) -> PartIndices {
    let len = order.len();
    // `as usize` truncates like Python's `int()` and saturates instead of wrapping.
    let train_len = (len as f64 * config.train_ratio) as usize;
    let calibration_len = config.calibration_ratio.map_or(0, |ratio| (len as f64 * ratio) as usize);
    let train_len = train_len.min(len);
    let calibration_len = calibration_len.min(len - train_len);
    let validation = order.split_off(train_len + calibration_len);
    let calibration = order.split_off(train_len);
    PartIndices { train: order, calibration, validation }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::data::synthetic::default_family;

    fn data(num_samples: usize) -> Dataset {
        default_family(num_samples, &mut ChaCha8Rng::seed_from_u64(42))
    }

    fn config(strategy: SplitStrategy, train_ratio: f64, calibration: Option<f64>) -> SplitConfig {
        SplitConfig { strategy, train_ratio, calibration_ratio: calibration }
    }

    fn run(data: &Dataset, config: &SplitConfig) -> Result<Splits, DataError> {
        split(data, config, &mut ChaCha8Rng::seed_from_u64(9))
    }

    fn sizes(splits: &Splits) -> (usize, usize, Option<usize>) {
        (splits.train.n_rows(), splits.validation.n_rows(), splits.calibration.as_ref().map(Dataset::n_rows))
    }

    /// Every source row id appears in exactly one part.
    fn assert_partition(data: &Dataset, splits: &Splits) {
        let mut ids: Vec<u64> = [&splits.train, &splits.validation]
            .into_iter()
            .chain(splits.calibration.as_ref())
            .flat_map(|part| part.row_ids().iter().copied())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, data.row_ids());
    }

    #[test]
    fn temporal_cuts_in_row_order() -> Result<(), DataError> {
        let data = data(1000);
        let splits = run(&data, &config(SplitStrategy::Temporal, 0.8, None))?;
        assert_eq!(sizes(&splits), (800, 200, None));
        assert_eq!(splits.train.row_ids(), (0..800).collect::<Vec<u64>>());
        assert_eq!(splits.validation.row_ids(), (800..1000).collect::<Vec<u64>>());
        let first_rows: Vec<usize> = (0..800).collect();
        assert_eq!(splits.train, data.select(&first_rows));
        Ok(())
    }

    #[test]
    fn temporal_calibration_sits_between_train_and_validation() -> Result<(), DataError> {
        let data = data(1000);
        let splits = run(&data, &config(SplitStrategy::Temporal, 0.7, Some(0.1)))?;
        assert_eq!(sizes(&splits), (700, 200, Some(100)));
        let calibration_ids = splits.calibration.as_ref().map(|c| c.row_ids().to_vec());
        assert_eq!(calibration_ids, Some((700..800).collect()));
        assert_eq!(splits.validation.row_ids()[0], 800);
        Ok(())
    }

    #[test]
    fn random_shuffles_then_cuts() -> Result<(), DataError> {
        let data = data(1000);
        let splits = run(&data, &config(SplitStrategy::Random, 0.8, None))?;
        assert_eq!(sizes(&splits), (800, 200, None));
        assert_ne!(splits.train.row_ids(), (0..800).collect::<Vec<u64>>());
        assert_partition(&data, &splits);
        let again = run(&data, &config(SplitStrategy::Random, 0.8, None))?;
        assert_eq!(again, splits);
        Ok(())
    }

    #[test]
    fn random_with_calibration_partitions_rows() -> Result<(), DataError> {
        let data = data(1000);
        let splits = run(&data, &config(SplitStrategy::Random, 0.6, Some(0.25)))?;
        assert_eq!(sizes(&splits), (600, 150, Some(250)));
        assert_partition(&data, &splits);
        Ok(())
    }

    #[test]
    fn stratified_keeps_class_proportions() -> Result<(), DataError> {
        let data = data(1000);
        let positives = data.n_positive();
        let negatives = data.n_rows() - positives;
        for calibration in [None, Some(0.1)] {
            let splits = run(&data, &config(SplitStrategy::Stratified, 0.7, calibration))?;
            assert_partition(&data, &splits);
            let parts = [Some(&splits.train), splits.calibration.as_ref()];
            for (part, ratio) in parts.into_iter().zip([Some(0.7), calibration]) {
                let (Some(part), Some(ratio)) = (part, ratio) else {
                    continue;
                };
                assert_eq!(part.n_positive(), (positives as f64 * ratio) as usize);
                let part_negatives = part.n_rows() - part.n_positive();
                assert_eq!(part_negatives, (negatives as f64 * ratio) as usize);
                assert!((part.n_positive() as f64 - positives as f64 * ratio).abs() < 1.0);
            }
            let validation_share = 1.0 - 0.7 - calibration.unwrap_or(0.0);
            let expected = positives as f64 * validation_share;
            assert!((splits.validation.n_positive() as f64 - expected).abs() <= 2.0);
            // Parts are shuffled, not positives first.
            assert!(splits.train.y()[..50].contains(&0));
        }
        Ok(())
    }

    fn kfold_config(folds: u32, fold: u32, calibration: Option<f64>) -> SplitConfig {
        config(SplitStrategy::KFold { folds, fold }, 0.8, calibration)
    }

    #[test]
    fn kfold_validation_parts_partition_the_rows_and_keep_the_balance() -> Result<(), DataError> {
        let data = data(1003);
        let positives = data.n_positive();
        let mut seen: Vec<u64> = Vec::new();
        for fold in 1..=5 {
            let splits = run(&data, &kfold_config(5, fold, None))?;
            assert_partition(&data, &splits);
            let v = &splits.validation;
            // 1003 rows in 5 folds: 201 or 200 rows each, positives dealt first.
            assert!(v.n_rows() == 200 || v.n_rows() == 201, "{}", v.n_rows());
            assert!((v.n_positive() as f64 - positives as f64 / 5.0).abs() <= 1.0);
            assert!(v.row_ids().windows(2).all(|w| w[0] < w[1]), "validation rows in row order");
            seen.extend(v.row_ids());
        }
        seen.sort_unstable();
        assert_eq!(seen, data.row_ids(), "each row validates in exactly one fold");
        Ok(())
    }

    #[test]
    fn kfold_calibration_comes_from_the_training_folds() -> Result<(), DataError> {
        let data = data(1000);
        let splits = run(&data, &kfold_config(4, 2, Some(0.1)))?;
        assert_eq!(sizes(&splits), (650, 250, Some(100)));
        assert_partition(&data, &splits);
        Ok(())
    }

    #[test]
    fn kfold_rejects_a_fold_outside_its_range_and_empty_folds() {
        let data = data(100);
        let message = |c: &SplitConfig| run(&data, c).map_or_else(|e| e.to_string(), |_| "ok".to_owned());
        assert_eq!(
            message(&kfold_config(1, 1, None)),
            "fold 1 of 1 folds: folds must be at least 2 and fold between 1 and folds"
        );
        assert_eq!(
            message(&kfold_config(3, 4, None)),
            "fold 4 of 3 folds: folds must be at least 2 and fold between 1 and folds"
        );
        assert_eq!(
            run(&self::data(3), &kfold_config(5, 5, None)).map_or_else(|e| e.to_string(), |_| "ok".to_owned()),
            "splitting 3 rows leaves the validation part empty"
        );
    }

    #[test]
    fn rejects_bad_ratios() {
        let data = data(100);
        let cases = [
            config(SplitStrategy::Temporal, 0.0, None),
            config(SplitStrategy::Temporal, 1.0, None),
            config(SplitStrategy::Random, f64::NAN, None),
            config(SplitStrategy::Temporal, 0.5, Some(0.0)),
            config(SplitStrategy::Temporal, 0.5, Some(1.5)),
            config(SplitStrategy::Stratified, 0.8, Some(0.2)),
        ];
        let messages: Vec<String> =
            cases.iter().map(|case| run(&data, case).map_or_else(|e| e.to_string(), |_| "ok".to_owned())).collect();
        assert_eq!(
            messages,
            [
                "train ratio 0 is outside (0, 1)",
                "train ratio 1 is outside (0, 1)",
                "train ratio NaN is outside (0, 1)",
                "calibration ratio 0 is outside (0, 1)",
                "calibration ratio 1.5 is outside (0, 1)",
                "train ratio 0.8 plus calibration ratio 0.2 leaves no room for validation; \
                 their sum must be below 1",
            ]
        );
    }

    #[test]
    fn rejects_empty_parts() {
        let message = |data: &Dataset, config: &SplitConfig| {
            run(data, config).map_or_else(|e| e.to_string(), |_| "ok".to_owned())
        };
        assert_eq!(
            message(&data(3), &config(SplitStrategy::Temporal, 0.2, None)),
            "splitting 3 rows leaves the train part empty"
        );
        assert_eq!(
            message(&data(0), &config(SplitStrategy::Random, 0.5, None)),
            "splitting 0 rows leaves the train part empty"
        );
        assert_eq!(
            message(&data(10), &config(SplitStrategy::Temporal, 0.5, Some(0.05))),
            "splitting 10 rows leaves the calibration part empty"
        );
        assert_eq!(message(&data(2), &config(SplitStrategy::Temporal, 0.5, None)), "ok");
    }
}
