//! Running an `audit` instance: describe what its upstream did as events, append them to the
//! pipeline's log (`trail::seal`), record the checkpoints in the run folder, and give each
//! model its inclusion proof.
//!
//! It runs on the scheduler's thread once every other instance is done, in plan order, and
//! reads only the run folder and the run's reports, so the events (and the log) never depend on
//! `-j` or on which instances came from the cache. The run clock is the only time it writes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::git::GitProbe;
use super::run_folder::RunFolder;
use super::run_options::RunOptions;
use crate::artifacts::InstanceReport;
use crate::audit::hash_from_hex;
use crate::audit::{NoteSigner, hash_to_hex};
use crate::error_chain::error_chain;
use crate::manifest::params::StageParams;
use crate::plan::{Plan, PlannedInstance, Status, audit_key, still_sealed, upstream_closure};
use crate::stages::{AuditInput, ModelLink, audit_events, saves_cohort_model};
use crate::store::{Cache, CacheEntry, EntryMeta, RelPath, is_timing_file, sha256_hex};
use crate::trail::{
    CONSISTENCY_FILE, ConsistencyRecord, CrashPoint, FrontierFile, KeyName, LogDir, ModelAudit, SEAL_FILE, SealRecord,
    SealedIndex, SealedInstance, TreeHead, attach_model_audit, canonical_line, json_safe, model_content_sha256,
    proves_model, seal,
};

/// A model the run published, and where its proof comes from.
struct ModelCopy {
    /// Where its proof comes from.
    proof: ProofSource,
    /// The run-folder paths of its copies (the cohort's and, after a gate, the promoted one),
    /// each with the instance whose event names it.
    paths: Vec<(String, usize)>,
}

/// Where a published model's proof comes from.
enum ProofSource {
    /// Its `model_saved` event, at this index of the run's list.
    Event(usize),
    /// An earlier run sealed it: that run's copy, proof included (checked by
    /// [`proves_model`] when it was found).
    Earlier(Vec<u8>),
}

/// An audit instance's view of the sealed-results index: whose results, which log, which key.
#[derive(Clone, Copy)]
struct SealScope<'a> {
    plan: &'a Plan,
    /// The audit instance.
    audit: usize,
    log: &'a LogDir,
    /// The signing key's public name, or `unsigned`.
    signer: &'a str,
    folder: &'a RunFolder,
    reports: &'a [InstanceReport],
}

/// An upstream result the log already holds (see [`SealedIndex`]): the run sealed it, and the
/// copies of its models with their proofs.
struct ReusedPart {
    record: SealedInstance,
    models: BTreeMap<String, Vec<u8>>,
}

/// The upstream results of audit instance `audit` that the log already holds with the same
/// outputs, so this run names them instead of sealing them again. Empty when the log's
/// `frontier.json` does not vouch for it (then everything is sealed, as before).
fn already_sealed(scope: &SealScope<'_>) -> BTreeMap<usize, ReusedPart> {
    let SealScope { plan, audit, log, signer, folder, reports } = *scope;
    let mut out = BTreeMap::new();
    let (Ok(Some(latest)), Some(hint)) = (log.read_checkpoint(), FrontierFile::read(log)) else { return out };
    if hint.trusted(log, &latest).is_none() {
        return out;
    }
    let Some(pipeline_dir) = folder.path().parent() else { return out };
    let index = SealedIndex::new(log);
    for j in upstream_closure(plan, audit) {
        let report = &reports[j];
        let Some(key) = report.key.as_deref().filter(|_| report.status.completed()) else { continue };
        let Some(record) = index.get(signer, plan.instances[j].id(), key) else { continue };
        let sealed_root = hash_from_hex(&record.root).ok();
        if !sealed_root.is_some_and(|r| hint.has_sealed(record.size, &r)) || record.outputs != sealed_outputs(report) {
            continue;
        }
        let models: Option<BTreeMap<String, Vec<u8>>> = record
            .models
            .iter()
            .map(|(rel, content)| {
                let bytes = std::fs::read(pipeline_dir.join(&record.run).join(rel)).ok()?;
                proves_model(&bytes, content, record.size, &record.root).then(|| (rel.clone(), bytes))
            })
            .collect();
        if let Some(models) = models {
            out.insert(j, ReusedPart { record, models });
        }
    }
    out
}

