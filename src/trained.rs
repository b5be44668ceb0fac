//! A trained model as saved in `model.json`: the fitted preprocessor, the model, and where it
//! came from. This is the unit `nethical predict` loads to score raw data.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::DataError;
use crate::data::preprocess::Preprocessor;
use crate::data::table::{Column, Table, Values};
use crate::models::{LoadError, Model, load_model};

/// Version of the `model.json` envelope.
pub const ENVELOPE_VERSION: u32 = 1;

/// Where a model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The cohort it was trained for.
    pub cohort: String,
    /// The run clock when it was trained.
    pub trained_at: String,
    /// The training instance's seed.
    pub seed: u64,
    /// Training rows.
    pub training_rows: usize,
    /// The `load` instance its data came from.
    pub data: String,
    /// Its decision threshold: class 1 iff P(y = 1) >= threshold.
    pub threshold: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format_version: u32,
    model_type: String,
    #[serde(flatten)]
    provenance: Provenance,
    preprocessor: Preprocessor,
    model: Value,
    /// Set on published copies by an `audit` stage (`trail::ModelAudit`); not needed to score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit: Option<Value>,
}

/// Why a `model.json` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrainedModelError {
    /// Not JSON or not the envelope.
    #[error("not a nethical model.json (envelope version {ENVELOPE_VERSION})")]
    Envelope(#[source] serde_json::Error),
    /// The model inside cannot be loaded.
    #[error("cannot load the model")]
    Model(#[source] LoadError),
    /// The data does not fit the model.
    #[error(transparent)]
    Data(#[from] DataError),
}

/// What other stages read of a `model.json` without loading the model: its type and
/// provenance, through the same fields [`TrainedModel::to_json`] writes (the preprocessor, the
/// model and an audit seal are left unread).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModelHeader {
    /// [`ENVELOPE_VERSION`].
    pub format_version: u32,
    /// The model type (`logistic`, `correlation`, ...).
    pub model_type: String,
    /// Where it came from.
    #[serde(flatten)]
    pub provenance: Provenance,
}

impl ModelHeader {
    /// Reads a `model.json`'s header; a file of another envelope version is refused.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, TrainedModelError> {
        let header: Self = serde_json::from_slice(bytes).map_err(TrainedModelError::Envelope)?;
        if header.format_version != ENVELOPE_VERSION {
            return Err(TrainedModelError::Envelope(serde::de::Error::custom(format!(
                "format_version {} is not {ENVELOPE_VERSION}",
                header.format_version
            ))));
        }
        Ok(header)
    }
}

/// A preprocessor and a model, with their provenance.
#[derive(Debug)]
pub struct TrainedModel {
    /// Where it came from.
    pub provenance: Provenance,
    /// Raw columns → features.
    pub preprocessor: Preprocessor,
    /// Features → P(y = 1).
    pub model: Box<dyn Model>,
}

impl TrainedModel {
    /// The `model.json` document.
    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        let envelope = Envelope {
            format_version: ENVELOPE_VERSION,
            model_type: self.model.kind().to_owned(),
            provenance: self.provenance.clone(),
            preprocessor: self.preprocessor.clone(),
            model: self.model.to_json()?,
            audit: None,
        };
        serde_json::to_value(&envelope)
    }

    /// Reads a `model.json` document.
    pub fn from_json(text: &str) -> Result<Self, TrainedModelError> {
        let envelope: Envelope = serde_json::from_str(text).map_err(TrainedModelError::Envelope)?;
        if envelope.format_version != ENVELOPE_VERSION {
            return Err(TrainedModelError::Envelope(serde::de::Error::custom(format!(
                "format_version {} is not {ENVELOPE_VERSION}",
                envelope.format_version
            ))));
        }
        let model = load_model(&envelope.model.to_string()).map_err(TrainedModelError::Model)?;
        Ok(Self { provenance: envelope.provenance, preprocessor: envelope.preprocessor, model })
    }

    /// P(y = 1) for every row of a raw table (numeric columns may arrive as text, as from a
    /// CSV read without a schema; they are parsed here).
    pub fn predict_raw(&self, table: &Table) -> Result<Vec<f64>, TrainedModelError> {
        let (names, x) = self.preprocessor.transform(table)?;
        if names != self.model.feature_names() {
            return Err(DataError::CsvSchema {
                source_name: "model.json".to_owned(),
                message: "the preprocessor's features do not match the model's".to_owned(),
            }
            .into());
        }
        Ok(self.model.predict_proba(x.view()))
    }
}

/// Reads any CSV with a header as a raw table of text columns (missing tokens → missing),
/// row ids = data row index. Columns the model does not use are kept and ignored.
pub fn read_raw_csv(bytes: &[u8], delimiter: u8, missing: &[&str]) -> Result<Table, DataError> {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(bytes);
    let header: Vec<String> =
        reader.headers().map_err(|source| DataError::Csv { source })?.iter().map(|h| h.trim().to_owned()).collect();
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.map_err(|source| DataError::Csv { source })?;
        for (j, col) in columns.iter_mut().enumerate() {
            let v = record.get(j).unwrap_or_default().trim();
            col.push((!missing.contains(&v)).then(|| v.to_owned()));
        }
        rows += 1;
    }
    let columns = header.into_iter().zip(columns).map(|(name, v)| Column { name, values: Values::Text(v) }).collect();
    Table::new(columns, (0..rows).collect())
}
