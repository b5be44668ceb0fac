//! Appending one run's events to the pipeline's log and checkpointing the result.

use std::fs;

use serde_json::{Value, json};

use super::frontier_file::FrontierFile;
use super::log_dir::{LogDir, Pending, append_synced, prefix_root, read_from, truncate};
use super::signature_check::KeyName;
use super::trust_policy::{PolicyEvent, Trust, TrustPolicy, policy_event, write_policy};
use super::{TrailError, canonical_line};
use crate::audit::{
    Checkpoint, Extension, Frontier, Hash, NoteSigner, ProofError, SignedNote, empty_root, hash_to_hex, leaf_hash, root,
};
use crate::store::{sha256_hex, write_durable};

/// Where an append may be made to crash, for the crash-safety tests (see
/// [`crate::exec::Failpoints`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the marker and half of the events' bytes are written.
    MidAppend,
    /// After all events are written and synced, before the checkpoint.
    BeforeCheckpoint,
}

/// What a sealed append produced.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The checkpoint before the run (size 0 for a new log).
    pub before: Checkpoint,
    /// The checkpoint file's text before the run, verbatim (signed or not).
    pub before_text: String,
    /// The checkpoint after the run.
    pub after: Checkpoint,
    /// The checkpoint file's text after the run, as written.
    pub after_text: String,
    /// The seq of the first event appended (recovery events included).
    pub first_seq: u64,
    /// The tree at the checkpoint before the append.
    pub old: Frontier,
    /// The leaves after it: whole events an interrupted append left, then the ones appended.
    pub new_leaves: Vec<Hash>,
    /// The lines appended, in order (without newlines).
    pub lines: Vec<String>,
    /// How many of them were recovery events written before the run's own.
    pub recovery_events: usize,
    /// The seq of the `audit_policy` event this append wrote to pin its key, if it did.
    pub policy_event: Option<u64>,
    /// The seq of the caller's first event (after recovery and policy events).
    pub events_from: u64,
}

