//! Extracting a downloaded archive into its cache folder without trusting it: no entry may land
//! outside the folder, no symlink is created, and the unpacked size is capped.
//!
//! Extraction happens in a temporary sibling folder; the completion marker is written last and
//! the folder is then renamed into place, so `<sha256>/` either does not exist or is complete.
//! Any refused entry fails the whole archive: a dataset with one hostile path is not one to
//! half-trust.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use zip::ZipArchive;
use zip::read::ZipReadOptions;

use super::KaggleError;
use super::temp_path::TempPath;

/// The file whose presence says an extraction folder is complete. It holds the archive digest.
pub(super) const MARKER: &str = ".nethical-extracted";

/// Caps that keep a hostile or broken archive from filling the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ExtractLimits {
    /// Total bytes written for all entries, counted as they are written (declared sizes can lie).
    pub max_unpacked_bytes: u64,
    /// Number of entries, directories included.
    pub max_entries: usize,
}

/// Whether `dir` is a complete extraction.
pub(super) fn is_complete(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Extracts `archive` (whose digest is `sha256`) into `final_dir`, which must not be complete
/// yet. Nothing is left behind on error.
pub(super) fn extract_into(
    archive: &Path,
    final_dir: &Path,
    sha256: &str,
    limits: ExtractLimits,
) -> Result<(), KaggleError> {
    let parent = final_dir.parent().unwrap_or(Path::new("."));
    let staging = TempPath::new_in(parent, "extract");
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| KaggleError::Write { path, source }
    };
    fs::create_dir(staging.path()).map_err(write_err(staging.path()))?;
    extract_entries(archive, staging.path(), limits)?;
    crate::store::write_durable(&staging.path().join(MARKER), format!("{sha256}\n").as_bytes())
        .map_err(write_err(&staging.path().join(MARKER)))?;

    match fs::rename(staging.path(), final_dir) {
        Ok(()) => {
            staging.commit();
            Ok(())
        }
        // Another process finished the same archive first; ours is dropped with `staging`.
        Err(_) if is_complete(final_dir) => Ok(()),
        // Left over without a marker, which only a hand edit can do: replace it.
        Err(_) if final_dir.exists() => {
            fs::remove_dir_all(final_dir).map_err(write_err(final_dir))?;
            fs::rename(staging.path(), final_dir).map_err(write_err(final_dir))?;
            staging.commit();
            Ok(())
        }
        Err(source) => Err(KaggleError::Write { path: final_dir.to_owned(), source }),
    }
}

fn extract_entries(archive: &Path, target: &Path, limits: ExtractLimits) -> Result<(), KaggleError> {
    let file = File::open(archive).map_err(|source| KaggleError::Read { path: archive.to_owned(), source })?;
    let not_a_zip = |source| KaggleError::NotAZip { path: archive.to_owned(), source };
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(not_a_zip)?;
    if zip.len() > limits.max_entries {
        return Err(KaggleError::TooManyEntries { entries: zip.len(), limit: limits.max_entries });
    }
    // Two entries with one name, or local headers that disagree with the central directory,
    // make tools disagree on the content: a classic way to slip data past a review.
    if zip.has_duplicate_names() {
        return Err(KaggleError::DuplicateEntries);
    }
    let strict = ZipReadOptions::new().enforce_header_consistency(true);
    let mut written = 0u64;
    for index in 0..zip.len() {
        let mut entry = zip.by_index_with_options(index, strict.clone()).map_err(not_a_zip)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let refuse = |reason| KaggleError::UnsafeEntry { entry: name.clone(), reason };
        if entry.is_symlink() {
            return Err(refuse("is a symbolic link"));
        }
        // `enclosed_name` turns `/etc/x` into `etc/x`; an archive that says `/` means a path
        // outside any folder, so it is refused rather than reinterpreted.
        if name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':') {
            return Err(refuse("has an absolute path"));
        }
        let relative =
            entry.enclosed_name().ok_or_else(|| refuse("has a path that leads outside the target folder"))?;
        if relative.as_os_str().is_empty() {
            if entry.is_dir() {
                continue;
            }
            return Err(refuse("has an empty path"));
        }
        if relative == Path::new(MARKER) {
            return Err(refuse("has the name of nethical's completion marker"));
        }
        let out = target.join(&relative);
        let write_err = |source| KaggleError::Write { path: out.clone(), source };
        if entry.is_dir() {
            fs::create_dir_all(&out).map_err(write_err)?;
            continue;
        }
        if written.saturating_add(entry.size()) > limits.max_unpacked_bytes {
            return Err(KaggleError::UnpackedTooLarge { limit: limits.max_unpacked_bytes });
        }
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent).map_err(write_err)?;
        }
        let mut file = File::create_new(&out).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                refuse("appears more than once")
            } else {
                write_err(source)
            }
        })?;
        written = copy_capped(&mut entry, &mut file, written, limits.max_unpacked_bytes, &name, &out)?;
    }
    Ok(())
}

