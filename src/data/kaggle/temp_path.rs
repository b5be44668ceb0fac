//! A temporary file or folder inside the cache that removes itself unless it was committed, so
//! a failed or interrupted download or extraction leaves nothing a later run could mistake for
//! a cache entry.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A path in the cache folder, removed (file or folder) on drop unless [`TempPath::commit`] was
/// called. The name starts with `.` and holds the process id and a counter, so concurrent runs
/// and threads never share one, and it never looks like a `<sha256>` entry.
pub(super) struct TempPath {
    path: PathBuf,
    committed: bool,
}

impl TempPath {
    /// A fresh, not yet created path in `dir`, named after `what` (`download`, `extract`).
    pub(super) fn new_in(dir: &Path, what: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Self { path: dir.join(format!(".{what}-{}-{n}.tmp", std::process::id())), committed: false }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the path: it has been renamed into place (or should stay for another reason).
    pub(super) fn commit(mut self) {
        self.committed = true;
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Best effort: the path may not exist yet, or may already be gone after a rename.
        match fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.is_dir() => {
                let _ = fs::remove_dir_all(&self.path);
            }
            Ok(_) => {
                let _ = fs::remove_file(&self.path);
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_files_and_folders_unless_committed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TempPath::new_in(dir.path(), "download");
        fs::write(file.path(), b"partial").expect("write");
        let folder = TempPath::new_in(dir.path(), "extract");
        fs::create_dir_all(folder.path().join("a/b")).expect("mkdir");
        fs::write(folder.path().join("a/b/c.csv"), b"x").expect("write");
        drop(file);
        drop(folder);
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 0);

        let kept = TempPath::new_in(dir.path(), "download");
        fs::write(kept.path(), b"whole").expect("write");
        let path = kept.path().to_owned();
        kept.commit();
        assert!(path.is_file());
    }
}
