//! The cache's stat index (`<cache>/stat-index.json`): what each cached file's `stat` looked
//! like when its bytes were last hashed, with the digest found then.
//!
//! As git's index and DVC's state database do, a file whose size, modification time (to the
//! nanosecond) and inode are unchanged is trusted to hold the bytes it held, so a run that
//! reuses the cache costs one `stat` per file, not a read of every byte. A file whose stat
//! changed is hashed again (a `touch` costs one hash and is accepted; an edit is found). The
//! change time (`ctime`) is not compared: publishing a hard link, `chmod` and `gc` removing a
//! run folder all change it without touching a byte, and comparing it would make every
//! run that links its outputs hash the whole cache again on the next one. What this trusts,
//! and what `nethical run --verify` and `nethical cache verify` check in full, is that nobody
//! rewrote a file in place and set its modification time back.
//!
//! A file modified within the file system's timestamp granularity of when its stat was taken
//! keeps its modification time, so a stat taken that close to the file's own modification
//! time proves nothing (git's "racily clean" entries): such a record is not trusted, and the
//! file is hashed again the next time, when its stat is old enough. The first reuse of an
//! entry just computed, by a later process, therefore hashes its newest files once. The
//! process that wrote an entry trusts its own records of it: the files were written under
//! `cache/tmp/`, renamed into place read-only (0444) and recorded with the digest computed
//! while writing them, so a same-tick rewrite between that rename and a read moments later
//! is a deliberate in-place edit, which the stat index trusts anyway (see above); at 10M
//! rows, hashing what a run just wrote again cost a cold run about half a second.
//!
//! The index is only a hint: missing, unreadable or of another format, it is treated as empty
//! and rebuilt by hashing; written atomically, so a crash leaves the old one or the new one.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Seek};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::write_atomic;
use super::digest::FileDigest;

/// The index file's name inside the cache folder.
pub const INDEX_FILE: &str = "stat-index.json";

const FORMAT_VERSION: u32 = 1;

/// How close (in milliseconds) to the file's modification time a stat may be taken and still
/// be trusted, with nanosecond timestamps (Linux file systems stamp at the kernel's tick) and
/// with whole-second ones.
const RACY_MS: i64 = 100;
const RACY_MS_COARSE: i64 = 2_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What `stat` says about a file, as far as the index compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time: seconds since the epoch.
    pub mtime: i64,
    /// Modification time: nanoseconds.
    pub mtime_ns: i64,
    /// Inode number (a file replaced by rename has another).
    pub ino: u64,
}

impl Stamp {
    /// The stamp of a file's metadata.
    pub fn of(meta: &fs::Metadata) -> Self {
        Self { size: meta.size(), mtime: meta.mtime(), mtime_ns: meta.mtime_nsec(), ino: meta.ino() }
    }

    /// Whether a stat taken at `checked_ms` is far enough after the file's modification for a
    /// later write to have changed its modification time.
    fn settled_at(&self, checked_ms: i64) -> bool {
        let margin = if self.mtime_ns == 0 { RACY_MS_COARSE } else { RACY_MS };
        let mtime_ms = self.mtime.saturating_mul(1000).saturating_add(self.mtime_ns / 1_000_000);
        checked_ms.saturating_sub(mtime_ms) > margin
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    stamp: Stamp,
    sha256: String,
    /// When the stamp was taken (milliseconds since the epoch).
    checked_ms: i64,
    /// Hashed (or written) by this process: trusted even by a full verification.
    #[serde(skip)]
    fresh: bool,
    /// Written into the cache by this process ([`StatIndex::record_written`]): trusted by
    /// this process even while racily clean.
    #[serde(skip)]
    written: bool,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    format_version: u32,
    files: BTreeMap<String, Record>,
}

/// How much to trust the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatTrust {
    /// Trust a file whose stat is unchanged (the default).
    #[default]
    Stat,
    /// Hash every file once in this process (`--verify`).
    Nothing,
}

