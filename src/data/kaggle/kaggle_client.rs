//! The client for Kaggle's public dataset API: one authenticated GET per dataset, streamed to
//! a content-addressed cache and extracted there.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::ResponseExt as _;
use ureq::config::RedirectAuthHeaders;
use ureq::http::{HeaderValue, Uri, header};

use super::safe_extract::{self, ExtractLimits};
use super::temp_path::TempPath;
use super::{Credentials, DatasetSlug, Downloaded, KaggleError};

/// Kaggle's API root; callers may point a client elsewhere (a mirror, a test server).
pub const DEFAULT_BASE_URL: &str = "https://www.kaggle.com/api/v1";
/// Default cap on the archive's size as downloaded: 10 GiB.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 10 << 30;
/// Default cap on the total size of the extracted files: 10 GiB, against zip bombs.
pub const DEFAULT_MAX_UNPACKED_BYTES: u64 = 10 << 30;
/// Cap on archive entries: far above real datasets, far below what exhausts inodes.
const MAX_ENTRIES: usize = 100_000;
/// How long connecting may take before the host counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default longest silence while waiting for data; a stalled server fails instead of hanging.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
const BUFFER_BYTES: usize = 64 * 1024;

/// Downloads Kaggle datasets into a cache folder.
///
/// ```no_run
/// use std::path::Path;
/// use nethical::data::kaggle::{Credentials, KaggleClient};
///
/// let home = std::env::home_dir();
/// let credentials = Credentials::resolve(None, |name| std::env::var(name).ok(), home.as_deref())?;
/// let got = KaggleClient::default().download("owner/dataset", &credentials, Path::new("cache/kaggle"))?;
/// println!("read {} (archive sha256 {})", got.csv_path(None)?.display(), got.sha256);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct KaggleClient {
    base_url: String,
    max_download_bytes: u64,
    limits: ExtractLimits,
    read_timeout: Duration,
    env_proxy: bool,
}

impl Default for KaggleClient {
    fn default() -> Self {
        Self::new(DEFAULT_BASE_URL)
    }
}

