//! `nethical train`: the original trainer's flags, mapped onto a generated pipeline
//! (load → train per model type → gate) that runs through the same runner as any manifest.
//!
//! What changes from the original: `--epochs` and `--batch-size` take effect (`--epochs` for
//! the models that make passes; `correlation` boosts `--rounds` trees and says so when
//! `--epochs` is given); `all` means the model types this version implements (the original
//! listed ten and five always failed); the exit code is non-zero when a model fails; flags
//! whose stages come in later versions say so instead of being ignored.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::out::outln;
use super::reporter::CliReporter;
use super::train_args::{EcePolicyArg, SplitArg, TechniqueArg, TrainArgs};
use crate::clock::RunClock;
use crate::data::kaggle::Credentials;
use crate::error::Error;
use crate::exec::{Failpoints, InstanceStatus, RunOptions, RunStatus};
use crate::exit_code;
use crate::manifest::params::{DEFAULT_EPOCHS, ModelType};
use crate::manifest::{self, ManifestInput};
use crate::plan::Plan;
use crate::stages::{DriftReportFile, GateRecord, KaggleAccess, MetricsFile};

/// Model types of the original that it never implemented.
const NEVER_IMPLEMENTED: [&str; 5] = ["shadow_ai", "deepfake", "polymorphic", "prompt_injection", "adversarial"];

const ALL_TYPES: [ModelType; 5] = [
    ModelType::Heuristic,
    ModelType::Logistic,
    ModelType::SimpleTransformer,
    ModelType::Anomaly,
    ModelType::Correlation,
];

fn not_yet(flag: &str, what: &str) -> Error {
    Error::InvalidInput(format!("`{flag}` is not yet supported by nethical {}: {what}", crate::VERSION))
}

/// Refuses the flags whose stages are not implemented yet, rather than ignoring them.
fn check_flags(a: &TrainArgs) -> Result<(), Error> {
    if a.optimize_config && !a.enable_phase89 {
        return Err(Error::InvalidInput(
            "`--optimize-config` needs `--enable-phase89` (the original silently did nothing)".to_owned(),
        ));
    }
    let later: [(bool, &str, &str); 6] = [
        (
            a.enable_phase89 && !a.optimize_config,
            "--enable-phase89 without --optimize-config",
            "recording a configuration without searching is not supported; add --optimize-config to train, measure and gate candidate configurations",
        ),
        (a.enable_governance, "--enable-governance", "governance validation comes in a later version"),
        (a.include_adversarial, "--include-adversarial", "adversarial samples come in a later version"),
        (a.compare_with_baseline.is_some(), "--compare-with-baseline", "run comparison comes in a later version"),
        (
            a.kaggle_dataset.len() > 1,
            "--kaggle-dataset (more than once)",
            "train on one dataset per run (the original concatenated unrelated CSVs with different labels)",
        ),
        (
            a.overwrite_kaggle_json,
            "--overwrite-kaggle-json",
            "nethical never writes credentials to disk; create ~/.kaggle/kaggle.json yourself or set KAGGLE_USERNAME/KAGGLE_KEY",
        ),
    ];
    for (on, flag, what) in later {
        if on {
            return Err(not_yet(flag, what));
        }
    }
    if !(a.train_ratio > 0.0 && a.train_ratio < 1.0) {
        return Err(Error::InvalidInput(format!(
            "--train-ratio must be strictly between 0 and 1, found {}",
            a.train_ratio
        )));
    }
    for (v, flag) in
        [(a.promotion_max_ece, "--promotion-max-ece"), (a.promotion_min_accuracy, "--promotion-min-accuracy")]
    {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::InvalidInput(format!("{flag} must be between 0 and 1, found {v}")));
        }
    }
    Ok(())
}

