//! `nethical metrics` and `nethical predict`.

use crate::common::{SMALL, Test, small_with_csv};

const PREDICTIONS: &str = "row,y_true,y_prob,y_pred,grp\n\
0,1,0.9,1,a\n1,0,0.2,0,a\n2,1,0.65,1,b\n3,1,0.4,0,b\n4,0,0.5,1,a\n5,0,0.1,0,b\n\
6,1,0.8,1,a\n7,0,0.35,0,b\n8,1,0.55,1,a\n9,0,0.7,1,b\n10,1,0.95,1,a\n11,1,0.3,0,b\n";

#[test]
fn metrics_match_scikit_learn() {
    let t = Test::new();
    t.file("p.csv", PREDICTIONS);
    let r = t.run(&["metrics", "p.csv", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    // Reference: scikit-learn 1.9.1, sklearn.metrics.{accuracy_score, precision_score,
    // recall_score, f1_score} on p >= 0.5, roc_auc_score, average_precision_score,
    // brier_score_loss, log_loss, on the 12 rows above.
    let expected = [
        ("accuracy", 0.666_666_666_666_666_6),
        ("precision", 0.714_285_714_285_714_3),
        ("recall", 0.714_285_714_285_714_3),
        ("f1", 0.714_285_714_285_714_3),
        ("roc_auc", 0.8),
        ("average_precision", 0.869_047_619_047_619_1),
        ("brier", 0.178_333_333_333_333_32),
        ("log_loss", 0.515_423_981_863_177),
    ];
    for (name, want) in expected {
        let got = v[name].as_f64().unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-12, "{name}: {got} vs {want}");
    }
    assert!(v.get("fairness").is_none());
}

#[test]
fn metrics_with_a_group_column_adds_fairness() {
    let t = Test::new();
    t.file("p.csv", PREDICTIONS);
    // Groups of 6 rows: below METRICS.md's 30, so compared only with a lower floor.
    let r = t.run(&["metrics", "p.csv", "--group-col", "grp", "--min-group-size", "6", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    // Group a: predictions 1,0,1,1,1,1 → selection 5/6; group b: 1,0,0,0,1,0 → 2/6.
    let a = v["fairness"]["by_group"]["a"]["selection_rate"].as_f64().expect("a");
    let b = v["fairness"]["by_group"]["b"]["selection_rate"].as_f64().expect("b");
    assert!((a - 5.0 / 6.0).abs() < 1e-12 && (b - 2.0 / 6.0).abs() < 1e-12, "{a} {b}");
    let dpd = v["fairness"]["demographic_parity_difference"].as_f64().expect("dpd");
    assert!((dpd - 0.5).abs() < 1e-12);
}

/// Fairness case F3 of `src/metrics/tests_reference.rs` as a predictions file: groups a (12
/// rows), b (10), c (3), d (2); a prediction of 1 is written as probability 0.9, 0 as 0.1.
fn f3_predictions() -> String {
    let g = "aaaaaaaaaaaabbbbbbbbbbcccdd";
    let y = [1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0];
    let p = [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1];
    let mut out = String::from("y_true,y_prob,grp\n");
    for ((g, y), p) in g.chars().zip(y).zip(p) {
        out.push_str(&format!("{y},{},{g}\n", if p == 1 { 0.9 } else { 0.1 }));
    }
    out
}

// reference: tests/reference/fairness_reference.py (fairlearn 0.15.0 on the rows of a and b, and
// with c and d relabelled `other`).
#[test]
fn metrics_leave_small_groups_out_or_pool_them() {
    let t = Test::new();
    t.file("p.csv", &f3_predictions());
    let json = |args: &[&str]| -> serde_json::Value {
        let r = t.run(&[&["metrics", "p.csv", "--group-col", "grp", "--json"][..], args].concat());
        r.ok();
        serde_json::from_str(&r.stdout).expect("json")
    };
    let close = |v: &serde_json::Value, key: &str, want: f64| {
        let got = v["fairness"][key].as_f64().unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-12, "{key}: {got} vs {want}");
    };
    let left_out = json(&["--min-group-size", "5"]);
    assert_eq!(left_out["fairness"]["small_groups"], serde_json::json!({"c": 3, "d": 2}));
    close(&left_out, "demographic_parity_difference", 0.2833333333333334);
    close(&left_out, "equalized_odds_difference", 0.3571428571428571);
    let pooled = json(&["--min-group-size", "5", "--pool-small-groups"]);
    assert_eq!(pooled["fairness"]["by_group"]["other"]["n"], 5);
    close(&pooled, "equalized_odds_difference", 0.8333333333333334);
    close(&pooled, "equal_opportunity_difference", 0.6071428571428571);
    // METRICS.md's default floor of 30 compares none of these groups.
    let default = json(&[]);
    assert_eq!(default["fairness"]["demographic_parity_difference"], serde_json::Value::Null);
    // The same seed gives the same intervals.
    assert_eq!(json(&["--min-group-size", "5", "--seed", "9"]), json(&["--min-group-size", "5", "--seed", "9"]));

    let r = t.run(&["metrics", "p.csv", "--group-col", "grp", "--min-group-size", "5", "--resamples", "200"]);
    r.ok();
    let fairness = &r.stdout[r.stdout.find("fairness by").expect("fairness section")..];
    insta::assert_snapshot!(fairness);
    let r = t.run(&["metrics", "p.csv", "--group-col", "grp", "--min-group-size", "0"]);
    r.code(2);
}

#[test]
fn metrics_errors_name_the_line_and_column() {
    let t = Test::new();
    t.file("p.csv", "y_true,y_prob\n1,0.2\n2,0.3\n");
    let r = t.run(&["metrics", "p.csv"]);
    r.code(2);
    insta::assert_snapshot!("metrics_bad_label_on_the_last_line", r.stderr);
    let r = t.run(&["metrics", "p.csv", "--prob-col", "score"]);
    r.code(2);
    insta::assert_snapshot!(r.stderr, @"error: p.csv: probability column `score` is not there; the columns are y_true, y_prob");
}

#[test]
fn predict_reproduces_the_validation_predictions_from_raw_data() {
    let t = Test::new();
    let m = t.manifest("small", &small_with_csv());
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let run = t.latest("small");
    let model = run.join("cohorts/lr_0.5/model.json");
    let data = run.join("data/data/validation.csv");
    let r = t.run(&["predict", model.to_str().expect("utf-8"), data.to_str().expect("utf-8"), "--out", "scored.csv"]);
    r.ok();
    let scored = std::fs::read_to_string(t.path().join("scored.csv")).expect("scored");
    let expected = std::fs::read_to_string(run.join("cohorts/lr_0.5/predictions.csv")).expect("predictions");
    // Same rows (the validation file's rows are numbered from 0 here), same probabilities, bit for bit.
    let probs = |text: &str, col: usize| -> Vec<String> {
        text.lines().skip(1).map(|l| l.split(',').nth(col).unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(probs(&scored, 1), probs(&expected, 2));
}

#[test]
fn predict_names_a_missing_column() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let model = t.latest("small").join("cohorts/lr_0.5/model.json");
    t.file("raw.csv", "violation_count,severity_max\n0.5,0.5\n");
    let r = t.run(&["predict", model.to_str().expect("utf-8"), "raw.csv"]);
    r.code(2);
    assert!(r.stderr.contains("the model needs column `recency_score`, which the data does not have"), "{}", r.stderr);
    t.file("bad.json", "{\"format_version\": 1}");
    let r = t.run(&["predict", "bad.json", "raw.csv"]);
    r.code(2);
    assert!(r.stderr.contains("not a nethical model.json"), "{}", r.stderr);
}

#[test]
fn run_dry_run_prints_the_plan_and_runs_nothing() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    let dry = t.run(&["run", "-n", m]);
    dry.ok();
    let plan = t.run(&["plan", m]);
    plan.ok();
    assert_eq!(dry.stdout, plan.stdout);
    assert!(dry.stdout.contains("run") && dry.stdout.contains("new"), "{}", dry.stdout);
    assert!(!t.path().join("runs").exists(), "a dry run makes no run folder");
    assert!(!t.path().join("pipelines/small.lock").exists(), "nor a lockfile");
    assert!(!t.path().join(".nethical/cache").exists(), "nor a cache");
    // After a real run, the dry run says everything is cached, and `--force` what would rerun.
    t.run(&["run", m]).ok();
    let cached = t.run(&["run", "--dry-run", m]);
    cached.ok();
    assert!(!cached.stdout.contains(" new"), "{}", cached.stdout);
    assert_eq!(t.run_dirs("small").len(), 1, "still one run");
    let forced = t.run(&["run", "-n", "-f", "--json", m]);
    forced.ok();
    let json: serde_json::Value = serde_json::from_str(&forced.stdout).expect("plan JSON");
    assert!(json.to_string().contains("forced"), "{json}");
}

#[test]
fn completions_cover_every_subcommand() {
    let t = Test::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = t.run(&["completions", shell]);
        r.ok();
        for command in ["run", "plan", "gc", "audit", "completions"] {
            assert!(r.stdout.contains(command), "{shell} completions lack `{command}`");
        }
    }
    let r = t.run(&["completions", "tcsh"]);
    r.code(2);
    assert!(r.stderr.contains("invalid value 'tcsh'"), "{}", r.stderr);
}

/// A bad value in a predictions file is shown where it is: the file, line and column, the line
/// with a line of context, and what the column holds.
#[test]
fn a_bad_value_in_a_predictions_file_is_shown_in_its_line() {
    let t = Test::new();
    t.file("p.csv", "y_true,y_prob\n1,0.9\n0,0.2\n1,1.7\n0,0.1\n1,0.8\n");
    let r = t.run(&["metrics", "p.csv"]);
    r.code(2);
    insta::assert_snapshot!(r.stderr);
}
