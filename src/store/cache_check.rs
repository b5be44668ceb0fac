//! `nethical cache verify`: every entry of the cache checked in full, byte by byte.

use std::io;

use serde::Serialize;

use super::cache::Cache;
use super::stat_index::FileProblem;

/// One entry that does not hold what its `entry.json` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DamagedEntry {
    /// The cache key (the entry's folder name).
    pub key: String,
    /// What is wrong, one line per file.
    pub problems: Vec<String>,
}

/// The outcome of checking a whole cache.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CacheCheck {
    /// Entries checked.
    pub entries: usize,
    /// Files hashed.
    pub files: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Entries that failed, in key order.
    pub damaged: Vec<DamagedEntry>,
}

impl Cache {
    /// Hashes every file of every entry (build the cache with
    /// [`StatTrust::Nothing`](super::StatTrust::Nothing) for a check that trusts no stat) and
    /// refreshes the stat index with what it found. An entry folder without a readable
    /// `entry.json` is damaged too.
    pub fn check_all(&self) -> io::Result<CacheCheck> {
        let mut out = CacheCheck::default();
        for key in self.keys()? {
            out.entries += 1;
            let Some(entry) = self.lookup(&key) else {
                out.damaged
                    .push(DamagedEntry { key, problems: vec!["its `entry.json` is missing or unreadable".to_owned()] });
                continue;
            };
            let mut problems = Vec::new();
            for (rel, want) in &entry.outputs {
                out.files += 1;
                out.bytes += want.bytes;
                if let Err(p) = self.index().check(&entry.path(rel), want) {
                    problems.push(match p {
                        FileProblem::Unreadable { source, .. } => format!("`{rel}` cannot be read: {source}"),
                        FileProblem::Changed { .. } => format!("`{rel}` does not match its digest"),
                    });
                }
            }
            if !problems.is_empty() {
                out.damaged.push(DamagedEntry { key, problems });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::store::{EntryMeta, RelPath, StatTrust};

    #[test]
    fn names_each_damaged_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::new(dir.path());
        for key in ["aa11", "bb22"] {
            let mut s = cache.stage(key).expect("stage");
            s.write(&RelPath::new("x/y.json").expect("rel"), b"{}").expect("write");
            s.commit(EntryMeta::default(), false).expect("commit");
        }
        std::fs::create_dir_all(dir.path().join("cc/cc33")).expect("mkdir");
        let file = dir.path().join("bb/bb22/files/x/y.json");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::write(&file, b"[]").expect("tamper");
        let check = Cache::with_trust(dir.path(), StatTrust::Nothing).check_all().expect("check");
        assert_eq!((check.entries, check.files), (3, 2));
        let named: Vec<(&str, &str)> = check.damaged.iter().map(|d| (d.key.as_str(), d.problems[0].as_str())).collect();
        assert_eq!(
            named,
            [("bb22", "`x/y.json` does not match its digest"), ("cc33", "its `entry.json` is missing or unreadable")]
        );
    }
}