/// The outputs a `stage_end` event logs: measured timings differ on every run, and sealing
/// them would make the log differ too.
fn sealed_outputs(report: &InstanceReport) -> BTreeMap<String, String> {
    report.outputs.iter().filter(|(p, _)| !is_timing_file(p)).map(|(p, d)| (p.clone(), d.clone())).collect()
}

/// Events of one run, in order, and the models among them.
fn run_events(
    plan: &Plan,
    audit: usize,
    opts: &RunOptions,
    folder: &RunFolder,
    reports: &[InstanceReport],
    reused: &BTreeMap<usize, ReusedPart>,
    git: &GitProbe,
) -> Result<(Vec<Value>, Vec<ModelCopy>), String> {
    let sealed = upstream_closure(plan, audit);
    let git = git.info();
    let mut events = vec![json!({
        "event": "run_start",
        "pipeline": plan.pipeline.name,
        "manifest_sha256": plan.manifest_digest,
        "seed": plan.pipeline.seed.to_string(),
        "tool_version": crate::VERSION,
        "git": git.map(|g| json!({"commit": g.commit, "dirty": g.dirty})),
        "time": opts.clock.timestamp(),
        "audit_instance": plan.instances[audit].id(),
        "instances": sealed.len(),
    })];
    let mut models = Vec::new();
    let mut by_cohort: BTreeMap<String, usize> = BTreeMap::new();
    if !reused.is_empty() {
        let names: BTreeMap<&str, Value> = reused
            .iter()
            .map(|(&j, part)| {
                (plan.instances[j].id(), json!({"cache_key": part.record.key, "sealed_by": part.record.run}))
            })
            .collect();
        events.push(json!({"event": "stages_reused", "reused": names}));
    }
    for &j in &sealed {
        let inst = &plan.instances[j];
        let report = &reports[j];
        if let Some(part) = reused.get(&j) {
            for (rel, bytes) in &part.models {
                if saves_cohort_model(inst.decl.kind)
                    && let Some(c) = &inst.decl.cohort
                {
                    by_cohort.insert(c.clone(), models.len());
                }
                models.push(ModelCopy { proof: ProofSource::Earlier(bytes.clone()), paths: vec![(rel.clone(), j)] });
            }
            continue;
        }
        let params = serde_json::to_value(&inst.decl.params).map_err(|e| e.to_string())?;
        let params_digest = sha256_hex(canonical_line(&json_safe(params)).map_err(|e| e.to_string())?.as_bytes());
        let needs: Vec<&String> = inst.decl.needs.values().flatten().collect();
        events.push(json!({
            "event": "stage_start",
            "id": inst.id(),
            "kind": inst.decl.kind.name(),
            "cohort": inst.decl.cohort,
            "needs": needs,
            "seed": inst.seed.to_string(),
            "params_sha256": params_digest,
        }));
        events.push(json!({
            "event": "stage_end",
            "id": inst.id(),
            "status": report.status.word(),
            "cache_key": report.key,
            "outputs": sealed_outputs(report),
        }));
        let at = AuditInput { instance: inst, outputs: &report.outputs, folder: folder.path() };
        for e in audit_events(&at).map_err(|e| error_chain(&e))? {
            events.push(e.event);
            match e.model {
                Some(ModelLink::Saved(path)) => {
                    if let Some(c) = &inst.decl.cohort {
                        by_cohort.insert(c.clone(), models.len());
                    }
                    models.push(ModelCopy { proof: ProofSource::Event(events.len() - 1), paths: vec![(path, j)] });
                }
                Some(ModelLink::Copied(path)) => {
                    if let Some(m) = inst.decl.cohort.as_ref().and_then(|c| by_cohort.get(c)) {
                        models[*m].paths.push((path, j));
                    }
                }
                None => {}
            }
        }
    }
    let failed = sealed.iter().filter(|&&j| !reports[j].status.completed()).count();
    events.push(json!({
        "event": "run_end",
        "status": if failed == 0 { "succeeded" } else { "failed" },
        "instances": sealed.len(),
        "failed": failed,
    }));
    Ok((events.into_iter().map(json_safe).collect(), models))
}

