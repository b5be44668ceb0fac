//! The `phase3` stage through the binary: the original's storage layout on measured signals,
//! byte-identical at any `-j` (timings aside), risk carried across runs, fairness by group,
//! drift against a baseline run, and `train --enable-phase3`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Test, tree};

fn pipeline(name: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join(name)).expect("manifest")
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<_> = fs::read_dir(dir).expect("folder").filter_map(Result::ok).map(|e| e.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("json")
}

#[test]
fn phase3_writes_the_original_layout_identically_at_any_j() {
    // Two projects, so the audit logs (whose checkpoints name their folder) compare too.
    let (t, u) = (Test::new(), Test::new());
    let m = t.manifest("drift_demo", &pipeline("drift_demo.toml"));
    u.manifest("drift_demo", &pipeline("drift_demo.toml"));
    let m = m.to_str().expect("utf-8");
    let r = t.run(&["run", "-j", "1", m]);
    r.ok();
    assert!(
        r.stdout.contains("phase3:\nPhase3 System Status:\n  ✓ risk_engine: {'active_profiles': 3, 'enabled': True}\n"),
        "{}",
        r.stdout
    );
    u.run(&["run", "-j", "4", m]).ok();
    let one = t.latest("drift_demo");
    let (a, b) = (tree(&one), tree(&u.latest("drift_demo")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{path} differs between -j 1 and -j 4");
    }
    let log = |t: &Test| fs::read(t.path().join("runs/drift_demo/audit/events.jsonl")).expect("log");
    assert_eq!(log(&t), log(&u), "the audit log leaves timings out, so it is identical too");

    let p3 = one.join("phase3");
    for f in ["risk_profiles.json", "correlations.json", "performance.json", "performance_timings.json", "status.json"]
    {
        assert!(p3.join(f).is_file(), "missing phase3/{f}");
    }
    let report = json(&only_file(&p3.join("drift_reports")));
    assert_eq!(report["drift_metrics"]["has_drift"], true);
    let status = json(&p3.join("status.json"));
    for c in
        ["risk_engine", "correlation_engine", "fairness_sampler", "ethical_drift_reporter", "performance_optimizer"]
    {
        assert_eq!(status["components"][c]["enabled"], true, "{c}");
    }
    assert_eq!(status["components"]["risk_engine"]["active_profiles"], 3);

    // Risk: every cohort has a score from its measured signals; the shifted cohort's drift
    // share raises its score above its unshifted twin's.
    let risk = json(&p3.join("risk_profiles.json"));
    let profiles = risk["profiles"].as_array().expect("profiles");
    assert_eq!(profiles.len(), 3);
    let score =
        |c: &str| profiles.iter().find(|p| p["cohort"] == c).and_then(|p| p["current_score"].as_f64()).expect("score");
    let drift_of = |c: &str| profiles.iter().find(|p| p["cohort"] == c).expect("cohort")["components"]["drift"].clone();
    assert_eq!(drift_of("shift_0.0_b"), 0.0);
    assert!(drift_of("shift_0.3_a").as_f64().expect("drift") > 0.0);
    assert!(score("shift_0.3_a") > score("shift_0.0_a"));

    // Performance: the fast detector runs everywhere, the others where the tier allows; the
    // measured reduction lives in the timings file only.
    let perf = json(&p3.join("performance.json"));
    assert_eq!(perf["decisions"]["misclassification_scan"]["invoked"].as_array().map(Vec::len), Some(3));
    for p in profiles {
        let s = p["current_score"].as_f64().expect("score");
        let ran = perf["decisions"]["calibration_audit"]["invoked"].as_array().expect("invoked").contains(&p["cohort"]);
        assert_eq!(ran, s >= 0.25, "{}: standard tier at {s}", p["cohort"]);
        assert_eq!(p["detections"]["calibration_audit"].is_object(), ran);
    }
    let timings = json(&p3.join("performance_timings.json"));
    assert!(timings["meeting_target"].is_boolean());
    assert!(timings["baseline_cpu_ms"].as_f64().expect("baseline") > 0.0, "{timings}");
    assert!(!fs::read_to_string(p3.join("performance.json")).expect("read").contains("cpu_ms"));

    // Correlations: all three models miss the gate's ECE limit together.
    let corr = json(&p3.join("correlations.json"));
    let joint = corr["patterns"].as_array().expect("patterns").iter().find(|p| p["name"] == "joint_gate_failure");
    assert_eq!(joint.expect("joint_gate_failure")["variable"], "calibration_error");

    // Fairness sampling: 1000 rows stratified over the three equal cohorts.
    let job = json(&only_file(&p3.join("fairness_samples")));
    assert!(job["job_id"].as_str().expect("id").starts_with("job_20231114_221320_"));
    assert_eq!(job["samples"].as_array().map(Vec::len), Some(1000));
    let sizes: Vec<u64> =
        job["strata"].as_array().expect("strata").iter().map(|s| s["sample_size"].as_u64().expect("n")).collect();
    assert_eq!(sizes, vec![334, 333, 333]);

    let show = t.run(&["audit", "show", "runs/drift_demo"]);
    assert!(show.stdout.contains("phase3_governance"), "{}", show.stdout);
}

#[test]
fn risk_is_carried_across_runs_with_the_half_life() {
    let t = Test::new();
    let m = t.manifest("drift_demo", &pipeline("drift_demo.toml"));
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let first = json(&t.latest("drift_demo").join("phase3/risk_profiles.json"));
    assert_eq!(first["history"], Value::Null);
    assert!(t.path().join("runs/drift_demo/history/phase3.json").is_file());
    // A day later: only phase3 (its history changed) and the audit rerun.
    let later = [("SOURCE_DATE_EPOCH", "1700086400")];
    let plan = t.run_with(&later, &["plan", m]);
    plan.ok();
    assert!(plan.stdout.contains("input file changed: runs/drift_demo/history/phase3.json"), "{}", plan.stdout);
    t.run_with(&later, &["run", m]).ok();
    let second = json(&t.latest("drift_demo").join("phase3/risk_profiles.json"));
    for (a, b) in first["profiles"].as_array().expect("a").iter().zip(second["profiles"].as_array().expect("b")) {
        assert_eq!(b["observations"], 2);
        let (fused, previous) = (b["fused"].as_f64().expect("fused"), a["current_score"].as_f64().expect("score"));
        // Same measurements a day later: 0.7 · fused + 0.3 · previous · 2^(−24/24).
        let expected = 0.7 * fused + 0.3 * previous * 0.5;
        assert!((b["current_score"].as_f64().expect("score") - expected).abs() < 1e-12, "{b}");
        assert!(b["current_score"].as_f64() <= a["current_score"].as_f64(), "no violation, no climb");
    }
    let corr = json(&t.latest("drift_demo").join("phase3/correlations.json"));
    assert_eq!(corr["runs_in_history"], 2);
}

#[test]
fn fairness_samples_are_stratified_by_group_with_the_gaps() {
    let t = Test::new();
    let example = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/german_credit.csv"))
        .expect("german credit");
    t.file("examples/data/german_credit.csv", &example);
    let m = t.manifest("german_credit", &pipeline("german_credit.toml"));
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let p3 = t.latest("german_credit").join("phase3");
    let job = json(&only_file(&p3.join("fairness_samples")));
    let strata = job["strata"].as_array().expect("strata");
    assert_eq!(strata.len(), 4, "two cohorts × two values of sex: {strata:?}");
    assert!(strata.iter().all(|s| s["group"].is_string()));
    let total: u64 = strata.iter().map(|s| s["sample_size"].as_u64().expect("n")).sum();
    assert_eq!(total, 200);
    assert!(job["samples"].as_array().expect("samples").iter().all(|s| s["metadata"]["group"].is_string()));
    let f = &job["fairness_metrics"]["logistic_l2_0.0"];
    assert_eq!(f["group_column"], "sex");
    let metrics = json(&t.latest("german_credit").join("cohorts/logistic_l2_0.0/metrics.json"));
    assert_eq!(f["metrics"], metrics["fairness"], "the same figures as the cohort's metrics.json");
    assert!(f["metrics"]["demographic_parity_difference"].is_number());
}

/// `drift_demo.toml` with its drift stage compared against the latest run.
fn against_latest(text: &str) -> String {
    let drift =
        "[stages.drift]\nkind = \"drift\"\nneeds = [\"data\", \"train\", \"gate\"]\nreference = \"shift_0.0_a\"";
    let with = text.replace(drift, &format!("{drift}\nbaseline_run = \"latest\""));
    assert_ne!(with, text);
    with
}

#[test]
fn drift_against_a_baseline_run() {
    let t = Test::new();
    let text = pipeline("drift_demo.toml");
    let m = t.manifest("drift_demo", &text);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let baseline_id = fs::read_link(t.path().join("runs/drift_demo/latest")).expect("latest");
    let baseline_id = baseline_id.to_str().expect("utf-8").to_owned();
    // This week against last month's run: each cohort against its namesake (identical), and
    // against the baseline's unshifted cohort (only the shifted one drifts).
    let with = against_latest(&text);
    t.manifest("drift_demo", &with);
    let later = [("SOURCE_DATE_EPOCH", "1700086400")];
    t.run_with(&later, &["run", m]).ok();
    let report = json(&only_file(&t.latest("drift_demo").join("drift_reports")));
    assert_eq!(report["baseline_run"], "latest");
    let pairs = report["drift_metrics"]["pairwise"].as_array().expect("pairwise");
    let against: Vec<&Value> =
        pairs.iter().filter(|p| p["reference"].as_str().is_some_and(|r| r.starts_with(&baseline_id))).collect();
    assert_eq!(against.len(), 18, "3 cohorts × (y_prob + 5 features)");
    assert!(against.iter().all(|p| p["drifted"] == false), "namesakes are identical");

    let pinned = with.replace(
        "baseline_run = \"latest\"",
        &format!("baseline_run = \"{baseline_id}\"\nbaseline_cohort = \"shift_0.0_a\""),
    );
    t.manifest("drift_demo", &pinned);
    t.run_with(&[("SOURCE_DATE_EPOCH", "1700172800")], &["run", m]).ok();
    let report = json(&only_file(&t.latest("drift_demo").join("drift_reports")));
    let reference = format!("{baseline_id}/shift_0.0_a");
    let pairs = report["drift_metrics"]["pairwise"].as_array().expect("pairwise");
    let drifted: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|p| p["reference"] == reference.as_str() && p["drifted"] == true)
        .map(|p| (p["current"].as_str().expect("c"), p["variable"].as_str().expect("v")))
        .collect();
    assert!(drifted.contains(&("shift_0.3_a", "context_risk")), "{drifted:?}");
    assert!(drifted.iter().all(|(c, _)| *c == "shift_0.3_a"), "{drifted:?}");

    let missing = with.replace("baseline_run = \"latest\"", "baseline_run = \"20200101T000000Z\"");
    t.manifest("drift_demo", &missing);
    let r = t.run_with(&[("SOURCE_DATE_EPOCH", "1700259200")], &["run", m]);
    r.code(1);
    assert!(r.stderr.contains("baseline run `20200101T000000Z` is not in"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("`{baseline_id}`")), "names the runs there: {}", r.stderr);
}