/// A cached file that does not hold what its entry says.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    /// It is gone or cannot be read.
    #[error("`{}` cannot be read", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Its bytes differ from the recorded digest.
    #[error("`{}` does not match its digest (it was changed after it was cached)", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
}

impl FileProblem {
    /// The problem as an I/O error of its kind, with its message.
    pub fn to_io(&self) -> io::Error {
        let kind = match self {
            FileProblem::Unreadable { source, .. } => source.kind(),
            FileProblem::Changed { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self.to_string())
    }
}

/// The index of one cache folder, shared by every thread of a run.
#[derive(Debug)]
pub struct StatIndex {
    root: PathBuf,
    trust: StatTrust,
    records: OnceLock<Mutex<Records>>,
    bytes_hashed: AtomicU64,
}

#[derive(Debug, Default)]
struct Records {
    files: BTreeMap<String, Record>,
    dirty: bool,
}

impl StatIndex {
    /// The index of the cache at `root`, read on first use.
    pub fn new(root: impl Into<PathBuf>, trust: StatTrust) -> Self {
        Self { root: root.into(), trust, records: OnceLock::new(), bytes_hashed: AtomicU64::new(0) }
    }

    fn records(&self) -> MutexGuard<'_, Records> {
        self.records
            .get_or_init(|| Mutex::new(Records { files: read_index(&self.root.join(INDEX_FILE)), dirty: false }))
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes this process hashed to check cached files (what the index saved is the rest).
    pub fn bytes_hashed(&self) -> u64 {
        self.bytes_hashed.load(Ordering::Relaxed)
    }

    fn key(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy().into_owned()
    }

    /// The digest of `path` if the index vouches for it: its stat is as recorded (and, under
    /// [`StatTrust::Nothing`], this process hashed it).
    fn known(&self, path: &Path, stamp: &Stamp) -> Option<String> {
        let records = self.records();
        let r = records.files.get(&self.key(path))?;
        let settled = r.written || r.stamp.settled_at(r.checked_ms);
        (r.stamp == *stamp && settled && (self.trust == StatTrust::Stat || r.fresh)).then(|| r.sha256.clone())
    }

    /// Records that `path`, as `stamp` describes it, holds bytes with this digest.
    pub fn record(&self, path: &Path, stamp: Stamp, sha256: &str) {
        self.insert(path, stamp, sha256, false);
    }

    fn insert(&self, path: &Path, stamp: Stamp, sha256: &str, written: bool) {
        let key = self.key(path);
        let record = Record { stamp, sha256: sha256.to_owned(), checked_ms: now_ms(), fresh: true, written };
        let mut records = self.records();
        records.files.insert(key, record);
        records.dirty = true;
    }

    /// Records a file this process just wrote into the cache, whose digest it computed while
    /// writing it (a staged output after its commit).
    pub fn record_written(&self, path: &Path, sha256: &str) {
        if let Ok(meta) = fs::metadata(path) {
            self.insert(path, Stamp::of(&meta), sha256, true);
        }
    }

    /// Forgets every file under `dir` (an entry removed or replaced).
    pub fn forget_under(&self, dir: &Path) {
        let prefix = format!("{}/", self.key(dir));
        let mut records = self.records();
        let before = records.files.len();
        records.files.retain(|k, _| !k.starts_with(&prefix));
        if records.files.len() != before {
            records.dirty = true;
        }
    }

    /// The SHA-256 of any file (an input outside the cache, such as a CSV source): the recorded
    /// one when the stat is unchanged, else hashed and recorded. Keyed by the canonical path.
    pub fn digest(&self, path: &Path) -> io::Result<String> {
        let path = fs::canonicalize(path)?;
        let meta = fs::metadata(&path)?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        let stamp = Stamp::of(&meta);
        if let Some(d) = self.known(&path, &stamp) {
            return Ok(d);
        }
        let d = self.hash_file(&path)?;
        self.record(&path, stamp, &d);
        Ok(d)
    }

