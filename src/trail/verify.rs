//! `nethical audit verify`: recompute the log, check it against its checkpoints (the latest,
//! each run's before/after copies, one the user kept), check the consistency proofs, and check
//! every artifact and model proof of the run folders still present against the logged digests.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::consistency_record::{CONSISTENCY_FILE, ConsistencyRecord};
use super::log_dir::{LogDir, LogScan, prefix_root};
use super::model_proof::{ModelAudit, ModelProofError, check_model_proof};
use super::seal_record::{SEAL_FILE, SealRecord};
use super::signature_check::{KeyName, check_signature, signers};
use super::trust_policy::{Pinned, TrustError, key_name_of, policy_events, read_policy_file};
use super::{CHECKPOINT_FILE, EVENTS_FILE, TrailError, parse_checkpoint_text};
use crate::audit::{Checkpoint, Hash, NoteVerifier, hash_from_hex, hash_to_hex, verify_consistency};
use crate::store::sha256_hex;

/// What to check besides the log itself.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// A checkpoint the user kept (an older one, or one published elsewhere): the log must
    /// extend it.
    pub checkpoint: Option<PathBuf>,
    /// Trusted keys: when given, the log's checkpoint must carry a valid signature by one.
    pub keys: Vec<NoteVerifier>,
}

/// One thing that does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding(pub String);

/// The outcome of [`verify`].
#[derive(Clone, Debug, Default)]
pub struct Verification {
    /// The log file.
    pub log: PathBuf,
    /// Whole, valid lines.
    pub events: u64,
    /// The latest checkpoint's size and root (hex), if there is one.
    pub checkpoint: Option<(u64, String)>,
    /// Whether its signature was checked against a trusted key.
    pub signed: bool,
    /// The key the log's trust policy pins, if any.
    pub pinned: Option<KeyName>,
    /// Run folders checked.
    pub runs: usize,
    /// Artifacts whose digests were checked.
    pub artifacts: usize,
    /// Model inclusion proofs checked.
    pub models: usize,
    /// Things worth knowing that are not failures.
    pub notes: Vec<String>,
    /// What does not hold, first problem first.
    pub findings: Vec<Finding>,
}

