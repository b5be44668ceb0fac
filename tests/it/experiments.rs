//! `nethical runs --table` (runs × cohorts × parameters × metrics) and `nethical compare` of
//! more than two runs, through the binary.

use std::fs;

use crate::common::{SMALL, Test};

/// Three runs of `SMALL` at 5, 1 and 2 epochs (distinct clocks, so distinct run ids); their
/// folder names, oldest first.
fn three_runs(t: &Test) -> Vec<String> {
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    let mut names = Vec::new();
    for (clock, epochs) in [("1700000000", "5"), ("1700000100", "1"), ("1700000200", "2")] {
        t.run_with(&[("SOURCE_DATE_EPOCH", clock)], &["run", m, "--set", &format!("stages.train.epochs={epochs}")])
            .ok();
        let latest = fs::read_link(t.path().join("runs/small/latest")).expect("latest");
        names.push(latest.file_name().expect("name").to_string_lossy().into_owned());
    }
    names
}

#[test]
fn runs_table_shows_differing_parameters_and_headline_metrics_sorted_and_filtered() {
    let t = Test::new();
    let names = three_runs(&t);
    let r = t.run(&["runs", "--table", "--sort", "-accuracy", "--json"]);
    r.ok();
    let table: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(table["columns"], serde_json::json!(["epochs", "learning_rate"]), "only what differs");
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 6, "3 runs × 2 cohorts");
    let acc: Vec<f64> = rows.iter().map(|r| r["metrics"]["accuracy"].as_f64().expect("accuracy")).collect();
    assert!(acc.windows(2).all(|w| w[0] >= w[1]), "descending: {acc:?}");
    let first = &rows[0];
    let metrics = t.read_json(
        &t.path()
            .join("runs/small")
            .join(first["run_id"].as_str().expect("id"))
            .join("cohorts")
            .join(first["cohort"].as_str().expect("cohort"))
            .join("metrics.json"),
    );
    assert_eq!(first["metrics"]["accuracy"], metrics["accuracy"], "the numbers of metrics.json");
    assert_eq!(first["metrics"]["roc_auc"], metrics["roc_auc"]);
    assert!(rows.iter().all(|r| r["gate"].as_str().is_some_and(|g| g.starts_with("PASS") || g.starts_with("FAIL: "))));

    let md = t.run(&["runs", "small", "--table", "--where", "learning_rate=0.5", "--where", "epochs=1", "--md"]);
    md.ok();
    assert_eq!(md.stdout.lines().count(), 3, "header, rule, one row: {}", md.stdout);
    assert!(
        md.stdout.starts_with("| run | cohort | accuracy | roc_auc | ece | gate |\n"),
        "nothing differs: {}",
        md.stdout
    );
    assert!(md.stdout.contains(&format!("| small/{} | lr_0.5 |", names[1])), "{}", md.stdout);

    let csv = t.run(&["runs", "--table", "--csv", "--sort", "epochs"]);
    csv.ok();
    let mut lines = csv.stdout.lines();
    assert_eq!(lines.next(), Some("run,cohort,epochs,learning_rate,accuracy,roc_auc,ece,gate"));
    assert!(
        lines.next().is_some_and(|l| l.starts_with(&format!("small/{},lr_0.1,1,0.1,", names[1]))),
        "{}",
        csv.stdout
    );

    let text = t.run(&["runs", "--table", "--sort", "-accuracy"]);
    text.ok();
    insta::assert_snapshot!(text.stdout);

    let bad = t.run(&["runs", "--table", "--where", "model"]);
    bad.code(2);
    assert!(bad.stderr.contains("`--where model` is not KEY=VALUE"), "{}", bad.stderr);
    let unknown = t.run(&["runs", "--table", "--sort", "-nope"]);
    unknown.code(2);
    assert!(unknown.stderr.contains("no column `nope` to sort by (columns: "), "{}", unknown.stderr);
}

#[test]
fn compare_takes_more_runs_each_against_the_first() {
    let t = Test::new();
    let names = three_runs(&t);
    let r = t.run(&["compare", &names[0], &names[1], &names[2], "--only-changed", "--json"]);
    r.ok();
    let diffs: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let diffs = diffs.as_array().expect("one diff per later run");
    assert_eq!(diffs.len(), 2);
    for (d, (b, epochs)) in diffs.iter().zip([(&names[1], 1), (&names[2], 2)]) {
        assert_eq!(d["a"], names[0].as_str());
        assert_eq!(d["b"], b.as_str());
        let c = &d["cohorts"][0];
        assert_eq!((c["params"]["epochs"]["a"].as_i64(), c["params"]["epochs"]["b"].as_i64()), (Some(5), Some(epochs)));
    }
    let md = t.run(&["compare", &names[0], &names[1], &names[2], "--md"]);
    md.ok();
    assert_eq!(md.stdout.matches("# A = ").count(), 2, "{}", md.stdout);
    // Two runs still print one object.
    let two: serde_json::Value =
        serde_json::from_str(&t.run(&["compare", &names[0], &names[1], "--json"]).stdout).expect("json");
    assert_eq!(two["b"], names[1].as_str());
    let one = t.run(&["compare", &names[0]]);
    one.code(2);
}
