//! Reading a user's data file as it comes: a plain CSV, a gzip-compressed one (`.csv.gz`), or
//! a zip archive holding one CSV (`data.zip`, or `data.zip!inner.csv` to pick an entry).
//!
//! Only regular files are read. A FIFO would block the reader (and `plan`) forever, and a
//! device such as `/dev/zero` would be read until memory ran out, so both are refused before
//! anything is opened. Decompressed bytes are capped, counted as they are produced (a
//! compressed file's declared size can lie), so a decompression bomb is an error, not an
//! exhausted machine.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The most bytes a compressed data file may expand to.
pub const MAX_DECOMPRESSED_BYTES: u64 = 8 << 30;

/// A data path as written: the file on disk and, for a zip archive, the entry inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPath<'a> {
    /// The file on disk (relative to the manifest's folder as written).
    pub file: &'a str,
    /// `inner.csv` of `archive.zip!inner.csv`.
    pub entry: Option<&'a str>,
}

impl<'a> DataPath<'a> {
    /// Splits `archive.zip!inner.csv` at its `!`; any other path is a file.
    pub fn parse(written: &'a str) -> Self {
        match written.rsplit_once('!') {
            Some((file, entry)) if file.to_ascii_lowercase().ends_with(".zip") && !entry.is_empty() => {
                Self { file, entry: Some(entry) }
            }
            _ => Self { file: written, entry: None },
        }
    }
}

/// Why a data file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DataFileError {
    #[error("data file `{}` does not exist", path.display())]
    NotFound { path: PathBuf },

    #[error("data file `{}` is {what}, not a regular file", path.display())]
    NotRegular { path: PathBuf, what: &'static str },

    #[error("read data file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("data file `{}` expands to more than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },

    #[error("read zip archive `{}`: {reason}", path.display())]
    Zip { path: PathBuf, reason: String },

    #[error("stopped reading data file `{}`: the run was interrupted", path.display())]
    Cancelled { path: PathBuf },
}

/// Checks that `path` names a regular file (following symlinks), without opening it.
pub fn check_regular_file(path: &Path) -> Result<u64, DataFileError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => DataFileError::NotFound { path: path.to_owned() },
        _ => DataFileError::Read { path: path.to_owned(), source },
    })?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a file"
        }
    };
    Err(DataFileError::NotRegular { path: path.to_owned(), what })
}

/// What was read: the CSV bytes, the SHA-256 of the file on disk, and the archive entry read.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// The CSV text's bytes (decompressed).
    pub bytes: Vec<u8>,
    /// SHA-256 (hex) of the file as stored (compressed, for an archive).
    pub sha256: String,
    /// The zip entry the CSV came from.
    pub entry: Option<String>,
    /// `gzip` or `zip` when the file was compressed.
    pub compression: Option<&'static str>,
}

/// The path that names standard input.
pub const STDIN: &str = "-";

/// What errors call standard input: a file named `-` would read as a typo in the manifest.
pub const STDIN_NAME: &str = "<stdin>";

/// The name errors give the data file `written` (as in the manifest).
pub fn display_name(written: &str) -> &str {
    if written == STDIN { STDIN_NAME } else { written }
}

/// Standard input, read once per process: every instance of a stage that reads `-` (its folds,
/// its matrix) sees the same bytes.
fn stdin_bytes() -> Result<&'static [u8], DataFileError> {
    static BYTES: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    let got = BYTES.get_or_init(|| {
        let stdin = std::io::stdin().lock();
        let path = Path::new(STDIN_NAME);
        read_capped(stdin, path).map_err(|e| e.to_string())
    });
    match got {
        Ok(bytes) => Ok(bytes),
        Err(message) => {
            Err(DataFileError::Read { path: PathBuf::from(STDIN_NAME), source: std::io::Error::other(message.clone()) })
        }
    }
}

/// Reads the data file `written` (as in the manifest) resolved against `base`; `-` reads
/// standard input (uncompressed CSV).
pub fn read_data_file(base: &Path, written: &str) -> Result<DataFile, DataFileError> {
    read_data_file_until(base, written, &AtomicBool::new(false))
}

