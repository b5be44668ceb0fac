//! `nethical.toml` and `~/.config/nethical/config.toml`: the runner's settings as defaults of
//! every command's flags, flags and variables above them, and `nethical config` naming where
//! each value came from.

use std::fs;

use crate::common::{SMALL, Test};

#[test]
fn the_project_file_sets_the_defaults_and_flags_still_win() {
    let t = Test::new();
    fs::create_dir_all(t.path().join(".git")).expect("a repository root");
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.file(".xdg/nethical/config.toml", "cache_dir = \"user-cache\"\n[gc]\nkeep_last = 7\n");
    t.file("nethical.toml", "runs_dir = \"out/runs\"\njobs = 1\nlink = [\"copy\"]\n");

    let shown = t.run(&["config", "--json"]);
    shown.ok();
    let v: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
    let project = fs::canonicalize(t.path()).expect("canonical").join("nethical.toml");
    let from = |key: &str| v["settings"][key]["source"].as_str().map(str::to_owned);
    let real = |s: Option<String>| s.map(|p| fs::canonicalize(p).map_or(String::new(), |p| p.display().to_string()));
    assert_eq!(real(from("runs_dir")), Some(project.display().to_string()));
    assert!(from("cache_dir").is_some_and(|s| s.ends_with(".xdg/nethical/config.toml")), "{v}");
    assert_eq!(v["settings"]["gc.keep_last"]["value"], "7");
    assert_eq!(from("executor").as_deref(), Some("default"));

    // The run uses them: its folder under out/runs, the cache in user-cache (relative to
    // the user's file), artifacts copied (no hard links).
    t.run(&["run", m]).ok();
    let run = t.path().join("out/runs/small/latest");
    assert!(run.join("run.json").is_file());
    assert!(t.path().join(".xdg/nethical/user-cache").is_dir());
    let summary = t.read_json(&run.join("run.json"));
    assert_eq!(summary["jobs"], 1);
    use std::os::unix::fs::MetadataExt;
    let model = run.join("cohorts/lr_0.1/model.json");
    assert_eq!(fs::metadata(&model).expect("model").nlink(), 1, "copied, not linked");

    // A flag beats the file; so does the tool's own variable.
    t.run(&["run", "--force", "--runs-dir", "flag-runs", m]).ok();
    assert!(t.path().join("flag-runs/small/latest/run.json").is_file());
    let env = t.run_with(&[("NETHICAL_CACHE_DIR", "env-cache")], &["config"]);
    assert!(env.stdout.contains("(NETHICAL_CACHE_DIR)"), "{}", env.stdout);
}

#[test]
fn a_bad_settings_file_is_an_input_error_at_its_line() {
    let t = Test::new();
    fs::create_dir_all(t.path().join(".git")).expect("a repository root");
    t.file("nethical.toml", "jobs = 2\n\n[gc]\nkeep_lats = 3\n");
    let r = t.run(&["config"]);
    r.code(2);
    assert!(
        r.stderr.contains("nethical.toml:4:1: unknown field `keep_lats`, expected `keep_last` or `older_than`"),
        "{}",
        r.stderr
    );
    t.file("nethical.toml", "output = \"loud\"\n");
    let r = t.run(&["validate", "x.toml"]);
    r.code(2);
    assert!(r.stderr.contains("nethical.toml:1:10: unknown variant `loud`"), "{}", r.stderr);
}