    /// Checks that `path` holds `want`: by its stat when the index vouches for it, else by
    /// hashing it (and recording what was found).
    pub fn check(&self, path: &Path, want: &FileDigest) -> Result<(), FileProblem> {
        let unreadable = |source| FileProblem::Unreadable { path: path.to_owned(), source };
        let meta = fs::metadata(path).map_err(unreadable)?;
        let stamp = Stamp::of(&meta);
        if stamp.size != want.bytes {
            return Err(FileProblem::Changed { path: path.to_owned() });
        }
        let digest = match self.known(path, &stamp) {
            Some(d) => d,
            None => {
                let d = self.hash_file(path).map_err(unreadable)?;
                self.record(path, stamp, &d);
                d
            }
        };
        if digest == want.sha256 { Ok(()) } else { Err(FileProblem::Changed { path: path.to_owned() }) }
    }

    /// Reads `path`, checking it holds `want`: hashed only when the index cannot vouch for
    /// the stat the open file has.
    pub fn read(&self, path: &Path, want: &FileDigest) -> Result<Vec<u8>, FileProblem> {
        let mut reader = self.open(path, want)?;
        let mut bytes = Vec::with_capacity(usize::try_from(reader.stamp.size).unwrap_or(0));
        let read = reader.read_to_end(&mut bytes);
        reader.finish()?;
        read.map_err(|source| FileProblem::Unreadable { path: path.to_owned(), source })?;
        Ok(bytes)
    }

    /// Opens `path` to be read as a stream, checked against `want` as it is read (see
    /// [`CheckedReader`]). A file whose size or recorded digest already says it is not `want`
    /// is refused here.
    pub fn open(&self, path: &Path, want: &FileDigest) -> Result<CheckedReader<'_>, FileProblem> {
        let unreadable = |source| FileProblem::Unreadable { path: path.to_owned(), source };
        let file = fs::File::open(path).map_err(unreadable)?;
        let stamp = Stamp::of(&file.metadata().map_err(unreadable)?);
        let changed = || FileProblem::Changed { path: path.to_owned() };
        if stamp.size != want.bytes {
            return Err(changed());
        }
        let hasher = match self.known(path, &stamp) {
            Some(digest) if digest == want.sha256 => None,
            Some(_) => return Err(changed()),
            None => Some(Sha256::new()),
        };
        Ok(CheckedReader {
            index: self,
            file,
            path: path.to_owned(),
            stamp,
            want: want.sha256.clone(),
            hasher,
            seen: 0,
            at_end: false,
            problem: None,
        })
    }

    fn hash_file(&self, path: &Path) -> io::Result<String> {
        let mut file = fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            self.bytes_hashed.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Writes the index if anything was recorded. Another process may have saved its own
    /// records meanwhile (runs of other pipelines share the cache): those are kept unless
    /// this process recorded the same file.
    pub fn save(&self) -> io::Result<()> {
        let Some(lock) = self.records.get() else { return Ok(()) };
        let mut records = lock.lock().unwrap_or_else(PoisonError::into_inner);
        if !records.dirty {
            return Ok(());
        }
        let path = self.root.join(INDEX_FILE);
        let mut files = read_index(&path);
        for (k, r) in &records.files {
            files.insert(k.clone(), r.clone());
        }
        // Drop what no longer exists: records of removed entries would otherwise pile up.
        // Entries (`<shard>/<key>`) come and go whole, so one stat per entry, not per file: a
        // cache of a few hundred entries holds thousands of files, and their stats were most
        // of the save, on the path of every run.
        let mut entries: BTreeMap<String, bool> = BTreeMap::new();
        let mut exists = |key: &str| -> bool {
            let entry = key.match_indices('/').nth(1).map_or(key, |(at, _)| &key[..at]);
            *entries.entry(entry.to_owned()).or_insert_with(|| self.root.join(entry).exists())
        };
        let gone: Vec<String> = files.keys().filter(|k| !exists(k)).cloned().collect();
        for key in &gone {
            files.remove(key);
        }
        let json =
            serde_json::to_vec(&IndexFile { format_version: FORMAT_VERSION, files }).map_err(io::Error::other)?;
        write_atomic(&path, &json)?;
        records.dirty = false;
        Ok(())
    }
}

/// A cached file being read, checked as it is read: when the stat index cannot vouch for the
/// file, every byte read is hashed, and reaching the end compares the digest with the one
/// wanted (and records it). A stage can so read a large file straight into the vectors that
/// hold its values, with no copy of the whole file in memory, and still never take changed
/// bytes for good ones, provided it reads to the end before it uses them:
/// [`CheckedReader::finish`] does, and says what was wrong.
#[derive(Debug)]
pub struct CheckedReader<'a> {
    index: &'a StatIndex,
    file: fs::File,
    path: PathBuf,
    stamp: Stamp,
    want: String,
    /// Present while the file is being hashed.
    hasher: Option<Sha256>,
    /// Bytes read so far.
    seen: u64,
    at_end: bool,
    /// What reading found wrong: every later read fails with it.
    problem: Option<FileProblem>,
}

