//! `audit/frontier.json`, kept beside the checkpoint: the tree's frontier at the checkpointed
//! size, how many bytes of `events.jsonl` that size covers, the last line's leaf hash, and every
//! checkpoint an append wrote. It lets an append skip reading the log (O(new events + log n)
//! instead of O(log length)) and lets a run check that a cached seal is still in the log.
//!
//! It is a hint derived from the log, never trusted on its own: it is used only when its size
//! and root are the checkpoint's, the log file is exactly `bytes` long and its last line hashes
//! to `last_leaf` (the log's tail). Anything else (no file, a crash between the checkpoint and
//! this file, an edit) costs one full read of the log, which rebuilds it. `nethical audit
//! verify` never reads it: the full check reads every line.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::log_dir::LogDir;
use super::trust_policy::PolicyEvent;
use crate::audit::{Checkpoint, Frontier, Hash, hash_from_hex, hash_to_hex, leaf_hash};
use crate::store::write_atomic;

/// The file's name in the audit folder.
pub const FRONTIER_FILE: &str = "frontier.json";

/// The longest last line the tail check reads back (events are a few KB at most).
const MAX_TAIL: u64 = 1 << 20;

/// One checkpoint an append wrote: a size and its root (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// Tree size.
    pub size: u64,
    /// Root at that size, hex.
    pub root: String,
}

/// `frontier.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierFile {
    /// 1.
    pub format_version: u32,
    /// Tree size (the checkpoint's).
    pub size: u64,
    /// Bytes of `events.jsonl` holding those events.
    pub bytes: u64,
    /// The frontier's peaks, largest subtree first, hex.
    pub peaks: Vec<String>,
    /// Leaf hash of the last event, hex (empty for an empty log): the next event's `prev`.
    pub last_leaf: String,
    /// Every checkpoint appends to this log wrote, oldest first.
    pub sealed: Vec<Sealed>,
    /// The log's `audit_policy` events (what the trust policy would otherwise scan the log
    /// for).
    #[serde(default)]
    pub policy_events: Vec<PolicyEvent>,
}

impl FrontierFile {
    /// The file's path in `log`.
    pub fn path(log: &LogDir) -> std::path::PathBuf {
        log.path().join(FRONTIER_FILE)
    }

    /// Reads the file; `None` when it is missing or unreadable (a hint only).
    pub fn read(log: &LogDir) -> Option<Self> {
        let bytes = fs::read(Self::path(log)).ok()?;
        serde_json::from_slice::<Self>(&bytes).ok().filter(|f| f.format_version == 1)
    }

    /// Writes the file atomically.
    pub fn write(&self, log: &LogDir) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&Self::path(log), &bytes)
    }

    /// The frontier, when the peaks parse and match the size.
    pub fn frontier(&self) -> Option<Frontier> {
        let peaks = self.peaks.iter().map(|p| hash_from_hex(p).ok()).collect::<Option<Vec<Hash>>>()?;
        Frontier::from_parts(self.size, peaks)
    }

    /// The frontier and last leaf when this file describes `log` as it is on disk and the
    /// checkpoint `at`: sizes, root, the file's length and its last line all agree.
    pub fn trusted(&self, log: &LogDir, at: &Checkpoint) -> Option<(Frontier, Option<Hash>)> {
        let frontier = self.frontier()?;
        if frontier.size() != at.size() || frontier.root() != *at.root() {
            return None;
        }
        let last = if self.last_leaf.is_empty() { None } else { Some(hash_from_hex(&self.last_leaf).ok()?) };
        if tail_leaf(log, self.bytes)? != last {
            return None;
        }
        Some((frontier, last))
    }

    /// Whether an append to this log wrote the checkpoint of `size` with `root`.
    pub fn has_sealed(&self, size: u64, root: &Hash) -> bool {
        let root = hash_to_hex(root);
        self.sealed.iter().any(|s| s.size == size && s.root == root)
    }

    /// The file after an append that ends at `frontier` (`bytes` long, last leaf `last`).
    pub fn after(
        previous: Option<&Self>,
        frontier: &Frontier,
        bytes: u64,
        last: Option<&Hash>,
        policy_events: Vec<PolicyEvent>,
    ) -> Self {
        let mut sealed = previous.map(|p| p.sealed.clone()).unwrap_or_default();
        sealed.push(Sealed { size: frontier.size(), root: hash_to_hex(&frontier.root()) });
        Self {
            format_version: 1,
            size: frontier.size(),
            bytes,
            peaks: frontier.peaks().iter().map(hash_to_hex).collect(),
            last_leaf: last.map(hash_to_hex).unwrap_or_default(),
            sealed,
            policy_events,
        }
    }
}

/// The leaf hash of the log's last line when the file is exactly `bytes` long and ends with a
/// newline (`Some(None)` for an empty log); `None` when the tail does not fit that.
fn tail_leaf(log: &LogDir, bytes: u64) -> Option<Option<Hash>> {
    let mut file = match File::open(log.events()) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (bytes == 0).then_some(None),
        Err(_) => return None,
    };
    if file.metadata().ok()?.len() != bytes {
        return None;
    }
    if bytes == 0 {
        return Some(None);
    }
    let start = bytes.saturating_sub(MAX_TAIL);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    let body = tail.strip_suffix(b"\n")?;
    let line = match body.iter().rposition(|&b| b == b'\n') {
        Some(i) => &body[i + 1..],
        None if start == 0 => body,
        None => return None,
    };
    Some(Some(leaf_hash(line)))
}
