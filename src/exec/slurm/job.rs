//! The run-one-instance mode: what a Slurm job is told (a spec file) and what it answers (a
//! status file), both JSON in the run folder's `slurm/`.
//!
//! The job's own status file, not Slurm's job state, says how the instance ended (Nextflow's
//! `.exitcode` convention): it works with or without accounting, after Slurm has forgotten the
//! job, and it carries the stage's own error. It is written by rename, so a file that exists is
//! complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::clock::RunClock;
use crate::exec::executor::{Lookup, compute, instance_key, lookup};
use crate::exec::failpoints::Failpoints;
use crate::exec::instance_error::InstanceError;
use crate::exec::quiet_panic::{panic_message, quietly};
use crate::exec::run_options::{ExecutorChoice, RunOptions};
use crate::manifest::{self, ManifestInput, Override};
use crate::plan::Plan;
use crate::stages::{KaggleAccess, UpstreamOutput};
use crate::store::{Cache, write_durable};

/// What one job computes, written by the runner before it submits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Format of this file.
    pub format_version: u32,
    /// The manifest, as the runner was given it (the job starts in the runner's folder).
    pub manifest: PathBuf,
    /// The runner's `--set` overrides (environment overrides travel with `--export=ALL`).
    pub overrides: Vec<String>,
    /// The resolved manifest's digest: a job that resolves another manifest refuses to run.
    pub manifest_digest: String,
    /// The instance.
    pub instance: String,
    /// Its cache key as the runner computed it; the job recomputes and checks it.
    pub key: String,
    /// Upstream instance id → the cache key of its outputs.
    pub inputs: BTreeMap<String, String>,
    /// The shared stage cache.
    pub cache_dir: PathBuf,
    /// The runs folder (cross-run inputs are read from it).
    pub runs_dir: PathBuf,
    /// The run clock, Unix seconds, and whether `SOURCE_DATE_EPOCH` fixed it.
    pub clock: i64,
    pub clock_fixed: bool,
    /// Recompute even if the cache has it.
    pub force: bool,
    /// The run hashes every file it uses (`--verify`): the job computes everything, taking
    /// nothing from the memo. Absent in specs written before it existed.
    #[serde(default)]
    pub verify: bool,
    /// Where to write the status.
    pub status: PathBuf,
}

/// How a job's instance ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome {
    /// Computed into the cache under the spec's key.
    Computed,
    /// Already in the cache (another run computed it meanwhile).
    Cached,
    /// The stage failed or panicked.
    Failed { error: String },
    /// Stopped by a signal (`scancel`, a time limit, a requeue); never written to a status
    /// file, only the process's exit code (130).
    Cancelled,
}

/// The job's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// Format of this file.
    pub format_version: u32,
    /// The instance.
    pub instance: String,
    /// The cache key its outputs are under.
    pub key: String,
    #[serde(flatten)]
    pub outcome: JobOutcome,
    /// Seconds the instance computed (queueing not included).
    pub seconds: f64,
    /// The node it ran on (`SLURMD_NODENAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl JobStatus {
    /// Reads a status file; `None` while it does not exist.
    pub fn read(path: &Path) -> Option<Result<Self, String>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => return Some(Err(format!("cannot read `{}`: {e}", path.display()))),
        };
        Some(serde_json::from_slice(&bytes).map_err(|e| format!("`{}` is not a job status: {e}", path.display())))
    }
}

