//! The stat index, `run --verify`, `cache verify` and how run folders share the cache's files.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::cache::{make_writable, walk};
use crate::common::{SMALL, Test};

/// Lets the files just written age past the index's "racily clean" margin (100 ms), as any
/// real pause between two runs does.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(150));
}

fn statuses(t: &Test, args: &[&str]) -> Vec<(String, String)> {
    let r = t.run(args);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let key = if v.get("stages").is_some() { "stages" } else { "instances" };
    v[key]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or_default().to_owned(), s["status"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn all(list: &[(String, String)], status: &str) -> bool {
    list.iter().all(|(_, s)| s == status)
}

/// The one cached file whose path ends with `suffix`.
fn cached(t: &Test, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> =
        walk(&t.path().join(".nethical/cache")).into_iter().filter(|p| p.ends_with(suffix)).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

/// Rewrites a byte in place and sets the modification time back: a change only hashing sees.
fn tamper_keeping_stat(path: &Path) {
    let meta = fs::metadata(path).expect("meta");
    make_writable(path);
    let mut bytes = fs::read(path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(path, &bytes).expect("write");
    let f = fs::File::options().write(true).open(path).expect("open");
    f.set_modified(meta.modified().expect("mtime")).expect("set mtime");
    assert_eq!(fs::metadata(path).expect("meta").ino(), meta.ino());
}

/// Keys (64 hex digits) vary with the tool version.
fn scrub_keys(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() && c.is_ascii_lowercase() || c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "[KEY]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() == 64 { "[KEY]" } else { &run });
    out
}

#[test]
fn no_op_run_trusts_the_stat_index_and_verify_hashes_everything() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    settle();
    // The second run hashes the files the first one wrote (their stat was too fresh to trust)
    // and records them.
    t.run(&["run", m]).ok();
    assert!(t.path().join(".nethical/cache/stat-index.json").is_file());
    let npy = cached(&t, "data/train.npy");
    tamper_keeping_stat(&npy);
    // Neither `plan` nor a run read the file: the damage goes unseen, which is what proves it.
    assert!(all(&statuses(&t, &["plan", "--json", m]), "cached"));
    assert!(all(&statuses(&t, &["run", "--json", m]), "cached"));

    let r = t.run(&["cache", "verify"]);
    r.code(1);
    insta::assert_snapshot!("cache_verify_damaged", scrub_keys(&r.stdout));

    let verified = statuses(&t, &["run", "--verify", "--json", m]);
    let ran: Vec<&str> = verified.iter().filter(|(_, s)| s == "ran").map(|(i, _)| i.as_str()).collect();
    // The data is computed again, byte-identical, so nothing downstream changes.
    assert_eq!(ran, ["data"]);
    let r = t.run(&["cache", "verify"]);
    r.ok();
    assert!(r.stdout.starts_with("cache `.nethical/cache`: ok: 5 entries ("), "{}", r.stdout);
}

#[test]
fn a_touched_file_is_hashed_and_accepted() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    settle();
    t.run(&["run", m]).ok();
    let npy = cached(&t, "data/train.npy");
    let f = fs::File::options().write(true).open(&npy).or_else(|_| {
        make_writable(&npy);
        fs::File::options().write(true).open(&npy)
    });
    f.expect("open").set_modified(std::time::SystemTime::now()).expect("touch");
    assert!(all(&statuses(&t, &["plan", "--json", m]), "cached"));
    assert!(all(&statuses(&t, &["run", "--json", m]), "cached"));
}

#[test]
fn published_files_are_hard_links_that_cannot_change_the_cache_unnoticed() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "--link", "hardlink", m]).ok();
    let published = t.latest("small").join("cohorts/lr_0.1/metrics.json");
    let cache_file = cached(&t, "cohorts/lr_0.1/metrics.json");
    let (a, b) = (fs::metadata(&published).expect("meta"), fs::metadata(&cache_file).expect("meta"));
    assert_eq!(a.ino(), b.ino(), "a hard link, not a copy");
    assert_eq!(a.mode() & 0o777, 0o444, "read-only");
    let original = fs::read(&published).expect("read");

    // A user who forces an edit through the link changes the cache's inode: the next run sees
    // it and computes the instance again; the earlier run keeps the user's edit.
    make_writable(&published);
    fs::write(&published, b"{\"edited\": true}").expect("edit");
    let plan = t.run(&["plan", m]);
    plan.ok();
    assert!(plan.stdout.contains("cached output changed: cohorts/lr_0.1/metrics.json edited"), "{}", plan.stdout);
    let again = statuses(&t, &["run", "--json", "--link", "hardlink", m]);
    let ran: Vec<&str> = again.iter().filter(|(_, s)| s == "ran").map(|(i, _)| i.as_str()).collect();
    assert_eq!(ran, ["train[learning_rate=0.1]"]);
    assert_eq!(fs::read(t.latest("small").join("cohorts/lr_0.1/metrics.json")).expect("read"), original);
    assert_eq!(fs::read(&published).expect("read"), b"{\"edited\": true}");
    t.run(&["cache", "verify"]).ok();
}

