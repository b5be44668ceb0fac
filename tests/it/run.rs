//! The happy path: what a run writes.

use std::fs;

use crate::common::{EPOCH, SMALL, Test, scrub};

#[test]
fn run_writes_cohort_artifacts_run_json_latest_and_lockfile() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let r = t.run(&["run", "-j", "2", m.to_str().expect("utf-8")]);
    r.ok();
    let runs = t.run_dirs("small");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(t.latest("small"), fs::canonicalize(run).expect("canon"));
    for cohort in ["lr_0.1", "lr_0.5"] {
        for f in ["model.json", "metrics.json", "gate.json", "predictions.csv"] {
            assert!(run.join("cohorts").join(cohort).join(f).is_file(), "{cohort}/{f}");
        }
    }
    let metrics = t.read_json(&run.join("cohorts/lr_0.5/metrics.json"));
    let acc = metrics["accuracy"].as_f64().expect("accuracy");
    assert!(acc > 0.9, "logistic on the default family should be accurate, got {acc}");
    assert_eq!(metrics["bins"], 10);
    let predictions = fs::read_to_string(run.join("cohorts/lr_0.5/predictions.csv")).expect("csv");
    assert!(predictions.starts_with("row,y_true,y_prob,y_pred\n"));
    let dataset = t.read_json(&run.join("data/data/dataset.json"));
    let validation_rows = dataset["split"]["validation_rows"].as_u64().expect("rows");
    assert!((145..=155).contains(&validation_rows), "about 25% of 600 rows, got {validation_rows}");
    assert_eq!(predictions.lines().count() as u64, 1 + validation_rows, "header + one line per validation row");
    let gate = t.read_json(&run.join("cohorts/lr_0.5/gate.json"));
    let promoted = gate["promoted"].as_bool().expect("promoted");
    let dest = if promoted { "models/current" } else { "models/candidates" };
    assert!(run.join(dest).join("lr_0.5_model.json").is_file());
    assert_eq!(gate["decided_at"], "2023-11-14T22:13:20Z", "timestamps come from SOURCE_DATE_EPOCH={EPOCH}");

    let summary = t.read_json(&run.join("run.json"));
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(summary["pipeline"], "small");
    assert_eq!(summary["instances"].as_array().expect("instances").len(), 5);
    assert_eq!(summary["started_at"], "2023-11-14T22:13:20Z");
    assert!(summary["manifest_digest"].as_str().expect("digest").len() == 64);
    assert!(run.join("manifest.resolved.toml").is_file());

    let lock = fs::read_to_string(t.path().join("pipelines/small.lock")).expect("lockfile");
    assert!(lock.contains("[instances.\"train[learning_rate=0.5]\"]"));
    insta::assert_snapshot!(scrub(&r.stdout));
}

#[test]
fn validate_and_plan_json() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let r = t.run(&["validate", m.to_str().expect("utf-8")]);
    r.ok();
    assert_eq!(r.stdout, "pipelines/small.toml is valid: pipeline `small`, 3 stages, 5 instances\n");
    let r = t.run(&["plan", "--json", m.to_str().expect("utf-8")]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    insta::assert_json_snapshot!(v);
}

#[test]
fn resolved_manifest_records_interpolated_parameters() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let resolved = fs::read_to_string(t.latest("small").join("manifest.resolved.toml")).expect("resolved");
    let doc: toml::Table = toml::from_str(&resolved).expect("valid TOML");
    let inst = &doc["instances"]["train[learning_rate=0.5]"];
    assert_eq!(inst["params"]["learning_rate"].as_float(), Some(0.5));
    assert_eq!(inst["cohort"].as_str(), Some("lr_0.5"));
    assert_eq!(inst["needs"].as_array().map(Vec::len), Some(1));
}

#[test]
fn second_run_of_the_same_pipeline_is_refused_while_the_first_holds_the_lock() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let dir = t.path().join("runs/small");
    fs::create_dir_all(&dir).expect("mkdir");
    let lock = fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(".lock")).expect("open");
    lock.lock().expect("hold the lock like a running nethical would");
    let r = t.run(&["run", m.to_str().expect("utf-8")]);
    r.code(4);
    assert!(r.stderr.contains("another `nethical run` of pipeline `small` is in progress"), "{}", r.stderr);
    assert!(t.run_dirs("small").is_empty());
    drop(lock);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
}
