//! Synthetic data with the shape of the original trainer's default family (the data it
//! generates for the heuristic, logistic and simple_transformer model types).
//!
//! The original draws from CPython's global Mersenne Twister. We draw from the caller's
//! seeded [`ChaCha8Rng`] instead and deliberately do not reproduce CPython's stream: the
//! distribution, feature order, labelling rule and row order are the original's, the
//! individual values are not. Matching them would tie every seed to an interpreter's
//! generator for no gain in what the data tests.

use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::Dataset;
use super::sampling::unit_f64;

/// Feature names of the default family, in the order the values are drawn.
pub const DEFAULT_FAMILY_FEATURES: [&str; 5] =
    ["violation_count", "severity_max", "recency_score", "frequency_score", "context_risk"];

/// `num_samples` rows of five uniform [0, 1) features drawn row by row in
/// [`DEFAULT_FAMILY_FEATURES`] order, labelled 1 iff `violation_count + severity_max > 1`
/// (strictly), which gives about half positives; the last three features are noise.
/// Row ids are `0..num_samples` and rows are not shuffled.
pub fn default_family(num_samples: usize, rng: &mut ChaCha8Rng) -> Dataset {
    let (columns, y) = default_family_columns(num_samples, rng);
    let x = Array2::from_shape_fn((num_samples, columns.len()), |(row, feature)| columns[feature][row]);
    Dataset::from_checked_parts(
        DEFAULT_FAMILY_FEATURES.map(str::to_owned).to_vec(),
        x,
        y,
        (0..num_samples as u64).collect(),
    )
}

/// Rows generated per task of [`default_family_columns`].
const ROWS_PER_TASK: usize = 1 << 16;

/// [`default_family`] as one vector per feature (the layout of a table's columns) and the
/// labels: the same values, drawn in parallel.
///
/// Each value takes exactly one `u64` (two words) of the generator's stream, so row `i` is
/// made of the words from `start + 10 i` on; a task seeks a copy of the generator there and
/// draws its rows, and the caller's generator is left where drawing every row in order would
/// leave it. The values are the sequential draw's, bit for bit, at any thread count.
pub fn default_family_columns(num_samples: usize, rng: &mut ChaCha8Rng) -> ([Vec<f64>; 5], Vec<u8>) {
    const WIDTH: usize = DEFAULT_FAMILY_FEATURES.len();
    const WORDS_PER_ROW: u128 = 2 * WIDTH as u128;
    let start = rng.get_word_pos();
    let mut columns: [Vec<f64>; WIDTH] = std::array::from_fn(|_| vec![0.0; num_samples]);
    let mut y = vec![0u8; num_samples];
    let [c0, c1, c2, c3, c4] = &mut columns;
    c0.par_chunks_mut(ROWS_PER_TASK)
        .zip(c1.par_chunks_mut(ROWS_PER_TASK))
        .zip(c2.par_chunks_mut(ROWS_PER_TASK))
        .zip(c3.par_chunks_mut(ROWS_PER_TASK))
        .zip(c4.par_chunks_mut(ROWS_PER_TASK))
        .zip(y.par_chunks_mut(ROWS_PER_TASK))
        .enumerate()
        .for_each(|(task, (((((c0, c1), c2), c3), c4), y))| {
            let mut rng = rng.clone();
            rng.set_word_pos(start + (task * ROWS_PER_TASK) as u128 * WORDS_PER_ROW);
            for row in 0..y.len() {
                let values = [(); WIDTH].map(|()| unit_f64(&mut rng));
                c0[row] = values[0];
                c1[row] = values[1];
                c2[row] = values[2];
                c3[row] = values[3];
                c4[row] = values[4];
                y[row] = u8::from(values[0] + values[1] > 1.0);
            }
        });
    rng.set_word_pos(start + num_samples as u128 * WORDS_PER_ROW);
    (columns, y)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn generate(num_samples: usize, seed: u64) -> Dataset {
        default_family(num_samples, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    #[test]
    fn has_the_documented_shape() {
        let data = generate(1000, 42);
        assert_eq!((data.n_rows(), data.n_features()), (1000, 5));
        assert_eq!(data.feature_names(), DEFAULT_FAMILY_FEATURES);
        assert_eq!(data.row_ids(), (0..1000).collect::<Vec<u64>>());
        assert!(data.x().iter().all(|v| (0.0..1.0).contains(v)));
    }

    #[test]
    fn label_rule_holds_for_every_row() {
        let data = generate(5000, 7);
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            assert_eq!(label == 1, row[0] + row[1] > 1.0);
        }
    }

    #[test]
    fn about_half_are_positive() {
        let positives = generate(10_000, 11).n_positive();
        assert!((4_800..=5_200).contains(&positives), "{positives}");
    }

    #[test]
    fn seed_decides_the_data() {
        assert_eq!(generate(200, 5), generate(200, 5));
        assert_ne!(generate(200, 5).x(), generate(200, 6).x());
    }

    /// The parallel draw against the plain one it replaces: every value, the labels, and
    /// where the caller's generator is left (its next draw), across several tasks and a
    /// generator that did not start at position 0.
    #[test]
    fn columns_are_the_sequential_draw_and_leave_the_generator_where_it_would() {
        use rand::Rng;
        let rows = 2 * ROWS_PER_TASK + 123;
        let mut parallel = ChaCha8Rng::seed_from_u64(9);
        let _ = parallel.next_u32();
        let mut plain = parallel.clone();
        let (columns, y) = default_family_columns(rows, &mut parallel);
        for row in 0..rows {
            let values: Vec<f64> = (0..5).map(|_| unit_f64(&mut plain)).collect();
            for (column, value) in columns.iter().zip(&values) {
                assert_eq!(column[row].to_bits(), value.to_bits(), "row {row}");
            }
            assert_eq!(y[row], u8::from(values[0] + values[1] > 1.0));
        }
        assert_eq!(parallel.next_u64(), plain.next_u64());
    }

    #[test]
    fn zero_samples_is_an_empty_dataset() {
        assert_eq!(generate(0, 1).n_rows(), 0);
    }
}
