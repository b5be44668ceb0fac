//! `nethical gc`: removes old run folders, the cache entries nothing kept refers to, and what
//! killed runs left behind.
//!
//! Every pipeline's lock is taken first and held to the end, so no run of it starts or is
//! running meanwhile; a pipeline whose lock is held is left alone, and then the cache is not
//! collected at all (that run may be about to publish entries no run folder names yet).
//! The audit log is never touched: a removed run's events stay in it, and a tombstone
//! (`trail::Tombstone`) tells `audit verify` that gc removed the folder.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::run_folder::PipelineLock;
use crate::artifacts::{ArtifactFile, RUN_FILE, RunStatus, RunSummary};
use crate::error::Error;
use crate::plan::{Lockfile, lockfile_path};
use crate::store::{Cache, write_atomic};
use crate::trail::{TOMBSTONE_FORMAT, Tombstone};

/// What to keep.
#[derive(Clone, Debug)]
pub struct GcOptions {
    /// The folder of run folders.
    pub runs_dir: PathBuf,
    /// The stage cache.
    pub cache_dir: PathBuf,
    /// Keep the newest N runs of each pipeline.
    pub keep_last: Option<usize>,
    /// Keep the runs started within this long of `now`.
    pub older_than: Option<Duration>,
    /// Run ids never removed.
    pub keep: Vec<String>,
    /// Lockfiles whose entries (and the runs they name) are kept, besides those of the
    /// manifests the runs recorded.
    pub lockfiles: Vec<PathBuf>,
    /// Say what would go, remove nothing.
    pub dry_run: bool,
    /// The present (tombstones record it; `--older-than` counts from it).
    pub now: DateTime<Utc>,
}

/// Something removed (or, with `--dry-run`, that would be).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GcItem {
    /// Its path.
    pub path: PathBuf,
    /// Its files' apparent size.
    pub bytes: u64,
    /// Why it goes.
    pub reason: String,
}

/// What gc did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Nothing was removed.
    pub dry_run: bool,
    /// Run folders.
    pub runs: Vec<GcItem>,
    /// `.partial-*` run folders and cache staging folders of runs that are no longer running.
    pub leftovers: Vec<GcItem>,
    /// Cache entries no kept run or lockfile refers to.
    pub cache_entries: Vec<GcItem>,
    /// Pipelines whose lock another process holds: left alone.
    pub busy: Vec<String>,
    /// Run folders whose `run.json` this build cannot read (damaged, or written by a later
    /// nethical): left alone, since gc cannot tell how old they are or what they keep.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<UnreadableRun>,
    /// Why the cache was not collected, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_skipped: Option<String>,
    /// Bytes the file system gets back: a hard-linked file counts once all its names go.
    pub freed_bytes: u64,
}

/// A run folder gc left alone because it cannot read its `run.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnreadableRun {
    /// The run folder.
    pub path: PathBuf,
    /// Why its `run.json` cannot be read, naming the file.
    pub reason: String,
}

struct RunInfo {
    id: String,
    dir: PathBuf,
    summary: RunSummary,
    /// When its `run.json` was written: orders runs of one second (or of a fixed
    /// `SOURCE_DATE_EPOCH` clock, which gives every run the same start).
    finished: std::time::SystemTime,
}

/// What `gc` refuses to start on: a folder or run id that is not there, where going on would
/// free what the user meant to keep.
#[derive(Debug, thiserror::Error)]
pub enum GcInputError {
    /// Without its runs, every cache entry would look unused.
    #[error("no runs folder at `{}`: gc keeps the cache entries its runs use, so it needs it (--runs-dir)", .runs_dir.display())]
    NoRunsFolder {
        /// The folder given.
        runs_dir: PathBuf,
    },
    /// A misspelt `--keep` would keep nothing.
    #[error("--keep {keep}: no run folder of that id in `{}`", .runs_dir.display())]
    UnknownKeptRun {
        /// The run id given.
        keep: String,
        /// The folder searched.
        runs_dir: PathBuf,
    },
}