/// Errors of the run-one-instance mode, before a status can be written.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("cannot read the job spec `{path}`")]
    SpecRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the job spec `{path}`")]
    SpecJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the job status `{path}`")]
    Status {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The threads an instance may use inside a Slurm job: `SLURM_CPUS_PER_TASK`, else
/// `SLURM_CPUS_ON_NODE`. Without cgroups nothing else stops a job from taking every core.
pub fn slurm_cpus(var: impl Fn(&str) -> Option<String>) -> Option<std::num::NonZeroUsize> {
    ["SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"].iter().find_map(|name| var(name)?.trim().parse().ok())
}

/// Runs the instance a spec names and writes its status (unless a signal stopped it); the
/// process exit code follows (0 computed or cached, 1 failed, 130 stopped). `cancel` is set by
/// SIGTERM/SIGINT.
pub fn exec_instance(spec_path: &Path, cancel: Arc<AtomicBool>) -> Result<JobStatus, JobError> {
    let t = Instant::now();
    let bytes = std::fs::read(spec_path).map_err(|source| JobError::SpecRead { path: spec_path.to_owned(), source })?;
    let spec: JobSpec =
        serde_json::from_slice(&bytes).map_err(|source| JobError::SpecJson { path: spec_path.to_owned(), source })?;
    let outcome = match prepare(&spec) {
        Ok((plan, i, inputs)) => run_one(&spec, &plan, i, &inputs, cancel),
        Err(error) => JobOutcome::Failed { error },
    };
    let status = JobStatus {
        format_version: 1,
        instance: spec.instance.clone(),
        key: spec.key.clone(),
        outcome,
        seconds: t.elapsed().as_secs_f64(),
        node: std::env::var("SLURMD_NODENAME").ok(),
    };
    // A signal leaves no status: Slurm's state then says what happened (CANCELLED, TIMEOUT),
    // and a job Slurm requeues (node failure, preemption, `scontrol requeue`) must not leave a
    // verdict behind that its next attempt has not reached.
    if status.outcome != JobOutcome::Cancelled {
        let json = serde_json::to_vec_pretty(&status).unwrap_or_default();
        write_durable(&spec.status, &json).map_err(|source| JobError::Status { path: spec.status.clone(), source })?;
    }
    Ok(status)
}

/// The plan, the instance's index and its inputs, as the runner saw them.
fn prepare(spec: &JobSpec) -> Result<(Plan, usize, Vec<UpstreamOutput>), String> {
    let text = std::fs::read_to_string(&spec.manifest)
        .map_err(|e| format!("cannot read the manifest `{}`: {e}", spec.manifest.display()))?;
    let mut overrides = Override::from_env_os(std::env::vars_os()).map_err(|e| e.to_string())?;
    for s in &spec.overrides {
        overrides.push(Override::from_flag(s).map_err(|e| e.to_string())?);
    }
    let input = ManifestInput::new(&spec.manifest, text, overrides);
    let manifest = manifest::load(&input).map_err(|e| e.to_string())?;
    if manifest.digest != spec.manifest_digest {
        return Err(format!(
            "the manifest `{}` resolves differently here than when the run started (digest {} now, {} then): \
             it was edited during the run, or the job did not get the runner's NETHICAL_* environment",
            spec.manifest.display(),
            &manifest.digest[..12.min(manifest.digest.len())],
            &spec.manifest_digest[..12.min(spec.manifest_digest.len())]
        ));
    }
    let base = spec.manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let plan = Plan::new(manifest, base).with_runs_dir(&spec.runs_dir);
    let i = plan.position(&spec.instance).ok_or_else(|| format!("the manifest has no instance `{}`", spec.instance))?;
    let cache = Cache::new(&spec.cache_dir);
    let mut inputs = Vec::new();
    for (stage, ids) in &plan.instances[i].decl.needs {
        for id in ids {
            let j = plan.position(id).ok_or_else(|| format!("the manifest has no instance `{id}`"))?;
            let key = spec.inputs.get(id).ok_or_else(|| format!("the job spec gives no outputs for `{id}`"))?;
            let entry = cache.lookup(key).ok_or_else(|| {
                format!(
                    "the outputs of `{id}` (cache key {}) are not in the cache `{}`: is it on a filesystem this node shares?",
                    &key[..12.min(key.len())],
                    spec.cache_dir.display()
                )
            })?;
            inputs.push(UpstreamOutput {
                stage: stage.clone(),
                id: id.clone(),
                kind: plan.instances[j].decl.kind,
                cohort: plan.instances[j].decl.cohort.clone(),
                bindings: plan.instances[j].decl.bindings.clone(),
                params: serde_json::to_value(&plan.instances[j].decl.params).unwrap_or_default(),
                entry,
            });
        }
    }
    let key = instance_key(&plan, i, &inputs, None);
    if key != spec.key {
        return Err(format!(
            "`{}` has another cache key here than when it was submitted: an input file changed during the run",
            spec.instance
        ));
    }
    Ok((plan, i, inputs))
}

fn run_one(spec: &JobSpec, plan: &Plan, i: usize, inputs: &[UpstreamOutput], cancel: Arc<AtomicBool>) -> JobOutcome {
    let failpoints = match Failpoints::parse(&std::env::var("NETHICAL_FAILPOINTS").unwrap_or_default()) {
        Ok(f) => f,
        Err(e) => return JobOutcome::Failed { error: e.to_string() },
    };
    let cache = Cache::new(&spec.cache_dir);
    let clock = RunClock::at_unix(spec.clock, spec.clock_fixed);
    let opts = RunOptions {
        jobs: std::num::NonZeroUsize::MIN,
        keep_going: false,
        force: spec.force,
        forcerun: std::collections::BTreeSet::new(),
        runs_dir: spec.runs_dir.clone(),
        kaggle: KaggleAccess::from_env(&spec.cache_dir, None),
        cache_dir: spec.cache_dir.clone(),
        manifest_path: spec.manifest.clone(),
        write_lockfile: false,
        clock,
        failpoints,
        cancel,
        wait_for_lock: false,
        audit_dir: None,
        audit_key: None,
        executor: ExecutorChoice::Local,
        link: crate::store::Linker::default(),
        verify: spec.verify,
    };
    let replace = match lookup(&cache, &spec.key, &spec.instance, &opts) {
        Lookup::Hit(_) => return JobOutcome::Cached,
        Lookup::Miss { replace } => replace,
    };
    let result = quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compute(plan, i, inputs, &spec.key, replace, &cache, &opts, &crate::exec::Silent)
        }))
    });
    // The files this job wrote and hashed: recorded, the next run stats them instead of hashing
    // them again. A hint only (jobs save concurrently and merge); losing it costs a hash.
    let _ = cache.index().save();
    match result {
        Ok(Ok(_)) => JobOutcome::Computed,
        Ok(Err(InstanceError::Cancelled)) => JobOutcome::Cancelled,
        // The status file is the job's one channel back: the error goes as one line.
        Ok(Err(e)) => JobOutcome::Failed { error: crate::error_chain::error_chain(&e) },
        Err(p) => JobOutcome::Failed { error: format!("panicked: {}", panic_message(p.as_ref())) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_follow_the_jobs_cpus() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(
            slurm_cpus(env(&[("SLURM_CPUS_PER_TASK", "3"), ("SLURM_CPUS_ON_NODE", "8")])).map(|n| n.get()),
            Some(3)
        );
        assert_eq!(slurm_cpus(env(&[("SLURM_CPUS_ON_NODE", "8")])).map(|n| n.get()), Some(8));
        assert_eq!(slurm_cpus(env(&[("SLURM_CPUS_PER_TASK", "0")])), None);
        assert_eq!(slurm_cpus(env(&[])), None);
    }

    #[test]
    fn a_status_round_trips_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        assert!(JobStatus::read(&path).is_none());
        let s = JobStatus {
            format_version: 1,
            instance: "train[model=a]".into(),
            key: "k".into(),
            outcome: JobOutcome::Failed { error: "boom".into() },
            seconds: 1.5,
            node: Some("localhost".into()),
        };
        std::fs::write(&path, serde_json::to_vec(&s).expect("json")).expect("write");
        assert_eq!(JobStatus::read(&path).and_then(Result::ok), Some(s));
        std::fs::write(&path, b"{").expect("write");
        assert!(matches!(JobStatus::read(&path), Some(Err(_))));
    }
}
