//! The Slurm executor: each ready batch of instances becomes jobs on a cluster.
//!
//! The runner keeps the DAG (as Snakemake and Nextflow do) and submits only ready instances,
//! so no Slurm dependency ever names a job Slurm may have forgotten. The instances of one stage
//! that become ready together go out as one job array. Each job runs this binary's
//! `exec-instance` on a spec file; it computes into the shared cache exactly as a local worker
//! would and writes a status file; the runner then publishes the outputs from the cache. So a
//! Slurm run's artifacts are the local run's, byte for byte.
//!
//! Layout, in the run folder: `slurm/<NNN>-<instance>.spec.json` (what to compute),
//! `slurm/<NNN>-<instance>.status.json` (how it ended), `slurm/<stage>-<job>_<task>.log`
//! (the job's output), and `slurm/jobs.json` (instance → job id, log).

mod cli;
mod job;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, InputError};
use crate::manifest::executor::ExecutorConfig;
use crate::plan::Plan;
use crate::store::{Cache, write_atomic};

use super::executor::{Executor, Finished, Launch, Lookup, instance_key, lookup};
use super::instance_error::InstanceError;
use super::run_folder::RunFolder;
use super::run_options::RunOptions;
pub use super::run_options::SlurmLaunch;
pub use cli::MissingSlurmTool;
use cli::{JobState, SlurmTools};
pub use job::{JobError, JobOutcome, JobSpec, JobStatus, exec_instance, slurm_cpus};

/// Instances submitted and not finished, at most.
pub(crate) fn capacity(config: &ExecutorConfig, launch: &SlurmLaunch) -> usize {
    launch.max_jobs.map_or(config.max_jobs.get() as usize, std::num::NonZeroUsize::get)
}

/// An instance to submit: its index, its cache key, and its inputs' keys by instance id.
struct ToSubmit {
    index: usize,
    key: String,
    inputs: BTreeMap<String, String>,
}

struct InFlight {
    index: usize,
    job: String,
    key: String,
    status: PathBuf,
    log: PathBuf,
    submitted: Instant,
    /// When Slurm first showed it ended without a status file (a shared filesystem may lag).
    ended_at: Option<Instant>,
}

#[derive(Serialize)]
struct JobRecord<'a> {
    job: &'a str,
    log: String,
}

/// Consecutive failed `squeue` calls before the runner gives up on the controller.
const SQUEUE_RETRIES: u32 = 30;

pub(crate) struct Slurm<'a> {
    plan: &'a Plan,
    opts: &'a RunOptions,
    cache: &'a Cache,
    config: ExecutorConfig,
    launch: &'a SlurmLaunch,
    tools: SlurmTools,
    dir: PathBuf,
    final_dir: PathBuf,
    workdir: PathBuf,
    /// Array task id (`123_4`) → instance.
    in_flight: BTreeMap<String, InFlight>,
    done: VecDeque<Finished>,
    last_poll: Option<Instant>,
    squeue_failures: u32,
    records: BTreeMap<String, (String, String)>,
}

/// Checks, before a run folder exists, that Slurm's tools are there.
pub(crate) fn preflight(launch: &SlurmLaunch) -> Result<(), Error> {
    SlurmTools::find(launch.path.clone()).map(drop).map_err(|e| InputError::from(e).into())
}

impl<'a> Slurm<'a> {
    pub(crate) fn new(
        plan: &'a Plan,
        opts: &'a RunOptions,
        cache: &'a Cache,
        folder: &RunFolder,
        launch: &'a SlurmLaunch,
    ) -> Result<Self, Error> {
        let tools = SlurmTools::find(launch.path.clone()).map_err(InputError::from)?;
        let workdir = std::env::current_dir().map_err(Error::io("read the current folder", "."))?;
        let dir = absolute(&workdir, &folder.path().join("slurm"));
        Ok(Self {
            plan,
            opts,
            cache,
            config: plan.executor.clone(),
            launch,
            tools,
            dir,
            final_dir: absolute(&workdir, &folder.final_path().join("slurm")),
            workdir,
            in_flight: BTreeMap::new(),
            done: VecDeque::new(),
            last_poll: None,
            squeue_failures: 0,
            records: BTreeMap::new(),
        })
    }

    fn stem(&self, index: usize) -> String {
        let id: String = self.plan.instances[index]
            .id()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' })
            .collect();
        format!("{index:03}-{}", id.trim_end_matches('_'))
    }

