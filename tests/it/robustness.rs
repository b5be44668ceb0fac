//! Inputs that used to crash the binary (issue: no input crashes it): a reader that closes the
//! pipe early, and environment variables that are not UTF-8.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;

use crate::common::{BRANCHES, Test};

#[test]
fn a_reader_that_leaves_early_ends_the_command_quietly() {
    let t = Test::new();
    // The schema is larger than a pipe's buffer, so the writer meets the closed pipe.
    let mut child = t.command(&["schema"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut first = [0u8; 1];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("one byte");
    // Dropping our end closes the pipe, like `| head -c 1`.
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn environment_variables_that_are_not_utf8_are_ignored_unless_they_are_ours() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    let bad = OsStr::from_bytes(b"\xff\xfe");
    let out = t.command(&["validate", m]).env("FOO", bad).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let out = t.command(&["validate", m]).env("NETHICAL_STAGES__TRAIN_A__EPOCHS", bad).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "error: environment variable `NETHICAL_STAGES__TRAIN_A__EPOCHS` is not valid UTF-8\n");
}

#[test]
fn nethical_variables_that_set_nothing_are_errors_like_their_set_forms() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    let mut shown = String::new();
    for (var, value) in [
        ("NETHICAL_PIPELINE", "1"),
        ("NETHICAL_STAGES__", "1"),
        ("NETHICAL_STAGES__TRAIN_A__", "1"),
        ("NETHICAL_AUDIT_KYE", "x"),
        ("NETHICAL_COLOR", "1"),
    ] {
        let r = t.run_with(&[(var, value)], &["validate", m]);
        r.code(2);
        shown.push_str(&format!("{var}={value}\n{}", r.stderr));
    }
    insta::assert_snapshot!(shown);
    // The tool's own variables and manifest overrides still pass.
    t.run_with(&[("NETHICAL_LOG", "debug"), ("NETHICAL_STAGES__TRAIN_A__EPOCHS", "4")], &["validate", m]).ok();
}

#[test]
fn an_upper_case_stage_name_is_reachable_from_the_environment() {
    let t = Test::new();
    let text = BRANCHES.replace("train_a", "TrainA");
    let m = t.manifest("branches", &text);
    let m = m.to_str().expect("utf-8");
    let r = t.run_with(&[("NETHICAL_STAGES__TRAINA__EPOCHS", "0")], &["validate", m]);
    r.code(2);
    assert!(r.stderr.contains("NETHICAL_STAGES__TRAINA__EPOCHS=0"), "the error points at the variable:\n{}", r.stderr);
    t.run_with(&[("NETHICAL_STAGES__TRAINA__EPOCHS", "4")], &["validate", m]).ok();
    let plan = t.run_with(&[("NETHICAL_STAGES__TRAINA__EPOCHS", "4")], &["plan", m, "--json"]);
    plan.ok();
}

/// Runs `validate` on a manifest and returns (exit code, stderr).
fn validate(text: &str) -> (i32, String) {
    let t = Test::new();
    let m = t.manifest("m", text);
    let r = t.run(&["validate", m.to_str().expect("utf-8")]);
    (r.code, r.stderr)
}

const HEAD: &str =
    "[pipeline]\nname = \"m\"\n[stages.data]\nkind = \"load\"\nsource = { synthetic = { num_samples = 100 } }\n";

#[test]
fn two_audit_stages_are_refused_at_validate() {
    let text = format!(
        "{HEAD}[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\"]\n[stages.audit]\nkind = \"audit\"\nneeds = [\"gate\"]\n[stages.audit2]\nkind = \"audit\"\nneeds = [\"train\"]\n"
    );
    let (code, stderr) = validate(&text);
    assert_eq!(code, 2);
    insta::assert_snapshot!(crate::common::scrub(&stderr));
}

#[test]
fn cohort_names_must_be_portable_and_are_shown_escaped() {
    for (cohort, reason) in [
        ("CON", "it is a device name on Windows"),
        ("nul", "it is a device name on Windows"),
        ("COM1.txt", "it is a device name on Windows"),
        ("x.", "it ends with `.`, which Windows drops"),
    ] {
        let text = format!(
            "{HEAD}[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\ncohort = \"{cohort}\"\n"
        );
        let (code, stderr) = validate(&text);
        assert_eq!(code, 2, "{cohort}");
        assert!(stderr.contains(&format!("cohort name `{cohort}` cannot be a folder name: {reason}")), "{stderr}");
    }
    // An escape sequence in a name never reaches the terminal raw.
    let text = format!(
        "{HEAD}[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\ncohort = \"a\\u001b[31mred\"\n"
    );
    let (code, stderr) = validate(&text);
    assert_eq!(code, 2);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("cohort name `a\\u{1b}[31mred`"), "{stderr}");
}

/// A message as one line: miette wraps long ones at 100 columns.
fn unwrap(stderr: &str) -> String {
    stderr.replace("\n  │ ", " ")
}

