//! The experiments table (`nethical runs --table`): one row per run × cohort, with the
//! parameters that differ between the rows shown and the headline metrics, filterable and
//! sortable, as `dvc exp show` and MLflow's compare view give. Built from each run folder's
//! `manifest.resolved.toml` (the parameters, as `nethical compare` reads them), its cohorts'
//! `metrics.json` and `gate.json`; rendered as text, Markdown, CSV or JSON.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::artifacts::{GateCriterion, GateRecord};

/// The metrics of each row.
pub const HEADLINE: [&str; 3] = ["accuracy", "roc_auc", "ece"];

/// What can go wrong building the table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A `--where` that is not `KEY=VALUE`.
    #[error("`--where {0}` is not KEY=VALUE (e.g. `--where model=logistic`)")]
    BadFilter(String),
    /// A `--where` or `--sort` key that no row has.
    #[error("no column `{key}` to {what} by (columns: {known})")]
    UnknownColumn { key: String, what: &'static str, known: String },
}

/// One run × cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentRow {
    pub pipeline: String,
    pub run_id: String,
    pub cohort: String,
    /// Every parameter of the cohort's `train` instance and its data's (`data.<key>`).
    pub params: BTreeMap<String, Value>,
    /// [`HEADLINE`] metrics from `metrics.json` (`null` when undefined or missing).
    pub metrics: BTreeMap<String, Option<f64>>,
    /// `PASS`, or `FAIL: <criterion> <value> < <threshold> (short by ...)`; `null` without a gate.
    pub gate: Option<String>,
}

/// The rows shown and the parameter columns that differ between them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentTable {
    /// Parameters whose values differ between the rows (the others say nothing).
    pub columns: Vec<String>,
    pub rows: Vec<ExperimentRow>,
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The rows of one run folder, in cohort order; a run without a resolved manifest has none.
pub fn run_rows(run_dir: &Path, pipeline: &str, run_id: &str) -> Vec<ExperimentRow> {
    let Ok(params) = super::run_diff::cohort_params(run_dir) else { return Vec::new() };
    params
        .into_iter()
        .map(|(cohort, params)| {
            let dir = run_dir.join("cohorts").join(&cohort);
            let m = read_json(&dir.join("metrics.json")).unwrap_or(Value::Null);
            let metrics = HEADLINE.iter().map(|k| ((*k).to_owned(), m[*k].as_f64())).collect();
            let gate = read_json(&dir.join("gate.json")).map(|g| match GateRecord::deserialize(&g) {
                Ok(GateRecord { decision, criteria, .. }) => {
                    let failed: Vec<String> = criteria.iter().filter_map(GateCriterion::shortfall).collect();
                    if failed.is_empty() { decision } else { format!("{decision}: {}", failed.join("; ")) }
                }
                Err(e) => format!("unreadable gate.json: {e}"),
            });
            ExperimentRow { pipeline: pipeline.to_owned(), run_id: run_id.to_owned(), cohort, params, metrics, gate }
        })
        .collect()
}

/// A cell's text: strings bare, numbers as JSON writes them, `–` when absent.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "–".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl ExperimentRow {
    /// The value under a column: a parameter, a headline metric, `gate`, `cohort`, `run`.
    fn get(&self, key: &str) -> Option<Value> {
        match key {
            "cohort" => Some(Value::from(self.cohort.as_str())),
            "run" | "run_id" => Some(Value::from(self.run_id.as_str())),
            "pipeline" => Some(Value::from(self.pipeline.as_str())),
            "gate" => self.gate.as_deref().map(|g| Value::from(g.split(':').next().unwrap_or(g))),
            k if HEADLINE.contains(&k) => self.metrics.get(k).copied().flatten().map(Value::from),
            k => self.params.get(k).cloned(),
        }
    }
}

/// Keeps the rows matching every `KEY=VALUE` filter (the value compared as the table shows
/// it), sorts by `sort` (`-key` descending; rows without the value last; ties keep the input
/// order: newest run first), and picks the parameter columns that differ.
pub fn build_table(
    rows: Vec<ExperimentRow>,
    filters: &[String],
    sort: Option<&str>,
) -> Result<ExperimentTable, TableError> {
    let known = |rows: &[ExperimentRow], key: &str| {
        ["cohort", "run", "run_id", "pipeline", "gate"].contains(&key)
            || HEADLINE.contains(&key)
            || rows.iter().any(|r| r.params.contains_key(key))
    };
    let columns_of = |rows: &[ExperimentRow]| {
        let mut keys: Vec<&String> = rows.iter().flat_map(|r| r.params.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ")
    };
    let mut rows = rows;
    for f in filters {
        let Some((key, value)) = f.split_once('=') else { return Err(TableError::BadFilter(f.clone())) };
        let key = key.trim();
        if !known(&rows, key) {
            return Err(TableError::UnknownColumn { key: key.to_owned(), what: "filter", known: columns_of(&rows) });
        }
        rows.retain(|r| show(r.get(key).as_ref()) == value.trim());
    }
    if let Some(spec) = sort {
        let (key, descending) = spec.strip_prefix('-').map_or((spec, false), |k| (k, true));
        if !known(&rows, key) && !rows.is_empty() {
            return Err(TableError::UnknownColumn { key: key.to_owned(), what: "sort", known: columns_of(&rows) });
        }
        rows.sort_by(|a, b| match (a.get(key), b.get(key)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let order = match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    _ => show(Some(&x)).cmp(&show(Some(&y))),
                };
                if descending { order.reverse() } else { order }
            }
        });
    }
    let mut columns: Vec<String> = rows.iter().flat_map(|r| r.params.keys().cloned()).collect();
    columns.sort();
    columns.dedup();
    columns.retain(|c| rows.iter().any(|r| r.params.get(c) != rows.first().and_then(|f| f.params.get(c))));
    Ok(ExperimentTable { columns, rows })
}

