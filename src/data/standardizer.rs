//! Per-feature centring and scaling, fitted on training rows only and saved with the model.
//!
//! The original min-max scaled train and validation together and never saved the statistics,
//! so validation leaked into preprocessing and a saved model could not score raw inputs.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Columns, DataError, Features};

/// Maps each feature to `(x - mean) * (1 / std)`.
///
/// Scaling multiplies by the reciprocal rather than dividing so that the training loop, which
/// hoists the reciprocals out of its inner loop, and [`Standardizer::transform`] produce the
/// same bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits means and population standard deviations column by column, summing rows in order
    /// so the result does not depend on threads or chunking.
    ///
    /// A constant column gets std 1.0, so it maps to zero instead of dividing by zero.
    /// Non-finite inputs give non-finite statistics, which callers check.
    pub fn fit(x: ArrayView2<'_, f64>) -> Result<Self, DataError> {
        let rows = x.nrows();
        if rows == 0 {
            return Err(DataError::EmptyStandardizerFit);
        }
        let width = x.ncols();
        let mut sum = vec![0.0; width];
        let mut min = vec![f64::INFINITY; width];
        let mut max = vec![f64::NEG_INFINITY; width];
        for_each_row(x, |row| {
            for (((sum, min), max), &value) in sum.iter_mut().zip(&mut min).zip(&mut max).zip(row) {
                *sum += value;
                *min = min.min(value);
                *max = max.max(value);
            }
        });
        let mean: Vec<f64> = sum.iter().map(|total| total / rows as f64).collect();
        let mut squares = vec![0.0; width];
        for_each_row(x, |row| {
            for ((squares, mean), &value) in squares.iter_mut().zip(&mean).zip(row) {
                let deviation = value - mean;
                *squares += deviation * deviation;
            }
        });
        let mut fitted = Self { mean, std: Vec::with_capacity(width) };
        for j in 0..width {
            let (mean, std) = finish(rows, fitted.mean[j], squares[j], min[j], max[j]);
            fitted.mean[j] = mean;
            fitted.std.push(std);
        }
        Ok(fitted)
    }

    /// [`Standardizer::fit`] of the matrix whose columns these are, the columns on all cores.
    /// Each column's sums still run over its rows in order, with the same operations, so the
    /// statistics are the same bits as `fit`'s; what changes is that a column is read from
    /// contiguous memory, on a core of its own.
    pub fn fit_columns(columns: Columns<'_>) -> Result<Self, DataError> {
        let rows = columns.rows();
        if rows == 0 {
            return Err(DataError::EmptyStandardizerFit);
        }
        let statistics: Vec<(f64, f64)> = columns
            .columns()
            .par_iter()
            .map(|column| {
                let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
                for &value in column {
                    sum += value;
                    min = min.min(value);
                    max = max.max(value);
                }
                let mean = sum / rows as f64;
                let mut squares = 0.0;
                for &value in column {
                    let deviation = value - mean;
                    squares += deviation * deviation;
                }
                finish(rows, mean, squares, min, max)
            })
            .collect();
        let (mean, std) = statistics.into_iter().unzip();
        Ok(Self { mean, std })
    }

    /// [`Standardizer::fit`] of either layout: the same statistics.
    pub fn fit_features(x: Features<'_>) -> Result<Self, DataError> {
        match x {
            Features::Rows(x) => Self::fit(x),
            Features::Columns(columns) => Self::fit_columns(columns),
        }
    }

    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// The reciprocal of each std, the factor actually applied.
    pub fn inverse_std(&self) -> Vec<f64> {
        self.std.iter().map(|std| 1.0 / std).collect()
    }

    /// Standardizes a matrix with the fitted statistics.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, DataError> {
        if x.ncols() != self.n_features() {
            return Err(DataError::StandardizerFeatureCount { expected: self.n_features(), found: x.ncols() });
        }
        let inverse_std = self.inverse_std();
        let mut out = x.to_owned();
        for mut row in out.outer_iter_mut() {
            for ((value, mean), scale) in row.iter_mut().zip(&self.mean).zip(&inverse_std) {
                *value = (*value - mean) * scale;
            }
        }
        Ok(out)
    }
}

/// A column's mean and std from its mean, its sum of squared deviations and its extremes.
fn finish(rows: usize, mean: f64, squares: f64, min: f64, max: f64) -> (f64, f64) {
    let std = (squares / rows as f64).sqrt();
    // Comparing min and max catches exact constants, whose mean may be off by a rounding step
    // and whose computed std would then blow noise up to unit scale.
    let constant = min == max && mean.is_finite();
    (if constant { min } else { mean }, if constant || std == 0.0 { 1.0 } else { std })
}