/// Runs gc. Errors are the file system's; a run that cannot be removed stops gc with what it
/// removed so far left removed.
pub fn gc(opts: &GcOptions) -> Result<GcReport, Error> {
    // Without its runs, every cache entry would look unused: a mistyped --runs-dir must not
    // empty the cache.
    if !opts.runs_dir.is_dir() {
        return Err(GcInputError::NoRunsFolder { runs_dir: opts.runs_dir.clone() }.into());
    }
    let mut report = GcReport { dry_run: opts.dry_run, ..GcReport::default() };
    let mut locks = Vec::new();
    let mut pipelines = Vec::new();
    for name in subfolders(&opts.runs_dir)? {
        let dir = opts.runs_dir.join(&name);
        match PipelineLock::acquire(&dir, &name, false) {
            Ok(lock) => {
                locks.push(lock);
                pipelines.push((name, dir));
            }
            Err(Error::Busy(_)) => report.busy.push(name),
            Err(e) => return Err(e),
        }
    }
    let mut runs: BTreeMap<String, Vec<RunInfo>> = BTreeMap::new();
    for (name, dir) in &pipelines {
        runs.insert(name.clone(), list_runs(dir, &mut report.unreadable)?);
    }
    let mut lockfiles: BTreeSet<PathBuf> = opts.lockfiles.iter().cloned().collect();
    for run in runs.values().flatten() {
        lockfiles.insert(lockfile_path(Path::new(&run.summary.manifest)));
    }
    let locked: Vec<Lockfile> = lockfiles.iter().filter_map(|p| Lockfile::read(p).ok().flatten()).collect();
    // A misspelt `--keep` would keep nothing; a busy pipeline's runs are not listed, though,
    // and an unreadable run is kept anyway.
    let known = |k: &String| {
        runs.values().flatten().any(|r| &r.id == k) || report.unreadable.iter().any(|u| u.path.ends_with(k))
    };
    if let Some(keep) = opts.keep.iter().find(|k| !known(k))
        && report.busy.is_empty()
    {
        return Err(GcInputError::UnknownKeptRun { keep: keep.clone(), runs_dir: opts.runs_dir.clone() }.into());
    }

    let mut freed = Freed::default();
    // The report views a kept run links (`exec/views.rs`): their cache entries are named by
    // no instance, only by these files' inodes.
    let mut kept_views: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut kept_keys: BTreeSet<String> =
        locked.iter().flat_map(|l| l.instances.values().map(|e| e.key.clone())).collect();
    for ((name, dir), list) in pipelines.iter().zip(runs.values()) {
        let doomed = doomed_runs(dir, list, &locked, opts);
        for run in list {
            let Some(reason) = doomed.get(&run.id) else {
                kept_keys.extend(run.summary.instances.iter().filter_map(|i| i.key.clone()));
                kept_views.extend(view_files(run));
                continue;
            };
            let bytes = freed.measure(&run.dir)?;
            report.runs.push(GcItem { path: run.dir.clone(), bytes, reason: reason.clone() });
            if !opts.dry_run {
                remove_run(dir, run, reason, bytes, opts.now)?;
            }
        }
        for entry in subfolders(dir)? {
            if !(entry.starts_with(".partial-") || entry.starts_with(".gc-removing-")) {
                continue;
            }
            let reason = format!("left by a run of `{name}` that ended without finishing");
            collect_leftover(&mut report, &mut freed, dir.join(&entry), reason, opts.dry_run)?;
        }
    }

    if !report.busy.is_empty() {
        report.cache_skipped = Some(format!(
            "a run of {} is in progress: it may be about to use entries no run folder names yet",
            report.busy.iter().map(|b| format!("`{b}`")).collect::<Vec<_>>().join(", ")
        ));
    } else if !report.unreadable.is_empty() {
        // Which entries an unreadable run uses is unknown, so none is collected: its folder
        // is kept, and so is every entry it may name.
        report.cache_skipped = Some(format!(
            "{} cannot be read, so the cache entries it uses are unknown",
            report.unreadable.iter().map(|u| format!("`{}`", u.path.display())).collect::<Vec<_>>().join(", ")
        ));
    } else {
        let cache = Cache::new(&opts.cache_dir);
        for key in cache.keys().map_err(Error::io("read", &opts.cache_dir))? {
            if kept_keys.contains(&key) || (!kept_views.is_empty() && links_a_kept_view(&cache, &key, &kept_views)) {
                continue;
            }
            let path = cache.entry_path(&key);
            let bytes = freed.measure(&path)?;
            report.cache_entries.push(GcItem {
                path: path.clone(),
                bytes,
                reason: "no kept run or lockfile uses it".to_owned(),
            });
            if !opts.dry_run {
                // `entry.json` first: a half-removed entry is then no entry at all.
                let _ = fs::remove_file(path.join("entry.json"));
                fs::remove_dir_all(&path).map_err(Error::io("remove", &path))?;
                cache.index().forget_under(&path);
            }
        }
        let tmp = opts.cache_dir.join("tmp");
        for name in subfolders(&tmp)?.into_iter().chain(files(&tmp)?) {
            if staging_pid(&name).is_some_and(process_alive) {
                continue;
            }
            let reason = "cache staging of a process that is gone".to_owned();
            collect_leftover(&mut report, &mut freed, tmp.join(&name), reason, opts.dry_run)?;
        }
        // The memo only saves time (a run computes again what it does not hold), and which of
        // its entries a later run will want is unknown: it goes whole.
        let memo = opts.cache_dir.join(crate::store::MEMO_DIR);
        if memo.is_dir() {
            let reason = "figures kept between runs of reports (a run computes what it needs again)".to_owned();
            collect_leftover(&mut report, &mut freed, memo, reason, opts.dry_run)?;
        }
        if !opts.dry_run {
            // Only a hint; records of removed files are dropped when it is saved.
            let _ = cache.index().save();
        }
    }
    report.freed_bytes = freed.total();
    drop(locks);
    Ok(report)
}

