//! How a run is asked to go ([`RunOptions`]): a leaf of `exec`, so the executors, the Slurm
//! jobs and the audit step read the options without importing the scheduler (`run.rs`) that
//! uses them.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::clock::RunClock;
use crate::stages::KaggleAccess;
use crate::store::Linker;

use super::failpoints::Failpoints;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Instances computed at once (the rayon pool's size).
    pub jobs: NonZeroUsize,
    /// After a failure, keep running what does not depend on it.
    pub keep_going: bool,
    /// Recompute every instance, ignoring the cache.
    pub force: bool,
    /// Recompute these instances (ids) even when cached (`--forcerun`); what follows them
    /// recomputes only if their output changed.
    pub forcerun: std::collections::BTreeSet<String>,
    /// Where run folders go (`runs/`).
    pub runs_dir: PathBuf,
    /// The stage cache (`.nethical/cache/`).
    pub cache_dir: PathBuf,
    /// The manifest's path (for its lockfile and git state).
    pub manifest_path: PathBuf,
    /// Whether to write the lockfile beside the manifest.
    pub write_lockfile: bool,
    /// The run clock.
    pub clock: RunClock,
    /// Fault injection (tests).
    pub failpoints: Failpoints,
    /// Set by Ctrl-C: stop launching, ask running instances to stop.
    pub cancel: Arc<AtomicBool>,
    /// Wait for another run of the same pipeline instead of refusing.
    pub wait_for_lock: bool,
    /// How `kaggle` sources download.
    pub kaggle: KaggleAccess,
    /// The audit log's folder; `<runs_dir>/<pipeline>/audit` when `None`.
    pub audit_dir: Option<PathBuf>,
    /// A C2SP note private key file: checkpoints are signed with it (`NETHICAL_AUDIT_KEY`).
    pub audit_key: Option<PathBuf>,
    /// Where instances compute.
    pub executor: ExecutorChoice,
    /// How cached files are placed into the run folder (`--link`).
    pub link: Linker,
    /// Hash every cached file this run uses instead of trusting the stat index (`--verify`).
    pub verify: bool,
}

/// Where a run's instances compute.
#[derive(Clone, Debug, Default)]
pub enum ExecutorChoice {
    /// A rayon pool of `jobs` threads in this process.
    #[default]
    Local,
    /// Jobs on a Slurm cluster (configured by the manifest's `[executor]` table).
    Slurm(SlurmLaunch),
}

impl RunOptions {
    /// The audit log's folder for `pipeline`.
    pub fn audit_log_dir(&self, pipeline: &str) -> PathBuf {
        self.audit_dir.clone().unwrap_or_else(|| self.runs_dir.join(pipeline).join("audit"))
    }
}

/// What a Slurm run needs beyond the manifest's `[executor]` table.
#[derive(Clone, Debug)]
pub struct SlurmLaunch {
    /// The binary jobs run (`exec-instance`): this one, on a path every node sees.
    pub program: PathBuf,
    /// The runner's `--set` overrides, repeated in each job.
    pub overrides: Vec<String>,
    /// `PATH` to find `sbatch`, `squeue` and `scancel` on.
    pub path: Option<std::ffi::OsString>,
    /// `-j N`: instances in flight at most, over `[executor] max_jobs` (Snakemake's `--jobs`).
    pub max_jobs: Option<std::num::NonZeroUsize>,
}
