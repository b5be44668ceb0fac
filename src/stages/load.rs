//! `load`: generate or read a dataset and split it into training, validation and (optionally)
//! calibration parts.
//!
//! Outputs, under `data/<instance>/`: the `train`, `validation` and (when a calibration split
//! is asked for) `calibration` parts as NumPy files ([`crate::data::table_npy`]: `<part>.npy`,
//! `<part>_rows.npy`, `<part>_text.npy` with text columns, and their shared `categories.json`),
//! `<part>.csv` copies with `export_csv = true`, and `dataset.json`. The parts are raw tables
//! (columns `<features...>,[group],y_true`; text kept as text, missing values missing): text
//! columns are encoded by `train`, fitted on the training part only, so no validation row
//! leaks into the encoding. `dataset.json` records the source (a CSV file's SHA-256), the
//! column types and the files' layout, the encoding and missing-value policy, rows read and
//! dropped, and the split.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::dataset_file::{DATASET_FORMAT, DatasetFile, SplitRecord};
use super::load_kaggle::fetch_csv;
use super::{LoadStageError, StageContext, StageError, json_bytes, rel, write};
use crate::data::csv_source::read_labeled_csv;
use crate::data::data_file::read_data_file_until;
use crate::data::guards::{Finding, GuardOptions};
use crate::data::located_value::LocatedValueError;
use crate::data::preprocess::Encoding;
use crate::data::synthetic_anomaly::anomaly_family;
use crate::data::synthetic_correlation::{coordination_family, correlation_family};
use crate::data::table::{Column, ColumnKind, Table, Values, gather};
use crate::data::table_npy::{Codebook, CodebookColumn, part_files};
use crate::data::{Dataset, SplitConfig, SplitStrategy, split_indices, synthetic};
use crate::manifest::params::{
    CsvSource, DataSource, EncodingName, LoadParams, MissingPolicyName, SplitStrategyName, SyntheticFamily,
    SyntheticSource,
};
use crate::store::{EntryMeta, Staging};

/// The label column's name in the hand-off tables.
pub(crate) const LABEL_COLUMN: &str = "y_true";

/// The hand-off schema, stored in `dataset.json` under `schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Schema {
    /// Feature columns and their types, in order.
    pub features: Vec<(String, ColumnKind)>,
    /// The group column, kept aside for fairness.
    pub group: Option<String>,
    /// How `train` encodes text columns.
    pub encode: Encoding,
    /// Whether `train` imputes missing values.
    pub impute: bool,
    /// Fairness figures leave out (or pool) groups with fewer validation rows than this.
    #[serde(default = "default_min_group_size")]
    pub min_group_size: u64,
    /// Whether groups below `min_group_size` are pooled into `other` instead of left out.
    #[serde(default)]
    pub pool_small_groups: bool,
}

fn default_min_group_size() -> u64 {
    crate::manifest::params::DEFAULT_MIN_GROUP_SIZE
}

impl Schema {
    /// Column names and kinds of the hand-off CSV (after `row`).
    pub(crate) fn columns(&self) -> Vec<(String, ColumnKind)> {
        let mut out = self.features.clone();
        if let Some(g) = self.group.as_ref().filter(|g| !self.group_is_feature(g)) {
            out.push((g.clone(), ColumnKind::Text));
        }
        out.push((LABEL_COLUMN.to_owned(), ColumnKind::Numeric));
        out
    }
}

impl Schema {
    /// Whether the group column is also a feature (`group_as_feature`, or listed in
    /// `features`): the hand-off tables then hold it once, as a feature.
    pub(crate) fn group_is_feature(&self, group: &str) -> bool {
        self.features.iter().any(|(n, _)| n == group)
    }
}

/// The codebook of the parts' text columns, in the data folder.
pub(crate) const CATEGORIES_FILE: &str = "categories.json";

/// What `dataset.json` says of the parts' files, for a reader outside nethical (`np.load`).
fn layout(schema: &Schema) -> Value {
    let columns = schema.columns();
    let of = |kind| columns.iter().filter(|(_, k)| *k == kind).map(|(n, _)| n.clone()).collect::<Vec<_>>();
    json!({
        "format": "npy",
        "numeric": {
            "file": "<part>.npy",
            "dtype": "float64",
            "columns": of(ColumnKind::Numeric),
            "missing": "NaN",
        },
        "row_ids": { "file": "<part>_rows.npy", "dtype": "uint64" },
        "text": {
            "file": "<part>_text.npy",
            "dtype": "int32",
            "columns": of(ColumnKind::Text),
            "codes": CATEGORIES_FILE,
            "missing": -1,
        },
    })
}

