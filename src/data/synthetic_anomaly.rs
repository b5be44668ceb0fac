//! Synthetic data with the shape of the original trainer's anomaly family: short action
//! sequences drawn from 8 normal and 8 anomalous patterns.
//!
//! The original stores each sample as a list of action names. [`Dataset`] is numeric, so a
//! sequence becomes the token-id columns `action_0`, `action_1`, `action_2`, each an `f64`
//! holding the integer position of the action in [`ACTIONS`].
//!
//! As in the original, the first `int(n * 0.7)` rows are normal and the rest anomalous, each
//! a uniformly chosen pattern of its class, and the rows are then shuffled. The draws come
//! from the caller's seeded [`ChaCha8Rng`] through [`super::sampling`], so CPython's stream
//! (and with it the original's exact rows for a seed) is deliberately not reproduced; see
//! [`super::synthetic`] for why.
//!
//! The original task is trivial: the two classes use disjoint actions, so one action decides
//! the label. The `noise` parameter makes it honest: each action is, with probability
//! `noise`, replaced by an action of the *other* class, so both classes share vocabulary and
//! a model has to weigh the evidence of the whole sequence.

use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use super::Dataset;
use super::sampling::{index_below, shuffle, unit_f64};

/// Number of actions in one sequence.
pub const SEQUENCE_LENGTH: usize = 3;

/// Prefix of the token-id columns; models treat columns named `action_<i>` as categorical
/// tokens rather than numbers.
pub const ACTION_COLUMN_PREFIX: &str = "action_";

/// The original's normal patterns (§2.3 of the spec), in its order.
pub const NORMAL_PATTERNS: [[&str; SEQUENCE_LENGTH]; 8] = [
    ["read", "process", "write"],
    ["fetch", "transform", "load"],
    ["query", "filter", "aggregate"],
    ["request", "authenticate", "respond"],
    ["open", "read", "close"],
    ["connect", "send", "receive"],
    ["validate", "process", "store"],
    ["load", "analyze", "report"],
];

/// The original's anomalous patterns, in its order.
pub const ANOMALOUS_PATTERNS: [[&str; SEQUENCE_LENGTH]; 8] = [
    ["delete", "exfiltrate", "cover_tracks"],
    ["escalate", "access", "exfiltrate"],
    ["scan", "exploit", "inject"],
    ["brute_force", "access", "modify"],
    ["bypass", "steal", "hide"],
    ["probe", "breach", "extract"],
    ["intercept", "decrypt", "leak"],
    ["overflow", "execute", "control"],
];

/// Every action of the 16 patterns, deduplicated, in order of first appearance (normal
/// patterns first). An action's token id is its index here, so the ids are fixed by this
/// list: the normal actions are ids `0..NORMAL_ACTION_COUNT`, the anomalous ones the rest.
pub const ACTIONS: [&str; 43] = [
    "read",
    "process",
    "write",
    "fetch",
    "transform",
    "load",
    "query",
    "filter",
    "aggregate",
    "request",
    "authenticate",
    "respond",
    "open",
    "close",
    "connect",
    "send",
    "receive",
    "validate",
    "store",
    "analyze",
    "report",
    "delete",
    "exfiltrate",
    "cover_tracks",
    "escalate",
    "access",
    "scan",
    "exploit",
    "inject",
    "brute_force",
    "modify",
    "bypass",
    "steal",
    "hide",
    "probe",
    "breach",
    "extract",
    "intercept",
    "decrypt",
    "leak",
    "overflow",
    "execute",
    "control",
];

/// Number of distinct actions in the normal patterns; the two classes share none.
pub const NORMAL_ACTION_COUNT: usize = 21;

/// Share of normal rows, as in the original (`int(n * 0.7)`).
const NORMAL_SHARE: f64 = 0.7;

/// The token id of an action name, if it is one of [`ACTIONS`].
pub fn action_id(name: &str) -> Option<usize> {
    ACTIONS.iter().position(|&action| action == name)
}

/// The action name of a token id, accepting the `f64` form stored in the dataset; `None` for
/// anything that is not the exact id of an action.
pub fn action_name(id: f64) -> Option<&'static str> {
    if id.fract() != 0.0 || id < 0.0 {
        return None;
    }
    ACTIONS.get(id as usize).copied()
}

/// The names of the token-id columns: `action_0`, `action_1`, `action_2`.
pub fn action_columns() -> Vec<String> {
    (0..SEQUENCE_LENGTH).map(|position| format!("{ACTION_COLUMN_PREFIX}{position}")).collect()
}

/// A `noise` outside [0, 1): the probability of replacing an action.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("action noise {value} is outside [0, 1)")]
pub struct InvalidNoise {
    pub value: f64,
}

