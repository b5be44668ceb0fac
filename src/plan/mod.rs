//! The plan: stage instances as a DAG, their cache keys, and why each one runs.

mod audit_key;
mod cache_key;
mod external;
mod graph;
mod lockfile;
mod status;
mod targets;

pub use audit_key::{AUDIT_CHECKPOINT, audit_key, still_sealed, upstream_closure};
pub use cache_key::{
    CODE_VERSION_OVERRIDE_VAR, CacheKeyInput, CodeVersions, ModelCode, cache_key, code_versions, instance_seed,
};
pub use external::{baseline_run_dir, external_digests, external_paths, history_path};
pub use graph::{GraphFormat, render_graph};
pub use lockfile::{LockEntry, Lockfile, LockfileError, lockfile_path};
pub use status::{PlannedInstance, Status, plan_statuses, plan_statuses_forcing};
pub use targets::{UnknownTarget, closure, resolve_all, select};

use crate::manifest::{InstanceDecl, Manifest, PipelineMeta};

/// One instance with its dependencies resolved to indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The expanded declaration.
    pub decl: InstanceDecl,
    /// Indices (into [`Plan::instances`]) of the instances it depends on, in need order.
    pub deps: Vec<usize>,
    /// Its RNG seed, derived from the pipeline seed and its id.
    pub seed: u64,
}

impl Instance {
    /// The instance's id.
    pub fn id(&self) -> &str {
        &self.decl.id
    }
}

/// Every instance of a manifest, dependencies first.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The `[pipeline]` table.
    pub pipeline: PipelineMeta,
    /// SHA-256 of the resolved manifest.
    pub manifest_digest: String,
    /// The resolved manifest text.
    pub resolved: String,
    /// The instances, in an order where every dependency comes first.
    pub instances: Vec<Instance>,
    /// The manifest's folder: relative input paths (a `csv` source) are resolved against it.
    pub base_dir: std::path::PathBuf,
    /// The pipeline's folder of runs (`runs/<pipeline>`), where inputs that outlive a run are
    /// read: a `phase3` stage's history, a `drift` stage's baseline run. `None` when the
    /// caller has no runs folder (those inputs then count as absent).
    pub state_dir: Option<std::path::PathBuf>,
    /// The audit log's folder when not `<state_dir>/audit` (`--audit-path`).
    pub audit_dir: Option<std::path::PathBuf>,
    /// The public name of the key audit checkpoints are signed with (`name+keyid`), `None`
    /// when unsigned: a seal by another key (or none) is another fact, so it is in the audit
    /// instance's cache key.
    pub audit_signer: Option<String>,
    /// The manifest's `[executor]` table.
    pub executor: crate::manifest::executor::ExecutorConfig,
    /// Instance id → index, so lookups stay O(log n) and planning linear-logarithmic.
    positions: std::collections::BTreeMap<String, usize>,
    /// Whether instances of the manifest were left out (targets, `--until`): the lockfile then
    /// keeps the entries of the instances this plan does not have.
    partial: bool,
}

impl Plan {
    /// Builds the plan of a validated manifest read from a file in `base_dir`.
    pub fn new(manifest: Manifest, base_dir: impl Into<std::path::PathBuf>) -> Self {
        let positions: std::collections::BTreeMap<String, usize> =
            manifest.instances.iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
        let seed = manifest.pipeline.seed;
        let instances = manifest
            .instances
            .into_iter()
            .map(|decl| {
                let deps = decl.needs.values().flatten().filter_map(|id| positions.get(id).copied()).collect();
                let seed = instance_seed(seed, &decl.id);
                Instance { decl, deps, seed }
            })
            .collect();
        Self {
            pipeline: manifest.pipeline,
            manifest_digest: manifest.digest,
            resolved: manifest.resolved,
            instances,
            base_dir: base_dir.into(),
            state_dir: None,
            audit_dir: None,
            audit_signer: None,
            executor: manifest.executor,
            positions,
            partial: false,
        }
    }

    /// The plan reading cross-run inputs from `<runs_dir>/<pipeline>`.
    #[must_use]
    pub fn with_runs_dir(mut self, runs_dir: &std::path::Path) -> Self {
        self.state_dir = Some(runs_dir.join(&self.pipeline.name));
        self
    }

    /// Index of the instance with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// Whether instances of the manifest were left out (see [`select`]).
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The plan with only the instances at `keep` (which must hold every dependency of each),
    /// in the same order, their dependencies renumbered.
    #[must_use]
    pub fn restrict(&self, keep: &std::collections::BTreeSet<usize>) -> Self {
        let new_index: std::collections::BTreeMap<usize, usize> =
            keep.iter().enumerate().map(|(new, &old)| (old, new)).collect();
        let instances: Vec<Instance> = keep
            .iter()
            .map(|&old| {
                let mut inst = self.instances[old].clone();
                inst.deps = inst.deps.iter().filter_map(|d| new_index.get(d).copied()).collect();
                inst
            })
            .collect();
        let positions = instances.iter().enumerate().map(|(i, inst)| (inst.decl.id.clone(), i)).collect();
        Self { instances, positions, partial: self.partial || keep.len() < self.instances.len(), ..self.clone() }
    }
}
