//! A toy objective with one clearly best region, shared by the search tests.

use std::collections::BTreeMap;

use super::{Config, Param, ParamValue, SearchSpace};

/// A log learning rate over five decades, an integer depth and a categorical optimiser.
pub(super) fn toy_space() -> SearchSpace {
    SearchSpace::new(BTreeMap::from([
        ("lr".to_owned(), Param::Float { lo: 1e-5, hi: 1.0, log: true, steps: None }),
        ("layers".to_owned(), Param::Int { lo: 1, hi: 8, log: false }),
        ("optimizer".to_owned(), Param::Choice(vec!["sgd".into(), "adam".into(), "rmsprop".into()])),
    ]))
    .unwrap_or_else(|error| panic!("toy space is valid: {error}"))
}

/// Trains well only when the learning rate is in `[1e-2, 1e-1]` (score ≥ 0.95 inside, ≤ 0.5
/// outside), mildly prefers 4 layers and `adam`: the optimum is lr = 10^-1.5, 4 layers, adam.
pub(super) fn toy_objective(config: &Config) -> f64 {
    let Some(lr) = config.get("lr").and_then(ParamValue::as_f64) else { return f64::NAN };
    let layers = config.get("layers").and_then(ParamValue::as_f64).unwrap_or(f64::NAN);
    let exponent = lr.log10();
    let lr_score = if (-2.0..=-1.0).contains(&exponent) {
        1.0 - 0.1 * (exponent + 1.5).abs()
    } else {
        0.5 - (exponent + 1.5).abs().min(5.0) * 0.05
    };
    let optimizer = if config.get("optimizer") == Some(&ParamValue::from("adam")) { 0.1 } else { 0.0 };
    lr_score - 0.05 * (layers - 4.0).abs() + optimizer
}
