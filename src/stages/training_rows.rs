//! `train`'s encoded training rows, shared by the instances that fit on one `load` instance.
//!
//! The training part is read as one vector per column. When every feature is a numeric
//! column (the common case, and the large one) those columns are the encoded features, and
//! they are kept as they are: the row-major matrix most fits walk is made only when a fit asks
//! for it, once, and the `sgd` solver reads the columns directly. An instance that fits only
//! such a model (one parameter of it changed) then never makes the matrix: at 800,000 × 5 that
//! is a pass and 32 MB of fresh memory, which costs about as much as the pass on this VM.

use std::sync::{OnceLock, PoisonError, RwLock};

use super::StageError;
use super::train::Part;
use crate::data::preprocess::{EncodedColumns, Preprocessor};
use crate::data::{Columns, Dataset, FeatureSource, Features};

/// The encoded training rows; see the module documentation.
pub(super) enum TrainingRows {
    /// Encoded into the row-major matrix at once: a text column, or a missing value with no
    /// fill, which the encoding reports.
    Rows(Dataset),
    /// Every feature a numeric column, missing values filled; checked as [`Dataset`] checks.
    Columns {
        names: Vec<String>,
        /// The columns until the rows are made from them; then `None`, so that the data set
        /// is held once (at 10,000,000 rows, 320 MB each way). A fit reading them holds the
        /// read lock, and making the rows waits for it.
        columns: RwLock<Option<Vec<Vec<f64>>>>,
        y: Vec<u8>,
        row_ids: Vec<u64>,
        /// The dataset of the same rows, made on first use.
        rows: OnceLock<Dataset>,
    },
}

impl TrainingRows {
    /// Encodes the training part with the preprocessor fitted on it.
    pub(super) fn encode(part: Part, pre: &Preprocessor) -> Result<Self, StageError> {
        let Part { features, y, .. } = part;
        match pre.into_columns(features) {
            Ok(EncodedColumns { names, columns, row_ids }) => {
                let view = Columns::new(&columns).ok_or_else(|| {
                    StageError::MissingInput("the training part's columns differ in length".to_owned())
                })?;
                Dataset::check_columns(&names, view, &y, &row_ids)?;
                Ok(Self::Columns { names, columns: RwLock::new(Some(columns)), y, row_ids, rows: OnceLock::new() })
            }
            Err(features) => {
                let (names, x) = pre.transform(&features)?;
                let (_, row_ids) = features.into_parts();
                Ok(Self::Rows(Dataset::with_row_ids(names, x, y, row_ids)?))
            }
        }
    }

    /// The rows as a dataset: made from the columns on the first call, which then drops them.
    pub(super) fn dataset(&self) -> &Dataset {
        match self {
            Self::Rows(dataset) => dataset,
            Self::Columns { names, columns, y, row_ids, rows } => rows.get_or_init(|| {
                let mut columns = columns.write().unwrap_or_else(PoisonError::into_inner);
                // Checked when the columns were encoded; only this call takes them.
                let x = columns
                    .as_deref()
                    .and_then(Columns::new)
                    .map_or_else(|| ndarray::Array2::zeros((y.len(), names.len())), |c| c.to_rows());
                *columns = None;
                Dataset::from_checked_parts(names.clone(), x, y.clone(), row_ids.clone())
            }),
        }
    }

    pub(super) fn y(&self) -> &[u8] {
        match self {
            Self::Rows(dataset) => dataset.y(),
            Self::Columns { y, .. } => y,
        }
    }

    pub(super) fn feature_names(&self) -> &[String] {
        match self {
            Self::Rows(dataset) => dataset.feature_names(),
            Self::Columns { names, .. } => names,
        }
    }

    pub(super) fn n_rows(&self) -> usize {
        self.y().len()
    }
}

impl FeatureSource for TrainingRows {
    fn dim(&self) -> (usize, usize) {
        (self.n_rows(), self.feature_names().len())
    }

