//! Run-to-run comparison (`nethical compare`): per cohort, the parameters and metrics of two
//! runs side by side with their deltas (as `dvc params diff` / `dvc metrics diff` show them),
//! and the A/B tests of the comparison report where both runs scored the same validation rows.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::artifacts::{ArtifactError, ArtifactFile, MetricsFile, RESOLVED_MANIFEST_FILE, ResolvedManifestFile};
use crate::metrics::compare::{self, ACCURACY, Bootstrap, ConfusionMetric, ROC_AUC, ab_sentence};
use crate::predictions::{PredictionColumns, read_predictions};

/// One value in both runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// In run A (`null` when absent there).
    pub a: Value,
    /// In run B.
    pub b: Value,
    /// B − A, for numbers present in both.
    pub delta: Option<f64>,
}

/// One cohort in both runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortDiff {
    /// The cohort.
    pub cohort: String,
    /// Its `train` parameters and its data's (`data.<key>`), by dotted key.
    pub params: BTreeMap<String, Change>,
    /// Its metrics.
    pub metrics: BTreeMap<String, Change>,
    /// A/B tests when both runs scored the same validation rows: `accuracy` (McNemar) and
    /// `roc_auc` (DeLong), as sentences where A is run A's model and B run B's.
    pub tests: BTreeMap<String, String>,
}

/// Two runs compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunDiff {
    /// Run A's folder name.
    pub a: String,
    /// Run B's folder name.
    pub b: String,
    /// Cohorts of either run, by name.
    pub cohorts: Vec<CohortDiff>,
}

fn flatten_table(prefix: &str, t: &toml::Table, out: &mut BTreeMap<String, Value>) {
    for (k, v) in t {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        flatten(&key, v, out);
    }
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, Value>) {
    match v {
        toml::Value::Table(t) => flatten_table(prefix, t, out),
        other => {
            out.insert(prefix.to_owned(), serde_json::to_value(other).unwrap_or(Value::Null));
        }
    }
}

/// Why a run folder cannot be compared: its `manifest.resolved.toml` or a cohort's
/// `metrics.json` cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RunDiffError {
    /// The file cannot be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML, or not a resolved manifest.
    #[error("`{}` is not a resolved manifest", .path.display())]
    NotToml {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: toml::de::Error,
    },
    /// A cohort's `metrics.json` is damaged or of another format (the error names it): a
    /// metric that cannot be read would otherwise show as absent.
    #[error(transparent)]
    Metrics(#[from] ArtifactError),
}

/// Cohort → its flattened parameters, from the run's `manifest.resolved.toml`: each `train`
/// instance's parameters, and (as `data.<key>`) those of the first instance it needs.
pub(crate) fn cohort_params(run: &Path) -> Result<BTreeMap<String, BTreeMap<String, Value>>, RunDiffError> {
    let path = run.join(RESOLVED_MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(RunDiffError::Read { path, source }),
    };
    let doc: ResolvedManifestFile = match toml::from_str(&text) {
        Ok(doc) => doc,
        Err(source) => return Err(RunDiffError::NotToml { path, source }),
    };
    let mut out = BTreeMap::new();
    for inst in doc.instances.values() {
        let Some(cohort) = inst.cohort.as_deref().filter(|_| inst.kind == "train") else { continue };
        let mut params = BTreeMap::new();
        flatten_table("", &inst.params, &mut params);
        if let Some(data) = inst.needs.first().and_then(|d| doc.instances.get(d)) {
            flatten_table("data", &data.params, &mut params);
        }
        out.insert(cohort.to_owned(), params);
    }
    Ok(out)
}

/// A cohort's `metrics.json` in a run, `None` when the run has none (the cohort is not in
/// it, or its `train` failed).
fn read_metrics(run: &Path, cohort: &str) -> Result<Option<MetricsFile>, RunDiffError> {
    let path = run.join("cohorts").join(cohort).join(MetricsFile::FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(RunDiffError::Read { path, source }),
    };
    Ok(Some(MetricsFile::from_bytes(&bytes, &format!("`{}`", path.display()))?))
}

fn change(a: Option<&Value>, b: Option<&Value>) -> Change {
    let (a, b) = (a.cloned().unwrap_or(Value::Null), b.cloned().unwrap_or(Value::Null));
    let delta = match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if !a.is_boolean() => Some(y - x),
        _ => None,
    };
    Change { a, b, delta }
}