fn model_types(arg: &str) -> Result<Vec<ModelType>, Error> {
    if arg.eq_ignore_ascii_case("all") {
        return Ok(ALL_TYPES.to_vec());
    }
    if let Some(m) = ALL_TYPES.into_iter().find(|m| m.name() == arg) {
        return Ok(vec![m]);
    }
    if NEVER_IMPLEMENTED.contains(&arg) {
        return Err(Error::InvalidInput(format!(
            "model type `{arg}` has no implementation (the original lists it but never implemented it)"
        )));
    }
    let known: Vec<&str> = ALL_TYPES.iter().map(|m| m.name()).collect();
    Err(Error::InvalidInput(format!("unknown model type `{arg}`; expected {} or all", known.join(", "))))
}

/// The original's synthetic family for each model type.
fn family(m: ModelType) -> &'static str {
    match m {
        ModelType::Anomaly => "anomaly",
        ModelType::Correlation => "correlation",
        ModelType::Heuristic | ModelType::Logistic | ModelType::SimpleTransformer => "default",
    }
}

/// The cohort of a model type.
fn cohort_of(a: &TrainArgs, m: ModelType, many: bool) -> String {
    match &a.cohort_id {
        Some(c) if !many => c.clone(),
        Some(c) => format!("{c}_{}", m.name()),
        None => m.name().to_owned(),
    }
}

/// The dataset to download, unless `--no-download` says not to.
fn kaggle_slug(a: &TrainArgs) -> Option<&str> {
    a.kaggle_dataset.first().filter(|_| !a.no_download).map(String::as_str)
}

/// The `train` keys (one line each) saying how long model type `m` trains: `epochs` for the
/// models that make passes over the rows, `rounds` (when given) for `correlation`.
fn length_keys(a: &TrainArgs, m: ModelType) -> String {
    match (m, a.rounds) {
        (ModelType::Correlation, Some(rounds)) => format!("rounds = {rounds}\n"),
        (ModelType::Correlation, None) => String::new(),
        _ => format!("epochs = {}\n", a.epochs.unwrap_or(DEFAULT_EPOCHS)),
    }
}

/// The one-line notes on length flags that some of the chosen model types do not take.
fn length_notes(a: &TrainArgs, types: &[ModelType]) -> Vec<String> {
    let correlation = types.contains(&ModelType::Correlation);
    let mut notes = Vec::new();
    if correlation && a.epochs.is_some() {
        let rounds = a.rounds.map_or_else(|| "100, the default".to_owned(), |r| r.to_string());
        notes.push(format!("note: correlation does not use --epochs: it boosts --rounds trees ({rounds})"));
    }
    if a.rounds.is_some() && !correlation {
        notes.push("note: --rounds only applies to --model-type correlation; it is not used here".to_owned());
    }
    notes
}