    fn fail(&mut self, index: usize, error: String) {
        self.done.push_back(Finished { index, outcome: Err(InstanceError::Job(error)), seconds: 0.0 });
    }

    /// Writes each instance's spec and submits them as one array; `(index, key)` pairs.
    fn submit(&mut self, stage: &str, group: Vec<ToSubmit>) {
        // Made on the first submission: a run the cache answers entirely has no `slurm/`.
        if let Err(e) = std::fs::create_dir_all(&self.dir) {
            for t in &group {
                self.fail(t.index, format!("cannot create `{}`: {e}", self.dir.display()));
            }
            return;
        }
        let mut specs = Vec::new();
        for ToSubmit { index, key, inputs } in &group {
            let stem = self.stem(*index);
            let spec = job::JobSpec {
                format_version: 1,
                manifest: self.opts.manifest_path.clone(),
                overrides: self.launch.overrides.clone(),
                manifest_digest: self.plan.manifest_digest.clone(),
                instance: self.plan.instances[*index].id().to_owned(),
                key: key.clone(),
                inputs: inputs.clone(),
                cache_dir: absolute(&self.workdir, &self.opts.cache_dir),
                runs_dir: absolute(&self.workdir, &self.opts.runs_dir),
                clock: self.opts.clock.unix_seconds(),
                clock_fixed: self.opts.clock.is_fixed(),
                force: self.opts.force || self.opts.forcerun.contains(self.plan.instances[*index].id()),
                verify: self.opts.verify,
                status: self.dir.join(format!("{stem}.status.json")),
            };
            let path = self.dir.join(format!("{stem}.spec.json"));
            let written = serde_json::to_vec_pretty(&spec)
                .map_err(|e| e.to_string())
                .and_then(|json| write_atomic(&path, &json).map_err(|e| e.to_string()));
            if let Err(e) = written {
                for t in &group {
                    self.fail(t.index, format!("cannot write the job spec `{}`: {e}", path.display()));
                }
                return;
            }
            specs.push(path);
        }
        let resources = self.plan.instances[group[0].index].decl.resources.or(&self.config.default_resources());
        let mut args = vec![
            format!("--job-name=nethical.{}.{stage}", self.plan.pipeline.name),
            format!("--chdir={}", self.workdir.display()),
            format!("--output={}", self.dir.join(format!("{stage}-%A_%a.log")).display()),
            "--export=ALL".to_owned(),
            // A requeued job's second attempt adds to its log instead of erasing the first's.
            "--open-mode=append".to_owned(),
            "--ntasks=1".to_owned(),
            format!("--array=0-{}", group.len() - 1),
        ];
        if let Some(c) = resources.cpus {
            args.push(format!("--cpus-per-task={c}"));
        }
        if let Some(m) = &resources.mem {
            args.push(format!("--mem={}", m.as_str()));
        }
        if let Some(t) = &resources.time {
            args.push(format!("--time={t}"));
        }
        if let Some(p) = &self.config.partition {
            args.push(format!("--partition={}", p.as_str()));
        }
        if let Some(a) = &self.config.account {
            args.push(format!("--account={}", a.as_str()));
        }
        args.extend(self.config.sbatch_args.iter().cloned());
        let title = format!(
            "nethical {}: stage `{stage}` of pipeline `{}`, {} instance(s); each array task runs one",
            crate::VERSION,
            self.plan.pipeline.name,
            group.len()
        );
        let script = cli::batch_script(&self.launch.program, &specs, &title);
        match self.tools.sbatch(&args, &script) {
            Ok(job) => {
                for (task, ToSubmit { index, key, .. }) in group.into_iter().enumerate() {
                    let stem = self.stem(index);
                    let id = format!("{job}_{task}");
                    let log = self.dir.join(format!("{stage}-{id}.log"));
                    let shown = self.final_dir.join(format!("{stage}-{id}.log"));
                    self.records
                        .insert(self.plan.instances[index].id().to_owned(), (id.clone(), shown.display().to_string()));
                    self.in_flight.insert(
                        id.clone(),
                        InFlight {
                            index,
                            job: job.clone(),
                            key,
                            status: self.dir.join(format!("{stem}.status.json")),
                            log,
                            submitted: Instant::now(),
                            ended_at: None,
                        },
                    );
                }
                self.write_records();
            }
            Err(e) => {
                for ToSubmit { index, .. } in group {
                    self.fail(index, format!("Slurm refused the job of stage `{stage}`: {e}"));
                }
            }
        }
    }