/// The audit folder as a path relative to the finished run folder (`../audit` by default),
/// so `nethical audit verify <run folder>` finds its log wherever `--audit-path` put it, and
/// no absolute path makes the run's bytes depend on where the project lives.
fn log_from_run_folder(log: &LogDir, folder: &RunFolder) -> String {
    let (Ok(target), Ok(tmp)) = (std::fs::canonicalize(log.path()), std::fs::canonicalize(folder.path())) else {
        return "../audit".to_owned();
    };
    let Some(base) = tmp.parent().map(|p| p.join(folder.run_id())) else { return "../audit".to_owned() };
    let (t, b): (Vec<_>, Vec<_>) = (target.components().collect(), base.components().collect());
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); b.len() - common];
    parts.extend(t[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// What an audit instance did.
pub(super) struct AuditOutcome {
    /// Its summary line.
    pub summary: String,
    /// The files it placed in the run folder (path → SHA-256).
    pub outputs: BTreeMap<String, String>,
    /// Whether it reused an earlier seal instead of appending.
    pub cached: bool,
    /// Its cache key, when every instance it seals has one.
    pub key: Option<String>,
}

/// Runs audit instance `i`. Cached (`planned` says so): places the earlier seal's files and
/// models and appends nothing. Otherwise appends this run's events (or, with
/// `record_cached_runs` and nothing computed, one `run_cached` event) and keeps what it wrote in
/// the cache for the next run with the same results.
#[expect(
    clippy::too_many_arguments,
    reason = "the instance and its plan entry, the run's options, stores and records, its git state"
)]
pub(super) fn run_audit(
    plan: &Plan,
    i: usize,
    opts: &RunOptions,
    folder: &RunFolder,
    reports: &[InstanceReport],
    cache: &Cache,
    planned: &PlannedInstance,
    git: &GitProbe,
) -> Result<AuditOutcome, String> {
    let inst = &plan.instances[i];
    let key = audit_key(plan, i, |j| reports[j].key.clone().filter(|_| reports[j].status.completed()));
    let earlier = planned
        .key
        .as_deref()
        .filter(|k| key.as_deref() == Some(*k))
        .and_then(|k| cache.lookup(k))
        .filter(|e| e.check().is_ok());
    if planned.status == Status::Cached
        && let Some(entry) = &earlier
    {
        place_sealed(folder, entry, opts, true)?;
        return Ok(AuditOutcome {
            summary: entry.meta.summary.clone(),
            outputs: entry.outputs.iter().map(|(p, d)| (p.clone(), d.sha256.clone())).collect(),
            cached: true,
            key,
        });
    }
    let origin = match &inst.decl.params {
        StageParams::Audit(p) => p.origin.clone(),
        _ => None,
    }
    .unwrap_or_else(|| format!("nethical/{}", plan.pipeline.name));
    let record_cached = matches!(&inst.decl.params, StageParams::Audit(p) if p.record_cached_runs);
    let reused = match (&earlier, record_cached, plan.audit_log_dir()) {
        (Some(entry), true, Some(dir)) if still_sealed(entry, &dir) => Some(entry),
        _ => None,
    };
    let log = LogDir::new(opts.audit_log_dir(&plan.pipeline.name));
    let signer = match &opts.audit_key {
        Some(path) => Some(
            NoteSigner::from_file(path)
                .map_err(|e| format!("cannot use the audit signing key `{}`: {e}", path.display()))?,
        ),
        None => None,
    };
    let signer_name = signer.as_ref().map_or_else(|| "unsigned".to_owned(), |s| KeyName::of(&s.verifier()).to_string());
    let scope = SealScope { plan, audit: i, log: &log, signer: &signer_name, folder, reports };
    let parts = match reused {
        Some(_) => BTreeMap::new(),
        None => already_sealed(&scope),
    };
    let (events, models) = match reused {
        Some(entry) => (vec![cached_run_event(plan, i, opts, reports, entry)?], Vec::new()),
        None => run_events(plan, i, opts, folder, reports, &parts, git)?,
    };
    let crash = if opts.failpoints.crashes_at(inst.id(), "mid_append") {
        Some(CrashPoint::MidAppend)
    } else if opts.failpoints.crashes_at(inst.id(), "before_checkpoint") {
        Some(CrashPoint::BeforeCheckpoint)
    } else {
        None
    };
    let sealed = seal(&log, &origin, folder.run_id(), events, signer.as_ref(), crash).map_err(|e| error_chain(&e))?;

    let mut written: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut put = |rel: &str, bytes: &[u8], replace: bool| -> Result<(), String> {
        let path = RelPath::new(rel).map_err(|e| e.to_string())?;
        if replace { folder.replace(&path, bytes) } else { folder.publish(&path, bytes) }.map_err(|e| e.to_string())?;
        written.insert(rel.to_owned(), bytes.to_vec());
        Ok(())
    };
    if let Some(entry) = reused {
        // The earlier seal's models, with their proofs: this run's copies are the same models.
        place_sealed(folder, entry, opts, false)?;
    }
    let offset = sealed.events_from;
    let root = hash_to_hex(sealed.after.root());
    // Instance → its models' paths and content digests, for the index of sealed results.
    let mut contents: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for model in &models {
        let audit = match &model.proof {
            ProofSource::Earlier(bytes) => {
                let content = serde_json::from_slice::<Value>(bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|m| model_content_sha256(&m).map_err(|e| e.to_string()))?;
                for (rel, owner) in &model.paths {
                    contents.entry(*owner).or_default().insert(rel.clone(), content.clone());
                    put(rel, bytes, true)?;
                }
                continue;
            }
            ProofSource::Event(event) => {
                let seq = offset + *event as u64;
                let line = usize::try_from(seq - sealed.first_seq)
                    .ok()
                    .and_then(|k| sealed.lines.get(k))
                    .cloned()
                    .unwrap_or_default();
                let proof = sealed.inclusion_proof(seq).map_err(|e| e.to_string())?;
                ModelAudit {
                    origin: origin.clone(),
                    event: line,
                    leaf_index: seq,
                    tree_size: sealed.after.size(),
                    root: root.clone(),
                    inclusion_proof: proof.iter().map(hash_to_hex).collect(),
                }
            }
        };
        for (rel, owner) in &model.paths {
            let bytes = std::fs::read(folder.path().join(rel)).map_err(|e| format!("cannot read `{rel}`: {e}"))?;
            let with = attach_model_audit(&bytes, &audit).map_err(|e| e.to_string())?;
            let content = serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|m| model_content_sha256(&m).map_err(|e| e.to_string()))?;
            contents.entry(*owner).or_default().insert(rel.clone(), content);
            put(rel, &with, true)?;
        }
    }
    if reused.is_none() {
        index_sealed(&scope, &parts, &contents, &sealed);
    }
    let (from, to) = (sealed.before.size(), sealed.after.size());
    let proof = sealed.consistency_proof().map_err(|e| e.to_string())?;
    let consistency = ConsistencyRecord {
        from: TreeHead { root: hash_to_hex(sealed.before.root()), size: from },
        proof: proof.iter().map(hash_to_hex).collect(),
        to: TreeHead { root: root.clone(), size: to },
    };
    let seal_record = SealRecord {
        audit_instance: inst.id().to_owned(),
        events: sealed.lines.len() as u64,
        first_event: sealed.first_seq,
        format_version: 1,
        log: log_from_run_folder(&log, folder),
        origin: origin.clone(),
        recovery_events: sealed.recovery_events as u64,
        run: Some(folder.run_id().to_owned()),
        signed: signer.is_some(),
    };
    let pretty = |v: &Value| -> Result<Vec<u8>, String> {
        let mut b = serde_json::to_vec_pretty(v).map_err(|e| e.to_string())?;
        b.push(b'\n');
        Ok(b)
    };
    put("audit/checkpoint.before", sealed.before_text.as_bytes(), false)?;
    put("audit/checkpoint", sealed.after_text.as_bytes(), false)?;
    let consistency_value = serde_json::to_value(&consistency).map_err(|e| e.to_string())?;
    put(&format!("audit/{CONSISTENCY_FILE}"), &pretty(&consistency_value)?, false)?;
    let seal_value = serde_json::to_value(&seal_record).map_err(|e| e.to_string())?;
    put(&format!("audit/{SEAL_FILE}"), &pretty(&seal_value)?, false)?;

    let repaired = if sealed.recovery_events > 0 { " (after repairing an interrupted append)" } else { "" };
    let named = match parts.len() {
        0 => String::new(),
        n => format!(", {n} results sealed by earlier runs named"),
    };
    let pinned = match (&signer, sealed.policy_event) {
        (Some(s), Some(seq)) => format!(", key {} pinned (event #{seq})", KeyName::of(&s.verifier())),
        _ => String::new(),
    };
    let summary = format!(
        "sealed {} events (#{}..#{}){repaired}{named} → checkpoint size {to}, root {}…{pinned}",
        sealed.lines.len(),
        sealed.first_seq,
        to.saturating_sub(1),
        &root[..12]
    );
    let outputs = written.iter().map(|(p, b)| (p.clone(), sha256_hex(b))).collect();
    // Kept for the next run with the same results, which then appends nothing: only a fresh
    // seal of a complete run (a `run_cached` record is this run's own, not reusable).
    let complete = upstream_closure(plan, i).iter().all(|&j| reports[j].status.completed());
    if let (Some(k), None, true) = (&key, reused, complete) {
        let meta = EntryMeta { summary: format!("run {} {summary}", folder.run_id()), ..EntryMeta::default() };
        if let Err(e) = keep(cache, k, &written, meta) {
            // The seal is done and in the run folder; the next run seals again, that is all.
            return Ok(AuditOutcome {
                summary: format!("{summary} (not kept in the cache: {e})"),
                outputs,
                cached: false,
                key,
            });
        }
    }
    Ok(AuditOutcome { summary, outputs, cached: false, key })
}