/// The manifest equivalent to the flags: one `load` per synthetic family needed (each model
/// type gets its family, as in the original), then `train_<type>` and `gate_<type>`.
fn manifest_text(a: &TrainArgs, types: &[ModelType]) -> String {
    let strategy = match a.split_strategy {
        SplitArg::Temporal => "temporal",
        SplitArg::Random => "random",
        SplitArg::Stratified => "stratified",
    };
    let policy = match a.ece_policy {
        EcePolicyArg::Strict => "strict",
        EcePolicyArg::ProbsOnly => "probs_only",
        EcePolicyArg::Disable => "disable",
    };
    let mut text = String::new();
    let _ = write!(
        text,
        "[pipeline]\nname = \"train\"\nseed = {}\ndescription = {:?}\n",
        a.seed,
        format!("nethical train --model-type {}", a.model_type)
    );
    if let Some(slug) = kaggle_slug(a) {
        // One real dataset for every model type; rows with missing values are dropped (and
        // counted), as the original skipped invalid rows.
        let _ = write!(
            text,
            "\n[stages.data_kaggle]\nkind = \"load\"\nsource = {{ kaggle = {{ dataset = {slug:?}, fallback = \"synthetic\", csv = {{ missing = \"drop\", max_rows = {} }} }} }}\nsplit = {{ strategy = \"{strategy}\", train_ratio = {:?} }}\n",
            a.num_samples, a.train_ratio
        );
    }
    let mut families: Vec<&str> = types.iter().map(|m| family(*m)).collect();
    families.sort_unstable();
    families.dedup();
    for f in families.iter().filter(|_| kaggle_slug(a).is_none()) {
        let _ = write!(
            text,
            "\n[stages.data_{f}]\nkind = \"load\"\nsource = {{ synthetic = {{ num_samples = {}, family = \"{f}\" }} }}\nsplit = {{ strategy = \"{strategy}\", train_ratio = {:?} }}\n",
            a.num_samples, a.train_ratio
        );
    }
    for m in types {
        let name = m.name();
        let _ = write!(
            text,
            "\n[stages.train_{name}]\nkind = \"train\"\nneeds = [\"{}\"]\nmodel = \"{name}\"\n{}batch_size = {}\nece_bins = {}\ncohort = {:?}\n\n[stages.gate_{name}]\nkind = \"gate\"\nneeds = [\"train_{name}\"]\nmin_accuracy = {:?}\nmax_ece = {:?}\nece_policy = \"{policy}\"\n",
            kaggle_slug(a).map_or_else(|| format!("data_{}", family(*m)), |_| "data_kaggle".to_owned()),
            length_keys(a, *m),
            a.batch_size,
            a.ece_bins,
            cohort_of(a, *m, types.len() > 1),
            a.promotion_min_accuracy,
            a.promotion_max_ece,
        );
    }
    if a.enable_drift_tracking || a.enable_phase3 {
        // Every cohort's train, gate and data: predictions, violations and input features.
        let mut needs: Vec<String> =
            types.iter().flat_map(|m| [format!("train_{}", m.name()), format!("gate_{}", m.name())]).collect();
        if kaggle_slug(a).is_some() {
            needs.push("data_kaggle".to_owned());
        } else {
            let mut families: Vec<&str> = types.iter().map(|m| family(*m)).collect();
            families.sort_unstable();
            families.dedup();
            needs.extend(families.iter().map(|f| format!("data_{f}")));
        }
        let quoted: Vec<String> = needs.iter().map(|n| format!("{n:?}")).collect();
        // Unlike the original, Phase 3 does not swallow drift tracking: both may run.
        if a.enable_drift_tracking {
            let _ = write!(text, "\n[stages.drift]\nkind = \"drift\"\nneeds = [{}]\n", quoted.join(", "));
        }
        if a.enable_phase3 {
            let _ = write!(text, "\n[stages.phase3]\nkind = \"phase3\"\nneeds = [{}]\n", quoted.join(", "));
        }
    }
    if a.optimize_config {
        for m in types {
            let _ = write!(text, "{}", optimize_stage(a, *m));
        }
    }
    if a.enable_audit {
        let mut gates: Vec<String> = types.iter().map(|m| format!("\"gate_{}\"", m.name())).collect();
        if a.optimize_config {
            gates.extend(types.iter().map(|m| format!("\"optimize_{}\"", m.name())));
        }
        if a.enable_drift_tracking {
            gates.push("\"drift\"".to_owned());
        }
        if a.enable_phase3 {
            gates.push("\"phase3\"".to_owned());
        }
        let _ = write!(text, "\n[stages.audit]\nkind = \"audit\"\nneeds = [{}]\n", gates.join(", "));
    }
    text
}

