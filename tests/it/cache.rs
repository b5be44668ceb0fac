//! The cache and the lockfile: what reruns and why.

use crate::common::{BRANCHES, SMALL, Test};

fn statuses(t: &Test, args: &[&str]) -> Vec<(String, String, String)> {
    let r = t.run(args);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let key = if v.get("stages").is_some() { "stages" } else { "instances" };
    v[key]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_owned(),
                s["status"].as_str().unwrap_or_default().to_owned(),
                s["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn second_run_recomputes_nothing() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    let first = statuses(&t, &["run", "--json", m]);
    assert!(first.iter().all(|(_, s, r)| s == "ran" && r == "new"), "{first:?}");
    let plan = statuses(&t, &["plan", "--json", m]);
    assert!(plan.iter().all(|(_, s, r)| s == "cached" && r == "unchanged"), "{plan:?}");
    let second = statuses(&t, &["run", "--json", m]);
    assert!(second.iter().all(|(_, s, _)| s == "cached"), "{second:?}");
    assert_eq!(t.run_dirs("small").len(), 2, "each run gets its own folder");
}

#[test]
fn set_on_one_cohort_reruns_only_that_branch_and_says_why() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let plan = statuses(&t, &["plan", "--json", m, "--set", "stages.train_b.epochs=4"]);
    let expect = [
        ("data", "cached", "unchanged"),
        ("train_a", "cached", "unchanged"),
        ("gate_a", "cached", "unchanged"),
        ("train_b", "run", "params changed: epochs 3 → 4"),
        ("gate_b", "run", "input changed: train_b"),
    ];
    for (id, status, reason) in expect {
        let got = plan.iter().find(|(i, _, _)| i == id).expect(id);
        assert_eq!((got.1.as_str(), got.2.as_str()), (status, reason), "{id}");
    }
    let ran = statuses(&t, &["run", "--json", m, "--set", "stages.train_b.epochs=4"]);
    let computed: Vec<&str> = ran.iter().filter(|(_, s, _)| s == "ran").map(|(i, _, _)| i.as_str()).collect();
    assert_eq!(computed, ["train_b", "gate_b"]);
}

#[test]
fn upstream_change_explains_downstream_reruns() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let plan = statuses(&t, &["plan", "--json", m, "--set", "stages.data.source.synthetic.num_samples=500"]);
    let reasons: Vec<(&str, &str)> = plan.iter().map(|(i, _, r)| (i.as_str(), r.as_str())).collect();
    assert_eq!(
        reasons,
        [
            ("data", "params changed: source.synthetic.num_samples 400 → 500"),
            ("train_a", "input changed: data"),
            ("gate_a", "input changed: train_a"),
            ("train_b", "input changed: data"),
            ("gate_b", "input changed: train_b"),
        ]
    );
}

#[test]
fn force_reruns_everything_and_gives_the_same_bytes() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let forced = statuses(&t, &["run", "--json", "--force", m]);
    assert!(forced.iter().all(|(_, s, r)| s == "ran" && r == "forced"), "{forced:?}");
    let runs = t.run_dirs("small");
    assert_eq!(crate::common::tree(&runs[0]), crate::common::tree(&runs[1]));
}

#[test]
fn lockfile_is_stable_and_only_rewritten_on_change() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let lock = t.path().join("pipelines/small.lock");
    let first = std::fs::read_to_string(&lock).expect("lock");
    let modified = std::fs::metadata(&lock).and_then(|m| m.modified()).expect("mtime");
    t.run(&["run", m]).ok();
    assert_eq!(std::fs::read_to_string(&lock).expect("lock"), first);
    assert_eq!(std::fs::metadata(&lock).and_then(|m| m.modified()).expect("mtime"), modified);
    assert!(!first.contains("2023"), "no timestamps in the lockfile");
}

#[test]
fn damaged_cache_entry_is_computed_again_and_replaced() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let mut damaged = 0;
    for e in walk(&t.path().join(".nethical/cache")) {
        if e.ends_with("gate.json") {
            make_writable(&e);
            std::fs::write(&e, b"{}").expect("tamper");
            damaged += 1;
        }
    }
    assert_eq!(damaged, 2);
    let plan = statuses(&t, &["plan", "--json", m]);
    let gates: Vec<&(String, String, String)> = plan.iter().filter(|(i, _, _)| i.starts_with("gate")).collect();
    assert_eq!(gates.len(), 2);
    for (id, status, reason) in gates {
        assert_eq!(status, "run", "{id}");
        assert!(reason.starts_with("cached output changed: ") && reason.ends_with("gate.json edited"), "{reason}");
    }
    let ran = statuses(&t, &["run", "--json", m]);
    let computed: Vec<&str> = ran.iter().filter(|(_, s, _)| s == "ran").map(|(i, _, _)| i.as_str()).collect();
    assert_eq!(computed.len(), 2, "{ran:?}");
    assert!(computed.iter().all(|i| i.starts_with("gate")), "{computed:?}");
    let again = statuses(&t, &["run", "--json", m]);
    assert!(again.iter().all(|(_, s, _)| s == "cached"), "the replaced entries are reused: {again:?}");
}

/// Root ignores permission bits; anyone else must lift the cache's read-only mode first.
pub fn make_writable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

/// Logistic regression and the boosted trees in one matrix: `epochs` is the logistic model's.
const MIXED: &str = r#"[pipeline]
name = "mixed"

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 300 } }

[stages.train]
kind = "train"
needs = ["data"]
matrix = { model = ["logistic", "correlation"] }
model = "${matrix.model}"
cohort = "${matrix.model}"
epochs = 3
"#;

#[test]
fn epochs_in_a_matrix_of_models_leaves_the_correlation_instance_alone_and_plan_says_so() {
    let t = Test::new();
    let m = t.manifest("mixed", MIXED);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let plan = statuses(&t, &["plan", "--json", m, "--set", "stages.train.epochs=4"]);
    let reasons: Vec<(&str, &str)> = plan.iter().map(|(i, _, r)| (i.as_str(), r.as_str())).collect();
    assert_eq!(
        reasons,
        [
            ("data", "unchanged"),
            ("train[model=logistic]", "params changed: epochs 3 → 4"),
            ("train[model=correlation]", "unchanged"),
        ]
    );
    let text = t.run(&["plan", m]);
    text.ok();
    assert!(
        text.stdout.ends_with(
            "note: train[model=correlation]: `epochs` is not used: model `correlation` boosts `rounds` trees (default 100)\n"
        ),
        "{}",
        text.stdout
    );
    let model = t.read_json(&t.latest("mixed").join("cohorts/correlation/model.json"));
    assert_eq!(model["model"]["params"]["n_trees"], 100);
    assert_eq!(model["model"]["params"]["algorithm"], "hist");
}