/// The folder of an instance's data files: its id with anything unusual replaced by `_`.
pub(crate) fn data_dir(id: &str) -> String {
    let safe: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' }).collect();
    format!("data/{}", safe.trim_end_matches('_'))
}

fn write_table(out: &mut Staging, path: &str, table: &Table) -> Result<(), StageError> {
    let r = rel(path)?;
    out.write_with(&r, |w| table.write_csv(w).map_err(std::io::Error::other))
        .map_err(|source| StageError::Io { what: format!("write `{path}`"), source })
}

/// Writes part `name` of the data folder `dir` in the binary hand-off form, and as CSV too
/// when `export_csv` asks for it. `train` hands its predictions on through it too.
pub(super) fn write_part(
    out: &mut Staging,
    dir: &str,
    name: &str,
    table: &Table,
    codebook: &Codebook,
    export_csv: bool,
) -> Result<(), StageError> {
    let [numeric, rows, text] = part_files(name);
    // Streamed into the cache, so no second copy of the part is made in memory.
    let mut stream = |file: &str, write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        let path = format!("{dir}/{file}");
        out.write_with(&rel(&path)?, |w| write(w))
            .map_err(|source| StageError::Io { what: format!("write `{path}`"), source })
    };
    stream(&numeric, &|w| table.write_numeric_npy(w))?;
    stream(&rows, &|w| table.write_rows_npy(w))?;
    if table.has_text() {
        stream(&text, &|w| table.write_text_npy(codebook, w))?;
    }
    if export_csv {
        write_table(out, &format!("{dir}/{name}.csv"), table)?;
    }
    Ok(())
}

/// Rows loaded from the source, before the split.
struct Loaded {
    features: Table,
    y: Vec<u8>,
    group: Option<(String, Vec<String>)>,
    schema: Schema,
    description: Value,
}

fn synthetic_rows(
    ctx: &StageContext<'_>,
    source: &SyntheticSource,
    rng: &mut ChaCha8Rng,
) -> Result<Loaded, StageError> {
    let SyntheticSource { num_samples, family, noise, overlap, seed, ref shift } = *source;
    // Checked when the manifest is read too; here for library callers that skip it.
    if let Some(too_large) =
        crate::data::memory::total_memory().and_then(|m| crate::data::memory::synthetic_rows_too_large(num_samples, m))
    {
        return Err(LoadStageError::from(too_large).into());
    }
    let rows = usize::try_from(num_samples).map_err(|_| LoadStageError::RowsOverflow { num_samples })?;
    let generated = match family {
        // Drawn straight into columns, in parallel (the same values as drawn in order).
        SyntheticFamily::Default => {
            let (columns, y) = synthetic::default_family_columns(rows, rng);
            let names = synthetic::DEFAULT_FAMILY_FEATURES.map(str::to_owned).to_vec();
            Generated { names, columns: columns.into(), y, row_ids: (0..rows as u64).collect() }
        }
        SyntheticFamily::Anomaly => Generated::of(anomaly_family(rows, noise, rng)?),
        SyntheticFamily::Correlation => Generated::of(correlation_family(rows, overlap, rng)?),
        SyntheticFamily::Coordination => Generated::of(coordination_family(rows, overlap, rng)?),
    };
    let Generated { names, mut columns, y, row_ids } = generated;
    if let Some(s) = shift {
        let Some(shifted) = names.iter().position(|name| name == &s.feature) else {
            return Err(LoadStageError::ShiftFeature {
                feature: s.feature.clone(),
                family: serde_json::to_value(family)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                features: names,
            }
            .into());
        };
        columns[shifted].par_iter_mut().for_each(|value| *value += s.by);
    }
    let features = Table::new(
        names
            .iter()
            .zip(columns)
            .map(|(name, values)| Column { name: name.clone(), values: Values::Numeric(values) })
            .collect(),
        row_ids,
    )?;
    let schema = Schema {
        features: names.iter().map(|n| (n.clone(), ColumnKind::Numeric)).collect(),
        group: None,
        encode: Encoding::OneHot,
        impute: false,
        min_group_size: default_min_group_size(),
        pool_small_groups: false,
    };
    let mut description = json!({
        "source": "synthetic",
        "family": family,
        "seed": seed.unwrap_or(ctx.instance.seed),
        "rows": rows,
    });
    if let (Some(s), Value::Object(fields)) = (shift, &mut description) {
        fields.insert("shift".into(), json!(s));
    }
    Ok(Loaded { features, y, group: None, schema, description })
}

