//! `kaggle` sources through the binary, against a loopback server standing in for Kaggle's API
//! (`NETHICAL_KAGGLE_API`): the download and what the run records, a pinned archive used
//! offline, rejected credentials, a truncated download with and without the synthetic
//! fallback, an archive with `../` entries, and no credentials at all. In every case the key
//! must appear nowhere: not in the output, not in any file.

#[path = "../../src/data/kaggle/test_server.rs"]
#[allow(dead_code, reason = "the download unit tests use the rest")]
mod test_server;

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use test_server::{Reply, TestServer};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::common::{Run, Test, scrub};

const KEY: &str = "kaggle-key-7f3a9c0d11";
const PATH: &str = "/api/v1/datasets/download/owner/cancer";

fn manifest(extra: &str) -> String {
    format!(
        r#"[pipeline]
name = "kg"
seed = 3

[stages.data]
kind = "load"
source = {{ kaggle = {{ dataset = "owner/cancer"{extra}, csv = {{ label = "target" }} }} }}
split = {{ strategy = "stratified", train_ratio = 0.8 }}

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 5
cohort = "lr"
"#
    )
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in files {
        w.start_file(*name, SimpleFileOptions::default()).expect("start file");
        w.write_all(content).expect("write entry");
    }
    w.finish().expect("finish zip").into_inner()
}

/// The archive Kaggle "serves": the real Breast Cancer Wisconsin table as `data.csv`.
fn cancer_zip() -> Vec<u8> {
    let csv = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv")).expect("csv");
    zip_of(&[("data.csv", &csv), ("README.md", b"Breast Cancer Wisconsin (Diagnostic)")])
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A project whose process sees the server, a home folder without `kaggle.json` and, with
/// `login`, credentials in the environment.
fn project(api: &str, login: bool) -> Test {
    let t = Test::new();
    fs::create_dir_all(t.path().join("home")).expect("home");
    let home = t.path().join("home").to_string_lossy().into_owned();
    let t = t.env("NETHICAL_KAGGLE_API", api).env("HOME", &home);
    if login { t.env("KAGGLE_USERNAME", "alice").env("KAGGLE_KEY", KEY) } else { t }
}

/// Fails if the key, plain or inside a Basic header, is in the output or any file.
#[track_caller]
fn assert_key_nowhere(t: &Test, run: &Run) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("alice:{KEY}"));
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(KEY) && !text.contains(&encoded), "key in output:\n{text}");
    }
    let mut stack = vec![t.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_symlink() {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).expect("read");
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(KEY) && !text.contains(&encoded), "key in {}", path.display());
            }
        }
    }
}

fn dataset_json(t: &Test) -> serde_json::Value {
    t.read_json(&t.latest("kg").join("data/data/dataset.json"))
}