/// [`read_data_file`], stopping with [`DataFileError::Cancelled`] soon after `cancel` is set:
/// a run's first Ctrl-C stops a load reading a file of many gigabytes within one block, not
/// after the whole file.
pub fn read_data_file_until(base: &Path, written: &str, cancel: &AtomicBool) -> Result<DataFile, DataFileError> {
    if written == STDIN {
        let bytes = stdin_bytes()?.to_vec();
        let sha256 = crate::store::sha256_hex(&bytes);
        return Ok(DataFile { bytes, sha256, entry: None, compression: None });
    }
    let data_path = DataPath::parse(written);
    let path = base.join(data_path.file);
    check_regular_file(&path)?;
    let (raw, sha256) = read_hashed(&path, cancel)?;
    let lower = data_path.file.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        let (entry, bytes) = read_zip_entry(&path, &raw, data_path.entry, cancel)?;
        return Ok(DataFile { bytes, sha256, entry: Some(entry), compression: Some("zip") });
    }
    if lower.ends_with(".gz") {
        let decoder = flate2::read::MultiGzDecoder::new(raw.as_slice());
        let bytes = read_capped_until(decoder, &path, cancel)?;
        return Ok(DataFile { bytes, sha256, entry: None, compression: Some("gzip") });
    }
    Ok(DataFile { bytes: raw, sha256, entry: None, compression: None })
}

/// Bytes read between two looks at the cancel flag: a few milliseconds of disk or
/// decompression.
const BLOCK: usize = 8 << 20;

/// The file's bytes and their SHA-256, hashed block by block as they are read.
fn read_hashed(path: &Path, cancel: &AtomicBool) -> Result<(Vec<u8>, String), DataFileError> {
    use sha2::Digest as _;
    let read_err = |source| DataFileError::Read { path: path.to_owned(), source };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut hasher = sha2::Sha256::new();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(DataFileError::Cancelled { path: path.to_owned() });
        }
        let start = bytes.len();
        let got = (&mut file).take(BLOCK as u64).read_to_end(&mut bytes).map_err(read_err)?;
        if got == 0 {
            break;
        }
        hasher.update(&bytes[start..]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

fn read_capped(reader: impl Read, path: &Path) -> Result<Vec<u8>, DataFileError> {
    read_capped_until(reader, path, &AtomicBool::new(false))
}

/// Everything `reader` gives, at most [`MAX_DECOMPRESSED_BYTES`], looking at `cancel` between
/// blocks.
fn read_capped_until(reader: impl Read, path: &Path, cancel: &AtomicBool) -> Result<Vec<u8>, DataFileError> {
    let mut bytes = Vec::new();
    let mut reader = reader.take(MAX_DECOMPRESSED_BYTES + 1);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(DataFileError::Cancelled { path: path.to_owned() });
        }
        let got = (&mut reader)
            .take(BLOCK as u64)
            .read_to_end(&mut bytes)
            .map_err(|source| DataFileError::Read { path: path.to_owned(), source })?;
        if got == 0 {
            break;
        }
    }
    if bytes.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(DataFileError::TooLarge { path: path.to_owned(), limit: MAX_DECOMPRESSED_BYTES });
    }
    Ok(bytes)
}

