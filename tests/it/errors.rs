//! Every user-facing error of the runner: exit code and exact rendering (snapshots), and
//! nothing written.

use crate::common::{SMALL, Test, scrub};

fn invalid(manifest: &str, args: &[&str]) -> String {
    let t = Test::new();
    let m = t.manifest("m", manifest);
    let mut all = vec!["run", m.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    let r = t.run(&all);
    r.code(2);
    assert!(!t.path().join("runs").exists(), "an invalid manifest wrote a run folder");
    assert!(!t.path().join(".nethical").exists(), "an invalid manifest wrote to the cache");
    assert!(!t.path().join("pipelines/m.lock").exists(), "an invalid manifest wrote a lockfile");
    scrub(&r.stderr)
}

#[test]
fn missing_manifest() {
    let t = Test::new();
    let r = t.run(&["run", "pipelines/nope.toml"]);
    r.code(2);
    insta::assert_snapshot!(r.stderr, @"error: cannot read manifest `pipelines/nope.toml`: No such file or directory (os error 2)");
}

#[test]
fn unreadable_manifest() {
    let t = Test::new();
    std::fs::create_dir_all(t.path().join("pipelines/dir.toml")).expect("mkdir");
    let r = t.run(&["validate", "pipelines/dir.toml"]);
    r.code(2);
    insta::assert_snapshot!(r.stderr, @"error: cannot read manifest `pipelines/dir.toml`: Is a directory (os error 21)");
}

#[test]
fn invalid_toml() {
    insta::assert_snapshot!(invalid("[pipeline]\nname = \"x\"\nseed = \n", &[]));
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let m = SMALL.replace("seed = 7", "seeed = 7").replace("epochs = 5", "epoch = 5");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn wrong_types() {
    let m = SMALL.replace("epochs = 5", "epochs = \"five\"").replace("num_samples = 600", "num_samples = -3");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn unknown_stage_in_needs() {
    let m = SMALL.replace("needs = [\"train\"]", "needs = [\"trian\"]");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn unknown_and_unsupported_kinds() {
    // Every kind of the design runs in this version, so only the unknown one is refused.
    let m = SMALL.replace("kind = \"gate\"", "kind = \"gaet\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn optimize_spaces_must_be_valid_train_parameters() {
    let m = format!(
        "{SMALL}\n[stages.search]\nkind = \"optimize\"\nneeds = [\"data\"]\nmodel = \"logistic\"\nspace = {{ learning_rate = {{ min = 0.0, max = 1.0, log = true }} }}\n\n[stages.search2]\nkind = \"optimize\"\nneeds = [\"data\"]\nmodel = \"logistic\"\nspace = {{ max_depth = [2, 4] }}\n"
    );
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn phase3_needs_a_train_stage_and_a_safe_storage_dir() {
    let m =
        format!("{SMALL}\n[stages.governance]\nkind = \"phase3\"\nneeds = [\"data\"]\nstorage_dir = \"../outside\"\n");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn unknown_model_type() {
    let m = SMALL.replace("model = \"logistic\"", "model = \"logistc\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn model_specific_keys_go_with_their_model() {
    let m = SMALL.replace("epochs = 5", "epochs = 5\nmax_depth = 3");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn epochs_on_a_correlation_stage_asks_for_rounds() {
    let m = SMALL.replace("model = \"logistic\"", "model = \"correlation\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn unknown_matrix_variable() {
    let m = SMALL.replace("\"${matrix.learning_rate}\"", "\"${matrix.learning_rat}\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn cycle_names_every_stage_in_order() {
    let m = r#"[pipeline]
name = "cyc"

[stages.data]
kind = "load"
source = { synthetic = {} }

[stages.a]
kind = "train"
needs = ["data", "c"]
model = "logistic"

[stages.b]
kind = "gate"
needs = ["a"]

[stages.c]
kind = "gate"
needs = ["b"]
"#;
    insta::assert_snapshot!(invalid(m, &[]));
}

#[test]
fn out_of_range_values() {
    let m = SMALL
        .replace("train_ratio = 0.75", "train_ratio = 1.5")
        .replace("kind = \"gate\"", "kind = \"gate\"\nmin_accuracy = 85");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn cohort_names_cannot_escape_the_run_folder() {
    let m = SMALL.replace("cohort = \"lr_${matrix.learning_rate}\"", "cohort = \"../lr_${matrix.learning_rate}\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn duplicate_cohorts() {
    let m = SMALL.replace("cohort = \"lr_${matrix.learning_rate}\"", "cohort = \"same\"");
    insta::assert_snapshot!(invalid(&m, &[]));
}

#[test]
fn bad_set_override_points_at_the_flag() {
    insta::assert_snapshot!(invalid(SMALL, &["--set", "stages.train.epochs=lots"]));
}

#[test]
fn malformed_set_flag() {
    insta::assert_snapshot!(invalid(SMALL, &["--set", "stages.train.epochs"]), @"error: invalid override `stages.train.epochs`: expected KEY=VALUE");
}

#[test]
fn bad_environment_override_points_at_the_variable() {
    let t = Test::new().env("NETHICAL_STAGES__DATA__SPLIT__TRAIN_RATIO", "0");
    let m = t.manifest("m", SMALL);
    let r = t.run(&["validate", m.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!(scrub(&r.stderr));
}

#[test]
fn zero_jobs() {
    let t = Test::new();
    let m = t.manifest("m", SMALL);
    let r = t.run(&["run", "-j", "0", m.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn bad_source_date_epoch() {
    let t = Test::new().env("SOURCE_DATE_EPOCH", "yesterday");
    let m = t.manifest("m", SMALL);
    let r = t.run(&["run", m.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!(r.stderr, @"error: SOURCE_DATE_EPOCH must be a Unix time in whole seconds, found `yesterday`");
}

#[test]
fn unwritable_runs_dir() {
    let t = Test::new();
    let m = t.manifest("m", SMALL);
    t.file("blocked", "a file where the runs folder should be");
    let r = t.run(&["run", "--runs-dir", "blocked", m.to_str().expect("utf-8")]);
    r.code(3);
    insta::assert_snapshot!(r.stderr, @"error: cannot create folder `blocked/small`: Not a directory (os error 20)");
}

#[test]
fn validate_json_lists_every_error_with_line_and_column() {
    let t = Test::new();
    let m =
        t.manifest("m", &SMALL.replace("seed = 7", "seeed = 7").replace("needs = [\"train\"]", "needs = [\"trian\"]"));
    let r = t.run(&["validate", "--json", m.to_str().expect("utf-8")]);
    r.code(2);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    insta::assert_json_snapshot!(v);
}

#[test]
fn executor_settings_are_checked_where_they_are_written() {
    let m = SMALL.replace("epochs = 5", "epochs = 5\nresources = { cpus = 0, mem = \"4GB\", time = \"1h\" }")
        + "\n[executor]\nkind = \"slurn\"\npoll_interval = 0\n";
    insta::assert_snapshot!(invalid(&m, &[]));
}