/// A stage output of the run through its type; `None` when the stage did not write it (its
/// instance failed or did not run).
fn read_typed<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Copies the run's promoted and candidate models into `--models-dir` as the original laid
/// them out: `<dir>/{current,candidates}/<cohort>_model_<timestamp>.json`.
fn export_models(run_dir: &Path, models_dir: &Path, stamp: &str) -> Result<usize, Error> {
    let mut n = 0;
    for sub in ["current", "candidates"] {
        let Ok(entries) = std::fs::read_dir(run_dir.join("models").join(sub)) else { continue };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let Some(name) = f.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(stem) = name.strip_suffix(".json") else { continue };
            let dest = models_dir.join(sub).join(format!("{stem}_{stamp}.json"));
            let bytes = std::fs::read(&f).map_err(Error::io("read", &f))?;
            crate::store::write_atomic(&dest, &bytes).map_err(Error::io("write", &dest))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Reads a drift report the run wrote, through its type.
fn read_drift_report(bytes: &[u8], path: &Path) -> Result<DriftReportFile, Error> {
    DriftReportFile::from_bytes(bytes, &format!("`{}`", path.display()))
        .map_err(|e| Error::InvalidInput(crate::error_chain::error_chain(&e)))
}

/// Copies the run's drift reports to `--drift-report-dir` and prints the original's lines.
fn report_drift(run_dir: &Path, dir: &Path) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(run_dir.join("drift_reports")) else { return Ok(()) };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let Some(name) = f.file_name() else { continue };
        let bytes = std::fs::read(&f).map_err(Error::io("read", &f))?;
        let dest = dir.join(name);
        crate::store::write_atomic(&dest, &bytes).map_err(Error::io("write", &dest))?;
        let report = read_drift_report(&bytes, &f)?;
        outln!("Drift Report ID: {}", report.report_id);
        outln!("Drift detected: {}", report.drift_metrics.has_drift);
        for r in report.recommendations.iter().take(5) {
            outln!("  - {r}");
        }
        outln!("Drift report saved to: {}", dest.display());
    }
    Ok(())
}

/// Copies the `phase3` stage's folder to `--phase3-storage-dir` and prints the original's
/// report lines and system status block.
fn report_phase3(run_dir: &Path, storage: &Path) -> Result<(), Error> {
    let source = run_dir.join("phase3");
    if !source.is_dir() {
        return Ok(());
    }
    copy_tree(&source, storage)?;
    let dir_of = |sub: &str| -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(source.join(sub))
            .map(|e| e.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    };
    outln!("Generating ethical drift report using Phase3 integrated governance...");
    for f in dir_of("drift_reports") {
        let bytes = std::fs::read(&f).map_err(Error::io("read", &f))?;
        let report = read_drift_report(&bytes, &f)?;
        outln!("Drift Report ID: {}", report.report_id);
        outln!("Drift detected: {}", if report.drift_metrics.has_drift { "True" } else { "False" });
        let recs = &report.recommendations;
        if !recs.is_empty() {
            outln!("Drift Analysis Recommendations:");
            for (i, r) in recs.iter().take(5).enumerate() {
                outln!("  {}. {r}", i + 1);
            }
        }
    }
    super::phase3_status::print_status(&source);
    for f in dir_of("drift_reports") {
        if let Some(name) = f.file_name() {
            outln!("Drift report saved to: {}", storage.join("drift_reports").join(name).display());
        }
    }
    Ok(())
}

/// The `optimize` stage of `--optimize-config` for one model type. The original searched
/// `classifier_threshold` (0.4–0.7) with gray-zone bounds no model here has; the threshold is
/// searched the same way, plus the learning rate (logistic, transformer) or the tree depth
/// (correlation), the parameters that change what those models learn.
fn optimize_stage(a: &TrainArgs, m: ModelType) -> String {
    let name = m.name();
    let data = kaggle_slug(a).map_or_else(|| format!("data_{}", family(m)), |_| "data_kaggle".to_owned());
    let grid = matches!(a.optimization_technique, TechniqueArg::GridSearch);
    let extra = match (m, grid) {
        (ModelType::Logistic | ModelType::SimpleTransformer, false) => {
            ", learning_rate = { min = 0.001, max = 1.0, log = true }"
        }
        (ModelType::Logistic | ModelType::SimpleTransformer, true) => ", learning_rate = [0.01, 0.1, 1.0]",
        (ModelType::Correlation, false) => ", max_depth = { min = 2, max = 6 }",
        (ModelType::Correlation, true) => ", max_depth = [2, 4, 6]",
        _ => "",
    };
    let threshold = if grid { "[0.4, 0.5, 0.6]" } else { "{ min = 0.4, max = 0.7 }" };
    let length = length_keys(a, m).trim_end().replace('\n', ", ");
    let length = if length.is_empty() { String::new() } else { format!("{length}, ") };
    let technique = match a.optimization_technique {
        TechniqueArg::RandomSearch => "random_search",
        TechniqueArg::GridSearch => "grid_search",
        TechniqueArg::Evolutionary => "evolutionary",
    };
    format!(
        "\n[stages.optimize_{name}]\nkind = \"optimize\"\nneeds = [\"{data}\"]\nmodel = \"{name}\"\ntechnique = \"{technique}\"\niterations = {}\npopulation = 10\ngenerations = 5\nbase = {{ {length}batch_size = {}, ece_bins = {} }}\nspace = {{ threshold = {threshold}{extra} }}\n",
        a.optimization_iterations, a.batch_size, a.ece_bins
    )
}