/// The A/B sentences for a cohort scored on the same rows in both runs, if it was.
fn tests(a_run: &Path, b_run: &Path, cohort: &str, names: (&str, &str)) -> BTreeMap<String, String> {
    type Scored = (Vec<u8>, Vec<f64>, f64, Vec<Vec<u8>>);
    let read = |run: &Path| -> Option<Scored> {
        let dir = run.join("cohorts").join(cohort);
        let bytes = std::fs::read(dir.join("predictions.csv")).ok()?;
        let p = read_predictions(&bytes, cohort, &PredictionColumns::default()).ok()?;
        let model = std::fs::read(dir.join("model.json")).ok()?;
        let threshold = crate::trained::ModelHeader::from_slice(&model).ok()?.provenance.threshold;
        // The `row` column: the same rows in the same order, or no paired test.
        let rows: Vec<Vec<u8>> = bytes
            .split(|&c| c == b'\n')
            .skip(1)
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split(|&c| c == b',').next().map(<[u8]>::to_vec))
            .collect();
        Some((p.y_true, p.y_prob, threshold, rows))
    };
    let mut out = BTreeMap::new();
    let (Some((ya, pa, ta, ra)), Some((yb, pb, tb, rb))) = (read(a_run), read(b_run)) else { return out };
    if ya != yb || ra != rb {
        return out;
    }
    let (Ok(a), Ok(b)) = (compare::Cohort::new(&ya, &pa, ta, 10), compare::Cohort::new(&yb, &pb, tb, 10)) else {
        return out;
    };
    let Ok(bootstrap) = Bootstrap::new(1000, 0) else { return out };
    let Ok(c) = compare::compare(&a, &b, &bootstrap) else { return out };
    if let Some(ci) = c.differences.get(&ConfusionMetric::Accuracy).and_then(|d| d.ci) {
        out.insert(
            "accuracy".to_owned(),
            ab_sentence(names.0, names.1, &ACCURACY, c.mcnemar.difference, ci, c.mcnemar.p_value),
        );
    }
    if let Some(d) = c.roc_auc {
        out.insert("roc_auc".to_owned(), ab_sentence(names.0, names.1, &ROC_AUC, d.difference, d.ci, d.p_value));
    }
    out
}

/// Compares two run folders; `only_changed` drops what is equal in both.
pub fn diff_runs(a: &Path, b: &Path, only_changed: bool) -> Result<RunDiff, RunDiffError> {
    let name = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default()
    };
    let (name_a, name_b) = (name(a), name(b));
    let (params_a, params_b) = (cohort_params(a)?, cohort_params(b)?);
    let mut cohorts: Vec<&String> = params_a.keys().chain(params_b.keys()).collect();
    cohorts.sort();
    cohorts.dedup();
    let mut out = Vec::new();
    for cohort in cohorts {
        let empty = BTreeMap::new();
        let (pa, pb) = (params_a.get(cohort).unwrap_or(&empty), params_b.get(cohort).unwrap_or(&empty));
        let mut keys: Vec<&String> = pa.keys().chain(pb.keys()).collect();
        keys.sort();
        keys.dedup();
        let params: BTreeMap<String, Change> = keys
            .into_iter()
            .map(|k| (k.clone(), change(pa.get(k), pb.get(k))))
            .filter(|(_, c)| !only_changed || c.a != c.b)
            .collect();
        // Metric → its value in A and in B; `null` where undefined or the run has no file.
        let mut values: BTreeMap<&str, [Value; 2]> = BTreeMap::new();
        for (side, run) in [a, b].into_iter().enumerate() {
            for (name, value) in read_metrics(run, cohort)?.iter().flat_map(MetricsFile::scalar_metrics) {
                values.entry(name).or_default()[side] = value.map_or(Value::Null, Value::from);
            }
        }
        let metrics: BTreeMap<String, Change> = values
            .into_iter()
            .map(|(m, [va, vb])| (m.to_owned(), change(Some(&va), Some(&vb))))
            .filter(|(_, c)| !(c.a.is_null() && c.b.is_null()))
            .filter(|(_, c)| !only_changed || c.a != c.b)
            .collect();
        let tests = tests(a, b, cohort, ("A", "B"));
        out.push(CohortDiff { cohort: cohort.clone(), params, metrics, tests });
    }
    Ok(RunDiff { a: name_a, b: name_b, cohorts: out })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "–".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(
            || n.to_string(),
            |f| if f.fract() == 0.0 && f.abs() < 1e15 { n.to_string() } else { format!("{f:.4}") },
        ),
        other => other.to_string(),
    }
}

