//! An `audit` instance as a cacheable step: its key names every instance it seals by cache
//! key, so a run that computes nothing seals nothing. Its cached outputs (the checkpoints, the
//! seal record, the models with their proofs) are reused only while the log still holds the
//! append that wrote them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Plan, cache_key};
use crate::store::CacheEntry;
use crate::trail::{FrontierFile, LogDir, parse_checkpoint_text};

/// The path of the checkpoint an audit instance writes, in its outputs.
pub const AUDIT_CHECKPOINT: &str = "audit/checkpoint";

/// The instances an audit instance seals: everything upstream of it, in plan order.
pub fn upstream_closure(plan: &Plan, audit: usize) -> Vec<usize> {
    let deps: BTreeSet<usize> = plan.instances[audit].deps.iter().copied().collect();
    super::targets::closure(plan, &deps).into_iter().collect()
}

/// The cache key of audit instance `i` when every instance it seals has one (`key_of`): the
/// audit's own parameters, the pipeline, the signing key's public name, and each sealed
/// instance's id and key.
pub fn audit_key(plan: &Plan, i: usize, key_of: impl Fn(usize) -> Option<String>) -> Option<String> {
    let sealed: BTreeMap<String, String> = upstream_closure(plan, i)
        .into_iter()
        .map(|j| Some((plan.instances[j].id().to_owned(), key_of(j)?)))
        .collect::<Option<_>>()?;
    let inputs = BTreeMap::from([("sealed".to_owned(), sealed)]);
    let files = BTreeMap::from([
        ("pipeline".to_owned(), plan.pipeline.name.clone()),
        ("signer".to_owned(), plan.audit_signer.clone().unwrap_or_else(|| "unsigned".to_owned())),
    ]);
    Some(cache_key(&plan.instances[i], &inputs, &files))
}

impl Plan {
    /// The audit log's folder: the one given with [`with_audit_dir`](Self::with_audit_dir),
    /// else `<runs>/<pipeline>/audit`; `None` without a runs folder.
    pub fn audit_log_dir(&self) -> Option<PathBuf> {
        self.audit_dir.clone().or_else(|| self.state_dir.as_ref().map(|d| d.join("audit")))
    }

    /// The plan with its audit log in `dir` (`--audit-path`).
    #[must_use]
    pub fn with_audit_dir(mut self, dir: &Path) -> Self {
        self.audit_dir = Some(dir.to_owned());
        self
    }
}

/// Whether the append that wrote `entry`'s checkpoint is still in the log at `log_dir`: the
/// log's frontier file vouches for the log's tail and lists the checkpoint. A cheap check (no
/// read of the log); `nethical audit verify` reads every line.
pub fn still_sealed(entry: &CacheEntry, log_dir: &Path) -> bool {
    let log = LogDir::new(log_dir);
    let (Ok(Some(latest)), Some(hint)) = (log.read_checkpoint(), FrontierFile::read(&log)) else { return false };
    let Ok(text) = entry.read(AUDIT_CHECKPOINT) else { return false };
    let Ok(sealed) = parse_checkpoint_text(&String::from_utf8_lossy(&text)) else { return false };
    sealed.origin() == latest.origin()
        && hint.trusted(&log, &latest).is_some()
        && hint.has_sealed(sealed.size(), sealed.root())
}
