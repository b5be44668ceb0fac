//! Reading the JSONL audit log as a stream: every line must be canonical JSON ending in a newline,
//! and each line (without its newline) is one Merkle leaf.
//!
//! Checking canonical form on read is what makes the leaf bytes recomputable: a line that is
//! valid JSON but not canonical would hash differently after any re-serialization, so it is
//! rejected rather than silently accepted.

use std::io::BufRead;

use serde_json::Value;

use super::canonical_json::write_canonical_json;
use super::error::LogError;
use super::frontier::Frontier;

/// Streams the log in `reader`, checking each line, and returns the tree over all lines.
/// Memory is one line plus O(log n) hashes, whatever the log's length.
pub fn scan_log<R: BufRead>(mut reader: R) -> Result<Frontier, LogError> {
    let mut frontier = Frontier::new();
    let mut line = Vec::new();
    let mut canonical = String::new();
    loop {
        let number = frontier.size() + 1;
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(|source| LogError::Io { line: number, source })?;
        if read == 0 {
            return Ok(frontier);
        }
        let Some(entry) = line.strip_suffix(b"\n") else {
            return Err(LogError::MissingNewline { line: number });
        };
        let value: Value =
            serde_json::from_slice(entry).map_err(|source| LogError::NotJson { line: number, source })?;
        canonical.clear();
        write_canonical_json(&value, &mut canonical).map_err(|source| LogError::Canonical { line: number, source })?;
        if canonical.as_bytes() != entry {
            return Err(LogError::NotCanonical { line: number, expected: canonical });
        }
        frontier.push_entry(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::{leaf_hash, root};

    #[test]
    fn canonical_log_gives_the_root_of_its_lines() {
        let log = "{\"event\":\"run_start\",\"seq\":0}\n{\"event\":\"stage_done\",\"seq\":1}\n";
        let frontier = scan_log(log.as_bytes()).unwrap();
        let leaves: Vec<_> = log.lines().map(|line| leaf_hash(line.as_bytes())).collect();
        assert_eq!(frontier.size(), 2);
        assert_eq!(frontier.root(), root(&leaves));
        assert_eq!(scan_log(&b""[..]).unwrap(), Frontier::new());
    }

    #[test]
    fn bad_lines_are_named() {
        let render = |log: &str| scan_log(log.as_bytes()).unwrap_err().to_string();
        assert_eq!(render("{}\n{\"a\":1}"), "line 2 of the audit log has no final newline (truncated write?)");
        assert_eq!(render("{}\n\n"), "line 2 of the audit log is not JSON");
        assert_eq!(render("{\"b\":1, \"a\":2}\n"), "line 1 of the audit log is not canonical JSON; expected {\"a\":2,\"b\":1}");
        assert_eq!(render("{}\r\n"), "line 1 of the audit log is not canonical JSON; expected {}");
        assert_eq!(render("[1.0]\n"), "line 1 of the audit log is not canonical JSON; expected [1]");
        assert_eq!(render("[18446744073709551615]\n"), "line 1 of the audit log cannot be canonicalized");
    }
}
