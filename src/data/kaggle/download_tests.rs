//! [`KaggleClient::download`] against a loopback server: success and cache reuse, rejected
//! credentials, a truncated body, a zip-slip archive, redirects, and no server at all.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::safe_extract::tests::{rename_entries, zip_bytes};
use super::test_server::{Reply, TestServer};
use super::{Credentials, KaggleClient, KaggleError};

const KEY: &str = "kaggle-key-7f3a9c0d11";
const PATH: &str = "/api/v1/datasets/download/owner/data-set";
const SLUG: &str = "owner/data-set";

fn credentials() -> Credentials {
    Credentials::new("alice", KEY)
}

fn expected_authorization() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("alice:{KEY}")))
}

fn client(api: String) -> KaggleClient {
    KaggleClient::new(api).with_read_timeout(Duration::from_secs(5)).with_env_proxy(false)
}

fn two_csvs() -> Vec<u8> {
    zip_bytes(&[("train.csv", b"x,label\n1,0\n"), ("nested/test.csv", b"x,label\n2,1\n"), ("README.md", b"hi")])
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Asserts that neither the message nor the `Debug` form carries the key, plain or encoded.
fn assert_no_key(err: &KaggleError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY) && !shown.contains(&expected_authorization()[6..]), "{shown}");
}

#[test]
fn downloads_extracts_and_reuses_the_cache() {
    let zip = two_csvs();
    let server = TestServer::start(vec![(PATH, Reply::Body(zip.clone()))], 2);
    let root = tempfile::tempdir().expect("tempdir");
    let cache = root.path().join("cache");
    let client = client(server.api());

    let first = client.download(SLUG, &credentials(), &cache).expect("download");
    let sha = hex::encode(Sha256::digest(&zip));
    assert_eq!((first.sha256.as_str(), first.bytes, first.reused), (sha.as_str(), zip.len() as u64, false));
    assert_eq!(first.archive, cache.join(format!("{sha}.zip")));
    assert_eq!(fs::read(&first.archive).expect("archive"), zip);
    assert_eq!(first.csv_files, [PathBuf::from("nested/test.csv"), PathBuf::from("train.csv")]);
    let train = first.csv_path(Some("train.csv")).expect("named");
    assert_eq!(fs::read_to_string(train).expect("read"), "x,label\n1,0\n");
    assert_eq!(fs::read_to_string(first.dir.join("nested/test.csv")).expect("read"), "x,label\n2,1\n");
    assert!(matches!(first.csv_path(None), Err(KaggleError::SeveralCsv { .. })));

    let second = client.download(SLUG, &credentials(), &cache).expect("download again");
    assert!(second.reused);
    assert_eq!((second.sha256.as_str(), &second.csv_files), (sha.as_str(), &first.csv_files));
    assert_eq!(names(&cache), [sha.clone(), format!("{sha}.zip")]);

    let seen = server.finish();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.target, PATH);
        assert_eq!(request.authorization.as_deref(), Some(expected_authorization().as_str()));
    }

    // Offline, by the pinned digest.
    let cached = client.open_cached(&cache, &sha).expect("open").expect("cached");
    assert!(cached.reused);
    assert_eq!(cached, second);
    assert_eq!(client.open_cached(&cache, &"0".repeat(64)).expect("open"), None);
    assert!(matches!(client.open_cached(&cache, "../x"), Err(KaggleError::InvalidDigest { .. })));
}

#[test]
fn open_cached_extracts_a_verified_archive_and_drops_a_corrupt_one() {
    let root = tempfile::tempdir().expect("tempdir");
    let zip = two_csvs();
    let sha = hex::encode(Sha256::digest(&zip));
    fs::write(root.path().join(format!("{sha}.zip")), &zip).expect("write");
    let client = KaggleClient::default();
    let got = client.open_cached(root.path(), &sha).expect("open").expect("cached");
    assert!(!got.reused);
    assert_eq!(got.csv_files.len(), 2);

    let other = "f".repeat(64);
    fs::write(root.path().join(format!("{other}.zip")), &zip).expect("write");
    assert_eq!(client.open_cached(root.path(), &other).expect("open"), None);
    assert!(!root.path().join(format!("{other}.zip")).exists());
}

#[test]
fn rejected_credentials_name_the_user_and_never_the_key() {
    for status in [401, 403] {
        let server = TestServer::start(vec![(PATH, Reply::Status(status))], 1);
        let cache = tempfile::tempdir().expect("tempdir");
        let err = client(server.api()).download(SLUG, &credentials(), cache.path()).expect_err("rejected");
        assert_eq!(err.to_string(), format!("Kaggle rejected the credentials for user `alice` (HTTP {status})"));
        assert_no_key(&err);
        assert!(names(cache.path()).is_empty());
        assert_eq!(server.finish()[0].authorization.as_deref(), Some(expected_authorization().as_str()));
    }
}

