//! Helpers the models' unit tests share: a split, a cancel flag that never fires, an accuracy
//! at threshold 0.5 and bit patterns to compare predictions exactly. Each model's tests used to
//! carry its own copy.

use std::error::Error;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::{Dataset, SplitConfig, SplitStrategy, Splits, split};

/// A cancel check that never asks to stop.
pub(crate) fn never() -> bool {
    false
}

/// An 80/20 stratified split of `data`, seeded.
pub(crate) fn stratified(data: &Dataset, seed: u64) -> Result<Splits, Box<dyn Error>> {
    let config = SplitConfig { strategy: SplitStrategy::Stratified, train_ratio: 0.8, calibration_ratio: None };
    Ok(split(data, &config, &mut ChaCha8Rng::seed_from_u64(seed))?)
}

/// The share of rows whose probability, thresholded at 0.5, matches the label.
pub(crate) fn accuracy(probabilities: &[f64], labels: &[u8]) -> f64 {
    let correct = probabilities.iter().zip(labels).filter(|&(&p, &y)| u8::from(p >= 0.5) == y).count();
    correct as f64 / labels.len() as f64
}

/// The bit patterns of `values`, so two predictions compare exactly (and NaN equals NaN).
pub(crate) fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}
