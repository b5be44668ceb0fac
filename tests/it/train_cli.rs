//! `nethical train`: the original trainer's flags.

use crate::common::{Test, scrub};

#[test]
fn logistic_with_the_original_flags_trains_gates_and_exports() {
    let t = Test::new();
    let r = t.run(&[
        "train",
        "--model-type",
        "logistic",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--num-samples",
        "400",
        "--no-download",
    ]);
    r.ok();
    insta::assert_snapshot!(scrub(&r.stdout));
    let exported: Vec<String> = ["current", "candidates"]
        .iter()
        .flat_map(|d| std::fs::read_dir(t.path().join("models").join(d)).into_iter().flatten().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(exported.len(), 2, "model and metrics, named like the original's: {exported:?}");
    assert!(exported.iter().any(|n| n == "logistic_model_20231114T221320Z.json"), "{exported:?}");
    let model = t.read_json(&t.latest("train").join("cohorts/logistic/model.json"));
    assert_eq!(model["model"]["params"]["epochs"], 3, "--epochs takes effect");
    assert_eq!(model["model"]["params"]["batch_size"], 16, "--batch-size takes effect");
}

#[test]
fn flags_of_later_stages_are_refused_not_ignored() {
    let t = Test::new();
    for flag in ["--enable-phase89", "--enable-governance"] {
        let r = t.run(&["train", "--model-type", "logistic", "--no-download", flag]);
        r.code(2);
        assert!(r.stderr.contains("is not yet supported by nethical"), "{flag}: {}", r.stderr);
    }
    let r = t.run(&["train", "--model-type", "deepfake", "--no-download"]);
    r.code(2);
    assert_eq!(
        r.stderr,
        "error: model type `deepfake` has no implementation (the original lists it but never implemented it)\n"
    );
    let r = t.run(&["train", "--model-type", "logistic", "--train-ratio", "1.5", "--no-download"]);
    r.code(2);
    assert_eq!(r.stderr, "error: --train-ratio must be strictly between 0 and 1, found 1.5\n");
}

#[test]
fn without_no_download_it_says_the_data_is_synthetic() {
    let t = Test::new();
    let r = t.run(&["train", "--model-type", "logistic", "--epochs", "1", "--num-samples", "100"]);
    r.ok();
    assert!(r.stderr.starts_with("warning: no --kaggle-dataset given, so training on synthetic data"), "{}", r.stderr);
}

#[test]
fn correlation_keeps_its_rounds_when_epochs_is_given_and_says_so() {
    let t = Test::new();
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--model-type", "correlation", "--num-samples", "300", "--no-download"];
        args.extend_from_slice(extra);
        let r = t.run(&args);
        r.ok();
        let model = t.read_json(&t.latest("train").join("cohorts/correlation/model.json"));
        // The note, then the run's progress.
        let notes: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("note: ")).collect();
        (notes.join("\n"), model["model"]["params"]["n_trees"].clone())
    };
    let (stderr, rounds) = train(&["--epochs", "3"]);
    assert_eq!(stderr, "note: correlation does not use --epochs: it boosts --rounds trees (100, the default)");
    assert_eq!(rounds, 100);
    let (stderr, rounds) = train(&["--epochs", "3", "--rounds", "20"]);
    assert_eq!(stderr, "note: correlation does not use --epochs: it boosts --rounds trees (20)");
    assert_eq!(rounds, 20);
    let (stderr, rounds) = train(&["--rounds", "7"]);
    assert_eq!((stderr.as_str(), rounds), ("", serde_json::json!(7)));
    let r = t.run(&["train", "--model-type", "logistic", "--rounds", "7", "--num-samples", "300", "--no-download"]);
    r.ok();
    assert!(
        r.stderr.starts_with("note: --rounds only applies to --model-type correlation; it is not used here\n"),
        "{}",
        r.stderr
    );
}
