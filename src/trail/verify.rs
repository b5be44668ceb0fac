//! `nethical audit verify`: recompute the log, check it against its checkpoints (the latest,
//! each run's before/after copies, one the user kept), check the consistency proofs, and check
//! every artifact and model proof of the run folders still present against the logged digests.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::log_dir::{LogDir, LogScan, prefix_root};
use super::model_proof::{ModelAudit, model_content_sha256};
use super::{CHECKPOINT_FILE, EVENTS_FILE, TrailError, parse_checkpoint_text};
use crate::audit::{
    Checkpoint, Hash, NoteVerifier, hash_from_hex, hash_to_hex, leaf_hash, verify_consistency, verify_inclusion,
};
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
        let logged = fs::read(path.join("audit").join("seal.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["log"].as_str().map(|l| path.join(l)));
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
    check_latest_checkpoint(&log, &scan, opts, &mut v)?;
    if let Some(file) = &opts.checkpoint {
        let text =
            fs::read_to_string(file).map_err(|source| TrailError::Io { what: "read", path: file.clone(), source })?;
        let kept = open_checkpoint(&text, &opts.keys).map_err(|e| e.at(file))?;
        if let Err(problem) = matches_log(&scan.leaves, &kept) {
            v.findings.push(Finding(format!("the log does not extend `{}`: {problem}", file.display())));
        }
    }
    if let Some(dir) = pipeline_dir {
        check_runs(&log, &dir, only_run.as_deref(), &scan.leaves, &mut v)?;
    }
    Ok(v)
}

fn open_checkpoint(text: &str, keys: &[NoteVerifier]) -> Result<Checkpoint, TrailError> {
    if keys.is_empty() {
        parse_checkpoint_text(text)
    } else {
        Checkpoint::open(text, keys).map_err(|e| TrailError::Checkpoint(e.to_string()))
    }
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
    opts: &VerifyOptions,
    v: &mut Verification,
) -> Result<(), TrailError> {
    let path = log.checkpoint();
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !scan.leaves.is_empty() {
                v.findings.push(Finding(format!("no checkpoint: `{}` is missing", path.display())));
            }
            return Ok(());
        }
        Err(source) => return Err(TrailError::Io { what: "read", path, source }),
    };
    let checkpoint = match open_checkpoint(&text, &opts.keys) {
        Ok(c) => c,
        Err(e) => {
            v.findings.push(Finding(format!("checkpoint `{}`: {e}", path.display())));
            return Ok(());
        }
    };
    v.signed = !opts.keys.is_empty();
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
#[derive(Default)]
struct RunRecord {
    files: BTreeMap<String, String>,
    models: BTreeMap<String, String>,
}

