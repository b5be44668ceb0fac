//! Results of pure computations kept between runs, beside the stage cache (`<cache>/memo/`).
//!
//! A stage that recomputes from many inputs when one of them changed keeps what each part of
//! its work made, keyed by the digest of everything that part read, and takes it back the next
//! time instead of computing it again: the report's per-cohort intervals and pairwise tests,
//! when one of ten cohorts was retrained. A memo only ever saves time. Its key names every
//! input of the part (file digests, parameters, the stage kind's code version), so what it
//! holds is what the part would compute; an entry that cannot be read, does not parse or does
//! not name its key is a miss, and one that cannot be written is skipped.
//!
//! Runs with `--force` or `--verify`, and instances named by `--forcerun`, compute everything.
//! `nethical gc` removes the memo: a run rebuilds what it needs.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::digest::canonical_digest;

/// The memo's folder under the cache folder.
pub const MEMO_DIR: &str = "memo";

/// The memo of a cache folder.
#[derive(Clone, Debug)]
pub struct Memo {
    dir: PathBuf,
}

/// A memo file: the key it answers, and the value.
#[derive(Serialize, Deserialize)]
struct MemoFile<T> {
    key: String,
    value: T,
}

impl Memo {
    /// The memo kept in `cache_dir`.
    pub fn new(cache_dir: &Path) -> Self {
        Self { dir: cache_dir.join(MEMO_DIR) }
    }

    /// The key of a part of a stage's work: the digest of what it reads, as canonical JSON
    /// (`None` only if `inputs` cannot be written as JSON, which the callers' types rule out).
    pub fn key(inputs: &impl Serialize) -> Option<String> {
        canonical_digest(inputs).ok()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key.get(..2).unwrap_or("00")).join(format!("{key}.json"))
    }

    /// The value kept under `key`, if a readable one is.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = fs::read(self.path(key)).ok()?;
        let file: MemoFile<T> = serde_json::from_slice(&bytes).ok()?;
        (file.key == key).then_some(file.value)
    }

    /// Keeps `value` under `key`, atomically; a failure only means the next run computes it.
    pub fn put<T: Serialize>(&self, key: &str, value: &T) {
        let file = MemoFile { key: key.to_owned(), value };
        if let Ok(bytes) = serde_json::to_vec(&file) {
            let _ = write_atomic(&self.path(key), &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_kept_is_given_back_bit_for_bit_under_its_key_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let memo = Memo::new(dir.path());
        let key = Memo::key(&("report cohort", 0.1 + 0.2, 7)).expect("key");
        let value = vec![0.1 + 0.2, -0.0, 1e-310, f64::MAX];
        assert_eq!(memo.get::<Vec<f64>>(&key), None);
        memo.put(&key, &value);
        let back: Vec<f64> = memo.get(&key).expect("kept");
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            value.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let other = Memo::key(&("report cohort", 0.3, 7)).expect("key");
        assert_ne!(other, key);
        assert_eq!(memo.get::<Vec<f64>>(&other), None);
        assert!(dir.path().join(MEMO_DIR).join(&key[..2]).join(format!("{key}.json")).is_file());
    }

    #[test]
    fn a_damaged_or_misplaced_entry_is_a_miss_and_an_unwritable_memo_only_costs_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let memo = Memo::new(dir.path());
        let (a, b) = (Memo::key(&"a").expect("key"), Memo::key(&"b").expect("key"));
        memo.put(&a, &1_u32);
        // Truncated, of another type, or copied under another key's name.
        let path = |k: &str| dir.path().join(MEMO_DIR).join(&k[..2]).join(format!("{k}.json"));
        let bytes = fs::read(path(&a)).expect("read");
        fs::write(path(&a), &bytes[..bytes.len() - 2]).expect("truncate");
        assert_eq!(memo.get::<u32>(&a), None);
        memo.put(&a, &1_u32);
        assert_eq!(memo.get::<String>(&a), None);
        fs::create_dir_all(path(&b).parent().expect("parent")).expect("mkdir");
        fs::copy(path(&a), path(&b)).expect("copy");
        assert_eq!(memo.get::<u32>(&b), None, "an entry answers the key it names");
        memo.put(&b, &2_u32);
        assert_eq!(memo.get::<u32>(&b), Some(2));
        // A file where the memo's folder would be: nothing is kept, nothing fails.
        let blocked = tempfile::tempdir().expect("temp dir");
        fs::write(blocked.path().join(MEMO_DIR), b"").expect("block");
        let memo = Memo::new(blocked.path());
        memo.put(&a, &3_u32);
        assert_eq!(memo.get::<u32>(&a), None);
    }
}
