//! `--executor slurm` against a real cluster (`.ci/slurm-up.sh`: one node on loopback), and
//! against scripted `sbatch`/`squeue` for what a one-node cluster cannot do on demand.
//!
//! The cluster tests are `#[ignore]`d with the reason, so `cargo test` without a cluster says
//! they did not run instead of passing them; `.ci/run` starts a cluster and runs them with
//! `cargo test --test it slurm:: -- --ignored`. They run one at a time: they share the node's
//! two CPUs, and one watches the queue.

use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::{BRANCHES, SMALL, Test, tree};

static CLUSTER: Mutex<()> = Mutex::new(());

/// The cluster's lock; fails the test when no cluster answers.
fn cluster() -> std::sync::MutexGuard<'static, ()> {
    assert!(
        std::process::Command::new("sinfo").arg("-h").output().is_ok_and(|o| o.status.success()),
        "no Slurm cluster answers `sinfo`: start one with `bash .ci/slurm-up.sh`"
    );
    CLUSTER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why the cluster tests are ignored by a plain `cargo test`.
macro_rules! needs_cluster {
    () => {
        "needs a Slurm cluster: `bash .ci/slurm-up.sh`, then `cargo test --test it slurm:: -- --ignored` (.ci/run does)"
    };
}

/// Polls fast so the tests spend their time in jobs, not in waiting.
const FAST: &str = "\n[executor]\npoll_interval = 0.2\n";

/// Five logistic cohorts of one matrix (one job array), gated, compared and audited.
const COHORTS: &str = r#"[pipeline]
name = "cohorts"
seed = 11

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 800 } }
split = { strategy = "stratified", train_ratio = 0.75 }

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 4
matrix = { learning_rate = [0.05, 0.1, 0.2, 0.4, 0.8] }
learning_rate = "${matrix.learning_rate}"
cohort = "lr_${matrix.learning_rate}"
resources = { cpus = 1, mem = "500M", time = "00:10:00" }

[stages.gate]
kind = "gate"
needs = ["train"]

[stages.report]
kind = "report"
needs = ["train", "gate"]
resamples = 200

[stages.audit]
kind = "audit"
needs = ["gate", "report"]
"#;

