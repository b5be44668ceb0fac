//! The `report` stage through the binary: `comparison.json` valid against its committed
//! schema, the Markdown view (snapshot), intervals and A/B sentences on real cohorts.

use std::fs;
use std::path::Path;

use crate::common::{Test, memo_files};

const TWO_COHORTS: &str = r#"[pipeline]
name = "ab"
seed = 7

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 3000 } }
split = { strategy = "stratified", train_ratio = 0.7 }

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 5
matrix = { threshold = [0.5, 0.9] }
threshold = "${matrix.threshold}"
cohort = "t_${matrix.threshold}"

[stages.gate]
kind = "gate"
needs = ["train"]

[stages.report]
kind = "report"
needs = ["train", "gate"]
resamples = 500
"#;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_report_schema_is_fresh() {
    let generated = nethical::report::render_schema();
    let path = root().join("schemas/comparison.schema.json");
    if std::env::var_os("NETHICAL_UPDATE_SCHEMA").is_some() {
        fs::write(&path, &generated).expect("write schema");
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/comparison.schema.json is stale: run `NETHICAL_UPDATE_SCHEMA=1 cargo test --test it report` and commit it"
    );
}

#[test]
fn the_report_compares_cohorts_with_intervals_and_tests() {
    let t = Test::new();
    let m = t.manifest("ab", TWO_COHORTS);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let dir = t.latest("ab").join("report");
    let doc: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("comparison.json")).expect("json")).expect("json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join("schemas/comparison.schema.json")).expect("schema"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");

    let cohorts = doc["cohorts"].as_array().expect("cohorts");
    assert_eq!(cohorts.len(), 2);
    for c in cohorts {
        // Only what differs between the cohorts is listed.
        assert_eq!(
            c["params"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["threshold".to_owned()])
        );
        let metrics =
            t.read_json(&t.latest("ab").join("cohorts").join(c["cohort"].as_str().expect("name")).join("metrics.json"));
        let acc = &c["intervals"]["metrics"]["accuracy"];
        assert_eq!(acc["estimate"], metrics["accuracy"], "the same accuracy as metrics.json");
        // The same function on the same rows: equal, not merely close.
        for name in ["brier", "log_loss"] {
            assert_eq!(c["intervals"][name]["estimate"], metrics[name], "the same {name} as metrics.json");
            assert!(c["intervals"][format!("{name}_approximation_bound")].as_f64().is_some_and(|b| b > 0.0));
        }
        // The ECE sums per bin in another order than `metrics::calibration`: equal to rounding.
        let ece = c["intervals"]["ece"]["estimate"].as_f64().expect("ece");
        assert!((ece - metrics["ece"].as_f64().expect("ece")).abs() < 1e-12, "the same ECE as metrics.json");
        for interval in [acc, &c["intervals"]["ece"], &c["intervals"]["brier"], &c["intervals"]["log_loss"]] {
            let (e, lo, hi) = (
                interval["estimate"].as_f64().expect("estimate"),
                interval["ci"]["lo"].as_f64().expect("lo"),
                interval["ci"]["hi"].as_f64().expect("hi"),
            );
            assert!(lo <= e && e <= hi, "{interval}");
        }
        assert!(c["gate"]["decision"].is_string());
    }
    let pair = &doc["comparisons"][0];
    assert_eq!((pair["a"].as_str(), pair["b"].as_str()), (Some("t_0.5"), Some("t_0.9")));
    let sentence = pair["sentences"]["accuracy"].as_str().expect("sentence");
    assert!(sentence.contains("95% CI") && sentence.contains("p "), "{sentence}");
    let md = fs::read_to_string(dir.join("comparison.md")).expect("markdown");
    insta::assert_snapshot!(md);
    let html = fs::read_to_string(dir.join("comparison.html")).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(banned), "the page must be self-contained: found {banned}");
    }
    assert_eq!(
        html.matches("<figure class=\"chart\"><svg").count(),
        7,
        "4 dot-and-whisker charts, ROC curves, a reliability diagram per cohort"
    );
    assert_eq!(html.matches("<figure").count(), html.matches("<svg").count(), "every chart is an inline <svg>");
    assert!(html.contains("t_0.5 is more accurate than t_0.9"), "the sentences are there");
    let roc = doc["cohorts"][0]["roc"].as_array().expect("roc");
    assert_eq!(roc.first(), Some(&serde_json::json!([0.0, 0.0])));
    assert_eq!(roc.last(), Some(&serde_json::json!([1.0, 1.0])));
    assert!(roc.len() <= 102);
    let runs = t.run(&["runs"]);
    runs.ok();
    assert!(runs.stdout.contains("ab  ") && runs.stdout.contains("succeeded"), "{}", runs.stdout);
    assert!(runs.stdout.contains("2 cohorts; best accuracy 0.99"), "{}", runs.stdout);
    let listed: serde_json::Value = serde_json::from_str(&t.run(&["runs", "ab", "--json"]).stdout).expect("json");
    assert_eq!(
        listed[0]["cohorts"]["t_0.9"]["accuracy"],
        t.read_json(&t.latest("ab").join("cohorts/t_0.9/metrics.json"))["accuracy"]
    );
    // `nethical report` re-renders the view from the JSON alone.
    fs::remove_file(dir.join("comparison.md")).expect("remove");
    fs::remove_file(dir.join("comparison.html")).expect("remove");
    t.run(&["report", "runs/ab/latest"]).ok();
    assert_eq!(fs::read_to_string(dir.join("comparison.md")).expect("re-rendered"), md);
    assert_eq!(fs::read_to_string(dir.join("comparison.html")).expect("re-rendered"), html);
    crate::common::replace_file(&dir.join("comparison.json"), "{\"format_version\": 1}");
    let bad = t.run(&["report", "runs/ab/latest"]);
    bad.code(2);
    assert!(bad.stderr.contains("is not a comparison report"), "{}", bad.stderr);
}