fn run_records(log: &LogDir) -> Result<BTreeMap<String, RunRecord>, TrailError> {
    let path = log.events();
    let file = fs::File::open(&path).map_err(|source| TrailError::Io { what: "read", path: path.clone(), source })?;
    let mut out: BTreeMap<String, RunRecord> = BTreeMap::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|source| TrailError::Io { what: "read", path: path.clone(), source })?;
        let wanted = ["\"event\":\"stage_end\"", "\"event\":\"model_saved\"", "\"event\":\"promotion\""];
        if !wanted.iter().any(|w| line.contains(w)) {
            continue;
        }
        let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
        let run = event["run"].as_str().unwrap_or_default().to_owned();
        let record = out.entry(run).or_default();
        match event["event"].as_str() {
            Some("stage_end") => {
                if let Some(outputs) = event["outputs"].as_object() {
                    for (p, d) in outputs {
                        record.files.insert(p.clone(), d.as_str().unwrap_or_default().to_owned());
                    }
                }
            }
            Some("model_saved") | Some("promotion") => {
                if let (Some(p), Some(d)) = (event["path"].as_str(), event["content_sha256"].as_str()) {
                    record.models.insert(p.to_owned(), d.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn read_checkpoint_file(path: &Path) -> Option<Result<Checkpoint, TrailError>> {
    let text = fs::read_to_string(path).ok()?;
    Some(parse_checkpoint_text(&text).map_err(|e| e.at(path)))
}

fn check_runs(
    log: &LogDir,
    pipeline_dir: &Path,
    only_run: Option<&str>,
    leaves: &[Hash],
    v: &mut Verification,
) -> Result<(), TrailError> {
    let mut runs: Vec<PathBuf> = fs::read_dir(pipeline_dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| !p.is_symlink() && p.join("audit").join("seal.json").exists())
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    if runs.is_empty() {
        // Nothing to check artifacts against; skip reading the log a second time.
        return Ok(());
    }
    let records = if log.events().exists() { run_records(log)? } else { BTreeMap::new() };
    for (run_id, _) in records.iter().filter(|(id, _)| only_run.is_none_or(|o| o == id.as_str())) {
        if !pipeline_dir.join(run_id).is_dir() {
            v.notes.push(format!("run {run_id} is in the log but its folder is gone; its artifacts were not checked"));
        }
    }
    for dir in runs {
        let run_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if only_run.is_some_and(|o| o != run_id) {
            continue;
        }
        v.runs += 1;
        let audit = dir.join("audit");
        let mut recorded: Vec<Checkpoint> = Vec::new();
        for name in ["checkpoint.before", "checkpoint"] {
            match read_checkpoint_file(&audit.join(name)) {
                None => v.findings.push(Finding(format!("run {run_id}: `audit/{name}` is missing"))),
                Some(Err(e)) => v.findings.push(Finding(format!("run {run_id}: {e}"))),
                Some(Ok(c)) => {
                    if let Err(problem) = matches_log(leaves, &c) {
                        v.findings.push(Finding(format!(
                            "run {run_id}: its `audit/{name}` (size {}) does not match the log: {problem}",
                            c.size()
                        )));
                    }
                    recorded.push(c);
                }
            }
        }
        if let [before, after] = &recorded[..] {
            check_consistency_file(&audit.join("consistency.json"), before, after, &run_id, v);
        }
        let Some(record) = records.get(&run_id) else {
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

fn check_consistency_file(path: &Path, before: &Checkpoint, after: &Checkpoint, run_id: &str, v: &mut Verification) {
    let Some(value) = fs::read(path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else {
        v.findings.push(Finding(format!("run {run_id}: `audit/consistency.json` is missing or not JSON")));
        return;
    };
    if before.size() == 0 {
        return;
    }
    let proof: Result<Vec<Hash>, _> = value["proof"]
        .as_array()
        .map(|a| a.iter().map(|h| hash_from_hex(h.as_str().unwrap_or_default())).collect())
        .unwrap_or_else(|| Ok(Vec::new()));
    let result = proof.map_err(|e| e.to_string()).and_then(|p| {
        verify_consistency(before.size(), after.size(), before.root(), after.root(), &p).map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        v.findings.push(Finding(format!("run {run_id}: the consistency proof between its checkpoints fails: {e}")));
    }
}

fn check_model(bytes: &[u8], expected: &str, leaves: &[Hash], run_id: &str, rel: &str, v: &mut Verification) {
    let Ok(model) = serde_json::from_slice::<Value>(bytes) else {
        v.findings.push(Finding(format!("run {run_id}: model `{rel}` is not JSON (edited)")));
        return;
    };
    match model_content_sha256(&model) {
        Ok(d) if d == expected => {}
        _ => {
            v.findings.push(Finding(format!(
                "run {run_id}: model `{rel}` was edited (its content digest differs from the logged one)"
            )));
            return;
        }
    }
    let Some(audit) = model.get("audit").and_then(|a| serde_json::from_value::<ModelAudit>(a.clone()).ok()) else {
        v.findings.push(Finding(format!("run {run_id}: model `{rel}` has lost its `audit` proof")));
        return;
    };
    v.models += 1;
    let proof: Result<Vec<Hash>, _> = audit.inclusion_proof.iter().map(|h| hash_from_hex(h)).collect();
    let checked = proof.map_err(|e| e.to_string()).and_then(|p| {
        let root = hash_from_hex(&audit.root).map_err(|e| e.to_string())?;
        verify_inclusion(&leaf_hash(audit.event.as_bytes()), audit.leaf_index, audit.tree_size, &p, &root)
            .map_err(|e| e.to_string())?;
        if prefix_root(leaves, audit.tree_size) != Some(root) {
            return Err("its root is not the log's root at that size".to_owned());
        }
        let event: Value = serde_json::from_str(&audit.event).map_err(|e| e.to_string())?;
        if event["content_sha256"].as_str() != Some(expected) {
            return Err("the proven event describes another model".to_owned());
        }
        Ok(())
    });
    if let Err(e) = checked {
        v.findings.push(Finding(format!("run {run_id}: the inclusion proof in model `{rel}` fails: {e}")));
    }
}
