//! A configuration (one point of a search space) and its deterministic id.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::ParamValue;

/// One candidate configuration: parameter name → value, ordered by name so that its
/// serialised form (and so its id) does not depend on insertion order.
pub type Config = BTreeMap<String, ParamValue>;

/// The id of a configuration: `"cfg_"` + the first 12 hex digits of the SHA-256 of its
/// canonical JSON (keys sorted, no whitespace, floats in shortest round-trip form).
///
/// The original drew `"cfg_" + uuid4().hex[:12]`, so the same parameters got a new id on every
/// run. Here the id is a pure function of the parameters: identical configurations share an
/// id across runs, machines and thread counts, which is what lets the searches cache
/// evaluations and the results be compared between runs. 48 bits make an accidental collision
/// among a search's few thousand candidates vanishingly unlikely (~1e-8 at 2,000).
pub fn config_id(config: &Config) -> String {
    let digest = Sha256::digest(canonical_json(config).as_bytes());
    let hex = hex::encode(digest);
    format!("cfg_{}", &hex[..12])
}

/// The canonical JSON text of a configuration, the input of [`config_id`].
pub fn canonical_json(config: &Config) -> String {
    let object: serde_json::Map<String, serde_json::Value> =
        config.iter().map(|(name, value)| (name.clone(), value.to_json())).collect();
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, ParamValue)]) -> Config {
        pairs.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect()
    }

    #[test]
    fn identical_parameters_give_identical_ids_whatever_the_insertion_order() {
        let a = config(&[("lr", ParamValue::Float(0.01)), ("depth", ParamValue::Int(3))]);
        let b = config(&[("depth", ParamValue::Int(3)), ("lr", ParamValue::Float(0.01))]);
        assert_eq!(config_id(&a), config_id(&b));
        assert_eq!(canonical_json(&a), r#"{"depth":3,"lr":0.01}"#);
    }

    #[test]
    fn id_has_the_documented_shape_and_is_stable() {
        let id = config_id(&config(&[("lr", ParamValue::Float(0.01)), ("depth", ParamValue::Int(3))]));
        assert_eq!(id.len(), 16);
        assert!(id.starts_with("cfg_"));
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let digest = hex::encode(Sha256::digest(br#"{"depth":3,"lr":0.01}"#));
        assert_eq!(id, format!("cfg_{}", &digest[..12]));
    }

    #[test]
    fn different_parameters_give_different_ids() {
        let int = config(&[("depth", ParamValue::Int(3))]);
        let float = config(&[("depth", ParamValue::Float(3.0))]);
        let other = config(&[("depth", ParamValue::Int(4))]);
        assert_ne!(config_id(&int), config_id(&float));
        assert_ne!(config_id(&int), config_id(&other));
    }
}