/// Appends `events` (objects without `seq`, `prev` and `run`, which are filled in here) for run
/// `run_id` to the log in `log`, after checking the log against its checkpoint and repairing an
/// interrupted earlier append. Returns what was written.
///
/// The log's trust policy ([`Trust`]) is enforced here too, not only by the runner's check
/// before a run: a pinned log is appended to only with its key, and only when its checkpoint
/// carries that key's valid signature; the first signed append pins its key.
#[expect(clippy::too_many_lines, reason = "one append, in the order its crash safety depends on")]
pub fn seal(
    log: &LogDir,
    origin: &str,
    run_id: &str,
    events: Vec<Value>,
    signer: Option<&NoteSigner>,
    crash: Option<CrashPoint>,
) -> Result<Sealed, TrailError> {
    let before = match log.read_checkpoint()? {
        Some(c) => c,
        None => {
            Checkpoint::new(origin, 0, empty_root(), Vec::new()).map_err(|e| TrailError::Checkpoint(e.to_string()))?
        }
    };
    let on_file = fs::read_to_string(log.checkpoint()).ok();
    let before_text = on_file.clone().unwrap_or_else(|| before.to_text());
    if before.origin() != origin {
        return Err(TrailError::Broken(format!(
            "its checkpoint is for origin `{}`, not `{origin}`; give the audit stage that `origin`",
            before.origin()
        )));
    }
    let size = before.size();
    let hint = FrontierFile::read(log);
    let pending = log.read_pending()?;
    // The frontier file spares reading the log when it describes the log's tail exactly and no
    // append was interrupted; otherwise the whole log is read and checked, as it always was.
    let trusted = if pending.is_none() { hint.as_ref().and_then(|h| h.trusted(log, &before)) } else { None };
    let trusted_events = trusted.as_ref().and(hint.as_ref()).map(|h| h.policy_events.clone());
    let Tail { old, mut leaves, mut last, recovery } = match trusted {
        Some((old, last)) => Tail { old, leaves: Vec::new(), last, recovery: Vec::new() },
        None => read_tail(log, size, &before, pending)?,
    };
    // After the repair: the policy events of a torn tail it dropped pin nothing.
    let trust = match (&trusted_events, recovery.is_empty()) {
        (Some(events), true) => Trust::with_events(log, events.clone())?,
        _ => Trust::read(log)?,
    };
    let admission = trust.admit(&log.checkpoint(), on_file.as_deref(), size, signer)?;
    // `leaves` are the ones after the checkpoint: events an interrupted append wrote whole.
    let first_seq = size + leaves.len() as u64;
    let recovery_events = recovery.len();
    let policy_seq = admission.pin.as_ref().map(|_| first_seq + recovery_events as u64);
    let events_from = first_seq + recovery_events as u64 + u64::from(policy_seq.is_some());
    let pin = admission.pin.as_ref().map(policy_event);
    let mut lines = Vec::with_capacity(recovery.len() + events.len() + 1);
    for mut event in recovery.into_iter().chain(pin).chain(events) {
        let Value::Object(fields) = &mut event else {
            return Err(TrailError::Artifact("an audit event must be a JSON object".to_owned()));
        };
        fields.insert("seq".into(), json!(size + leaves.len() as u64));
        fields.insert("prev".into(), json!(last.as_ref().map(hash_to_hex).unwrap_or_default()));
        fields.insert("run".into(), json!(run_id));
        let line = canonical_line(&event)?;
        let leaf = leaf_hash(line.as_bytes());
        leaves.push(leaf);
        last = Some(leaf);
        lines.push(line);
    }
    let extension = Extension::new(&old, &leaves);
    let after_root = extension.root();
    let after_size = extension.size();
    // Measured from the checkpoint, which a later repair compares it with.
    let mut pending =
        Pending { from_size: size, to_size: after_size, to_root: hash_to_hex(&after_root), signed_note: None };
    if let Some(s) = signer {
        let note = SignedNote::sign(&pending.note_text(), &[s]).map_err(|e| TrailError::Key(e.to_string()))?;
        pending.signed_note = Some(note.to_text());
    }
    let marker = serde_json::to_vec(&pending).map_err(|e| TrailError::Artifact(e.to_string()))?;
    fs::create_dir_all(log.path()).map_err(|source| TrailError::Io {
        what: "create folder",
        path: log.path().to_owned(),
        source,
    })?;
    write_durable(&log.pending(), &marker).map_err(|source| TrailError::Io {
        what: "write",
        path: log.pending(),
        source,
    })?;
    let mut bytes = String::new();
    for line in &lines {
        bytes.push_str(line);
        bytes.push('\n');
    }
    if crash == Some(CrashPoint::MidAppend) {
        append_synced(&log.events(), &bytes.as_bytes()[..bytes.len() / 2])?;
        std::process::abort();
    }
    let start = file_len(&log.events())?;
    append_synced(&log.events(), bytes.as_bytes())?;
    read_back(&log.events(), start, &leaves[leaves.len() - lines.len()..])?;
    if crash == Some(CrashPoint::BeforeCheckpoint) {
        std::process::abort();
    }
    let after = Checkpoint::new(origin, after_size, after_root, Vec::new())
        .map_err(|e| TrailError::Checkpoint(e.to_string()))?;
    let after_text = match signer {
        Some(s) => after.sign(&[s]).map_err(|e| TrailError::Key(e.to_string()))?.to_text(),
        None => after.to_text(),
    };
    write_durable(&log.checkpoint(), after_text.as_bytes()).map_err(|source| TrailError::Io {
        what: "write",
        path: log.checkpoint(),
        source,
    })?;
    fs::remove_file(log.pending()).map_err(|source| TrailError::Io { what: "remove", path: log.pending(), source })?;
    // Written once the checkpoint seals its event: a crash before this leaves the event, which
    // still pins the key, and the next run writes the file again (`Admission::restore`).
    let policy = match (&admission.pin, policy_seq) {
        (Some(key), Some(event)) => Some(TrustPolicy { format_version: 1, key: key.to_string(), event }),
        _ => admission.restore,
    };
    if let Some(policy) = &policy {
        write_policy(log, policy)?;
    }
    let mut frontier = old.clone();
    leaves.iter().for_each(|l| frontier.push(*l));
    // A hint for the next append; without it that append reads the whole log once.
    let mut policy_events = trust.events.clone();
    if let (Some(key), Some(seq)) = (&admission.pin, policy_seq) {
        policy_events.push(PolicyEvent { seq, key: key.to_string() });
    }
    let _ = FrontierFile::after(hint.as_ref(), &frontier, start + bytes.len() as u64, last.as_ref(), policy_events)
        .write(log);
    Ok(Sealed {
        before,
        before_text,
        after,
        after_text,
        first_seq,
        old,
        new_leaves: leaves,
        lines,
        recovery_events,
        policy_event: policy_seq,
        events_from,
    })
}

impl Sealed {
    /// The inclusion proof of appended event `seq` in the tree after the append.
    pub fn inclusion_proof(&self, seq: u64) -> Result<Vec<Hash>, ProofError> {
        Extension::new(&self.old, &self.new_leaves).inclusion_proof(seq)
    }

    /// The consistency proof from the checkpoint before the append to the one after (empty
    /// for a new log, which has no old tree to be consistent with).
    pub fn consistency_proof(&self) -> Result<Vec<Hash>, ProofError> {
        if self.old.size() == 0 {
            return Ok(Vec::new());
        }
        Extension::new(&self.old, &self.new_leaves).consistency_proof()
    }
}