impl CheckedReader<'_> {
    /// Reads what is left and reports what was wrong with the file, if anything: it could not
    /// be read, or its bytes are not the ones wanted.
    pub fn finish(mut self) -> Result<(), FileProblem> {
        let drained = io::copy(&mut self, &mut io::sink());
        if let Some(problem) = self.problem.take() {
            return Err(problem);
        }
        drained.map(|_| ()).map_err(|source| FileProblem::Unreadable { path: self.path.clone(), source })
    }

    /// The file and the offset of its next byte, when nothing needs to see the bytes pass (no
    /// digest is being computed) and reading has not failed or ended: positional reads may
    /// then take bytes ahead (on several threads at once), and [`CheckedReader::skip`] moves
    /// past them. The file's size was checked when it was opened, and is again at its end.
    pub fn positional(&self) -> Option<(&fs::File, u64)> {
        (self.hasher.is_none() && self.problem.is_none() && !self.at_end).then_some((&self.file, self.seen))
    }

    /// Moves past `bytes` bytes that positional reads took ([`CheckedReader::positional`]).
    pub fn skip(&mut self, bytes: u64) -> io::Result<()> {
        if self.hasher.is_some() {
            return Err(io::Error::other("the file is being hashed: its bytes must be read through"));
        }
        let offset = i64::try_from(bytes).map_err(io::Error::other)?;
        self.file.seek(io::SeekFrom::Current(offset))?;
        self.seen += bytes;
        Ok(())
    }

    /// Checks the whole file once the end is reached.
    fn check_end(&mut self) -> Result<(), FileProblem> {
        self.at_end = true;
        let digest_ok = match self.hasher.take() {
            None => true,
            Some(hasher) => {
                self.index.bytes_hashed.fetch_add(self.seen, Ordering::Relaxed);
                let digest = hex::encode(hasher.finalize());
                if self.seen == self.stamp.size {
                    self.index.record(&self.path, self.stamp, &digest);
                }
                digest == self.want
            }
        };
        if digest_ok && self.seen == self.stamp.size {
            Ok(())
        } else {
            Err(FileProblem::Changed { path: self.path.clone() })
        }
    }
}

impl Read for CheckedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(problem) = &self.problem {
            return Err(problem.to_io());
        }
        let n = match self.file.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(source) => {
                let problem = FileProblem::Unreadable { path: self.path.clone(), source };
                let error = problem.to_io();
                self.problem = Some(problem);
                return Err(error);
            }
        };
        self.seen += n as u64;
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(&buf[..n]);
        }
        if n == 0
            && !buf.is_empty()
            && !self.at_end
            && let Err(problem) = self.check_end()
        {
            let error = problem.to_io();
            self.problem = Some(problem);
            return Err(error);
        }
        Ok(n)
    }
}

