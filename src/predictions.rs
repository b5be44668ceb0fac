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
    let layout = Layout { label_at, prob_at, group_at, row_at };
    let mut out = layout.empty();
    // One byte record reused for every line, and only the group column checked for UTF-8 (a
    // `StringRecord` would validate every field of every line).
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|source| DataError::Csv { source })? {
        layout.push(|column| record.get(column).unwrap_or_default(), &mut out).map_err(|(column, expected)| {
            DataError::CsvBadValue {
                line: record.position().map_or(0, csv::Position::line),
                column: column + 1,
                name: header[column].clone(),
                value: String::from_utf8_lossy(record.get(column).unwrap_or_default()).into_owned(),
                expected,
            }
        })?;
    }
    Ok(out)
}

/// Where the columns of a predictions file are, once its header is read.
struct Layout {
    label_at: usize,
    prob_at: usize,
    group_at: Option<usize>,
    row_at: Option<usize>,
}

/// A value that is not what its column holds: the column and what was expected there.
type BadValue = (usize, &'static str);

impl Layout {
    fn empty(&self) -> Predictions {
        Predictions {
            y_true: Vec::new(),
            y_prob: Vec::new(),
            groups: self.group_at.map(|_| Vec::new()),
            rows: self.row_at.map(|_| Vec::new()),
        }
    }

    /// Reads one record's values into `out`; `field` gives the raw bytes of a column.
    fn push<'a>(&self, field: impl Fn(usize) -> &'a [u8], out: &mut Predictions) -> Result<(), BadValue> {
        if let (Some(j), Some(rows)) = (self.row_at, out.rows.as_mut()) {
            rows.push(parse_ascii(field(j).trim_ascii()).ok_or((j, "expected a whole-number row id"))?);
        }
        let y = match field(self.label_at).trim_ascii() {
            b"0" | b"0.0" | b"false" => 0,
            b"1" | b"1.0" | b"true" => 1,
            _ => return Err((self.label_at, "expected a label 0 or 1")),
        };
        let p: f64 = parse_ascii(field(self.prob_at).trim_ascii())
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or((self.prob_at, "expected a probability between 0 and 1"))?;
        out.y_true.push(y);
        out.y_prob.push(p);
        if let (Some(j), Some(groups)) = (self.group_at, out.groups.as_mut()) {
            let group = std::str::from_utf8(field(j)).map_err(|_| (j, "expected UTF-8 text"))?;
            groups.push(group.trim().to_owned());
        }
        Ok(())
    }
}

/// A number written in ASCII digits (what `str::parse` accepts), `None` for anything else.
fn parse_ascii<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    // Digits are ASCII: checking that is cheaper than validating UTF-8.
    if !bytes.is_ascii() {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
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

    #[test]
    fn padded_values_are_read_and_a_group_must_be_text() {
        let csv = b"row,y_true,y_prob,sex\n 7 , 1.0 ,0.25, m \n";
        let cols =
            PredictionColumns { group: Some("sex".into()), row: Some("row".into()), ..PredictionColumns::default() };
        let p = read_predictions(csv, "p.csv", &cols).expect("valid");
        assert_eq!(
            (p.rows, p.y_true, p.y_prob, p.groups),
            (Some(vec![7]), vec![1], vec![0.25], Some(vec!["m".into()]))
        );
        let e = read_predictions(b"y_true,y_prob,sex\n0,0.5,\xff\n", "p.csv", &cols).expect_err("not UTF-8");
        assert_eq!(e.to_string(), "invalid value `\u{fffd}` at line 2, column 3 (`sex`): expected UTF-8 text");
    }

    #[test]
    fn line_endings_quotes_and_blank_lines_do_not_change_the_values() {
        let cols =
            PredictionColumns { group: Some("sex".into()), row: Some("row".into()), ..PredictionColumns::default() };
        let plain = "row,y_true,y_prob,y_pred,sex\n0,1,0.9,1,m\n5, 0 ,2.5e-1,0,f \n9,true,1,1,\n";
        let read = |text: &str| read_predictions(text.as_bytes(), "p.csv", &cols).expect("valid");
        let expected = Predictions {
            y_true: vec![1, 0, 1],
            y_prob: vec![0.9, 0.25, 1.0],
            groups: Some(vec!["m".into(), "f".into(), String::new()]),
            rows: Some(vec![0, 5, 9]),
        };
        assert_eq!(read(plain), expected);
        assert_eq!(read(&plain.replace('\n', "\r\n")), expected);
        assert_eq!(read(&plain.replace(",m\n", ",\"m\"\n")), expected);
        assert_eq!(read(&format!("\n{plain}\n\n")), expected);
        let short = read_predictions(b"row,y_true,y_prob,y_pred,sex\n0,1,0.9\n", "p.csv", &cols).expect_err("short");
        assert!(matches!(short, DataError::Csv { .. }), "{short}");
    }
}
