//! A pipeline's audit folder (`runs/<pipeline>/audit/`): the append-only event log, its latest
//! checkpoint, and the marker of an append in progress.
//!
//! Appending is crash-safe by ordering. The marker `append.pending` (sizes and the root the log
//! will have) is written durably first, then the events in one write followed by `fsync`, then
//! the new checkpoint, then the marker is removed. A crash at any point leaves either the old
//! state, or whole events that match the marker (the next run seals them), or a torn tail that
//! the marker explains (the next run truncates it and logs what it dropped). Events after the
//! checkpoint with no marker were not written by an interrupted run, and are reported as such.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrailError;
use crate::audit::{Checkpoint, Hash, SignedNote, check_canonical_line, hash_to_hex, root};

/// The log file's name in the audit folder.
pub const EVENTS_FILE: &str = "events.jsonl";
/// The latest checkpoint's name in the audit folder (and in each run folder's `audit/`).
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The marker of an append in progress.
pub const PENDING_FILE: &str = "append.pending";

/// Lines checked per parallel batch.
const BATCH_LINES: usize = 8_192;

/// What an append in progress promised: from the checkpointed size to `to_size` with `to_root`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Events in the log before the append.
    pub from_size: u64,
    /// Events after it.
    pub to_size: u64,
    /// The tree root after it, hex.
    pub to_root: String,
    /// The three fields above as a C2SP signed note ([`Pending::note_text`]), signed by the
    /// run's key: on a log whose key is pinned, only a marker signed by that key lets the next
    /// run adopt the events it announces (a forged marker could otherwise get forged events
    /// sealed as an interrupted run's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_note: Option<String>,
}

impl Pending {
    /// The text a marker's note signs.
    pub fn note_text(&self) -> String {
        format!("nethical append.pending\n{}\n{}\n{}\n", self.from_size, self.to_size, self.to_root)
    }

    /// Whether the marker carries a valid signature of its fields by `key`.
    pub fn signed_by(&self, key: &crate::audit::NoteVerifier) -> bool {
        self.signed_note.as_deref().is_some_and(|note| {
            SignedNote::open(note, std::slice::from_ref(key)).is_ok_and(|n| n.text == self.note_text())
        })
    }
}

/// The fields every event carries for the chain check.
#[derive(Deserialize)]
struct Head {
    seq: u64,
    prev: String,
}

/// The first thing wrong with a log's lines, by line number (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// The line.
    pub line: u64,
    /// What is wrong, in words.
    pub problem: String,
}

/// A log as read from disk: the leaf hash of every whole line, where the whole lines end, a torn
/// last line if any, and the first line that breaks the format or the chain.
#[derive(Debug, Default)]
pub struct LogScan {
    /// Leaf hashes of the whole lines before the first problem.
    pub leaves: Vec<Hash>,
    /// Byte offset just after each of those lines' newline.
    pub ends: Vec<u64>,
    /// A last line without its newline: its byte offset and length.
    pub torn: Option<(u64, u64)>,
    /// The first non-canonical line or broken link of the chain; the scan stops there.
    pub problem: Option<LineProblem>,
}

impl LogScan {
    /// The byte length of the first `size` lines.
    pub fn offset_of(&self, size: u64) -> u64 {
        match usize::try_from(size) {
            Ok(0) | Err(_) => 0,
            Ok(n) => self.ends.get(n - 1).copied().unwrap_or(0),
        }
    }
}

/// The audit folder of one pipeline.
#[derive(Clone, Debug)]
pub struct LogDir {
    dir: PathBuf,
}

impl LogDir {
    /// The folder `dir` (created when first appended to).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `events.jsonl`.
    pub fn events(&self) -> PathBuf {
        self.dir.join(EVENTS_FILE)
    }

    /// `checkpoint`.
    pub fn checkpoint(&self) -> PathBuf {
        self.dir.join(CHECKPOINT_FILE)
    }

    /// `append.pending`.
    pub fn pending(&self) -> PathBuf {
        self.dir.join(PENDING_FILE)
    }

    /// `policy.json`, the trust policy (see [`super::Trust`]).
    pub fn policy(&self) -> PathBuf {
        self.dir.join(super::POLICY_FILE)
    }

    /// The latest checkpoint, if one was written.
    pub fn read_checkpoint(&self) -> Result<Option<Checkpoint>, TrailError> {
        let path = self.checkpoint();
        match fs::read_to_string(&path) {
            Ok(text) => parse_checkpoint_text(&text).map(Some).map_err(|e| e.at(&path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TrailError::Io { what: "read", path, source }),
        }
    }

    /// The marker of an interrupted append, if one is there.
    pub fn read_pending(&self) -> Result<Option<Pending>, TrailError> {
        let path = self.pending();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| TrailError::Broken(format!("`{}` is not an append marker: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TrailError::Io { what: "read", path, source }),
        }
    }

    /// Reads and checks the log: every line canonical JSON, `seq` counting from 0, `prev` the
    /// hex leaf hash of the line before (empty for the first). Stops at the first problem.
    pub fn scan(&self) -> Result<LogScan, TrailError> {
        let path = self.events();
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LogScan::default()),
            Err(source) => return Err(TrailError::Io { what: "read", path, source }),
        };
        scan_reader(BufReader::with_capacity(1 << 20, file)).map_err(|source| TrailError::Io {
            what: "read",
            path,
            source,
        })
    }
}