#[test]
fn copies_are_independent_of_the_cache() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "--link", "copy", m]).ok();
    let published = t.latest("small").join("cohorts/lr_0.1/metrics.json");
    let cache_file = cached(&t, "cohorts/lr_0.1/metrics.json");
    assert_ne!(fs::metadata(&published).expect("m").ino(), fs::metadata(&cache_file).expect("m").ino());
    fs::write(&published, b"{}").expect("a copy is the user's");
    assert!(all(&statuses(&t, &["plan", "--json", m]), "cached"));
}

#[test]
fn a_no_op_run_adds_only_its_own_small_files() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    t.run(&["run", m]).ok();
    let run = t.latest("small");
    let mut own = 0u64;
    let mut linked = 0usize;
    for f in walk(&run) {
        let meta = fs::symlink_metadata(&f).expect("meta");
        if meta.nlink() > 1 {
            linked += 1;
        } else {
            own += meta.len();
        }
    }
    assert!(linked >= 10, "artifacts are links into the cache ({linked})");
    assert!(own <= 64 * 1024, "a no-op run wrote {own} bytes of its own");
}

/// The shipped `multi_model` (report and audit stages included) at 2,000 rows: a no-op run's
/// report views are the earlier run's bytes, linked from the cache, so it still adds only
/// `run.json` and `manifest.resolved.toml` (the views alone are over 64 KB).
#[test]
fn a_no_op_run_of_multi_model_links_its_report_views() {
    let t = Test::new();
    let manifest = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/multi_model.toml"))
        .expect("pipelines/multi_model.toml")
        .replace("num_samples = 10000", "num_samples = 2000");
    let m = t.manifest("multi_model", &manifest);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let first = t.latest("multi_model");
    t.run(&["run", m]).ok();
    let run = t.latest("multi_model");
    assert_ne!(run, first);
    let mut own = Vec::new();
    for f in walk(&run) {
        let meta = fs::symlink_metadata(&f).expect("meta");
        if meta.nlink() == 1 {
            own.push((f.strip_prefix(&run).expect("inside").to_string_lossy().into_owned(), meta.len()));
        }
    }
    own.sort();
    let names: Vec<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["manifest.resolved.toml", "run.json"], "only the run's own records are its own");
    let bytes: u64 = own.iter().map(|(_, n)| n).sum();
    assert!(bytes <= 64 * 1024, "a no-op run wrote {bytes} bytes of its own");
    for view in ["report/comparison.html", "report/comparison.md"] {
        let (a, b) = (fs::metadata(first.join(view)).expect("view"), fs::metadata(run.join(view)).expect("view"));
        assert_eq!(a.ino(), b.ino(), "{view} is the first run's file");
        assert!(b.permissions().readonly(), "{view} is read-only like every cached file");
    }
    // gc keeps the views' cache entries while a kept run links them (no instance names them):
    // the next no-op run links the same files again.
    let html = fs::metadata(run.join("report/comparison.html")).expect("view").ino();
    t.run(&["gc", "--keep-last", "1"]).ok();
    assert!(!first.exists(), "gc removed the older run");
    t.run(&["run", m]).ok();
    let again = t.latest("multi_model");
    assert_eq!(fs::metadata(again.join("report/comparison.html")).expect("view").ino(), html);

    // `nethical report` renders the views again in place without touching the cache's copy.
    let cached = fs::read(run.join("report/comparison.md")).expect("md");
    t.run(&["report", again.join("report/comparison.json").to_str().expect("utf-8")]).ok();
    assert_eq!(fs::read(run.join("report/comparison.md")).expect("md"), cached);
}

#[test]
fn link_takes_a_list_and_refuses_unknown_modes() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    let r = t.run(&["run", "--link", "symlink", m]);
    r.code(2);
    assert!(r.stderr.contains("invalid value 'symlink' for '--link <MODES>'"), "{}", r.stderr);
    t.run_with(&[("NETHICAL_LINK", "copy")], &["run", m]).ok();
    let published = t.latest("small").join("cohorts/lr_0.1/metrics.json");
    assert_eq!(fs::metadata(&published).expect("m").nlink(), 1, "NETHICAL_LINK=copy copies");
}
