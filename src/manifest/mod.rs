//! Manifests: TOML → validated, expanded stage instances.
//!
//! Owns reading a manifest file, layering overrides over it, reporting every problem with its
//! file, line and column, and expanding matrices into stage instances. It knows nothing of
//! caches, run folders or execution (see `plan` and `exec`).

mod data_check;
mod decl;
mod diagnostic;
pub mod executor;
mod expand;
pub mod from_train_flags;
mod input;
mod interpolate;
mod limits;
mod matrix;
pub mod params;
pub mod schema;
mod stage_kind;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::artifacts::{ResolvedInstance, ResolvedManifest};

pub(crate) use diagnostic::did_you_mean;
pub use diagnostic::{ManifestErrors, ManifestIssue};
pub use input::{BadVariable, ENV_PREFIX, ManifestInput, Override, OverrideOrigin, OverrideSyntaxError};
pub use limits::{GRID_CEILING, Limits};
pub use matrix::{FOLD, display_value, id_without_fold};
/// Where `optimize`'s parameters lived before each kind's parameters got their own file.
pub use params::optimize as optimize_params;
pub use params::{StageKind, StageParams};

/// The `[pipeline]` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineMeta {
    /// The pipeline's name: its runs live under `runs/<name>/`.
    pub name: String,
    /// Seed of every stage instance's RNG (each instance derives its own from this and its id).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Free text for people reading the manifest and its reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn default_seed() -> u64 {
    42
}

/// One stage instance after expansion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceDecl {
    /// Stable, readable id: `train[model=logistic]`, or the stage name without a matrix.
    pub id: String,
    /// The stage it expands.
    pub stage: String,
    /// The stage's kind.
    pub kind: StageKind,
    /// Its matrix variables (inherited and own).
    pub bindings: BTreeMap<String, toml::Value>,
    /// Its cohort, for per-cohort kinds.
    pub cohort: Option<String>,
    /// For each stage it needs, the instances it depends on.
    pub needs: BTreeMap<String, Vec<String>>,
    /// Its typed, interpolated parameters.
    pub params: StageParams,
    /// What its job asks a cluster for; not part of the resolved manifest or the cache key.
    #[serde(skip_serializing_if = "executor::Resources::is_empty")]
    pub resources: executor::Resources,
    /// What a reader of the plan should know about it, e.g. a stage key it ignores.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A validated manifest, expanded into instances in dependency order.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The `[pipeline]` table (after overrides).
    pub pipeline: PipelineMeta,
    /// Every stage instance, dependencies first, ties broken by stage name.
    pub instances: Vec<InstanceDecl>,
    /// `manifest.resolved.toml`: the manifest after layering and expansion.
    pub resolved: String,
    /// SHA-256 (hex) of `resolved`: what the run id and `run.json` name.
    pub digest: String,
    /// The `[executor]` table: where instances compute (not part of `resolved`).
    pub executor: executor::ExecutorConfig,
}

/// Validates and expands a manifest, reporting every problem found.
pub fn load(input: &ManifestInput) -> Result<Manifest, ManifestErrors> {
    let mut issues = diagnostic::Issues::new(input);
    let root = decl::parse_layered(input, &mut issues);
    let decl = root.as_ref().and_then(|r| decl::read_manifest(r, &mut issues));
    let mut instances = Vec::new();
    if let Some(decl) = &decl {
        let order = expand::stage_order(decl, &mut issues);
        instances = expand::expand(decl, &order, &mut issues);
    }
    let executor = decl.as_ref().map(|d| d.executor.clone()).unwrap_or_default();
    let pipeline = issues.into_result(decl.and_then(|d| d.pipeline))?;
    let resolved = render_resolved(&pipeline, &instances);
    let digest = hex::encode(Sha256::digest(resolved.as_bytes()));
    tracing::debug!("pipeline `{}`: {} instances, manifest digest {digest}", pipeline.name, instances.len());
    Ok(Manifest { pipeline, instances, resolved, digest, executor })
}

/// `manifest.resolved.toml`, through the type its readers use (`artifacts::ResolvedManifest`).
fn render_resolved(pipeline: &PipelineMeta, instances: &[InstanceDecl]) -> String {
    let doc: ResolvedManifest<&PipelineMeta, StageKind, &StageParams> = ResolvedManifest {
        pipeline,
        instances: instances
            .iter()
            .map(|i| {
                let instance = ResolvedInstance {
                    stage: i.stage.clone(),
                    kind: i.kind,
                    cohort: i.cohort.clone(),
                    needs: i.needs.values().flatten().cloned().collect(),
                    matrix: i.bindings.clone(),
                    params: &i.params,
                };
                (i.id.clone(), instance)
            })
            .collect(),
    };
    let body = toml::to_string(&doc).unwrap_or_default();
    format!("# The manifest after layering and expansion, written by nethical {}.\n{body}", crate::VERSION)
}
