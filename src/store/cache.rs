//! The content-addressed stage cache (`.nethical/cache/`).
//!
//! An entry is a folder named by the instance's cache key holding the files the instance
//! produced (`files/`) and `entry.json` (their digests and the stage's summary). An instance
//! writes into a private staging folder that is renamed into place only when complete, so an
//! entry either exists whole or not at all, and concurrent runs that compute the same key
//! both succeed (the second rename loses and its staging folder is dropped).
//!
//! Entry files are read-only (0444) once staged: run folders get hard links to them, and a
//! user's edit of a published file must not reach the cache through a writable inode. Their
//! digests are checked through the [`StatIndex`], so reusing an entry costs a `stat` per file.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::write_durable;
use super::digest::FileDigest;
use super::rel_path::RelPath;
use super::stat_index::{CheckedReader, FileProblem, StatIndex, StatTrust};

static STAGING: AtomicU64 = AtomicU64::new(0);

/// What a stage said about its work, kept with its outputs so a cached instance reports the
/// same outcome as the run that produced it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// One line for the run summary ("accuracy 0.9730, ECE 0.0210", "PASS → models/current").
    pub summary: String,
    /// Set when the stage completed its outputs but reports a failure (a gate with
    /// `fail_on_reject` that rejected its model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Set when the outputs depend on something outside the cache key (an unpinned download,
    /// a fallback taken because the network was down), saying what: such an entry is never
    /// reused, and the next run computes the instance again and replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatile: Option<String>,
    /// What the user should know about the outputs (a data guard's finding): printed on
    /// stderr whenever the instance is computed or restored, and kept in `run.json`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct EntryFile {
    key: String,
    tool_version: String,
    outputs: BTreeMap<String, FileDigest>,
    meta: EntryMeta,
}

/// A complete cache entry.
#[derive(Clone, Debug)]
pub struct CacheEntry {
    /// The cache key.
    pub key: String,
    /// The folder holding the output files.
    pub files: PathBuf,
    /// Every output file (relative path → digest).
    pub outputs: BTreeMap<String, FileDigest>,
    /// The stage's summary.
    pub meta: EntryMeta,
    /// The cache's stat index, through which the files are checked.
    index: Arc<StatIndex>,
}

impl PartialEq for CacheEntry {
    fn eq(&self, other: &Self) -> bool {
        (&self.key, &self.files, &self.outputs, &self.meta) == (&other.key, &other.files, &other.outputs, &other.meta)
    }
}

impl CacheEntry {
    /// Whether a run may use this entry instead of computing the instance.
    pub fn reusable(&self) -> bool {
        self.meta.volatile.is_none()
    }

    /// Reads one output file, checking it against its recorded digest (hashing it only when
    /// the stat index cannot vouch for it): a cache folder edited or damaged on disk is
    /// reported, never silently reused. This is the one way stages read cached bytes.
    pub fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        let want = self.outputs.get(rel).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("`{rel}` is not an output of this entry"))
        })?;
        self.index.read(&self.files.join(rel), want).map_err(|p| p.to_io())
    }

    /// Opens one output file to be read as a stream, checked against its recorded digest as
    /// it is read (see [`CheckedReader`]): for a large file that a stage reads straight into
    /// its own vectors.
    pub fn open(&self, rel: &str) -> io::Result<CheckedReader<'_>> {
        let want = self.outputs.get(rel).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("`{rel}` is not an output of this entry"))
        })?;
        self.index.open(&self.files.join(rel), want).map_err(|p| p.to_io())
    }

    /// Checks every output file against its digest (a `stat` each when the index vouches for
    /// them); the first file that does not hold what it should is the error.
    pub fn check(&self) -> Result<(), FileProblem> {
        self.outputs.iter().try_for_each(|(rel, want)| self.index.check(&self.files.join(rel), want))
    }

    /// The path of one output file in the cache.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.files.join(rel)
    }
}

/// The cache folder.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    index: Arc<StatIndex>,
}

impl Cache {
    /// A cache rooted at `root` (created on first write), trusting files whose stat is
    /// unchanged.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self::with_trust(root, StatTrust::Stat)
    }

    /// A cache that checks its files as `trust` says (`--verify`: hash each file once).
    pub fn with_trust(root: impl Into<PathBuf>, trust: StatTrust) -> Self {
        let root = root.into();
        Self { index: Arc::new(StatIndex::new(&root, trust)), root }
    }

    /// The stat index (bytes hashed, saving it).
    pub fn index(&self) -> &StatIndex {
        &self.index
    }

    /// Checks that entries can be written: the staging folder is created and a probe file
    /// written and removed in it. A run checks this before it makes its run folder, so an
    /// unusable cache (a file in the way, no permission) is one error, not a failed instance.
    pub fn ensure_writable(&self) -> io::Result<()> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp)?;
        let probe = tmp.join(format!(".probe.{}.{}", std::process::id(), STAGING.fetch_add(1, Ordering::Relaxed)));
        fs::write(&probe, b"")?;
        fs::remove_file(&probe)
    }

    /// The cache's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entry_dir(&self, key: &str) -> PathBuf {
        let prefix = key.get(..2).unwrap_or("00");
        self.root.join(prefix).join(key)
    }

    /// The complete entry for `key`, if there is one.
    pub fn lookup(&self, key: &str) -> Option<CacheEntry> {
        let dir = self.entry_dir(key);
        let bytes = fs::read(dir.join("entry.json")).ok()?;
        let file: EntryFile = serde_json::from_slice(&bytes).ok()?;
        (file.key == key).then(|| CacheEntry {
            key: file.key,
            files: dir.join("files"),
            outputs: file.outputs,
            meta: file.meta,
            index: Arc::clone(&self.index),
        })
    }

    /// The keys of every complete-looking entry folder (`<key[..2]>/<key>/`), sorted.
    pub fn keys(&self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        let top = match fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(keys),
            Err(e) => return Err(e),
        };
        for prefix in top {
            let prefix = prefix?;
            let name = prefix.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) || !prefix.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(prefix.path())? {
                let key = entry?.file_name().to_string_lossy().into_owned();
                if key.starts_with(&name) && key.bytes().all(|b| b.is_ascii_hexdigit()) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// The folder of the entry for `key` (whether or not it exists).
    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.entry_dir(key)
    }

    /// Starts a private staging folder for `key`.
    pub fn stage(&self, key: &str) -> io::Result<Staging> {
        let n = STAGING.fetch_add(1, Ordering::Relaxed);
        let dir = self.root.join("tmp").join(format!("{key}.{}.{n}", std::process::id()));
        fs::create_dir_all(dir.join("files"))?;
        Ok(Staging {
            key: key.to_owned(),
            dir,
            target: self.entry_dir(key),
            outputs: BTreeMap::new(),
            committed: false,
            index: Arc::clone(&self.index),
        })
    }
}

