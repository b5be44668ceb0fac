//! The `drift` stage through the binary: a shifted feature is found on the shifted cohort and
//! nowhere else, identical cohorts report no drift, one cohort is "insufficient", and
//! `train --enable-drift-tracking` writes the report where the original did.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{Test, memo_files};

fn report(dir: &Path) -> Value {
    let reports: Vec<_> =
        fs::read_dir(dir.join("drift_reports")).expect("drift_reports").filter_map(Result::ok).collect();
    assert_eq!(reports.len(), 1);
    serde_json::from_slice(&fs::read(reports[0].path()).expect("read")).expect("json")
}

fn drift_demo() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/drift_demo.toml")).expect("manifest")
}

#[test]
fn a_shifted_feature_drifts_on_the_shifted_cohort_only() {
    let t = Test::new();
    let m = t.manifest("drift_demo", &drift_demo());
    let run = t.run(&["run", m.to_str().expect("utf-8")]);
    run.ok();
    let r = report(&t.latest("drift_demo"));
    for key in ["report_id", "start_time", "end_time", "cohorts", "drift_metrics", "recommendations", "generated_at"] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    let a = &r["cohorts"]["shift_0.0_a"];
    for key in ["cohort_id", "agent_count", "action_count", "violation_stats", "avg_risk_score", "risk_distribution"] {
        assert!(a.get(key).is_some(), "missing cohorts.<id>.{key}");
    }
    assert_eq!(a["action_count"], 1001); // the stratified split keeps 2999 of 4000 rows for training
    assert_eq!(a["agent_count"], 1);
    let m = &r["drift_metrics"];
    assert_eq!(m["has_drift"], true);
    let pairs = m["pairwise"].as_array().expect("pairwise");
    let find = |reference: &str, current: &str, variable: &str| {
        pairs
            .iter()
            .find(|p| p["reference"] == reference && p["current"] == current && p["variable"] == variable)
            .unwrap_or_else(|| panic!("no {reference}/{current}/{variable}"))
    };
    let shifted = find("shift_0.0_a", "shift_0.3_a", "context_risk");
    assert_eq!(shifted["drifted"], true);
    assert!(shifted["psi"].as_f64().expect("psi") > 0.25, "{shifted}");
    assert!((shifted["wasserstein"].as_f64().expect("w1") - 0.3).abs() < 1e-9, "{shifted}");
    for variable in ["violation_count", "severity_max", "recency_score", "frequency_score"] {
        let p = find("shift_0.0_a", "shift_0.3_a", variable);
        assert_eq!(p["drifted"], false, "{p}");
        assert_eq!(p["ks_statistic"], 0.0);
        assert_eq!(p["psi"], 0.0);
    }
    for p in pairs.iter().filter(|p| p["reference"] == "shift_0.0_a" && p["current"] == "shift_0.0_b") {
        assert_eq!(p["drifted"], false, "identical rows, same model kind: {p}");
    }
    let recs: Vec<&str> = r["recommendations"].as_array().expect("recs").iter().filter_map(Value::as_str).collect();
    assert!(
        recs.iter().any(|x| x.starts_with("Cohort `shift_0.3_a` drifted from `shift_0.0_a` on `context_risk`: PSI")),
        "{recs:?}"
    );
    assert!(!recs.iter().any(|x| x.contains("on `violation_count`")), "{recs:?}");
    // The audit stage logs the report.
    let show = t.run(&["audit", "show", "runs/drift_demo"]);
    assert!(show.stdout.contains("drift_report"), "{}", show.stdout);
}

#[test]
fn identical_cohorts_report_no_drift_and_one_cohort_is_insufficient() {
    let t = Test::new();
    let same = drift_demo()
        .replace("shift = [0.0, 0.3]", "shift = [0.0]")
        .replace(", exclude = [{ shift = 0.3, copy = \"b\" }]", "");
    let same = same.replace(
        "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\nepochs = 10",
        "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"heuristic\"\nepochs = 10",
    );
    let m = t.manifest("drift_demo", &same);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let r = report(&t.latest("drift_demo"));
    assert_eq!(r["drift_metrics"]["has_drift"], false, "{}", r["drift_metrics"]);
    assert_eq!(r["recommendations"], serde_json::json!(["No significant ethical drift detected across cohorts"]));

    let one = t.manifest(
        "one",
        &same.replace("name = \"drift_demo\"", "name = \"one\"").replace("copy = [\"a\", \"b\"]", "copy = [\"a\"]"),
    );
    t.run(&["run", one.to_str().expect("utf-8")]).ok();
    let r = report(&t.latest("one"));
    assert_eq!(r["drift_metrics"]["message"], "Insufficient cohorts for drift analysis");
}

#[test]
fn train_enable_drift_tracking_writes_the_report_to_the_drift_report_dir() {
    let t = Test::new();
    let r = t.run(&[
        "train",
        "--model-type",
        "all",
        "--no-download",
        "--epochs",
        "2",
        "--num-samples",
        "400",
        "--enable-drift-tracking",
        "--drift-report-dir",
        "reports",
    ]);
    r.ok();
    assert!(r.stdout.contains("Drift Report ID: drift_"), "{}", r.stdout);
    assert!(r.stdout.contains("Drift detected: "), "{}", r.stdout);
    let files: Vec<_> = fs::read_dir(t.path().join("reports")).expect("reports").filter_map(Result::ok).collect();
    assert_eq!(files.len(), 1);
    let report: Value = serde_json::from_slice(&fs::read(files[0].path()).expect("read")).expect("json");
    assert_eq!(report["drift_metrics"]["cohort_count"], 5);
}

/// Three cohorts of one data instance whose learning rates are `rates`, and drift across them.
fn three_cohorts(rates: &str) -> String {
    crate::common::cohorts_by_rate("dm", 9, rates, "[stages.drift]\nkind = \"drift\"\nneeds = [\"data\", \"train\"]\n")
}

/// The drift report's bytes in the latest run of `t`.
fn report_bytes(t: &Test) -> Vec<u8> {
    let dir = t.latest("dm").join("drift_reports");
    let file = fs::read_dir(&dir).expect("drift_reports").filter_map(Result::ok).next().expect("a report");
    fs::read(file.path()).expect("read")
}

#[test]
fn drift_after_one_cohort_changed_reads_the_other_pairs_from_the_memo_and_equals_a_fresh_report() {
    let t = Test::new();
    let m = t.manifest("dm", &three_cohorts("0.1, 0.3, 0.5"));
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    // Three pairs of cohorts on `y_prob`, and each of the data's features against itself.
    let first = memo_files(&t).len();
    assert!(first > 3, "{first} entries");
    t.manifest("dm", &three_cohorts("0.1, 0.3, 0.7"));
    t.run(&["run", m]).ok();
    assert_eq!(memo_files(&t).len(), first + 2, "only the retrained cohort's two pairs are new");
    let incremental = report_bytes(&t);
    let fresh = Test::new();
    let fm = fresh.manifest("dm", &three_cohorts("0.1, 0.3, 0.7"));
    fresh.run(&["run", fm.to_str().expect("utf-8")]).ok();
    assert!(incremental == report_bytes(&fresh), "the drift report with pairs from the memo is the one computed whole");
}
