//! The cohorts a fan-in stage (`drift`, `phase3`) compares: what each `train` instance's model
//! did on its validation rows, with its gate verdict when a `gate` instance of the cohort is
//! among the needs and its input features when the `load` instance it trained on is. The same
//! files are read from an earlier run's folder for a baseline comparison.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::cohort_error::CohortError;
use super::dataset_file::{AnyDatasetFile, DatasetFileV1};
use super::hand_off::{HandOff, OpenFile, ReadFile};
use super::predictions_hand_off::{self, ReadBack};
use super::{StageContext, StageError, UpstreamOutput};
use crate::artifacts::{ArtifactFile, GateRecord, MetricsFile};
use crate::data::table::{ColumnKind, Values};
use crate::governance::drift_report::{CohortActions, DriftThresholds, PairMemo, PairwiseDrift, compare, pairwise};
use crate::manifest::StageKind;
use crate::manifest::params::DriftParams;
use crate::metrics::drift::DriftStats;
use crate::store::Memo;
use crate::trained::ModelHeader;

/// One cohort's model and what it did.
#[derive(Clone, Debug)]
pub(super) struct Cohort {
    /// Labels, probabilities, threshold, gate violations and features.
    pub actions: CohortActions,
    /// The validation rows' ids, aligned with the predictions.
    pub rows: Vec<u64>,
    /// The group column's name and each validation row's group, when the data has one.
    pub groups: Option<(String, Vec<String>)>,
    /// The cohort's `metrics.json`.
    pub metrics: MetricsFile,
    /// The gate's verdict, when a gate of the cohort is among the needs.
    pub promoted: Option<bool>,
}

impl Cohort {
    /// The cohort's name.
    pub fn name(&self) -> &str {
        &self.actions.cohort
    }
}

/// Reads a `model.json`'s header; `what` names the file in the error.
pub(super) fn model_header(bytes: &[u8], what: &str) -> Result<ModelHeader, StageError> {
    ModelHeader::from_slice(bytes).map_err(|e| {
        StageError::MissingInput(format!("{what} is not readable: {}", crate::error_chain::error_chain(&e)))
    })
}

/// An upstream `train` instance's `model.json` header.
pub(super) fn model_of(up: &UpstreamOutput) -> Result<ModelHeader, StageError> {
    model_header(&up.read("model.json")?, &format!("`model.json` of `{}`", up.id))
}

/// The numeric features of a data instance's validation rows, by name, missing values left
/// out; `read` reads the instance's files, and `open` opens its parts when they are cached.
fn validation_features<'a>(
    id: &str,
    read: &'a ReadFile<'a>,
    open: Option<&'a OpenFile<'a>>,
) -> Result<BTreeMap<String, Vec<f64>>, StageError> {
    let Some(dataset) = read("dataset.json")? else { return Ok(BTreeMap::new()) };
    let dataset = match AnyDatasetFile::from_bytes(&dataset, id)? {
        AnyDatasetFile::Current(dataset) => *dataset,
        // A run folder of an earlier version, whose parts are CSV.
        AnyDatasetFile::V1(dataset) => {
            return match read("validation.csv")? {
                Some(csv) => csv_validation_features(&dataset, &csv),
                None => Ok(BTreeMap::new()),
            };
        }
    };
    let mut hand_off = HandOff::with_description(id, dataset, read)?;
    if let Some(open) = open {
        hand_off = hand_off.streaming(open);
    }
    let (columns, _) = hand_off.part("validation")?.into_parts();
    let numeric =
        |name: &str| hand_off.schema.features.iter().any(|(f, kind)| f == name && *kind == ColumnKind::Numeric);
    let mut out = BTreeMap::new();
    // The columns move out of the part, their missing values dropped in place: a copy of
    // 200,000 × 5 values into fresh memory was an eighth of what `drift` spent.
    for column in columns {
        if numeric(&column.name)
            && let Values::Numeric(mut present) = column.values
        {
            present.retain(|v| !v.is_nan());
            if !present.is_empty() {
                out.insert(column.name, present);
            }
        }
    }
    Ok(out)
}

