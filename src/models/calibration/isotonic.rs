//! Isotonic calibration: the non-decreasing step function of a model's probability that best
//! fits the labels in squared error, interpolated linearly between its steps.
//!
//! It reproduces scikit-learn's `IsotonicRegression(increasing=True, out_of_bounds="clip")`
//! with unit weights, step by step: sort by (input, label); merge inputs closer than
//! `np.finfo(float64).resolution` (1e-15) into one point at the group's first input with the
//! mean label (`_make_unique`); pool adjacent violators (scipy's `isotonic_regression`, the
//! Busing 2022 PAVA); drop points whose fitted value equals both neighbours'; then predict by
//! clipping to the fitted input range and interpolating as `np.interp` does.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::CalibrationError;
use super::inputs::check_inputs;

/// `np.finfo(np.float64).resolution`: scikit-learn's `_make_unique` treats inputs closer than
/// this to the first input of a group as equal.
const MERGE_RESOLUTION: f64 = 1e-15;

/// A fitted isotonic map: `thresholds` strictly increasing, `values` non-decreasing, one
/// value per threshold (scikit-learn's `X_thresholds_` and `y_thresholds_`).
///
/// Deserializing checks these invariants, so a hand-edited map cannot be loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IsotonicFields")]
pub struct Isotonic {
    thresholds: Vec<f64>,
    values: Vec<f64>,
}

/// The saved fields of an [`Isotonic`], before their invariants are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IsotonicFields {
    thresholds: Vec<f64>,
    values: Vec<f64>,
}

impl TryFrom<IsotonicFields> for Isotonic {
    type Error = &'static str;

    fn try_from(fields: IsotonicFields) -> Result<Self, Self::Error> {
        let fitted = Self { thresholds: fields.thresholds, values: fields.values };
        fitted.check()?;
        Ok(fitted)
    }
}

impl Isotonic {
    /// Fits the map from finite `inputs` (usually a model's probabilities) to 0/1 `labels`.
    pub fn fit(inputs: &[f64], labels: &[u8]) -> Result<Self, CalibrationError> {
        check_inputs(inputs, labels)?;
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        // Finite inputs are totally ordered by `partial_cmp`, which, unlike `total_cmp`,
        // treats -0 and 0 as equal, as numpy's `lexsort` does; the sort is stable like it.
        order.sort_by(|&i, &j| {
            inputs[i].partial_cmp(&inputs[j]).unwrap_or(Ordering::Equal).then(labels[i].cmp(&labels[j]))
        });

        let (mut thresholds, mut means, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        let mut group_start = inputs[order[0]];
        let (mut label_sum, mut count) = (0.0, 0.0);
        for &row in &order {
            let input = inputs[row];
            let label = f64::from(labels[row]);
            if input - group_start >= MERGE_RESOLUTION {
                thresholds.push(group_start);
                means.push(label_sum / count);
                weights.push(count);
                (group_start, label_sum, count) = (input, label, 1.0);
            } else {
                label_sum += label;
                count += 1.0;
            }
        }
        thresholds.push(group_start);
        means.push(label_sum / count);
        weights.push(count);

        pool_adjacent_violators(&mut means, &mut weights);

        let last = means.len() - 1;
        let keep = |i: usize| i == 0 || i == last || means[i] != means[i - 1] || means[i] != means[i + 1];
        let kept: Vec<usize> = (0..means.len()).filter(|&i| keep(i)).collect();
        Ok(Self {
            thresholds: kept.iter().map(|&i| thresholds[i]).collect(),
            values: kept.iter().map(|&i| means[i]).collect(),
        })
    }

    /// The fitted value at `input`: inputs outside the fitted range take the nearest end's
    /// value, and inputs in between are interpolated linearly between thresholds.
    pub fn calibrate(&self, input: f64) -> f64 {
        let (xs, ys) = (&self.thresholds, &self.values);
        let last = xs.len() - 1;
        let x = input.clamp(xs[0], xs[last]);
        if x >= xs[last] {
            return ys[last];
        }
        // The segment [xs[j], xs[j + 1]) holding x; NaN stays NaN through the arithmetic.
        let j = xs.partition_point(|&threshold| threshold <= x).saturating_sub(1);
        if xs[j] == x {
            return ys[j];
        }
        let slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
        slope * (x - xs[j]) + ys[j]
    }

    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Checks a deserialized map: at least one point, equal lengths, finite strictly
    /// increasing thresholds and finite non-decreasing values. Returns what is wrong.
    fn check(&self) -> Result<(), &'static str> {
        if self.thresholds.is_empty() || self.thresholds.len() != self.values.len() {
            return Err("isotonic thresholds and values must be non-empty and of equal length");
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&self.thresholds) || !self.thresholds.windows(2).all(|w| w[0] < w[1]) {
            return Err("isotonic thresholds must be finite and strictly increasing");
        }
        if !finite(&self.values) || !self.values.windows(2).all(|w| w[0] <= w[1]) {
            return Err("isotonic values must be finite and non-decreasing");
        }
        Ok(())
    }
}