    /// The columns while there are no rows, else the rows.
    fn lend<R>(&self, read: impl FnOnce(Features<'_>) -> R) -> R {
        match self {
            Self::Rows(dataset) => read(Features::Rows(dataset.x())),
            Self::Columns { columns, .. } => {
                let held = columns.read().unwrap_or_else(PoisonError::into_inner);
                match held.as_deref().and_then(Columns::new) {
                    Some(columns) => read(Features::Columns(columns)),
                    None => {
                        drop(held);
                        read(Features::Rows(self.dataset().x()))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataError;
    use crate::data::preprocess::Encoding;
    use crate::data::table::{Column, Table, Values};

    fn part(columns: Vec<(&str, Values)>, row_ids: Vec<u64>) -> Part {
        let y = (0..row_ids.len()).map(|i| u8::from(i % 3 == 0)).collect();
        let columns = columns.into_iter().map(|(name, values)| Column { name: name.to_owned(), values }).collect();
        Part { features: Table::new(columns, row_ids).expect("valid"), y, group: None }
    }

    fn numbers(values: &[f64]) -> Values {
        Values::Numeric(values.to_vec())
    }

    /// What `train` made before the columns were kept: the preprocessor's matrix, checked.
    fn eager(part: &Part, pre: &Preprocessor) -> Result<Dataset, StageError> {
        let (names, x) = pre.transform(&part.features)?;
        Ok(Dataset::with_row_ids(names, x, part.y.clone(), part.features.row_ids().to_vec())?)
    }

    fn encoded(part: &Part, impute: bool) -> (Result<TrainingRows, StageError>, Result<Dataset, StageError>) {
        let pre = Preprocessor::fit(&part.features, Encoding::OneHot, impute);
        let copy = Part { features: part.features.clone(), y: part.y.clone(), group: None };
        (TrainingRows::encode(copy, &pre), eager(part, &pre))
    }

    #[test]
    fn numeric_columns_are_kept_and_make_the_same_dataset() {
        let values: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.37 - 3.0).collect();
        let squares: Vec<f64> = values.iter().map(|v| v * v).collect();
        let mut gaps = squares.clone();
        gaps[7] = f64::NAN;
        gaps[30] = f64::NAN;
        let full =
            part(vec![("a", numbers(&values)), ("b", numbers(&squares)), ("c", numbers(&gaps))], (100..150).collect());
        let (rows, dataset) = encoded(&full, true);
        let (rows, dataset) = (rows.expect("encodes"), dataset.expect("encodes"));
        assert!(matches!(rows, TrainingRows::Columns { .. }));
        assert_eq!((rows.y(), rows.feature_names(), rows.n_rows()), (dataset.y(), dataset.feature_names(), 50));
        assert_eq!(FeatureSource::dim(&rows), (50, 3));
        // Lent as columns until the rows are made; then as the rows, the columns dropped.
        let lent = |rows: &TrainingRows| rows.lend(|x| (matches!(x, Features::Columns(_)), x.dim()));
        assert_eq!(lent(&rows), (true, (50, 3)));
        let columns = rows.lend(|x| if let Features::Columns(c) = x { Some(c.to_rows()) } else { None });
        assert_eq!(columns.as_ref().map(|c| c.view()), Some(dataset.x()));
        assert_eq!(rows.dataset(), &dataset);
        assert_eq!(lent(&rows), (false, (50, 3)));
        assert!(
            matches!(&rows, TrainingRows::Columns { columns, .. } if columns.read().expect("not poisoned").is_none())
        );
    }

    #[test]
    fn columns_are_found_by_name_and_others_left_out() {
        let fitted_on = part(vec![("a", numbers(&[1.0, 2.0, 3.0])), ("b", numbers(&[4.0, 5.0, 6.0]))], vec![0, 1, 2]);
        let pre = Preprocessor::fit(&fitted_on.features, Encoding::OneHot, false);
        let text = Values::Text(vec![Some("x".to_owned()); 3]);
        let reordered = part(
            vec![("b", numbers(&[7.0, 8.0, 9.0])), ("note", text), ("a", numbers(&[0.5, 0.25, 0.125]))],
            vec![3, 4, 5],
        );
        let dataset = eager(&reordered, &pre).expect("encodes");
        let rows = TrainingRows::encode(reordered, &pre).expect("encodes");
        assert!(matches!(rows, TrainingRows::Columns { .. }));
        assert_eq!(rows.dataset(), &dataset);
        assert_eq!(rows.dataset().x().row(0).to_vec(), [0.5, 7.0]);
    }

    #[test]
    fn text_columns_are_encoded_at_once() {
        let text = Values::Text((0..6).map(|i| Some(if i % 2 == 0 { "x" } else { "y" }.to_owned())).collect());
        let p = part(vec![("a", numbers(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])), ("t", text)], (0..6).collect());
        let (rows, dataset) = encoded(&p, false);
        let rows = rows.expect("encodes");
        assert!(matches!(rows, TrainingRows::Rows(_)));
        assert_eq!(rows.dataset(), &dataset.expect("encodes"));
        assert!(rows.lend(|x| matches!(x, Features::Rows(_))));
    }

    #[test]
    fn the_errors_are_the_eager_encodings() {
        let message = |r: Result<TrainingRows, StageError>| r.err().map(|e| e.to_string());
        let same = |p: &Part, impute: bool| {
            let (rows, dataset) = encoded(p, impute);
            let (rows, dataset) = (message(rows), dataset.err().map(|e| e.to_string()));
            assert!(rows.is_some());
            assert_eq!(rows, dataset);
            rows
        };
        // A missing value without a fill; a value that is not finite (the first row with one,
        // then its first feature); a repeated row id.
        let gap = part(vec![("a", numbers(&[1.0, f64::NAN, 3.0]))], vec![0, 1, 2]);
        assert!(same(&gap, false).is_some_and(|m| m.contains('a')));
        let infinite = part(
            vec![("a", numbers(&[1.0, 2.0, f64::INFINITY])), ("b", numbers(&[0.0, f64::NEG_INFINITY, 1.0]))],
            vec![0, 1, 2],
        );
        same(&infinite, false);
        let (rows, _) = encoded(&infinite, false);
        assert!(
            matches!(rows, Err(StageError::Data(DataError::NonFiniteFeature { row: 1, ref feature })) if feature == "b")
        );
        let repeated = part(vec![("a", numbers(&[1.0, 2.0, 3.0]))], vec![4, 9, 4]);
        same(&repeated, false);
    }
}
