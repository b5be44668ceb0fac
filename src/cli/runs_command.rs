//! `nethical runs`: the run folders on disk, newest first, with status and headline metrics
//! (each cohort's accuracy and ECE, from its `metrics.json`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::args::{CompareArgs, RunsArgs};
use super::commands::table;
use super::out::{out, outln};
use crate::artifacts::{ArtifactFile, MetricsFile, RUN_FILE};
use crate::error::{Error, InputError};
use crate::exec::{RunStatus, RunSummary};
use crate::exit_code;

/// One run's line (`--json` prints a list of them).
#[derive(Serialize)]
struct RunLine {
    pipeline: String,
    run_id: String,
    status: RunStatus,
    started_at: String,
    instances: usize,
    /// Cohort → its headline figures.
    cohorts: BTreeMap<String, Headline>,
}

/// A cohort's headline figures, from its `metrics.json`.
#[derive(Serialize)]
struct Headline {
    accuracy: Option<f64>,
    ece: Option<f64>,
}

/// `path` read through its artifact type; `None` when it is missing, and when it cannot be
/// read (damaged, or of a later format), then with a warning naming it and ending in `then`.
fn read_or_warn<T: ArtifactFile>(path: &Path, then: &str) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    T::from_bytes(&bytes, &format!("`{}`", path.display())).map_err(|e| tracing::warn!("{e}{then}")).ok()
}

/// One run's line: a cohort whose `metrics.json` is missing is left out, one whose file is
/// malformed too, with a warning naming it.
fn describe(run_dir: &Path, summary: &RunSummary) -> RunLine {
    let mut cohorts = BTreeMap::new();
    for i in summary.instances.iter().filter(|i| i.kind == "train") {
        let Some(cohort) = &i.cohort else { continue };
        let path = run_dir.join("cohorts").join(cohort).join("metrics.json");
        let Some(m) = read_or_warn::<MetricsFile>(&path, "") else { continue };
        cohorts.insert(cohort.clone(), Headline { accuracy: m.report.accuracy, ece: m.report.ece });
    }
    RunLine {
        pipeline: summary.pipeline.clone(),
        run_id: summary.run_id.clone(),
        status: summary.status,
        started_at: summary.started_at.clone(),
        instances: summary.instances.len(),
        cohorts,
    }
}

