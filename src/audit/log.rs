//! Reading the JSONL audit log as a stream: every line must be canonical JSON ending in a newline,
//! and each line (without its newline) is one Merkle leaf.
//!
//! Checking canonical form on read is what makes the leaf bytes recomputable: a line that is
//! valid JSON but not canonical would hash differently after any re-serialization, so it is
//! rejected rather than silently accepted.
//!
//! Lines are read in batches and checked and leaf-hashed in parallel on the current rayon pool;
//! only the O(log n) frontier update is sequential. Memory is one batch plus the frontier.

use std::io::BufRead;

use rayon::prelude::*;
use serde_json::Value;

use super::canonical_check::is_certainly_canonical;
use super::canonical_json::write_canonical_json;
use super::error::LogError;
use super::frontier::Frontier;
use super::hash::Hash;
use super::merkle::leaf_hash;

/// Lines checked per parallel batch: large enough to keep every core busy, small enough
/// (about 3 MB of 200-byte lines) to stream.
const BATCH_LINES: usize = 16_384;

/// What is checked in each line besides its framing (every line ends in a newline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCheck {
    /// Hash the bytes only: all that recomputing the root for a checkpoint needs, and several
    /// times faster than parsing.
    HashOnly,
    /// Also require every line to be RFC 8785 canonical JSON, the contract a log writer must keep
    /// so that anyone can re-serialize an event to its leaf bytes.
    Canonical,
}

/// Streams the log in `reader`, checking each line, and returns the tree over all lines.
pub fn scan_log<R: BufRead>(reader: R, check: LineCheck) -> Result<Frontier, LogError> {
    let mut frontier = Frontier::new();
    for_each_leaf(reader, check, |leaf| frontier.push(leaf))?;
    Ok(frontier)
}

/// Like [`scan_log`], but keeps every leaf hash: what [`inclusion_proof`](super::inclusion_proof)
/// and [`consistency_proof`](super::consistency_proof) take. 32 bytes per line.
pub fn read_leaf_hashes<R: BufRead>(reader: R, check: LineCheck) -> Result<Vec<Hash>, LogError> {
    let mut leaves = Vec::new();
    for_each_leaf(reader, check, |leaf| leaves.push(leaf))?;
    Ok(leaves)
}

/// Checks every line of the log and hands its leaf hash to `on_leaf`, in log order. On an error
/// the leaves before the first bad line have been handed over; the error names that line.
fn for_each_leaf<R: BufRead>(mut reader: R, check: LineCheck, mut on_leaf: impl FnMut(Hash)) -> Result<(), LogError> {
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH_LINES);
    let mut first_line = 1;
    loop {
        let end = fill_batch(&mut reader, &mut batch, first_line)?;
        let results: Vec<Result<Hash, LogError>> = batch
            .par_iter()
            .enumerate()
            .map_init(String::new, |canonical, (index, line)| match check {
                LineCheck::HashOnly => Ok(leaf_hash(line)),
                LineCheck::Canonical => check_canonical_line(line, first_line + index as u64, canonical),
            })
            .collect();
        for result in results {
            on_leaf(result?);
        }
        match end {
            BatchEnd::Full => first_line += batch.len() as u64,
            BatchEnd::EndOfInput => return Ok(()),
            BatchEnd::Truncated { line } => return Err(LogError::MissingNewline { line }),
        }
    }
}

/// Why [`fill_batch`] stopped.
enum BatchEnd {
    Full,
    EndOfInput,
    /// The last line has no newline; reported after the lines before it, so the first bad line
    /// is always the one named.
    Truncated {
        line: u64,
    },
}

/// Reads up to [`BATCH_LINES`] lines into `batch`, newlines stripped.
fn fill_batch<R: BufRead>(reader: &mut R, batch: &mut Vec<Vec<u8>>, first_line: u64) -> Result<BatchEnd, LogError> {
    // Reuse the line buffers of the previous batch.
    let mut spare = std::mem::take(batch);
    while batch.len() < BATCH_LINES {
        let line_number = first_line + batch.len() as u64;
        let mut line = spare.pop().unwrap_or_default();
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(|source| LogError::Io { line: line_number, source })?;
        if read == 0 {
            return Ok(BatchEnd::EndOfInput);
        }
        if line.pop() != Some(b'\n') {
            return Ok(BatchEnd::Truncated { line: line_number });
        }
        batch.push(line);
    }
    Ok(BatchEnd::Full)
}