#[test]
fn downloads_the_dataset_and_records_which_bytes_were_used() {
    let zip = cancer_zip();
    let server = TestServer::start(vec![(PATH, Reply::Body(zip.clone()))], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.ok();
    let seen = server.finish();
    assert_eq!(seen.len(), 1, "one request");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{KEY}"));
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Basic {basic}").as_str()));

    let digest = sha(&zip);
    assert!(
        run.stdout.contains(&format!("569 rows of Kaggle owner/cancer:data.csv (archive sha256 {}…)", &digest[..12]))
    );
    let data = &dataset_json(&t)["data"];
    assert_eq!(data["source"], "kaggle");
    assert_eq!(data["dataset"], "owner/cancer");
    assert_eq!(data["archive_sha256"], digest.as_str());
    assert_eq!(data["file"], "data.csv");
    assert_eq!(data["pinned"], false);
    assert_eq!(data["rows_read"], 569);
    assert_key_nowhere(&t, &run);

    // Unpinned, the next run must ask Kaggle again: `plan` says so and gives the pin.
    let plan = t.run(&["plan", m.to_str().expect("utf-8")]);
    plan.ok();
    assert!(plan.stdout.contains("always runs: Kaggle dataset `owner/cancer` is not pinned"), "{}", plan.stdout);
    assert!(plan.stdout.contains(&format!("sha256 = \"{digest}\"")), "{}", plan.stdout);
}

#[test]
fn a_pinned_archive_is_used_offline_from_the_download_cache() {
    let zip = cancer_zip();
    let digest = sha(&zip);
    let server = TestServer::start(vec![(PATH, Reply::Body(zip))], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(&format!(", sha256 = \"{digest}\"")));
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    assert_eq!(server.finish().len(), 1);

    // Offline (nothing listens there) and without credentials, a forced rerun reads the
    // archive from the download cache and produces the same data.
    let before = fs::read(t.latest("kg").join("data/data/train.npy")).expect("train.npy");
    let run = t.run_with(
        &[("NETHICAL_KAGGLE_API", "http://127.0.0.1:9/api/v1"), ("KAGGLE_USERNAME", ""), ("KAGGLE_KEY", "")],
        &["run", "--force", m.to_str().expect("utf-8")],
    );
    run.ok();
    assert_eq!(fs::read(t.latest("kg").join("data/data/train.npy")).expect("train.npy"), before);
    assert_eq!(dataset_json(&t)["data"]["pinned"], true);
}

#[test]
fn an_archive_that_differs_from_the_pin_is_refused() {
    let zip = cancer_zip();
    let server = TestServer::start(vec![(PATH, Reply::Body(zip.clone()))], 1);
    let t = project(&server.api(), true);
    let pin = "0".repeat(64);
    let m = t.manifest("kg", &manifest(&format!(", sha256 = \"{pin}\"")));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.code(1);
    server.finish();
    assert!(
        run.stderr.contains(&format!("its archive has SHA-256 {} but the manifest pins {pin}", sha(&zip))),
        "{}",
        run.stderr
    );
}

#[test]
fn rejected_credentials_fail_even_with_a_fallback_and_never_show_the_key() {
    let server = TestServer::start(vec![(PATH, Reply::Status(401))], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(", fallback = \"synthetic\""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.code(1);
    server.finish();
    assert_key_nowhere(&t, &run);
    insta::assert_snapshot!("kaggle_rejected_credentials", scrub(&run.stderr));
}

#[test]
fn a_truncated_download_fails_or_falls_back_as_the_manifest_says() {
    let zip = cancer_zip();
    let short = Reply::ShortBody { claimed: zip.len(), body: zip[..zip.len() / 2].to_vec() };

    let server = TestServer::start(vec![(PATH, short.clone())], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.code(1);
    server.finish();
    assert!(run.stderr.contains("it stopped after"), "{}", run.stderr);
    assert!(fs::read_dir(t.path().join(".nethical/cache/kaggle")).expect("dir").next().is_none(), "nothing cached");

    let server = TestServer::start(vec![(PATH, short)], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(", fallback = \"synthetic\""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.ok();
    server.finish();
    assert!(run.stdout.contains("SYNTHETIC FALLBACK rows: Kaggle dataset owner/cancer unavailable"), "{}", run.stdout);
    let data = &dataset_json(&t)["data"];
    assert_eq!(data["source"], "synthetic");
    assert_eq!(data["fallback_for"], "owner/cancer");
    assert!(data["fallback_reason"].as_str().is_some_and(|r| r.contains("stopped after")));

    // The fallback is never reused: once Kaggle answers, the real data replaces it.
    let server = TestServer::start(vec![(PATH, Reply::Body(zip))], 1);
    let run = t.run_with(&[("NETHICAL_KAGGLE_API", &server.api())], &["run", m.to_str().expect("utf-8")]);
    run.ok();
    assert_eq!(server.finish().len(), 1);
    assert_eq!(dataset_json(&t)["data"]["source"], "kaggle");
}

#[test]
fn an_archive_with_parent_entries_is_refused_and_nothing_escapes() {
    let zip = zip_of(&[("zzzevil.csv", b"x,target\n1,0\n"), ("data.csv", b"x,target\n1,0\n2,1\n")]);
    let mut evil = zip.clone();
    for i in 0..=evil.len() - 11 {
        if &evil[i..i + 11] == b"zzzevil.csv" {
            evil[i..i + 11].copy_from_slice(b"../evil.csv");
        }
    }
    let server = TestServer::start(vec![(PATH, Reply::Body(evil))], 1);
    let t = project(&server.api(), true);
    let m = t.manifest("kg", &manifest(", fallback = \"synthetic\""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.code(1);
    server.finish();
    assert!(run.stderr.contains("zip entry `../evil.csv`"), "{}", run.stderr);
    for dir in [".nethical/cache", ".nethical", "."] {
        assert!(!t.path().join(dir).join("evil.csv").exists(), "escaped into {dir}");
    }
}

#[test]
fn without_credentials_the_error_says_where_it_looked() {
    let t = project("http://127.0.0.1:9/api/v1", false);
    let m = t.manifest("kg", &manifest(""));
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.code(1);
    assert!(run.stderr.contains("no Kaggle credentials found"), "{}", run.stderr);
    assert!(run.stderr.contains("KAGGLE_USERNAME and KAGGLE_KEY are not set"), "{}", run.stderr);
    assert!(run.stderr.contains(".kaggle/kaggle.json` does not exist"), "{}", run.stderr);
}

#[test]
fn train_downloads_the_kaggle_dataset_with_credentials_from_the_command_line() {
    let server = TestServer::start(vec![(PATH, Reply::Body(cancer_zip()))], 1);
    let t = project(&server.api(), false);
    let run = t.run(&[
        "train",
        "--model-type",
        "logistic",
        "--kaggle-dataset",
        "owner/cancer",
        "--kaggle-username",
        "alice",
        "--kaggle-key",
        KEY,
        "--epochs",
        "20",
        "--split-strategy",
        "stratified",
    ]);
    run.ok();
    assert_eq!(server.finish().len(), 1);
    assert!(run.stdout.contains("569 rows of Kaggle owner/cancer:data.csv"), "{}", run.stdout);
    assert_key_nowhere(&t, &run);

    let twice = t.run(&["train", "--model-type", "logistic", "--kaggle-dataset", "a/b", "--kaggle-dataset", "c/d"]);
    twice.code(2);
    assert!(twice.stderr.contains("train on one dataset per run"), "{}", twice.stderr);
}