/// The diff as Markdown tables (one per cohort) and test sentences.
pub fn render_diff_markdown(d: &RunDiff) -> String {
    use std::fmt::Write as _;
    let mut out = format!("# A = `{}`, B = `{}`\n\n", d.a, d.b);
    for c in &d.cohorts {
        let _ = writeln!(out, "## `{}`\n", c.cohort);
        if !c.params.is_empty() || !c.metrics.is_empty() {
            let _ = writeln!(out, "| | A | B | B − A |\n|---|---|---|---|");
            for (k, ch) in c.params.iter().chain(&c.metrics) {
                let whole = ch.a.is_i64() && ch.b.is_i64();
                let delta =
                    ch.delta.map_or_else(String::new, |x| if whole { format!("{x:+}") } else { format!("{x:+.4}") });
                let _ = writeln!(out, "| `{k}` | {} | {} | {delta} |", show(&ch.a), show(&ch.b));
            }
            out.push('\n');
        }
        for s in c.tests.values() {
            let _ = writeln!(out, "- {s}");
        }
        if !c.tests.is_empty() {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ManifestInput, load};

    #[test]
    fn cohort_params_reads_a_written_resolved_manifest() {
        let text = "[pipeline]\nname = \"t\"\n[stages.data]\nkind = \"load\"\nsource = { synthetic = { num_samples = 300 } }\n\
                    [stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmatrix = { model = [\"logistic\", \"anomaly\"] }\n\
                    model = \"${matrix.model}\"\nepochs = 7\n";
        let manifest = load(&ManifestInput::new(Path::new("t.toml"), text.to_owned(), Vec::new())).expect("valid");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(RESOLVED_MANIFEST_FILE), &manifest.resolved).expect("write");
        let cohorts = cohort_params(dir.path()).expect("reads");
        assert_eq!(cohorts.keys().collect::<Vec<_>>(), ["train_anomaly", "train_logistic"]);
        let logistic = &cohorts["train_logistic"];
        assert_eq!(logistic.get("model"), Some(&Value::from("logistic")));
        assert_eq!(logistic.get("epochs"), Some(&Value::from(7)));
        assert_eq!(logistic.get("data.source.synthetic.num_samples"), Some(&Value::from(300)));
    }

    /// A run folder of one `train` cohort, `lr`, whose `metrics.json` has `format_version` and
    /// the metrics of `y_prob` on the labels 1, 0, 1.
    fn run_with_metrics(format_version: u32, y_prob: &[f64]) -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
        let text = "[pipeline]\nname = \"t\"\n[stages.data]\nkind = \"load\"\nsource = { synthetic = { num_samples = 300 } }\n\
                    [stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\ncohort = \"lr\"\n";
        let manifest = load(&ManifestInput::new(Path::new("t.toml"), text.to_owned(), Vec::new()))?;
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(RESOLVED_MANIFEST_FILE), &manifest.resolved)?;
        let report = crate::metrics::evaluate(&[1, 0, 1], y_prob, &crate::metrics::MetricsConfig::default())?;
        let metrics = MetricsFile {
            format_version,
            cohort: "lr".to_owned(),
            model_type: "logistic".to_owned(),
            split: "validation".to_owned(),
            report,
            fairness: None,
            data_warnings: Vec::new(),
            data_source: None,
        };
        std::fs::create_dir_all(dir.path().join("cohorts/lr"))?;
        std::fs::write(dir.path().join("cohorts/lr/metrics.json"), metrics.to_bytes()?)?;
        Ok(dir)
    }

    #[test]
    fn an_undefined_metric_or_a_missing_file_reads_as_null() -> Result<(), Box<dyn std::error::Error>> {
        let a = run_with_metrics(crate::artifacts::METRICS_FORMAT, &[0.9, 0.2, 0.4])?;
        // Nothing predicted positive: precision is undefined.
        let b = run_with_metrics(crate::artifacts::METRICS_FORMAT, &[0.4, 0.2, 0.3])?;
        let d = diff_runs(a.path(), b.path(), false)?;
        let metrics = &d.cohorts.first().ok_or("a cohort")?.metrics;
        assert_eq!(metrics.len(), 10, "{metrics:?}");
        let precision = metrics.get("precision").ok_or("precision")?;
        assert_eq!((&precision.a, &precision.b, precision.delta), (&Value::from(1.0), &Value::Null, None));
        let accuracy = metrics.get("accuracy").ok_or("accuracy")?;
        assert_eq!((accuracy.a.as_f64(), accuracy.b.as_f64()), (Some(2.0 / 3.0), Some(1.0 / 3.0)));

        std::fs::remove_file(b.path().join("cohorts/lr/metrics.json"))?;
        let d = diff_runs(a.path(), b.path(), false)?;
        let metrics = &d.cohorts.first().ok_or("a cohort")?.metrics;
        assert!(metrics.values().all(|c| c.b.is_null() && c.delta.is_none()), "{metrics:?}");
        Ok(())
    }

    #[test]
    fn a_metrics_json_of_a_later_format_is_refused_naming_the_file() -> Result<(), Box<dyn std::error::Error>> {
        let current = run_with_metrics(crate::artifacts::METRICS_FORMAT, &[0.9, 0.2, 0.4])?;
        let later = run_with_metrics(crate::artifacts::METRICS_FORMAT + 1, &[0.9, 0.2, 0.4])?;
        let e = diff_runs(current.path(), later.path(), false).err().ok_or("refused")?;
        assert!(matches!(e, RunDiffError::Metrics(ArtifactError::Format { found: 2, reads: 1, .. })), "{e:?}");
        let file = later.path().join("cohorts/lr/metrics.json");
        assert_eq!(e.to_string(), format!("`{}` has format_version 2; this nethical reads 1", file.display()));
        Ok(())
    }

    #[test]
    fn a_resolved_manifest_of_another_shape_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(RESOLVED_MANIFEST_FILE), "[instances.a]\nstage = \"a\"\n").expect("write");
        let e = cohort_params(dir.path()).expect_err("no kind");
        assert!(matches!(e, RunDiffError::NotToml { .. }), "{e:?}");
    }
}
