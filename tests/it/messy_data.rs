//! A user's messy file, loaded as it comes: repeated header names, IDs, an empty column, a
//! leaking column, tiny groups, filters, compressed files, and paths that are not files. The
//! fixtures are in `tests/fixtures/messy/` (written by its `make_fixtures.py`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Test, scrub};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy").join(name)).expect("fixture")
}

/// A project with the fixtures in `data/` and a manifest whose CSV source is `source`.
fn project(source: &str) -> (Test, String) {
    let t = Test::new();
    for name in ["compas_like.csv", "compas_like.csv.gz", "compas_like.zip"] {
        let p = t.path().join("data").join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, fixture(name)).expect("write");
    }
    let m = t.manifest(
        "compas",
        &format!(
            r#"[pipeline]
name = "compas"
seed = 3

[stages.data]
kind = "load"
split = {{ strategy = "stratified", train_ratio = 0.7 }}

[stages.data.source.csv]
{source}

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
cohort = "lr"
"#
        ),
    );
    let m = m.to_str().expect("utf-8").to_owned();
    (t, m)
}

const BASE: &str = r#"path = "../data/compas_like.csv"
label = "two_year_recid"
group = "race"
missing = "impute""#;

const CLEAN: &str = r#"dedupe_headers = true
exclude = ["empty_col", "name", "id", "is_recid"]"#;

fn dataset(t: &Test) -> serde_json::Value {
    t.read_json(&t.latest("compas").join("data/data/dataset.json"))
}

#[test]
fn a_repeated_header_name_is_an_error_only_where_it_is_used() {
    let (t, m) = project(BASE);
    let r = t.run(&["validate", &m]);
    r.code(2);
    insta::assert_snapshot!(scrub(&r.stderr));

    // Excluded, the repeated name is never read: the file loads.
    let (t, m) =
        project(&format!("{BASE}\nexclude = [\"decile_score\", \"empty_col\", \"name\", \"id\", \"is_recid\"]"));
    t.run(&["run", &m]).ok();
    let names: Vec<String> =
        dataset(&t)["schema"]["features"].as_array().expect("features").iter().map(|f| f[0].to_string()).collect();
    assert!(!names.iter().any(|n| n.contains("decile")), "{names:?}");

    // `dedupe_headers` reads both copies, the second as `decile_score_2`.
    let (t, m) = project(&format!("{BASE}\n{CLEAN}"));
    t.run(&["run", &m]).ok();
    let features = dataset(&t)["schema"]["features"].to_string();
    assert!(features.contains("\"decile_score\"") && features.contains("\"decile_score_2\""), "{features}");
}

#[test]
fn an_empty_column_and_a_high_cardinality_text_column_are_named_at_validate() {
    let (t, m) = project(&format!("{BASE}\ndedupe_headers = true"));
    let r = t.run(&["validate", &m]);
    r.code(2);
    insta::assert_snapshot!("empty_column", scrub(&r.stderr));
    assert!(!t.path().join("runs").exists(), "validate makes no run folder");

    let (t, m) = project(&format!("{BASE}\ndedupe_headers = true\nexclude = [\"empty_col\"]"));
    let r = t.run(&["run", &m]);
    r.code(2);
    insta::assert_snapshot!("too_many_categories", scrub(&r.stderr));
    assert!(!t.path().join("runs").exists(), "a refused run makes no run folder");
}

#[test]
fn paths_that_are_not_regular_files_are_refused_at_validate() {
    let (t, m) = project(&BASE.replace("compas_like.csv", "nope.csv"));
    let r = t.run(&["validate", &m]);
    r.code(2);
    assert!(r.stderr.contains("data file `pipelines/../data/nope.csv` does not exist"), "{}", r.stderr);
    assert!(r.stderr.contains("compas.toml:10:8"), "points at `path`: {}", r.stderr);

    let (t, m) = project(&BASE.replace("compas_like.csv", ""));
    let r = t.run(&["plan", &m]);
    r.code(2);
    assert!(r.stderr.contains("is a directory, not a regular file"), "{}", r.stderr);

    // A FIFO would block any reader: it is refused without being opened.
    let (t, m) = project(&BASE.replace("compas_like.csv", "fifo.csv"));
    let fifo = t.path().join("data/fifo.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped the FIFO case: mkfifo is not available here");
        return;
    }
    for command in ["validate", "plan"] {
        let mut child = t
            .command(&[command, &m])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                panic!("`{command}` hung on a FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(2), "{command}");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("read");
        assert!(err.contains("is a FIFO (named pipe), not a regular file"), "{err}");
    }
}