/// A synthetic family's rows as columns.
struct Generated {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    y: Vec<u8>,
    row_ids: Vec<u64>,
}

impl Generated {
    /// A family generated as a row-major matrix, taken apart into columns (one per core:
    /// reading a column of the matrix is a strided walk). Adding zero turns a `-0.0` into
    /// `0.0`, as the hand-off files have always held it.
    fn of(data: Dataset) -> Self {
        let x = data.x();
        let columns = (0..x.ncols()).into_par_iter().map(|j| x.column(j).iter().map(|v| v + 0.0).collect()).collect();
        let row_ids = data.row_ids().to_vec();
        let (names, _, y, _) = data.into_parts();
        Self { names, columns, y, row_ids }
    }
}

fn csv_file_rows(ctx: &StageContext<'_>, c: &CsvSource) -> Result<Loaded, StageError> {
    let file = read_data_file_until(ctx.base_dir, &c.path, ctx.cancel)?;
    let mut description = json!({"source": "csv", "path": c.path, "sha256": file.sha256});
    if let (Some(compression), Value::Object(fields)) = (file.compression, &mut description) {
        fields.insert("compression".into(), json!(compression));
        if let Some(entry) = &file.entry {
            fields.insert("entry".into(), json!(entry));
        }
    }
    csv_rows(&file.bytes, &c.path, c, description)
}

/// Reads CSV `bytes` (named `display` in errors, `<stdin>` for `-`) with the options of `c`; `description` says
/// where the bytes came from and is completed with the read report.
fn csv_rows(bytes: &[u8], display: &str, c: &CsvSource, mut description: Value) -> Result<Loaded, StageError> {
    let opts = c.options()?;
    let name = crate::data::data_file::display_name(display);
    let (table, report) = read_labeled_csv(bytes, name, &opts).map_err(|e| {
        match LocatedValueError::locate(name, bytes, opts.delimiter, e) {
            Ok(located) => StageError::from(LoadStageError::BadValue(Box::new(located))),
            Err(e) => StageError::from(e),
        }
    })?;
    if report.features.iter().any(|(n, _)| n == LABEL_COLUMN) || c.group.as_deref() == Some(LABEL_COLUMN) {
        return Err(LoadStageError::LabelClash.into());
    }
    let schema = Schema {
        features: report.features.clone(),
        group: report.group.clone(),
        encode: match c.encode {
            EncodingName::OneHot => Encoding::OneHot,
            EncodingName::Ordinal => Encoding::Ordinal,
        },
        impute: c.missing == MissingPolicyName::Impute,
        min_group_size: c.min_group_size,
        pool_small_groups: c.pool_small_groups,
    };
    if let Value::Object(fields) = &mut description {
        fields.insert("rows_read".into(), json!(report.rows_read));
        fields.insert("rows_dropped".into(), json!(report.dropped));
        fields.insert("label".into(), json!(report.label));
        fields.insert("class_counts".into(), json!(report.class_counts));
    }
    let group = match (report.group, table.group) {
        (Some(name), Some(values)) => Some((name, values)),
        _ => None,
    };
    Ok(Loaded { features: table.features, y: table.y, group, schema, description })
}

/// The data guards' findings on a user's table (see [`crate::data::guards`]).
fn guards(loaded: &Loaded, train: &[usize], c: &CsvSource) -> Vec<Finding> {
    let opts = GuardOptions { leak_auc: c.leak_auc, one_hot: c.encode == EncodingName::OneHot };
    crate::data::guards::check(&loaded.features, &loaded.y, train, opts)
}

/// The hand-off table of one part: features, group, label.
fn part(loaded: &Loaded, rows: &[usize]) -> Result<Table, StageError> {
    // Taken apart, not cloned: the selected columns are this part's own.
    let (mut columns, row_ids) = loaded.features.select(rows).into_parts();
    if let Some((name, values)) = loaded.group.as_ref().filter(|(name, _)| !loaded.schema.group_is_feature(name)) {
        columns.push(Column { name: name.clone(), values: Values::Text(gather(rows, |i| Some(values[i].clone()))) });
    }
    columns.push(Column {
        name: LABEL_COLUMN.to_owned(),
        values: Values::Numeric(gather(rows, |i| f64::from(loaded.y[i]))),
    });
    Ok(Table::new(columns, row_ids)?)
}

/// The codebook of the hand-off tables' text columns, over all rows, so every part codes a
/// value alike: the text features, then the group column when it is not a feature.
fn codebook(loaded: &Loaded) -> Result<Codebook, StageError> {
    let mut book = Codebook::of(&loaded.features)?;
    if let Some((name, values)) = loaded.group.as_ref().filter(|(name, _)| !loaded.schema.group_is_feature(name)) {
        book.columns.push(CodebookColumn::of(name, values.iter().map(|v| Some(v.as_str())))?);
    }
    Ok(book)
}