/// The (device, inode) of each report view in `run` (the views sit beside the report
/// instances' `comparison.json`).
fn view_files(run: &RunInfo) -> Vec<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let jsons = run.summary.instances.iter().flat_map(|i| i.outputs.keys()).filter(|p| p.ends_with("comparison.json"));
    jsons
        .flat_map(|json| ["comparison.md", "comparison.html"].map(|v| run.dir.join(json).with_file_name(v)))
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect()
}

/// Whether cache entry `key` holds a report view that a kept run's folder links.
fn links_a_kept_view(cache: &Cache, key: &str, kept: &BTreeSet<(u64, u64)>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(entry) = cache.lookup(key) else { return false };
    entry
        .outputs
        .keys()
        .filter_map(|rel| fs::metadata(entry.path(rel)).ok())
        .any(|m| kept.contains(&(m.dev(), m.ino())))
}

/// The runs of one pipeline that go, with why. Never the run `latest` names, the newest
/// complete run, one named with `--keep`, or one a lockfile reads (a drift baseline).
fn doomed_runs(dir: &Path, runs: &[RunInfo], locked: &[Lockfile], opts: &GcOptions) -> BTreeMap<String, String> {
    let latest = fs::read_link(dir.join("latest")).ok().map(|p| p.to_string_lossy().into_owned());
    let newest_complete = runs.iter().rev().find(|r| r.summary.status == RunStatus::Succeeded).map(|r| r.id.as_str());
    let read_by_lockfile = |id: &str| {
        locked.iter().any(|l| {
            l.instances.values().any(|e| e.files.keys().any(|f| Path::new(f).components().any(|c| c.as_os_str() == id)))
        })
    };
    let mut out = BTreeMap::new();
    for (age, run) in runs.iter().rev().enumerate() {
        if latest.as_deref() == Some(run.id.as_str())
            || newest_complete == Some(run.id.as_str())
            || opts.keep.contains(&run.id)
            || read_by_lockfile(&run.id)
        {
            continue;
        }
        let beyond = opts.keep_last.map(|n| (age >= n, format!("beyond --keep-last {n}")));
        let old = opts.older_than.map(|d| {
            let started = DateTime::parse_from_rfc3339(&run.summary.started_at).map(|t| t.with_timezone(&Utc));
            let cutoff = chrono::Duration::from_std(d).ok().and_then(|d| opts.now.checked_sub_signed(d));
            let is_old = matches!((started, cutoff), (Ok(s), Some(c)) if s < c);
            (is_old, format!("older than {}", humantime(d)))
        });
        // Each policy keeps what it keeps; a run goes only when every policy given lets it go.
        let reasons: Vec<(bool, String)> = [beyond, old].into_iter().flatten().collect();
        if !reasons.is_empty() && reasons.iter().all(|(go, _)| *go) {
            out.insert(run.id.clone(), reasons.into_iter().map(|(_, r)| r).collect::<Vec<_>>().join(", "));
        }
    }
    out
}