#[test]
fn compare_two_runs_shows_what_changed_and_tests_it() {
    let t = Test::new();
    let m = t.manifest("ab", TWO_COHORTS);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let first = fs::read_link(t.path().join("runs/ab/latest")).expect("latest");
    let first = first.to_str().expect("utf-8").to_owned();
    t.run_with(&[("SOURCE_DATE_EPOCH", "1700086400")], &["run", m, "--set", "stages.train.epochs=1"]).ok();
    let r = t.run(&["compare", &first, "runs/ab/latest", "--only-changed", "--json"]);
    r.ok();
    let d: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(d["a"], first.as_str());
    let c = d["cohorts"].as_array().expect("cohorts").iter().find(|c| c["cohort"] == "t_0.5").expect("t_0.5");
    assert_eq!(c["params"]["epochs"]["a"], 5);
    assert_eq!(c["params"]["epochs"]["b"], 1);
    assert_eq!(c["params"]["epochs"]["delta"], -4.0);
    assert!(c["params"].get("threshold").is_none(), "unchanged parameters are left out: {c}");
    let acc = &c["metrics"]["accuracy"];
    let delta = acc["b"].as_f64().expect("b") - acc["a"].as_f64().expect("a");
    assert!((acc["delta"].as_f64().expect("delta") - delta).abs() < 1e-15);
    assert!(c["tests"]["accuracy"].as_str().is_some_and(|s| s.contains("p ")), "same rows, so tested: {c}");
    let md = t.run(&["compare", &first, "runs/ab/latest", "--md"]);
    md.ok();
    assert!(md.stdout.contains("| `epochs` | 5 | 1 | -4 |"), "{}", md.stdout);
    let missing = t.run(&["compare", "nope", "runs/ab/latest"]);
    missing.code(2);
    assert!(missing.stderr.contains("`nope` is neither a run folder nor a run id"), "{}", missing.stderr);
}