/// Copies one entry, adding to `written` and failing once it passes `limit`: the sizes in the
/// archive's directory are not trusted.
fn copy_capped(
    entry: &mut impl Read,
    out: &mut File,
    mut written: u64,
    limit: u64,
    name: &str,
    out_path: &Path,
) -> Result<u64, KaggleError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(written),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(KaggleError::ReadEntry { entry: name.to_owned(), source }),
        };
        written = written.saturating_add(n as u64);
        if written > limit {
            return Err(KaggleError::UnpackedTooLarge { limit });
        }
        out.write_all(&buf[..n]).map_err(|source| KaggleError::Write { path: out_path.to_owned(), source })?;
    }
}

/// The `.csv` files under `dir` (any case of the extension), relative to it and sorted, so the
/// list and any choice made from it do not depend on the file system's order.
pub(super) fn list_csv(dir: &Path) -> Result<Vec<PathBuf>, KaggleError> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let here = dir.join(&relative);
        let read_err = |source| KaggleError::Read { path: here.clone(), source };
        for item in fs::read_dir(&here).map_err(read_err)? {
            let item = item.map_err(read_err)?;
            let kind = item.file_type().map_err(read_err)?;
            let path = relative.join(item.file_name());
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
pub(super) mod tests {
    use std::io::Cursor;

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    /// A zip built in memory with these `(name, content)` files.
    pub(in super::super) fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            w.start_file(*name, SimpleFileOptions::default()).expect("start file");
            w.write_all(content).expect("write entry");
        }
        w.finish().expect("finish zip").into_inner()
    }

    const LIMITS: ExtractLimits = ExtractLimits { max_unpacked_bytes: 1 << 20, max_entries: 100 };

    /// Extracts `bytes` as archive `<cache>/a.zip` into `<cache>/a/`; returns the temp root
    /// (`<root>/cache/...`) and the result.
    fn extract(bytes: &[u8], limits: ExtractLimits) -> (tempfile::TempDir, Result<(), KaggleError>) {
        let root = tempfile::tempdir().expect("tempdir");
        let cache = root.path().join("cache");
        fs::create_dir(&cache).expect("mkdir");
        fs::write(cache.join("a.zip"), bytes).expect("write zip");
        let result = extract_into(&cache.join("a.zip"), &cache.join("a"), "a", limits);
        (root, result)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn extracts_nested_files_and_marks_completion() {
        let bytes = zip_bytes(&[("b.CSV", b"1"), ("dir/a.csv", b"2"), ("dir/readme.txt", b"3")]);
        let (root, result) = extract(&bytes, LIMITS);
        result.expect("extract");
        let dir = root.path().join("cache/a");
        assert!(is_complete(&dir));
        assert_eq!(fs::read(dir.join("dir/a.csv")).expect("read"), b"2");
        assert_eq!(list_csv(&dir).expect("list"), [PathBuf::from("b.CSV"), PathBuf::from("dir/a.csv")]);
        assert_eq!(names(&root.path().join("cache")), ["a", "a.zip"]);
    }

    #[test]
    fn refuses_hostile_paths_and_writes_nothing() {
        for (name, reason) in [
            ("../evil.csv", "has a path that leads outside the target folder"),
            ("ok/../../evil.csv", "has a path that leads outside the target folder"),
            ("/tmp/evil.csv", "has an absolute path"),
            ("C:/evil.csv", "has an absolute path"),
            (MARKER, "has the name of nethical's completion marker"),
        ] {
            let bytes = zip_bytes(&[("good.csv", b"1"), (name, b"2")]);
            let (root, result) = extract(&bytes, LIMITS);
            let err = result.expect_err(name);
            assert_eq!(err.to_string(), format!("zip entry `{name}` {reason}; nothing was extracted"));
            assert_eq!(names(root.path()), ["cache"], "{name}");
            assert_eq!(names(&root.path().join("cache")), ["a.zip"], "{name}");
        }
    }

    #[test]
    fn refuses_symlinks() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.add_symlink("link.csv", "/etc/passwd", SimpleFileOptions::default()).expect("symlink");
        let bytes = w.finish().expect("finish").into_inner();
        let (root, result) = extract(&bytes, LIMITS);
        let err = result.expect_err("symlink");
        assert_eq!(err.to_string(), "zip entry `link.csv` is a symbolic link; nothing was extracted");
        assert_eq!(names(&root.path().join("cache")), ["a.zip"]);
    }

    #[test]
    fn refuses_duplicate_entries() {
        // The writer refuses duplicates, so the second name is patched in the bytes.
        let bytes = rename_entries(&zip_bytes(&[("a.csv", b"1"), ("b.csv", b"2")]), b"b.csv", b"a.csv");
        let (root, result) = extract(&bytes, LIMITS);
        let err = result.expect_err("duplicate");
        assert_eq!(err.to_string(), "zip archive names the same file more than once, so its content is ambiguous");
        assert_eq!(names(&root.path().join("cache")), ["a.zip"]);

        // Different names for one path get past the archive's own check, not past extraction.
        let bytes = rename_entries(&zip_bytes(&[("b.csv", b"1"), ("xxxxxb.csv", b"2")]), b"xxxxxb.csv", b"x/../b.csv");
        let (_root, result) = extract(&bytes, LIMITS);
        let err = result.expect_err("same path");
        assert_eq!(err.to_string(), "zip entry `x/../b.csv` appears more than once; nothing was extracted");
    }

    /// Replaces every occurrence of the entry name `from` by `to` (same length) in a zip's
    /// bytes: local headers and central directory alike, so the archive stays readable.
    pub(in super::super) fn rename_entries(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len(), "names must have the same length");
        let mut out = bytes.to_vec();
        for i in 0..=out.len().saturating_sub(from.len()) {
            if &out[i..i + from.len()] == from {
                out[i..i + from.len()].copy_from_slice(to);
            }
        }
        out
    }

    #[test]
    fn caps_the_unpacked_size_and_the_entry_count() {
        let bytes = zip_bytes(&[("a.csv", &[b'x'; 600]), ("b.csv", &[b'y'; 600])]);
        let (root, result) = extract(&bytes, ExtractLimits { max_unpacked_bytes: 1000, ..LIMITS });
        let err = result.expect_err("too large");
        assert_eq!(err.to_string(), "zip archive unpacks to more than the limit of 1000 bytes");
        assert_eq!(names(&root.path().join("cache")), ["a.zip"]);

        let (_root, result) = extract(&bytes, ExtractLimits { max_entries: 1, ..LIMITS });
        assert_eq!(result.expect_err("too many").to_string(), "zip archive has 2 entries, more than the limit of 1");
    }

    #[test]
    fn not_a_zip() {
        let (_root, result) = extract(b"<html>please log in</html>", LIMITS);
        let err = result.expect_err("html");
        assert!(matches!(err, KaggleError::NotAZip { .. }), "{err:?}");
        assert!(err.to_string().ends_with("a.zip` is not a zip archive nethical can read"), "{err}");
    }
}
