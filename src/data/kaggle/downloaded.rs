//! What a download (or a cache lookup) produced: the archive's identity and its CSV files.

use std::path::PathBuf;

use super::{KaggleError, pick_csv};

/// A dataset archive in the cache and its extracted content.
///
/// The digest is the run's answer to "which data did you use": equal digests are equal bytes,
/// whatever the slug or the day of the download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    /// Hex SHA-256 of the archive as served.
    pub sha256: String,
    /// Size of the archive in bytes.
    pub bytes: u64,
    /// `<cache>/<sha256>.zip`.
    pub archive: PathBuf,
    /// `<cache>/<sha256>/`, the extracted content.
    pub dir: PathBuf,
    /// The `.csv` files under `dir`, relative to it, sorted.
    pub csv_files: Vec<PathBuf>,
    /// Whether `dir` was already complete, so nothing was extracted this time.
    pub reused: bool,
}

impl Downloaded {
    /// The full path of the CSV to read, chosen as [`pick_csv`] does.
    pub fn csv_path(&self, wanted: Option<&str>) -> Result<PathBuf, KaggleError> {
        Ok(self.dir.join(pick_csv(&self.csv_files, wanted)?))
    }
}
