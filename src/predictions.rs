//! Predictions files (`row,y_true,y_prob,y_pred[,group]`, or any CSV with a label and a
//! probability column): read one and compute the metrics of METRICS.md for it, so a model
//! trained anywhere can be audited with the same conventions.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::DataError;
use crate::metrics::{
    FairnessOptions, FairnessReport, MetricsConfig, MetricsError, MetricsReport, evaluate, fairness_with,
};

/// Which columns hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictionColumns {
    /// The 0/1 label.
    pub label: String,
    /// P(y = 1).
    pub prob: String,
    /// A sensitive column for the fairness metrics.
    pub group: Option<String>,
    /// A column of whole-number row ids, read when the file has it.
    pub row: Option<String>,
}

impl Default for PredictionColumns {
    fn default() -> Self {
        Self { label: "y_true".to_owned(), prob: "y_prob".to_owned(), group: None, row: None }
    }
}

/// The columns read from a predictions file.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Labels.
    pub y_true: Vec<u8>,
    /// Probabilities.
    pub y_prob: Vec<f64>,
    /// Group values, when a group column was named.
    pub groups: Option<Vec<String>>,
    /// Row ids, when a row column was named and the file has it.
    pub rows: Option<Vec<u64>>,
}

/// Metrics of a predictions file; fairness when a group column was named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Every metric, under its METRICS.md name.
    #[serde(flatten)]
    pub metrics: MetricsReport,
    /// The fairness metrics by group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness: Option<FairnessReport>,
}

/// Reads the label, probability and group columns of a CSV with a header.
pub fn read_predictions(bytes: &[u8], source: &str, cols: &PredictionColumns) -> Result<Predictions, DataError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header: Vec<String> =
        reader.headers().map_err(|source| DataError::Csv { source })?.iter().map(|h| h.trim().to_owned()).collect();
    let find = |name: &str, what: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| DataError::CsvSchema {
            source_name: source.to_owned(),
            message: format!("{what} column `{name}` is not there; the columns are {}", header.join(", ")),
        })
    };
    let label_at = find(&cols.label, "label")?;
    let prob_at = find(&cols.prob, "probability")?;
    let group_at = cols.group.as_deref().map(|g| find(g, "group")).transpose()?;
    let row_at = cols.row.as_deref().and_then(|r| header.iter().position(|h| h == r));
    let mut out = Predictions {
        y_true: Vec::new(),
        y_prob: Vec::new(),
        groups: group_at.map(|_| Vec::new()),
        rows: row_at.map(|_| Vec::new()),
    };
    // One record reused for every line: a train stage's 200,000 predictions are read by
    // `drift` and `report` for every cohort.
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|source| DataError::Csv { source })? {
        let line = record.position().map_or(0, csv::Position::line);
        let bad = |column: usize, expected: &'static str| DataError::CsvBadValue {
            line,
            column: column + 1,
            name: header[column].clone(),
            value: record.get(column).unwrap_or_default().to_owned(),
            expected,
        };
        if let (Some(j), Some(rows)) = (row_at, out.rows.as_mut()) {
            let id = record.get(j).unwrap_or_default().trim();
            rows.push(id.parse().map_err(|_| bad(j, "expected a whole-number row id"))?);
        }
        let y = match record.get(label_at).unwrap_or_default().trim() {
            "0" | "0.0" | "false" => 0,
            "1" | "1.0" | "true" => 1,
            _ => return Err(bad(label_at, "expected a label 0 or 1")),
        };
        let p: f64 = record
            .get(prob_at)
            .unwrap_or_default()
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| bad(prob_at, "expected a probability between 0 and 1"))?;
        out.y_true.push(y);
        out.y_prob.push(p);
        if let (Some(j), Some(groups)) = (group_at, out.groups.as_mut()) {
            groups.push(record.get(j).unwrap_or_default().trim().to_owned());
        }
    }
    Ok(out)
}

/// How the fairness metrics compare groups, and the seed of their intervals' resamples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FairnessSettings {
    /// Group size floor, pooling and resamples.
    pub options: FairnessOptions,
    /// Seeds the ChaCha8 generator of the bootstrap, so the same file gives the same intervals.
    pub seed: u64,
}

/// Computes the metrics (and fairness, with groups) of predictions.
pub fn evaluate_predictions(
    p: &Predictions,
    config: &MetricsConfig,
    fairness: &FairnessSettings,
) -> Result<Evaluation, MetricsError> {
    let metrics = evaluate(&p.y_true, &p.y_prob, config)?;
    let fairness = match &p.groups {
        None => None,
        Some(groups) => {
            let y_pred: Vec<u8> = p.y_prob.iter().map(|&x| u8::from(x >= config.threshold)).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(fairness.seed);
            Some(fairness_with(&p.y_true, &y_pred, groups, &fairness.options, &mut rng)?)
        }
    };
    Ok(Evaluation { metrics, fairness })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_name_and_names_bad_values() {
        let csv = b"row,y_true,y_prob,y_pred,sex\n0,1,0.9,1,m\n1,0,0.2,0,f\n";
        let cols = PredictionColumns { group: Some("sex".into()), ..PredictionColumns::default() };
        let p = read_predictions(csv, "p.csv", &cols).expect("valid");
        assert_eq!(p.y_true, [1, 0]);
        assert_eq!(p.groups, Some(vec!["m".into(), "f".into()]));
        let e = read_predictions(b"y_true,y_prob\n1,1.5\n", "p.csv", &PredictionColumns::default()).expect_err("bad");
        assert_eq!(
            e.to_string(),
            "invalid value `1.5` at line 2, column 2 (`y_prob`): expected a probability between 0 and 1"
        );
    }
}
