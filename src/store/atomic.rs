//! Atomic file writes: a reader sees the old file or the whole new one, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so an
/// interrupted or crashed process never leaves a half-written file under the final name.
///
/// It does not `fsync`: artifacts are many, and a power loss that empties one is caught later
/// by its digest. The files that commit a state (`run.json`, the lockfile, a cache entry's
/// `entry.json`) use [`write_durable`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, false, |f| f.write_all(bytes))
}

/// [`write_atomic`], with the data on disk (`fsync`) before the rename makes it visible.
pub fn write_durable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, true, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by a writer callback (large files);
/// `durable` chooses whether to `fsync` before the rename.
pub fn write_atomic_with(
    path: &Path,
    durable: bool,
    write: impl FnOnce(&mut io::BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut w = io::BufWriter::new(File::create(&tmp)?);
        write(&mut w)?;
        let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a/b.json");
        write_atomic(&p, b"one").expect("write");
        write_durable(&p, b"two").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        let names: Vec<_> =
            fs::read_dir(dir.path().join("a")).expect("dir").map(|e| e.expect("e").file_name()).collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn failed_writer_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x");
        write_atomic(&p, b"old").expect("write");
        let err = write_atomic_with(&p, true, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&p).expect("read"), b"old");
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
