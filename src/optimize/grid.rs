//! The grid of a search space: every combination of each parameter's grid values.

use thiserror::Error;

use super::{Config, Param, ParamValue, SearchSpace};

/// The largest grid [`grid`] materialises at all. Each point is a full training run, so a grid
/// past this size is a mistake in the space (e.g. an integer range written in place of a list);
/// shrink the ranges or use random or evolutionary search. Manifests are held to a tighter
/// `[limits] max_grid` (100,000 by default), which may be raised up to this.
pub const MAX_GRID_SIZE: u128 = 10_000_000;

/// Why a space has no usable grid.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GridError {
    /// A float range without enough grid points.
    #[error(
        "float range `{name}` needs at least 2 grid steps (set `steps` on it, or a search-wide default), got {steps}"
    )]
    TooFewSteps {
        /// The parameter's name.
        name: String,
        /// The steps in effect.
        steps: usize,
    },
    /// A grid larger than [`MAX_GRID_SIZE`].
    #[error("grid has {size} configurations, more than the limit of {limit}")]
    TooLarge {
        /// The grid's size (saturating at `u128::MAX`).
        size: u128,
        /// [`MAX_GRID_SIZE`].
        limit: u128,
    },
}

/// The number of grid points, computed without building them so the caller can print it (or
/// refuse) before any training starts. A float range uses its own `steps`, else `float_steps`.
pub fn grid_size(space: &SearchSpace, float_steps: usize) -> Result<u128, GridError> {
    let mut size: u128 = 1;
    for (name, param) in space.params() {
        size = size.saturating_mul(param_grid_len(name, param, float_steps)?);
    }
    Ok(size)
}

/// Every grid point, as the cartesian product of the parameters' grid values nested in name
/// order (the last name varies fastest, like Python's `itertools.product`).
///
/// - a choice contributes its values in the order written;
/// - an integer range contributes every integer from `lo` to `hi`;
/// - a float range contributes `steps` points from `lo` to `hi` inclusive, evenly spaced on
///   its scale (geometrically when `log`), interior points rounded to 12 significant digits
///   so that `1e-3` is not written `0.0009999999999999998`.
pub fn grid(space: &SearchSpace, float_steps: usize) -> Result<Vec<Config>, GridError> {
    let size = grid_size(space, float_steps)?;
    if size > MAX_GRID_SIZE {
        return Err(GridError::TooLarge { size, limit: MAX_GRID_SIZE });
    }
    let mut configs = vec![Config::new()];
    for (name, param) in space.params() {
        let values = param_grid_values(name, param, float_steps)?;
        configs = configs
            .into_iter()
            .flat_map(|config| {
                values.iter().map(move |value| {
                    let mut next = config.clone();
                    next.insert(name.clone(), value.clone());
                    next
                })
            })
            .collect();
    }
    Ok(configs)
}

fn effective_steps(name: &str, lo: f64, hi: f64, steps: Option<usize>, float_steps: usize) -> Result<usize, GridError> {
    if lo == hi {
        return Ok(1);
    }
    let steps = steps.unwrap_or(float_steps);
    if steps < 2 {
        return Err(GridError::TooFewSteps { name: name.to_owned(), steps });
    }
    Ok(steps)
}

fn param_grid_len(name: &str, param: &Param, float_steps: usize) -> Result<u128, GridError> {
    Ok(match param {
        Param::Choice(values) => values.len() as u128,
        Param::Int { lo, hi, .. } => (i128::from(*hi) - i128::from(*lo) + 1) as u128,
        Param::Float { lo, hi, steps, .. } => effective_steps(name, *lo, *hi, *steps, float_steps)? as u128,
    })
}

fn param_grid_values(name: &str, param: &Param, float_steps: usize) -> Result<Vec<ParamValue>, GridError> {
    Ok(match param {
        Param::Choice(values) => values.clone(),
        Param::Int { lo, hi, .. } => (*lo..=*hi).map(ParamValue::Int).collect(),
        Param::Float { lo, hi, log, steps } => {
            let steps = effective_steps(name, *lo, *hi, *steps, float_steps)?;
            if steps == 1 {
                return Ok(vec![ParamValue::Float(*lo)]);
            }
            let last = steps - 1;
            (0..steps)
                .map(|index| {
                    let value = if index == 0 {
                        *lo
                    } else if index == last {
                        *hi
                    } else {
                        let fraction = index as f64 / last as f64;
                        let raw = if *log {
                            (lo.ln() + fraction * (hi.ln() - lo.ln())).exp()
                        } else {
                            lo + fraction * (hi - lo)
                        };
                        round_significant(raw).clamp(*lo, *hi)
                    };
                    ParamValue::Float(value)
                })
                .collect()
        }
    })
}