#[test]
fn unknown_dataset_and_other_statuses() {
    let server = TestServer::start(vec![("/api/v1/datasets/download/owner/boom", Reply::Status(500))], 2);
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client(server.api());
    let err = client.download("owner/missing", &credentials(), cache.path()).expect_err("404");
    assert_eq!(
        err.to_string(),
        "Kaggle has no dataset `owner/missing`, or it is not visible to user `alice` (HTTP 404)"
    );
    let err = client.download("owner/boom", &credentials(), cache.path()).expect_err("500");
    assert_eq!(err.to_string(), format!("`{}/datasets/download/owner/boom` answered HTTP 500", server.api()));
    assert_no_key(&err);
    server.finish();
}

#[test]
fn a_truncated_download_leaves_nothing_in_the_cache() {
    let zip = two_csvs();
    let claimed = zip.len() + 100;
    let server = TestServer::start(vec![(PATH, Reply::ShortBody { claimed, body: zip.clone() })], 1);
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(server.api()).download(SLUG, &credentials(), cache.path()).expect_err("truncated");
    let KaggleError::Truncated { received, expected, .. } = &err else { panic!("not truncated: {err:?}") };
    assert_eq!((*received, *expected), (zip.len() as u64, Some(claimed as u64)));
    assert_eq!(
        err.to_string(),
        format!("download `{}{PATH}`: it stopped after {} of {claimed} bytes", server.origin(), zip.len())
    );
    assert_no_key(&err);
    assert!(names(cache.path()).is_empty(), "{:?}", names(cache.path()));
    server.finish();
}

#[test]
fn a_zip_slip_archive_writes_nothing_outside_and_is_not_cached() {
    // `x/evil.csv` becomes `../evil.csv` in the bytes, as a hostile archive would have it.
    let zip = rename_entries(&zip_bytes(&[("good.csv", b"1"), ("xx/evil.csv", b"2")]), b"xx/evil.csv", b"../evil.csv");
    let server = TestServer::start(vec![(PATH, Reply::Body(zip))], 1);
    let root = tempfile::tempdir().expect("tempdir");
    let cache = root.path().join("cache");
    let err = client(server.api()).download(SLUG, &credentials(), &cache).expect_err("unsafe");
    assert_eq!(
        err.to_string(),
        "zip entry `../evil.csv` has a path that leads outside the target folder; nothing was extracted"
    );
    assert_eq!(names(root.path()), ["cache"]);
    assert!(names(&cache).is_empty(), "{:?}", names(&cache));
    server.finish();
}

#[test]
fn redirects_are_followed_without_the_credentials() {
    let zip = two_csvs();
    let routes =
        vec![(PATH, Reply::Redirect("/storage/blob.zip?sig=abc".into())), ("/storage/blob.zip", Reply::Body(zip))];
    let server = TestServer::start(routes, 2);
    let cache = tempfile::tempdir().expect("tempdir");
    let got = client(server.api()).download(SLUG, &credentials(), cache.path()).expect("download");
    assert_eq!(got.csv_files.len(), 2);
    let seen = server.finish();
    assert_eq!(seen.iter().map(|s| s.target.as_str()).collect::<Vec<_>>(), [PATH, "/storage/blob.zip?sig=abc"]);
    assert!(seen[0].authorization.is_some());
    assert_eq!(seen[1].authorization, None, "the key must not reach storage");
}

#[test]
fn a_storage_refusal_after_a_redirect_is_not_a_credentials_error_and_hides_the_signature() {
    let routes =
        vec![(PATH, Reply::Redirect("/storage/blob.zip?sig=s3cret".into())), ("/storage/blob.zip", Reply::Status(403))];
    let server = TestServer::start(routes, 2);
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(server.api()).download(SLUG, &credentials(), cache.path()).expect_err("403");
    assert_eq!(err.to_string(), format!("`{}/storage/blob.zip` answered HTTP 403", server.origin()));
    server.finish();
}

#[test]
fn offline_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let api = format!("http://127.0.0.1:{port}/api/v1");
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(api.clone()).download(SLUG, &credentials(), cache.path()).expect_err("offline");
    assert!(matches!(err, KaggleError::Network { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("reach `{api}/datasets/download/owner/data-set` (offline, or the host is unreachable)")
    );
    assert_no_key(&err);
}

#[test]
fn bad_slugs_and_urls_with_credentials_fail_before_any_request() {
    // Nothing listens there: reaching the network would be a `Network` error instead.
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(format!("http://127.0.0.1:{port}")).download("owner/../x", &credentials(), cache.path());
    assert!(matches!(err, Err(KaggleError::InvalidSlug { .. })), "{err:?}");
    let err = client(format!("http://bob:pw@127.0.0.1:{port}/api/v1"))
        .download(SLUG, &credentials(), cache.path())
        .expect_err("userinfo");
    assert_eq!(
        err.to_string(),
        format!(
            "Kaggle API URL `http://***@127.0.0.1:{port}/api/v1` carries credentials; give them as \
             `KAGGLE_USERNAME`/`KAGGLE_KEY` instead"
        )
    );
}

#[test]
fn the_download_cap_applies_before_writing() {
    let server = TestServer::start(vec![(PATH, Reply::Body(two_csvs()))], 1);
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(server.api()).with_max_download_bytes(10).download(SLUG, &credentials(), cache.path());
    assert!(matches!(err, Err(KaggleError::DownloadTooLarge { limit: 10, .. })), "{err:?}");
    assert!(names(cache.path()).is_empty());
    server.finish();
}
