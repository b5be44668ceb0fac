//! `predictions.csv`: header `row,y_true,y_prob,y_pred[,group]`, one record per validation row.
//!
//! Written on every `train` run, so on the path of every changed run. The records are built
//! as bytes: numbers through `itoa` and [`float_text`] (`Display`'s text, without
//! `core::fmt`), the group quoted as the `csv` crate quotes a field. A test compares the
//! bytes with the `csv` writer's.

use rayon::prelude::*;

use crate::data::float_text;

/// Rows formatted per task.
const ROWS_PER_TASK: usize = 16_384;

/// The file as pieces to write in order: the header, then runs of rows formatted in parallel.
/// Each record is formatted on its own, so the pieces joined are what one writer would write.
pub(super) fn chunks(
    group_column: Option<&str>,
    row_ids: &[u64],
    y_true: &[u8],
    probs: &[f64],
    threshold: f64,
    groups: Option<&[String]>,
) -> Result<Vec<Vec<u8>>, csv::Error> {
    let mut header = csv::Writer::from_writer(Vec::new());
    let mut names = vec!["row", "y_true", "y_prob", "y_pred"];
    names.extend(group_column);
    header.write_record(&names)?;
    let header = header.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    let tasks = probs.len().div_ceil(ROWS_PER_TASK);
    let records = (0..tasks).into_par_iter().map(|task| {
        let rows = task * ROWS_PER_TASK..probs.len().min((task + 1) * ROWS_PER_TASK);
        let mut out = Vec::with_capacity(rows.len() * 32);
        let (mut integer, mut float) = (itoa::Buffer::new(), zmij::Buffer::new());
        for i in rows {
            let p = probs[i];
            out.extend_from_slice(integer.format(row_ids[i]).as_bytes());
            out.push(b',');
            out.extend_from_slice(integer.format(y_true[i]).as_bytes());
            out.push(b',');
            float_text::push_f64(&mut out, p, &mut float);
            out.extend_from_slice(if p >= threshold { b",1" } else { b",0" });
            if let Some(groups) = groups {
                out.push(b',');
                push_field(&mut out, &groups[i]);
            }
            out.push(b'\n');
        }
        out
    });
    Ok(std::iter::once(header).chain(records.collect::<Vec<_>>()).collect())
}

/// A field as the `csv` writer writes one that is not alone in its record: in double quotes,
/// its quotes doubled, when it holds a comma, a quote or a line break; else as it is.
fn push_field(out: &mut Vec<u8>, field: &str) {
    if !field.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(field.as_bytes());
        return;
    }
    out.push(b'"');
    for b in field.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// The file as the `csv` writer and `Display` write it (how it was written before).
    fn by_the_csv_writer(
        group_column: Option<&str>,
        row_ids: &[u64],
        y_true: &[u8],
        probs: &[f64],
        threshold: f64,
        groups: Option<&[String]>,
    ) -> Vec<u8> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let mut names = vec!["row", "y_true", "y_prob", "y_pred"];
        names.extend(group_column);
        csv.write_record(&names).expect("header");
        let mut number = String::new();
        for i in 0..probs.len() {
            let p = probs[i];
            for value in [&row_ids[i] as &dyn std::fmt::Display, &y_true[i], &p, &u8::from(p >= threshold)] {
                number.clear();
                write!(number, "{value}").expect("formats");
                csv.write_field(&number).expect("field");
            }
            if let Some(groups) = groups {
                csv.write_field(&groups[i]).expect("field");
            }
            csv.write_record(None::<&[u8]>).expect("record");
        }
        csv.into_inner().expect("flushed")
    }

    #[test]
    fn the_bytes_are_the_csv_writers() {
        let rows = 40_000;
        let row_ids: Vec<u64> =
            (0..rows as u64).map(|i| i * 7_919 % 1_000_003 + u64::from(i == 5) * u64::MAX / 2).collect();
        let y_true: Vec<u8> = (0..rows).map(|i| u8::from(i % 3 == 0)).collect();
        let probs: Vec<f64> = (0..rows)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => 1.0,
                2 => 0.5,
                3 => 1e-9 * i as f64,
                _ => 1.0 / (1.0 + (-(i as f64) / 997.0).exp()),
            })
            .collect();
        let names = ["a", "", "x,y", "say \"hi\"", "line\nbreak", "cr\r", "# not a comment", " spaced ", "é"];
        let groups: Vec<String> = (0..rows).map(|i| names[i % names.len()].to_owned()).collect();
        for (column, groups) in [(None, None), (Some("sex, or \"gender\""), Some(&groups[..]))] {
            let ours: Vec<u8> = chunks(column, &row_ids, &y_true, &probs, 0.5, groups).expect("csv").concat();
            assert_eq!(
                String::from_utf8(ours).expect("utf-8"),
                String::from_utf8(by_the_csv_writer(column, &row_ids, &y_true, &probs, 0.5, groups)).expect("utf-8")
            );
        }
    }
}