fn read_index(path: &Path) -> BTreeMap<String, Record> {
    fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<IndexFile>(&b).ok())
        .filter(|f| f.format_version == FORMAT_VERSION)
        .map(|f| f.files)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_mtime(file: &Path, t: std::time::SystemTime) {
        fs::File::options().write(true).open(file).and_then(|f| f.set_modified(t)).expect("set mtime");
    }

    /// A file last modified an hour ago.
    fn setup() -> (tempfile::TempDir, PathBuf, FileDigest) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ab/key/files/x.bin");
        fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs::write(&file, b"hello").expect("write");
        set_mtime(&file, std::time::SystemTime::now() - std::time::Duration::from_secs(3600));
        (dir, file, FileDigest::of(b"hello"))
    }

    #[test]
    fn a_stat_taken_right_after_a_write_is_not_trusted() {
        let (dir, file, want) = setup();
        fs::write(&file, b"hello").expect("rewrite now");
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        index.check(&file, &want).expect("ok");
        // Same size, same inode, and likely the same timestamp tick: only hashing sees it.
        fs::write(&file, b"jello").expect("edit");
        assert!(matches!(index.check(&file, &want), Err(FileProblem::Changed { .. })));
    }

    #[test]
    fn what_this_process_wrote_is_trusted_at_once_and_hashed_once_by_the_next() {
        let (dir, file, want) = setup();
        fs::write(&file, b"hello").expect("rewrite now");
        let writer = StatIndex::new(dir.path(), StatTrust::Stat);
        writer.record_written(&file, &want.sha256);
        assert_eq!(writer.read(&file, &want).expect("read"), b"hello");
        writer.check(&file, &want).expect("ok");
        assert_eq!(writer.bytes_hashed(), 0, "the writer trusts its own record");
        writer.save().expect("save");
        // The saved record was taken in the file's own timestamp tick: a later process hashes.
        let next = StatIndex::new(dir.path(), StatTrust::Stat);
        next.check(&file, &want).expect("ok");
        assert_eq!(next.bytes_hashed(), 5);
    }

    #[test]
    fn a_stream_is_hashed_as_it_is_read_and_checked_at_its_end() {
        let (dir, file, want) = setup();
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        let mut reader = index.open(&file, &want).expect("open");
        let mut start = [0u8; 2];
        reader.read_exact(&mut start).expect("read");
        assert_eq!(&start, b"he");
        reader.finish().expect("the rest holds the digest's bytes");
        assert_eq!(index.bytes_hashed(), 5);
        // Now vouched for: streamed without hashing.
        let mut bytes = Vec::new();
        index.open(&file, &want).expect("open").read_to_end(&mut bytes).expect("read");
        assert_eq!((bytes.as_slice(), index.bytes_hashed()), (&b"hello"[..], 5));

        // The same size, other bytes, and a stat the index cannot vouch for.
        fs::write(&file, b"jello").expect("edit");
        let fresh = StatIndex::new(dir.path(), StatTrust::Stat);
        let mut reader = fresh.open(&file, &want).expect("the size is right");
        reader.read_exact(&mut start).expect("the first bytes come");
        assert!(matches!(reader.finish(), Err(FileProblem::Changed { .. })), "found at the end");
        let mut reader = fresh.open(&file, &want).expect("open");
        let error = reader.read_to_end(&mut Vec::new()).expect_err("the end is refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(reader.read(&mut start).is_err(), "and every read after it");

        fs::write(&file, b"hell").expect("truncate");
        assert!(
            matches!(fresh.open(&file, &want), Err(FileProblem::Changed { .. })),
            "a size that is not the digest's"
        );
        fs::remove_file(&file).expect("remove");
        assert!(matches!(fresh.open(&file, &want), Err(FileProblem::Unreadable { .. })));
    }

    #[test]
    fn only_a_stream_nothing_hashes_hands_its_bytes_to_positional_reads() {
        use std::os::unix::fs::FileExt;
        let (dir, file, want) = setup();
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        let mut hashed = index.open(&file, &want).expect("open");
        assert!(hashed.positional().is_none(), "an unknown file is hashed as it is read");
        assert!(hashed.skip(1).is_err());
        hashed.finish().expect("holds the digest's bytes");
        // Vouched for now: the bytes ahead may be read where they are, then skipped.
        let mut trusted = index.open(&file, &want).expect("open");
        let mut first = [0u8; 1];
        trusted.read_exact(&mut first).expect("read");
        let (f, at) = trusted.positional().expect("positional");
        let mut ahead = [0u8; 3];
        f.read_exact_at(&mut ahead, at).expect("read ahead");
        assert_eq!((&first, &ahead), (b"h", b"ell"));
        trusted.skip(3).expect("skip");
        let mut rest = Vec::new();
        trusted.read_to_end(&mut rest).expect("the rest");
        assert_eq!(rest, b"o");
        assert!(trusted.positional().is_none(), "the end was reached");
        trusted.finish().expect("the whole file was accounted for");
        // Skipping past the end is the size check's to refuse.
        let mut past = index.open(&file, &want).expect("open");
        past.skip(6).expect("a seek");
        assert!(matches!(past.finish(), Err(FileProblem::Changed { .. })));
    }

    #[test]
    fn an_unchanged_stat_is_not_hashed_again_across_processes() {
        let (dir, file, want) = setup();
        let first = StatIndex::new(dir.path(), StatTrust::Stat);
        first.check(&file, &want).expect("ok");
        assert_eq!(first.bytes_hashed(), 5);
        first.save().expect("save");
        let second = StatIndex::new(dir.path(), StatTrust::Stat);
        second.check(&file, &want).expect("ok");
        assert_eq!(second.read(&file, &want).expect("read"), b"hello");
        assert_eq!(second.bytes_hashed(), 0, "the saved index vouches for the file");
        let full = StatIndex::new(dir.path(), StatTrust::Nothing);
        full.check(&file, &want).expect("ok");
        full.check(&file, &want).expect("ok");
        assert_eq!(full.bytes_hashed(), 5, "--verify hashes each file once");
    }

    #[test]
    fn a_touched_file_is_hashed_and_accepted_a_changed_one_is_refused() {
        let (dir, file, want) = setup();
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        index.check(&file, &want).expect("ok");
        set_mtime(&file, std::time::SystemTime::now() - std::time::Duration::from_secs(60));
        index.check(&file, &want).expect("touched, same bytes");
        assert_eq!(index.bytes_hashed(), 10);
        fs::write(&file, b"jello").expect("edit");
        assert!(matches!(index.check(&file, &want), Err(FileProblem::Changed { .. })));
        assert!(matches!(index.read(&file, &want), Err(FileProblem::Changed { .. })));
    }

    #[test]
    fn a_corrupt_index_is_rebuilt() {
        let (dir, file, want) = setup();
        fs::write(dir.path().join(INDEX_FILE), b"{not json").expect("write");
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        index.check(&file, &want).expect("ok");
        index.save().expect("save");
        let again = StatIndex::new(dir.path(), StatTrust::Stat);
        again.check(&file, &want).expect("ok");
        assert_eq!(again.bytes_hashed(), 0);
    }

    #[test]
    fn records_of_a_removed_entry_are_dropped_when_saved() {
        let (dir, file, want) = setup();
        let other = dir.path().join("cd/key/files/y.bin");
        fs::create_dir_all(other.parent().expect("parent")).expect("mkdir");
        fs::write(&other, b"hello").expect("write");
        let index = StatIndex::new(dir.path(), StatTrust::Stat);
        index.check(&file, &want).expect("ok");
        index.check(&other, &want).expect("ok");
        index.save().expect("save");
        // Another process removes the second entry; the next save forgets its record.
        fs::remove_dir_all(dir.path().join("cd/key")).expect("remove");
        let next = StatIndex::new(dir.path(), StatTrust::Stat);
        next.check(&file, &want).expect("ok");
        next.record_written(&file, &want.sha256);
        next.save().expect("save");
        let keys: Vec<String> = read_index(&dir.path().join(INDEX_FILE)).into_keys().collect();
        assert_eq!(keys, ["ab/key/files/x.bin"]);
    }
}