/// The log's state at its checkpoint, and what follows it.
struct Tail {
    /// The tree at the checkpoint.
    old: Frontier,
    /// Whole events after it (an interrupted append's, kept by the repair).
    leaves: Vec<Hash>,
    /// The last event's leaf hash.
    last: Option<Hash>,
    /// Events describing a repair, to be appended first.
    recovery: Vec<Value>,
}

/// Reads and checks the whole log against the checkpoint `before` (of `size` events) and
/// repairs an interrupted append, as every append did before the frontier file: the slow path,
/// taken when the file is missing or does not describe the log.
fn read_tail(log: &LogDir, size: u64, before: &Checkpoint, pending: Option<Pending>) -> Result<Tail, TrailError> {
    let scan = log.scan()?;
    if let Some(p) = &scan.problem {
        return Err(TrailError::Broken(format!("line {} {}", p.line, p.problem)));
    }
    let on_disk = scan.leaves.len() as u64;
    if on_disk < size {
        return Err(TrailError::Broken(format!(
            "the checkpoint seals {size} events but the log holds {on_disk} whole lines: it was truncated"
        )));
    }
    if prefix_root(&scan.leaves, size).as_ref() != Some(before.root()) {
        return Err(TrailError::Broken(format!(
            "its first {size} events do not hash to the checkpoint's root: events were edited, or the checkpoint replaced"
        )));
    }
    let mut leaves = scan.leaves.clone();
    let mut recovery = Vec::new();
    match pending {
        Some(p) if p.from_size == size => {
            let whole = scan.torn.is_none() && on_disk == p.to_size && hash_to_hex(&root(&leaves)) == p.to_root;
            if whole && let Some(pinned) = Trust::read(log)?.pinned()?.filter(|k| !p.signed_by(&k.key)) {
                return Err(TrailError::Broken(format!(
                    "events {}..{on_disk} follow the checkpoint with an append.pending marker that is not signed by \
                     the pinned key {}: they were not written by a signed run; remove them and the marker",
                    size + 1,
                    KeyName::of(&pinned.key)
                )));
            }
            if whole {
                recovery.push(json!({
                    "event": "log_recovered",
                    "from_size": size,
                    "to_size": on_disk,
                    "reason": "an earlier run wrote these events whole but stopped before its checkpoint",
                }));
            } else {
                let offset = scan.offset_of(size);
                let dropped = read_from(&log.events(), offset)?;
                truncate(&log.events(), offset)?;
                leaves.truncate(usize::try_from(size).unwrap_or(usize::MAX));
                recovery.push(json!({
                    "event": "log_repaired",
                    "from_size": size,
                    "dropped_bytes": dropped.len(),
                    "dropped_sha256": sha256_hex(&dropped),
                    "reason": "an earlier run was interrupted while appending; its partial events were removed",
                }));
            }
        }
        Some(p) => {
            return Err(TrailError::Broken(format!(
                "an interrupted append started at size {} but the checkpoint seals {size} events",
                p.from_size
            )));
        }
        None if on_disk > size || scan.torn.is_some() => {
            return Err(TrailError::Broken(format!(
                "events {}..{} follow the checkpoint (size {size}) with no interrupted append on record: \
                 they were appended without a checkpoint",
                size + 1,
                on_disk + u64::from(scan.torn.is_some())
            )));
        }
        None => {}
    }
    let cut = usize::try_from(size).unwrap_or(usize::MAX).min(leaves.len());
    let mut old = Frontier::new();
    leaves[..cut].iter().for_each(|l| old.push(*l));
    let last = leaves.last().copied();
    Ok(Tail { old, leaves: leaves.split_off(cut), last, recovery })
}

/// The log file's length (0 when it does not exist yet).
fn file_len(path: &std::path::Path) -> Result<u64, TrailError> {
    match fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(TrailError::Io { what: "read", path: path.to_owned(), source }),
    }
}

/// Reads back what an append wrote from `start` and checks that its lines hash to `leaves`: the
/// bytes on disk, not the ones in memory, are what the checkpoint will seal.
fn read_back(path: &std::path::Path, start: u64, leaves: &[Hash]) -> Result<(), TrailError> {
    let bytes = read_from(path, start)?;
    let on_disk: Vec<Hash> = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(leaf_hash).collect();
    if on_disk != leaves || !bytes.ends_with(b"\n") {
        return Err(TrailError::Broken(format!(
            "the {} events just appended do not read back as written from byte {start}",
            leaves.len()
        )));
    }
    Ok(())
}
