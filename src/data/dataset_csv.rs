//! The CSV form in which pipeline stages hand datasets to each other.
//!
//! Layout: a header `row,<feature names...>,label`, then one record per row. Floats are
//! written with Rust's shortest round-trip formatting and parsed with the correctly rounded
//! `str::parse`, so a dataset read back is bit-identical to the one written, and a cached
//! stage output reproduces the downstream results exactly.

use std::fmt::Write as _;
use std::io::{Read, Write};

use csv::{ReaderBuilder, StringRecord, WriterBuilder};
use ndarray::Array2;

use super::{DataError, Dataset};

const ROW_COLUMN: &str = "row";
const LABEL_COLUMN: &str = "label";

impl Dataset {
    /// Writes the dataset as `row,<features...>,label` CSV.
    pub fn write_csv(&self, writer: impl Write) -> Result<(), DataError> {
        let csv_error = |source| DataError::Csv { source };
        let mut csv = WriterBuilder::new().has_headers(false).from_writer(writer);
        csv.write_field(ROW_COLUMN).map_err(csv_error)?;
        for name in self.feature_names() {
            csv.write_field(name).map_err(csv_error)?;
        }
        csv.write_field(LABEL_COLUMN).map_err(csv_error)?;
        csv.write_record(None::<&[u8]>).map_err(csv_error)?;

        let mut field = String::new();
        for ((values, &label), &row_id) in self.x().outer_iter().zip(self.y()).zip(self.row_ids()) {
            field.clear();
            // Writing into a String cannot fail.
            let _ = write!(field, "{row_id}");
            csv.write_field(&field).map_err(csv_error)?;
            for value in values {
                field.clear();
                let _ = write!(field, "{value}");
                csv.write_field(&field).map_err(csv_error)?;
            }
            csv.write_field(if label == 1 { "1" } else { "0" }).map_err(csv_error)?;
            csv.write_record(None::<&[u8]>).map_err(csv_error)?;
        }
        csv.flush().map_err(|source| DataError::Csv { source: source.into() })
    }

    /// Reads a dataset written by [`Dataset::write_csv`]; nothing else is accepted, since
    /// foreign CSV files go through the ingestion stage, not this hand-off format.
    pub fn read_csv(reader: impl Read) -> Result<Dataset, DataError> {
        let csv_error = |source| DataError::Csv { source };
        let mut csv = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        let mut record = StringRecord::new();

        if !csv.read_record(&mut record).map_err(csv_error)? {
            return Err(DataError::CsvMissingHeader);
        }
        let width = record.len();
        if width < 3 || &record[0] != ROW_COLUMN || &record[width - 1] != LABEL_COLUMN {
            return Err(DataError::CsvBadHeader { found: record.iter().collect::<Vec<_>>().join(",") });
        }
        let feature_names: Vec<String> = record.iter().skip(1).take(width - 2).map(str::to_owned).collect();

        let mut values = Vec::new();
        let mut y = Vec::new();
        let mut row_ids = Vec::new();
        while csv.read_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != width {
                return Err(DataError::CsvFieldCount { line, expected: width, found: record.len() });
            }
            let bad_value = |column: usize, expected: &'static str| DataError::CsvBadValue {
                line,
                column: column + 1,
                name: match column {
                    0 => ROW_COLUMN.to_owned(),
                    c if c == width - 1 => LABEL_COLUMN.to_owned(),
                    c => feature_names[c - 1].clone(),
                },
                value: record[column].to_owned(),
                expected,
            };
            let row_id =
                record[0].parse::<u64>().map_err(|_| bad_value(0, "expected a non-negative integer row id"))?;
            row_ids.push(row_id);
            for column in 1..width - 1 {
                let value = record[column]
                    .parse::<f64>()
                    .ok()
                    .filter(|value| value.is_finite())
                    .ok_or_else(|| bad_value(column, "expected a finite number"))?;
                values.push(value);
            }
            let label = match &record[width - 1] {
                "0" => 0,
                "1" => 1,
                _ => return Err(bad_value(width - 1, "expected a label of 0 or 1")),
            };
            y.push(label);
        }

        let x = Array2::from_shape_vec((y.len(), feature_names.len()), values)
            .map_err(|source| DataError::Shape { source })?;
        Dataset::with_row_ids(feature_names, x, y, row_ids)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    fn sample() -> Result<Dataset, DataError> {
        Dataset::with_row_ids(
            vec!["a".to_owned(), "b, quoted".to_owned()],
            array![[0.1 + 0.2, -0.0], [f64::MIN_POSITIVE, 1e300], [1.0 / 3.0, 5e-324]],
            vec![1, 0, 1],
            vec![9, 3, u64::MAX],
        )
    }

    #[test]
    fn round_trip_is_bit_exact() -> Result<(), DataError> {
        let data = sample()?;
        let mut bytes = Vec::new();
        data.write_csv(&mut bytes)?;
        let back = Dataset::read_csv(bytes.as_slice())?;
        assert_eq!(back.feature_names(), data.feature_names());
        assert_eq!(back.y(), data.y());
        assert_eq!(back.row_ids(), data.row_ids());
        let bits = |d: &Dataset| d.x().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&data));
        Ok(())
    }

    #[test]
    fn writes_the_documented_layout() -> Result<(), DataError> {
        let data = Dataset::new(vec!["f".to_owned()], array![[0.5], [2.0]], vec![0, 1])?;
        let mut bytes = Vec::new();
        data.write_csv(&mut bytes)?;
        assert_eq!(String::from_utf8_lossy(&bytes), "row,f,label\n0,0.5,0\n1,2,1\n");
        Ok(())
    }

    fn read_error(text: &str) -> String {
        match Dataset::read_csv(text.as_bytes()) {
            Ok(_) => "accepted".to_owned(),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn bad_value_names_line_and_column() {
        assert_eq!(
            read_error("row,a,b,label\n0,1,2,0\n1,3,x4,1\n"),
            "invalid value `x4` at line 3, column 3 (`b`): expected a finite number"
        );
        assert_eq!(
            read_error("row,a,label\n0,1,2\n"),
            "invalid value `2` at line 2, column 3 (`label`): expected a label of 0 or 1"
        );
        assert_eq!(
            read_error("row,a,label\n-1,1,0\n"),
            "invalid value `-1` at line 2, column 1 (`row`): \
             expected a non-negative integer row id"
        );
        assert_eq!(
            read_error("row,a,label\n0,NaN,0\n"),
            "invalid value `NaN` at line 2, column 2 (`a`): expected a finite number"
        );
    }

    #[test]
    fn rejects_bad_layouts() {
        assert_eq!(read_error(""), "dataset csv is empty; expected a header `row,<features...>,label`");
        assert_eq!(
            read_error("id,a,label\n"),
            "dataset csv header is `id,a,label`; expected `row,<features...>,label`"
        );
        assert_eq!(read_error("row,a,label\n0,1\n"), "line 2 of the dataset csv has 2 fields; the header has 3");
        assert_eq!(read_error("row,a,label\n0,1,0\n0,2,1\n"), "row id 0 appears more than once");
    }

    #[test]
    fn header_only_gives_an_empty_dataset() -> Result<(), DataError> {
        let data = Dataset::read_csv("row,a,label\n".as_bytes())?;
        assert_eq!((data.n_rows(), data.n_features()), (0, 1));
        Ok(())
    }
}
