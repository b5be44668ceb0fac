//! Why a Kaggle dataset could not be fetched, cached, extracted or chosen.
//!
//! No variant holds a credential key or a URL with a password in it: errors are printed, logged
//! and written to run records, so they must be safe to show.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why a Kaggle dataset could not be fetched, cached, extracted or chosen.
#[derive(Debug, Error)]
pub enum KaggleError {
    #[error("dataset slug `{slug}` is not `owner/dataset` with only letters, digits, `.`, `_` or `-` on each side")]
    InvalidSlug { slug: String },

    #[error("no Kaggle credentials found: {}", .looked.join("; "))]
    CredentialsMissing {
        /// What was tried, in order, and why each gave nothing.
        looked: Vec<String>,
    },

    #[error("Kaggle credentials are incomplete: {problem}")]
    CredentialsIncomplete { problem: String },

    #[error("read Kaggle credentials file `{}`", .path.display())]
    CredentialsFileRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The reason is built from the parser's position and category only: a parser message can
    /// quote the offending value, which may be the key.
    #[error("Kaggle credentials file `{}` is not `{{\"username\": \"...\", \"key\": \"...\"}}`: {reason}", .path.display())]
    CredentialsFileMalformed { path: PathBuf, reason: String },

    #[error("Kaggle API URL `{url}` carries credentials; give them as `KAGGLE_USERNAME`/`KAGGLE_KEY` instead")]
    BaseUrlWithCredentials {
        /// The URL with everything before `@` in its authority replaced by `***`.
        url: String,
    },

    #[error("Kaggle rejected the credentials for user `{username}` (HTTP {status})")]
    AuthRejected { username: String, status: u16 },

    #[error("Kaggle has no dataset `{slug}`, or it is not visible to user `{username}` (HTTP 404)")]
    NotFound { slug: String, username: String },

    #[error("`{url}` answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },

    #[error("reach `{url}` (offline, or the host is unreachable)")]
    Network {
        url: String,
        #[source]
        source: ureq::Error,
    },

    #[error("download `{url}`: it stopped after {received}{} bytes", expected_suffix(*.expected))]
    Truncated {
        url: String,
        received: u64,
        /// The `Content-Length` the server announced, if any.
        expected: Option<u64>,
        #[source]
        source: Option<io::Error>,
    },

    #[error("download `{url}`: it is larger than the limit of {limit} bytes")]
    DownloadTooLarge { url: String, limit: u64 },

    #[error("write `{}`", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("`{}` is not a zip archive nethical can read", .path.display())]
    NotAZip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    #[error("zip entry `{entry}` {reason}; nothing was extracted")]
    UnsafeEntry { entry: String, reason: &'static str },

    #[error("zip archive names the same file more than once, so its content is ambiguous")]
    DuplicateEntries,

    #[error("read zip entry `{entry}`")]
    ReadEntry {
        entry: String,
        #[source]
        source: io::Error,
    },

    #[error("zip archive unpacks to more than the limit of {limit} bytes")]
    UnpackedTooLarge { limit: u64 },

    #[error("zip archive has {entries} entries, more than the limit of {limit}")]
    TooManyEntries { entries: usize, limit: usize },

    #[error("`{digest}` is not a SHA-256 digest (64 lowercase hex digits)")]
    InvalidDigest { digest: String },

    #[error("the dataset archive holds no `.csv` file")]
    NoCsv,

    #[error("the dataset archive has no CSV `{wanted}`; it has {}", .available.join(", "))]
    CsvNotFound { wanted: String, available: Vec<String> },

    #[error("the dataset archive holds several CSVs; name one of {}", .available.join(", "))]
    SeveralCsv { available: Vec<String> },
}

fn expected_suffix(expected: Option<u64>) -> String {
    expected.map(|n| format!(" of {n}")).unwrap_or_default()
}
