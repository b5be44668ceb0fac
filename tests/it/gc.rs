//! `nethical gc`: what it keeps, what it removes, and the audit log after it.

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{SMALL, Test};

/// [`SMALL`] with an audit stage.
fn audited() -> String {
    format!("{SMALL}\n[stages.audit]\nkind = \"audit\"\nneeds = [\"gate\"]\n")
}

fn name(p: &Path) -> String {
    p.file_name().expect("name").to_string_lossy().into_owned()
}

fn cache_entries(t: &Test) -> usize {
    let root = t.path().join(".nethical/cache");
    fs::read_dir(&root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_name().len() == 2)
                .map(|e| fs::read_dir(e.path()).map(Iterator::count).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn gc_keeps_latest_and_named_runs_and_audit_verify_passes_after_it() {
    let t = Test::new();
    let m = t.manifest("small", &audited());
    let m = m.to_str().expect("utf-8");
    // Forced: each run computes and seals its own events, so each is in the log.
    for _ in 0..4 {
        t.run(&["run", "--force", m]).ok();
    }
    let runs = t.run_dirs("small");
    assert_eq!(runs.len(), 4);
    let first = name(&runs[0]);

    let dry = t.run(&["gc", "--keep-last", "1", "--keep", &first, "--dry-run", "--json"]);
    dry.ok();
    let v: serde_json::Value = serde_json::from_str(&dry.stdout).expect("json");
    let listed: Vec<String> = v["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| name(Path::new(r["path"].as_str().expect("path"))))
        .collect();
    assert_eq!(listed, [name(&runs[1]), name(&runs[2])]);
    assert!(v["runs"][0]["bytes"].as_u64().expect("bytes") > 0);
    assert_eq!(v["cache_entries"].as_array().expect("entries").len(), 0, "every entry is used by a kept run");
    assert_eq!(t.run_dirs("small").len(), 4, "--dry-run removes nothing");

    let r = t.run(&["gc", "--keep-last", "1", "--keep", &first]);
    r.ok();
    assert!(r.stdout.contains("removed run runs/small/"), "{}", r.stdout);
    assert!(r.stdout.contains("beyond --keep-last 1"), "{}", r.stdout);
    assert!(r.stdout.lines().last().is_some_and(|l| l.starts_with("gc: 2 runs, 0 leftovers, 0 cache entries; freed ")));
    assert_eq!(t.run_dirs("small"), [runs[0].clone(), runs[3].clone()]);
    assert_eq!(t.latest("small"), fs::canonicalize(&runs[3]).expect("canonical"));
    for gone in &runs[1..3] {
        assert!(t.path().join("runs/small/.gc").join(format!("{}.json", name(gone))).is_file());
    }
    assert!(t.path().join("runs/small/audit/events.jsonl").is_file(), "the log stays");

    let v = t.run(&["audit", "verify", "runs/small"]);
    v.ok();
    let all = format!("{}{}", v.stdout, v.stderr);
    assert_eq!(
        all.matches("run folder removed by gc at 2023-11-14T22:13:20Z (beyond --keep-last 1)").count(),
        2,
        "{all}"
    );
    // What remains is whole: a run reuses every entry.
    let again = t.run(&["run", "--json", m]);
    again.ok();
    assert!(!again.stdout.contains("\"status\": \"ran\",\n      \"reason\": \"new\""));
}

#[test]
fn gc_removes_entries_only_old_runs_used_and_honours_older_than() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m, "--set", "stages.train.epochs=6"]).ok();
    let with_six = cache_entries(&t);
    t.run(&["run", m]).ok();
    assert_eq!(cache_entries(&t), with_six + 4, "the other epochs make 2 trains and 2 gates");

    // Both runs started at the test clock: 29 days later neither is older than 30 days.
    let later = (1_700_000_000 + 29 * 86_400).to_string();
    let r = t.run_with(&[("SOURCE_DATE_EPOCH", &later)], &["gc", "--older-than", "30d", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["runs"].as_array().expect("runs").len(), 0);

    let later = (1_700_000_000 + 31 * 86_400).to_string();
    let r = t.run_with(&[("SOURCE_DATE_EPOCH", &later)], &["gc", "--older-than", "30d", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["runs"].as_array().expect("runs").len(), 1, "the latest complete run always stays");
    assert_eq!(v["runs"][0]["reason"], "older than 30d");
    assert_eq!(v["cache_entries"].as_array().expect("entries").len(), 4);
    assert!(v["freed_bytes"].as_u64().expect("freed") > 0);
    assert_eq!(cache_entries(&t), with_six);
    let plan = t.run(&["plan", m]);
    plan.ok();
    assert!(plan.stdout.contains("5 instances, 0 to run, 5 cached"), "{}", plan.stdout);
}

/// A run whose `run.json` a later nethical wrote: `runs` leaves it out and `gc` never
/// removes it, and both say which file they could not read.
#[test]
fn a_run_json_of_a_later_format_is_named_and_its_run_never_removed() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    for _ in 0..3 {
        t.run(&["run", "--force", m]).ok();
    }
    let runs = t.run_dirs("small");
    assert_eq!(runs.len(), 3);
    let file = runs[0].join("run.json");
    let mut summary = t.read_json(&file);
    summary["format_version"] = serde_json::json!(2);
    crate::common::replace_file(&file, serde_json::to_vec_pretty(&summary).expect("json"));
    let later = format!("`runs/small/{}/run.json` has format_version 2; this nethical reads 1", name(&runs[0]));

    let r = t.run(&["runs", "--json"]);
    r.ok();
    assert!(r.stderr.contains(&format!("warning: {later}: run not listed\n")), "{}", r.stderr);
    let listed: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let ids: Vec<&str> = listed.as_array().expect("list").iter().filter_map(|l| l["run_id"].as_str()).collect();
    assert_eq!(ids, [name(&runs[2]), name(&runs[1])], "the readable runs, newest first");

    let dry = t.run(&["gc", "--keep-last", "1", "--dry-run", "--json"]);
    dry.ok();
    let v: serde_json::Value = serde_json::from_str(&dry.stdout).expect("json");
    assert_eq!(v["unreadable"][0]["path"], format!("runs/small/{}", name(&runs[0])));
    assert_eq!(v["unreadable"][0]["reason"], later);
    let skipped = v["cache_skipped"].as_str().unwrap_or_default();
    assert!(skipped.contains("cannot be read, so the cache entries it uses are unknown"), "{v}");
    assert!(v["cache_entries"].as_array().is_none_or(Vec::is_empty), "no entry is collected: {v}");
    let r = t.run(&["gc", "--keep-last", "1", "--keep", &name(&runs[0])]);
    r.ok();
    assert!(r.stderr.contains(&format!("warning: {later}: run folder left alone\n")), "{}", r.stderr);
    assert!(r.stdout.starts_with(&format!("removed run runs/small/{} ", name(&runs[1]))), "{}", r.stdout);
    assert_eq!(t.run_dirs("small"), [runs[0].clone(), runs[2].clone()], "only the readable older run went");
}

#[test]
fn gc_refuses_an_unknown_keep_and_a_bad_age() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let r = t.run(&["gc", "--keep", "20990101T000000Z-000000"]);
    r.code(2);
    insta::assert_snapshot!("gc_unknown_keep", r.stderr.replace(t.path().to_str().expect("utf-8"), "[TMP]"));
    let r = t.run(&["gc", "--runs-dir", "rnus"]);
    r.code(2);
    assert!(r.stderr.contains("no runs folder at `rnus`"), "{}", r.stderr);
    assert!(t.path().join(".nethical/cache").read_dir().expect("cache").count() > 2, "the cache is untouched");
    let r = t.run(&["gc", "--older-than", "30"]);
    r.code(2);
    assert!(r.stderr.contains("`30` is not an age such as 30d, 12h, 90m or 2w"), "{}", r.stderr);
}

