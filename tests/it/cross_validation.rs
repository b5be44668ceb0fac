//! k-fold cross-validation as a user runs it: `split = { strategy = "kfold", folds = k }`
//! makes one `load` instance per fold and one cohort per fold of every downstream instance,
//! and the report puts each configuration's folds back together (mean ± sd, and the
//! Nadeau–Bengio corrected t-test between configurations, whose arithmetic is held to scipy
//! by the unit tests of `metrics::compare::corrected_t`). Also: a file's split does not depend
//! on the name of its `load` stage.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::common::{Test, npy_row_ids, scrub};

fn german_credit(t: &Test) {
    let data = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/german_credit.csv"))
        .expect("german_credit.csv");
    t.file("data/german_credit.csv", &data);
}

fn manifest(load: &str, split: &str) -> String {
    format!(
        r#"[pipeline]
name = "cv"
seed = 7

[stages.{load}]
kind = "load"
split = {split}

[stages.{load}.source.csv]
path = "../data/german_credit.csv"
label = "risk"
group = "sex"

[stages.train]
kind = "train"
needs = ["{load}"]
matrix = {{ model = ["logistic", "correlation"] }}
model = "${{matrix.model}}"
cohort = "${{matrix.model}}"
epochs = 20

[stages.report]
kind = "report"
needs = ["train"]
resamples = 200
"#
    )
}