/// Replaces `values` by their weighted non-decreasing least-squares fit, in place.
///
/// A transcription of scipy 1.17's `pava` (Busing 2022, "Monotone Regression: A Simple and
/// Fast O(n) PAVA Implementation", Algorithm 1 with scipy's `>=` corrections), which is what
/// scikit-learn 1.9 calls; the same operations in the same order give the same bits.
fn pool_adjacent_violators(values: &mut [f64], weights: &mut [f64]) {
    let n = values.len();
    if n < 2 {
        return;
    }
    // Block b covers original indices [ends[b], ends[b + 1]).
    let mut ends = vec![0usize; n + 1];
    ends[1] = 1;
    let mut b = 0;
    let mut previous_value = values[0];
    let mut previous_weight = weights[0];
    let mut i = 1;
    while i < n {
        b += 1;
        let mut value = values[i];
        let mut weight = weights[i];
        if previous_value >= value {
            b -= 1;
            let mut sum = previous_weight * previous_value + weight * value;
            weight += previous_weight;
            value = sum / weight;
            while i < n - 1 && value >= values[i + 1] {
                i += 1;
                sum += weights[i] * values[i];
                weight += weights[i];
                value = sum / weight;
            }
            while b > 0 && values[b - 1] >= value {
                b -= 1;
                sum += weights[b] * values[b];
                weight += weights[b];
                value = sum / weight;
            }
        }
        values[b] = value;
        previous_value = value;
        weights[b] = weight;
        previous_weight = weight;
        ends[b + 1] = i + 1;
        i += 1;
    }
    // Expand the blocks from the back, so block values are read before being overwritten.
    for block in (0..=b).rev() {
        let value = values[block];
        values[ends[block]..ends[block + 1]].fill(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Inputs and expected values from /work/scratch/models_a/ref/isotonic_ref.py:
    // scikit-learn 1.9.1 `IsotonicRegression(out_of_bounds="clip")` on scipy 1.17.1 and
    // numpy 2.4.6. Rows 5-7 hold 0.5, its successor and 0.5 again (merged into one point);
    // rows 8-9 hold -0.0 and 0.0.
    const INPUTS: [f64; 40] = [
        0.63,
        0.9,
        0.78,
        0.23,
        0.3,
        0.5,
        0.5000000000000001,
        0.5,
        -0.0,
        0.0,
        0.3,
        0.28,
        0.25,
        0.45,
        0.5,
        0.55,
        1.0,
        0.79,
        0.62,
        0.99,
        0.22,
        0.16,
        0.61,
        0.04,
        0.04,
        0.51,
        0.47,
        0.92,
        0.63,
        0.51,
        0.5,
        0.25,
        0.01,
        0.19,
        0.69,
        0.2,
        0.37,
        0.0,
        0.83,
        0.15,
    ];
    const LABELS: [u8; 40] = [
        1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0,
        0, 1, 1,
    ];

    fn assert_all_close(found: &[f64], expected: &[f64]) {
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (f, e) in found.iter().zip(expected) {
            assert!((f - e).abs() < 1e-9, "found {found:?}, expected {expected:?}");
        }
    }

    #[test]
    fn matches_scikit_learn_on_ties_and_near_ties() -> Result<(), CalibrationError> {
        let fitted = Isotonic::fit(&INPUTS, &LABELS)?;
        assert_all_close(fitted.thresholds(), &[-0.0, 0.04, 0.15, 0.23, 0.25, 0.37, 0.45, 0.63, 0.69, 1.0]);
        let sixth = 0.16666666666666666;
        let five_sevenths = 0.7142857142857143;
        assert_all_close(fitted.values(), &[0.0, 0.0, sixth, sixth, 0.5, 0.5, five_sevenths, five_sevenths, 1.0, 1.0]);
        let queries = [-0.5, 0.0, 0.013, 0.2, 0.37, 0.5, 0.505, 0.61, 0.777, 0.95, 0.999, 1.0, 2.0];
        let found: Vec<f64> = queries.iter().map(|&q| fitted.calibrate(q)).collect();
        let expected =
            [0.0, 0.0, 0.0, sixth, 0.5, five_sevenths, five_sevenths, five_sevenths, 1.0, 1.0, 1.0, 1.0, 1.0];
        assert_all_close(&found, &expected);
        Ok(())
    }

    #[test]
    fn matches_scikit_learn_between_steps() -> Result<(), CalibrationError> {
        let inputs: Vec<f64> = (0..300).map(|i| ((i * 37) % 97) as f64 / 97.0).collect();
        let labels: Vec<u8> =
            (0..300).map(|i| u8::from((((i * 53) % 101) as f64 / 101.0) < inputs[i] * inputs[i])).collect();
        let fitted = Isotonic::fit(&inputs, &labels)?;
        assert_eq!(fitted.thresholds().len(), 12);
        let queries = [
            -0.05,
            0.0,
            0.05,
            0.10000000000000002,
            0.15000000000000002,
            0.2,
            0.25000000000000006,
            0.30000000000000004,
            0.35000000000000003,
            0.4,
            0.45,
            0.5,
            0.55,
            0.6,
            0.65,
            0.7,
            0.75,
            0.8,
            0.85,
            0.9,
            0.95,
            1.0,
            1.05,
        ];
        let (a, b, c, d) = (0.015384615384615385, 0.09090909090909091, 0.4074074074074074, 0.6666666666666666);
        let expected =
            [0.0, 0.0, 0.013076923076923087, a, a, a, a, b, b, b, b, b, c, c, c, c, c, d, 1.0, 1.0, 1.0, 1.0, 1.0];
        let found: Vec<f64> = queries.iter().map(|&q| fitted.calibrate(q)).collect();
        assert_all_close(&found, &expected);
        Ok(())
    }

    #[test]
    fn a_single_point_is_a_constant() -> Result<(), CalibrationError> {
        let fitted = Isotonic::fit(&[0.3, 0.3, 0.3], &[1, 0, 1])?;
        assert_eq!(fitted.thresholds(), [0.3]);
        assert_eq!([0.0, 0.3, 1.0].map(|p| fitted.calibrate(p)), [2.0 / 3.0; 3]);
        assert_eq!(fitted.check(), Ok(()));
        Ok(())
    }

    #[test]
    fn check_rejects_inconsistent_maps() {
        let map = |thresholds: Vec<f64>, values: Vec<f64>| Isotonic { thresholds, values }.check();
        assert_eq!(map(vec![0.1, 0.5], vec![0.0, 1.0]), Ok(()));
        assert!(map(vec![], vec![]).is_err());
        assert!(map(vec![0.1], vec![0.0, 1.0]).is_err());
        assert!(map(vec![0.5, 0.1], vec![0.0, 1.0]).is_err());
        assert!(map(vec![0.1, 0.5], vec![1.0, 0.0]).is_err());
        assert!(map(vec![0.1, f64::INFINITY], vec![0.0, 1.0]).is_err());
        let parsed = serde_json::from_str::<Isotonic>(r#"{"thresholds": [0.5, 0.1], "values": [0.0, 1.0]}"#);
        assert_eq!(
            parsed.map_err(|e| e.to_string()),
            Err("isotonic thresholds must be finite and strictly increasing".to_owned())
        );
    }

    #[test]
    fn pools_adjacent_violators() {
        // scikit-learn's docstring example for `isotonic_regression`.
        let mut values = [5.0, 3.0, 1.0, 2.0, 8.0, 10.0, 7.0, 9.0, 6.0, 4.0];
        pool_adjacent_violators(&mut values, &mut [1.0; 10]);
        let high = 44.0 / 6.0;
        assert_eq!(values, [2.75, 2.75, 2.75, 2.75, high, high, high, high, high, high]);
        let mut sorted = [1.0, 2.0, 2.0, 3.0];
        pool_adjacent_violators(&mut sorted, &mut [1.0; 4]);
        assert_eq!(sorted, [1.0, 2.0, 2.0, 3.0]);
    }
}