/// The seed of a synthetic source without a `seed`: the instance's own, but the same for
/// every fold of a `kfold` split (the seed of the instance's id without its `fold`), so the
/// folds split one data set.
fn synthetic_seed(ctx: &StageContext<'_>) -> u64 {
    let decl = &ctx.instance.decl;
    if !decl.bindings.contains_key(crate::manifest::FOLD) {
        return ctx.instance.seed;
    }
    crate::plan::instance_seed(ctx.pipeline.seed, &crate::manifest::id_without_fold(&decl.stage, &decl.bindings))
}

/// The seed of a file's split: the pipeline seed alone, so the same file, seed and split
/// settings give the same rows whatever the `load` stage is called and in every manifest.
fn split_seed(pipeline_seed: u64) -> u64 {
    // Not an instance id (ids never start with NUL), so no instance shares this stream.
    crate::plan::instance_seed(pipeline_seed, "\0split")
}

pub(super) fn run(ctx: &StageContext<'_>, params: &LoadParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    // A synthetic source draws its rows and then its split from one stream: its `seed` (or the
    // instance's) fixes both, so instances that share it share their rows. A file's split has
    // a stream of its own (`split_seed`).
    let seed = match &params.source {
        DataSource::Synthetic(s) => s.seed.unwrap_or_else(|| synthetic_seed(ctx)),
        _ => synthetic_seed(ctx),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut volatile = None;
    let mut fallback_reason = None;
    let mut source_warnings = Vec::new();
    // `from_file`: the rows are a user's table (a file, or Kaggle's download), not generated
    // ones (a synthetic source, or the Kaggle fallback).
    let (loaded, source, from_file) = match &params.source {
        DataSource::Synthetic(s) => (synthetic_rows(ctx, s, &mut rng)?, "synthetic rows".to_owned(), false),
        DataSource::Csv(c) => {
            if c.path == crate::data::data_file::STDIN {
                // Its bytes are not in the key: what a later run pipes in may differ.
                volatile = Some("it reads standard input".to_owned());
            }
            (csv_file_rows(ctx, c)?, format!("rows of {}", c.path), true)
        }
        DataSource::Kaggle(k) => match fetch_csv(k, ctx.kaggle, &mut fallback_reason)? {
            Some(got) => {
                volatile = got.volatile;
                source_warnings = got.warnings;
                let sha = got.archive_sha256.get(..12).unwrap_or_default();
                let source = format!("rows of Kaggle {} (archive sha256 {sha}…)", got.display);
                (csv_rows(&got.bytes, &got.display, &k.csv, got.description)?, source, true)
            }
            None => {
                let reason = fallback_reason.unwrap_or_default();
                let fallback = SyntheticSource {
                    num_samples: 10_000,
                    family: SyntheticFamily::Default,
                    noise: 0.0,
                    overlap: 0.0,
                    seed: None,
                    shift: None,
                };
                let mut loaded = synthetic_rows(ctx, &fallback, &mut rng)?;
                if let Value::Object(fields) = &mut loaded.description {
                    fields.insert("fallback_for".into(), json!(k.dataset));
                    fields.insert("fallback_reason".into(), json!(reason));
                }
                volatile = Some(format!("Kaggle was unavailable, so the synthetic fallback was used ({reason})"));
                let source = format!("SYNTHETIC FALLBACK rows: Kaggle dataset {} unavailable: {reason}", k.dataset);
                (loaded, source, false)
            }
        },
    };
    let strategy = match params.split.strategy {
        SplitStrategyName::Temporal => SplitStrategy::Temporal,
        SplitStrategyName::Random => SplitStrategy::Random,
        SplitStrategyName::Stratified => SplitStrategy::Stratified,
        SplitStrategyName::Kfold => {
            let folds = params.split.kfold_folds().unwrap_or(crate::manifest::params::DEFAULT_FOLDS);
            let fold = params.split.fold.ok_or_else(|| LoadStageError::NoFold { id: ctx.instance.id().to_string() })?;
            SplitStrategy::KFold { folds, fold }
        }
    };
    // A file read from disk or Kaggle splits on a stream of its own; synthetic rows (and the
    // Kaggle fallback) go on with the stream that drew them.
    if from_file {
        rng = ChaCha8Rng::seed_from_u64(split_seed(ctx.pipeline.seed));
    }
    let config = SplitConfig {
        strategy,
        train_ratio: params.split.train_ratio,
        calibration_ratio: params.split.calibration_ratio,
    };
    let parts = split_indices(&loaded.y, &config, &mut rng)?;
    // The guards look at a user's table; synthetic families are the original's by design.
    let findings = match &params.source {
        DataSource::Csv(c) => guards(&loaded, &parts.train, c),
        DataSource::Kaggle(k) if from_file => guards(&loaded, &parts.train, &k.csv),
        _ => Vec::new(),
    };
    let strict = match &params.source {
        DataSource::Csv(c) => c.strict,
        DataSource::Kaggle(k) => k.csv.strict,
        DataSource::Synthetic(_) => false,
    };
    let warnings: Vec<String> = findings.iter().map(ToString::to_string).collect();
    if strict && !warnings.is_empty() {
        return Err(StageError::Guard(warnings.join("; ")));
    }
    let warnings: Vec<String> = source_warnings.into_iter().chain(warnings).collect();
    let dir = data_dir(ctx.instance.id());
    let codebook = codebook(&loaded)?;
    let export = params.export_csv;
    let mut later: Vec<(&str, &[usize])> = vec![("validation", &parts.validation)];
    if config.calibration_ratio.is_some() {
        later.push(("calibration", &parts.calibration));
    }
    // Each part is gathered while the previous one is written: the gather reads rows in
    // random order (memory-bound, spread over the pool), the writing hashes and copies.
    let mut remaining = later.into_iter();
    let mut current = ("train", part(&loaded, &parts.train)?);
    loop {
        let next = remaining.next();
        let (written, gathered) = rayon::join(
            || write_part(out, &dir, current.0, &current.1, &codebook, export),
            || next.map(|(name, rows)| part(&loaded, rows).map(|table| (name, table))).transpose(),
        );
        written?;
        match gathered? {
            Some(next) => current = next,
            None => break,
        }
    }
    if !codebook.is_empty() {
        write(out, &format!("{dir}/{CATEGORIES_FILE}"), &json_bytes(&json!(codebook))?)?;
    }
    let positives = loaded.y.iter().filter(|&&v| v == 1).count();
    let (train_ratio, folds, fold) = match config.strategy {
        SplitStrategy::KFold { folds, fold } => (None, Some(folds), Some(fold)),
        _ => (Some(params.split.train_ratio), None, None),
    };
    let feature_count = loaded.schema.features.len();
    let description = DatasetFile {
        format_version: DATASET_FORMAT,
        warnings: findings,
        data: loaded.description,
        rows: loaded.y.len() as u64,
        positives: positives as u64,
        layout: layout(&loaded.schema),
        schema: loaded.schema,
        split: SplitRecord {
            strategy: params.split.strategy,
            train_ratio,
            calibration_ratio: params.split.calibration_ratio,
            train_rows: parts.train.len() as u64,
            validation_rows: parts.validation.len() as u64,
            calibration_rows: config.calibration_ratio.map(|_| parts.calibration.len() as u64),
            folds,
            fold,
        },
    };
    write(out, &format!("{dir}/dataset.json"), &description.to_bytes()?)?;
    let summary = format!(
        "{} {source}, {} features (train {}, validation {})",
        loaded.y.len(),
        feature_count,
        parts.train.len(),
        parts.validation.len()
    );
    Ok(EntryMeta { summary, failure: None, volatile, warnings })
}

/// The `load` kind.
pub(crate) struct Load;

impl super::stage::Stage for Load {
    type Params = crate::manifest::params::LoadParams;

    fn run(
        &self,
        ctx: &StageContext<'_>,
        params: &crate::manifest::params::LoadParams,
        out: &mut Staging,
    ) -> Result<EntryMeta, StageError> {
        run(ctx, params, out)
    }

    /// `data_loaded` (source, rows, positives, digest) and `split`.
    fn audit_events(
        &self,
        _params: &Self::Params,
        at: &super::AuditInput<'_>,
    ) -> Result<Vec<super::AuditEvent>, super::AuditInputError> {
        use super::AuditEvent;
        use serde_json::json;
        let mut events = Vec::new();
        if let Some(rel) = at.output("/dataset.json") {
            let d: DatasetFile = at.read_json(&rel)?;
            events.push(AuditEvent::plain(json!({
                "event": "data_loaded",
                "id": at.instance.id(),
                "source": d.data,
                "rows": d.rows,
                "positives": d.positives,
                "dataset_sha256": at.outputs.get(&rel),
            })));
            events.push(AuditEvent::plain(json!({"event": "split", "id": at.instance.id(), "split": d.split})));
        }
        Ok(events)
    }
}
