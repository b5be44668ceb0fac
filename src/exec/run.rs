//! `nethical run`: executes a plan on an executor (a rayon pool, or Slurm jobs).
//!
//! The calling thread keeps the DAG: it launches ready instances (at most the executor's
//! capacity at a time, in plan order), receives their results, publishes their outputs into the
//! run folder and releases their dependents. Workers and jobs only compute (or find in the
//! cache) and never touch the run's outputs, so output bytes never depend on scheduling or on
//! where an instance ran: `-j 1`, `-j 8` and `--executor slurm` write the same files.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::artifacts::{
    ArtifactFile, InstanceReport, InstanceStatus, RESOLVED_MANIFEST_FILE, RUN_FILE, RunStatus, RunSummary,
};
use crate::audit::NoteSigner;
use crate::error::Error;
use crate::error_chain::error_chain;
use crate::manifest::StageKind;
use crate::plan::{
    LockEntry, Lockfile, Plan, PlannedInstance, Status, external_digests, lockfile_path, plan_statuses_forcing,
};
use crate::stages::{KeptState, StateInput, UpstreamOutput, kept_state};
use crate::store::{Cache, CacheEntry, Linker, RelPath, StatTrust, tree_digest};
use crate::trail::{LogDir, Trust, parse_checkpoint_text};

use super::audit_step::run_audit;
use super::executor::{Executor, Launch, Local};
use super::git::GitProbe;
use super::instance_error::InstanceError;
use super::reporter::Reporter;
use super::run_folder::{PipelineLock, RunFolder};
use super::run_options::{ExecutorChoice, RunOptions};
use super::slurm::Slurm;

/// Refuses a run whose audit stage the log's trust policy would refuse at the end (no key, or
/// another key, for a signed log; a policy that does not hold), before it makes its folder or
/// computes anything: a refusal after an hour of training costs the hour. The append checks
/// again (`trail::seal`), so this is about when, not whether.
fn check_audit_policy(plan: &Plan, opts: &RunOptions) -> Result<(), Error> {
    let log = LogDir::new(opts.audit_log_dir(&plan.pipeline.name));
    let signer = match &opts.audit_key {
        Some(path) => {
            Some(NoteSigner::from_file(path).map_err(|source| Error::AuditKey { path: path.clone(), source })?)
        }
        None => None,
    };
    let checkpoint = std::fs::read_to_string(log.checkpoint()).ok();
    let size = checkpoint.as_deref().and_then(|t| parse_checkpoint_text(t).ok()).map_or(0, |c| c.size());
    Trust::read_fast(&log)?.admit(&log.checkpoint(), checkpoint.as_deref(), size, signer.as_ref())?;
    Ok(())
}

#[derive(Clone)]
enum State {
    Pending,
    Running,
    Done,
}