/// [`validation_features`] of a format-1 `validation.csv`: each cell trimmed, empty cells and
/// cells that are not numbers left out. Read as bytes, and only the numeric columns.
fn csv_validation_features(
    dataset: &DatasetFileV1,
    validation_csv: &[u8],
) -> Result<BTreeMap<String, Vec<f64>>, StageError> {
    let csv_error = |source| crate::data::DataError::Csv { source };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(validation_csv);
    let header = reader.byte_headers().map_err(csv_error)?.clone();
    let position = |name: &str| header.iter().position(|h| h.trim_ascii() == name.as_bytes());
    let mut columns: Vec<(String, usize)> = Vec::new();
    for (name, kind) in &dataset.schema.features {
        if kind != "numeric" {
            continue;
        }
        let name = name.as_str();
        if let Some(at) = position(name).filter(|_| !columns.iter().any(|(n, _)| n == name)) {
            columns.push((name.to_owned(), at));
        }
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        for ((_, at), out) in columns.iter().zip(&mut values) {
            let cell = record.get(*at).unwrap_or_default().trim_ascii();
            if let Some(v) = std::str::from_utf8(cell).ok().filter(|c| !c.is_empty()).and_then(|c| c.parse().ok()) {
                out.push(v);
            }
        }
    }
    Ok(columns.into_iter().zip(values).filter(|(_, v)| !v.is_empty()).map(|((name, _), v)| (name, v)).collect())
}

/// The files of one cohort, wherever they were read from.
struct CohortFiles {
    name: String,
    model: ModelHeader,
    metrics: MetricsFile,
    /// Its predictions ([`predictions_hand_off::read`]).
    predictions: ReadBack,
    gates: Vec<GateRecord>,
    /// The numeric features of its data instance's validation rows ([`validation_features`]),
    /// shared by the cohorts of that instance.
    features: Arc<BTreeMap<String, Vec<f64>>>,
    /// Where `y_prob` and the features came from ([`CohortActions::sources`]).
    sources: BTreeMap<String, String>,
}

fn build(files: CohortFiles) -> Result<Cohort, StageError> {
    let ReadBack { mut predictions, group_column: group, ranking } = files.predictions;
    let rows = predictions.rows.take().unwrap_or_else(|| (0..predictions.y_true.len() as u64).collect());
    let violations =
        files.gates.iter().flat_map(|g| &g.violations).map(|v| (v.kind.clone(), v.severity.clone())).collect();
    let promoted = (!files.gates.is_empty()).then(|| files.gates.iter().all(|g| g.promoted));
    let features = files.features;
    let model_type = &files.model.model_type;
    Ok(Cohort {
        actions: CohortActions {
            agent: format!("model_{model_type}"),
            cohort: files.name,
            y_true: predictions.y_true,
            y_prob: predictions.y_prob,
            threshold: files.model.provenance.threshold,
            gate_violations: violations,
            features,
            ranking,
            sources: files.sources,
        },
        rows,
        groups: group.zip(predictions.groups),
        metrics: files.metrics,
        promoted,
    })
}