/// Calls `visit` with each row of `x` in order, as a slice: in place when the rows are
/// contiguous, so the per-column loops vectorize, else through one reused buffer.
fn for_each_row(x: ArrayView2<'_, f64>, mut visit: impl FnMut(&[f64])) {
    if x.ncols() == 0 {
        return;
    }
    if let Some(data) = x.as_slice() {
        data.chunks_exact(x.ncols()).for_each(visit);
        return;
    }
    let mut buffer = Vec::with_capacity(x.ncols());
    for row in x.rows() {
        match row.as_slice() {
            Some(values) => visit(values),
            None => {
                buffer.clear();
                buffer.extend(row.iter().copied());
                visit(&buffer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn uses_population_statistics() -> Result<(), DataError> {
        let fitted = Standardizer::fit(array![[1.0, 5.0], [3.0, 5.0]].view())?;
        assert_eq!(fitted.mean, [2.0, 5.0]);
        assert_eq!(fitted.std, [1.0, 1.0]);
        let fitted = Standardizer::fit(array![[0.0], [0.0], [3.0], [3.0]].view())?;
        assert_eq!((fitted.mean[0], fitted.std[0]), (1.5, 1.5));
        Ok(())
    }

    #[test]
    fn the_columns_give_the_statistics_of_the_rows_bit_for_bit() -> Result<(), DataError> {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let rows = 50_001;
        let mut draw = |f: &dyn Fn(f64) -> f64| (0..rows).map(|_| f(rng.random::<f64>())).collect::<Vec<f64>>();
        // Uniform; a large offset, where the order of the additions shows in the last bits; an
        // exact constant; a mean that is not representable; huge values.
        let columns = [
            draw(&|u| u),
            draw(&|u| 1e9 + u * 1e-3),
            vec![0.1; rows],
            draw(&|u| if u < 0.5 { 0.1 } else { 0.2 }),
            draw(&|u| (u - 0.5) * 1e300),
        ];
        let c = Columns::new(&columns).expect("one length");
        let by_rows = Standardizer::fit(c.to_rows().view())?;
        for by_columns in [Standardizer::fit_columns(c)?, Standardizer::fit_features(Features::Columns(c))?] {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&by_columns.mean), bits(&by_rows.mean));
            assert_eq!(bits(&by_columns.std), bits(&by_rows.std));
        }
        assert_eq!(by_rows.std[2], 1.0);
        assert!(Standardizer::fit_columns(Columns::new(&[Vec::new()]).expect("one length")).is_err());
        Ok(())
    }

    #[test]
    fn constant_feature_maps_to_zero() -> Result<(), DataError> {
        let x = array![[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]];
        let fitted = Standardizer::fit(x.view())?;
        assert_eq!(fitted.std[0], 1.0);
        let scaled = fitted.transform(x.view())?;
        assert!(scaled.column(0).iter().all(|&v| v == 0.0));
        Ok(())
    }

    #[test]
    fn transformed_columns_have_zero_mean_unit_std() -> Result<(), DataError> {
        let x = array![[1.0, -4.0], [2.0, 10.0], [7.0, 0.5], [4.0, 3.0]];
        let scaled = Standardizer::fit(x.view())?.transform(x.view())?;
        for column in scaled.columns() {
            let mean = column.sum() / 4.0;
            let var = column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 4.0;
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
        }
        Ok(())
    }

    #[test]
    fn reports_misuse() -> Result<(), DataError> {
        let empty = Standardizer::fit(Array2::<f64>::zeros((0, 2)).view());
        assert_eq!(empty.map_or_else(|e| e.to_string(), |_| "ok".to_owned()), "cannot fit a standardizer on zero rows");
        let fitted = Standardizer::fit(array![[1.0, 2.0]].view())?;
        let wrong = fitted.transform(array![[1.0]].view());
        assert_eq!(
            wrong.map_or_else(|e| e.to_string(), |_| "ok".to_owned()),
            "standardizer was fitted on 2 features but got 1"
        );
        Ok(())
    }

    #[test]
    fn serializes_as_mean_and_std() -> Result<(), serde_json::Error> {
        let fitted = Standardizer { mean: vec![0.5], std: vec![2.0] };
        let json = serde_json::to_string(&fitted)?;
        assert_eq!(json, r#"{"mean":[0.5],"std":[2.0]}"#);
        assert_eq!(serde_json::from_str::<Standardizer>(&json)?, fitted);
        Ok(())
    }
}