/// Records in the log's [`SealedIndex`] each upstream result this run sealed itself, so a
/// later run with the same result names it instead of sealing it again. Only a hint: a record
/// that cannot be written costs the next run a re-seal, nothing else.
fn index_sealed(
    scope: &SealScope<'_>,
    parts: &BTreeMap<usize, ReusedPart>,
    contents: &BTreeMap<usize, BTreeMap<String, String>>,
    sealed: &crate::trail::Sealed,
) {
    let SealScope { plan, audit, log, signer, folder, reports } = *scope;
    let index = SealedIndex::new(log);
    let root = hash_to_hex(sealed.after.root());
    for j in upstream_closure(plan, audit) {
        let report = &reports[j];
        let Some(key) = report.key.as_ref().filter(|_| report.status.completed() && !parts.contains_key(&j)) else {
            continue;
        };
        let record = SealedInstance {
            format_version: 1,
            id: plan.instances[j].id().to_owned(),
            key: key.clone(),
            run: folder.run_id().to_owned(),
            size: sealed.after.size(),
            root: root.clone(),
            models: contents.get(&j).cloned().unwrap_or_default(),
            outputs: sealed_outputs(report),
        };
        if let Err(e) = index.put(signer, &record) {
            tracing::warn!("cannot record that {} is sealed ({e}); the next run seals it again", record.id);
        }
    }
}