/// Every cohort of the `train` instances among the needs, in need order.
pub(super) fn gather(ctx: &StageContext<'_>) -> Result<Vec<Cohort>, StageError> {
    let trains: Vec<&UpstreamOutput> = ctx.inputs.iter().filter(|u| u.kind == StageKind::Train).collect();
    // Each data instance's validation features are read once, however many cohorts trained
    // on it; then the cohorts are read on all cores. Errors are taken in input order, the one
    // a sequential pass would meet first.
    let mut data_ids: Vec<String> = Vec::new();
    let models: Vec<ModelHeader> = trains.iter().map(|up| model_of(up)).collect::<Result<_, _>>()?;
    for model in &models {
        let id = model.provenance.data.as_str();
        if !data_ids.iter().any(|d| d == id) {
            data_ids.push(id.to_owned());
        }
    }
    let features: Vec<Result<BTreeMap<String, Vec<f64>>, StageError>> = data_ids
        .par_iter()
        .map(|id| match ctx.inputs.iter().find(|l| l.kind == StageKind::Load && &l.id == id) {
            Some(load) => validation_features(
                id,
                &|name: &str| load.read_optional(name),
                Some(&|name: &str| load.open_optional(name)),
            ),
            None => Ok(BTreeMap::new()),
        })
        .collect();
    let features: Vec<Arc<BTreeMap<String, Vec<f64>>>> =
        features.into_iter().map(|f| f.map(Arc::new)).collect::<Result<_, _>>()?;
    // A feature is named by its validation file's digest and its column.
    let validation_digests: Vec<Option<&str>> = data_ids
        .iter()
        .map(|id| {
            ctx.inputs
                .iter()
                .find(|l| l.kind == StageKind::Load && &l.id == id)
                .and_then(|l| digest_of(l, "validation.npy"))
        })
        .collect();
    let cohorts: Vec<Result<Cohort, StageError>> = trains
        .par_iter()
        .zip(models)
        .map(|(up, model)| {
            let name = up.cohort.clone().unwrap_or_else(|| up.id.clone());
            let gates = ctx
                .inputs
                .iter()
                .filter(|g| g.kind == StageKind::Gate && g.cohort.as_deref() == Some(name.as_str()))
                .map(UpstreamOutput::read_artifact::<GateRecord>)
                .collect::<Result<Vec<_>, _>>()?;
            let data_id = model.provenance.data.as_str();
            let at = data_ids.iter().position(|d| *d == data_id).unwrap_or(0);
            build(CohortFiles {
                name,
                metrics: up.read_artifact()?,
                predictions: predictions_hand_off::read(
                    &|name: &str| up.read_optional(name),
                    Some(&|name: &str| up.open_optional(name)),
                    &format!("`{}`", up.id),
                    &up.id,
                )?,
                model,
                gates,
                features: features.get(at).map(Arc::clone).unwrap_or_default(),
                sources: sources(
                    digest_of(up, "predictions.npy"),
                    validation_digests.get(at).copied().flatten(),
                    features.get(at).map(|f| f.keys()),
                ),
            })
        })
        .collect();
    let cohorts: Vec<Cohort> = cohorts.into_iter().collect::<Result<_, _>>()?;
    if cohorts.is_empty() {
        return Err(StageError::MissingInput(format!(
            "`{}` needs at least one `train` stage: its cohorts are what it compares",
            ctx.instance.id()
        )));
    }
    Ok(cohorts)
}

fn read_file(path: &Path) -> Result<Vec<u8>, StageError> {
    std::fs::read(path).map_err(|source| StageError::Io { what: format!("read `{}`", path.display()), source })
}

/// The cohorts of an earlier run's folder, named `<run id>/<cohort>`, read from the files its
/// `train` and `gate` instances published (the data instance's rows when they are there).
fn baseline_cohorts(dir: &Path) -> Result<Vec<Cohort>, StageError> {
    let run_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let cohorts_dir = dir.join("cohorts");
    let entries = std::fs::read_dir(&cohorts_dir)
        .map_err(|source| StageError::Io { what: format!("read `{}`", cohorts_dir.display()), source })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("predictions.csv").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let folder = cohorts_dir.join(&name);
        let csv_source = format!("{}", folder.join("predictions.csv").display());
        let in_folder = |name: &str| {
            let path = folder.join(name);
            if path.is_file() { read_file(&path).map(Some) } else { Ok(None) }
        };
        let predictions =
            predictions_hand_off::read(&in_folder, None, &format!("`{}`", folder.display()), &csv_source)?;
        let named = |path: &Path| format!("`{}`", path.display());
        let model_path = folder.join("model.json");
        let model = model_header(&read_file(&model_path)?, &named(&model_path))?;
        let metrics_path = folder.join("metrics.json");
        let metrics = MetricsFile::from_bytes(&read_file(&metrics_path)?, &named(&metrics_path))?;
        let gate_path = folder.join("gate.json");
        let gates = if gate_path.is_file() {
            vec![GateRecord::from_bytes(&read_file(&gate_path)?, &named(&gate_path))?]
        } else {
            Vec::new()
        };
        let data_dir = dir.join(super::load::data_dir(&model.provenance.data));
        let read = |name: &str| {
            let path = data_dir.join(name);
            if path.is_file() { read_file(&path).map(Some) } else { Ok(None) }
        };
        let features = Arc::new(validation_features(&format!("{}", data_dir.display()), &read, None)?);
        out.push(build(CohortFiles {
            name: format!("{run_id}/{name}"),
            predictions,
            model,
            metrics,
            gates,
            // A baseline's files are not cache entries with digests: always compared afresh.
            sources: BTreeMap::new(),
            features,
        })?);
    }
    Ok(out)
}