#[test]
fn sizes_that_would_exhaust_the_machine_are_refused_at_validate() {
    let train = "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\n";
    let (code, stderr) = validate(&format!("{HEAD}{train}epochs = 1000000000\n"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`epochs` 1000000000 exceeds limit `max_epochs` = 100000; raise it in [limits]"),
        "{stderr}"
    );

    let big = HEAD.replace("num_samples = 100", "num_samples = 1000000000000");
    let (code, stderr) = validate(&big);
    assert_eq!(code, 2);
    assert!(stderr.contains("1000000000000 rows need about 363.8 TiB of memory"), "{stderr}");
    assert!(unwrap(&stderr).contains("(limit `max_rows`: set it in [limits] to allow more)"), "{stderr}");

    // A 10^6-combination matrix is counted, not built.
    let values: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let axes = ["a", "b", "c"].map(|a| format!("{a} = [{}]", values.join(", "))).join(", ");
    let (code, stderr) = validate(&format!("{HEAD}{train}matrix = {{ {axes} }}\n"));
    assert_eq!(code, 2);
    assert!(
        unwrap(&stderr).contains("expands to 1000000 combinations, which exceeds limit `max_instances` = 100000"),
        "{stderr}"
    );

    let grid = "[stages.opt]\nkind = \"optimize\"\nneeds = [\"data\"]\nmodel = \"logistic\"\ntechnique = \"grid_search\"\ngrid_steps = 1000\nspace = { learning_rate = { min = 0.001, max = 1.0 }, l2 = { min = 0.0, max = 1.0 }, epochs = { min = 1, max = 1000 }, batch_size = { min = 1, max = 1000 }, threshold = { min = 0.1, max = 0.9 }, ece_bins = { min = 2, max = 100 } }\n";
    let (code, stderr) = validate(&format!("{HEAD}{grid}"));
    assert_eq!(code, 2, "{stderr}");
    assert!(unwrap(&stderr).contains("exceeds limit `max_grid` = 100000"), "{stderr}");
}

#[test]
fn a_manifest_with_thousands_of_errors_reports_the_first_hundred() {
    let mut text = String::from("[pipeline]\nname = \"m\"\n");
    for i in 0..2000 {
        text.push_str(&format!("[stages.s{i}]\nkind = \"train\"\nneeds = [\"nope\"]\nmodel = \"logistic\"\n"));
    }
    let (code, stderr) = validate(&text);
    assert_eq!(code, 2);
    // Each stage needs an unknown stage and has no `load` upstream: two errors each.
    assert!(
        stderr
            .starts_with("error: pipelines/m.toml is invalid: 4000 errors, the first 100 shown (3900 more not listed)"),
        "{}",
        &stderr[..200]
    );
    assert_eq!(stderr.matches("  × ").count(), 100);
}

#[test]
fn local_threads_are_capped_unless_asked() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let r = t.run(&["run", m.to_str().expect("utf-8"), "-j", "99999999"]);
    r.code(2);
    assert!(r.stderr.contains("-j 99999999 is over the limit for local threads, 4 × "), "{}", r.stderr);
    assert!(r.stderr.contains("pass --jobs-unchecked to use more"), "{}", r.stderr);
    assert!(!t.path().join("runs").exists(), "refused before any run folder");
}

#[test]
fn a_manifest_that_is_not_utf8_is_located_and_validate_json_still_answers() {
    let t = Test::new();
    let path = t.path().join("pipelines/bad.toml");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, b"[pipeline]\nname = \"b\xffad\"\n").expect("write");
    let r = t.run(&["validate", "pipelines/bad.toml"]);
    r.code(2);
    assert_eq!(r.stderr, "error: manifest `pipelines/bad.toml` is not UTF-8 text: invalid byte at line 2, column 10\n");
    let r = t.run(&["validate", "--json", "pipelines/bad.toml"]);
    r.code(2);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json on stdout");
    assert_eq!(v["valid"], false);
    assert_eq!((v["errors"][0]["line"].as_u64(), v["errors"][0]["column"].as_u64()), (Some(2), Some(10)));
}

#[test]
fn an_unusable_cache_folder_is_exit_3_before_any_run_folder() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    t.file("blocked", "a file where the cache folder should be");
    let r = t.run(&["run", m.to_str().expect("utf-8"), "--cache-dir", "blocked/cache"]);
    r.code(3);
    assert_eq!(r.stderr, "error: cannot write into the cache folder `blocked/cache`: Not a directory (os error 20)\n");
    assert!(t.run_dirs("branches").is_empty(), "no run folder for a run that could not start");
}

#[test]
fn a_manifest_that_is_a_fifo_is_refused_without_being_opened() {
    let t = Test::new();
    std::fs::create_dir_all(t.path().join("pipelines")).expect("mkdir");
    let status = std::process::Command::new("mkfifo").arg(t.path().join("pipelines/f.toml")).status().expect("mkfifo");
    assert!(status.success());
    // Opening a FIFO without a writer would block forever.
    let r = t.run(&["validate", "pipelines/f.toml"]);
    r.code(2);
    assert_eq!(r.stderr, "error: cannot read manifest `pipelines/f.toml`: not a regular file\n");
}

#[test]
fn limits_are_raised_or_lowered_from_the_environment_and_the_flag() {
    let t = Test::new();
    let m = t.manifest("branches", &BRANCHES.replace("epochs = 3\ncohort = \"a\"", "epochs = 150000\ncohort = \"a\""));
    let m = m.to_str().expect("utf-8");
    let r = t.run(&["validate", m]);
    r.code(2);
    assert!(
        r.stderr.contains("`epochs` 150000 exceeds limit `max_epochs` = 100000; raise it in [limits]"),
        "{}",
        r.stderr
    );
    t.run_with(&[("NETHICAL_LIMITS__MAX_EPOCHS", "150000")], &["validate", m]).ok();
    t.run(&["validate", m, "--set", "limits.max_epochs=150000"]).ok();
    let r = t.run_with(&[("NETHICAL_LIMITS__MAX_EPOCHS", "0")], &["validate", m, "--set", "stages.train_a.epochs=3"]);
    r.code(2);
    assert!(r.stderr.contains("`limits.max_epochs` must be at least 1"), "{}", r.stderr);
    assert!(r.stderr.contains("NETHICAL_LIMITS__MAX_EPOCHS=0"), "the error points at the variable:\n{}", r.stderr);
}
