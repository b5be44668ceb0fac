//! Runner benchmarks (`cargo bench --bench runner`). Targets (issue #2): a cached re-run of
//! `pipelines/multi_model.toml` under 50 ms; planning a 1,000-instance matrix under 100 ms;
//! 8 independent training cohorts at least 1.7× faster with 2 threads than with 1. Issue #19:
//! a 1,000,000-row synthetic `load` with its split written in ≤ 0.15 s. Issue #15: the cached
//! re-run ≤ 50 ms with 1,000 earlier runs on disk and a 1,000,000-event audit log; `validate`
//! and `plan` of 10,000 stages ≤ 1 s.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use divan::Bencher;
use nethical::clock::RunClock;
use nethical::exec::{Failpoints, RunOptions, RunStatus, Silent, run};
use nethical::manifest::{ManifestInput, load};
use nethical::plan::{Plan, plan_statuses};
use nethical::stages::KaggleAccess;
use nethical::store::Cache;

fn main() {
    divan::main();
}

fn plan_of(text: &str) -> Plan {
    let input = ManifestInput::new(Path::new("bench.toml"), text.to_owned(), Vec::new());
    Plan::new(load(&input).expect("valid manifest"), ".")
}

fn options(dir: &Path, jobs: usize, force: bool) -> RunOptions {
    RunOptions {
        jobs: NonZeroUsize::new(jobs).expect("jobs"),
        keep_going: false,
        force,
        forcerun: std::collections::BTreeSet::new(),
        runs_dir: dir.join("runs"),
        cache_dir: dir.join("cache"),
        audit_dir: None,
        audit_key: None,
        executor: nethical::exec::ExecutorChoice::Local,
        link: nethical::store::Linker::default(),
        verify: false,
        kaggle: KaggleAccess::default(),
        manifest_path: dir.join("bench.toml"),
        write_lockfile: false,
        clock: RunClock::fixed(1_700_000_000),
        failpoints: Failpoints::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        wait_for_lock: false,
    }
}

fn run_ok(plan: &Plan, opts: &RunOptions) {
    let summary = run(plan, opts, &Silent).expect("run");
    assert_eq!(summary.status, RunStatus::Succeeded);
}