impl ExperimentTable {
    /// The header and the cells of each row, as every text view shows them.
    pub fn cells(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header = vec!["run".to_owned(), "cohort".to_owned()];
        header.extend(self.columns.iter().cloned());
        header.extend(HEADLINE.iter().map(|m| (*m).to_owned()));
        header.push("gate".to_owned());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![format!("{}/{}", r.pipeline, r.run_id), r.cohort.clone()];
                row.extend(self.columns.iter().map(|c| show(r.params.get(c))));
                row.extend(
                    HEADLINE.iter().map(|m| r.metrics[*m].map_or_else(|| "–".to_owned(), |v| format!("{v:.4}"))),
                );
                row.push(r.gate.clone().unwrap_or_else(|| "–".to_owned()));
                row
            })
            .collect();
        (header, rows)
    }

    /// A Markdown table.
    pub fn to_markdown(&self) -> String {
        let (header, rows) = self.cells();
        let esc = |s: &String| s.replace('|', "\\|");
        let mut out = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
        for row in rows {
            out.push_str(&format!("| {} |\n", row.iter().map(esc).collect::<Vec<_>>().join(" | ")));
        }
        out
    }

    /// CSV (RFC 4180: fields with a comma, quote or newline quoted, quotes doubled); metrics
    /// at full precision.
    pub fn to_csv(&self) -> String {
        let (header, _) = self.cells();
        let field = |s: &str| {
            if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
        };
        let mut out = header.iter().map(|h| field(h)).collect::<Vec<_>>().join(",");
        out.push('\n');
        for r in &self.rows {
            let mut row = vec![format!("{}/{}", r.pipeline, r.run_id), r.cohort.clone()];
            row.extend(self.columns.iter().map(|c| match r.params.get(c) {
                None | Some(Value::Null) => String::new(),
                v => show(v),
            }));
            row.extend(HEADLINE.iter().map(|m| r.metrics[*m].map_or_else(String::new, |v| v.to_string())));
            row.push(r.gate.clone().unwrap_or_default());
            out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(run: &str, model: &str, lr: f64, auc: f64) -> ExperimentRow {
        ExperimentRow {
            pipeline: "p".into(),
            run_id: run.into(),
            cohort: model.into(),
            params: [("model".to_owned(), json!(model)), ("lr".to_owned(), json!(lr)), ("epochs".to_owned(), json!(5))]
                .into(),
            metrics: [("accuracy".to_owned(), Some(0.9)), ("roc_auc".to_owned(), Some(auc)), ("ece".to_owned(), None)]
                .into(),
            gate: Some("FAIL: ece 0.1 > 0.08 (over by 0.02)".into()),
        }
    }

    #[test]
    fn filters_sort_and_differing_columns() {
        let rows =
            vec![row("r2", "logistic", 0.1, 0.8), row("r2", "heuristic", 0.1, 0.9), row("r1", "logistic", 0.5, 0.95)];
        let t = build_table(rows.clone(), &[], Some("-roc_auc")).expect("table");
        assert_eq!(t.rows.iter().map(|r| r.roc_auc()).collect::<Vec<_>>(), [0.95, 0.9, 0.8]);
        assert_eq!(t.columns, ["lr", "model"], "epochs is the same everywhere");
        let t = build_table(rows.clone(), &["model=logistic".into()], Some("roc_auc")).expect("table");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.columns, ["lr"], "model no longer differs");
        let t = build_table(rows.clone(), &["gate=FAIL".into(), "lr=0.1".into()], None).expect("table");
        assert_eq!(t.rows.len(), 2);
        assert!(matches!(build_table(rows.clone(), &["model".into()], None), Err(TableError::BadFilter(_))));
        let err = build_table(rows, &[], Some("-nope")).expect_err("unknown");
        assert_eq!(err.to_string(), "no column `nope` to sort by (columns: epochs, lr, model)");
        let md = t.to_markdown();
        assert!(md.starts_with("| run | cohort | model | accuracy | roc_auc | ece | gate |\n"), "{md}");
        let csv = t.to_csv();
        assert!(
            csv.lines().nth(1).is_some_and(|l| l.ends_with(",0.9,0.8,,FAIL: ece 0.1 > 0.08 (over by 0.02)")),
            "{csv}"
        );
    }

    impl ExperimentRow {
        fn roc_auc(&self) -> f64 {
            self.metrics["roc_auc"].unwrap_or_default()
        }
    }
}
