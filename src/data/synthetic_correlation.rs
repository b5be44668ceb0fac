//! Synthetic data with the shape of the original trainer's correlation family (multi-agent
//! activity: normal traffic against escalating, coordinated and distributed attacks), plus an
//! `overlap` knob that makes the task less trivial than the original's.
//!
//! As in [`super::synthetic`], the values come from the caller's seeded [`ChaCha8Rng`] and do
//! not reproduce CPython's Mersenne Twister stream: the class sizes, ranges, draw order within
//! a row and the final shuffle are the original's, the individual values are not.
//!
//! In the original every class occupies its own box of feature space, so the Bayes error is 0
//! and any model that finds one separating feature scores 100%. With `overlap = q > 0`, each
//! row independently (with probability `q`) has its features drawn from the *other* class's
//! ranges while keeping its label, so a fraction of rows is indistinguishable from the other
//! class and the best achievable accuracy drops below 1.

use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use super::Dataset;
use super::sampling::{index_below, shuffle, unit_f64};

/// Feature names of the correlation family, in the order the values are drawn.
pub const CORRELATION_FAMILY_FEATURES: [&str; 5] =
    ["agent_count", "action_rate", "entropy_variance", "time_correlation", "payload_similarity"];

/// Share of label-0 ("normal") rows, `int(n * 0.65)` of them as in the original.
const NORMAL_SHARE: f64 = 0.65;

/// Inclusive integer range of `agent_count` and half-open ranges of the four rates, in
/// feature order, for one kind of activity.
struct Ranges {
    agent_count: (u32, u32),
    rates: [(f64, f64); 4],
}

const NORMAL: Ranges = Ranges { agent_count: (1, 3), rates: [(1.0, 10.0), (0.05, 0.3), (0.0, 0.25), (0.0, 0.3)] };

/// The original's three attack patterns, chosen uniformly for each label-1 row.
const ATTACKS: [Ranges; 3] = [
    // escalating
    Ranges { agent_count: (6, 15), rates: [(25.0, 100.0), (0.4, 0.9), (0.5, 0.75), (0.4, 0.8)] },
    // coordinated
    Ranges { agent_count: (4, 10), rates: [(20.0, 60.0), (0.3, 0.7), (0.75, 1.0), (0.6, 0.95)] },
    // distributed
    Ranges { agent_count: (10, 20), rates: [(15.0, 50.0), (0.65, 1.0), (0.3, 0.6), (0.25, 0.65)] },
];

/// Why the generator refused its arguments.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CorrelationFamilyError {
    #[error("overlap {value} is outside [0, 1)")]
    InvalidOverlap { value: f64 },
}