/// The named entry, or the archive's one `.csv` entry.
fn read_zip_entry(
    path: &Path,
    raw: &[u8],
    wanted: Option<&str>,
    cancel: &AtomicBool,
) -> Result<(String, Vec<u8>), DataFileError> {
    let zip_err = |reason: String| DataFileError::Zip { path: path.to_owned(), reason };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(raw)).map_err(|e| zip_err(e.to_string()))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()
        .map_err(|e| zip_err(e.to_string()))?;
    let name = match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .cloned()
            .ok_or_else(|| zip_err(format!("it has no entry `{w}`; its entries are {}", names.join(", "))))?,
        None => {
            let mut csvs = names.iter().filter(|n| n.to_ascii_lowercase().ends_with(".csv"));
            match (csvs.next(), csvs.next()) {
                (Some(one), None) => one.clone(),
                (None, _) => return Err(zip_err(format!("it holds no .csv entry (entries: {})", names.join(", ")))),
                (Some(_), Some(_)) => {
                    return Err(zip_err(format!(
                        "it holds several .csv entries; name one as `archive.zip!entry.csv` ({})",
                        names
                            .iter()
                            .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
    };
    let entry = archive.by_name(&name).map_err(|e| zip_err(e.to_string()))?;
    let bytes = read_capped_until(entry, path, cancel)?;
    Ok((name, bytes))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn splits_an_archive_entry_only_after_a_zip() {
        assert_eq!(DataPath::parse("a.zip!b.csv"), DataPath { file: "a.zip", entry: Some("b.csv") });
        assert_eq!(DataPath::parse("odd!name.csv"), DataPath { file: "odd!name.csv", entry: None });
        assert_eq!(DataPath::parse("a.ZIP"), DataPath { file: "a.ZIP", entry: None });
    }

    #[test]
    fn reads_gzip_and_zip_and_refuses_what_is_not_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = b"a,label\n1,0\n2,1\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(csv).expect("gzip");
        std::fs::write(dir.path().join("d.csv.gz"), gz.finish().expect("gzip")).expect("write");
        let got = read_data_file(dir.path(), "d.csv.gz").expect("gzip reads");
        assert_eq!((got.bytes.as_slice(), got.compression), (csv.as_slice(), Some("gzip")));

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for name in ["README.txt", "inner.csv"] {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("zip");
            zip.write_all(csv).expect("zip");
        }
        let bytes = zip.finish().expect("zip").into_inner();
        std::fs::write(dir.path().join("d.zip"), &bytes).expect("write");
        let got = read_data_file(dir.path(), "d.zip").expect("one csv entry");
        assert_eq!((got.entry.as_deref(), got.bytes.as_slice()), (Some("inner.csv"), csv.as_slice()));
        let got = read_data_file(dir.path(), "d.zip!README.txt").expect("named entry");
        assert_eq!(got.entry.as_deref(), Some("README.txt"));
        let e = read_data_file(dir.path(), "d.zip!nope.csv").expect_err("no such entry");
        assert!(e.to_string().contains("it has no entry `nope.csv`"), "{e}");

        let e = read_data_file(dir.path(), "missing.csv").expect_err("missing");
        assert!(matches!(e, DataFileError::NotFound { .. }), "{e}");
        let e = read_data_file(dir.path(), ".").expect_err("a directory");
        assert!(e.to_string().ends_with("is a directory, not a regular file"), "{e}");
        let e = read_data_file(Path::new("/"), "dev/zero").expect_err("a device");
        assert!(e.to_string().ends_with("is a device, not a regular file"), "{e}");
    }

    /// Zeros without end, setting `cancel` once `after` bytes were read: a file far larger
    /// than the time a user waits for it.
    struct Endless<'a> {
        read: usize,
        after: usize,
        cancel: &'a AtomicBool,
    }

    impl Read for Endless<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(0);
            self.read += buf.len();
            if self.read >= self.after {
                self.cancel.store(true, Ordering::Relaxed);
            }
            Ok(buf.len())
        }
    }

    #[test]
    fn a_read_stops_within_a_block_of_ctrl_c() {
        let cancel = AtomicBool::new(false);
        let endless = Endless { read: 0, after: 3 * BLOCK, cancel: &cancel };
        let e = read_capped_until(endless, Path::new("big.csv.gz"), &cancel).expect_err("stopped");
        assert!(matches!(e, DataFileError::Cancelled { .. }), "{e}");
        assert_eq!(e.to_string(), "stopped reading data file `big.csv.gz`: the run was interrupted");

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("d.csv"), b"a,label\n1,0\n").expect("write");
        let set = AtomicBool::new(true);
        let e = read_data_file_until(dir.path(), "d.csv", &set).expect_err("stopped");
        assert!(matches!(e, DataFileError::Cancelled { .. }), "{e}");
        let got = read_data_file_until(dir.path(), "d.csv", &cancel_not_set()).expect("reads");
        assert_eq!(got.sha256, crate::store::sha256_hex(b"a,label\n1,0\n"), "hashed block by block, same digest");
    }

    fn cancel_not_set() -> AtomicBool {
        AtomicBool::new(false)
    }
}