#[test]
fn filters_keep_rows_where_every_condition_holds_and_count_the_rest() {
    let filter = r#"filter = ["days_b_screening_arrest >= -30", "is_recid != -1", "c_charge_degree != \"O\""]"#;
    let (t, m) = project(&format!("{BASE}\n{CLEAN}\n{filter}"));
    t.run(&["run", &m]).ok();
    let d = dataset(&t);
    let dropped = &d["data"]["rows_dropped"];
    // Counted by the first condition a row fails, as pandas would find them one after another.
    let rows: Vec<Vec<String>> = {
        let text = String::from_utf8(fixture("compas_like.csv")).expect("utf-8");
        text.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect()
    };
    let by_days = rows.iter().filter(|r| r[5].parse::<i64>().is_ok_and(|d| d < -30)).count();
    let by_recid = rows.iter().filter(|r| r[5].parse::<i64>().is_ok_and(|d| d >= -30) && r[10] == "-1").count();
    let by_degree =
        rows.iter().filter(|r| r[5].parse::<i64>().is_ok_and(|d| d >= -30) && r[10] != "-1" && r[6] == "O").count();
    assert_eq!(dropped["filter: days_b_screening_arrest >= -30"], by_days);
    assert_eq!(dropped["filter: is_recid != -1"], by_recid);
    assert_eq!(dropped["filter: c_charge_degree != \"O\""], by_degree);
    assert_eq!(d["rows"], 200 - by_days - by_recid - by_degree);

    // A condition that cannot be read, or that names no column, is a manifest error.
    let (t, m) = project(&format!("{BASE}\n{CLEAN}\nfilter = [\"days >= \"]"));
    let r = t.run(&["validate", &m]);
    r.code(2);
    insta::assert_snapshot!("bad_filter", scrub(&r.stderr));
    let (t, m) = project(&format!("{BASE}\n{CLEAN}\nfilter = [\"dayz >= 3\"]"));
    let r = t.run(&["validate", &m]);
    r.code(2);
    assert!(r.stderr.contains("filtered column `dayz` is not a column"), "{}", r.stderr);
}

#[test]
fn gzip_and_zip_files_read_like_the_plain_file() {
    let (t, m) = project(&format!("{BASE}\n{CLEAN}"));
    t.run(&["run", &m]).ok();
    let plain = dataset(&t);
    let rows = |t: &Test| {
        ["train.npy", "train_rows.npy", "train_text.npy", "categories.json"]
            .map(|part| std::fs::read(t.latest("compas").join("data/data").join(part)).expect("train part"))
    };
    let plain_rows = rows(&t);
    for (path, compression) in
        [("compas_like.csv.gz", "gzip"), ("compas_like.zip", "zip"), ("compas_like.zip!compas_like.csv", "zip")]
    {
        let (t, m) = project(&format!("{}\n{CLEAN}", BASE.replace("compas_like.csv", path)));
        t.run(&["run", &m]).ok();
        let d = dataset(&t);
        assert_eq!(d["data"]["compression"], compression, "{path}");
        assert_eq!(d["schema"], plain["schema"], "{path}");
        assert_eq!(d["split"], plain["split"], "{path}");
        assert!(rows(&t) == plain_rows, "{path}: other training rows");
    }
}