    fn write_records(&self) {
        let map: BTreeMap<&str, JobRecord<'_>> =
            self.records.iter().map(|(id, (job, log))| (id.as_str(), JobRecord { job, log: log.clone() })).collect();
        if let Ok(json) = serde_json::to_vec_pretty(&map) {
            let _ = write_atomic(&self.dir.join("jobs.json"), &json);
        }
    }

    /// Where the log will be once the run folder has its final name.
    fn shown_log(&self, f: &InFlight) -> String {
        f.log.file_name().map_or_else(|| f.log.display().to_string(), |n| self.final_dir.join(n).display().to_string())
    }

    /// The instance's outcome from its status file.
    fn finish_from_status(&mut self, id: &str, status: Result<JobStatus, String>) {
        let Some(f) = self.in_flight.remove(id) else { return };
        let where_ = format!("Slurm job {id}, log `{}`", self.shown_log(&f));
        let seconds = status.as_ref().map_or(0.0, |s| s.seconds);
        let outcome = match status {
            Err(e) => Err(InstanceError::Job(format!("{e} ({where_})"))),
            Ok(s) if s.key != f.key => {
                Err(InstanceError::Job(format!("the job's status names another cache key ({where_})")))
            }
            Ok(s) => match s.outcome {
                JobOutcome::Computed | JobOutcome::Cached => match self.cache.lookup(&f.key) {
                    Some(entry) => Ok((entry, s.outcome == JobOutcome::Cached)),
                    None => Err(InstanceError::Job(format!(
                        "the job says it finished, but its outputs are not in the cache `{}`: is the cache on a filesystem every node shares? ({where_})",
                        self.opts.cache_dir.display()
                    ))),
                },
                JobOutcome::Failed { error } => Err(InstanceError::Job(format!("{error} ({where_})"))),
                JobOutcome::Cancelled if self.opts.cancel.load(Ordering::Relaxed) => Err(InstanceError::Cancelled),
                JobOutcome::Cancelled => {
                    Err(InstanceError::Job(format!("the job was stopped by a signal before it finished ({where_})")))
                }
            },
        };
        self.done.push_back(Finished { index: f.index, outcome, seconds });
    }

    fn poll(&mut self) {
        self.last_poll = Some(Instant::now());
        let jobs: Vec<String> = {
            let mut j: Vec<String> = self.in_flight.values().map(|f| f.job.clone()).collect();
            j.sort_unstable();
            j.dedup();
            j
        };
        if jobs.is_empty() {
            return;
        }
        let refs: Vec<&str> = jobs.iter().map(String::as_str).collect();
        let queue = match self.tools.squeue(&refs) {
            Ok(q) => {
                self.squeue_failures = 0;
                q
            }
            Err(e) => {
                self.squeue_failures += 1;
                if self.squeue_failures < SQUEUE_RETRIES {
                    return;
                }
                let ids: Vec<String> = self.in_flight.keys().cloned().collect();
                for id in ids {
                    if let Some(f) = self.in_flight.remove(&id) {
                        let log = self.shown_log(&f);
                        self.fail(
                            f.index,
                            format!("cannot ask Slurm about job {id} ({SQUEUE_RETRIES} tries): {e}; log `{log}`"),
                        );
                    }
                }
                return;
            }
        };
        let timeout = Duration::from_secs_f64(self.config.status_timeout);
        let ids: Vec<String> = self.in_flight.keys().cloned().collect();
        for id in ids {
            let Some(f) = self.in_flight.get_mut(&id) else { continue };
            if let Some(status) = JobStatus::read(&f.status) {
                self.finish_from_status(&id, status);
                continue;
            }
            let entry = queue.get(&id);
            match entry.map(|e| &e.state) {
                Some(JobState::Active(_)) => {}
                Some(JobState::Killed(state)) => {
                    let reason = entry.map(|e| e.reason.as_str()).filter(|r| !r.is_empty() && *r != "None");
                    let why = match (state.as_str(), reason) {
                        ("CANCELLED", _) if self.opts.cancel.load(Ordering::Relaxed) => None,
                        ("CANCELLED", _) => Some("it was cancelled outside this run (scancel)".to_owned()),
                        ("TIMEOUT", _) => {
                            Some("it ran out of its time limit (raise the stage's `resources.time`)".to_owned())
                        }
                        ("OUT_OF_MEMORY", _) => {
                            Some("it ran out of memory (raise the stage's `resources.mem`)".to_owned())
                        }
                        ("NODE_FAIL", _) => Some("its node failed and the job was lost".to_owned()),
                        (s, Some(r)) => Some(format!("Slurm ended it: {s} ({r})")),
                        (s, None) => Some(format!("Slurm ended it: {s}")),
                    };
                    let Some(f) = self.in_flight.remove(&id) else { continue };
                    match why {
                        None => self.done.push_back(Finished {
                            index: f.index,
                            outcome: Err(InstanceError::Cancelled),
                            seconds: 0.0,
                        }),
                        Some(why) => {
                            let log = self.shown_log(&f);
                            self.fail(f.index, format!("{why}; Slurm job {id}, log `{log}`"));
                        }
                    }
                }
                state => {
                    let now = Instant::now();
                    let since = *f.ended_at.get_or_insert(now);
                    if now.duration_since(since) >= timeout {
                        let word = match (state, self.tools.final_words(&id)) {
                            (_, Some(words)) => format!("ended ({words})"),
                            (Some(JobState::Ended(s)), None) => format!("ended ({s})"),
                            _ => "left the queue".to_owned(),
                        };
                        let waited = now.duration_since(f.submitted).as_secs();
                        let Some(f) = self.in_flight.remove(&id) else { continue };
                        let log = self.shown_log(&f);
                        self.fail(
                            f.index,
                            format!(
                                "Slurm job {id} {word} without writing its status `{}` ({waited} s after submission); log `{log}`",
                                f.status.display()
                            ),
                        );
                    }
                }
            }
        }
    }

