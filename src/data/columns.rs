//! A training matrix as a model's fit reads it: row-major, as [`super::Dataset::x`] holds it,
//! or as the columns a data part was read into.
//!
//! Parts are handed on column by column (`.npy`, column-major) and read into one vector per
//! column; most fits walk rows and need the row-major copy, but the `sgd` solver reads its
//! statistics and its standardized rows straight from the columns, so an instance that fits
//! only such models never makes that copy (at 800,000 × 5: 32 MB of fresh memory and a pass).

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// One slice per feature, all of one length.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    columns: &'a [Vec<f64>],
    rows: usize,
}

impl<'a> Columns<'a> {
    /// `None` when the columns' lengths differ.
    pub fn new(columns: &'a [Vec<f64>]) -> Option<Self> {
        let rows = columns.first().map_or(0, |column| column.len());
        columns.iter().all(|column| column.len() == rows).then_some(Self { columns, rows })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The columns, each [`Columns::rows`] long.
    pub fn columns(&self) -> &'a [Vec<f64>] {
        self.columns
    }

    /// The same values, row-major, filled in runs of rows on all cores.
    pub fn to_rows(&self) -> Array2<f64> {
        /// Rows per task: enough that a task outweighs its scheduling.
        const ROWS_PER_TASK: usize = 16_384;
        let width = self.width();
        let mut values = vec![0.0; self.rows * width];
        if width > 0 {
            values.par_chunks_mut(ROWS_PER_TASK * width).enumerate().for_each(|(task, out)| {
                let first = task * ROWS_PER_TASK;
                for (row, out) in out.chunks_exact_mut(width).enumerate() {
                    for (out, column) in out.iter_mut().zip(self.columns) {
                        *out = column[first + row];
                    }
                }
            });
        }
        // The shape is the values' count by construction.
        Array2::from_shape_vec((self.rows, width), values).unwrap_or_else(|_| Array2::zeros((self.rows, width)))
    }
}

/// A training matrix, rows × features, in either layout; the values are the same either way,
/// and so is every fit's result.
#[derive(Debug, Clone, Copy)]
pub enum Features<'a> {
    /// Any layout ndarray describes; [`super::Dataset::x`] is row-major.
    Rows(ArrayView2<'a, f64>),
    /// The columns of a part.
    Columns(Columns<'a>),
}

impl Features<'_> {
    /// (rows, features).
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Features::Rows(x) => x.dim(),
            Features::Columns(c) => (c.rows(), c.width()),
        }
    }
}

/// A training matrix lent to a fit for as long as it reads it, so that its holder can change
/// it between fits (`stages::training_rows` replaces columns with rows when another fit needs
/// rows, and waits for a fit that is reading the columns). The values lent never change.
pub trait FeatureSource: Sync {
    /// (rows, features).
    fn dim(&self) -> (usize, usize);

    /// Calls `read` with the matrix; it must not keep what it is lent.
    fn lend<R>(&self, read: impl FnOnce(Features<'_>) -> R) -> R;
}

impl FeatureSource for Features<'_> {
    fn dim(&self) -> (usize, usize) {
        Features::dim(self)
    }

    fn lend<R>(&self, read: impl FnOnce(Features<'_>) -> R) -> R {
        read(*self)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn columns_of_one_length_make_the_row_major_matrix() {
        let columns = [vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
        let c = Columns::new(&columns).expect("one length");
        assert_eq!((c.rows(), c.width()), (3, 2));
        assert_eq!(c.to_rows(), array![[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]);
        assert_eq!(Features::Columns(c).dim(), (3, 2));
        let short = [vec![1.0, 2.0, 3.0], vec![4.0, 5.0]];
        assert!(Columns::new(&short).is_none());
        // Many runs of rows.
        let long: Vec<f64> = (0..40_000).map(f64::from).collect();
        let twice: Vec<f64> = long.iter().map(|v| 2.0 * v).collect();
        let columns = [long, twice];
        let rows = Columns::new(&columns).expect("one length").to_rows();
        assert!(rows.outer_iter().enumerate().all(|(i, row)| row[0] == i as f64 && row[1] == 2.0 * i as f64));
    }
}