/// The digest of the output whose path ends with `/name`, if there is one.
fn digest_of<'a>(up: &'a UpstreamOutput, name: &str) -> Option<&'a str> {
    up.find(name).ok().and_then(|path| up.entry.outputs.get(path)).map(|d| d.sha256.as_str())
}

/// [`CohortActions::sources`]: `y_prob` named by the digest of the predictions file, each
/// feature by the validation file's and its column.
fn sources<'a>(
    predictions: Option<&str>,
    validation: Option<&str>,
    features: Option<impl Iterator<Item = &'a String>>,
) -> BTreeMap<String, String> {
    let mut named = BTreeMap::new();
    if let Some(digest) = predictions {
        named.insert("y_prob".to_owned(), format!("{digest}:y_prob"));
    }
    if let (Some(digest), Some(features)) = (validation, features) {
        named.extend(features.map(|f| (f.clone(), format!("{digest}:{f}"))));
    }
    named
}

/// The drift statistics of pairs of samples kept in the run's memo, keyed by the samples'
/// sources, the tool's version and the stage kind's code version.
struct DriftMemo<'a> {
    memo: &'a Memo,
    code_version: u32,
}

#[derive(serde::Serialize)]
struct DriftPairInputs<'a> {
    part: &'static str,
    tool_version: &'static str,
    code_version: u32,
    reference: &'a str,
    current: &'a str,
}

impl DriftMemo<'_> {
    fn key(&self, reference: &str, current: &str) -> Option<String> {
        Memo::key(&DriftPairInputs {
            part: "drift pair",
            tool_version: crate::VERSION,
            code_version: self.code_version,
            reference,
            current,
        })
    }
}

impl PairMemo for DriftMemo<'_> {
    fn recall(&self, reference: &str, current: &str) -> Option<DriftStats> {
        self.memo.get(&self.key(reference, current)?)
    }

    fn keep(&self, reference: &str, current: &str, stats: &DriftStats) {
        if let Some(key) = self.key(reference, current) {
            self.memo.put(&key, stats);
        }
    }
}

/// The run's cohorts compared with each other (against the reference and pairwise) and, with
/// a baseline run, each with its namesake (or `baseline_cohort`) in that run.
pub(super) fn drift_comparisons(
    ctx: &StageContext<'_>,
    cohorts: &[Cohort],
    params: &DriftParams,
    thresholds: &DriftThresholds,
) -> Result<(usize, Vec<PairwiseDrift>), StageError> {
    let reference = match &params.reference {
        Some(name) => cohorts.iter().position(|c| c.name() == name).ok_or_else(|| {
            let known = cohorts.iter().map(|c| c.name().to_owned()).collect();
            CohortError::UnknownReference { name: name.clone(), known }
        })?,
        None => 0,
    };
    let actions: Vec<&CohortActions> = cohorts.iter().map(|c| &c.actions).collect();
    let memo = ctx.memo.map(|memo| DriftMemo { memo, code_version: ctx.instance.decl.kind.code_version() });
    let memo = memo.as_ref().map(|m| m as &dyn PairMemo);
    let mut pairs = pairwise(&actions, reference, thresholds, memo)?;
    if let Some(run) = &params.baseline_run {
        let state = ctx.state_dir.ok_or_else(|| CohortError::NoRunsFolder { run: run.clone() })?;
        let dir = crate::plan::baseline_run_dir(state, run).ok_or_else(|| CohortError::UnknownBaselineRun {
            run: run.clone(),
            state: state.to_owned(),
            runs: list_runs(state),
        })?;
        let baseline = baseline_cohorts(&dir)?;
        let mut matched = Vec::new();
        for &c in &actions {
            let wanted = params.baseline_cohort.as_deref().unwrap_or(&c.cohort);
            let found = baseline.iter().find(|b| b.name().split_once('/').is_some_and(|(_, n)| n == wanted));
            match found {
                Some(b) => matched.push((&b.actions, c)),
                None if params.baseline_cohort.is_some() => {
                    let known = baseline.iter().map(|b| b.name().to_owned()).collect();
                    return Err(CohortError::UnknownBaselineCohort { wanted: wanted.to_owned(), dir, known }.into());
                }
                None => {}
            }
        }
        if matched.is_empty() {
            let known = baseline.iter().map(|b| b.name().to_owned()).collect();
            return Err(CohortError::NoCommonCohort { dir, known }.into());
        }
        pairs.extend(compare(&matched, thresholds, memo)?);
    }
    Ok((reference, pairs))
}