/// Rounds to 12 significant digits through the decimal text, which is exact and portable.
fn round_significant(value: f64) -> f64 {
    format!("{value:.11e}").parse().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::super::config_id;
    use super::*;

    fn space(params: &[(&str, Param)]) -> SearchSpace {
        SearchSpace::new(params.iter().map(|(name, param)| ((*name).to_owned(), param.clone())).collect())
            .expect("valid space")
    }

    #[test]
    fn grid_visits_exactly_its_grid() {
        let space = space(&[
            ("act", Param::Choice(vec!["relu".into(), "tanh".into(), "gelu".into()])),
            ("depth", Param::Int { lo: 2, hi: 5, log: false }),
            ("lr", Param::Float { lo: 1e-4, hi: 1e-1, log: true, steps: None }),
            ("dropout", Param::Float { lo: 0.0, hi: 0.5, log: false, steps: Some(6) }),
        ]);
        assert_eq!(grid_size(&space, 4), Ok(3 * 4 * 4 * 6));
        let configs = grid(&space, 4).expect("small grid");
        assert_eq!(configs.len(), 288);
        let ids: BTreeSet<String> = configs.iter().map(config_id).collect();
        assert_eq!(ids.len(), 288, "grid points are distinct");
        let lrs: BTreeSet<String> = configs.iter().map(|c| c["lr"].to_string()).collect();
        assert_eq!(lrs, BTreeSet::from(["0.0001", "0.001", "0.01", "0.1"].map(String::from)));
        let dropouts: BTreeSet<String> = configs.iter().map(|c| c["dropout"].to_string()).collect();
        assert_eq!(dropouts, BTreeSet::from(["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"].map(String::from)));
        for config in &configs {
            assert_eq!(space.check(config), Ok(()));
        }
    }

    #[test]
    fn grid_nests_in_name_order_last_name_fastest() {
        let space = space(&[
            ("b", Param::Choice(vec![ParamValue::Int(1), ParamValue::Int(2)])),
            ("a", Param::Choice(vec![ParamValue::Bool(false), ParamValue::Bool(true)])),
        ]);
        let rendered: Vec<String> = grid(&space, 0).expect("grid").iter().map(super::super::canonical_json).collect();
        assert_eq!(
            rendered,
            [r#"{"a":false,"b":1}"#, r#"{"a":false,"b":2}"#, r#"{"a":true,"b":1}"#, r#"{"a":true,"b":2}"#]
        );
    }

    #[test]
    fn float_ranges_need_steps() {
        let space = space(&[("lr", Param::Float { lo: 0.0, hi: 1.0, log: false, steps: None })]);
        assert_eq!(grid_size(&space, 0), Err(GridError::TooFewSteps { name: "lr".to_owned(), steps: 0 }));
        assert_eq!(
            grid(&space, 1).expect_err("one step").to_string(),
            "float range `lr` needs at least 2 grid steps (set `steps` on it, or a search-wide default), got 1"
        );
        let single = self::space(&[("lr", Param::Float { lo: 0.5, hi: 0.5, log: false, steps: None })]);
        assert_eq!(grid(&single, 0).expect("single point").len(), 1);
    }

    #[test]
    fn oversized_grids_are_refused_before_materialising() {
        let params: BTreeMap<String, Param> =
            (0..4).map(|i| (format!("p{i}"), Param::Int { lo: 0, hi: 99, log: false })).collect();
        let space = SearchSpace::new(params).expect("valid");
        assert_eq!(grid_size(&space, 0), Ok(100_000_000));
        assert_eq!(grid(&space, 0), Err(GridError::TooLarge { size: 100_000_000, limit: MAX_GRID_SIZE }));
        let huge = self::space(&[("p", Param::Int { lo: i64::MIN, hi: i64::MAX, log: false })]);
        assert_eq!(grid_size(&huge, 0), Ok(1u128 << 64));
    }
}
