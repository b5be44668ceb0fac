//! The transformer's feed-forward non-linearity.
//!
//! GELU uses the tanh approximation of Hendrycks and Gimpel, with tanh built on the portable
//! exponential, so a fitted transformer is bit-identical across machines and libm versions.

use serde::{Deserialize, Serialize};

use super::portable_exp::exp_non_positive;

/// `√(2/π)`.
const GELU_SCALE: f64 = 0.797_884_560_802_865_4;
const GELU_CUBIC: f64 = 0.044_715;

/// A position-wise activation function and its derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(u, 0)`; its derivative at 0 is taken as 0.
    Relu,
    /// `u/2 · (1 + tanh(√(2/π) (u + 0.044715 u³)))`: smooth, so gradients have no kinks.
    Gelu,
}

impl Activation {
    #[inline]
    pub fn apply(self, u: f64) -> f64 {
        match self {
            Self::Relu => u.max(0.0),
            Self::Gelu => 0.5 * u * (1.0 + tanh(GELU_SCALE * (u + GELU_CUBIC * u * u * u))),
        }
    }

    #[inline]
    pub fn derivative(self, u: f64) -> f64 {
        match self {
            Self::Relu => {
                if u > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Self::Gelu => {
                let t = tanh(GELU_SCALE * (u + GELU_CUBIC * u * u * u));
                0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * u * u)
            }
        }
    }
}

/// `tanh(v) = sign(v) (1 − e^{−2|v|}) / (1 + e^{−2|v|})`, stable for every `v`.
#[inline]
fn tanh(v: f64) -> f64 {
    let e = exp_non_positive(-2.0 * v.abs());
    ((1.0 - e) / (1.0 + e)).copysign(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_matches_libm() {
        for i in -400..=400 {
            let v = f64::from(i) * 0.05;
            assert!((tanh(v) - v.tanh()).abs() < 1e-15, "{v}");
        }
        assert_eq!(tanh(1e6), 1.0);
        assert_eq!(tanh(-1e6), -1.0);
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for activation in [Activation::Relu, Activation::Gelu] {
            for i in -30..=30 {
                let u = f64::from(i) * 0.2 + 0.013;
                let numeric = (activation.apply(u + h) - activation.apply(u - h)) / (2.0 * h);
                assert!((activation.derivative(u) - numeric).abs() < 1e-8, "{activation:?} at {u}");
            }
        }
        assert_eq!(Activation::Gelu.apply(0.0), 0.0);
        assert!((Activation::Gelu.apply(3.0) - 2.996_362_607_918_227).abs() < 1e-14);
    }
}
