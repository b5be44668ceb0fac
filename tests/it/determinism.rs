//! Same manifest and seed → byte-identical artifacts at any `-j`, cached or not.

use crate::common::{SMALL, Test, tree};

#[test]
fn j1_and_j4_write_identical_bytes_with_and_without_the_cache() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "-j", "1", "--runs-dir", "r1", "--cache-dir", "c1", m]).ok();
    t.run(&["run", "-j", "4", "--runs-dir", "r4", "--cache-dir", "c4", m]).ok();
    t.run(&["run", "-j", "4", "--runs-dir", "rc", "--cache-dir", "c1", m]).ok();
    let one = tree(&t.path().join("r1/small/latest"));
    let four = tree(&t.path().join("r4/small/latest"));
    let cached = tree(&t.path().join("rc/small/latest"));
    assert!(one.len() > 10);
    assert_eq!(one.keys().collect::<Vec<_>>(), four.keys().collect::<Vec<_>>());
    for (path, bytes) in &one {
        assert!(four[path] == *bytes, "{path} differs between -j 1 and -j 4");
        assert!(cached[path] == *bytes, "{path} differs between computed and cached");
    }
    let id = |d: &str| std::fs::read_link(t.path().join(d).join("small/latest")).expect("link");
    assert_eq!(id("r1"), id("r4"), "same manifest and SOURCE_DATE_EPOCH give the same run id");
}

#[test]
fn a_different_seed_changes_the_data_and_the_models() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "--runs-dir", "a", m]).ok();
    t.run(&["run", "--runs-dir", "b", m, "--set", "pipeline.seed=8"]).ok();
    let a = tree(&t.path().join("a/small/latest"));
    let b = tree(&t.path().join("b/small/latest"));
    assert_ne!(a["data/data/train.npy"], b["data/data/train.npy"]);
    assert!(!a.contains_key("data/data/train.csv"), "CSV parts only with `export_csv`");
    assert_ne!(a["cohorts/lr_0.5/model.json"], b["cohorts/lr_0.5/model.json"]);
}

/// The boosted trees spread their work over the instance's threads: the bytes must not move.
const BOOSTED: &str = r#"[pipeline]
name = "boosted"
seed = 3

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 30000 } }

[stages.train]
kind = "train"
needs = ["data"]
model = "correlation"
matrix = { algorithm = ["hist", "exact"] }
algorithm = "${matrix.algorithm}"
rounds = 15
subsample = 0.8
cohort = "${matrix.algorithm}"
"#;

#[test]
fn boosted_trees_are_byte_identical_at_j1_and_j2() {
    let t = Test::new();
    let m = t.manifest("boosted", BOOSTED);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "-j", "1", "--runs-dir", "r1", "--cache-dir", "c1", m]).ok();
    t.run(&["run", "-j", "2", "--runs-dir", "r2", "--cache-dir", "c2", m]).ok();
    let one = tree(&t.path().join("r1/boosted/latest"));
    let two = tree(&t.path().join("r2/boosted/latest"));
    assert!(one.contains_key("cohorts/hist/model.json") && one.contains_key("cohorts/exact/model.json"));
    assert_eq!(one.keys().collect::<Vec<_>>(), two.keys().collect::<Vec<_>>());
    for (path, bytes) in &one {
        assert!(two[path] == *bytes, "{path} differs between -j 1 and -j 2");
    }
}

/// The transformer on a small table with text columns (one token per raw column, the one-hot
/// groups included), each batch spread over the instance's threads.
const TRANSFORMER: &str = r#"[pipeline]
name = "credit"
seed = 5

[stages.data]
kind = "load"
split = { strategy = "stratified", train_ratio = 0.8 }
export_csv = true

[stages.data.source.csv]
path = "../examples/data/german_credit.csv"
label = "risk"
group = "sex"

[stages.train]
kind = "train"
needs = ["data"]
model = "simple_transformer"
epochs = 3
batch_size = 40
cohort = "ft"
"#;

#[test]
fn the_transformer_is_byte_identical_at_j1_and_j2_and_predict_reproduces_it() {
    let t = Test::new();
    let data = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/german_credit.csv"),
    )
    .expect("example data");
    t.file("examples/data/german_credit.csv", &data);
    let m = t.manifest("credit", TRANSFORMER);
    let m = m.to_str().expect("utf-8");
    let r = t.run(&["run", "-j", "1", "--runs-dir", "r1", "--cache-dir", "c1", m]);
    r.ok();
    // Epoch progress is drawn on a terminal's bar only, never printed into a log.
    assert!(!r.stderr.contains("epoch"), "{}", r.stderr);
    t.run(&["run", "-j", "2", "--runs-dir", "r2", "--cache-dir", "c2", m]).ok();
    let one = tree(&t.path().join("r1/credit/latest"));
    let two = tree(&t.path().join("r2/credit/latest"));
    assert_eq!(one.keys().collect::<Vec<_>>(), two.keys().collect::<Vec<_>>());
    for (path, bytes) in &one {
        assert!(two[path] == *bytes, "{path} differs between -j 1 and -j 2");
    }

    let run = t.path().join("r1/credit/latest");
    let model = t.read_json(&run.join("cohorts/ft/model.json"));
    // job, housing, saving_accounts, checking_account, credit_amount, duration, purpose, age.
    let tokens = model["model"]["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), 8, "{tokens:?}");
    assert!(tokens.iter().filter(|token| token.get("one_hot").is_some()).count() >= 4, "{tokens:?}");

    let validation = run.join("data/data/validation.csv");
    let saved = run.join("cohorts/ft/model.json");
    let args = ["predict", saved.to_str().expect("utf-8"), validation.to_str().expect("utf-8"), "--out", "scored.csv"];
    t.run(&args).ok();
    let scored = std::fs::read_to_string(t.path().join("scored.csv")).expect("scored");
    let expected = std::fs::read_to_string(run.join("cohorts/ft/predictions.csv")).expect("predictions");
    let probabilities = |text: &str, column: usize| -> Vec<String> {
        text.lines().skip(1).map(|l| l.split(',').nth(column).unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(probabilities(&scored, 1), probabilities(&expected, 2));

    // A model.json of the first transformer layout (version 1, no tokens) names its fix.
    let mut old = model;
    old["model"]["format_version"] = serde_json::json!(1);
    old["model"].as_object_mut().expect("model").remove("tokens");
    t.file("old.json", &old.to_string());
    let r = t.run(&["predict", "old.json", validation.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!(r.stderr);
}