/// The complete runs in a pipeline's folder, newest first, for an error message (none when
/// the folder cannot be read: the message then just names the folder).
fn list_runs(state: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(state) else {
        return Vec::new();
    };
    let mut runs: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("run.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    runs.sort_unstable_by(|a, b| b.cmp(a));
    runs
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn reader(files: HashMap<&'static str, Vec<u8>>) -> impl Fn(&str) -> Result<Option<Vec<u8>>, StageError> {
        move |name: &str| Ok(files.get(name).cloned())
    }

    const SCHEMA: &str = r#""schema": {"features": [["a", "numeric"], ["t", "text"], ["b", "numeric"]],
        "group": null, "encode": "one_hot", "impute": true}"#;

    #[test]
    fn a_format_1_run_folder_is_read_from_its_csv() -> Result<(), StageError> {
        let dataset = format!(r#"{{"format_version": 1, {SCHEMA}}}"#);
        let csv = "row,a,t,b,y_true\n0,1.5,x,,1\n1, 2 ,y,3,0\n".as_bytes().to_vec();
        let read = reader(HashMap::from([("dataset.json", dataset.into_bytes()), ("validation.csv", csv)]));
        let features = validation_features("old", &read, None)?;
        assert_eq!(features, BTreeMap::from([("a".into(), vec![1.5, 2.0]), ("b".into(), vec![3.0])]));
        Ok(())
    }

    #[test]
    fn a_format_2_folder_is_read_from_its_npy_files() -> Result<(), StageError> {
        use crate::data::table::{Column, Table};
        use crate::data::table_npy::Codebook;
        let table = Table::new(
            vec![
                Column { name: "a".into(), values: Values::Numeric(vec![1.5, 2.0]) },
                Column { name: "t".into(), values: Values::Text(vec![Some("x".into()), None]) },
                Column { name: "b".into(), values: Values::Numeric(vec![f64::NAN, 3.0]) },
                Column { name: "y_true".into(), values: Values::Numeric(vec![1.0, 0.0]) },
            ],
            vec![0, 1],
        )?;
        let book = Codebook::of(&table)?;
        let files = table.to_npy(&book)?;
        let dataset = format!(
            r#"{{"format_version": 2, {SCHEMA}, "data": {{"source": "csv"}}, "rows": 2, "positives": 1,
            "layout": {{}}, "split": {{"strategy": "stratified", "train_ratio": 0.8, "calibration_ratio": null,
            "train_rows": 0, "validation_rows": 2, "calibration_rows": null}}}}"#
        );
        let mut all = HashMap::from([
            ("dataset.json", dataset.into_bytes()),
            ("validation.npy", files.numeric),
            ("validation_rows.npy", files.rows),
            ("categories.json", serde_json::to_vec(&book).unwrap_or_default()),
        ]);
        if let Some(text) = files.text {
            all.insert("validation_text.npy", text);
        }
        let features = validation_features("new", &reader(all), None)?;
        assert_eq!(features, BTreeMap::from([("a".into(), vec![1.5, 2.0]), ("b".into(), vec![3.0])]));
        // No dataset.json: no features (a baseline run whose data folder is gone).
        assert!(validation_features("gone", &reader(HashMap::new()), None)?.is_empty());
        Ok(())
    }
}