/// Runs the plan; `Ok` carries the summary whatever the run's outcome (check its status), `Err`
/// means the run could not be carried out at all (lock held, folder not writable).
pub fn run(plan: &Plan, opts: &RunOptions, reporter: &dyn Reporter) -> Result<RunSummary, Error> {
    let started = Instant::now();
    let git = GitProbe::start(opts.manifest_path.parent().unwrap_or(std::path::Path::new(".")));
    if let ExecutorChoice::Slurm(launch) = &opts.executor {
        super::slurm::preflight(launch)?;
    }
    let pipeline_dir = opts.runs_dir.join(&plan.pipeline.name);
    // Cross-run inputs (histories, baseline runs) are read from this run's runs folder.
    let with_state;
    let signer = match &opts.audit_key {
        Some(path) => {
            let s = NoteSigner::from_file(path).map_err(|source| Error::AuditKey { path: path.clone(), source })?;
            Some(crate::trail::KeyName::of(&s.verifier()).to_string())
        }
        None => None,
    };
    let plan = if plan.state_dir.as_deref() == Some(pipeline_dir.as_path())
        && plan.audit_dir == opts.audit_dir
        && plan.audit_signer == signer
    {
        plan
    } else {
        let mut p = plan.clone().with_runs_dir(&opts.runs_dir);
        p.audit_dir.clone_from(&opts.audit_dir);
        p.audit_signer = signer;
        with_state = p;
        &with_state
    };
    let _lock = PipelineLock::acquire(&pipeline_dir, &plan.pipeline.name, opts.wait_for_lock)?;
    if plan.instances.iter().any(|i| i.decl.kind == StageKind::Audit) {
        check_audit_policy(plan, opts)?;
    }
    let cache = Cache::with_trust(&opts.cache_dir, if opts.verify { StatTrust::Nothing } else { StatTrust::Stat });
    let lock_path = lockfile_path(&opts.manifest_path);
    let lockfile = match Lockfile::read(&lock_path) {
        Ok(l) => l,
        Err(e) => {
            reporter.warning(&format!("{e}; it will be rewritten"));
            None
        }
    };
    let forced = |i: usize| {
        if opts.force {
            Some("forced")
        } else {
            opts.forcerun.contains(plan.instances[i].id()).then_some("forced (--forcerun)")
        }
    };
    let planned = plan_statuses_forcing(plan, &cache, lockfile.as_ref(), &forced);
    // A run that only restores from the cache may read a read-only one.
    if planned.iter().any(|p| p.status == Status::Run) {
        cache.ensure_writable().map_err(Error::io("write into the cache folder", &opts.cache_dir))?;
    }
    let folder = RunFolder::create(&pipeline_dir, &opts.clock.compact(), &plan.manifest_digest)?;
    folder.write(RESOLVED_MANIFEST_FILE, plan.resolved.as_bytes())?;
    let to_run = planned.iter().filter(|p| p.status == Status::Run).count();
    reporter.started(folder.run_id(), plan.instances.len(), to_run);

    let mut reports: Vec<InstanceReport> = plan
        .instances
        .iter()
        .zip(&planned)
        .map(|(inst, p)| InstanceReport {
            id: inst.decl.id.clone(),
            kind: inst.decl.kind.name().to_owned(),
            cohort: inst.decl.cohort.clone(),
            status: InstanceStatus::Skipped,
            reason: p.reason.clone(),
            summary: String::new(),
            error: None,
            key: None,
            outputs: BTreeMap::new(),
            warnings: Vec::new(),
            seconds: 0.0,
        })
        .collect();
    let entries = schedule(plan, opts, &cache, &folder, &planned, &mut reports, reporter, &git)?;

    let cancelled = opts.cancel.load(Ordering::Relaxed);
    let any_failed = reports.iter().any(|r| r.status == InstanceStatus::Failed);
    let status = if cancelled {
        RunStatus::Interrupted
    } else if any_failed || reports.iter().any(|r| !r.status.completed()) {
        RunStatus::Failed
    } else {
        RunStatus::Succeeded
    };
    let summary = RunSummary {
        format_version: RunSummary::FORMAT,
        run_id: folder.run_id().to_owned(),
        pipeline: plan.pipeline.name.clone(),
        status,
        manifest: opts.manifest_path.display().to_string(),
        manifest_digest: plan.manifest_digest.clone(),
        git: git.info(),
        tool_version: crate::VERSION.to_owned(),
        seed: plan.pipeline.seed,
        started_at: opts.clock.timestamp(),
        executor: match &opts.executor {
            ExecutorChoice::Local => "local",
            ExecutorChoice::Slurm(_) => "slurm",
        }
        .to_owned(),
        jobs: match &opts.executor {
            ExecutorChoice::Local => opts.jobs.get(),
            ExecutorChoice::Slurm(l) => super::slurm::capacity(&plan.executor, l),
        },
        seconds: started.elapsed().as_secs_f64(),
        instances: reports,
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    folder.write(RUN_FILE, &json)?;
    super::views::render_views(plan, &summary.instances, &folder, (&cache, &opts.link), reporter);
    folder.finish(status == RunStatus::Succeeded)?;
    // The lockfile records the history each instance read, so it is written first.
    if opts.write_lockfile {
        update_lockfile(plan, &summary, &entries, lockfile, &lock_path, &cache, reporter);
    }
    if status == RunStatus::Succeeded {
        keep_state(plan, &pipeline_dir, &entries, reporter);
    }
    // A hint for the next run: failing to keep it costs that run some hashing, nothing else.
    if let Err(e) = cache.index().save() {
        reporter.warning(&format!("cannot save the cache's stat index in `{}`: {e}", opts.cache_dir.display()));
    }
    Ok(summary)
}

#[expect(clippy::too_many_lines, reason = "one loop owns the scheduler's state; splitting it scatters the invariants")]
#[expect(
    clippy::too_many_arguments,
    reason = "the run's plan, options, stores and records, and the git state audits seal"
)]
fn schedule(
    plan: &Plan,
    opts: &RunOptions,
    cache: &Cache,
    folder: &RunFolder,
    planned: &[PlannedInstance],
    reports: &mut [InstanceReport],
    reporter: &dyn Reporter,
    git: &GitProbe,
) -> Result<Vec<Option<CacheEntry>>, Error> {
    let n = plan.instances.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, inst) in plan.instances.iter().enumerate() {
        let deps: BTreeSet<usize> = inst.deps.iter().copied().collect();
        waiting[i] = deps.len();
        for d in deps {
            dependents[d].push(i);
        }
    }
    let mut state: Vec<State> = vec![State::Pending; n];
    let mut entries: Vec<Option<CacheEntry>> = vec![None; n];
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut stopped_by: Option<String> = None;
    let mut deferred: Vec<usize> = Vec::new();

    let mut drive = |executor: &mut dyn Executor| {
        let mut running = 0usize;
        let mut cancel_sent = false;
        loop {
            let cancelled = opts.cancel.load(Ordering::Relaxed);
            if cancelled && !cancel_sent {
                cancel_sent = true;
                executor.cancel();
            }
            let mut batch = Vec::new();
            while running + batch.len() < executor.capacity() && stopped_by.is_none() && !cancelled {
                let Some(i) = ready.pop_first() else { break };
                if plan.instances[i].decl.kind == StageKind::Audit {
                    // Sealed after everything else, in plan order, so the log's order never
                    // depends on scheduling.
                    deferred.push(i);
                    state[i] = State::Done;
                    continue;
                }
                state[i] = State::Running;
                let inputs: Vec<UpstreamOutput> = plan.instances[i]
                    .decl
                    .needs
                    .iter()
                    .flat_map(|(stage, ids)| ids.iter().map(move |id| (stage, id)))
                    .filter_map(|(stage, id)| {
                        let j = plan.position(id)?;
                        Some(UpstreamOutput {
                            stage: stage.clone(),
                            id: id.clone(),
                            kind: plan.instances[j].decl.kind,
                            cohort: plan.instances[j].decl.cohort.clone(),
                            bindings: plan.instances[j].decl.bindings.clone(),
                            params: serde_json::to_value(&plan.instances[j].decl.params).unwrap_or_default(),
                            entry: entries[j].clone()?,
                        })
                    })
                    .collect();
                if planned[i].status == Status::Run {
                    reporter.instance_started(plan.instances[i].id());
                }
                batch.push(Launch { index: i, inputs });
            }
            running += batch.len();
            if !batch.is_empty() {
                executor.launch(batch);
            }
            if running == 0 {
                break;
            }
            let Some(done) = executor.next(Duration::from_millis(20)) else { continue };
            running -= 1;
            let i = done.index;
            let report = &mut reports[i];
            report.seconds = done.seconds;
            let outcome = done.outcome.and_then(|(entry, cached)| {
                publish(folder, &entry, &opts.link)
                    .map(|()| (entry, cached))
                    .map_err(|e| InstanceError::Publish(Box::new(e)))
            });
            let mut failure = None;
            match outcome {
                Ok((entry, cached)) => {
                    report.key = Some(entry.key.clone());
                    report.summary.clone_from(&entry.meta.summary);
                    report.warnings.clone_from(&entry.meta.warnings);
                    report.outputs = entry.outputs.iter().map(|(p, d)| (p.clone(), d.sha256.clone())).collect();
                    if cached {
                        report.reason = "unchanged".to_owned();
                    }
                    if let Some(f) = &entry.meta.failure {
                        report.status = InstanceStatus::Failed;
                        report.error = Some(f.clone());
                    } else {
                        report.status = if cached { InstanceStatus::Cached } else { InstanceStatus::Ran };
                    }
                    entries[i] = Some(entry);
                }
                Err(InstanceError::Cancelled) if opts.cancel.load(Ordering::Relaxed) => {
                    report.status = InstanceStatus::Interrupted;
                    report.error = Some("interrupted".to_owned());
                }
                Err(e) => {
                    report.status = InstanceStatus::Failed;
                    report.error = Some(error_chain(&e));
                    failure = Some(e);
                }
            }
            state[i] = State::Done;
            let report = report.clone();
            reporter.instance_finished(&report);
            if let Some(diagnostic) = failure.as_ref().and_then(InstanceError::diagnostic) {
                reporter.instance_diagnostic(&report.id, diagnostic);
            }
            for w in &report.warnings {
                reporter.warning(&format!("{}: {w}", report.id));
            }
            if report.status.completed() {
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 && matches!(state[d], State::Pending) {
                        ready.insert(d);
                    }
                }
            } else if report.status == InstanceStatus::Failed {
                if opts.keep_going {
                    skip_dependents(plan, i, &dependents, &mut state, &mut ready, reports, reporter);
                } else if stopped_by.is_none() {
                    stopped_by = Some(report.id.clone());
                }
            }
        }
    };
    match &opts.executor {
        ExecutorChoice::Local => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(opts.jobs.get())
                .thread_name(|i| format!("nethical-worker-{i}"))
                .build()
                .map_err(|e| Error::Internal(format!("cannot start {} worker threads: {e}", opts.jobs)))?;
            pool.in_place_scope(|scope| drive(&mut Local::new(scope, plan, cache, opts, reporter)));
        }
        ExecutorChoice::Slurm(launch) => {
            let mut slurm = Slurm::new(plan, opts, cache, folder, launch)?;
            drive(&mut slurm);
        }
    }
    let cancelled = opts.cancel.load(Ordering::Relaxed);
    deferred.sort_unstable();
    for i in deferred {
        if cancelled {
            state[i] = State::Pending;
            continue;
        }
        if planned[i].status == Status::Run {
            reporter.instance_started(plan.instances[i].id());
        }
        let t = Instant::now();
        let outcome = run_audit(plan, i, opts, folder, reports, cache, &planned[i], git);
        let report = &mut reports[i];
        report.seconds = t.elapsed().as_secs_f64();
        match outcome {
            Ok(done) => {
                report.status = if done.cached { InstanceStatus::Cached } else { InstanceStatus::Ran };
                report.summary = done.summary;
                report.outputs = done.outputs;
                report.key = done.key;
            }
            Err(e) => {
                report.status = InstanceStatus::Failed;
                report.error = Some(e);
            }
        }
        let report = report.clone();
        reporter.instance_finished(&report);
    }
    for i in 0..n {
        if matches!(state[i], State::Pending) {
            let r = &mut reports[i];
            r.status = InstanceStatus::Skipped;
            r.reason = match (&stopped_by, cancelled) {
                (_, true) => "not started: the run was interrupted".to_owned(),
                (Some(f), _) => {
                    format!("not started: the run stopped after `{f}` failed (--keep-going runs independent instances)")
                }
                (None, _) => r.reason.clone(),
            };
            let r = r.clone();
            reporter.instance_finished(&r);
        }
    }
    Ok(entries)
}