/// Writes the tombstone, then moves the folder out of the way (a crash mid-removal leaves a
/// `.gc-removing-*` leftover for the next gc, never a half run folder under the run's name)
/// and removes it.
fn remove_run(dir: &Path, run: &RunInfo, reason: &str, bytes: u64, now: DateTime<Utc>) -> Result<(), Error> {
    let tombstone = Tombstone {
        format_version: TOMBSTONE_FORMAT,
        run_id: run.id.clone(),
        removed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        reason: reason.to_owned(),
        bytes,
    };
    let path = Tombstone::path(dir, &run.id);
    let json = serde_json::to_vec_pretty(&tombstone).map_err(|e| Error::Internal(e.to_string()))?;
    write_atomic(&path, &json).map_err(Error::io("write", &path))?;
    let moved = dir.join(format!(".gc-removing-{}", run.id));
    fs::rename(&run.dir, &moved).map_err(Error::io("move", &run.dir))?;
    fs::remove_dir_all(&moved).map_err(Error::io("remove", &moved))
}

/// The complete run folders of a pipeline (those with a readable `run.json`), oldest first:
/// run ids start with the run's UTC time (to the second). A folder without `run.json` is no
/// run (the audit log's); one whose `run.json` cannot be read goes to `unreadable`, never to
/// the runs gc may remove.
fn list_runs(dir: &Path, unreadable: &mut Vec<UnreadableRun>) -> Result<Vec<RunInfo>, Error> {
    let mut out = Vec::new();
    for id in subfolders(dir)? {
        let path = dir.join(&id);
        if id.starts_with('.') || id == "latest" || path.is_symlink() {
            continue;
        }
        let file = path.join(RUN_FILE);
        let read = match fs::read(&file) {
            Ok(bytes) => RunSummary::from_bytes(&bytes, &format!("`{}`", file.display())).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => Err(format!("cannot read `{}`: {e}", file.display())),
        };
        let summary = match read {
            Ok(summary) => summary,
            Err(reason) => {
                unreadable.push(UnreadableRun { path, reason });
                continue;
            }
        };
        let finished = fs::metadata(&file).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
        out.push(RunInfo { id, dir: path, summary, finished });
    }
    out.sort_by(|a, b| (a.id.get(..16), a.finished, &a.id).cmp(&(b.id.get(..16), b.finished, &b.id)));
    Ok(out)
}

fn subfolders(dir: &Path) -> Result<Vec<String>, Error> {
    names(dir, true)
}

fn files(dir: &Path) -> Result<Vec<String>, Error> {
    names(dir, false)
}

fn names(dir: &Path, folders: bool) -> Result<Vec<String>, Error> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", dir)(e)),
    };
    let mut out: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() == folders && !t.is_symlink()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    Ok(out)
}

/// Lists `path` (a folder or a file) among the leftovers, with its size and `reason`, and
/// removes it unless this is a dry run.
fn collect_leftover(
    report: &mut GcReport,
    freed: &mut Freed,
    path: PathBuf,
    reason: String,
    dry_run: bool,
) -> Result<(), Error> {
    let bytes = freed.measure(&path)?;
    if !dry_run {
        let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        removed.map_err(Error::io("remove", &path))?;
    }
    report.leftovers.push(GcItem { path, bytes, reason });
    Ok(())
}