fn queue_states(job_name: &str) -> Vec<String> {
    let out = std::process::Command::new("squeue")
        .args(["-h", "--states=all", "-r", "-n", job_name, "-o", "%i|%T"])
        .output()
        .expect("squeue");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// The id of the first running task of the jobs named `job_name`, waiting for one.
fn running_job(job_name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let states = queue_states(job_name);
        if let Some(line) = states.iter().find(|l| l.ends_with("|RUNNING")) {
            return line.split('|').next().expect("id").to_owned();
        }
        assert!(Instant::now() < deadline, "{job_name} never started: {states:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn instance<'a>(summary: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    summary["instances"].as_array().expect("instances").iter().find(|i| i["id"] == id).expect("instance")
}

#[test]
#[ignore = needs_cluster!()]
fn a_slurm_run_writes_what_a_local_run_writes() {
    let _cluster = cluster();
    let t = Test::new();
    let m = t.manifest("cohorts", &format!("{COHORTS}{FAST}"));
    let m = m.to_str().expect("utf-8");
    let slurm = t.run(&["run", "--executor", "slurm", "--runs-dir", "rs", "--cache-dir", "cs", m]);
    slurm.ok();
    assert!(slurm.stdout.contains("13 instances, 13 ran, 0 cached, 0 failed"), "{}", slurm.stdout);
    let lock = t.path().join("pipelines/cohorts.lock");
    let slurm_lock = std::fs::read(&lock).expect("lockfile");
    std::fs::remove_file(&lock).expect("remove");
    t.run(&["run", "--executor", "local", "--runs-dir", "rl", "--cache-dir", "cl", m]).ok();
    assert!(std::fs::read(&lock).expect("lockfile") == slurm_lock, "the lockfiles differ");
    let cache = |dir: &str| {
        let mut files = tree(&t.path().join(dir));
        // The stat index records this machine's inodes and times, not results.
        files.retain(|p, _| !p.starts_with("tmp/") && p != "stat-index.json");
        files
    };
    assert!(cache("cs") == cache("cl"), "the caches differ");
    let s_dir = std::fs::canonicalize(t.path().join("rs/cohorts/latest")).expect("slurm run");
    let l_dir = std::fs::canonicalize(t.path().join("rl/cohorts/latest")).expect("local run");
    assert_eq!(t.read_json(&s_dir.join("run.json"))["executor"], "slurm");
    assert_eq!(t.read_json(&l_dir.join("run.json"))["executor"], "local");
    let mut s_files = tree(&s_dir);
    let l_files = tree(&l_dir);
    let jobs: serde_json::Value =
        serde_json::from_slice(&s_files.remove("slurm/jobs.json").expect("slurm/jobs.json")).expect("json");
    s_files.retain(|p, _| !p.starts_with("slurm/"));
    assert_eq!(s_files.keys().collect::<Vec<_>>(), l_files.keys().collect::<Vec<_>>());
    for (path, bytes) in &l_files {
        assert!(s_files[path] == *bytes, "{path} differs between the Slurm and the local run");
    }
    assert_eq!(tree(&t.path().join("rs/cohorts/audit")), tree(&t.path().join("rl/cohorts/audit")), "audit logs");
    // Every computed instance was a job; the five cohorts went out as one array.
    let train_jobs: Vec<String> = jobs
        .as_object()
        .expect("object")
        .iter()
        .filter(|(id, _)| id.starts_with("train["))
        .map(|(_, j)| j["job"].as_str().expect("job").split('_').next().expect("id").to_owned())
        .collect();
    assert_eq!(train_jobs.len(), 5);
    assert!(train_jobs.iter().all(|j| *j == train_jobs[0]), "one array: {train_jobs:?}");
    assert!(jobs.get("data").is_some() && jobs.get("report").is_some());
    // Each job's log is where jobs.json says, and says what it did.
    let log = jobs["train[learning_rate=0.05]"]["log"].as_str().expect("log");
    let text = std::fs::read_to_string(log).expect("the log exists at the final path");
    assert!(text.contains("train[learning_rate=0.05]: computed"), "{text}");

    // A second Slurm run submits nothing: the cache answers.
    let again =
        t.run(&["run", "--executor", "slurm", "--runs-dir", "rs", "--cache-dir", "cs", "--no-lockfile", "--json", m]);
    again.ok();
    let v: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
    assert!(
        v["instances"].as_array().expect("instances").iter().all(|i| i["status"] == "cached" || i["kind"] == "audit")
    );
    let cached_run = t.path().join("rs/cohorts").join(v["run_id"].as_str().expect("run id"));
    assert!(!cached_run.join("slurm").exists(), "no job was submitted");
}

/// `targets::forcerun_recomputes_that_stage_and_downstream_only_if_changed` on the cluster: the
/// forced instances run as jobs, and what follows them stays cached when their output is the same.
#[test]
#[ignore = needs_cluster!()]
fn forcerun_on_slurm_recomputes_that_stage_and_downstream_only_if_changed() {
    let _cluster = cluster();
    let t = Test::new();
    let m = t.manifest("small", &format!("{SMALL}{FAST}"));
    let m = m.to_str().expect("utf-8");
    t.run(&["run", "--executor", "slurm", m]).ok();
    let plan = t.run(&["plan", "--forcerun", "train", m]);
    plan.ok();
    assert!(plan.stdout.contains("forced (--forcerun)"), "{}", plan.stdout);
    t.run(&["run", "--executor", "slurm", "--json", "--forcerun", "train", m]).ok();
    let summary = t.read_json(&t.latest("small").join("run.json"));
    assert_eq!(summary["executor"], "slurm");
    for inst in summary["instances"].as_array().expect("instances") {
        let id = inst["id"].as_str().expect("id");
        let expected = if id.starts_with("train") { "ran" } else { "cached" };
        assert_eq!(inst["status"], expected, "{id}: training is deterministic, so the gates stay cached");
    }
}

#[test]
#[ignore = needs_cluster!()]
fn a_failing_instance_under_keep_going_names_its_job_and_log() {
    let _cluster = cluster();
    let t = Test::new();
    let m = t.manifest("branches", &format!("{BRANCHES}{FAST}"));
    let r = t.run_with(
        &[("NETHICAL_FAILPOINTS", "train_a=error")],
        &["run", "--executor", "slurm", "--keep-going", "--json", m.to_str().expect("utf-8")],
    );
    r.code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["status"], "failed");
    let a = instance(&v, "train_a");
    assert_eq!(a["status"], "failed");
    let error = a["error"].as_str().expect("error");
    assert!(error.starts_with("failpoint: injected error (Slurm job "), "{error}");
    let log = error.split("log `").nth(1).and_then(|s| s.split('`').next()).expect("a log path");
    assert!(Path::new(log).is_file(), "{log}");
    assert!(std::fs::read_to_string(log).expect("log").contains("train_a: failed: failpoint: injected error"));
    assert_eq!(instance(&v, "gate_a")["status"], "skipped");
    assert_eq!(instance(&v, "train_b")["status"], "ran");
    assert_eq!(instance(&v, "gate_b")["status"], "ran");
}

#[test]
#[ignore = needs_cluster!()]
fn ctrl_c_cancels_the_runs_jobs() {
    let _cluster = cluster();
    let t = Test::new();
    let text = format!("{}{FAST}", BRANCHES.replace("name = \"branches\"", "name = \"cancelme\""));
    let m = t.manifest("cancelme", &text);
    let mut cmd = t.command(&["run", "--executor", "slurm", m.to_str().expect("utf-8")]);
    cmd.env("NETHICAL_FAILPOINTS", "train_b=sleep(120000)").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let job = running_job("nethical.cancelme.train_b");
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr:\n{stderr}");
    // The job stops at once (its instance watches SIGTERM); Slurm may still be tidying up.
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        let states = queue_states("nethical.cancelme.train_b");
        let mine = states.iter().find(|l| l.starts_with(&format!("{job}|"))).cloned().unwrap_or_default();
        if !mine.ends_with("|COMPLETING") || Instant::now() > deadline {
            break mine;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(state.ends_with("|CANCELLED"), "the job was cancelled, not left running: {state}");
    let runs = t.run_dirs("cancelme");
    let summary = t.read_json(&runs[0].join("run.json"));
    assert_eq!(summary["status"], "interrupted");
    assert_eq!(instance(&summary, "train_b")["status"], "interrupted");
}

#[test]
#[ignore = needs_cluster!()]
fn a_submission_the_cluster_refuses_fails_the_run_with_slurms_words() {
    let _cluster = cluster();
    let t = Test::new();
    let text = format!("{}{FAST}", COHORTS.replace("cpus = 1,", "cpus = 999,"));
    let m = t.manifest("cohorts", &text);
    let r = t.run(&["run", "--executor", "slurm", "--json", m.to_str().expect("utf-8")]);
    r.code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let error = instance(&v, "train[learning_rate=0.05]")["error"].as_str().expect("error").to_owned();
    assert!(error.starts_with("Slurm refused the job of stage `train`: sbatch: error: "), "{error}");
    assert!(error.contains("More processors requested than permitted"), "{error}");
    assert_eq!(instance(&v, "data")["status"], "ran", "what came before is kept");
}

#[test]
#[ignore = needs_cluster!()]
fn a_job_cancelled_outside_the_run_fails_its_instance() {
    let _cluster = cluster();
    let t = Test::new();
    let text = format!("{}{FAST}", BRANCHES.replace("name = \"branches\"", "name = \"outside\""));
    let m = t.manifest("outside", &text);
    let mut cmd = t.command(&["run", "--executor", "slurm", "--keep-going", "--json", m.to_str().expect("utf-8")]);
    cmd.env("NETHICAL_FAILPOINTS", "train_a=sleep(120000)").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let job = running_job("nethical.outside.train_a");
    let array = job.split('_').next().expect("array id").to_owned();
    assert!(std::process::Command::new("scancel").arg(&array).status().expect("scancel").success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let error = instance(&v, "train_a")["error"].as_str().expect("error").to_owned();
    assert!(error.contains("cancelled outside this run") || error.contains("stopped by a signal"), "{error}");
    assert!(error.contains(&format!("Slurm job {job}")), "{error}");
    assert_eq!(instance(&v, "train_b")["status"], "ran");
}

#[test]
#[ignore = needs_cluster!()]
fn a_job_slurm_requeues_runs_again_and_the_run_completes() {
    let _cluster = cluster();
    let t = Test::new();
    let text = format!("{}{FAST}", BRANCHES.replace("name = \"branches\"", "name = \"requeue\""));
    let m = t.manifest("requeue", &text);
    let mut cmd = t.command(&["run", "--executor", "slurm", "--json", m.to_str().expect("utf-8")]);
    cmd.env("NETHICAL_FAILPOINTS", "train_a=sleep(3000)").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let job = running_job("nethical.requeue.train_a");
    // What a node failure or a preemption does to a requeueable job. Slurm holds it for the
    // credential lifetime plus a second (`AuthInfo=cred_expire`, 15 s on the CI cluster; 120 s
    // by default): releasing it sooner gets it killed as "Job credential revoked".
    let requeued = std::process::Command::new("scontrol").args(["requeue", &job]).status().expect("scontrol");
    assert!(requeued.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(instance(&v, "train_a")["status"], "ran");
    assert_eq!(instance(&v, "gate_a")["status"], "ran");
    let run = std::fs::canonicalize(t.path().join("runs/requeue/latest")).expect("latest");
    let jobs = t.read_json(&run.join("slurm/jobs.json"));
    let log = std::fs::read_to_string(jobs["train_a"]["log"].as_str().expect("log")).expect("log");
    assert!(
        log.contains("DUE TO JOB REQUEUE") && log.contains("train_a: computed"),
        "both attempts are in the log:\n{log}"
    );
}

/// Scripted `sbatch`/`squeue`/`scancel` in a folder put first on PATH: `squeue` reports
/// `state` for every job, and no job ever runs.
fn fake_slurm(t: &Test, state: &str) -> String {
    let bin = t.path().join("fake-slurm");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let scripts = [
        ("sbatch", "#!/bin/sh\ncat > /dev/null\necho 42\n".to_owned()),
        ("squeue", format!("#!/bin/sh\necho '42_0|{state}|NodeDown'\n")),
        ("scancel", "#!/bin/sh\nexit 0\n".to_owned()),
        // Slurm 22.05's line for a job whose script exited 127 (`command not found`).
        (
            "scontrol",
            format!(
                "#!/bin/sh\necho 'JobId=43 ArrayJobId=42 ArrayTaskId=0 JobState={state} Reason=NonZeroExitCode ExitCode=127:0'\n"
            ),
        ),
    ];
    for (name, body) in scripts {
        let p = bin.join(name);
        std::fs::write(&p, body).expect("write");
        let mut perm = std::fs::metadata(&p).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).expect("chmod");
    }
    format!("{}:/usr/bin:/bin", bin.display())
}

const ONE: &str = "[pipeline]\nname = \"one\"\n[stages.data]\nkind = \"load\"\nsource = { synthetic = { num_samples = 100 } }\n[executor]\nkind = \"slurm\"\npoll_interval = 0.05\nstatus_timeout = 0.2\n";

#[test]
fn a_node_that_loses_the_job_fails_the_run_and_says_so() {
    let t = Test::new();
    let m = t.manifest("one", ONE);
    let path = fake_slurm(&t, "NODE_FAIL");
    let r = t.run_with(&[("PATH", &path)], &["run", "--json", m.to_str().expect("utf-8")]);
    r.code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let error = instance(&v, "data")["error"].as_str().expect("error").to_owned();
    assert!(error.starts_with("its node failed and the job was lost; Slurm job 42_0, log `"), "{error}");
    assert!(error.contains("/slurm/data-42_0.log`"), "{error}");
    assert_eq!(v["status"], "failed");
}

#[test]
fn a_job_that_ends_without_a_status_is_a_failure_not_a_hang() {
    let t = Test::new();
    let m = t.manifest("one", ONE);
    let path = fake_slurm(&t, "FAILED");
    let r = t.run_with(&[("PATH", &path)], &["run", "--json", m.to_str().expect("utf-8")]);
    r.code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let error = instance(&v, "data")["error"].as_str().expect("error").to_owned();
    assert!(error.starts_with("Slurm job 42_0 ended (FAILED, exit code 127) without writing its status `"), "{error}");
}

#[test]
fn without_sbatch_the_slurm_executor_says_what_to_do() {
    let t = Test::new();
    let m = t.manifest("one", ONE);
    let empty = t.path().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let r = t.run_with(&[("PATH", empty.to_str().expect("utf-8"))], &["run", m.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!(r.stderr.trim(), @"error: the slurm executor needs `sbatch` on PATH, and it is not there: run on a Slurm login node, add Slurm's bin folder to PATH, or run locally with `--executor local`");
    assert!(!t.path().join("runs/one").exists() || t.run_dirs("one").is_empty(), "no run folder is left behind");
    // The flag wins over the manifest.
    t.run_with(
        &[("PATH", empty.to_str().expect("utf-8"))],
        &["run", "--executor", "local", m.to_str().expect("utf-8")],
    )
    .ok();
}
