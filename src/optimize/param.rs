//! One named dimension of a search space: a list of choices, or an integer or float range.

use std::fmt;

use rand::{Rng, RngExt};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use thiserror::Error;

use super::ParamValue;

/// A search parameter.
///
/// Ranges are inclusive. `log = true` makes the search treat the range on a logarithmic scale
/// (sampling uniform in `ln` space, mutation steps and grid spacing in `ln` space), which is
/// what one wants for learning rates and regularisation strengths spanning decades.
///
/// In a manifest a list is a [`Param::Choice`] and a table `{ min = 1, max = 5, log = true }`
/// is a range: an integer range when both bounds are integers, a float range otherwise. A
/// float range may carry `steps = N`, its number of grid points.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// One of a fixed list of values (no duplicates).
    Choice(Vec<ParamValue>),
    /// An integer in `lo..=hi`; with `log`, `lo` must be at least 1.
    Int {
        /// Smallest value.
        lo: i64,
        /// Largest value.
        hi: i64,
        /// Treat the range on a logarithmic scale.
        log: bool,
    },
    /// A float in `lo..=hi`; with `log`, `lo` must be above 0.
    Float {
        /// Smallest value.
        lo: f64,
        /// Largest value.
        hi: f64,
        /// Treat the range on a logarithmic scale.
        log: bool,
        /// Grid points for grid search; overrides the search-wide default.
        steps: Option<usize>,
    },
}

/// Why a parameter definition is unusable.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParamError {
    /// A choice list with nothing to choose.
    #[error("choice list is empty")]
    EmptyChoice,
    /// A choice list naming one value twice, which would bias sampling and repeat grid points.
    #[error("choice list repeats the value {value}")]
    DuplicateChoice {
        /// The repeated value, rendered as JSON.
        value: String,
    },
    /// A range whose minimum is above its maximum.
    #[error("range minimum {lo} is above its maximum {hi}")]
    InvertedRange {
        /// The minimum as written.
        lo: String,
        /// The maximum as written.
        hi: String,
    },
    /// A log-scaled range that reaches zero or below, where the logarithm is undefined.
    #[error("a log range needs a minimum above 0 (at least 1 for integers), got {lo}")]
    LogNonPositive {
        /// The minimum as written.
        lo: String,
    },
    /// A NaN or infinite bound or choice.
    #[error("value {value} is not finite")]
    NonFinite {
        /// The offending value.
        value: f64,
    },
    /// A range bound that is not a number.
    #[error("range bound `{field}` must be a number, got {value}")]
    BoundNotNumber {
        /// `min` or `max`.
        field: &'static str,
        /// The value as written.
        value: String,
    },
    /// `steps` on an integer range, which enumerates every integer instead.
    #[error("`steps` applies to float ranges only; an integer range takes every integer")]
    StepsOnIntRange,
    /// Fewer than two grid points for a range that is not a single value.
    #[error("a float range needs at least 2 grid steps, got {steps}")]
    TooFewSteps {
        /// The requested number of steps.
        steps: usize,
    },
}