/// The process that made a staging name: `<key>.<pid>.<n>`, `<key>.<pid>.replaced`,
/// `.probe.<pid>.<n>`.
fn staging_pid(name: &str) -> Option<u32> {
    name.split('.').filter(|p| !p.is_empty()).skip(1).find_map(|p| p.parse().ok())
}

fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Sizes of what is removed, counting a file's blocks as freed only when every hard link to
/// it is among the removed paths.
#[derive(Default)]
struct Freed {
    inodes: HashMap<(u64, u64), (u64, u64, u64)>,
}

impl Freed {
    /// The apparent size of `path`, noting its files' inodes.
    fn measure(&mut self, path: &Path) -> Result<u64, Error> {
        let mut total = 0;
        let mut stack = vec![path.to_path_buf()];
        while let Some(p) = stack.pop() {
            let meta = fs::symlink_metadata(&p).map_err(Error::io("read", &p))?;
            if meta.is_dir() {
                for e in fs::read_dir(&p).map_err(Error::io("read", &p))? {
                    stack.push(e.map_err(Error::io("read", &p))?.path());
                }
                continue;
            }
            total += meta.len();
            let slot = self.inodes.entry((meta.dev(), meta.ino())).or_insert((meta.nlink(), 0, meta.len()));
            slot.1 += 1;
        }
        Ok(total)
    }

    fn total(&self) -> u64 {
        self.inodes.values().filter(|(links, seen, _)| seen >= links).map(|(_, _, size)| size).sum()
    }
}

/// `30d`, `12h`, `1d 2h` as gc's reason says it.
fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Parses `30d`, `12h`, `90m`, `45s` or `2w`.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("`{text}` is not an age such as 30d, 12h, 90m or 2w"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("`{text}` is not an age such as 30d, 12h, 90m or 2w (units: s, m, h, d, w)")),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(|| format!("`{text}` is too long an age"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_run_json_is_unreadable_and_a_folder_without_one_is_no_run() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir_all(dir.path().join("audit"))?;
        fs::create_dir_all(dir.path().join("20231114T221320Z-000001"))?;
        fs::write(dir.path().join("20231114T221320Z-000001/run.json"), "{\"format_version\": 1")?;
        let mut unreadable = Vec::new();
        let runs = list_runs(dir.path(), &mut unreadable).map_err(std::io::Error::other)?;
        assert!(runs.is_empty());
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert!(unreadable[0].path.ends_with("20231114T221320Z-000001"));
        assert!(unreadable[0].reason.contains("run.json` is not readable"), "{}", unreadable[0].reason);
        Ok(())
    }

    #[test]
    fn ages_parse_with_units() {
        assert_eq!(parse_age("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_age("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_age("30").is_err());
        assert!(parse_age("d").is_err());
        assert_eq!(humantime(Duration::from_secs(30 * 86_400)), "30d");
    }

    #[test]
    fn staging_names_give_their_process() {
        assert_eq!(staging_pid("abcd.123.4"), Some(123));
        assert_eq!(staging_pid("abcd.123.replaced"), Some(123));
        assert_eq!(staging_pid(".probe.77.0"), Some(77));
        assert_eq!(staging_pid("junk"), None);
    }

    #[test]
    fn a_hard_linked_file_is_freed_only_with_all_its_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("a")).expect("mkdir");
        fs::create_dir_all(dir.path().join("b")).expect("mkdir");
        fs::write(dir.path().join("a/f"), b"12345").expect("write");
        fs::hard_link(dir.path().join("a/f"), dir.path().join("b/f")).expect("link");
        let mut one = Freed::default();
        assert_eq!(one.measure(&dir.path().join("a")).expect("measure"), 5);
        assert_eq!(one.total(), 0);
        one.measure(&dir.path().join("b")).expect("measure");
        assert_eq!(one.total(), 5);
    }
}
