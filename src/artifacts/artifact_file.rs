//! What every artifact type shares: its file name, its format version, and the checked read.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ArtifactError;

/// A JSON artifact with a `format_version`, read back through its type.
pub trait ArtifactFile: Serialize + DeserializeOwned {
    /// Its name in the writing instance's folder, e.g. `metrics.json`.
    const FILE_NAME: &'static str;
    /// The format this build writes and reads.
    const FORMAT: u32;

    /// The file's `format_version`.
    fn format_version(&self) -> u32;

    /// Reads a file's bytes and refuses another format; `what` names the file in the error.
    fn from_bytes(bytes: &[u8], what: &str) -> Result<Self, ArtifactError> {
        let file: Self = serde_json::from_slice(bytes)
            .map_err(|error| ArtifactError::Unreadable { what: what.to_owned(), error })?;
        if file.format_version() != Self::FORMAT {
            return Err(ArtifactError::Format {
                what: what.to_owned(),
                found: file.format_version(),
                reads: Self::FORMAT,
            });
        }
        Ok(file)
    }
}

/// An artifact's bytes: pretty JSON and a final newline, as every stage writes its files.
pub fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}