/// `num_samples` rows of the anomaly family; see the module docs.
///
/// Rows are generated in the original's order (normal first, each picking its pattern, then
/// for each action the noise draw and, if it fires, the replacement), then shuffled; row ids
/// are the final positions `0..num_samples`. A replacement is drawn uniformly from the other
/// class's distinct actions. With `noise == 0` no noise draws are made at all.
pub fn anomaly_family(num_samples: usize, noise: f64, rng: &mut ChaCha8Rng) -> Result<Dataset, InvalidNoise> {
    if !(0.0..1.0).contains(&noise) {
        return Err(InvalidNoise { value: noise });
    }
    let normal_rows = (num_samples as f64 * NORMAL_SHARE) as usize;
    let (normal_actions, anomalous_actions) = ACTIONS.split_at(NORMAL_ACTION_COUNT);
    let mut rows: Vec<([usize; SEQUENCE_LENGTH], u8)> = Vec::with_capacity(num_samples);
    for index in 0..num_samples {
        let label = u8::from(index >= normal_rows);
        let (patterns, other_offset, other_actions) = if label == 0 {
            (&NORMAL_PATTERNS, NORMAL_ACTION_COUNT, anomalous_actions)
        } else {
            (&ANOMALOUS_PATTERNS, 0, normal_actions)
        };
        let pattern = &patterns[index_below(rng, patterns.len())];
        let mut sequence = [0; SEQUENCE_LENGTH];
        for (slot, action) in sequence.iter_mut().zip(pattern) {
            *slot = action_id(action).unwrap_or_default();
            if noise > 0.0 && unit_f64(rng) < noise {
                *slot = other_offset + index_below(rng, other_actions.len());
            }
        }
        rows.push((sequence, label));
    }
    shuffle(&mut rows, rng);

    let mut x = Array2::zeros((num_samples, SEQUENCE_LENGTH));
    let mut y = Vec::with_capacity(num_samples);
    for (mut out, (sequence, label)) in x.outer_iter_mut().zip(&rows) {
        for (value, &id) in out.iter_mut().zip(sequence) {
            *value = id as f64;
        }
        y.push(*label);
    }
    Ok(Dataset::from_checked_parts(action_columns(), x, y, (0..num_samples as u64).collect()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::SeedableRng;

    use super::*;

    fn generate(num_samples: usize, noise: f64, seed: u64) -> Result<Dataset, InvalidNoise> {
        anomaly_family(num_samples, noise, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    fn names(row: ndarray::ArrayView1<'_, f64>) -> Vec<&'static str> {
        row.iter().map(|&id| action_name(id).unwrap_or("?")).collect()
    }

    #[test]
    fn actions_are_the_patterns_deduplicated_in_first_appearance_order() {
        let mut expected: Vec<&str> = Vec::new();
        for action in NORMAL_PATTERNS.iter().chain(&ANOMALOUS_PATTERNS).flatten() {
            if !expected.contains(action) {
                expected.push(action);
            }
        }
        assert_eq!(expected, ACTIONS);
        let normal: BTreeSet<&str> = NORMAL_PATTERNS.iter().flatten().copied().collect();
        assert_eq!(normal.len(), NORMAL_ACTION_COUNT);
        assert!(ACTIONS[..NORMAL_ACTION_COUNT].iter().all(|action| normal.contains(action)));
    }

    #[test]
    fn ids_and_names_map_both_ways() {
        for (id, name) in ACTIONS.iter().enumerate() {
            assert_eq!(action_id(name), Some(id));
            assert_eq!(action_name(id as f64), Some(*name));
        }
        assert_eq!(action_id("dance"), None);
        for bad in [-1.0, 0.5, 43.0, f64::NAN, f64::INFINITY] {
            assert_eq!(action_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn has_the_documented_shape_and_class_split() -> Result<(), InvalidNoise> {
        for (rows, normal) in [(1000, 700), (10, 7), (3, 2), (0, 0)] {
            let data = generate(rows, 0.2, 1)?;
            assert_eq!((data.n_rows(), data.n_features()), (rows, SEQUENCE_LENGTH));
            assert_eq!(data.feature_names(), ["action_0", "action_1", "action_2"]);
            assert_eq!(data.n_rows() - data.n_positive(), normal);
            assert_eq!(data.row_ids(), (0..rows as u64).collect::<Vec<_>>());
            assert!(data.x().iter().all(|&id| action_name(id).is_some()));
        }
        Ok(())
    }

    #[test]
    fn rows_are_shuffled() -> Result<(), InvalidNoise> {
        let data = generate(1000, 0.0, 2)?;
        assert!(data.y()[..100].contains(&1));
        assert!(data.y()[900..].contains(&0));
        Ok(())
    }

    #[test]
    fn without_noise_every_row_is_a_pattern_of_its_class() -> Result<(), InvalidNoise> {
        let data = generate(2000, 0.0, 3)?;
        let mut seen = BTreeSet::new();
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            let patterns = if label == 0 { &NORMAL_PATTERNS } else { &ANOMALOUS_PATTERNS };
            let sequence = names(row);
            assert!(patterns.iter().any(|pattern| pattern[..] == sequence[..]), "{sequence:?} {label}");
            seen.insert(sequence);
        }
        assert_eq!(seen.len(), 16);
        Ok(())
    }

    #[test]
    fn noise_swaps_in_actions_of_the_other_class() -> Result<(), InvalidNoise> {
        let data = generate(10_000, 0.3, 4)?;
        let mut foreign = 0;
        for (row, &label) in data.x().outer_iter().zip(data.y()) {
            for &id in row {
                let normal_action = (id as usize) < NORMAL_ACTION_COUNT;
                foreign += usize::from(normal_action == (label == 1));
            }
        }
        let share = foreign as f64 / (10_000 * SEQUENCE_LENGTH) as f64;
        assert!((share - 0.3).abs() < 0.01, "{share}");
        Ok(())
    }

    #[test]
    fn seed_decides_the_data() -> Result<(), InvalidNoise> {
        assert_eq!(generate(500, 0.3, 5)?, generate(500, 0.3, 5)?);
        assert_ne!(generate(500, 0.3, 5)?.x(), generate(500, 0.3, 6)?.x());
        Ok(())
    }

    #[test]
    fn rejects_noise_outside_the_unit_interval() {
        for noise in [-0.1, 1.0, f64::NAN] {
            let message = generate(10, noise, 1).map_or_else(|e| e.to_string(), |_| "ok".to_owned());
            assert_eq!(message, format!("action noise {noise} is outside [0, 1)"));
        }
    }
}