/// An instance's outputs being written; dropped without [`Staging::commit`], it leaves nothing.
#[derive(Debug)]
pub struct Staging {
    key: String,
    dir: PathBuf,
    target: PathBuf,
    outputs: BTreeMap<String, FileDigest>,
    committed: bool,
    index: Arc<StatIndex>,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Staging {
    /// Writes one output file.
    pub fn write(&mut self, rel: &RelPath, bytes: &[u8]) -> io::Result<()> {
        self.write_with(rel, |w| w.write_all(bytes))
    }

    /// Writes one output file through a callback, hashing it on the way.
    pub fn write_with(&mut self, rel: &RelPath, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        if self.outputs.contains_key(rel.as_str()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("output `{}` written twice", rel.as_str()),
            ));
        }
        let path = rel.under(&self.dir.join("files"));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = fs::File::create(&path)?;
        let mut w = Hashing { inner: io::BufWriter::new(file), hasher: Sha256::new(), bytes: 0 };
        fill(&mut w)?;
        w.flush()?;
        let file = w.inner.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.set_permissions(fs::Permissions::from_mode(0o444))?;
        let digest = FileDigest { sha256: hex::encode(w.hasher.finalize()), bytes: w.bytes };
        self.outputs.insert(rel.as_str().to_owned(), digest);
        Ok(())
    }

    /// Seals the entry and moves it into the cache. With `replace` (a forced rerun) an existing
    /// entry for the key is replaced; otherwise the first committed entry wins.
    pub fn commit(mut self, meta: EntryMeta, replace: bool) -> io::Result<CacheEntry> {
        let file = EntryFile {
            key: self.key.clone(),
            tool_version: crate::VERSION.to_owned(),
            outputs: std::mem::take(&mut self.outputs),
            meta,
        };
        let json = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        write_durable(&self.dir.join("entry.json"), &json)?;
        if let Some(parent) = self.target.parent() {
            fs::create_dir_all(parent)?;
        }
        if replace && self.target.exists() {
            let old = self.dir.with_extension("replaced");
            fs::rename(&self.target, &old)?;
            self.index.forget_under(&self.target);
            let _ = fs::remove_dir_all(&old);
        }
        let won = match fs::rename(&self.dir, &self.target) {
            Ok(()) => true,
            Err(_) if self.target.join("entry.json").exists() => {
                // Another run committed the same key first; its files are the same bytes.
                let _ = fs::remove_dir_all(&self.dir);
                false
            }
            Err(e) => return Err(e),
        };
        self.committed = true;
        let files = self.target.join("files");
        if won {
            // Hashed while written: the next run trusts them by their stat.
            for (rel, d) in &file.outputs {
                self.index.record_written(&files.join(rel), &d.sha256);
            }
        }
        Ok(CacheEntry { key: file.key, files, outputs: file.outputs, meta: file.meta, index: Arc::clone(&self.index) })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(p: &str) -> RelPath {
        RelPath::new(p).expect("valid")
    }

    #[test]
    fn committed_entry_is_found_with_digests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::new(dir.path());
        let mut s = cache.stage("abcd").expect("stage");
        s.write(&rel("cohorts/a/x.json"), b"{}").expect("write");
        let meta = EntryMeta { summary: "ok".into(), failure: None, volatile: None, warnings: Vec::new() };
        let entry = s.commit(meta.clone(), false).expect("commit");
        let found = cache.lookup("abcd").expect("found");
        assert_eq!(found, entry);
        assert_eq!(found.outputs["cohorts/a/x.json"], FileDigest::of(b"{}"));
        assert_eq!(found.read("cohorts/a/x.json").expect("read"), b"{}");
        assert!(!dir.path().join("tmp").read_dir().expect("tmp").any(|_| true));
    }

    #[test]
    fn dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::new(dir.path());
        {
            let mut s = cache.stage("ef01").expect("stage");
            s.write(&rel("a"), b"1").expect("write");
        }
        assert!(cache.lookup("ef01").is_none());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).expect("tmp").count(), 0);
    }

    #[test]
    fn damaged_cached_file_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::new(dir.path());
        let mut s = cache.stage("1234").expect("stage");
        s.write(&rel("a"), b"1").expect("write");
        let entry = s.commit(EntryMeta::default(), false).expect("commit");
        let path = entry.files.join("a");
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o444, "entry files are read-only");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        fs::write(&path, b"2").expect("tamper");
        assert!(entry.check().is_err());
        assert_eq!(entry.read("a").expect_err("damaged").kind(), io::ErrorKind::InvalidData);
    }
}