/// Copies each `optimize` stage's folder to `--phase89-storage` and prints the original's
/// optimisation lines.
fn report_phase89(run_dir: &Path, storage: &Path, types: &[ModelType]) -> Result<(), Error> {
    for m in types {
        let folder = format!("optimize_{}", m.name());
        let source = run_dir.join("optimize").join(&folder);
        if !source.is_dir() {
            continue;
        }
        copy_tree(&source, &storage.join(&folder))?;
        outln!("[{}] Running configuration optimization...", m.name());
        super::optimize_report::print_optimization(&source);
    }
    Ok(())
}

/// Copies a folder's files into another, atomically file by file.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(from).map_err(Error::io("read", from))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io("create folder", parent))?;
            }
            crate::store::write_atomic(&dest, &bytes).map_err(Error::io("write", &dest))?;
        }
    }
    Ok(())
}

pub(crate) fn train(a: TrainArgs) -> Result<i32, Error> {
    check_flags(&a)?;
    let types = model_types(&a.model_type)?;
    if !a.no_download && a.kaggle_dataset.is_empty() {
        tracing::warn!(
            "no --kaggle-dataset given, so training on synthetic data (the original's built-in dataset list \
             is not downloaded: its CSVs share no label; pass --no-download to say so)"
        );
    }
    let credentials = match (&a.kaggle_username, &a.kaggle_key) {
        (None, None) => None,
        (username, key) => Some(
            Credentials::resolve(
                Some((username.clone().unwrap_or_default(), key.clone().unwrap_or_default())),
                |_| None,
                None,
            )
            .map_err(|e| Error::InvalidInput(format!("--kaggle-username/--kaggle-key: {e}")))?,
        ),
    };
    for note in length_notes(&a, &types) {
        tracing::info!("{note}");
    }
    let text = manifest_text(&a, &types);
    let input = ManifestInput::new(Path::new("nethical-train.toml"), text, Vec::new());
    let plan = Plan::new(manifest::load(&input)?, ".");
    let clock =
        RunClock::from_source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().filter(|v| !v.is_empty()).as_deref())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
    let opts = RunOptions {
        jobs: a.jobs.unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN)),
        keep_going: true,
        force: a.force_retrain,
        forcerun: std::collections::BTreeSet::new(),
        runs_dir: a.runs_dir.clone(),
        cache_dir: a.cache_dir.clone(),
        audit_dir: a.enable_audit.then(|| a.audit_path.clone()),
        audit_key: std::env::var("NETHICAL_AUDIT_KEY").ok().filter(|v| !v.is_empty()).map(std::path::PathBuf::from),
        kaggle: KaggleAccess::from_env(&a.cache_dir, credentials),
        manifest_path: Path::new("nethical-train.toml").to_path_buf(),
        write_lockfile: false,
        clock,
        failpoints: Failpoints::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        executor: crate::exec::ExecutorChoice::Local,
        wait_for_lock: false,
        link: crate::store::Linker::default(),
        verify: false,
    };
    let reporter = CliReporter::new();
    let summary = if a.verbosity == 0 {
        crate::exec::run(&plan, &opts, &crate::exec::Silent)?
    } else {
        let s = crate::exec::run(&plan, &opts, &reporter)?;
        reporter.finish();
        s
    };
    let run_dir = opts.runs_dir.join(&summary.pipeline).join(&summary.run_id);
    // Which data each model saw (the original's `dataset_info.source` said "kaggle" even for
    // its synthetic fallback).
    for load in summary.instances.iter().filter(|i| i.kind == "load" && !i.summary.is_empty()) {
        outln!("Data ({}): {}", load.id, load.summary);
    }
    let mut successful = 0;
    let mut promoted = 0;
    let mut lines = Vec::new();
    for m in &types {
        let cohort = cohort_of(&a, *m, types.len() > 1);
        let trained = summary
            .instances
            .iter()
            .any(|i| i.kind == "train" && i.cohort.as_deref() == Some(&cohort) && i.status.completed());
        let gate: Option<GateRecord> = read_typed(&run_dir.join("cohorts").join(&cohort).join("gate.json"));
        let metrics: Option<MetricsFile> = read_typed(&run_dir.join("cohorts").join(&cohort).join("metrics.json"));
        let accuracy = metrics.as_ref().and_then(|m| m.accuracy);
        let ece = metrics.as_ref().and_then(|m| m.ece);
        let pass = gate.as_ref().is_some_and(|g| g.promoted);
        if let Some(g) = &gate {
            outln!("[{}] Promotion Gate Policy: {} | Conditions: {}", m.name(), g.policy, g.conditions);
            let ok = |b: bool| if b { "OK" } else { "FAIL" };
            let acc_ok = accuracy.is_some_and(|x| x >= a.promotion_min_accuracy);
            let ece_ok = ece.is_some_and(|x| x <= a.promotion_max_ece);
            outln!(
                "[{}] Gate Values: Accuracy={:.3} ({}) | ECE={:.3} ({}) | Probabilities=yes",
                m.name(),
                accuracy.unwrap_or(f64::NAN),
                ok(acc_ok),
                ece.unwrap_or(f64::NAN),
                ok(ece_ok)
            );
            outln!("[{}] Promotion Gate Result: {}", m.name(), if pass { "PASS" } else { "FAIL" });
        }
        successful += usize::from(trained);
        promoted += usize::from(trained && pass);
        let status = match (trained, pass) {
            (true, true) => "✓ PROMOTED",
            (true, false) => "✓ SUCCESS",
            (false, _) => "✗ FAILED",
        };
        lines.push(format!("  {}: {status} (accuracy: {:.4})", m.name(), accuracy.unwrap_or(f64::NAN)));
    }
    let exported = export_models(&run_dir, &a.models_dir, &opts.clock.compact())?;
    if a.enable_drift_tracking {
        report_drift(&run_dir, &a.drift_report_dir)?;
    }
    if a.enable_phase3 {
        report_phase3(&run_dir, &a.phase3_storage_dir)?;
    }
    if a.optimize_config {
        report_phase89(&run_dir, &a.phase89_storage, &types)?;
    }
    outln!("{}", "=".repeat(70));
    outln!("TRAINING SUMMARY");
    outln!("{}", "=".repeat(70));
    outln!("Total models trained: {}", types.len());
    outln!("Successful: {successful}");
    outln!("Promoted: {promoted}");
    outln!("Failed: {}", types.len() - successful);
    for l in lines {
        outln!("{l}");
    }
    outln!("Run folder: {}", run_dir.display());
    outln!("Models copied to {}: {exported} files", a.models_dir.display());
    Ok(match summary.status {
        RunStatus::Succeeded => exit_code::OK,
        RunStatus::Interrupted => exit_code::INTERRUPTED,
        RunStatus::Failed if summary.instances.iter().any(|i| i.status == InstanceStatus::Failed) => {
            exit_code::STAGE_FAILED
        }
        RunStatus::Failed => exit_code::STAGE_FAILED,
    })
}