#[test]
fn guards_warn_about_ids_and_leaks_and_strict_makes_them_errors() {
    let source = format!("{BASE}\ndedupe_headers = true\nexclude = [\"empty_col\", \"name\"]");
    let (t, m) = project(&source);
    let r = t.run(&["run", &m]);
    r.ok();
    assert!(
        r.stderr.contains(
            "warning: data: column `id` looks like an ID (strictly increasing integers); exclude it with `exclude = [\"id\"]`"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: data: possible label leak: `is_recid` alone gives ROC-AUC 0.9"),
        "{}",
        r.stderr
    );
    let warnings = dataset(&t)["warnings"].clone();
    assert_eq!(warnings[0]["kind"], "id_like");
    assert_eq!(warnings[1]["kind"], "possible_leak");
    assert_eq!(warnings[1]["column"], "is_recid");
    let run = t.read_json(&t.latest("compas").join("run.json"));
    assert!(run.to_string().contains("possible label leak"), "run.json keeps the warnings");
    // Restored from the cache, the warning is printed again.
    let again = t.run(&["run", &m]);
    again.ok();
    assert!(again.stderr.contains("possible label leak"), "{}", again.stderr);

    let (t, m) = project(&format!("{source}\nstrict = true"));
    let r = t.run(&["run", &m]);
    r.code(1);
    assert!(r.stderr.contains("(`strict = true` makes this an error)"), "{}", r.stderr);
}

#[test]
fn a_label_with_one_class_is_refused_at_validate() {
    let t = Test::new();
    let rows: String = (0..40).map(|i| format!("{i}.5,{},1\n", i % 7)).collect();
    t.file("data/one.csv", &format!("x,z,label\n{rows}"));
    let m = t.manifest(
        "one",
        r#"[pipeline]
name = "one"
[stages.data]
kind = "load"
source = { csv = { path = "../data/one.csv" } }
split = { strategy = "random" }
"#,
    );
    // Nothing can be learned: an input error before anything runs, not a model that "trains"
    // to the constant answer.
    let r = t.run(&["run", m.to_str().expect("utf-8")]);
    r.code(2);
    assert!(
        r.stderr.contains("../data/one.csv: the label has one class (all 40 rows are 1): nothing can be learned"),
        "{}",
        r.stderr
    );
    assert!(t.run_dirs("one").is_empty());
}

#[test]
fn the_group_column_reaches_the_model_when_it_is_a_feature() {
    for extra in ["group_as_feature = true", "features = [\"age\", \"priors_count\", \"race\"]"] {
        let source = format!("{BASE}\n{extra}");
        let source = if extra.starts_with("features") { source } else { format!("{source}\n{CLEAN}") };
        let (t, m) = project(&source);
        t.run(&["run", &m]).ok();
        let model = t.read_json(&t.latest("compas").join("cohorts/lr/model.json"));
        let text = model.to_string();
        assert!(text.contains("race=African-American"), "{extra}: the model has no race feature: {text:.400}");
        let metrics = t.read_json(&t.latest("compas").join("cohorts/lr/metrics.json"));
        assert_eq!(metrics["fairness"]["group_column"], "race", "{extra}");
    }
}

#[test]
fn data_warnings_reach_the_comparison_report() {
    let source = format!("{BASE}\ndedupe_headers = true\nexclude = [\"empty_col\", \"name\", \"id\"]");
    let (t, m) = project(&source);
    let manifest = std::fs::read_to_string(t.path().join(&m)).expect("manifest");
    std::fs::write(t.path().join(&m), format!("{manifest}\n[stages.report]\nkind = \"report\"\nneeds = [\"train\"]\n"))
        .expect("write");
    t.run(&["run", &m]).ok();
    let report = t.read_json(&t.latest("compas").join("report/comparison.json"));
    let warnings = report["cohorts"][0]["data_warnings"].to_string();
    assert!(warnings.contains("possible label leak: `is_recid` alone gives ROC-AUC"), "{warnings}");
    let md = std::fs::read_to_string(t.latest("compas").join("report/comparison.md")).expect("markdown");
    assert!(md.contains("## Data warnings\n\n- `lr`: possible label leak: `is_recid`"), "{md}");
    let html = std::fs::read_to_string(t.latest("compas").join("report/comparison.html")).expect("html");
    assert!(html.contains("<h2>Data warnings</h2>"), "the HTML view lists them too");
}