#[test]
fn the_views_show_the_run_and_the_audit_checkpoint_root() {
    let t = Test::new();
    let m =
        t.manifest("ab", &format!("{TWO_COHORTS}\n[stages.audit]\nkind = \"audit\"\nneeds = [\"gate\", \"report\"]\n"));
    let m = m.to_str().expect("utf-8");
    // A git repository with one commit, so the views name it.
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(t.path())
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    t.file(".gitignore", "runs/\n.nethical/\npipelines/*.lock\n");
    git(&["add", "."]);
    git(&["commit", "-qm", "pipeline"]);
    let head = String::from_utf8(
        std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(t.path())
            .output()
            .expect("git")
            .stdout,
    )
    .expect("utf-8");
    t.run(&["run", m]).ok();
    let run = t.latest("ab");
    let consistency = t.read_json(&run.join("audit/consistency.json"));
    let root = consistency["to"]["root"].as_str().expect("root");
    let size = consistency["to"]["size"].as_u64().expect("size");
    let md = fs::read_to_string(run.join("report/comparison.md")).expect("markdown");
    assert!(md.contains(&format!("- git commit: {}\n", head.trim())), "{md}");
    assert!(md.contains(&format!("checkpoint size {size}, root {root}")), "{md}");
    let html = fs::read_to_string(run.join("report/comparison.html")).expect("html");
    assert!(html.contains(root) && html.contains(head.trim()));
    // The views are the run's, not the stage's: the cache, lockfile and audit log record only
    // comparison.json.
    let lock = fs::read_to_string(t.path().join("pipelines/ab.lock")).expect("lockfile");
    assert!(lock.contains("report/comparison.json") && !lock.contains("report/comparison.md"), "{lock}");
    // A second run computes nothing, so it seals nothing: it shows the seal its results are
    // in, which the log still holds.
    t.run(&["run", m]).ok();
    let second = t.latest("ab");
    assert_ne!(second, run);
    let root2 = t.read_json(&second.join("audit/consistency.json"))["to"]["root"].as_str().expect("root").to_owned();
    assert_eq!(root2, root, "nothing appended");
    let md2 = fs::read_to_string(second.join("report/comparison.md")).expect("markdown");
    assert!(md2.contains(&root2), "{md2}");
}

#[test]
fn pairwise_tests_are_holm_adjusted_over_the_report() {
    let t = crate::common::Test::new();
    let m = t.manifest(
        "holm",
        r#"[pipeline]
name = "holm"
seed = 7
[stages.data]
kind = "load"
source = { synthetic = { num_samples = 600 } }
split = { strategy = "stratified", train_ratio = 0.75 }
[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
matrix = { learning_rate = [0.01, 0.1, 0.5] }
learning_rate = "${matrix.learning_rate}"
cohort = "lr_${matrix.learning_rate}"
[stages.report]
kind = "report"
needs = ["train"]
"#,
    );
    let r = t.run(&["run", m.to_str().expect("utf-8")]);
    r.ok();
    assert!(r.stderr.contains("significant accuracy difference after Holm's adjustment"), "{}", r.stderr);
    let report = t.read_json(&t.latest("holm").join("report/comparison.json"));
    let pairs = report["comparisons"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 3);
    let raw: Vec<f64> = pairs.iter().map(|p| p["comparison"]["mcnemar"]["p_value"].as_f64().expect("p")).collect();
    let adjusted: Vec<f64> = pairs.iter().map(|p| p["adjusted_p"]["accuracy"].as_f64().expect("adjusted")).collect();
    // Holm by hand: the k-th smallest (from 0) times 3 − k, running maximum, capped at 1.
    let mut order: Vec<usize> = (0..3).collect();
    order.sort_by(|&a, &b| raw[a].total_cmp(&raw[b]));
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((3 - k) as f64 * raw[i]).min(1.0));
        assert!((adjusted[i] - running).abs() < 1e-15, "pair {i}: {} vs {running}", adjusted[i]);
    }
    for p in pairs {
        let sentence = p["sentences"]["accuracy"].as_str().expect("sentence");
        assert!(sentence.contains("Holm-adjusted p") && sentence.ends_with("over 3 tests"), "{sentence}");
    }
}

