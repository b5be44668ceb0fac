//! Fail-fast and keep-going, panics, and a real training failure.

use crate::common::{BRANCHES, Test, scrub};

fn statuses(stdout: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("json");
    v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| (i["id"].as_str().unwrap_or_default().to_owned(), i["status"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn fail_fast_stops_launching_and_skips_the_rest() {
    let t = Test::new().env("NETHICAL_FAILPOINTS", "train_a=error");
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", "-j", "1", "--json", m.to_str().expect("utf-8")]);
    r.code(1);
    assert_eq!(
        statuses(&r.stdout),
        pairs(&[
            ("data", "ran"),
            ("train_a", "failed"),
            ("gate_a", "skipped"),
            ("train_b", "skipped"),
            ("gate_b", "skipped")
        ])
    );
    let run = &t.run_dirs("branches")[0];
    let summary = t.read_json(&run.join("run.json"));
    assert_eq!(summary["status"], "failed");
    assert!(!t.path().join("runs/branches/latest").exists(), "latest only points at complete runs");
}

#[test]
fn keep_going_runs_independent_branches() {
    let t = Test::new().env("NETHICAL_FAILPOINTS", "train_a=error");
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", "-j", "1", "--keep-going", "--json", m.to_str().expect("utf-8")]);
    r.code(1);
    assert_eq!(
        statuses(&r.stdout),
        pairs(&[("data", "ran"), ("train_a", "failed"), ("gate_a", "skipped"), ("train_b", "ran"), ("gate_b", "ran")])
    );
}

#[test]
fn a_panicking_stage_is_reported_with_its_id_and_the_others_continue() {
    let t = Test::new().env("NETHICAL_FAILPOINTS", "train_b=panic");
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", "-j", "2", "--keep-going", m.to_str().expect("utf-8")]);
    r.code(1);
    assert!(!r.stderr.contains("thread '"), "the default panic message leaked:\n{}", r.stderr);
    insta::assert_snapshot!(scrub(&r.stdout));
}

#[test]
fn the_failure_summary_names_the_stage_and_how_to_resume() {
    let t = Test::new().env("NETHICAL_FAILPOINTS", "train_a=error");
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", "-j", "1", m.to_str().expect("utf-8")]);
    r.code(1);
    insta::assert_snapshot!(format!("stdout:\n{}\nstderr:\n{}", scrub(&r.stdout), scrub(&r.stderr)));
}

#[test]
fn a_diverging_model_fails_its_instance_for_real() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&[
        "run",
        "-j",
        "1",
        "--keep-going",
        "--json",
        m.to_str().expect("utf-8"),
        "--set",
        "stages.train_a.learning_rate=1e300",
    ]);
    r.code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let a = &v["instances"][1];
    assert_eq!(a["id"], "train_a");
    assert_eq!(a["status"], "failed");
    assert!(a["error"].as_str().expect("error").contains("diverged"), "{a}");
    assert_eq!(v["instances"][3]["status"], "ran");
}

#[test]
fn a_failed_run_keeps_earlier_runs_and_the_resume_uses_the_cache() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let good = t.latest("branches");
    let before = crate::common::tree(&good);
    let failing = t.run_with(
        &[("NETHICAL_FAILPOINTS", "train_b=error")],
        &["run", "-j", "1", m, "--set", "stages.train_b.epochs=9"],
    );
    failing.code(1);
    assert_eq!(t.latest("branches"), good, "a failed run does not move latest");
    assert_eq!(crate::common::tree(&good), before, "a failed run does not touch earlier runs");
    let r = t.run(&["run", "--json", m, "--set", "stages.train_b.epochs=9"]);
    r.ok();
    let ran: Vec<(String, String)> = statuses(&r.stdout).into_iter().filter(|(_, s)| s == "ran").collect();
    assert_eq!(ran, pairs(&[("train_b", "ran"), ("gate_b", "ran")]));
}