/// `num_samples` rows of the correlation family: the first `int(num_samples * 0.65)` drawn as
/// label 0, the rest as label 1, then shuffled with [`shuffle`]; row ids are `0..num_samples`
/// in the shuffled order.
///
/// Within a row the draws are made in [`CORRELATION_FAMILY_FEATURES`] order, after the attack
/// pattern for a label-1 row. With `overlap > 0` a coin is drawn first for every row and, with
/// probability `overlap`, the row's features come from the other class (a random attack
/// pattern for a label-0 row, the normal ranges for a label-1 row). With `overlap = 0` no coin
/// is drawn, so the stream is the original's sequence of draws on our generator.
pub fn correlation_family(
    num_samples: usize,
    overlap: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Dataset, CorrelationFamilyError> {
    if !(0.0..1.0).contains(&overlap) {
        return Err(CorrelationFamilyError::InvalidOverlap { value: overlap });
    }
    // `as usize` truncates like Python's `int()`.
    let normal = ((num_samples as f64 * NORMAL_SHARE) as usize).min(num_samples);
    let mut rows: Vec<([f64; 5], u8)> = Vec::with_capacity(num_samples);
    for index in 0..num_samples {
        let label = u8::from(index >= normal);
        let swapped = overlap > 0.0 && unit_f64(rng) < overlap;
        let looks_like_attack = (label == 1) != swapped;
        let ranges = if looks_like_attack { &ATTACKS[index_below(rng, ATTACKS.len())] } else { &NORMAL };
        rows.push((draw(ranges, rng), label));
    }
    Ok(shuffled_dataset(rows, rng))
}

/// The ranges shared by both classes in [`coordination_family`]: agent count (inclusive),
/// then the four rates (half-open), in feature order.
const SHARED: Ranges = Ranges { agent_count: (1, 20), rates: [(1.0, 100.0), (0.05, 1.0), (0.0, 1.0), (0.0, 1.0)] };

/// `num_samples` rows of the *coordination* family: the correlation family's features and
/// 65/35 class sizes, but the classes differ only jointly, which is what the original's
/// correlation engine was for and its own family never tested.
///
/// Every feature has the same marginal distribution in both classes ([`SHARED`]). An attack
/// (label 1) is a row whose `time_correlation` and `payload_similarity` agree: both above the
/// middle of their range (synchronised agents sending near-identical payloads, a botnet) or
/// both below it (deliberately jittered timing and varied payloads, an evasive distributed
/// attack); normal rows have one high and one low. No single feature and no linear combination
/// separates the classes (a linear model is left with the majority rate), while a model of
/// feature interactions can reach 100%. `overlap` swaps a row's features to the other class's
/// quadrants with that probability, as in [`correlation_family`].
///
/// Draw order within a row: the overlap coin (only when `overlap > 0`), the five features in
/// [`CORRELATION_FAMILY_FEATURES`] order, then one draw choosing which of the class's two
/// quadrants the last two features fall in.
pub fn coordination_family(
    num_samples: usize,
    overlap: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Dataset, CorrelationFamilyError> {
    if !(0.0..1.0).contains(&overlap) {
        return Err(CorrelationFamilyError::InvalidOverlap { value: overlap });
    }
    let normal = ((num_samples as f64 * NORMAL_SHARE) as usize).min(num_samples);
    let mut rows: Vec<([f64; 5], u8)> = Vec::with_capacity(num_samples);
    for index in 0..num_samples {
        let label = u8::from(index >= normal);
        let swapped = overlap > 0.0 && unit_f64(rng) < overlap;
        let agree = (label == 1) != swapped;
        let mut row = draw(&SHARED, rng);
        // Fold time_correlation and payload_similarity into one half of their range each, so
        // that the pair lands in a quadrant of the wanted kind.
        let (time_high, payload_high) = match (index_below(rng, 2) == 1, agree) {
            (high, true) => (high, high),
            (high, false) => (high, !high),
        };
        for (slot, high) in [(3, time_high), (4, payload_high)] {
            let half = row[slot] / 2.0;
            row[slot] = if high { 0.5 + half } else { half };
        }
        rows.push((row, label));
    }
    Ok(shuffled_dataset(rows, rng))
}

/// Shuffles the generated rows with [`shuffle`] and assembles them, row ids `0..n` in the
/// shuffled order: the last step both families share.
fn shuffled_dataset(mut rows: Vec<([f64; 5], u8)>, rng: &mut ChaCha8Rng) -> Dataset {
    shuffle(&mut rows, rng);
    let n = rows.len();
    let mut x = Array2::zeros((n, CORRELATION_FAMILY_FEATURES.len()));
    let mut y = Vec::with_capacity(n);
    for (mut out, (values, label)) in x.outer_iter_mut().zip(rows) {
        for (slot, value) in out.iter_mut().zip(values) {
            *slot = value;
        }
        y.push(label);
    }
    Dataset::from_checked_parts(CORRELATION_FAMILY_FEATURES.map(str::to_owned).to_vec(), x, y, (0..n as u64).collect())
}

/// One row from `ranges`: `randint(lo, hi)` for the agent count, then `uniform(a, b)` for
/// each rate, as `a + (b - a) * random()` like CPython's `uniform`.
fn draw(ranges: &Ranges, rng: &mut ChaCha8Rng) -> [f64; 5] {
    let (lo, hi) = ranges.agent_count;
    let agents = lo + index_below(rng, (hi - lo + 1) as usize) as u32;
    let mut row = [f64::from(agents), 0.0, 0.0, 0.0, 0.0];
    for (slot, (a, b)) in row[1..].iter_mut().zip(ranges.rates) {
        *slot = a + (b - a) * unit_f64(rng);
    }
    row
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn generate(num_samples: usize, overlap: f64, seed: u64) -> Result<Dataset, CorrelationFamilyError> {
        correlation_family(num_samples, overlap, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    fn in_box(row: &[f64], ranges: &Ranges) -> bool {
        let (lo, hi) = ranges.agent_count;
        let agents_ok = row[0].fract() == 0.0 && (f64::from(lo)..=f64::from(hi)).contains(&row[0]);
        agents_ok && row[1..].iter().zip(ranges.rates).all(|(v, (a, b))| (a..=b).contains(v))
    }

    #[test]
    fn has_the_documented_shape_and_balance() -> Result<(), CorrelationFamilyError> {
        let data = generate(10_000, 0.0, 42)?;
        assert_eq!((data.n_rows(), data.n_features()), (10_000, 5));
        assert_eq!(data.feature_names(), CORRELATION_FAMILY_FEATURES);
        assert_eq!(data.row_ids(), (0..10_000).collect::<Vec<u64>>());
        assert_eq!(data.n_positive(), 3_500);
        // Shuffled: the labels are not in generation order.
        assert!(data.y()[..100].contains(&1) && data.y()[9_900..].contains(&0));
        for overlap in [0.1, 0.3] {
            let share = generate(10_000, overlap, 7)?.n_positive() as f64 / 10_000.0;
            assert!((share - 0.35).abs() <= 0.02, "{share}");
        }
        assert_eq!(generate(7, 0.0, 1)?.n_positive(), 3); // int(7 * 0.65) = 4 normal rows
        assert_eq!(generate(0, 0.0, 1)?.n_rows(), 0);
        Ok(())
    }

    #[test]
    fn without_overlap_each_class_stays_in_its_ranges() -> Result<(), CorrelationFamilyError> {
        let data = generate(5_000, 0.0, 3)?;
        let mut patterns = [0usize; 3];
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            let row = row.to_vec();
            // Separable: a one-feature threshold classifies every row.
            assert_eq!(label == 1, row[0] >= 4.0);
            if label == 0 {
                assert!(in_box(&row, &NORMAL), "{row:?}");
            } else {
                let pattern = ATTACKS.iter().position(|ranges| in_box(&row, ranges));
                assert!(pattern.is_some(), "{row:?}");
                patterns[pattern.unwrap_or_default()] += 1;
            }
        }
        // Boxes overlap between patterns, so only check that each is used.
        assert!(patterns.iter().all(|&count| count > 100), "{patterns:?}");
        Ok(())
    }

    #[test]
    fn overlap_moves_rows_into_the_other_class_ranges() -> Result<(), CorrelationFamilyError> {
        let data = generate(20_000, 0.2, 5)?;
        let mut swapped = [0usize; 2];
        let mut counts = [0usize; 2];
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            let looks_normal = in_box(&row.to_vec(), &NORMAL);
            counts[usize::from(label)] += 1;
            swapped[usize::from(label)] += usize::from(looks_normal == (label == 1));
        }
        for class in 0..2 {
            let share = swapped[class] as f64 / counts[class] as f64;
            assert!((share - 0.2).abs() < 0.02, "class {class}: {share}");
        }
        Ok(())
    }

    #[test]
    fn seed_and_overlap_decide_the_data() -> Result<(), CorrelationFamilyError> {
        assert_eq!(generate(300, 0.0, 5)?, generate(300, 0.0, 5)?);
        assert_eq!(generate(300, 0.25, 5)?, generate(300, 0.25, 5)?);
        assert_ne!(generate(300, 0.0, 5)?.x(), generate(300, 0.0, 6)?.x());
        assert_ne!(generate(300, 0.0, 5)?.x(), generate(300, 0.25, 5)?.x());
        Ok(())
    }

    #[test]
    fn coordination_classes_differ_only_jointly() -> Result<(), CorrelationFamilyError> {
        let data = coordination_family(20_000, 0.0, &mut ChaCha8Rng::seed_from_u64(9))?;
        assert_eq!((data.n_rows(), data.n_positive()), (20_000, 7_000));
        let mut means = [[0.0; 5]; 2];
        let mut counts = [0.0; 2];
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            // The label is exactly "time_correlation and payload_similarity agree".
            assert_eq!(label == 1, (row[3] > 0.5) == (row[4] > 0.5), "{row:?}");
            assert!(in_box(&row.to_vec(), &SHARED), "{row:?}");
            counts[usize::from(label)] += 1.0;
            for (m, v) in means[usize::from(label)].iter_mut().zip(row) {
                *m += v;
            }
        }
        // Every feature has (nearly) the same mean in both classes: nothing separates them
        // one feature at a time. Relative to each feature's range.
        let widths = [19.0, 99.0, 0.95, 1.0, 1.0];
        for j in 0..5 {
            let gap = (means[0][j] / counts[0] - means[1][j] / counts[1]).abs() / widths[j];
            assert!(gap < 0.02, "feature {j}: {gap}");
        }
        let noisy = coordination_family(20_000, 0.2, &mut ChaCha8Rng::seed_from_u64(9))?;
        let disagree =
            noisy.x().outer_iter().zip(noisy.y()).filter(|(r, l)| (**l == 1) != ((r[3] > 0.5) == (r[4] > 0.5))).count();
        assert!((disagree as f64 / 20_000.0 - 0.2).abs() < 0.01, "{disagree}");
        Ok(())
    }

    #[test]
    fn rejects_overlap_outside_the_unit_interval() {
        let message = |overlap: f64| generate(10, overlap, 1).map_or_else(|e| e.to_string(), |_| "ok".to_owned());
        assert_eq!(message(0.999), "ok");
        assert_eq!(message(1.0), "overlap 1 is outside [0, 1)");
        assert_eq!(message(-0.1), "overlap -0.1 is outside [0, 1)");
        assert_eq!(message(f64::NAN), "overlap NaN is outside [0, 1)");
    }
}