/// Beyond `max_pairs`, each cohort is tested against the first only, and every view says how
/// many pairs were left out (1,000 cohorts would otherwise make 499,500 tests).
#[test]
fn beyond_max_pairs_each_cohort_is_tested_against_the_first() {
    let t = crate::common::Test::new();
    let m = t.manifest(
        "many",
        r#"[pipeline]
name = "many"
seed = 7
[stages.data]
kind = "load"
source = { synthetic = { num_samples = 600 } }
split = { strategy = "stratified", train_ratio = 0.75 }
[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 2
matrix = { learning_rate = [0.01, 0.1, 0.5, 1.0] }
learning_rate = "${matrix.learning_rate}"
cohort = "lr_${matrix.learning_rate}"
[stages.report]
kind = "report"
needs = ["train"]
max_pairs = 3
"#,
    );
    let r = t.run(&["run", m.to_str().expect("utf-8")]);
    r.ok();
    assert!(
        r.stderr.contains("3 A/B comparisons (") && r.stderr.contains("3 more pairs left out by `max_pairs`"),
        "{}",
        r.stderr
    );
    let report = t.read_json(&t.latest("many").join("report/comparison.json"));
    let pairs = report["comparisons"].as_array().expect("pairs");
    let named: Vec<(&str, &str)> =
        pairs.iter().map(|p| (p["a"].as_str().unwrap_or_default(), p["b"].as_str().unwrap_or_default())).collect();
    assert_eq!(named, [("lr_0.01", "lr_0.1"), ("lr_0.01", "lr_0.5"), ("lr_0.01", "lr_1.0")]);
    assert_eq!(report["omitted_pairs"], 3);
    let md = std::fs::read_to_string(t.latest("many").join("report/comparison.md")).expect("md");
    assert!(
        md.contains("6 pairs of cohorts scored on the same rows exceed the report's `max_pairs`: each cohort is tested against `lr_0.01` only, and 3 pairs are left untested"),
        "{md}"
    );
    // Within the limit nothing is left out and the field is absent.
    let r = t.run(&["run", m.to_str().expect("utf-8"), "--set", "stages.report.max_pairs=6"]);
    r.ok();
    let report = t.read_json(&t.latest("many").join("report/comparison.json"));
    assert_eq!(report["comparisons"].as_array().map(Vec::len), Some(6));
    assert!(report.get("omitted_pairs").is_none());
}

/// Three cohorts whose learning rates are `rates`, and the report.
fn three_cohorts(rates: &str) -> String {
    crate::common::cohorts_by_rate(
        "memo",
        5,
        rates,
        "[stages.report]\nkind = \"report\"\nneeds = [\"train\"]\nresamples = 300\n",
    )
}

#[test]
fn a_report_after_one_cohort_changed_computes_only_that_cohorts_figures_and_reads_as_a_fresh_one() {
    let t = Test::new();
    let m = t.manifest("memo", &three_cohorts("0.1, 0.3, 0.5"));
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    // Each cohort's figures and each pair's tests, kept.
    assert_eq!(memo_files(&t).len(), 3 + 3);
    // One cohort retrained: its figures and its two pairs are computed, the rest are read.
    t.manifest("memo", &three_cohorts("0.1, 0.3, 0.7"));
    t.run(&["run", m]).ok();
    assert_eq!(memo_files(&t).len(), 6 + 1 + 2);
    let incremental = fs::read(t.latest("memo").join("report/comparison.json")).expect("report");
    // The same manifest computed from nothing, in a fresh folder.
    let fresh = Test::new();
    let fm = fresh.manifest("memo", &three_cohorts("0.1, 0.3, 0.7"));
    fresh.run(&["run", fm.to_str().expect("utf-8")]).ok();
    let from_nothing = fs::read(fresh.latest("memo").join("report/comparison.json")).expect("report");
    assert!(incremental == from_nothing, "the report with figures from the memo is the report computed whole");

    // The figures are read, not recomputed: an edited memo entry shows in the next report
    // (the memo is trusted as the cache is, and `--force` computes everything).
    let mut edited = 0;
    for file in memo_files(&t) {
        let text = fs::read_to_string(&file).expect("read");
        if text.contains("\"intervals\"") {
            fs::write(&file, text.replacen("\"resamples\":300", "\"resamples\":301", 1)).expect("edit");
            edited += 1;
        }
    }
    assert_eq!(edited, 4, "every cohort's entry");
    t.manifest("memo", &three_cohorts("0.1, 0.3, 0.9"));
    t.run(&["run", m]).ok();
    let report = fs::read_to_string(t.latest("memo").join("report/comparison.json")).expect("report");
    assert!(report.contains("\"resamples\": 301"), "the edited entry was read");
    t.run(&["run", "--force", m]).ok();
    let forced = fs::read_to_string(t.latest("memo").join("report/comparison.json")).expect("report");
    assert!(!forced.contains("\"resamples\": 301"), "--force computes everything");

    // A damaged entry is a miss: computed again, and the report is the fresh one.
    for file in memo_files(&t) {
        fs::write(&file, b"{\"key\":").expect("damage");
    }
    t.manifest("memo", &three_cohorts("0.1, 0.3, 0.8"));
    t.run(&["run", m]).ok();
    let recomputed = fs::read(t.latest("memo").join("report/comparison.json")).expect("report");
    let fresh = Test::new();
    let fm = fresh.manifest("memo", &three_cohorts("0.1, 0.3, 0.8"));
    fresh.run(&["run", fm.to_str().expect("utf-8")]).ok();
    assert!(recomputed == fs::read(fresh.latest("memo").join("report/comparison.json")).expect("report"));

    // gc removes the memo; the next run keeps what it computes again.
    t.run(&["gc", "--keep-last", "1"]).ok();
    assert!(memo_files(&t).is_empty());
}
