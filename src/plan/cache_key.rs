//! Cache keys and per-instance seeds.
//!
//! A key is the SHA-256 of a canonical JSON document holding everything that can change an
//! instance's outputs: the tool version, the stage kind and its code version, the resolved parameters, the cohort,
//! the instance's seed, and the digests of the outputs of every instance it depends on. JSON
//! objects are serialized with sorted keys and numbers in shortest round-trip form, so equal
//! inputs give equal keys on any machine.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Instance;
use crate::manifest::{StageKind, StageParams};

/// Derives an instance's seed from the pipeline seed and its id, so each instance has its own
/// stream whatever order instances run in, and adding an instance never shifts another's.
pub fn instance_seed(pipeline_seed: u64, id: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(b"nethical-instance-seed-v1\0");
    h.update(pipeline_seed.to_le_bytes());
    h.update(id.as_bytes());
    let d = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&d[..8]);
    u64::from_le_bytes(bytes)
}

/// What a cache key is computed from.
#[derive(Serialize)]
pub struct CacheKeyInput<'a> {
    format: u32,
    tool_version: &'a str,
    /// The kind's [`StageKind::code_version`].
    code: u32,
    kind: StageKind,
    params: &'a StageParams,
    cohort: Option<&'a str>,
    seed: u64,
    /// Need stage → upstream instance id → tree digest of its outputs.
    inputs: &'a BTreeMap<String, BTreeMap<String, String>>,
    /// External files read (path as written → SHA-256).
    files: &'a BTreeMap<String, String>,
}

/// The cache key of `instance` given its upstream outputs' tree digests and the digests of the
/// external files it reads.
pub fn cache_key(
    instance: &Instance,
    inputs: &BTreeMap<String, BTreeMap<String, String>>,
    files: &BTreeMap<String, String>,
) -> String {
    let doc = CacheKeyInput {
        format: 1,
        tool_version: crate::VERSION,
        code: instance.decl.kind.code_version(),
        kind: instance.decl.kind,
        params: &instance.decl.params,
        cohort: instance.decl.cohort.as_deref(),
        seed: instance.seed,
        inputs,
        files,
    };
    // Serializing through `Value` sorts every object's keys (serde_json's map is a BTreeMap).
    let value = serde_json::to_value(&doc).unwrap_or(serde_json::Value::Null);
    let text = value.to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_id_and_pipeline_seed() {
        let a = instance_seed(42, "train[model=logistic]");
        assert_eq!(a, instance_seed(42, "train[model=logistic]"));
        assert_ne!(a, instance_seed(43, "train[model=logistic]"));
        assert_ne!(a, instance_seed(42, "train[model=anomaly]"));
    }
}