#[test]
fn leftovers_of_a_killed_run_are_collected_only_once_its_lock_is_free() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let mut cmd = t.command(&["run", "-j", "1", "--force", m]);
    cmd.env("NETHICAL_FAILPOINTS", "data=sleep(60000)").stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let partial = |t: &Test| {
        fs::read_dir(t.path().join("runs/small"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".partial-"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while partial(&t) == 0 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let tmp = t.path().join(".nethical/cache/tmp");
    let staging = tmp.join(format!("abcd.{}.0", child.id()));
    fs::create_dir_all(staging.join("files")).expect("mkdir");
    fs::write(staging.join("files/x"), b"partial output").expect("write");
    // A staging folder of a live process (this test) is never collected.
    let live = tmp.join(format!("ef01.{}.0", std::process::id()));
    fs::create_dir_all(&live).expect("mkdir");

    let r = t.run(&["gc", "--keep-last", "1"]);
    r.ok();
    assert!(
        r.stderr.contains("pipeline `small` is running (its lock is held): its runs and leftovers were left alone"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("cache entries were not collected: a run of `small` is in progress"), "{}", r.stderr);
    assert_eq!(partial(&t), 1);
    assert!(staging.is_dir());

    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let r = t.run(&["gc", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let leftovers: Vec<String> = v["leftovers"]
        .as_array()
        .expect("leftovers")
        .iter()
        .map(|l| name(Path::new(l["path"].as_str().expect("path"))))
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    assert!(leftovers[0].starts_with(".partial-"));
    assert_eq!(leftovers[1], name(&staging));
    assert_eq!(partial(&t), 0);
    assert!(!staging.exists());
    assert!(live.is_dir());
    assert_eq!(t.run_dirs("small").len(), 1, "no policy given: no run removed");
}
