//! Placing a cached file into a run folder without copying its bytes: a reflink (a copy-on-
//! write clone, `FICLONE`) where the file system has them, else a hard link to the read-only
//! cache file, else a copy. Which ones to try, in order, is the user's (`--link`), as DVC's
//! `cache.type`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

/// One way of placing a cached file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMode {
    /// A copy-on-write clone: shares blocks, and an edit of either file changes only that one.
    Reflink,
    /// A second name for the cache file (made read-only): an edit through it would change the
    /// cache, which the digest check then finds.
    Hardlink,
    /// A copy of the bytes.
    Copy,
}

impl LinkMode {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Reflink => "reflink",
            Self::Hardlink => "hardlink",
            Self::Copy => "copy",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Reflink => 1,
            Self::Hardlink => 2,
            Self::Copy => 4,
        }
    }
}

/// The modes to try, in order, remembering which ones this file system refused so a run tries
/// each unsupported one once, not once per file.
#[derive(Debug)]
pub struct Linker {
    modes: Vec<LinkMode>,
    unsupported: AtomicU8,
}

impl Clone for Linker {
    fn clone(&self) -> Self {
        Self { modes: self.modes.clone(), unsupported: AtomicU8::new(self.unsupported.load(Ordering::Relaxed)) }
    }
}

impl Default for Linker {
    /// Reflink, else hard link, else copy.
    fn default() -> Self {
        Self::new(vec![LinkMode::Reflink, LinkMode::Hardlink, LinkMode::Copy])
    }
}

impl Linker {
    /// Tries `modes` in order (an empty list means copy).
    pub fn new(modes: Vec<LinkMode>) -> Self {
        let modes = if modes.is_empty() { vec![LinkMode::Copy] } else { modes };
        Self { modes, unsupported: AtomicU8::new(0) }
    }

    /// The modes, in order.
    pub fn modes(&self) -> &[LinkMode] {
        &self.modes
    }

    /// Places `src` (a cache file) at `dst`, which must not exist, with the first mode that
    /// works; returns it. `dst` appears whole or not at all.
    pub fn place(&self, src: &Path, dst: &Path) -> io::Result<LinkMode> {
        if let Some(dir) = dst.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut last = None;
        for &mode in &self.modes {
            if self.unsupported.load(Ordering::Relaxed) & mode.bit() != 0 {
                continue;
            }
            let result = match mode {
                LinkMode::Reflink => reflink(src, dst),
                LinkMode::Hardlink => hardlink(src, dst),
                LinkMode::Copy => copy(src, dst),
            };
            match result {
                Ok(()) => return Ok(mode),
                Err(e) if unsupported(&e) && mode != LinkMode::Copy => {
                    self.unsupported.fetch_or(mode.bit(), Ordering::Relaxed);
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::Unsupported, "no link mode of --link works on this file system")
        }))
    }
}

/// Errors that mean "this file system (or this pair of folders) cannot do that", not "this
/// file is a problem".
fn unsupported(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::Unsupported | io::ErrorKind::CrossesDevices | io::ErrorKind::PermissionDenied)
        || matches!(
            e.raw_os_error(),
            // EXDEV, EPERM, EINVAL, ENOTTY, EOPNOTSUPP, EMLINK (too many links to one inode)
            Some(18 | 1 | 22 | 25 | 95 | 31)
        )
}

/// A name for the partial file beside `dst`, renamed onto it when complete.
fn temp_beside(dst: &Path) -> std::path::PathBuf {
    let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dst.with_file_name(format!(".{name}.link-{}", std::process::id()))
}

#[cfg(target_os = "linux")]
fn reflink(src: &Path, dst: &Path) -> io::Result<()> {
    let from = fs::File::open(src)?;
    let tmp = temp_beside(dst);
    let result = (|| {
        let to = fs::File::create(&tmp)?;
        rustix::fs::ioctl_ficlone(&to, &from).map_err(io::Error::from)?;
        // The clone is the user's copy: writable as a copy would be.
        to.set_permissions(fs::Permissions::from_mode(0o644))?;
        hard_rename(&tmp, dst)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(not(target_os = "linux"))]
fn reflink(_src: &Path, _dst: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "reflinks are implemented on Linux only"))
}

/// A hard link: the cache file is made read-only first, so the new name is too.
fn hardlink(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::metadata(src)?;
    if meta.permissions().mode() & 0o222 != 0 {
        fs::set_permissions(src, fs::Permissions::from_mode(0o444))?;
    }
    // `link` fails if `dst` exists and creates it whole: no temporary name needed.
    fs::hard_link(src, dst)
}

fn copy(src: &Path, dst: &Path) -> io::Result<()> {
    let tmp = temp_beside(dst);
    let result = fs::copy(src, &tmp).and_then(|_| {
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        hard_rename(&tmp, dst)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Moves `tmp` onto `dst`, refusing to replace an existing `dst` (a link, then removing the
/// temporary name, so two publishers of one path cannot both win).
fn hard_rename(tmp: &Path, dst: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, dst) {
        Ok(()) => fs::remove_file(tmp),
        // A file system without hard links: a plain rename (the caller checked `dst` is free).
        Err(e) if unsupported(&e) && e.kind() != io::ErrorKind::AlreadyExists => fs::rename(tmp, dst),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn hardlink_shares_the_inode_and_makes_it_read_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("cache/a");
        fs::create_dir_all(src.parent().expect("p")).expect("mkdir");
        fs::write(&src, b"x").expect("write");
        let dst = dir.path().join("run/sub/a");
        let mode = Linker::new(vec![LinkMode::Hardlink]).place(&src, &dst).expect("place");
        assert_eq!(mode, LinkMode::Hardlink);
        let (a, b) = (fs::metadata(&src).expect("m"), fs::metadata(&dst).expect("m"));
        assert_eq!(a.ino(), b.ino());
        assert_eq!(a.permissions().mode() & 0o777, 0o444);
        assert!(Linker::default().place(&src, &dst).is_err(), "an existing file is never replaced");
    }

    #[test]
    fn copy_is_a_separate_writable_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("a");
        fs::write(&src, b"x").expect("write");
        let dst = dir.path().join("b");
        assert_eq!(Linker::new(vec![LinkMode::Copy]).place(&src, &dst).expect("place"), LinkMode::Copy);
        assert_ne!(fs::metadata(&src).expect("m").ino(), fs::metadata(&dst).expect("m").ino());
        assert_eq!(fs::read(&dst).expect("read"), b"x");
        let names: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(names.len(), 2, "no temporary file left");
    }

    #[test]
    fn falls_back_when_reflinks_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("a");
        fs::write(&src, b"x").expect("write");
        let linker = Linker::default();
        let mode = linker.place(&src, &dir.path().join("b")).expect("place");
        // ext4 and tmpfs have no reflinks; btrfs and XFS do.
        assert!(matches!(mode, LinkMode::Reflink | LinkMode::Hardlink), "{mode:?}");
        assert_eq!(fs::read(dir.path().join("b")).expect("read"), b"x");
    }
}