/// Places a cached seal's files in the run folder: its models (replacing the train instances'
/// copies, which carry no proof) and, with `audit_files`, its checkpoints and seal record.
fn place_sealed(folder: &RunFolder, entry: &CacheEntry, opts: &RunOptions, audit_files: bool) -> Result<(), String> {
    for rel in entry.outputs.keys() {
        let path = RelPath::new(rel).map_err(|e| e.to_string())?;
        let placed = match (rel.starts_with("audit/"), audit_files) {
            (true, true) => folder.publish_cached(&path, &entry.path(rel), &opts.link),
            (true, false) => continue,
            (false, _) => folder.replace_cached(&path, &entry.path(rel), &opts.link),
        };
        placed.map_err(|e| error_chain(&e))?;
    }
    Ok(())
}

/// Stores an audit instance's files under `key`.
fn keep(cache: &Cache, key: &str, files: &BTreeMap<String, Vec<u8>>, meta: EntryMeta) -> std::io::Result<()> {
    let mut staging = cache.stage(key)?;
    for (rel, bytes) in files {
        let path = RelPath::new(rel).map_err(std::io::Error::other)?;
        staging.write(&path, bytes)?;
    }
    staging.commit(meta, true).map(|_| ())
}

/// The one event a `record_cached_runs` audit appends when the run computed nothing: which
/// earlier run sealed these results, and the keys reused.
fn cached_run_event(
    plan: &Plan,
    i: usize,
    opts: &RunOptions,
    reports: &[InstanceReport],
    entry: &CacheEntry,
) -> Result<Value, String> {
    let record: SealRecord = entry
        .read(&format!("audit/{SEAL_FILE}"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))?;
    let reused: BTreeMap<&str, Option<&String>> =
        upstream_closure(plan, i).into_iter().map(|j| (plan.instances[j].id(), reports[j].key.as_ref())).collect();
    Ok(json_safe(json!({
        "event": "run_cached",
        "pipeline": plan.pipeline.name,
        "manifest_sha256": plan.manifest_digest,
        "time": opts.clock.timestamp(),
        "audit_instance": plan.instances[i].id(),
        "sealed_by": record.run,
        "sealed_events": {"first": record.first_event, "count": record.events},
        "reused": reused,
    })))
}