impl KaggleClient {
    /// A client for the API at `base_url` (without a trailing `/datasets/...`), with the
    /// default limits.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            limits: ExtractLimits { max_unpacked_bytes: DEFAULT_MAX_UNPACKED_BYTES, max_entries: MAX_ENTRIES },
            read_timeout: DEFAULT_READ_TIMEOUT,
            env_proxy: true,
        }
    }

    /// The API root requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Caps the archive's size as downloaded.
    pub fn with_max_download_bytes(mut self, bytes: u64) -> Self {
        self.max_download_bytes = bytes;
        self
    }

    /// Caps the total size of the extracted files.
    pub fn with_max_unpacked_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_unpacked_bytes = bytes;
        self
    }

    /// Sets the longest wait for the next bytes of a response.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Whether `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` apply (they do by default, as for
    /// other tools). Tests against a loopback server turn them off.
    pub fn with_env_proxy(mut self, use_env_proxy: bool) -> Self {
        self.env_proxy = use_env_proxy;
        self
    }

    /// Downloads dataset `slug` (`owner/dataset`) into the cache folder `cache_dir` and
    /// extracts it; see [`Downloaded`].
    ///
    /// The slug is checked before any request. The archive is streamed to a temporary file
    /// while being hashed, checked against `Content-Length`, then renamed to
    /// `<sha256>.zip`; a failed or short download leaves nothing in the cache. When
    /// `<sha256>/` is already complete the extraction is skipped (`reused`). An archive that
    /// fails extraction (not a zip, an unsafe entry, over a limit) is removed again, so the
    /// cache only ever holds archives that extracted cleanly. A body cut short without a
    /// `Content-Length` cannot be told from a whole one here; it fails as [`KaggleError::NotAZip`],
    /// since a zip's directory is at its end. `cache_dir` should be Kaggle's alone: temporary
    /// `.download-*`/`.extract-*` entries appear in it while work is in progress.
    pub fn download(&self, slug: &str, credentials: &Credentials, cache_dir: &Path) -> Result<Downloaded, KaggleError> {
        let slug = DatasetSlug::parse(slug)?;
        let base = self.base_url.trim_end_matches('/');
        if has_userinfo(base) {
            return Err(KaggleError::BaseUrlWithCredentials { url: redact_userinfo(base) });
        }
        let url = format!("{base}/datasets/download/{}/{}", slug.owner(), slug.dataset());
        let mut authorization = HeaderValue::from_str(&credentials.basic_authorization()).map_err(|_| {
            KaggleError::CredentialsIncomplete { problem: "the user name cannot be sent in an HTTP header".to_owned() }
        })?;
        authorization.set_sensitive(true);
        fs::create_dir_all(cache_dir).map_err(|source| KaggleError::Write { path: cache_dir.to_owned(), source })?;

        let mut response = self
            .agent()
            .get(&url)
            .header(header::AUTHORIZATION, authorization)
            .call()
            .map_err(|source| KaggleError::Network { url: url.clone(), source })?;

        let status = response.status().as_u16();
        // After a redirect the status is storage's, not Kaggle's verdict on the credentials.
        let redirected = response.get_uri().to_string() != url;
        match status {
            200..=299 => {}
            401 | 403 if !redirected => {
                return Err(KaggleError::AuthRejected { username: credentials.username().to_owned(), status });
            }
            404 if !redirected => {
                return Err(KaggleError::NotFound {
                    slug: slug.to_string(),
                    username: credentials.username().to_owned(),
                });
            }
            _ => return Err(KaggleError::HttpStatus { url: shown_uri(response.get_uri()), status }),
        }

        let expected = response.body().content_length();
        if expected.is_some_and(|n| n > self.max_download_bytes) {
            return Err(KaggleError::DownloadTooLarge { url, limit: self.max_download_bytes });
        }
        let part = TempPath::new_in(cache_dir, "download");
        let (sha256, bytes) = self.stream_to(&mut response.body_mut().as_reader(), part.path(), &url, expected)?;
        let archive = cache_dir.join(format!("{sha256}.zip"));
        fs::rename(part.path(), &archive).map_err(|source| KaggleError::Write { path: archive.clone(), source })?;
        part.commit();
        self.extracted(cache_dir, sha256, bytes)
    }

    /// The cached dataset whose archive has digest `sha256`, if `cache_dir` holds it; for runs
    /// that pinned a digest and may be offline. An archive that is present but not yet
    /// extracted is checked against its name before extraction, and removed if it does not
    /// match (`Ok(None)`: the cache did not hold it after all).
    pub fn open_cached(&self, cache_dir: &Path, sha256: &str) -> Result<Option<Downloaded>, KaggleError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(KaggleError::InvalidDigest { digest: sha256.to_owned() });
        }
        let archive = cache_dir.join(format!("{sha256}.zip"));
        let bytes = match fs::metadata(&archive) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KaggleError::Read { path: archive, source }),
        };
        if !safe_extract::is_complete(&cache_dir.join(sha256)) && hash_file(&archive)? != sha256 {
            let _ = fs::remove_file(&archive);
            return Ok(None);
        }
        self.extracted(cache_dir, sha256.to_owned(), bytes).map(Some)
    }

    fn agent(&self) -> ureq::Agent {
        let mut config = ureq::Agent::config_builder()
            // Statuses are mapped to typed errors below, not read as transport failures.
            .http_status_as_error(false)
            // The API answers with a redirect to a signed storage URL; the key must not follow.
            .redirect_auth_headers(RedirectAuthHeaders::Never)
            .max_redirects(5)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(self.read_timeout))
            .timeout_per_read(Some(self.read_timeout))
            .user_agent(format!("nethical/{}", crate::VERSION));
        if !self.env_proxy {
            config = config.proxy(None);
        }
        config.build().into()
    }

    /// Copies `body` to a new file at `path`, hashing and counting; returns the hex SHA-256 and
    /// the byte count.
    fn stream_to(
        &self,
        body: &mut impl Read,
        path: &Path,
        url: &str,
        expected: Option<u64>,
    ) -> Result<(String, u64), KaggleError> {
        let write_err = |source| KaggleError::Write { path: path.to_owned(), source };
        let mut file = File::create_new(path).map_err(write_err)?;
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut buf = vec![0u8; BUFFER_BYTES];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ureq fails the read when the connection closes before `Content-Length`.
                Err(source) => {
                    return Err(KaggleError::Truncated {
                        url: url.to_owned(),
                        received,
                        expected,
                        source: Some(source),
                    });
                }
            };
            received += n as u64;
            if received > self.max_download_bytes {
                return Err(KaggleError::DownloadTooLarge { url: url.to_owned(), limit: self.max_download_bytes });
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(write_err)?;
        }
        if expected.is_some_and(|n| n != received) {
            return Err(KaggleError::Truncated { url: url.to_owned(), received, expected, source: None });
        }
        // The archive becomes a cache entry by the rename that follows: make it whole first.
        file.sync_all().map_err(write_err)?;
        Ok((hex::encode(hasher.finalize()), received))
    }

    /// Makes sure `<cache>/<sha256>/` is extracted from `<cache>/<sha256>.zip` and lists it.
    fn extracted(&self, cache_dir: &Path, sha256: String, bytes: u64) -> Result<Downloaded, KaggleError> {
        let archive = cache_dir.join(format!("{sha256}.zip"));
        let dir = cache_dir.join(&sha256);
        let reused = safe_extract::is_complete(&dir);
        if !reused && let Err(e) = safe_extract::extract_into(&archive, &dir, &sha256, self.limits) {
            let _ = fs::remove_file(&archive);
            return Err(e);
        }
        let csv_files = safe_extract::list_csv(&dir)?;
        Ok(Downloaded { sha256, bytes, archive, dir, csv_files, reused })
    }
}

fn hash_file(path: &Path) -> Result<String, KaggleError> {
    let read_err = |source| KaggleError::Read { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUFFER_BYTES];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(hex::encode(hasher.finalize())),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => return Err(read_err(source)),
        }
    }
}

/// The part of `url` between `://` and the path.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

fn has_userinfo(url: &str) -> bool {
    authority(url).contains('@')
}

/// `url` with any `user:password@` replaced by `***@`, safe to show.
fn redact_userinfo(url: &str) -> String {
    let auth = authority(url);
    match auth.rsplit_once('@') {
        Some((userinfo, _)) => url.replacen(userinfo, "***", 1),
        None => url.to_owned(),
    }
}

/// Scheme, host, port and path of a (storage) URI: its query holds the signature.
fn shown_uri(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    let host = uri.host().unwrap_or("");
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{}", uri.path())
}
