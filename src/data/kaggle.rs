//! Kaggle datasets as a data source: credentials, the download through Kaggle's public dataset
//! API, the content-addressed cache of archives, safe extraction, and the choice of one CSV.
//!
//! The module knows nothing of manifests; the `load` stage calls it and reads the chosen file
//! as `csv`. A dataset is fetched with [`KaggleClient::download`] into a cache folder:
//!
//! ```text
//! <cache>/<sha256>.zip    the archive exactly as served, named by its SHA-256
//! <cache>/<sha256>/       its extracted content; complete once it holds the marker file
//! ```
//!
//! The archive's digest is only known after the download, so every download goes to the
//! network; what the cache saves is the extraction, and [`KaggleClient::open_cached`] lets a
//! caller that pinned a digest run offline. The key never leaves [`Credentials`] except as the
//! `Authorization` header of the one request to the API: it is not in any error, `Debug`
//! output or file, and it is not forwarded when the API redirects to storage.

mod credentials;
mod dataset_slug;
#[cfg(test)]
mod download_tests;
mod downloaded;
mod kaggle_client;
mod kaggle_error;
mod pick_csv;
mod safe_extract;
mod temp_path;
#[cfg(test)]
mod test_server;

pub use credentials::{CredentialSource, Credentials};
pub use dataset_slug::DatasetSlug;
pub use downloaded::Downloaded;
pub use kaggle_client::{DEFAULT_BASE_URL, DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_MAX_UNPACKED_BYTES, KaggleClient};
pub use kaggle_error::KaggleError;
pub use pick_csv::pick_csv;
