//! The `kaggle` data source of the `load` stage: fetch (or find in the download cache) the
//! dataset's archive, pick its CSV, and say exactly which bytes were used.
//!
//! Which data a run used is never left to guess: `dataset.json` records the archive's SHA-256
//! and the CSV's, or, when the manifest allowed the synthetic fallback and Kaggle could not be
//! used, that the rows are synthetic and why. Results that depend on something outside the
//! cache key (an unpinned archive, a fallback) are marked volatile, so no later run reuses
//! them.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::{LoadStageError, StageError};
use crate::data::kaggle::{Credentials, Downloaded, KaggleClient, KaggleError};
use crate::manifest::params::KaggleSource;

/// The environment variable naming another Kaggle API root (a mirror, or a test server).
pub const KAGGLE_API_VAR: &str = "NETHICAL_KAGGLE_API";

/// Where and how `kaggle` sources download; one per run.
#[derive(Clone, Debug, Default)]
pub struct KaggleAccess {
    /// The API root; Kaggle's own when `None`.
    pub base_url: Option<String>,
    /// Credentials given on the command line (`train --kaggle-username/--kaggle-key`); when
    /// `None`, `KAGGLE_USERNAME`/`KAGGLE_KEY`, then `~/.kaggle/kaggle.json`.
    pub credentials: Option<Credentials>,
    /// The download cache (`<cache>/kaggle/`).
    pub dir: PathBuf,
}

impl KaggleAccess {
    /// The access a run gets from its process: the API root from [`KAGGLE_API_VAR`], downloads
    /// under `<cache_dir>/kaggle`.
    pub fn from_env(cache_dir: &std::path::Path, credentials: Option<Credentials>) -> Self {
        Self {
            base_url: std::env::var(KAGGLE_API_VAR).ok().filter(|v| !v.is_empty()),
            credentials,
            dir: cache_dir.join("kaggle"),
        }
    }

    fn client(&self) -> KaggleClient {
        self.base_url.as_deref().map_or_else(KaggleClient::default, KaggleClient::new)
    }

    fn credentials(&self) -> Result<Credentials, KaggleError> {
        if let Some(c) = &self.credentials {
            return Ok(c.clone());
        }
        let home = std::env::home_dir();
        Credentials::resolve(None, |name| std::env::var(name).ok(), home.as_deref())
    }
}

/// The CSV a `kaggle` source resolved to.
pub(super) struct KaggleCsv {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// `owner/name:file`, for error messages that point into the file.
    pub display: String,
    /// What `dataset.json` says about the source (without the CSV read report).
    pub description: Value,
    /// The archive's SHA-256 (also in `description`), for the summary line.
    pub archive_sha256: String,
    /// Set when the stage must run again next time (see [`crate::store::EntryMeta::volatile`]).
    pub volatile: Option<String>,
    /// What the user should know (a `kaggle.json` others can read).
    pub warnings: Vec<String>,
}

/// Whether `e` means "Kaggle could not be used here" (the case a fallback is for), rather than a
/// mistake the user must fix (a wrong key, a missing dataset, a pinned digest that differs, an
/// unsafe archive).
fn is_unavailable(e: &KaggleError) -> bool {
    match e {
        KaggleError::CredentialsMissing { .. } | KaggleError::Network { .. } | KaggleError::Truncated { .. } => true,
        KaggleError::HttpStatus { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

/// Fetches the archive: from the download cache when `sha256` is pinned and present there,
/// otherwise from Kaggle (then checked against the pin).
fn fetch(source: &KaggleSource, access: &KaggleAccess, warnings: &mut Vec<String>) -> Result<Downloaded, StageError> {
    let client = access.client();
    let kaggle = |e: KaggleError| StageError::Kaggle { dataset: source.dataset.clone(), source: e };
    if let Some(pin) = &source.sha256
        && let Some(cached) = client.open_cached(&access.dir, pin).map_err(kaggle)?
    {
        return Ok(cached);
    }
    let credentials = access.credentials().map_err(kaggle)?;
    warnings.extend(credentials.permission_warning());
    let got = client.download(&source.dataset, &credentials, &access.dir).map_err(kaggle)?;
    if let Some(pin) = &source.sha256
        && *pin != got.sha256
    {
        return Err(LoadStageError::KaggleChanged {
            dataset: source.dataset.clone(),
            found: got.sha256,
            pinned: pin.clone(),
        }
        .into());
    }
    Ok(got)
}

/// Resolves a `kaggle` source to a CSV, or to `Ok(None)` when Kaggle is unavailable and the
/// manifest asked for the synthetic fallback; `fallback_reason` then holds why.
pub(super) fn fetch_csv(
    source: &KaggleSource,
    access: &KaggleAccess,
    fallback_reason: &mut Option<String>,
) -> Result<Option<KaggleCsv>, StageError> {
    let mut warnings = Vec::new();
    let got = match fetch(source, access, &mut warnings) {
        Ok(got) => got,
        Err(StageError::Kaggle { source: e, .. }) if source.fallback.is_some() && is_unavailable(&e) => {
            *fallback_reason = Some(e.to_string());
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let wanted = (!source.csv.path.is_empty()).then_some(source.csv.path.as_str());
    let path = got.csv_path(wanted).map_err(|e| StageError::Kaggle { dataset: source.dataset.clone(), source: e })?;
    let bytes =
        std::fs::read(&path).map_err(|e| StageError::Io { what: format!("read `{}`", path.display()), source: e })?;
    let file = path.strip_prefix(&got.dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
    let volatile = source.sha256.is_none().then(|| {
        format!(
            "Kaggle dataset `{}` is not pinned, so it is downloaded again on every run \
             (pin it with `sha256 = \"{}\"`)",
            source.dataset, got.sha256
        )
    });
    let archive_sha256 = got.sha256.clone();
    let description = json!({
        "source": "kaggle",
        "dataset": source.dataset,
        "archive_sha256": archive_sha256,
        "archive_bytes": got.bytes,
        "pinned": source.sha256.is_some(),
        "file": file,
        "sha256": crate::store::sha256_hex(&bytes),
    });
    let display = format!("{}:{file}", source.dataset);
    Ok(Some(KaggleCsv { bytes, display, description, archive_sha256, volatile, warnings }))
}
