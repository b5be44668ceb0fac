//! Run folders: `runs/<pipeline>/<run-id>/`, written under a temporary name and renamed into
//! place when the run ends, plus the `latest` link and the pipeline's lock.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::store::{LinkMode, Linker, RelPath, write_atomic, write_durable};

/// A run folder being written.
#[derive(Debug)]
pub struct RunFolder {
    pipeline_dir: PathBuf,
    run_id: String,
    tmp: PathBuf,
}

impl RunFolder {
    /// Picks a free run id (`<clock>-<digest[..6]>`, then `-2`, `-3`, ... if taken) and creates
    /// its temporary folder.
    pub fn create(pipeline_dir: &Path, stamp: &str, digest: &str) -> Result<Self, Error> {
        fs::create_dir_all(pipeline_dir).map_err(Error::io("create folder", pipeline_dir))?;
        let base = format!("{stamp}-{}", digest.get(..6).unwrap_or(digest));
        let mut n = 1;
        loop {
            let run_id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            let tmp = pipeline_dir.join(format!(".partial-{run_id}"));
            if !pipeline_dir.join(&run_id).exists() && !tmp.exists() {
                fs::create_dir(&tmp).map_err(Error::io("create folder", &tmp))?;
                return Ok(Self { pipeline_dir: pipeline_dir.to_owned(), run_id, tmp });
            }
            n += 1;
        }
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Where the folder will be once finished.
    pub fn final_path(&self) -> PathBuf {
        self.pipeline_dir.join(&self.run_id)
    }

    /// Writes one file into the run, refusing to overwrite another instance's output.
    pub fn publish(&self, rel: &RelPath, bytes: &[u8]) -> Result<(), Error> {
        let path = rel.under(&self.tmp);
        if path.exists() {
            return Err(Error::Internal(format!("two stage instances write `{}`", rel.as_str())));
        }
        write_atomic(&path, bytes).map_err(Error::io("write", path))
    }

    /// Places a cached file into the run (a reflink, hard link or copy, as `linker` says),
    /// refusing to overwrite another instance's output.
    pub fn publish_cached(&self, rel: &RelPath, src: &Path, linker: &Linker) -> Result<LinkMode, Error> {
        let path = rel.under(&self.tmp);
        if path.exists() {
            return Err(Error::Internal(format!("two stage instances write `{}`", rel.as_str())));
        }
        linker.place(src, &path).map_err(Error::io("publish", path))
    }

    /// Replaces an already published file with a cached one (a cached `audit` instance's
    /// model copies, which carry their proofs).
    pub fn replace_cached(&self, rel: &RelPath, src: &Path, linker: &Linker) -> Result<LinkMode, Error> {
        let path = rel.under(&self.tmp);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("replace", path)(e)),
        }
        linker.place(src, &path).map_err(Error::io("publish", path))
    }

    /// The folder while the run is written (its temporary name).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Replaces an already published file (an `audit` instance adding a model's proof).
    pub fn replace(&self, rel: &RelPath, bytes: &[u8]) -> Result<(), Error> {
        let path = rel.under(&self.tmp);
        write_atomic(&path, bytes).map_err(Error::io("write", path))
    }

    /// Writes a run-level file (`run.json`, `manifest.resolved.toml`) durably, replacing any
    /// earlier one.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.tmp.join(name);
        write_durable(&path, bytes).map_err(Error::io("write", path))
    }

    /// Renames the folder into place; when `complete`, points `latest` at it.
    pub fn finish(self, complete: bool) -> Result<PathBuf, Error> {
        let dest = self.final_path();
        fs::rename(&self.tmp, &dest).map_err(Error::io("rename run folder to", &dest))?;
        if complete {
            let link = self.pipeline_dir.join("latest");
            let tmp = self.pipeline_dir.join(format!(".latest.{}", std::process::id()));
            let _ = fs::remove_file(&tmp);
            std::os::unix::fs::symlink(&self.run_id, &tmp).map_err(Error::io("create link", &tmp))?;
            fs::rename(&tmp, &link).map_err(Error::io("update link", &link))?;
        }
        Ok(dest)
    }
}

/// Exclusive hold on a pipeline's run folder, released when dropped (or when the process
/// dies: it is an OS file lock, so a crash never leaves a stale lock behind).
#[derive(Debug)]
pub struct PipelineLock {
    _file: File,
}

impl PipelineLock {
    /// Takes the lock of `runs/<pipeline>/`; waits for it when `wait`, otherwise refuses.
    pub fn acquire(pipeline_dir: &Path, pipeline: &str, wait: bool) -> Result<Self, Error> {
        fs::create_dir_all(pipeline_dir).map_err(Error::io("create folder", pipeline_dir))?;
        let path = pipeline_dir.join(".lock");
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io("open lock", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) if wait => {
                file.lock().map_err(Error::io("lock", &path))?;
            }
            Err(TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let who = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
                return Err(Error::Busy(format!(
                    "another `nethical run` of pipeline `{pipeline}` is in progress{who}; it holds `{}`. Wait for it to finish, or pass --wait",
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", &path)(e)),
        }
        file.set_len(0).map_err(Error::io("write", &path))?;
        write!(file, "{}", std::process::id()).map_err(Error::io("write", &path))?;
        Ok(Self { _file: file })
    }
}
