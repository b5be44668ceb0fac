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
    let width = DEFAULT_FAMILY_FEATURES.len();
    let mut x = Array2::zeros((num_samples, width));
    let mut y = Vec::with_capacity(num_samples);
    for mut row in x.outer_iter_mut() {
        for value in row.iter_mut() {
            *value = unit_f64(rng);
        }
        y.push(u8::from(row[0] + row[1] > 1.0));
    }
    Dataset::from_checked_parts(
        DEFAULT_FAMILY_FEATURES.map(str::to_owned).to_vec(),
        x,
        y,
        (0..num_samples as u64).collect(),
    )
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

    #[test]
    fn zero_samples_is_an_empty_dataset() {
        assert_eq!(generate(0, 1).n_rows(), 0);
    }
}
