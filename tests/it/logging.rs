//! `-q/--quiet` and `-v/--verbose` on every command, through `tracing`: `-q` silences progress
//! and notes but never warnings or errors; `-v` and `NETHICAL_LOG=debug` add detail.

use crate::common::{BRANCHES, Test};

fn branches() -> (Test, String) {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    (t, m.to_str().expect("utf-8").to_owned())
}

#[test]
fn quiet_runs_print_no_progress_and_keep_their_results() {
    let (t, m) = branches();
    let loud = t.run(&["run", &m]);
    loud.ok();
    assert!(loud.stderr.contains("instances, 0 to compute") || loud.stderr.contains(" to compute"), "{}", loud.stderr);
    let quiet = t.run(&["run", "-f", "-q", &m]);
    quiet.ok();
    assert_eq!(quiet.stderr, "", "nothing but warnings and errors under -q");
    assert!(quiet.stdout.contains("succeeded: 5 instances"), "{}", quiet.stdout);
    // The flag is global: before the command too.
    t.run(&["--quiet", "plan", &m]).ok();
}

#[test]
fn quiet_keeps_warnings_and_errors() {
    let t = Test::new();
    let rows: String = (0..60).map(|i| format!("{i},{}.5,{}\n", i % 7, i % 2)).collect();
    t.file("data/ids.csv", &format!("id,x,label\n{rows}"));
    let m = t.manifest(
        "ids",
        "[pipeline]\nname = \"ids\"\n[stages.data]\nkind = \"load\"\nsource = { csv = { path = \"../data/ids.csv\" } }\n",
    );
    let r = t.run(&["-q", "run", m.to_str().expect("utf-8")]);
    r.ok();
    assert!(r.stderr.starts_with("warning: data: "), "the ID-like column is still named:\n{}", r.stderr);
    assert!(!r.stderr.contains("to compute"), "{}", r.stderr);

    let bad = t.manifest("bad", "[pipeline]\nname = 1\n");
    let r = t.run(&["validate", "-q", bad.to_str().expect("utf-8")]);
    r.code(2);
    assert!(r.stderr.starts_with("error: pipelines/bad.toml is invalid"), "{}", r.stderr);
}

#[test]
fn verbose_and_nethical_log_add_detail() {
    let (t, m) = branches();
    let r = t.run(&["validate", "-v", &m]);
    r.ok();
    assert!(r.stderr.contains("debug: manifest `pipelines/branches.toml`: "), "{}", r.stderr);
    assert!(r.stderr.contains("debug: pipeline `branches`: 5 instances"), "{}", r.stderr);
    let r = t.run_with(&[("NETHICAL_LOG", "debug")], &["plan", &m, "--set", "stages.train_a.epochs=4"]);
    r.ok();
    assert!(r.stderr.contains("debug: override stages.train_a.epochs = 4 (from Flag)"), "{}", r.stderr);
    assert!(r.stderr.contains("debug: train_a: Run, new"), "{}", r.stderr);
    let r = t.run(&["run", "-vv", &m]);
    r.ok();
    assert!(r.stderr.contains("debug: started data"), "{}", r.stderr);
    // Without a flag or the variable: no detail.
    let r = t.run(&["validate", &m]);
    assert!(!r.stderr.contains("debug:"), "{}", r.stderr);
}

#[test]
fn a_bad_log_filter_and_both_flags_are_input_errors() {
    let (t, m) = branches();
    let r = t.run_with(&[("NETHICAL_LOG", "nethical=[")], &["validate", &m]);
    r.code(2);
    assert!(
        r.stderr.starts_with("error: environment variable `NETHICAL_LOG` = `nethical=[` is not a log filter"),
        "{}",
        r.stderr
    );
    let r = t.run(&["validate", "-q", "-v", &m]);
    r.code(2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}
