//! Running part of a pipeline (targets, `--until`, `--forcerun`, `-n`), and the generated shell
//! completions and man pages.

use std::fs;

use crate::common::{BRANCHES, SMALL, Test};

fn instance_ids(summary: &serde_json::Value) -> Vec<String> {
    summary["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn a_stage_target_runs_it_and_what_it_needs_only() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    t.run(&["run", m.to_str().expect("utf-8"), "gate_a"]).ok();
    let run = t.latest("branches");
    let summary = t.read_json(&run.join("run.json"));
    assert_eq!(instance_ids(&summary), ["data", "train_a", "gate_a"], "branch b is left out");
    assert!(run.join("cohorts/a/gate.json").is_file());
    assert!(!run.join("cohorts/b").exists(), "branch b is not published");
}

#[test]
fn an_instance_target_runs_that_instance_only() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    t.run(&["run", m.to_str().expect("utf-8"), "train[learning_rate=0.5]"]).ok();
    let run = t.latest("small");
    let summary = t.read_json(&run.join("run.json"));
    assert_eq!(instance_ids(&summary), ["data", "train[learning_rate=0.5]"]);
    assert!(run.join("cohorts/lr_0.5/model.json").is_file());
    assert!(!run.join("cohorts/lr_0.5/gate.json").exists(), "gate was not a target");
    assert!(!run.join("cohorts/lr_0.1").exists());
    // A later full run keeps what the partial run computed.
    let r = t.run(&["plan", m.to_str().expect("utf-8")]);
    r.ok();
    assert!(r.stdout.contains("5 instances, 3 to run, 2 cached"), "{}", r.stdout);
}

#[test]
fn until_runs_up_to_and_including_the_stage() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    t.run(&["run", "--until", "train", m.to_str().expect("utf-8")]).ok();
    let summary = t.read_json(&t.latest("small").join("run.json"));
    assert_eq!(instance_ids(&summary), ["data", "train[learning_rate=0.1]", "train[learning_rate=0.5]"]);
}

#[test]
fn dry_run_with_targets_plans_only_them() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", "-n", m.to_str().expect("utf-8"), "train_b"]);
    r.ok();
    assert!(r.stdout.contains("2 instances, 2 to run, 0 cached"), "{}", r.stdout);
    assert!(!r.stdout.contains("gate_a"));
    assert!(t.run_dirs("branches").is_empty(), "a dry run writes no run");
}

#[test]
fn forcerun_recomputes_that_stage_and_downstream_only_if_changed() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let path = m.to_str().expect("utf-8");
    t.run(&["run", path]).ok();
    let r = t.run(&["plan", "--forcerun", "train", path]);
    r.ok();
    assert!(r.stdout.contains("forced (--forcerun)"), "{}", r.stdout);
    // The plan cannot know the forced outputs yet, so it counts what follows them as running.
    assert!(r.stdout.contains("5 instances, 4 to run, 1 cached"), "{}", r.stdout);
    t.run(&["run", "--json", "--forcerun", "train", path]).ok();
    let summary = t.read_json(&t.latest("small").join("run.json"));
    for inst in summary["instances"].as_array().expect("instances") {
        let id = inst["id"].as_str().expect("id");
        let expected = if id.starts_with("train") { "ran" } else { "cached" };
        assert_eq!(inst["status"], expected, "{id}: training is deterministic, so the gates stay cached");
    }
}

#[test]
fn an_unknown_target_is_an_input_error_with_a_suggestion() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let r = t.run(&["run", m.to_str().expect("utf-8"), "trian"]);
    r.code(2);
    insta::assert_snapshot!(r.stderr);
    t.run(&["plan", "--forcerun", "gaet", m.to_str().expect("utf-8")]).code(2);
    t.run(&["run", "--until", "nothing_like_it", m.to_str().expect("utf-8")]).code(2);
}

#[test]
fn bash_completions_parse() {
    let t = Test::new();
    let r = t.run(&["completions", "bash"]);
    r.ok();
    let script = t.path().join("nethical.bash");
    fs::write(&script, &r.stdout).expect("write");
    let Ok(out) = std::process::Command::new("bash").arg("-n").arg(&script).output() else {
        return; // no bash here: the other shells' tests still ran
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(r.stdout.contains("--forcerun"));
}

#[test]
fn man_prints_the_main_page_and_writes_one_per_subcommand() {
    let t = Test::new();
    let r = t.run(&["man"]);
    r.ok();
    assert!(r.stdout.contains(".TH nethical 1"), "{}", &r.stdout[..r.stdout.len().min(200)]);
    assert!(r.stdout.contains("run"));
    let dir = t.path().join("man");
    t.run(&["man", "--out", dir.to_str().expect("utf-8")]).ok();
    let run_page = fs::read_to_string(dir.join("nethical-run.1")).expect("nethical-run.1");
    assert!(run_page.contains(".TH nethical-run 1"));
    for flag in ["forcerun", "until", "dry\\-run", "STAGE"] {
        assert!(run_page.contains(flag), "nethical-run.1 lacks {flag}");
    }
    for page in ["nethical.1", "nethical-plan.1", "nethical-cache-verify.1", "nethical-man.1"] {
        assert!(dir.join(page).is_file(), "{page}");
    }
    assert!(!dir.join("nethical-exec-instance.1").exists(), "hidden commands get no page");
}