impl Verification {
    /// Whether everything holds.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Where the log is for a folder given on the command line: an audit folder (holding
/// `events.jsonl`), a pipeline folder (holding `audit/`), or a run folder (holding `run.json`,
/// its pipeline's log beside it). Returns the log and the pipeline folder and run to check.
pub fn resolve_log_dir(path: &Path) -> Result<(LogDir, Option<PathBuf>, Option<String>), TrailError> {
    // `runs/<pipeline>/latest` names a run by its link; its real name is the run id.
    let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let path = real.as_path();
    if path.join(EVENTS_FILE).exists() || path.join(CHECKPOINT_FILE).exists() {
        return Ok((LogDir::new(path), path.parent().map(Path::to_path_buf), None));
    }
    if path.join("audit").join(EVENTS_FILE).exists() {
        return Ok((LogDir::new(path.join("audit")), Some(path.to_owned()), None));
    }
    if path.join("run.json").exists()
        && let Some(parent) = path.parent()
    {
        let run = path.file_name().map(|n| n.to_string_lossy().into_owned());
        // `seal.json` says where the log is relative to the run folder (`--audit-path`).
        let logged = fs::read(path.join("audit").join(SEAL_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<SealRecord>(&b).ok())
            .map(|r| path.join(r.log));
        let log = logged.unwrap_or_else(|| parent.join("audit"));
        return Ok((LogDir::new(log), Some(parent.to_owned()), run));
    }
    Err(TrailError::Artifact(format!(
        "no audit log in `{}`: expected an audit folder (events.jsonl), a pipeline folder (audit/events.jsonl) \
         or a run folder (run.json)",
        path.display()
    )))
}

/// Verifies the log at `path` (see [`resolve_log_dir`]).
pub fn verify(path: &Path, opts: &VerifyOptions) -> Result<Verification, TrailError> {
    let (log, pipeline_dir, only_run) = resolve_log_dir(path)?;
    let scan = log.scan()?;
    let mut v = Verification { log: log.events(), events: scan.leaves.len() as u64, ..Verification::default() };
    if let Some(p) = &scan.problem {
        v.findings.push(Finding(format!("line {} {}", p.line, p.problem)));
    }
    let latest = match fs::read_to_string(log.checkpoint()) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(TrailError::Io { what: "read", path: log.checkpoint(), source }),
    };
    let pinned = check_policy(&log, latest.as_deref(), &mut v)?;
    v.pinned = pinned.as_ref().map(Pinned::name);
    check_latest_checkpoint(&log, &scan, latest.as_deref(), opts, pinned.as_ref(), &mut v)?;
    if let Some(file) = &opts.checkpoint {
        let text =
            fs::read_to_string(file).map_err(|source| TrailError::Io { what: "read", path: file.clone(), source })?;
        let kept = read_checkpoint_leniently(&text).map_err(|e| e.at(file))?;
        if let Err(problem) = matches_log(&scan.leaves, &kept) {
            v.findings.push(Finding(format!("the log does not extend `{}`: {problem}", file.display())));
        }
        let what = format!("the checkpoint `{}`", file.display());
        check_signatures(&what, &text, kept.size(), &opts.keys, pinned.as_ref(), &mut v);
    }
    if let Some(dir) = pipeline_dir {
        let latest = latest.as_deref().and_then(|t| read_checkpoint_leniently(t).ok().map(|c| (c, t)));
        let context = RunContext { log: &log, scan: &scan, pinned: pinned.as_ref(), latest };
        check_runs(&context, &dir, only_run.as_deref(), &mut v)?;
    }
    Ok(v)
}

/// The key the log's trust policy pins, with a finding for each way `policy.json` and the log's
/// policy events disagree. A policy event pins even when `policy.json` is gone: the file is the
/// easy part for an attacker to delete, the event is sealed by every later checkpoint.
fn check_policy(log: &LogDir, latest: Option<&str>, v: &mut Verification) -> Result<Option<Pinned>, TrailError> {
    let events = policy_events(&log.events())?;
    let mut unreadable = false;
    let file = match read_policy_file(log) {
        Ok(f) => f,
        Err(e @ TrustError::PolicyFile { .. }) => {
            v.findings.push(Finding(crate::error_chain::error_chain(&e)));
            unreadable = true;
            None
        }
        Err(e) => return Err(e.into()),
    };
    for extra in events.iter().skip(1) {
        let first = events.first().map_or(0, |e| e.seq);
        v.findings.push(Finding(TrustError::SecondPolicyEvent { first, second: extra.seq }.to_string()));
    }
    let sealed_size = latest.and_then(|t| read_checkpoint_leniently(t).ok()).map_or(0, |c| c.size());
    let from_event = match (events.first(), &file) {
        (Some(e), Some(f)) if f.key != e.key || f.event != e.seq || f.format_version != 1 => {
            v.findings.push(Finding(
                TrustError::PolicyMismatch {
                    path: log.policy(),
                    file_key: key_name_of(&f.key),
                    file_event: f.event,
                    event: e.seq,
                    event_key: key_name_of(&e.key),
                }
                .to_string(),
            ));
            Some((e.key.clone(), e.seq))
        }
        (Some(e), None) => {
            // An event the checkpoint does not seal yet belongs to an interrupted append, which
            // writes the file only after its checkpoint.
            if e.seq < sealed_size && !unreadable {
                v.findings.push(Finding(format!(
                    "`{}` is missing, but event #{} of the log pins {}: it was deleted (or a run was killed before \
                     writing it; the next run writes it again)",
                    log.policy().display(),
                    e.seq,
                    key_name_of(&e.key)
                )));
            }
            Some((e.key.clone(), e.seq))
        }
        (Some(e), Some(_)) => Some((e.key.clone(), e.seq)),
        (None, Some(f)) => {
            v.findings.push(Finding(
                TrustError::PolicyWithoutEvent { path: log.policy(), key: key_name_of(&f.key) }.to_string(),
            ));
            Some((f.key.clone(), f.event))
        }
        (None, None) => None,
    };
    let Some((key, event)) = from_event else { return Ok(None) };
    match NoteVerifier::parse(&key) {
        Ok(key) => Ok(Some(Pinned { key, event })),
        Err(source) => {
            v.findings.push(Finding(crate::error_chain::error_chain(&TrustError::BadPolicyKey { seq: event, source })));
            Ok(None)
        }
    }
}

/// A checkpoint file's checkpoint, read past a signature block that cannot be parsed (that is
/// the signature check's finding, and the tree size and root can still be compared).
fn read_checkpoint_leniently(text: &str) -> Result<Checkpoint, TrailError> {
    parse_checkpoint_text(text).or_else(|e| match text.rfind("\n\n") {
        Some(split) if crate::audit::SignedNote::parse(text).is_err() => {
            Checkpoint::parse(&text[..=split]).map_err(|_| e)
        }
        _ => Err(e),
    })
}

/// Checks the signature of the checkpoint `what` (of `size` events) against the keys given with
/// `--key` and the pinned key; a finding for each that fails, saying which way it fails.
fn check_signatures(
    what: &str,
    text: &str,
    size: u64,
    keys: &[NoteVerifier],
    pinned: Option<&Pinned>,
    v: &mut Verification,
) -> bool {
    let mut valid = false;
    if !keys.is_empty() {
        match check_signature(text, keys) {
            Ok(()) => valid = true,
            Err(problem) => v.findings.push(Finding(format!("{what}: {problem}"))),
        }
    }
    if let Some(p) = pinned.filter(|p| p.covers(size)) {
        match check_signature(text, std::slice::from_ref(&p.key)) {
            Ok(()) => valid = true,
            Err(problem) => v
                .findings
                .push(Finding(format!("{what}: {problem} (pinned by the log's trust policy at event #{})", p.event))),
        }
    }
    valid
}

/// Whether the log's first `c.size()` leaves hash to `c`'s root.
fn matches_log(leaves: &[Hash], c: &Checkpoint) -> Result<(), String> {
    match prefix_root(leaves, c.size()) {
        None => Err(format!(
            "it seals {} events but the log holds {} valid lines: the log was truncated, or lines were removed",
            c.size(),
            leaves.len()
        )),
        Some(root) if root != *c.root() => Err(format!(
            "the log's first {} events hash to {}, not to its root {}: an event was edited, or the checkpoint replaced",
            c.size(),
            hash_to_hex(&root),
            hash_to_hex(c.root())
        )),
        Some(_) => Ok(()),
    }
}

fn check_latest_checkpoint(
    log: &LogDir,
    scan: &LogScan,
    text: Option<&str>,
    opts: &VerifyOptions,
    pinned: Option<&Pinned>,
    v: &mut Verification,
) -> Result<(), TrailError> {
    let path = log.checkpoint();
    let Some(text) = text else {
        if !scan.leaves.is_empty() {
            v.findings.push(Finding(format!("no checkpoint: `{}` is missing", path.display())));
        }
        return Ok(());
    };
    let checkpoint = match read_checkpoint_leniently(text) {
        Ok(c) => c,
        Err(e) => {
            v.findings.push(Finding(format!("checkpoint `{}`: {e}", path.display())));
            return Ok(());
        }
    };
    let what = format!("the checkpoint `{}`", path.display());
    let checked = check_signatures(&what, text, checkpoint.size(), &opts.keys, pinned, v);
    v.signed = checked && v.findings.iter().all(|f| !f.0.starts_with(&what));
    v.checkpoint = Some((checkpoint.size(), hash_to_hex(checkpoint.root())));
    if let Err(problem) = matches_log(&scan.leaves, &checkpoint) {
        v.findings.push(Finding(format!("the checkpoint (size {}) does not match: {problem}", checkpoint.size())));
        return Ok(());
    }
    let whole = scan.leaves.len() as u64;
    let size = checkpoint.size();
    if whole == size && scan.torn.is_none() {
        return Ok(());
    }
    let pending = log.read_pending().ok().flatten().filter(|p| p.from_size == size);
    let finding = match (pending, scan.torn) {
        (Some(_), Some(_)) => Some(format!(
            "line {} is torn (no final newline): an append was interrupted; the next run repairs it",
            whole + 1
        )),
        (Some(p), None)
            if p.to_size == whole
                && p.to_root == hash_to_hex(&crate::audit::root(&scan.leaves))
                && pinned.is_some_and(|k| !p.signed_by(&k.key)) =>
        {
            Some(format!(
                "events {}..{whole} follow the checkpoint with an append.pending marker that is not signed by the pinned key: \
                 they were not written by a signed run",
                size + 1
            ))
        }
        (Some(p), None) if p.to_size == whole && p.to_root == hash_to_hex(&crate::audit::root(&scan.leaves)) => {
            v.notes.push(format!(
                "events {}..{whole} were written whole by a run interrupted before its checkpoint; the next run seals them",
                size + 1
            ));
            None
        }
        (Some(_), None) => Some(format!(
            "events {}..{whole} follow the checkpoint but are not what the interrupted append announced",
            size + 1
        )),
        (None, torn) => Some(format!(
            "events {}..{} were appended without a checkpoint",
            size + 1,
            whole + u64::from(torn.is_some())
        )),
    };
    v.findings.extend(finding.map(Finding));
    Ok(())
}

/// Logged digests of one run's artifacts: path → SHA-256 of the file, or of the model's
/// content for `model.json` files (which carry their own proof).
#[derive(Clone, Default)]
struct RunRecord {
    files: BTreeMap<String, String>,
    models: BTreeMap<String, String>,
    /// The same per instance id, with its cache key: what a later run's `stages_reused` names.
    instances: BTreeMap<String, InstanceRecord>,
}

/// One instance's logged outputs and models.
#[derive(Clone, Default)]
struct InstanceRecord {
    key: Option<String>,
    files: BTreeMap<String, String>,
    models: BTreeMap<String, String>,
}

impl RunRecord {
    fn add_files(&mut self, id: &str, key: Option<&str>, files: BTreeMap<String, String>) {
        let instance = self.instances.entry(id.to_owned()).or_default();
        instance.key = key.map(str::to_owned);
        instance.files.extend(files.clone());
        self.files.extend(files);
    }