/// Parses a checkpoint file, signed (a note with signature lines) or plain. Signatures are not
/// checked here; see [`Checkpoint::open`].
pub fn parse_checkpoint_text(text: &str) -> Result<Checkpoint, TrailError> {
    let body = if text.contains("\n\n") {
        SignedNote::parse(text).map_err(|e| TrailError::Checkpoint(e.to_string()))?.text
    } else {
        text.to_owned()
    };
    Checkpoint::parse(&body).map_err(|e| TrailError::Checkpoint(e.to_string()))
}

/// [`LogDir::scan`] on any reader.
pub fn scan_reader<R: BufRead>(mut reader: R) -> std::io::Result<LogScan> {
    let mut scan = LogScan::default();
    let mut offset = 0u64;
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH_LINES);
    loop {
        batch.clear();
        let mut torn = None;
        while batch.len() < BATCH_LINES {
            let mut line = Vec::new();
            let read = reader.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            if line.pop() != Some(b'\n') {
                torn = Some(line);
                break;
            }
            batch.push(line);
        }
        let first = scan.leaves.len() as u64;
        let checked: Vec<Result<(Hash, Head), String>> = batch
            .par_iter()
            .enumerate()
            .map_init(String::new, |buf, (i, line)| {
                let hash = check_canonical_line(line, first + i as u64 + 1, buf).map_err(|e| {
                    match std::str::from_utf8(line) {
                        // serde's "invalid unicode" names no position a user can find.
                        Err(bad) => format!("is not UTF-8 text: invalid byte at column {}", bad.valid_up_to() + 1),
                        Ok(_) => e.to_string(),
                    }
                })?;
                let head: Head = serde_json::from_slice(line)
                    .map_err(|_| "is not an event (an object with `seq` and `prev`)".to_owned())?;
                Ok((hash, head))
            })
            .collect();
        for (line, result) in batch.iter().zip(checked) {
            let number = scan.leaves.len() as u64 + 1;
            let (hash, head) = match result {
                Ok(ok) => ok,
                Err(problem) => {
                    let problem = problem
                        .strip_prefix(&format!("line {number} of the audit log "))
                        .map_or(problem.clone(), str::to_owned);
                    scan.problem = Some(LineProblem { line: number, problem });
                    return Ok(scan);
                }
            };
            if head.seq != number - 1 {
                scan.problem = Some(LineProblem {
                    line: number,
                    problem: format!(
                        "holds event {} where event {} belongs: a line was removed, inserted or reordered",
                        head.seq,
                        number - 1
                    ),
                });
                return Ok(scan);
            }
            let expected_prev = scan.leaves.last().map(hash_to_hex).unwrap_or_default();
            if head.prev != expected_prev {
                scan.problem = Some(LineProblem {
                    line: number,
                    problem: format!(
                        "does not chain to line {}: its `prev` is not that line's leaf hash, so line {} was edited",
                        number - 1,
                        number - 1
                    ),
                });
                return Ok(scan);
            }
            offset += line.len() as u64 + 1;
            scan.leaves.push(hash);
            scan.ends.push(offset);
        }
        if let Some(tail) = torn {
            scan.torn = Some((offset, tail.len() as u64));
            return Ok(scan);
        }
        if batch.len() < BATCH_LINES {
            return Ok(scan);
        }
    }
}

/// The root of the first `size` leaves.
pub fn prefix_root(leaves: &[Hash], size: u64) -> Option<Hash> {
    leaves.get(..usize::try_from(size).ok()?).map(root)
}

/// Truncates the log to `len` bytes, durably.
pub fn truncate(path: &Path, len: u64) -> Result<(), TrailError> {
    let file = OpenOptions::new().write(true).open(path).map_err(|source| TrailError::Io {
        what: "open",
        path: path.to_owned(),
        source,
    })?;
    file.set_len(len).and_then(|()| file.sync_all()).map_err(|source| TrailError::Io {
        what: "truncate",
        path: path.to_owned(),
        source,
    })
}

/// Appends `bytes` to the log in one write and syncs it.
pub fn append_synced(path: &Path, bytes: &[u8]) -> Result<(), TrailError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| TrailError::Io {
            what: "create folder",
            path: parent.to_owned(),
            source,
        })?;
    }
    let mut file = OpenOptions::new().create(true).append(true).open(path).map_err(|source| TrailError::Io {
        what: "open",
        path: path.to_owned(),
        source,
    })?;
    file.write_all(bytes).and_then(|()| file.sync_data()).map_err(|source| TrailError::Io {
        what: "append to",
        path: path.to_owned(),
        source,
    })
}

/// The bytes of the log from `offset` on (what a repair drops).
pub fn read_from(path: &Path, offset: u64) -> Result<Vec<u8>, TrailError> {
    let io = |source| TrailError::Io { what: "read", path: path.to_owned(), source };
    let mut file = File::open(path).map_err(io)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset)).map_err(io)?;
    let mut out = Vec::new();
    file.read_to_end(&mut out).map_err(io)?;
    Ok(out)
}