impl Param {
    /// Checks the invariants the searches rely on.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            Self::Choice(values) => {
                if values.is_empty() {
                    return Err(ParamError::EmptyChoice);
                }
                for (index, value) in values.iter().enumerate() {
                    if let ParamValue::Float(float) = value
                        && !float.is_finite()
                    {
                        return Err(ParamError::NonFinite { value: *float });
                    }
                    if values[..index].contains(value) {
                        return Err(ParamError::DuplicateChoice { value: value.to_string() });
                    }
                }
                Ok(())
            }
            Self::Int { lo, hi, log } => {
                if lo > hi {
                    return Err(ParamError::InvertedRange { lo: lo.to_string(), hi: hi.to_string() });
                }
                if *log && *lo < 1 {
                    return Err(ParamError::LogNonPositive { lo: lo.to_string() });
                }
                Ok(())
            }
            Self::Float { lo, hi, log, steps } => {
                for bound in [lo, hi] {
                    if !bound.is_finite() {
                        return Err(ParamError::NonFinite { value: *bound });
                    }
                }
                if lo > hi {
                    return Err(ParamError::InvertedRange { lo: lo.to_string(), hi: hi.to_string() });
                }
                if *log && *lo <= 0.0 {
                    return Err(ParamError::LogNonPositive { lo: lo.to_string() });
                }
                match steps {
                    Some(steps) if *steps < 2 && lo < hi => Err(ParamError::TooFewSteps { steps: *steps }),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Draws a value: uniform over choices, uniform over a range on its (log) scale.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> ParamValue {
        match self {
            Self::Choice(values) => values[rng.random_range(0..values.len())].clone(),
            Self::Int { .. } | Self::Float { .. } => self.from_unit(rng.random::<f64>()),
        }
    }

    /// Whether `value` is a point of this parameter (a baseline must be inside the space).
    pub fn contains(&self, value: &ParamValue) -> bool {
        match (self, value) {
            (Self::Choice(values), _) => values.contains(value),
            (Self::Int { lo, hi, .. }, ParamValue::Int(v)) => lo <= v && v <= hi,
            (Self::Float { lo, hi, .. }, ParamValue::Float(v)) => lo <= v && v <= hi,
            _ => false,
        }
    }

    /// Maps a range value to `[0, 1]` on the range's scale; `None` for choices and foreign
    /// values.
    ///
    /// An integer owns the cell `[v, v + 1)` of the continuous range `[lo, hi + 1)`; its unit
    /// position is the middle of that cell, so `from_unit(to_unit(v)) == v` and a mutation
    /// step has to cross half a cell before it changes the integer.
    pub fn to_unit(&self, value: &ParamValue) -> Option<f64> {
        match (self, value) {
            (Self::Int { lo, hi, log }, ParamValue::Int(v)) => {
                let (lo, hi, v) = (*lo as f64, *hi as f64, *v as f64);
                let unit = if *log {
                    ((v + 0.5).ln() - lo.ln()) / ((hi + 1.0).ln() - lo.ln())
                } else {
                    (v - lo + 0.5) / (hi - lo + 1.0)
                };
                Some(unit.clamp(0.0, 1.0))
            }
            (Self::Float { lo, hi, log, .. }, ParamValue::Float(v)) => {
                if hi <= lo {
                    return Some(0.0);
                }
                let unit = if *log { (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) } else { (v - lo) / (hi - lo) };
                Some(unit.clamp(0.0, 1.0))
            }
            _ => None,
        }
    }

    /// Maps a unit position back to a range value (clamped into the bounds, integers floored
    /// to their cell); choices return their first value, as they have no scale.
    pub fn from_unit(&self, unit: f64) -> ParamValue {
        let unit = if unit.is_nan() { 0.0 } else { unit.clamp(0.0, 1.0) };
        match self {
            Self::Choice(values) => values[0].clone(),
            Self::Int { lo, hi, log } => {
                let (lo_f, hi_f) = (*lo as f64, *hi as f64);
                let continuous = if *log {
                    (lo_f.ln() + unit * ((hi_f + 1.0).ln() - lo_f.ln())).exp()
                } else {
                    lo_f + unit * (hi_f - lo_f + 1.0)
                };
                // The float → int cast saturates, and the clamp keeps the top edge (unit = 1)
                // and rounding noise inside the range.
                ParamValue::Int((continuous.floor() as i64).clamp(*lo, *hi))
            }
            Self::Float { lo, hi, log, .. } => {
                let value = if *log { (lo.ln() + unit * (hi.ln() - lo.ln())).exp() } else { lo + unit * (hi - lo) };
                ParamValue::Float(value.clamp(*lo, *hi))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

/// Reads a list as a choice and a table as a range, without buffering the input (so a
/// format's own error positions survive), then validates.
struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of values or a range table { min = .., max = .., log = .., steps = .. }")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Param, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element::<ParamValue>()? {
            values.push(value);
        }
        let param = Param::Choice(values);
        param.validate().map_err(de::Error::custom)?;
        Ok(param)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Param, A::Error> {
        const FIELDS: &[&str] = &["min", "max", "log", "steps"];
        let (mut min, mut max, mut log, mut steps) = (None, None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "min" if min.is_none() => min = Some(map.next_value::<ParamValue>()?),
                "max" if max.is_none() => max = Some(map.next_value::<ParamValue>()?),
                "log" if log.is_none() => log = Some(map.next_value::<bool>()?),
                "steps" if steps.is_none() => steps = Some(map.next_value::<usize>()?),
                "min" | "max" | "log" | "steps" => return Err(de::Error::custom(format!("duplicate field `{key}`"))),
                _ => return Err(de::Error::unknown_field(&key, FIELDS)),
            }
        }
        let min = min.ok_or_else(|| de::Error::missing_field("min"))?;
        let max = max.ok_or_else(|| de::Error::missing_field("max"))?;
        let log = log.unwrap_or(false);
        let param = match (min, max) {
            (ParamValue::Int(lo), ParamValue::Int(hi)) => {
                if steps.is_some() {
                    return Err(de::Error::custom(ParamError::StepsOnIntRange));
                }
                Param::Int { lo, hi, log }
            }
            (min, max) => Param::Float { lo: bound_as_f64("min", &min)?, hi: bound_as_f64("max", &max)?, log, steps },
        };
        param.validate().map_err(de::Error::custom)?;
        Ok(param)
    }
}

fn bound_as_f64<E: de::Error>(field: &'static str, value: &ParamValue) -> Result<f64, E> {
    value.as_f64().ok_or_else(|| de::Error::custom(ParamError::BoundNotNumber { field, value: value.to_string() }))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Holder {
        p: Param,
    }

    fn parse(text: &str) -> Result<Param, String> {
        toml::from_str::<Holder>(text).map(|holder| holder.p).map_err(|error| error.message().to_owned())
    }

    #[test]
    fn list_is_a_choice_and_tables_are_ranges() {
        assert_eq!(
            parse(r#"p = ["adam", "sgd"]"#),
            Ok(Param::Choice(vec![ParamValue::from("adam"), ParamValue::from("sgd")]))
        );
        assert_eq!(parse("p = { min = 1, max = 5 }"), Ok(Param::Int { lo: 1, hi: 5, log: false }));
        assert_eq!(
            parse("p = { min = 1e-5, max = 1, log = true }"),
            Ok(Param::Float { lo: 1e-5, hi: 1.0, log: true, steps: None })
        );
        assert_eq!(
            parse("p = { min = 0.0, max = 1.0, steps = 5 }"),
            Ok(Param::Float { lo: 0.0, hi: 1.0, log: false, steps: Some(5) })
        );
    }

    #[test]
    fn invalid_definitions_are_refused_with_their_reason() {
        assert_eq!(parse("p = []"), Err("choice list is empty".to_owned()));
        assert_eq!(parse("p = [1, 2, 1]"), Err("choice list repeats the value 1".to_owned()));
        assert_eq!(parse("p = { min = 5, max = 1 }"), Err("range minimum 5 is above its maximum 1".to_owned()));
        assert_eq!(
            parse("p = { min = 0.0, max = 1.0, log = true }"),
            Err("a log range needs a minimum above 0 (at least 1 for integers), got 0".to_owned())
        );
        assert_eq!(
            parse("p = { min = 0, max = 8, log = true }"),
            Err("a log range needs a minimum above 0 (at least 1 for integers), got 0".to_owned())
        );
        assert_eq!(
            parse("p = { min = 1, max = 8, steps = 3 }"),
            Err("`steps` applies to float ranges only; an integer range takes every integer".to_owned())
        );
        assert_eq!(
            parse("p = { min = 0.0, max = 1.0, steps = 1 }"),
            Err("a float range needs at least 2 grid steps, got 1".to_owned())
        );
        assert_eq!(
            parse(r#"p = { min = "a", max = 1.0 }"#),
            Err(r#"range bound `min` must be a number, got "a""#.to_owned())
        );
        assert!(parse("p = { min = 0.0, max = 1.0, lg = true }").is_err_and(|m| m.contains("unknown field `lg`")));
        assert!(parse("p = { max = 1.0 }").is_err_and(|m| m.contains("missing field `min`")));
    }

    #[test]
    fn unit_mapping_round_trips_and_stays_in_bounds() {
        let ints = Param::Int { lo: -3, hi: 7, log: false };
        let log_ints = Param::Int { lo: 1, hi: 1000, log: true };
        for param in [&ints, &log_ints] {
            let (lo, hi) = match param {
                Param::Int { lo, hi, .. } => (*lo, *hi),
                _ => unreachable!(),
            };
            for v in lo..=hi {
                let unit = param.to_unit(&ParamValue::Int(v)).expect("int in range");
                assert_eq!(param.from_unit(unit), ParamValue::Int(v));
            }
            assert_eq!(param.from_unit(1.0), ParamValue::Int(hi));
            assert_eq!(param.from_unit(0.0), ParamValue::Int(lo));
        }
        let log_floats = Param::Float { lo: 1e-5, hi: 1.0, log: true, steps: None };
        assert_eq!(log_floats.from_unit(0.0), ParamValue::Float(1e-5));
        assert_eq!(log_floats.from_unit(1.0), ParamValue::Float(1.0));
        let mid = log_floats.from_unit(0.6).as_f64().expect("float");
        assert!((mid - 1e-2).abs() < 1e-12, "{mid}");
    }

    #[test]
    fn samples_stay_inside_the_parameter() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let params = [
            Param::Choice(vec![ParamValue::Bool(true), ParamValue::Bool(false)]),
            Param::Int { lo: 2, hi: 4, log: false },
            Param::Int { lo: 1, hi: 64, log: true },
            Param::Float { lo: -1.0, hi: 1.0, log: false, steps: None },
            Param::Float { lo: 1e-6, hi: 1e-1, log: true, steps: None },
        ];
        for param in &params {
            for _ in 0..500 {
                assert!(param.contains(&param.sample(&mut rng)), "{param:?}");
            }
        }
    }

    #[test]
    fn log_sampling_is_uniform_per_decade() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let param = Param::Float { lo: 1e-5, hi: 1.0, log: true, steps: None };
        let below_1e3 = (0..5000).filter(|_| param.sample(&mut rng).as_f64().is_some_and(|v| v < 1e-3)).count();
        // Two of five decades: expect 2,000 of 5,000.
        assert!((1850..=2150).contains(&below_1e3), "{below_1e3}");
    }
}
