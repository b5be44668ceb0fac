//! A positive, finite pseudo-count: the strength of an additive-smoothing prior.

use serde::{Deserialize, Serialize};

/// An additive-smoothing pseudo-count α > 0.
///
/// A type rather than a checked `f64` so that a zero, negative or non-finite α (which would
/// give unseen tokens probability zero and the anomaly score an infinite value) cannot reach
/// a model: it is refused when the value is built or deserialized.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct PseudoCount(f64);

impl PseudoCount {
    /// `None` unless `value` is positive and finite.
    pub const fn new(value: f64) -> Option<Self> {
        if value > 0.0 && value.is_finite() { Some(Self(value)) } else { None }
    }

    pub const fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for PseudoCount {
    type Error = &'static str;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::new(value).ok_or("pseudo-count must be positive and finite")
    }
}

impl From<PseudoCount> for f64 {
    fn from(count: PseudoCount) -> Self {
        count.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_positive_finite_values() {
        assert_eq!(PseudoCount::new(0.25).map(PseudoCount::get), Some(0.25));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(PseudoCount::new(bad), None, "{bad}");
        }
        let parsed = serde_json::from_str::<PseudoCount>("0").map_err(|e| e.to_string());
        assert_eq!(parsed, Err("pseudo-count must be positive and finite".to_owned()));
    }
}
