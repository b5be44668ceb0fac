//! Whether each instance will run or come from the cache, and why.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    Instance, LockEntry, Lockfile, Plan, audit_key, cache_key, code_versions, external_digests, still_sealed,
    upstream_closure,
};
use crate::manifest::StageKind;
use crate::manifest::params::StageParams;
use crate::store::{Cache, tree_digest};

/// What a run will do with an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its outputs are restored from the cache.
    Cached,
    /// It is computed.
    Run,
}

/// One line of `nethical plan`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedInstance {
    /// Instance id.
    pub id: String,
    /// Stage kind.
    pub kind: StageKind,
    /// Ids of the instances it needs.
    pub needs: Vec<String>,
    /// Its cohort.
    pub cohort: Option<String>,
    /// Cached or run.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// Its cache key, when its inputs are known before running.
    #[serde(skip)]
    pub key: Option<String>,
    /// What the manifest said that it ignores, and the like.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The inputs' tree digests of instance `i`, if every upstream's outputs are known.
pub(crate) fn known_inputs(
    plan: &Plan,
    i: usize,
    digests: &[Option<String>],
) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
    let inst = &plan.instances[i];
    let mut out = BTreeMap::new();
    for (stage, ids) in &inst.decl.needs {
        let mut m = BTreeMap::new();
        for id in ids {
            let j = plan.position(id)?;
            m.insert(id.clone(), digests.get(j)?.clone()?);
        }
        out.insert(stage.clone(), m);
    }
    Some(out)
}

/// Why an instance must run, compared with what the lockfile recorded.
pub(crate) fn run_reason(
    plan: &Plan,
    inst: &Instance,
    lock: Option<&Lockfile>,
    digests: &[Option<String>],
    files: &BTreeMap<String, String>,
    key: Option<&str>,
) -> String {
    let Some(entry) = lock.and_then(|l| l.instances.get(inst.id())) else { return "new".to_owned() };
    let mut reasons = Vec::new();
    let changed = params_diff(entry, inst);
    if !changed.is_empty() {
        reasons.push(format!("params changed: {}", changed.join(", ")));
    }
    if entry.cohort != inst.decl.cohort {
        reasons.push(format!(
            "cohort changed: {} → {}",
            entry.cohort.as_deref().unwrap_or("(none)"),
            inst.decl.cohort.as_deref().unwrap_or("(none)")
        ));
    }
    if entry.seed != inst.seed {
        reasons.push(format!("seed changed (pipeline seed {})", plan.pipeline.seed));
    }
    let stages: Vec<&str> = inst
        .decl
        .needs
        .iter()
        .filter(|(stage, ids)| {
            let now: Option<BTreeMap<String, String>> =
                ids.iter().map(|id| Some((id.clone(), digests.get(plan.position(id)?)?.clone()?))).collect();
            // An upstream that will run has no digest yet: its outputs count as changed.
            now.is_none_or(|now| entry.inputs.get(*stage) != Some(&now))
        })
        .map(|(s, _)| s.as_str())
        .collect();
    if !stages.is_empty() {
        reasons.push(format!("input changed: {}", stages.join(", ")));
    }
    for (path, digest) in files {
        if entry.files.get(path) != Some(digest) {
            let what = if digest == "missing" { "input file missing" } else { "input file changed" };
            reasons.push(format!("{what}: {path}"));
        }
    }
    if let Some(before) = &entry.code {
        let changes = code_versions(inst).changes_since(before, inst.decl.kind);
        if !changes.is_empty() {
            reasons.push(format!("code changed: {}", changes.join(", ")));
        }
    }
    if let Some(l) = lock
        && l.tool_version != crate::VERSION
    {
        reasons.push(format!("tool version changed: {} → {}", l.tool_version, crate::VERSION));
    }
    if reasons.is_empty() {
        if key == Some(entry.key.as_str()) {
            return "outputs not in cache".to_owned();
        }
        return "cache key changed".to_owned();
    }
    reasons.join("; ")
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// `epochs 10 → 20`-style lines for every parameter that differs from the lockfile.
fn params_diff(entry: &LockEntry, inst: &Instance) -> Vec<String> {
    let mut before = BTreeMap::new();
    flatten("", &toml::Value::Table(entry.params.clone()), &mut before);
    let mut after = BTreeMap::new();
    if let Ok(v) = toml::Value::try_from(&inst.decl.params) {
        flatten("", &v, &mut after);
    }
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (before.get(k), after.get(k));
            (a != b).then(|| {
                format!("{k} {} → {}", a.map_or("(unset)", String::as_str), b.map_or("(unset)", String::as_str))
            })
        })
        .collect()
}

