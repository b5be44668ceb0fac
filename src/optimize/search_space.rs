//! The search space: the named parameters a search may vary.

use std::collections::BTreeMap;

use rand::Rng;
use serde::Deserialize;
use thiserror::Error;

use super::{Config, Param, ParamError, ParamValue};

/// A validated set of named parameters, kept in name order: sampling draws parameters in that
/// order and the grid's cartesian product nests in it, so results never depend on how the
/// manifest was written.
///
/// Deserialises from a table of parameters, e.g.
/// `{ lr = { min = 1e-5, max = 1.0, log = true }, depth = { min = 1, max = 6 }, optimizer = ["adam", "sgd"] }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "BTreeMap<String, Param>")]
pub struct SearchSpace {
    params: BTreeMap<String, Param>,
}

/// Why a search space, or a configuration checked against it, is unusable.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SearchSpaceError {
    /// A space with no parameters has nothing to search.
    #[error("search space has no parameters")]
    Empty,
    /// One parameter's definition is invalid.
    #[error("parameter `{name}` is invalid")]
    InvalidParam {
        /// The parameter's name.
        name: String,
        /// What is wrong with it.
        #[source]
        source: ParamError,
    },
    /// A configuration (e.g. the baseline) lacks a parameter of the space.
    #[error("configuration has no value for parameter `{name}`")]
    MissingParam {
        /// The parameter's name.
        name: String,
    },
    /// A configuration sets a parameter the space does not have.
    #[error("configuration sets `{name}`, which is not in the search space")]
    UnknownParam {
        /// The parameter's name.
        name: String,
    },
    /// A configuration's value lies outside its parameter (wrong type, out of range, not a
    /// listed choice).
    #[error("value {value} of `{name}` is outside the search space")]
    OutOfSpace {
        /// The parameter's name.
        name: String,
        /// The value, rendered as JSON.
        value: String,
    },
}

impl SearchSpace {
    /// Validates every parameter and builds the space.
    pub fn new(params: BTreeMap<String, Param>) -> Result<Self, SearchSpaceError> {
        if params.is_empty() {
            return Err(SearchSpaceError::Empty);
        }
        for (name, param) in &params {
            param.validate().map_err(|source| SearchSpaceError::InvalidParam { name: name.clone(), source })?;
        }
        Ok(Self { params })
    }

    /// The parameters, in name order.
    pub fn params(&self) -> &BTreeMap<String, Param> {
        &self.params
    }

    /// Draws one configuration, one parameter at a time in name order.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Config {
        self.params.iter().map(|(name, param)| (name.clone(), param.sample(rng))).collect()
    }

    /// Checks that `config` sets exactly this space's parameters, each to a value inside it.
    pub fn check(&self, config: &Config) -> Result<(), SearchSpaceError> {
        if let Some(name) = config.keys().find(|name| !self.params.contains_key(*name)) {
            return Err(SearchSpaceError::UnknownParam { name: name.clone() });
        }
        for (name, param) in &self.params {
            let value: &ParamValue =
                config.get(name).ok_or_else(|| SearchSpaceError::MissingParam { name: name.clone() })?;
            if !param.contains(value) {
                return Err(SearchSpaceError::OutOfSpace { name: name.clone(), value: value.to_string() });
            }
        }
        Ok(())
    }
}

impl TryFrom<BTreeMap<String, Param>> for SearchSpace {
    type Error = SearchSpaceError;

    fn try_from(params: BTreeMap<String, Param>) -> Result<Self, Self::Error> {
        Self::new(params)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Manifest {
        space: SearchSpace,
    }

    const TOML: &str = r#"
        [space]
        optimizer = ["adam", "sgd"]
        lr = { min = 1e-5, max = 1.0, log = true }
        depth = { min = 1, max = 6 }
    "#;

    #[test]
    fn deserialises_from_a_toml_table() {
        let manifest: Manifest = toml::from_str(TOML).expect("valid space");
        let names: Vec<&str> = manifest.space.params().keys().map(String::as_str).collect();
        assert_eq!(names, ["depth", "lr", "optimizer"]);
        assert_eq!(manifest.space.params()["depth"], Param::Int { lo: 1, hi: 6, log: false });
    }

    #[test]
    fn an_empty_space_is_refused() {
        let error = toml::from_str::<Manifest>("[space]\n").expect_err("empty space");
        assert_eq!(error.message(), "search space has no parameters");
        assert_eq!(SearchSpace::new(BTreeMap::new()), Err(SearchSpaceError::Empty));
    }

    #[test]
    fn new_validates_each_parameter_and_names_it() {
        let params = BTreeMap::from([("lr".to_owned(), Param::Float { lo: 1.0, hi: 0.5, log: false, steps: None })]);
        let error = SearchSpace::new(params).expect_err("inverted");
        assert_eq!(error.to_string(), "parameter `lr` is invalid");
        assert!(matches!(error, SearchSpaceError::InvalidParam { source: ParamError::InvertedRange { .. }, .. }));
    }

    #[test]
    fn samples_are_inside_and_check_catches_outsiders() {
        let space = toml::from_str::<Manifest>(TOML).expect("valid").space;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            assert_eq!(space.check(&space.sample(&mut rng)), Ok(()));
        }
        let mut config = space.sample(&mut rng);
        config.insert("depth".to_owned(), ParamValue::Int(9));
        assert_eq!(
            space.check(&config),
            Err(SearchSpaceError::OutOfSpace { name: "depth".to_owned(), value: "9".to_owned() })
        );
        config.insert("depth".to_owned(), ParamValue::Float(2.0));
        assert!(matches!(space.check(&config), Err(SearchSpaceError::OutOfSpace { .. })));
        config.remove("depth");
        assert_eq!(space.check(&config), Err(SearchSpaceError::MissingParam { name: "depth".to_owned() }));
        config.insert("depth".to_owned(), ParamValue::Int(2));
        config.insert("extra".to_owned(), ParamValue::Bool(true));
        assert_eq!(space.check(&config), Err(SearchSpaceError::UnknownParam { name: "extra".to_owned() }));
    }
}