fn skip_dependents(
    plan: &Plan,
    failed: usize,
    dependents: &[Vec<usize>],
    state: &mut [State],
    ready: &mut BTreeSet<usize>,
    reports: &mut [InstanceReport],
    reporter: &dyn Reporter,
) {
    let mut stack = dependents[failed].clone();
    while let Some(d) = stack.pop() {
        if !matches!(state[d], State::Pending) {
            continue;
        }
        state[d] = State::Done;
        ready.remove(&d);
        reports[d].status = InstanceStatus::Skipped;
        reports[d].reason = format!("not run: it needs `{}`, which failed", plan.instances[failed].id());
        reporter.instance_finished(&reports[d]);
        stack.extend(dependents[d].iter().copied());
    }
}

/// Places an entry's files into the run folder without reading them: a cached entry was
/// checked when it was looked up (a stat each, through the index), a computed one was hashed
/// as it was written.
fn publish(folder: &RunFolder, entry: &CacheEntry, linker: &Linker) -> Result<(), Error> {
    for path in entry.outputs.keys() {
        let rel = RelPath::new(path).map_err(|e| Error::Internal(e.to_string()))?;
        folder.publish_cached(&rel, &entry.path(path), linker)?;
    }
    Ok(())
}

/// Carries each instance's cross-run state (what its kind's `kept_state` names) to the next
/// run: only a complete run's, so a failed or interrupted run never advances it. Written
/// atomically; a failure costs the next run that state (it is warned about), never this run's
/// results.
fn keep_state(plan: &Plan, pipeline_dir: &std::path::Path, entries: &[Option<CacheEntry>], reporter: &dyn Reporter) {
    for (inst, entry) in plan.instances.iter().zip(entries) {
        let Some(entry) = entry else { continue };
        let outputs: Vec<&str> = entry.outputs.keys().map(String::as_str).collect();
        let at = StateInput { instance: inst, outputs: &outputs, state_dir: pipeline_dir };
        for KeptState { output, to, what } in kept_state(&at) {
            let written = entry.read(&output).map_err(|e| e.to_string()).and_then(|bytes| {
                if let Some(dir) = to.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                crate::store::write_durable(&to, &bytes).map_err(|e| e.to_string())
            });
            if let Err(e) = written {
                reporter.warning(&format!("cannot keep the {what} of `{}` in `{}`: {e}", inst.id(), to.display()));
            }
        }
    }
}

