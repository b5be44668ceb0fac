//! `nethical runs`: the run folders on disk, newest first, with status and headline metrics
//! (each cohort's accuracy and ECE, from its `metrics.json`).

use std::path::Path;

use serde_json::{Value, json};

use super::args::{CompareArgs, RunsArgs};
use super::commands::table;
use super::out::{out, outln};
use crate::error::Error;
use crate::exec::RunSummary;
use crate::exit_code;

/// One run's line.
fn describe(run_dir: &Path, summary: &RunSummary) -> Value {
    let mut cohorts = serde_json::Map::new();
    for i in summary.instances.iter().filter(|i| i.kind == "train") {
        let Some(cohort) = &i.cohort else { continue };
        let path = run_dir.join("cohorts").join(cohort).join("metrics.json");
        let Some(m) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else {
            continue;
        };
        cohorts.insert(cohort.clone(), json!({"accuracy": m["accuracy"], "ece": m["ece"]}));
    }
    json!({
        "pipeline": summary.pipeline,
        "run_id": summary.run_id,
        "status": summary.status,
        "started_at": summary.started_at,
        "instances": summary.instances.len(),
        "cohorts": cohorts,
    })
}

fn headline(cohorts: &Value) -> String {
    let Some(map) = cohorts.as_object() else { return String::new() };
    let best = map
        .iter()
        .filter_map(|(c, m)| m["accuracy"].as_f64().map(|a| (c, a)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
    match best {
        Some((c, a)) if map.len() > 1 => format!("{} cohorts; best accuracy {a:.4} ({c})", map.len()),
        Some((_, a)) => format!("accuracy {a:.4}"),
        None => String::new(),
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
    let mut found: Vec<Value> = Vec::new();
    let mut experiments: Vec<(String, Vec<crate::report::ExperimentRow>)> = Vec::new();
    for p in &pipelines {
        let dir = root.join(p);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            if args.pipeline.is_some() {
                return Err(Error::InvalidInput(format!("no runs of pipeline `{p}` in `{}`", root.display())));
            }
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "latest" || path.is_symlink() {
                continue;
            }
            let Some(summary) =
                std::fs::read(path.join("run.json")).ok().and_then(|b| serde_json::from_slice::<RunSummary>(&b).ok())
            else {
                continue;
            };
            if args.table {
                experiments.push((summary.run_id.clone(), crate::report::run_rows(&path, p, &summary.run_id)));
            }
            found.push(describe(&path, &summary));
        }
    }
    // Newest first: run ids start with the run clock.
    found.sort_by(|a, b| {
        b["run_id"].as_str().cmp(&a["run_id"].as_str()).then(a["pipeline"].as_str().cmp(&b["pipeline"].as_str()))
    });
    if args.table {
        return experiment_table(experiments, args);
    }
    if args.json {
        let text = serde_json::to_string_pretty(&found).map_err(|e| Error::Internal(e.to_string()))?;
        outln!("{text}");
        return Ok(exit_code::OK);
    }
    let rows: Vec<[String; 5]> = found
        .iter()
        .map(|r| {
            [
                r["pipeline"].as_str().unwrap_or_default().to_owned(),
                r["run_id"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["instances"].to_string(),
                headline(&r["cohorts"]),
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
    let table = crate::report::build_table(rows, &args.filters, args.sort.as_deref())
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
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
        [] => Err(Error::InvalidInput(format!(
            "`{id}` is neither a run folder nor a run id under `{}` (see `nethical runs`)",
            runs_dir.display()
        ))),
        many => Err(Error::InvalidInput(format!(
            "run id `{id}` is in several pipelines: {}; give the folder",
            many.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
        ))),
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
        .map_err(Error::InvalidInput)?;
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
