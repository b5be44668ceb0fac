//! The Slurm executor's cost (issue #8): a 20-instance matrix on the one-node cluster of
//! `.ci/slurm-up.sh` against the local executor, and the overhead per submitted instance.
//!
//! Each repetition starts from an empty cache, so every instance is computed (a cached one is
//! never submitted). Run: `bash .ci/slurm-up.sh && cargo bench --bench slurm`. Without a
//! cluster it says so and measures nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const INSTANCES: usize = 20;
const REPS: usize = 3;

fn manifest(poll: f64) -> String {
    let rates: Vec<String> = (1..=INSTANCES).map(|i| format!("{:.2}", i as f64 * 0.05)).collect();
    format!(
        r#"[pipeline]
name = "slurm_bench"
seed = 3

[stages.data]
kind = "load"
source = {{ synthetic = {{ num_samples = 4000 }} }}

[stages.train]
kind = "train"
needs = ["data"]
model = "simple_transformer"
epochs = 5
matrix = {{ learning_rate = [{}] }}
learning_rate = "${{matrix.learning_rate}}"
cohort = "lr_${{matrix.learning_rate}}"
resources = {{ cpus = 1 }}

[executor]
poll_interval = {poll}
"#,
        rates.join(", ")
    )
}

/// Median wall seconds of a run with `args`, each from an empty cache.
fn time_runs(dir: &Path, manifest: &Path, label: &str, args: &[&str]) -> f64 {
    let mut times = Vec::new();
    for rep in 0..REPS {
        let cache = dir.join(format!("cache-{label}-{rep}"));
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_nethical"))
            .current_dir(dir)
            .args(["run", "--no-lockfile", "--cache-dir"])
            .arg(&cache)
            .args(args)
            .arg(manifest)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .expect("run nethical");
        let secs = t.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Seconds from submitting a no-op job and then a `n`-task no-op array (as the run does: the
/// load, then the matrix) until Slurm has finished them: the cluster's own cost, which no
/// client can beat.
fn raw_slurm(dir: &Path, n: usize) -> f64 {
    let t = Instant::now();
    for array in [None, Some(n)] {
        let mut cmd = Command::new("sbatch");
        cmd.args(["--parsable", "-o", "/dev/null", "--wrap", "true"]).current_dir(dir);
        if let Some(n) = array {
            cmd.arg(format!("--array=0-{}", n - 1));
        }
        let out = cmd.output().expect("sbatch");
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        loop {
            let q = Command::new("squeue").args(["-h", "-j", &id]).output().expect("squeue");
            if q.stdout.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    if !Command::new("sinfo").arg("-h").output().is_ok_and(|o| o.status.success()) {
        println!("slurm bench: no Slurm cluster answers `sinfo`; start one with `bash .ci/slurm-up.sh`");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let instances = INSTANCES + 1;
    println!(
        "{instances} instances (1 load + a {INSTANCES}-cohort simple_transformer matrix), median of {REPS} runs from an empty cache"
    );
    let raw = (0..REPS).map(|_| raw_slurm(dir.path(), INSTANCES)).fold(f64::INFINITY, f64::min);
    println!("raw Slurm, a no-op job then a {INSTANCES}-task no-op array:  {raw:6.2} s (best of {REPS})");
    let m = dir.path().join("bench.toml");
    std::fs::write(&m, manifest(1.0)).expect("write");
    let local = time_runs(dir.path(), &m, "local", &["--executor", "local", "-j", "2"]);
    println!("local executor, -j 2:                 {local:6.2} s");
    for poll in [1.0, 0.2] {
        std::fs::write(&m, manifest(poll)).expect("write");
        let slurm = time_runs(dir.path(), &m, &format!("slurm-{poll}"), &["--executor", "slurm"]);
        println!(
            "slurm executor, poll_interval {poll:.1} s:  {slurm:6.2} s  ({:+.0} ms per instance over local)",
            (slurm - local) * 1000.0 / instances as f64
        );
    }
}