#[test]
fn kfold_makes_a_cohort_per_fold_and_the_report_gathers_them() {
    let t = Test::new();
    german_credit(&t);
    t.manifest("cv", &manifest("data", r#"{ strategy = "kfold", folds = 3 }"#));
    let plan = t.run(&["plan", "pipelines/cv.toml"]);
    plan.ok();
    for id in ["data[fold=1]", "data[fold=3]", "train[fold=2,model=logistic]", "train[fold=3,model=correlation]"] {
        assert!(plan.stdout.contains(id), "{id} in\n{}", plan.stdout);
    }
    assert!(plan.stdout.contains("logistic_fold2"), "cohorts name their fold:\n{}", plan.stdout);
    t.run(&["run", "pipelines/cv.toml"]).ok();
    let run = t.latest("cv");

    // The folds' validation parts partition the 1000 rows; no row trains and validates at once.
    let mut validated: Vec<u64> = Vec::new();
    for fold in 1..=3 {
        let dir = run.join(format!("data/data_fold_{fold}"));
        let dataset = t.read_json(&dir.join("dataset.json"));
        assert_eq!(dataset["split"]["strategy"], "kfold");
        assert_eq!((dataset["split"]["folds"].as_u64(), dataset["split"]["fold"].as_u64()), (Some(3), Some(fold)));
        assert!(dataset["split"].get("train_ratio").is_none(), "{}", dataset["split"]);
        let train: BTreeSet<u64> = npy_row_ids(&dir.join("train_rows.npy")).into_iter().collect();
        let validation = npy_row_ids(&dir.join("validation_rows.npy"));
        assert!(validation.iter().all(|r| !train.contains(r)), "fold {fold} trains on a validation row");
        assert_eq!(train.len() + validation.len(), 1000);
        validated.extend(validation);
    }
    validated.sort_unstable();
    assert_eq!(validated, (0..1000).collect::<Vec<u64>>(), "every row validates exactly once");

    let report = t.read_json(&run.join("report/comparison.json"));
    let cv = &report["cross_validation"];
    assert_eq!(cv["folds"], 3);
    let arms = cv["arms"].as_array().expect("arms");
    assert_eq!(
        arms.iter().map(|a| a["arm"].as_str().unwrap_or_default()).collect::<Vec<_>>(),
        ["logistic", "correlation"]
    );
    // Each arm's values are its cohorts' metrics.json figures; the mean and sd are theirs.
    let metric = |cohort: &str, name: &str| -> f64 {
        let m = t.read_json(&run.join(format!("cohorts/{cohort}/metrics.json")));
        m[name].as_f64().expect("metric")
    };
    let mut accuracy = Vec::new();
    for arm in arms {
        let name = arm["arm"].as_str().unwrap_or_default();
        let values: Vec<f64> = (1..=3).map(|k| metric(&format!("{name}_fold{k}"), "accuracy")).collect();
        let got: Vec<f64> = arm["metrics"]["accuracy"]["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        for (g, w) in got.iter().zip(&values) {
            assert!((g - w).abs() < 1e-12, "{name}: {got:?} vs metrics.json {values:?}");
        }
        let mean = values.iter().sum::<f64>() / 3.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((arm["metrics"]["accuracy"]["mean"].as_f64().unwrap_or_default() - mean).abs() < 1e-12);
        assert!((arm["metrics"]["accuracy"]["sd"].as_f64().unwrap_or_default() - sd).abs() < 1e-12);
        accuracy.push(values);
    }
    // The pair's test is over the per-fold differences with n_test/n_train from the folds.
    let pair = &cv["comparisons"][0];
    assert_eq!((pair["a"].as_str(), pair["b"].as_str()), (Some("logistic"), Some("correlation")));
    let test = &pair["tests"]["accuracy"];
    let mean_difference = (0..3).map(|k| accuracy[1][k] - accuracy[0][k]).sum::<f64>() / 3.0;
    assert!((test["mean_difference"].as_f64().unwrap_or_default() - mean_difference).abs() < 1e-12);
    // 1000 rows in 3 folds: 334, 333, 333 validate; the rest train.
    let ratio = (1000.0 / 3.0) / (2000.0 / 3.0);
    assert!((test["test_train_ratio"].as_f64().unwrap_or_default() - ratio).abs() < 1e-12, "{test}");
    assert_eq!(test["df"], 2);
    let sentence = pair["sentences"]["accuracy"].as_str().unwrap_or_default();
    assert!(sentence.ends_with("(corrected t-test over 3 folds)"), "{sentence}");
    // Shown in both views, before the per-cohort tables.
    let md = fs::read_to_string(run.join("report/comparison.md")).expect("md");
    let cv_at = md.find("## Cross-validation").expect("a cross-validation section");
    assert!(cv_at < md.find("## Performance").expect("performance"), "the configurations come before single folds");
    assert!(
        md[..cv_at].contains("## Decision")
            && md.contains("choose between configurations by their mean over the folds"),
        "{md}"
    );
    assert!(md.contains("| logistic | logistic | 3 |"), "{md}");
    let html = fs::read_to_string(run.join("report/comparison.html")).expect("html");
    assert!(html.contains("<h2>Cross-validation</h2>"));

    // Provenance: each cohort names its fold's data, the file's digest and its train key.
    let run_json = t.read_json(&run.join("run.json"));
    let cohort = report["cohorts"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["cohort"] == "correlation_fold2"))
        .expect("correlation_fold2");
    let provenance = &cohort["provenance"];
    let dataset = t.read_json(&run.join("data/data_fold_2/dataset.json"));
    assert_eq!(provenance["data"]["instance"], "data[fold=2]");
    assert_eq!(provenance["data"]["source"]["sha256"], dataset["data"]["sha256"]);
    assert_eq!(provenance["data"]["split"], dataset["split"]);
    let key = run_json["instances"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["id"] == "train[fold=2,model=correlation]"))
        .map(|i| i["key"].clone())
        .expect("the train instance in run.json");
    assert_eq!(provenance["train_key"], key);
    let sha = dataset["data"]["sha256"].as_str().expect("sha256");
    let line = format!(
        "- `correlation_fold2`: `data[fold=2]`: CSV `../data/german_credit.csv` (SHA-256 {}…), 1000 rows · fold 2 of 3: train 667, validation 333",
        &sha[..12]
    );
    assert!(md.contains("## Provenance") && md.contains(&line), "{line}\nin\n{md}");
    assert!(html.contains("<h2>Provenance</h2>"));
}