/// A `train` matrix of `n` values of `epochs` over one small dataset.
fn matrix_manifest(n: usize, rows: usize, epochs_base: usize) -> String {
    let values: Vec<String> = (0..n).map(|i| (epochs_base + i).to_string()).collect();
    format!(
        r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = {{ synthetic = {{ num_samples = {rows} }} }}
[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
matrix = {{ epochs = [{}] }}
epochs = "${{matrix.epochs}}"
"#,
        values.join(", ")
    )
}

/// Planning: validate, expand and key a 1,000-instance matrix (10 × 10 × 10 trains + a load).
#[divan::bench]
fn plan_1000_instance_matrix(bencher: Bencher<'_, '_>) {
    let text = r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = { synthetic = { num_samples = 100 } }
[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
matrix = { epochs = [1,2,3,4,5,6,7,8,9,10], batch_size = [1,2,3,4,5,6,7,8,9,10], learning_rate = [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0] }
epochs = "${matrix.epochs}"
batch_size = "${matrix.batch_size}"
learning_rate = "${matrix.learning_rate}"
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::new(dir.path());
    bencher.bench(|| {
        let plan = plan_of(text);
        assert_eq!(plan.instances.len(), 1001);
        plan_statuses(&plan, &cache, None, false)
    });
}

/// Runner overhead: 100 instances whose work is tiny (1 epoch on 24 training rows), computed
/// from scratch: a load and 99 trains that differ only in their decision threshold.
#[divan::bench(sample_count = 20)]
fn overhead_100_instances(bencher: Bencher<'_, '_>) {
    let thresholds: Vec<String> = (1..=99).map(|i| format!("{}", f64::from(i) / 100.0)).collect();
    let text = format!(
        r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = {{ synthetic = {{ num_samples = 32 }} }}
[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 1
matrix = {{ threshold = [{}] }}
threshold = "${{matrix.threshold}}"
"#,
        thresholds.join(", ")
    );
    let plan = plan_of(&text);
    assert_eq!(plan.instances.len(), 100);
    bencher.with_inputs(|| tempfile::tempdir().expect("tempdir")).bench_values(|dir| {
        run_ok(&plan, &options(dir.path(), 2, false));
        dir
    });
}

fn multi_model() -> Plan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pipelines/multi_model.toml");
    let text = std::fs::read_to_string(&path).expect("multi_model.toml");
    let input = ManifestInput::new(&path, text, Vec::new());
    Plan::new(load(&input).expect("valid"), path.parent().unwrap_or(Path::new(".")))
}

/// A full run of `pipelines/multi_model.toml`, nothing cached, on 2 threads.
#[divan::bench(sample_count = 10)]
fn multi_model_full_run(bencher: Bencher<'_, '_>) {
    let plan = multi_model();
    bencher.with_inputs(|| tempfile::tempdir().expect("tempdir")).bench_values(|dir| {
        run_ok(&plan, &options(dir.path(), 2, false));
        dir
    });
}

/// A re-run of `pipelines/multi_model.toml` with every instance in the cache.
#[divan::bench(sample_count = 30)]
fn multi_model_cached_rerun(bencher: Bencher<'_, '_>) {
    let plan = multi_model();
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(&plan, &options(dir.path(), 2, false));
    bencher.bench(|| run_ok(&plan, &options(dir.path(), 2, false)));
}

/// The cached re-run of `pipelines/multi_model.toml` (audit stage included) with 1,000 earlier
/// runs in its runs folder and 1,000,000 events in its audit log (filler events sealed after
/// the first run's): the no-op cost does not grow with history.
#[divan::bench(sample_count = 20)]
fn multi_model_cached_rerun_with_1000_runs_and_a_1m_event_log(bencher: Bencher<'_, '_>) {
    let plan = multi_model();
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(dir.path(), 2, false);
    run_ok(&plan, &opts);
    let log = nethical::trail::LogDir::new(opts.audit_log_dir(&plan.pipeline.name));
    let filler: Vec<serde_json::Value> = (0..1_000_000)
        .map(|i| serde_json::json!({"event": "filler", "n": i, "note": "an earlier run's event, about this long"}))
        .collect();
    nethical::trail::seal(&log, "nethical/multi_model", "filler", filler, None, None).expect("seal filler");
    for _ in 0..999 {
        run_ok(&plan, &opts);
    }
    bencher.bench(|| run_ok(&plan, &opts));
}

/// `validate` and `plan` of a manifest of 10,000 stages (one `load`, 9,999 `train` stages
/// needing it): expansion, the dependency order and the plan statuses, from the text.
#[divan::bench(sample_count = 10)]
fn validate_and_plan_10000_stages(bencher: Bencher<'_, '_>) {
    let mut text = String::from(
        "[pipeline]\nname = \"big\"\nseed = 1\n\n[stages.data]\nkind = \"load\"\n\
         source = { synthetic = { num_samples = 200 } }\n",
    );
    for i in 0..9_999 {
        text.push_str(&format!(
            "\n[stages.t{i}]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"heuristic\"\ncohort = \"c{i}\"\n"
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::new(dir.path().join("cache"));
    bencher.bench(|| {
        let plan = plan_of(&text);
        assert_eq!(plan.instances.len(), 10_000);
        plan_statuses(&plan, &cache, None, false)
    });
}

/// 8 independent training cohorts (20,000 rows, 40 epochs each) on 1 and on 2 threads. The
/// dataset comes from a cache copied in before each sample, so exactly the 8 trainings run.
#[divan::bench(args = [1, 2], sample_count = 8)]
fn eight_cohorts(bencher: Bencher<'_, '_>, jobs: usize) {
    let text = matrix_manifest(8, 20_000, 40);
    let plan = plan_of(&text);
    let warm = warm_data_cache(&text);
    bencher.with_inputs(|| with_cache_of(&warm)).bench_values(|dir| {
        let summary = run(&plan, &options(dir.path(), jobs, false), &Silent).expect("run");
        assert_eq!(summary.count(nethical::exec::InstanceStatus::Ran), 8);
        dir
    });
}

/// Issue #19: a `load` stage generating 1,000,000 synthetic rows × 5 features and writing its
/// 80/20 split (the `.npy` parts and `dataset.json`) into the cache and the run folder, as
/// `nethical run` does; target ≤ 0.15 s.
#[divan::bench(sample_count = 10)]
fn load_1m_synthetic_rows_with_split(bencher: Bencher<'_, '_>) {
    let plan = plan_of(
        r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = { synthetic = { num_samples = 1000000 } }
split = { strategy = "random", train_ratio = 0.8 }
"#,
    );
    bencher.with_inputs(|| tempfile::tempdir().expect("tempdir")).bench_values(|dir| {
        run_ok(&plan, &options(dir.path(), 2, false));
        dir
    });
}

/// Issue #19: the data path of a `train` stage at 1,000,000 rows: four models (two logistic
/// regressions, the heuristic, boosted trees of 20 rounds × depth 3) over one cached `load`
/// instance, which they read once and share, on 2 threads: the peers' workload without its
/// gates, drift and report.
#[divan::bench(sample_count = 5)]
fn four_models_over_1m_rows(bencher: Bencher<'_, '_>) {
    let text = peer_cohorts_then("drift");
    let text = &text[..text.find("[stages.fan_in]").expect("fan-in")];
    let plan = plan_of(text);
    let warm = warm_data_cache(text);
    bencher.with_inputs(|| with_cache_of(&warm)).bench_values(|dir| {
        let summary = run(&plan, &options(dir.path(), 2, false), &Silent).expect("run");
        assert_eq!(summary.count(nethical::exec::InstanceStatus::Ran), 4);
        dir
    });
}

/// A folder whose cache holds the `load` stage of `text` (everything before its first
/// `[stages.train]`), so a benchmark times the stages after it.
fn warm_data_cache(text: &str) -> tempfile::TempDir {
    warm_cache_before(text, "[stages.train]")
}

/// A folder whose cache holds the stages of `text` declared before `marker`.
fn warm_cache_before(text: &str, marker: &str) -> tempfile::TempDir {
    let before = plan_of(&text[..text.find(marker).expect("marker")]);
    let warm = tempfile::tempdir().expect("tempdir");
    run_ok(&before, &options(warm.path(), 2, false));
    warm
}

/// The peers' workload at 1,000,000 rows up to its four trained cohorts, cached, then one
/// fan-in stage of `kind`: what a cold run spends on it once the models are trained.
fn peer_cohorts_then(kind: &str) -> String {
    format!(
        r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = {{ synthetic = {{ num_samples = 1000000 }} }}
split = {{ strategy = "random", train_ratio = 0.8 }}
[stages.train]
kind = "train"
needs = ["data"]
matrix = {{ model = ["logistic", "heuristic"] }}
model = "${{matrix.model}}"
cohort = "${{matrix.model}}"
[stages.train_sgd]
kind = "train"
needs = ["data"]
model = "logistic"
learning_rate = 0.5
cohort = "sgd"
[stages.train_gbt]
kind = "train"
needs = ["data"]
model = "correlation"
rounds = 20
max_depth = 3
cohort = "gbt"
[stages.fan_in]
kind = "{kind}"
needs = ["data", "train", "train_sgd", "train_gbt"]
"#
    )
}

/// Issue #19: the peers' `drift` stage over its 4 cohorts × 200,000 validation predictions
/// and 5 features (the product's stage: reading the cohorts' hand-off, the load's validation
/// features, and writing the report into the cache and run folder); target ≤ 0.2 s.
#[divan::bench(args = ["drift", "report"], sample_count = 10)]
fn fan_in_over_four_200k_cohorts(bencher: Bencher<'_, '_>, kind: &str) {
    let text = peer_cohorts_then(kind);
    let plan = plan_of(&text);
    let warm = warm_cache_before(&text, "[stages.fan_in]");
    bencher.with_inputs(|| with_cache_of(&warm)).bench_values(|dir| {
        let summary = run(&plan, &options(dir.path(), 2, false), &Silent).expect("run");
        assert_eq!(summary.count(nethical::exec::InstanceStatus::Ran), 1);
        dir
    });
}

/// A fresh folder with a copy of `warm`'s cache.
fn with_cache_of(warm: &tempfile::TempDir) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&warm.path().join("cache"), &dir.path().join("cache"));
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Issue #6: an `optimize` stage training and measuring 100 logistic candidates (10 epochs on
/// 8,000 training rows of 10,000, random search over learning rate, L2 and threshold); target
/// under 2 s on 2 cores.
#[divan::bench(sample_count = 5)]
fn optimize_100_logistic_candidates(bencher: Bencher<'_, '_>) {
    let text = r#"[pipeline]
name = "bench"
[stages.data]
kind = "load"
source = { synthetic = { num_samples = 10000 } }
split = { strategy = "stratified", train_ratio = 0.8 }
[stages.search]
kind = "optimize"
needs = ["data"]
model = "logistic"
technique = "random_search"
iterations = 100
space = { learning_rate = { min = 1e-4, max = 1.0, log = true }, l2 = { min = 1e-6, max = 1e-1, log = true }, threshold = { min = 0.3, max = 0.7 } }
"#;
    let plan = plan_of(text);
    let dir = tempfile::tempdir().expect("tempdir");
    // Forced, so every sample trains all 100 candidates (and regenerates the 10,000 rows,
    // a few milliseconds).
    bencher.bench(|| run_ok(&plan, &options(dir.path(), 2, true)));
}

/// `gc --dry-run --keep-last 10` over 1,000 runs of a small pipeline (issue 15: gc over 1,000
/// runs ≤ 2 s): listing, protecting, measuring every file's size and inode.
#[divan::bench(sample_count = 10)]
fn gc_dry_run_1000_runs(bencher: Bencher<'_, '_>) {
    let plan = plan_of(&matrix_manifest(2, 500, 3));
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(dir.path(), 2, false);
    for _ in 0..1_000 {
        run_ok(&plan, &opts);
    }
    let gc = nethical::exec::GcOptions {
        runs_dir: opts.runs_dir.clone(),
        cache_dir: opts.cache_dir.clone(),
        keep_last: Some(10),
        older_than: None,
        keep: Vec::new(),
        lockfiles: Vec::new(),
        dry_run: true,
        now: chrono::Utc::now(),
    };
    bencher.bench(|| {
        let report = nethical::exec::gc(&gc).expect("gc");
        assert_eq!(report.runs.len(), 990);
    });
}