/// A baseline run folder written before `train` handed its predictions on in binary (only
/// `predictions.csv` in its cohorts) is read from the CSV, to the same figures.
#[test]
fn a_baseline_folder_with_only_csv_predictions_gives_the_same_drift() {
    let t = Test::new();
    let text = pipeline("drift_demo.toml");
    let m = t.manifest("drift_demo", &text);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let with = against_latest(&text);
    t.manifest("drift_demo", &with);
    t.run_with(&[("SOURCE_DATE_EPOCH", "1700086400")], &["run", m]).ok();
    let binary = json(&only_file(&t.latest("drift_demo").join("drift_reports")));
    // Make the second run the baseline again, its binary predictions removed.
    let second = t.latest("drift_demo");
    let mut removed = 0;
    for cohort in fs::read_dir(second.join("cohorts")).expect("cohorts") {
        let cohort = cohort.expect("entry").path();
        for name in ["predictions.json", "predictions.npy", "predictions_rows.npy", "predictions_text.npy"] {
            if fs::remove_file(cohort.join(name)).is_ok() {
                removed += 1;
            }
        }
        assert!(cohort.join("predictions.csv").is_file());
    }
    assert!(removed >= 3 * 3, "each cohort had its binary files: {removed}");
    t.run_with(&[("SOURCE_DATE_EPOCH", "1700172800")], &["run", m]).ok();
    let from_csv = json(&only_file(&t.latest("drift_demo").join("drift_reports")));
    // The run ids differ (each run's baseline is the one before), the figures do not.
    let figures = |report: &Value| -> Vec<Value> {
        report["drift_metrics"]["pairwise"]
            .as_array()
            .expect("pairwise")
            .iter()
            .map(|p| {
                let mut p = p.clone();
                for side in ["reference", "current"] {
                    let name = p[side].as_str().expect("name");
                    let cohort = name.rsplit('/').next().expect("cohort").to_owned();
                    p[side] = Value::String(cohort);
                }
                p
            })
            .collect()
    };
    assert_eq!(figures(&binary), figures(&from_csv));
}

