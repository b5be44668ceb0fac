//! Cache keys and per-instance seeds.
//!
//! A key is the SHA-256 of a canonical JSON document holding everything that can change an
//! instance's outputs: the tool version, the stage kind and its code version (and the trained
//! model's, for `train` and `optimize`), the resolved parameters, the cohort,
//! the instance's seed, and the digests of the outputs of every instance it depends on. JSON
//! objects are serialized with sorted keys and numbers in shortest round-trip form, so equal
//! inputs give equal keys on any machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Instance;
use crate::manifest::{StageKind, StageParams};

/// The versions of the code that computes an instance: its kind's and, for a kind that trains
/// a model, that model's. Part of the cache key, and recorded in the lockfile so `plan` can say
/// "code changed: train v1 → v2" when a new build would compute an instance again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeVersions {
    /// The kind's [`StageKind::code_version`].
    pub stage: u32,
    /// The trained model's type and its [`crate::models::code_version`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelCode>,
}

/// A model type's code version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCode {
    /// Its `model_type` name.
    pub name: String,
    /// Its code version.
    pub version: u32,
}

/// Overrides code versions in debug builds only, as `train=4,logistic=2`: an integration test
/// stands for a new build whose code changed, without a second binary. Release builds ignore it.
pub const CODE_VERSION_OVERRIDE_VAR: &str = "NETHICAL_DEBUG_CODE_VERSIONS";

/// The version `name` (a kind or a model type) has in this build: its declared `declared`, or
/// in a debug build what [`CODE_VERSION_OVERRIDE_VAR`] says.
fn effective_version(name: &str, declared: u32) -> u32 {
    if !cfg!(debug_assertions) {
        return declared;
    }
    let Ok(spec) = std::env::var(CODE_VERSION_OVERRIDE_VAR) else { return declared };
    spec.split(',')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(declared)
}

/// The code versions of `instance` in this build.
pub fn code_versions(instance: &Instance) -> CodeVersions {
    let kind = instance.decl.kind;
    let model = match &instance.decl.params {
        StageParams::Train(p) => Some(p.model),
        StageParams::Optimize(p) => Some(p.model),
        _ => None,
    };
    CodeVersions {
        stage: effective_version(kind.name(), kind.code_version()),
        model: model.map(|m| ModelCode {
            name: m.name().to_owned(),
            version: effective_version(m.name(), crate::models::code_version(m.name()).unwrap_or(0)),
        }),
    }
}

impl CodeVersions {
    /// "train v1 → v2"-style lines for each version that differs from `before`, naming the
    /// kind `kind`.
    pub fn changes_since(&self, before: &CodeVersions, kind: StageKind) -> Vec<String> {
        let mut out = Vec::new();
        if before.stage != self.stage {
            out.push(format!("{kind} v{} → v{}", before.stage, self.stage));
        }
        if let (Some(was), Some(now)) = (&before.model, &self.model)
            && was.name == now.name
            && was.version != now.version
        {
            out.push(format!("model {} v{} → v{}", now.name, was.version, now.version));
        }
        out
    }
}

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
    /// The trained model's code version, for the kinds that train one.
    #[serde(skip_serializing_if = "Option::is_none")]
    model_code: Option<u32>,
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
    let code = code_versions(instance);
    let doc = CacheKeyInput {
        format: 1,
        tool_version: crate::VERSION,
        code: code.stage,
        model_code: code.model.map(|m| m.version),
        kind: instance.decl.kind,
        params: &instance.decl.params,
        cohort: instance.decl.cohort.as_deref(),
        seed: instance.seed,
        inputs,
        files,
    };
    // The document holds string-keyed maps and plain values, which serde_json always
    // serializes; the fallback (the digest of `null`) is the key this function always gave.
    crate::store::canonical_digest(&doc).unwrap_or_else(|_| crate::store::sha256_hex(b"null"))
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

    #[test]
    fn every_model_type_declares_a_code_version() {
        use crate::manifest::params::ModelType;
        for m in [
            ModelType::Heuristic,
            ModelType::Logistic,
            ModelType::Anomaly,
            ModelType::Correlation,
            ModelType::SimpleTransformer,
        ] {
            assert!(crate::models::code_version(m.name()).is_some_and(|v| v >= 1), "{}", m.name());
        }
        assert_eq!(crate::models::code_version("shadow_ai"), None);
    }

    #[test]
    fn changes_name_the_kind_and_the_model_with_both_versions() {
        let model = |version| Some(ModelCode { name: "logistic".to_owned(), version });
        let before = CodeVersions { stage: 3, model: model(1) };
        let now = CodeVersions { stage: 4, model: model(2) };
        assert_eq!(now.changes_since(&before, StageKind::Train), ["train v3 → v4", "model logistic v1 → v2"]);
        assert!(before.changes_since(&before, StageKind::Train).is_empty());
    }
}
