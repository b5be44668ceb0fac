//! The lockfile beside a manifest (`pipelines/multi_model.lock`), like `dvc.lock`.
//!
//! It records, for every instance that completed, the cache key it ran with, its resolved
//! parameters, its inputs' digests and its outputs' digests. It is TOML with one table per
//! instance in id order and no timestamps, so committing it lets a reviewer see in the diff
//! what changed, and `plan` explain why an instance reruns. If it ever conflicts in a merge,
//! delete it: the next run writes it again (the cache is keyed independently).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::StageKind;
use crate::store::write_durable;

/// The lockfile format version.
pub const LOCK_SCHEMA: u32 = 1;

/// One instance's recorded state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The stage kind.
    pub kind: StageKind,
    /// The cache key it ran with.
    pub key: String,
    /// Its seed.
    pub seed: u64,
    /// Its cohort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// Need stage → upstream instance → tree digest of that instance's outputs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, BTreeMap<String, String>>,
    /// External files read (path as written → SHA-256).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Output path → SHA-256.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// The versions of the code that computed it; absent in lockfiles written before they
    /// were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<super::CodeVersions>,
    /// The resolved parameters.
    pub params: toml::Table,
}

/// The whole lockfile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    /// Format version.
    pub schema: u32,
    /// The pipeline's name.
    pub pipeline: String,
    /// The nethical version that wrote it.
    pub tool_version: String,
    /// Instance id → recorded state.
    #[serde(default)]
    pub instances: BTreeMap<String, LockEntry>,
}

/// A lockfile that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// Unreadable.
    #[error("cannot read lockfile `{path}`")]
    Read {
        /// Its path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not a lockfile of this version.
    #[error("lockfile `{path}` is not valid: {message}")]
    Parse {
        /// Its path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Could not be written.
    #[error("cannot write lockfile `{path}`")]
    Write {
        /// Its path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The lockfile path of a manifest: same folder and stem, extension `.lock`.
pub fn lockfile_path(manifest: &Path) -> PathBuf {
    manifest.with_extension("lock")
}

impl Lockfile {
    /// An empty lockfile for a pipeline.
    pub fn new(pipeline: &str) -> Self {
        Self {
            schema: LOCK_SCHEMA,
            pipeline: pipeline.to_owned(),
            tool_version: crate::VERSION.to_owned(),
            instances: BTreeMap::new(),
        }
    }

    /// Reads a lockfile; `Ok(None)` when there is none yet.
    pub fn read(path: &Path) -> Result<Option<Self>, LockfileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LockfileError::Read { path: path.to_owned(), source }),
        };
        let lock: Lockfile = toml::from_str(&text)
            .map_err(|e| LockfileError::Parse { path: path.to_owned(), message: e.message().to_owned() })?;
        if lock.schema != LOCK_SCHEMA {
            return Err(LockfileError::Parse {
                path: path.to_owned(),
                message: format!("schema {} is not {LOCK_SCHEMA}", lock.schema),
            });
        }
        Ok(Some(lock))
    }

    /// Renders the lockfile text.
    pub fn render(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Written by nethical; records what each stage instance ran with and produced.\n# Commit it with the manifest. Delete it to forget the recorded state.\n{body}"
        )
    }

    /// Writes it atomically.
    pub fn write(&self, path: &Path) -> Result<(), LockfileError> {
        write_durable(path, self.render().as_bytes())
            .map_err(|source| LockfileError::Write { path: path.to_owned(), source })
    }
}