#[test]
fn train_enable_phase3_prints_the_status_block_and_fills_the_storage_dir() {
    let t = Test::new();
    let r = t.run(&[
        "train",
        "--model-type",
        "logistic",
        "--no-download",
        "--num-samples",
        "1000",
        "--epochs",
        "2",
        "--enable-phase3",
        "--phase3-storage-dir",
        "p3",
        "--enable-drift-tracking",
        "--drift-report-dir",
        "dr",
        "--cohort-id",
        "production_v1",
    ]);
    r.ok();
    for line in [
        "  ✓ risk_engine: {'active_profiles': 1, 'enabled': True}",
        "  ✓ correlation_engine: {'tracked_agents': 1, 'enabled': True}",
        "  ✓ fairness_sampler: {'active_jobs': 1, 'enabled': True}",
        "  ✓ ethical_drift_reporter: {'tracked_cohorts': 1, 'enabled': True}",
    ] {
        assert!(r.stdout.contains(line), "missing {line:?} in\n{}", r.stdout);
    }
    assert!(r.stdout.contains("  ✓ performance_optimizer: {'enabled': True, 'meeting_target': "), "{}", r.stdout);
    assert!(r.stdout.contains("Drift detected: False"), "{}", r.stdout);
    let p3 = t.path().join("p3");
    for f in ["risk_profiles.json", "correlations.json", "performance.json", "status.json"] {
        assert!(p3.join(f).is_file(), "missing {f}");
    }
    let job = json(&only_file(&p3.join("fairness_samples")));
    assert_eq!(job["cohorts"], serde_json::json!(["production_v1"]));
    assert!(only_file(&p3.join("drift_reports")).is_file());
    assert!(only_file(&t.path().join("dr")).is_file(), "drift tracking is not swallowed by Phase 3");
}