fn update_lockfile(
    plan: &Plan,
    summary: &RunSummary,
    entries: &[Option<CacheEntry>],
    previous: Option<Lockfile>,
    path: &std::path::Path,
    cache: &Cache,
    reporter: &dyn Reporter,
) {
    let before = previous.as_ref().map(Lockfile::render);
    let mut lock = previous.unwrap_or_else(|| Lockfile::new(&plan.pipeline.name));
    lock.tool_version = crate::VERSION.to_owned();
    lock.pipeline.clone_from(&plan.pipeline.name);
    // A partial run (targets, `--until`) keeps what it did not plan; a full one drops what the
    // manifest no longer has.
    if !plan.is_partial() {
        lock.instances.retain(|id, _| plan.position(id).is_some());
    }
    for (i, inst) in plan.instances.iter().enumerate() {
        let (Some(entry), true) = (&entries[i], summary.instances[i].status.completed()) else { continue };
        let mut inputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (stage, ids) in &inst.decl.needs {
            let m = inputs.entry(stage.clone()).or_default();
            for id in ids {
                if let Some(Some(e)) = plan.position(id).map(|j| &entries[j]) {
                    m.insert(id.clone(), tree_digest(&e.outputs));
                }
            }
        }
        let params = match toml::Value::try_from(&inst.decl.params) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        lock.instances.insert(
            inst.decl.id.clone(),
            LockEntry {
                kind: inst.decl.kind,
                key: entry.key.clone(),
                seed: inst.seed,
                cohort: inst.decl.cohort.clone(),
                inputs,
                files: external_digests(inst, plan, Some(cache.index())),
                outputs: entry
                    .outputs
                    .iter()
                    .filter(|(p, _)| !crate::store::is_timing_file(p))
                    .map(|(p, d)| (p.clone(), d.sha256.clone()))
                    .collect(),
                code: Some(crate::plan::code_versions(inst)),
                params,
            },
        );
    }
    if before.as_deref() == Some(lock.render().as_str()) {
        return;
    }
    if let Err(e) = lock.write(path) {
        reporter.warning(&error_chain(&e));
    }
}