/// The output a check refused, by its path in the entry (the cache folder is an implementation
/// detail; the output's name says which artifact).
fn cached_name(entry: &crate::store::CacheEntry, problem: &crate::store::FileProblem) -> String {
    let path = match problem {
        crate::store::FileProblem::Unreadable { path, .. } | crate::store::FileProblem::Changed { path } => path,
    };
    let what = if matches!(problem, crate::store::FileProblem::Changed { .. }) { "edited" } else { "missing" };
    let rel = path.strip_prefix(&entry.files).unwrap_or(path);
    format!("{} {what}", rel.display())
}

/// Plans every instance: cached when its key is in the cache, otherwise run, with the reason.
pub fn plan_statuses(plan: &Plan, cache: &Cache, lock: Option<&Lockfile>, force: bool) -> Vec<PlannedInstance> {
    plan_statuses_forcing(plan, cache, lock, &|_| force.then_some("forced"))
}

/// [`plan_statuses`] with some instances forced to run: `forced(i)` is the reason instance `i`
/// is ("forced", "forced (--forcerun)"), `None` for one the cache may serve. The instances
/// after a forced one run only when its new output differs, since their keys are made from
/// its output's digest.
pub fn plan_statuses_forcing(
    plan: &Plan,
    cache: &Cache,
    lock: Option<&Lockfile>,
    forced: &dyn Fn(usize) -> Option<&'static str>,
) -> Vec<PlannedInstance> {
    let mut digests: Vec<Option<String>> = vec![None; plan.instances.len()];
    let mut out = Vec::with_capacity(plan.instances.len());
    for (i, inst) in plan.instances.iter().enumerate() {
        let inputs = known_inputs(plan, i, &digests);
        let files = external_digests(inst, plan, Some(cache.index()));
        let why_forced = forced(i);
        let force = why_forced.is_some();
        if inst.decl.kind == StageKind::Audit {
            let (status, reason, key) = audit_status(plan, i, cache, &out, force);
            out.push(PlannedInstance {
                id: inst.decl.id.clone(),
                kind: inst.decl.kind,
                needs: inst.decl.needs.values().flatten().cloned().collect(),
                cohort: None,
                status,
                reason,
                key,
                notes: inst.decl.notes.clone(),
            });
            continue;
        }
        let key = inputs.as_ref().map(|inp| cache_key(inst, inp, &files));
        let hit = if force { None } else { key.as_deref().and_then(|k| cache.lookup(k)) };
        let damage = hit.as_ref().filter(|e| e.reusable()).and_then(|e| e.check().err().map(|p| cached_name(e, &p)));
        let (status, reason) = match (&hit, force) {
            (Some(entry), _) if !entry.reusable() => {
                (Status::Run, format!("always runs: {}", entry.meta.volatile.as_deref().unwrap_or_default()))
            }
            (Some(_), _) if damage.is_some() => {
                (Status::Run, format!("cached output changed: {}", damage.unwrap_or_default()))
            }
            (Some(entry), _) => {
                digests[i] = Some(tree_digest(&entry.outputs));
                (Status::Cached, "unchanged".to_owned())
            }
            (None, true) => (Status::Run, why_forced.unwrap_or("forced").to_owned()),
            (None, false) => (Status::Run, run_reason(plan, inst, lock, &digests, &files, key.as_deref())),
        };
        out.push(PlannedInstance {
            id: inst.decl.id.clone(),
            kind: inst.decl.kind,
            needs: inst.decl.needs.values().flatten().cloned().collect(),
            cohort: inst.decl.cohort.clone(),
            status,
            reason,
            key,
            notes: inst.decl.notes.clone(),
        });
    }
    out
}

/// An audit instance is cached when every instance it seals is, and the append that sealed them
/// is still in the log; with `record_cached_runs` it runs to log one event saying so.
fn audit_status(
    plan: &Plan,
    i: usize,
    cache: &Cache,
    planned: &[PlannedInstance],
    force: bool,
) -> (Status, String, Option<String>) {
    let computes = upstream_closure(plan, i).into_iter().filter(|&j| planned[j].status == Status::Run).count();
    if computes > 0 || force {
        let why = if force { "forced".to_owned() } else { format!("seals the {computes} instances this run computes") };
        return (Status::Run, why, None);
    }
    let key = audit_key(plan, i, |j| planned[j].key.clone());
    let sealed = key
        .as_deref()
        .and_then(|k| cache.lookup(k))
        .filter(|e| e.check().is_ok())
        .is_some_and(|e| plan.audit_log_dir().is_some_and(|dir| still_sealed(&e, &dir)));
    let record = matches!(&plan.instances[i].decl.params, StageParams::Audit(p) if p.record_cached_runs);
    match (sealed, record) {
        (true, false) => (Status::Cached, "unchanged: these results are sealed in the log already".to_owned(), key),
        (true, true) => (Status::Run, "record_cached_runs: logs one event naming the reused results".to_owned(), key),
        (false, _) => (Status::Run, "new: these results are not in the audit log".to_owned(), key),
    }
}
