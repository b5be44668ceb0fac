//! `nethical train`: the original trainer's flags, mapped onto a generated pipeline
//! (load → train per model type → gate) that runs through the same runner as any manifest.
//! The pipeline is built by [`crate::manifest::from_train_flags`]; this file turns the clap
//! values into its `TrainFlags`, runs the plan and prints the original's lines.
//!
//! What changes from the original: `--epochs` and `--batch-size` take effect (`--epochs` for
//! the models that make passes; `correlation` boosts `--rounds` trees and says so when
//! `--epochs` is given); `all` means the model types this version implements (the original
//! listed ten and five always failed); the exit code is non-zero when a model fails; flags
//! whose stages come in later versions say so instead of being ignored.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::out::outln;
use super::reporter::CliReporter;
use super::train_args::TrainArgs;
use crate::artifacts::{GateRecord, MetricsFile};
use crate::clock::RunClock;
use crate::data::kaggle::Credentials;
use crate::error::{Error, InputError};
use crate::exec::{Failpoints, InstanceStatus, RunOptions, RunStatus, copy_files, copy_tree, export_models};
use crate::exit_code;
use crate::manifest::from_train_flags::{
    TRAIN_MANIFEST_NAME, TrainCohort, TrainFlags, TrainPipeline, from_train_flags,
};
use crate::plan::Plan;
use crate::stages::{DriftReportFile, KaggleAccess};

/// The flags that shape the pipeline, as library values.
fn flags(a: &TrainArgs) -> TrainFlags {
    TrainFlags {
        model_type: a.model_type.clone(),
        epochs: a.epochs,
        rounds: a.rounds,
        batch_size: a.batch_size,
        num_samples: a.num_samples,
        seed: a.seed,
        train_ratio: a.train_ratio,
        split_strategy: a.split_strategy,
        no_download: a.no_download,
        kaggle_dataset: a.kaggle_dataset.clone(),
        overwrite_kaggle_json: a.overwrite_kaggle_json,
        cohort_id: a.cohort_id.clone(),
        ece_bins: a.ece_bins,
        ece_policy: a.ece_policy,
        promotion_max_ece: a.promotion_max_ece,
        promotion_min_accuracy: a.promotion_min_accuracy,
        enable_audit: a.enable_audit,
        enable_drift_tracking: a.enable_drift_tracking,
        enable_phase3: a.enable_phase3,
        enable_phase89: a.enable_phase89,
        optimize_config: a.optimize_config,
        optimization_technique: a.optimization_technique,
        optimization_iterations: a.optimization_iterations,
        enable_governance: a.enable_governance,
        include_adversarial: a.include_adversarial,
        compare_with_baseline: a.compare_with_baseline.is_some(),
    }
}

/// A stage output of the run through its type; `None` when the stage did not write it (its
/// instance failed or did not run).
fn read_typed<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Reads a drift report the run wrote, through its type.
fn read_drift_report(bytes: &[u8], path: &Path) -> Result<DriftReportFile, Error> {
    DriftReportFile::from_bytes(bytes, &format!("`{}`", path.display()))
        .map_err(|e| InputError::DriftReport(Box::new(e)).into())
}

/// Copies the run's drift reports to `--drift-report-dir` and prints the original's lines.
fn report_drift(run_dir: &Path, dir: &Path) -> Result<(), Error> {
    for (f, dest) in copy_files(&run_dir.join("drift_reports"), dir)? {
        let bytes = std::fs::read(&f).map_err(Error::io("read", &f))?;
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

/// Copies each `optimize` stage's folder to `--phase89-storage` and prints the original's
/// optimisation lines.
fn report_phase89(run_dir: &Path, storage: &Path, cohorts: &[TrainCohort]) -> Result<(), Error> {
    for TrainCohort { model: m, .. } in cohorts {
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

pub(crate) fn train(a: TrainArgs) -> Result<i32, Error> {
    let TrainPipeline { manifest, cohorts, notes } = from_train_flags(&flags(&a))?;
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
            .map_err(InputError::KaggleFlags)?,
        ),
    };
    for note in notes {
        tracing::info!("{note}");
    }
    let plan = Plan::new(manifest, ".");
    let clock =
        RunClock::from_source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().filter(|v| !v.is_empty()).as_deref())
            .map_err(InputError::from)?;
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
        manifest_path: Path::new(TRAIN_MANIFEST_NAME).to_path_buf(),
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
    for TrainCohort { model: m, cohort } in &cohorts {
        let trained = summary
            .instances
            .iter()
            .any(|i| i.kind == "train" && i.cohort.as_deref() == Some(cohort) && i.status.completed());
        let gate: Option<GateRecord> = read_typed(&run_dir.join("cohorts").join(cohort).join("gate.json"));
        let metrics: Option<MetricsFile> = read_typed(&run_dir.join("cohorts").join(cohort).join("metrics.json"));
        let accuracy = metrics.as_ref().and_then(|m| m.report.accuracy);
        let ece = metrics.as_ref().and_then(|m| m.report.ece);
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
        report_phase89(&run_dir, &a.phase89_storage, &cohorts)?;
    }
    outln!("{}", "=".repeat(70));
    outln!("TRAINING SUMMARY");
    outln!("{}", "=".repeat(70));
    outln!("Total models trained: {}", cohorts.len());
    outln!("Successful: {successful}");
    outln!("Promoted: {promoted}");
    outln!("Failed: {}", cohorts.len() - successful);
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