#[test]
fn a_file_splits_the_same_whatever_its_load_stage_is_called() {
    for split in [r#"{ strategy = "random", train_ratio = 0.7 }"#, r#"{ strategy = "kfold", folds = 4 }"#] {
        let t = Test::new();
        german_credit(&t);
        t.manifest("a", &manifest("data", split));
        t.manifest("b", &manifest("credit_rows", split).replace("name = \"cv\"", "name = \"cv_b\""));
        for m in ["pipelines/a.toml", "pipelines/b.toml"] {
            t.run(&["run", m, "--set", "stages.train.matrix.model=[\"logistic\"]"]).ok();
        }
        let (a, b) = (t.latest("cv"), t.latest("cv_b"));
        let first = if split.contains("kfold") {
            ["data/data_fold_2", "data/credit_rows_fold_2"]
        } else {
            ["data/data", "data/credit_rows"]
        };
        for part in ["train.npy", "train_rows.npy", "validation.npy", "validation_rows.npy", "categories.json"] {
            let x = fs::read(a.join(first[0]).join(part)).expect("a");
            let y = fs::read(b.join(first[1]).join(part)).expect("b");
            assert!(x == y, "{split}: `{part}` differs between the two stage names");
        }
    }
}

#[test]
fn kfold_mistakes_are_reported_at_their_key() {
    let t = Test::new();
    german_credit(&t);
    let cases = [
        ("train_ratio", r#"{ strategy = "kfold", folds = 5, train_ratio = 0.8 }"#),
        ("one_fold", r#"{ strategy = "kfold", folds = 1 }"#),
        ("folds_without_kfold", r#"{ strategy = "random", folds = 5 }"#),
    ];
    let mut shown = String::new();
    for (name, split) in cases {
        t.manifest(name, &manifest("data", split));
        let r = t.run(&["validate", &format!("pipelines/{name}.toml")]);
        r.code(2);
        shown.push_str(&format!("--- {name}\n{}", scrub(&r.stderr)));
    }
    let reserved = manifest("data", r#"{ strategy = "kfold" }"#).replace(
        "matrix = { model = [\"logistic\", \"correlation\"] }",
        "matrix = { model = [\"logistic\"], fold = [1, 2] }",
    );
    t.manifest("reserved", &reserved);
    let r = t.run(&["validate", "pipelines/reserved.toml"]);
    r.code(2);
    shown.push_str(&format!("--- reserved\n{}", scrub(&r.stderr)));
    insta::assert_snapshot!(shown);
}

/// The shipped `pipelines/fairness_audit.toml`, run as a user runs it (audit stage included):
/// five folds of three models on German credit, gated on accuracy lift and fairness gaps by
/// `sex`, and a report with the fairness section of every fold and the cross-validation
/// comparison.
#[test]
fn the_shipped_fairness_audit_reports_fairness_and_the_cross_validation() {
    let t = Test::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = fs::read_to_string(root.join("pipelines/fairness_audit.toml")).expect("pipeline");
    t.file("pipelines/fairness_audit.toml", &shipped);
    t.file(
        "examples/data/german_credit.csv",
        &fs::read_to_string(root.join("examples/data/german_credit.csv")).expect("data"),
    );
    t.run(&["run", "pipelines/fairness_audit.toml"]).ok();
    let run = t.latest("fairness_audit");
    let report = t.read_json(&run.join("report/comparison.json"));
    let cohorts = report["cohorts"].as_array().expect("cohorts");
    assert_eq!(cohorts.len(), 15, "3 models x 5 folds");
    for c in cohorts {
        let fairness = &c["fairness"];
        assert_eq!(fairness["group_column"], "sex", "{}", c["cohort"]);
        let criteria: Vec<&str> =
            c["gate"]["criteria"].as_array().expect("criteria").iter().filter_map(|k| k["metric"].as_str()).collect();
        for wanted in ["accuracy_lift", "demographic_parity_difference", "equalized_odds_difference"] {
            assert!(criteria.contains(&wanted), "{wanted} in {criteria:?}");
        }
    }
    let cv = &report["cross_validation"];
    assert_eq!(cv["folds"], 5);
    assert_eq!(cv["arms"].as_array().map(Vec::len), Some(3));
    assert_eq!(cv["comparisons"].as_array().map(Vec::len), Some(3));
    let md = fs::read_to_string(run.join("report/comparison.md")).expect("md");
    for section in ["## Cross-validation", "## Fairness", "## Gate"] {
        assert!(md.contains(section), "{section}");
    }
    t.run(&["audit", "verify", "runs/fairness_audit"]).ok();
}