    fn add_model(&mut self, id: &str, path: &str, content: &str) {
        let instance = self.instances.entry(id.to_owned()).or_default();
        instance.models.insert(path.to_owned(), content.to_owned());
        self.models.insert(path.to_owned(), content.to_owned());
    }
}

/// The artifacts each run's events describe, by run id; and what is wrong with the log's
/// `stages_reused` events (one naming a result its run never sealed).
fn run_records(log: &LogDir) -> Result<(BTreeMap<String, RunRecord>, Vec<String>), TrailError> {
    let path = log.events();
    let io = |source| TrailError::Io { what: "read", path: path.clone(), source };
    let file = fs::File::open(&path).map_err(io)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out: BTreeMap<String, RunRecord> = BTreeMap::new();
    let wanted: [&[u8]; 5] = [
        b"\"event\":\"stage_end\"",
        b"\"event\":\"model_saved\"",
        b"\"event\":\"promotion\"",
        b"\"event\":\"run_cached\"",
        b"\"event\":\"stages_reused\"",
    ];
    let mut problems = Vec::new();
    // Runs that computed nothing and logged so: their artifacts are the sealing run's.
    let mut reused: Vec<(String, String)> = Vec::new();
    let finders: Vec<memchr::memmem::Finder<'_>> = wanted.iter().map(memchr::memmem::Finder::new).collect();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        // Bytes, not `lines()`: a line that is not UTF-8 is the scan's finding (named by its
        // number), not a read error that would hide every other finding.
        if !finders.iter().any(|f| f.find(&line).is_some()) {
            continue;
        }
        let Ok(event) = serde_json::from_slice::<Value>(&line) else { continue };
        let run = event["run"].as_str().unwrap_or_default().to_owned();
        let id = event["id"].as_str().unwrap_or_default();
        if event["event"] == "stages_reused" {
            // Each result names the run that sealed it; that run's events are earlier in the
            // log, so its record is complete here.
            for (reused_id, by) in event["reused"].as_object().into_iter().flatten() {
                let (key, sealer) = (by["cache_key"].as_str(), by["sealed_by"].as_str().unwrap_or_default());
                match out.get(sealer).and_then(|r| r.instances.get(reused_id)).cloned() {
                    Some(earlier) if earlier.key.as_deref() == key => {
                        let record = out.entry(run.clone()).or_default();
                        record.add_files(reused_id, key, earlier.files);
                        for (p, d) in &earlier.models {
                            record.add_model(reused_id, p, d);
                        }
                    }
                    _ => problems.push(format!(
                        "run {run} names `{reused_id}` as sealed by run {sealer}, but that run's events do not seal it with cache key {}",
                        key.unwrap_or("(none)")
                    )),
                }
            }
            continue;
        }
        let record = out.entry(run).or_default();
        match event["event"].as_str() {
            Some("stage_end") => {
                if let Some(outputs) = event["outputs"].as_object() {
                    let files =
                        outputs.iter().map(|(p, d)| (p.clone(), d.as_str().unwrap_or_default().to_owned())).collect();
                    record.add_files(id, event["cache_key"].as_str(), files);
                }
            }
            Some("run_cached") => {
                if let Some(by) = event["sealed_by"].as_str() {
                    reused.push((event["run"].as_str().unwrap_or_default().to_owned(), by.to_owned()));
                }
            }
            Some("model_saved") | Some("promotion") => {
                if let (Some(p), Some(d)) = (event["path"].as_str(), event["content_sha256"].as_str()) {
                    record.add_model(id, p, d);
                }
            }
            _ => {}
        }
    }
    for (run, by) in reused {
        if let Some(record) = out.get(&by).cloned() {
            out.insert(run, record);
        }
    }
    Ok((out, problems))
}

/// What every run folder is checked against.
struct RunContext<'a> {
    log: &'a LogDir,
    scan: &'a LogScan,
    pinned: Option<&'a Pinned>,
    /// The log's latest checkpoint and its text.
    latest: Option<(Checkpoint, &'a str)>,
}

impl RunContext<'_> {
    /// Event `seq` of the log, parsed; `None` beyond the valid lines.
    fn event(&self, seq: u64) -> Option<Value> {
        use std::io::{Read as _, Seek as _};
        let n = usize::try_from(seq).ok()?;
        let end = *self.scan.ends.get(n)?;
        let start = if n == 0 { 0 } else { self.scan.ends[n - 1] };
        let mut file = fs::File::open(self.log.events()).ok()?;
        file.seek(std::io::SeekFrom::Start(start)).ok()?;
        let mut bytes = vec![0; usize::try_from(end - start).ok()?];
        file.read_exact(&mut bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

fn check_runs(
    context: &RunContext<'_>,
    pipeline_dir: &Path,
    only_run: Option<&str>,
    v: &mut Verification,
) -> Result<(), TrailError> {
    let (log, leaves) = (context.log, &context.scan.leaves[..]);
    let mut runs: Vec<PathBuf> = fs::read_dir(pipeline_dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| !p.is_symlink() && p.join("audit").join(SEAL_FILE).exists())
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    if runs.is_empty() {
        // Nothing to check artifacts against; skip reading the log a second time.
        return Ok(());
    }
    let (records, problems) = if log.events().exists() { run_records(log)? } else { Default::default() };
    v.findings.extend(problems.into_iter().map(Finding));
    for (run_id, _) in records.iter().filter(|(id, _)| only_run.is_none_or(|o| o == id.as_str())) {
        if !pipeline_dir.join(run_id).is_dir() {
            v.notes.push(match super::Tombstone::read(pipeline_dir, run_id) {
                Some(t) => format!(
                    "run {run_id}: run folder removed by gc at {} ({}); its artifacts were not checked",
                    t.removed_at, t.reason
                ),
                None => format!("run {run_id} is in the log but its folder is gone; its artifacts were not checked"),
            });
        }
    }
    for dir in runs {
        let run_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if only_run.is_some_and(|o| o != run_id) {
            continue;
        }
        v.runs += 1;
        let audit = dir.join("audit");
        let mut recorded: Vec<(&str, Checkpoint, String)> = Vec::new();
        for name in ["checkpoint.before", "checkpoint"] {
            let path = audit.join(name);
            let Ok(text) = fs::read_to_string(&path) else {
                v.findings.push(Finding(format!("run {run_id}: `audit/{name}` is missing")));
                continue;
            };
            match read_checkpoint_leniently(&text).map_err(|e| e.at(&path)) {
                Err(e) => v.findings.push(Finding(format!("run {run_id}: {e}"))),
                Ok(c) => {
                    if let Err(problem) = matches_log(leaves, &c) {
                        v.findings.push(Finding(format!(
                            "run {run_id}: its `audit/{name}` (size {}) does not match the log: {problem}",
                            c.size()
                        )));
                    }
                    if let Some((latest, _)) = &context.latest
                        && c.origin() != latest.origin()
                    {
                        v.findings.push(Finding(format!(
                            "run {run_id}: its `audit/{name}` is for origin `{}`, but the log's is `{}`",
                            c.origin(),
                            latest.origin()
                        )));
                    }
                    let what = format!("run {run_id}: its `audit/{name}`");
                    check_signatures(&what, &text, c.size(), &[], context.pinned, v);
                    recorded.push((name, c, text));
                }
            }
        }
        if let [(_, before, _), (_, after, _)] = &recorded[..] {
            check_consistency_file(&audit.join(CONSISTENCY_FILE), before, after, &run_id, v);
        }
        let after = recorded.iter().find(|(name, ..)| *name == "checkpoint").map(|(_, c, t)| (c, t.as_str()));
        // A run that computed nothing reuses the seal of the run that did: its artifacts are
        // that run's, checked against that run's events.
        let sealer = check_seal(context, &dir, &run_id, after, v).unwrap_or_else(|| run_id.clone());
        let Some(record) = records.get(&sealer) else {
            v.findings.push(Finding(format!("run {run_id}: sealed, but the log has no events of it")));
            continue;
        };
        for (rel, digest) in &record.files {
            let file = dir.join(rel);
            let Ok(bytes) = fs::read(&file) else {
                v.findings.push(Finding(format!("run {run_id}: artifact `{rel}` was removed")));
                continue;
            };
            v.artifacts += 1;
            if let Some(expected) = record.models.get(rel) {
                check_model(&bytes, expected, leaves, &run_id, rel, v);
            } else if sha256_hex(&bytes) != *digest {
                v.findings.push(Finding(format!(
                    "run {run_id}: artifact `{rel}` was edited (its SHA-256 differs from the logged one)"
                )));
            }
        }
        for (rel, expected) in record.models.iter().filter(|(p, _)| !record.files.contains_key(*p)) {
            match fs::read(dir.join(rel)) {
                Ok(bytes) => {
                    v.artifacts += 1;
                    check_model(&bytes, expected, leaves, &run_id, rel, v);
                }
                Err(_) => v.findings.push(Finding(format!("run {run_id}: model `{rel}` was removed"))),
            }
        }
    }
    Ok(())
}

/// Checks `<run>/audit/seal.json` field by field against the log and the run's checkpoint:
/// the file describes the append and is not itself in the log, so an edit to it is found only
/// by comparing.
///
/// Returns the run that appended the events the record describes (this run's, or the earlier
/// run whose seal a cached audit instance reused), when the record can be read.
fn check_seal(
    context: &RunContext<'_>,
    dir: &Path,
    folder_run: &str,
    after: Option<(&Checkpoint, &str)>,
    v: &mut Verification,
) -> Option<String> {
    let run_id = folder_run;
    let path = dir.join("audit").join(SEAL_FILE);
    let mut finding =
        |problem: String| v.findings.push(Finding(format!("run {run_id}: `audit/{SEAL_FILE}` {problem}")));
    let record: SealRecord = match fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => {
            finding(format!("is not a seal record ({e}): it was edited"));
            return None;
        }
    };
    let sealer = record.run.clone().unwrap_or_else(|| folder_run.to_owned());
    check_seal_fields(context, dir, run_id, &sealer, &record, after, v);
    Some(sealer)
}

/// [`check_seal`]'s field checks of a record that parsed; `sealer` is the run it names.
fn check_seal_fields(
    context: &RunContext<'_>,
    dir: &Path,
    run_id: &str,
    sealer: &str,
    record: &SealRecord,
    after: Option<(&Checkpoint, &str)>,
    v: &mut Verification,
) {
    let mut finding =
        |problem: String| v.findings.push(Finding(format!("run {run_id}: `audit/{SEAL_FILE}` {problem}")));
    if record.format_version != 1 {
        finding(format!("has format_version {}, not 1: it was edited", record.format_version));
    }
    let same_dir = |a: &Path, b: &Path| match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same_dir(&dir.join(&record.log), context.log.path()) {
        finding(format!("says its log is `{}`, which is not `{}`", record.log, context.log.path().display()));
    }
    let Some((after, text)) = after else { return };
    if record.origin != after.origin() {
        finding(format!("says origin `{}`, but its checkpoint is for `{}`", record.origin, after.origin()));
    }
    let (first, count) = (record.first_event, record.events);
    let Some(end) = first.checked_add(count).filter(|_| count > 0) else {
        return finding(format!("says the run appended {count} events: it was edited"));
    };
    if end != after.size() {
        return finding(format!(
            "says events #{first}..#{}, but its checkpoint seals {} events",
            end - 1,
            after.size()
        ));
    }
    let run_of = |seq: u64| context.event(seq).map(|e| e["run"].as_str().unwrap_or_default().to_owned());
    let outside = first.checked_sub(1).into_iter().chain([end]);
    for seq in [first, end - 1] {
        if run_of(seq).is_some_and(|r| r != sealer) {
            return finding(format!("says events #{first}..#{}, but event #{seq} is another run's", end - 1));
        }
    }
    for seq in outside {
        if run_of(seq).is_some_and(|r| r == sealer) {
            return finding(format!("says events #{first}..#{}, but event #{seq} is this run's too", end - 1));
        }
    }
    let recovery = (first..end)
        .take_while(|&s| {
            context.event(s).is_some_and(|e| matches!(e["event"].as_str(), Some("log_repaired" | "log_recovered")))
        })
        .count() as u64;
    if recovery != record.recovery_events {
        finding(format!(
            "says recovery_events = {}, but the run's events begin with {recovery} recovery events",
            record.recovery_events
        ));
    }
    let start = (first + recovery..end.min(first + recovery + 2))
        .filter_map(|s| context.event(s))
        .find(|e| e["event"] == "run_start");
    if let Some(start) = start
        && start["audit_instance"].as_str() != Some(record.audit_instance.as_str())
    {
        finding(format!(
            "names audit instance `{}`, but the log's run_start names `{}`",
            record.audit_instance,
            start["audit_instance"].as_str().unwrap_or_default()
        ));
    }
    let signed = match context.pinned.filter(|p| p.covers(after.size())) {
        Some(p) => check_signature(text, std::slice::from_ref(&p.key)).is_ok(),
        None => !signers(text).is_empty(),
    };
    if record.signed != signed {
        finding(format!(
            "says \"signed\": {}, but its checkpoint {}",
            record.signed,
            if signed { "is signed" } else { "carries no valid signature" }
        ));
    }
    // Before a policy pins a key, a signed run followed by a later unsigned checkpoint is the
    // downgrade the policy exists to stop; name it even for such a log.
    if context.pinned.is_none()
        && let (Some(key), Some((latest, latest_text))) = (signers(text).first(), &context.latest)
        && latest.size() >= after.size()
        && signers(latest_text).is_empty()
    {
        v.findings.push(Finding(format!(
            "signature missing: the log's latest checkpoint is not signed, but run {run_id} signed its checkpoint with {key}"
        )));
    }
}

fn check_consistency_file(path: &Path, before: &Checkpoint, after: &Checkpoint, run_id: &str, v: &mut Verification) {
    let Some(record) = fs::read(path).ok().and_then(|b| serde_json::from_slice::<ConsistencyRecord>(&b).ok()) else {
        v.findings.push(Finding(format!("run {run_id}: `audit/{CONSISTENCY_FILE}` is missing or unreadable")));
        return;
    };
    if before.size() == 0 {
        return;
    }
    let proof: Result<Vec<Hash>, _> = record.proof.iter().map(|h| hash_from_hex(h)).collect();
    let result = proof.map_err(|e| e.to_string()).and_then(|p| {
        verify_consistency(before.size(), after.size(), before.root(), after.root(), &p).map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        v.findings.push(Finding(format!("run {run_id}: the consistency proof between its checkpoints fails: {e}")));
    }
}

fn check_model(bytes: &[u8], expected: &str, leaves: &[Hash], run_id: &str, rel: &str, v: &mut Verification) {
    let root_ok = |audit: &ModelAudit, root: &Hash| {
        if prefix_root(leaves, audit.tree_size) == Some(*root) {
            Ok(())
        } else {
            Err("its root is not the log's root at that size".to_owned())
        }
    };
    let problem = match check_model_proof(bytes, expected, root_ok) {
        Ok(_) => {
            v.models += 1;
            return;
        }
        Err(ModelProofError::NotJson) => format!("model `{rel}` is not JSON (edited)"),
        Err(ModelProofError::Edited) => {
            format!("model `{rel}` was edited (its content digest differs from the logged one)")
        }
        Err(ModelProofError::NoProof) => format!("model `{rel}` has lost its `audit` proof"),
        Err(ModelProofError::Fails(e)) => {
            v.models += 1;
            format!("the inclusion proof in model `{rel}` fails: {e}")
        }
    };
    v.findings.push(Finding(format!("run {run_id}: {problem}")));
}