fn headline(cohorts: &BTreeMap<String, Headline>) -> String {
    let best = cohorts
        .iter()
        .filter_map(|(c, m)| m.accuracy.map(|a| (c, a)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
    match best {
        Some((c, a)) if cohorts.len() > 1 => format!("{} cohorts; best accuracy {a:.4} ({c})", cohorts.len()),
        Some((_, a)) => format!("accuracy {a:.4}"),
        None => String::new(),
    }
}

/// A run status as `run.json` spells it.
fn status_word(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "succeeded",
        RunStatus::Failed => "failed",
        RunStatus::Interrupted => "interrupted",
    }
}

pub(super) fn runs(args: &RunsArgs) -> Result<i32, Error> {
    let root = &args.runs_dir;
    let pipelines: Vec<String> = match &args.pipeline {
        Some(p) => vec![p.clone()],
        None => {
            let mut names: Vec<String> = std::fs::read_dir(root)
                .map(|e| {
                    e.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        }
    };
    let mut found: Vec<RunLine> = Vec::new();
    let mut experiments: Vec<(String, Vec<crate::report::ExperimentRow>)> = Vec::new();
    for p in &pipelines {
        let dir = root.join(p);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            if args.pipeline.is_some() {
                return Err(InputError::NoRuns { pipeline: p.clone(), root: root.to_path_buf() }.into());
            }
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "latest" || path.is_symlink() {
                continue;
            }
            // A folder without `run.json` is no run (the audit log's); one this build cannot
            // read (damaged, or of a later format) is left out with a warning naming it.
            let file = path.join(RUN_FILE);
            let Some(summary) = read_or_warn::<RunSummary>(&file, ": run not listed") else { continue };
            if args.table {
                experiments.push((summary.run_id.clone(), crate::report::run_rows(&path, p, &summary.run_id)));
            }
            found.push(describe(&path, &summary));
        }
    }
    // Newest first: run ids start with the run clock.
    found.sort_by(|a, b| b.run_id.cmp(&a.run_id).then(a.pipeline.cmp(&b.pipeline)));
    if args.table {
        return experiment_table(experiments, args);
    }
    if args.json {
        // Through a `Value`, so each line's keys are sorted as they always were.
        let text = serde_json::to_value(&found)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .map_err(|e| Error::Internal(e.to_string()))?;
        outln!("{text}");
        return Ok(exit_code::OK);
    }
    let rows: Vec<[String; 5]> = found
        .iter()
        .map(|r| {
            [
                r.pipeline.clone(),
                r.run_id.clone(),
                status_word(r.status).to_owned(),
                r.instances.to_string(),
                headline(&r.cohorts),
            ]
        })
        .collect();
    out!("{}", table(&["PIPELINE", "RUN", "STATUS", "INSTANCES", "HEADLINE"], &rows));
    Ok(exit_code::OK)
}

/// `runs --table`: newest run first, then cohort order, before any `--sort`.
fn experiment_table(mut runs: Vec<(String, Vec<crate::report::ExperimentRow>)>, args: &RunsArgs) -> Result<i32, Error> {
    runs.sort_by(|a, b| b.0.cmp(&a.0));
    let rows = runs.into_iter().flat_map(|(_, rows)| rows).collect();
    let table = crate::report::build_table(rows, &args.filters, args.sort.as_deref()).map_err(InputError::from)?;
    if args.json {
        let text = serde_json::to_string_pretty(&table).map_err(|e| Error::Internal(e.to_string()))?;
        outln!("{text}");
    } else if args.md {
        out!("{}", table.to_markdown());
    } else if args.csv {
        out!("{}", table.to_csv());
    } else {
        let (header, rows) = table.cells();
        out!("{}", plain_table(&header, &rows));
    }
    Ok(exit_code::OK)
}

/// A left-aligned text table with any number of columns.
fn plain_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    let mut out = line(&header.iter().map(|h| h.to_uppercase()).collect::<Vec<_>>());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// A run folder from a path or a run id (looked up under every pipeline of `runs_dir`).
fn resolve_run(arg: &Path, runs_dir: &Path) -> Result<std::path::PathBuf, Error> {
    if arg.join("run.json").is_file() {
        return Ok(arg.to_path_buf());
    }
    let id = arg.to_string_lossy();
    let found: Vec<std::path::PathBuf> = std::fs::read_dir(runs_dir)
        .map(|e| {
            e.filter_map(Result::ok)
                .map(|p| p.path().join(id.as_ref()))
                .filter(|p| p.join("run.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(InputError::UnknownRun { id: id.into_owned(), runs_dir: runs_dir.to_path_buf() }.into()),
        many => Err(InputError::AmbiguousRun { id: id.into_owned(), folders: many.to_vec() }.into()),
    }
}

/// Each later run against the first: two runs print one diff (an object in JSON), more
/// print one per later run (a JSON array, Markdown sections one after another).
pub(super) fn compare(args: &CompareArgs) -> Result<i32, Error> {
    let runs = args.runs.iter().map(|r| resolve_run(r, &args.runs_dir)).collect::<Result<Vec<_>, _>>()?;
    let Some((first, later)) = runs.split_first() else { return Ok(exit_code::OK) };
    let diffs = later
        .iter()
        .map(|b| crate::report::diff_runs(first, b, args.only_changed))
        .collect::<Result<Vec<_>, _>>()
        .map_err(InputError::from)?;
    if args.json {
        let text = match diffs.as_slice() {
            [one] => serde_json::to_string_pretty(one),
            many => serde_json::to_string_pretty(many),
        }
        .map_err(|e| Error::Internal(e.to_string()))?;
        outln!("{text}");
    } else {
        for d in &diffs {
            out!("{}", crate::report::render_diff_markdown(d));
        }
    }
    Ok(exit_code::OK)
}