    fn cancel_jobs(&self) {
        let mut jobs: Vec<&str> = self.in_flight.values().map(|f| f.job.as_str()).collect();
        jobs.sort_unstable();
        jobs.dedup();
        let _ = self.tools.scancel(&jobs);
    }
}

impl Executor for Slurm<'_> {
    fn capacity(&self) -> usize {
        capacity(&self.config, self.launch)
    }

    fn launch(&mut self, batch: Vec<Launch>) {
        let mut groups: BTreeMap<String, Vec<ToSubmit>> = BTreeMap::new();
        for Launch { index, inputs } in batch {
            let key = instance_key(self.plan, index, &inputs, Some(self.cache));
            // What the cache has needs no job.
            if let Lookup::Hit(entry) = lookup(self.cache, &key, self.plan.instances[index].id(), self.opts) {
                self.done.push_back(Finished { index, outcome: Ok((entry, true)), seconds: 0.0 });
                continue;
            }
            let inputs = inputs.iter().map(|u| (u.id.clone(), u.entry.key.clone())).collect();
            groups.entry(self.plan.instances[index].decl.stage.clone()).or_default().push(ToSubmit {
                index,
                key,
                inputs,
            });
        }
        for (stage, group) in groups {
            self.submit(&stage, group);
        }
    }

    fn next(&mut self, wait: Duration) -> Option<Finished> {
        if let Some(f) = self.done.pop_front() {
            return Some(f);
        }
        let interval = Duration::from_secs_f64(self.config.poll_interval);
        let due = self.last_poll.map_or_else(Instant::now, |t| t + interval);
        let now = Instant::now();
        if now < due {
            std::thread::sleep(wait.min(due - now));
            if Instant::now() < due {
                return None;
            }
        }
        self.poll();
        self.done.pop_front()
    }

    fn cancel(&mut self) {
        self.cancel_jobs();
        // Wait (bounded) until Slurm has stopped them, so none writes after the run ends.
        let until = Instant::now() + Duration::from_secs(30);
        while !self.in_flight.is_empty() && Instant::now() < until {
            self.poll();
            if !self.in_flight.is_empty() {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let rest: Vec<String> = self.in_flight.keys().cloned().collect();
        for id in rest {
            if let Some(f) = self.in_flight.remove(&id) {
                self.done.push_back(Finished { index: f.index, outcome: Err(InstanceError::Cancelled), seconds: 0.0 });
            }
        }
    }
}

impl Drop for Slurm<'_> {
    /// A runner that stops early (an error, a panic) takes its jobs with it.
    fn drop(&mut self) {
        if !self.in_flight.is_empty() {
            self.cancel_jobs();
        }
    }
}

fn absolute(workdir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_owned() } else { workdir.join(p) }
}
