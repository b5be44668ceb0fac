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
#[derive(Debug, Clone, PartialEq)]
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

/// The whole `model.json`: its header's keys beside the preprocessor and the model.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    #[serde(flatten)]
    header: ModelHeader,
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
/// provenance. The envelope [`TrainedModel::to_json`] writes is this header flattened beside
/// the preprocessor, the model and an audit seal, so writer and readers share its keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "HeaderKeys", into = "HeaderKeys")]
pub struct ModelHeader {
    /// [`ENVELOPE_VERSION`].
    pub format_version: u32,
    /// The model type (`logistic`, `correlation`, ...).
    pub model_type: String,
    /// Where it came from.
    pub provenance: Provenance,
}

/// The header's keys, flat, as they are in the file. `ModelHeader` goes through this instead
/// of flattening `Provenance` itself: the envelope flattens the header, and serde reads a
/// flattened struct that has a flatten of its own as a map, which sees every key and claims
/// none, so the envelope's `deny_unknown_fields` would refuse every file. A flattened plain
/// struct claims the keys it reads.
#[derive(Serialize, Deserialize)]
struct HeaderKeys {
    format_version: u32,
    model_type: String,
    cohort: String,
    trained_at: String,
    seed: u64,
    training_rows: usize,
    data: String,
    threshold: f64,
}

impl From<HeaderKeys> for ModelHeader {
    fn from(k: HeaderKeys) -> Self {
        let HeaderKeys { format_version, model_type, cohort, trained_at, seed, training_rows, data, threshold } = k;
        let provenance = Provenance { cohort, trained_at, seed, training_rows, data, threshold };
        Self { format_version, model_type, provenance }
    }
}

impl From<ModelHeader> for HeaderKeys {
    fn from(h: ModelHeader) -> Self {
        let Provenance { cohort, trained_at, seed, training_rows, data, threshold } = h.provenance;
        Self {
            format_version: h.format_version,
            model_type: h.model_type,
            cohort,
            trained_at,
            seed,
            training_rows,
            data,
            threshold,
        }
    }
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
            header: ModelHeader {
                format_version: ENVELOPE_VERSION,
                model_type: self.model.kind().to_owned(),
                provenance: self.provenance.clone(),
            },
            preprocessor: self.preprocessor.clone(),
            model: self.model.to_json()?,
            audit: None,
        };
        serde_json::to_value(&envelope)
    }

    /// Reads a `model.json` document.
    pub fn from_json(text: &str) -> Result<Self, TrainedModelError> {
        let envelope: Envelope = serde_json::from_str(text).map_err(TrainedModelError::Envelope)?;
        if envelope.header.format_version != ENVELOPE_VERSION {
            return Err(TrainedModelError::Envelope(serde::de::Error::custom(format!(
                "format_version {} is not {ENVELOPE_VERSION}",
                envelope.header.format_version
            ))));
        }
        let model = load_model(&envelope.model.to_string()).map_err(TrainedModelError::Model)?;
        Ok(Self { provenance: envelope.header.provenance, preprocessor: envelope.preprocessor, model })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::preprocess::Encoding;
    use crate::models::Heuristic;

    fn trained() -> TrainedModel {
        let table = read_raw_csv(b"age,sex\n1,m\n2,f\n3,m\n4,f\n5,m\n6,f\n", b',', &[""]).expect("csv");
        let preprocessor = Preprocessor::fit(&table, Encoding::Ordinal, true);
        let (names, x) = preprocessor.transform(&table).expect("encode");
        let model = Heuristic::fit(x.view(), &[0, 1, 0, 1, 1, 1], &names).expect("fit");
        let provenance = Provenance {
            cohort: "c".to_owned(),
            trained_at: "2023-11-14T22:13:20Z".to_owned(),
            seed: u64::MAX,
            training_rows: 6,
            data: "data".to_owned(),
            threshold: 0.3,
        };
        TrainedModel { provenance, preprocessor, model: Box::new(model) }
    }

    #[test]
    fn the_written_envelope_reads_back_whole_and_as_its_header() {
        let model = trained();
        let doc = model.to_json().expect("json");
        let keys: Vec<&str> = doc.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "cohort",
                "data",
                "format_version",
                "model",
                "model_type",
                "preprocessor",
                "seed",
                "threshold",
                "trained_at",
                "training_rows"
            ]
        );
        let text = doc.to_string();
        let header = ModelHeader::from_slice(text.as_bytes()).expect("header");
        assert_eq!((header.format_version, header.model_type.as_str()), (ENVELOPE_VERSION, "heuristic"));
        assert_eq!(header.provenance, model.provenance);
        let back = TrainedModel::from_json(&text).expect("envelope");
        assert_eq!(back.provenance, model.provenance);
        assert_eq!(back.model.to_json().expect("json"), model.model.to_json().expect("json"));
    }

    #[test]
    fn the_envelope_accepts_an_audit_seal_and_refuses_other_keys() {
        let mut doc = trained().to_json().expect("json");
        let fields = doc.as_object_mut().expect("object");
        fields.insert("audit".to_owned(), serde_json::json!({"tree_size": 3}));
        TrainedModel::from_json(&doc.to_string()).expect("an audit seal is part of the envelope");
        let fields = doc.as_object_mut().expect("object");
        fields.insert("extra".to_owned(), Value::from(1));
        let e = TrainedModel::from_json(&doc.to_string()).expect_err("unknown key");
        assert!(
            crate::error_chain::error_chain(&e).contains("unknown field `extra`"),
            "{}",
            crate::error_chain::error_chain(&e)
        );
        let fields = doc.as_object_mut().expect("object");
        fields.remove("extra");
        fields.remove("threshold");
        let e = ModelHeader::from_slice(doc.to_string().as_bytes()).expect_err("no threshold");
        assert!(
            crate::error_chain::error_chain(&e).contains("missing field `threshold`"),
            "{}",
            crate::error_chain::error_chain(&e)
        );
    }
}
