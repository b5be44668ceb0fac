//! The test builder: a temporary project folder, the binary, and output filters.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

/// The fixed run clock of every test run (2023-11-14T22:13:20Z).
pub const EPOCH: &str = "1700000000";

/// A small manifest: one dataset, two logistic cohorts, gated.
pub const SMALL: &str = r#"#:schema ../schemas/pipeline.schema.json
[pipeline]
name = "small"
seed = 7

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 600 } }
split = { strategy = "stratified", train_ratio = 0.75 }

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 5
matrix = { learning_rate = [0.1, 0.5] }
learning_rate = "${matrix.learning_rate}"
cohort = "lr_${matrix.learning_rate}"

[stages.gate]
kind = "gate"
needs = ["train"]
"#;

/// Two independent branches (a and b), each load → train → gate.
pub const BRANCHES: &str = r#"[pipeline]
name = "branches"

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 400 } }

[stages.train_a]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
cohort = "a"

[stages.gate_a]
kind = "gate"
needs = ["train_a"]

[stages.train_b]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
cohort = "b"

[stages.gate_b]
kind = "gate"
needs = ["train_b"]
"#;

/// A temporary project folder in which the binary runs.
pub struct Test {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What a run of the binary printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir"), env: Vec::new() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file relative to the project folder.
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(p, text).expect("write");
        self
    }

    /// Writes `pipelines/<name>.toml`.
    pub fn manifest(&self, name: &str, text: &str) -> PathBuf {
        self.file(&format!("pipelines/{name}.toml"), text);
        PathBuf::from(format!("pipelines/{name}.toml"))
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("nethical").expect("binary");
        cmd.current_dir(self.path()).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("NETHICAL_") || k.starts_with("KAGGLE_") || k == "SOURCE_DATE_EPOCH" {
                cmd.env_remove(k);
            }
        }
        // The user's own `~/.config/nethical/config.toml` never reaches a test.
        cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("NO_COLOR", "1").env("XDG_CONFIG_HOME", self.path().join(".xdg"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with `args` in the project folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&[], args)
    }

    /// Runs the binary with extra environment variables for this run only.
    pub fn run_with(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out: Output = cmd.output().expect("run nethical");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The run folders of a pipeline (not `latest`, not temporary ones), sorted.
    pub fn run_dirs(&self, pipeline: &str) -> Vec<PathBuf> {
        let dir = self.path().join("runs").join(pipeline);
        let mut out: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        p.is_dir()
                            && !p.is_symlink()
                            && !name.starts_with('.')
                            && name != "latest"
                            && name != "audit"
                            && name != "history"
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// `runs/<pipeline>/latest` resolved.
    pub fn latest(&self, pipeline: &str) -> PathBuf {
        fs::canonicalize(self.path().join("runs").join(pipeline).join("latest")).expect("latest exists")
    }

    pub fn read_json(&self, path: &Path) -> serde_json::Value {
        serde_json::from_slice(&fs::read(path).expect("read")).expect("json")
    }
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Replaces a published artifact as an editor that writes a new file does: the old name is
/// removed first, so a read-only file hard-linked into the cache is neither refused (non-root)
/// nor edited through (root).
pub fn replace_file(path: &Path, bytes: impl AsRef<[u8]>) {
    let _ = fs::remove_file(path);
    fs::write(path, bytes).expect("write");
}

/// Replaces what changes between runs: run ids, timings.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.to_owned();
        l = replace_run_ids(&l);
        l = replace_seconds(&l);
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn replace_run_ids(s: &str) -> String {
    // 20231114T221320Z-3f2a1b or ...-3f2a1b-2
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if s.get(i..i + 23).is_some_and(is_run_id) {
            out.push_str("[RUN_ID]");
            i += 23;
            if bytes.get(i) == Some(&b'-') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn is_run_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 23
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[17..].iter().all(|c| c.is_ascii_hexdigit())
}

fn replace_seconds(s: &str) -> String {
    // "(0.12s)" → "(TIME)"
    let mut out = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find('(') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        match after.find("s)") {
            Some(end) if after[..end].parse::<f64>().is_ok() => {
                out.push_str("(TIME)");
                rest = &after[end + 2..];
            }
            _ => {
                out.push('(');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every file under `root` (relative path → bytes), skipping `run.json` and `*timings*`.
/// The row ids of a hand-off part's `<part>_rows.npy`.
pub fn npy_row_ids(path: &Path) -> Vec<u64> {
    use ndarray_npy::ReadNpyExt;
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ndarray::Array1::<u64>::read_npy(bytes.as_slice()).expect("a uint64 .npy").to_vec()
}

/// SMALL with its parts exported as CSV too (`export_csv = true`), for tests that feed the
/// validation rows to `nethical predict`.
pub fn small_with_csv() -> String {
    SMALL.replace("train_ratio = 0.75 }\n", "train_ratio = 0.75 }\nexport_csv = true\n")
}

pub fn tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).expect("prefix").to_string_lossy().into_owned();
                if rel == "run.json" || rel.contains("timings") {
                    continue;
                }
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[test]
fn scrub_replaces_ids_and_times() {
    assert_eq!(scrub("run small/20231114T221320Z-3f2a1b-2 ok (0.12s) x"), "run small/[RUN_ID] ok (TIME) x\n");
}

/// A pipeline `name` of one synthetic data instance (1,500 rows) and a logistic cohort per
/// learning rate in `rates` (`lr_<rate>`), followed by `tail` (the stages under test).
pub fn cohorts_by_rate(name: &str, seed: u64, rates: &str, tail: &str) -> String {
    format!(
        r#"[pipeline]
name = "{name}"
seed = {seed}

[stages.data]
kind = "load"
source = {{ synthetic = {{ num_samples = 1500 }} }}

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
matrix = {{ lr = [{rates}] }}
learning_rate = "${{matrix.lr}}"
cohort = "lr_${{matrix.lr}}"

{tail}"#
    )
}

/// The files of the cache's memo (`.nethical/cache/memo`) in `t`, sorted; none without one.
pub fn memo_files(t: &Test) -> Vec<PathBuf> {
    fn walk(dir: &Path) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
        entries
            .filter_map(Result::ok)
            .flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] })
            .collect()
    }
    let mut files = walk(&t.path().join(".nethical/cache/memo"));
    files.sort();
    files
}