/// The leaf hash of one line, once the line is known to be canonical JSON: by the fast byte
/// check when it is sure, otherwise by parsing and re-serializing.
pub fn check_canonical_line(entry: &[u8], line: u64, canonical: &mut String) -> Result<Hash, LogError> {
    if is_certainly_canonical(entry, canonical) {
        return Ok(leaf_hash(entry));
    }
    let value: Value = serde_json::from_slice(entry).map_err(|source| LogError::NotJson { line, source })?;
    canonical.clear();
    write_canonical_json(&value, canonical).map_err(|source| LogError::Canonical { line, source })?;
    if canonical.as_bytes() != entry {
        return Err(LogError::NotCanonical { line, expected: canonical.clone() });
    }
    Ok(leaf_hash(entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::root;

    #[test]
    fn canonical_log_gives_the_root_of_its_lines() {
        let log = "{\"event\":\"run_start\",\"seq\":0}\n{\"event\":\"stage_done\",\"seq\":1}\n";
        let frontier = scan_log(log.as_bytes(), LineCheck::Canonical).unwrap();
        let leaves: Vec<_> = log.lines().map(|line| leaf_hash(line.as_bytes())).collect();
        assert_eq!(frontier.size(), 2);
        assert_eq!(frontier.root(), root(&leaves));
        assert_eq!(read_leaf_hashes(log.as_bytes(), LineCheck::Canonical).unwrap(), leaves);
        assert_eq!(scan_log(&b""[..], LineCheck::Canonical).unwrap(), Frontier::new());
        // Hashing alone accepts any bytes but still needs the final newline.
        let loose = "{ \"b\": 1 }\n\n";
        let loose_leaves: Vec<_> = loose.split_terminator('\n').map(|line| leaf_hash(line.as_bytes())).collect();
        assert_eq!(scan_log(loose.as_bytes(), LineCheck::HashOnly).unwrap().root(), root(&loose_leaves));
        assert!(matches!(scan_log(&b"{}"[..], LineCheck::HashOnly), Err(LogError::MissingNewline { line: 1 })));
    }

    #[test]
    fn batches_keep_order_and_line_numbers() {
        let count = 2 * BATCH_LINES + 5;
        let mut log: String = (0..count).map(|i| format!("{{\"seq\":{i}}}\n")).collect();
        let leaves: Vec<_> = log.lines().map(|line| leaf_hash(line.as_bytes())).collect();
        assert_eq!(scan_log(log.as_bytes(), LineCheck::Canonical).unwrap().root(), root(&leaves));
        // Two bad lines in one batch: the first is reported, whichever thread saw it.
        log.push_str("{\"b\":1,\"a\":2}\n[2.0]\n");
        assert_eq!(
            scan_log(log.as_bytes(), LineCheck::Canonical).unwrap_err().to_string(),
            format!("line {} of the audit log is not canonical JSON; expected {{\"a\":2,\"b\":1}}", count + 1)
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let render = |log: &str| scan_log(log.as_bytes(), LineCheck::Canonical).unwrap_err().to_string();
        assert_eq!(render("{}\n{\"a\":1}"), "line 2 of the audit log has no final newline (truncated write?)");
        assert_eq!(render("[1.0]\n{\"a\":1}"), "line 1 of the audit log is not canonical JSON; expected [1]");
        assert_eq!(render("{}\n\n"), "line 2 of the audit log is not JSON");
        assert_eq!(
            render("{\"b\":1, \"a\":2}\n"),
            "line 1 of the audit log is not canonical JSON; expected {\"a\":2,\"b\":1}"
        );
        assert_eq!(render("{}\r\n"), "line 1 of the audit log is not canonical JSON; expected {}");
        assert_eq!(render("[1.0]\n"), "line 1 of the audit log is not canonical JSON; expected [1]");
        assert_eq!(render("[18446744073709551615]\n"), "line 1 of the audit log cannot be canonicalized");
    }
}
