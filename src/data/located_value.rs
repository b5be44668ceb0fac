//! A bad value in a CSV file the user named, shown where it is: the file, its line and column,
//! and the line itself with the value underlined (a miette diagnostic, as manifest errors
//! are), so the user sees what is wrong without opening the file.
//!
//! Only a window of lines around the value is kept, numbered as in the file, so a bad value
//! on line 3,000,000 of a large file costs a few lines of memory, not the file.

use miette::{Diagnostic, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::DataError;

/// Lines kept before and after the bad one.
const CONTEXT_LINES: usize = 1;

/// [`DataError::CsvBadValue`] located in its file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}: {error}")]
pub struct LocatedValueError {
    path: String,
    error: DataError,
    #[source_code]
    window: Window,
    #[label("{expected}")]
    span: SourceSpan,
    expected: &'static str,
}

impl LocatedValueError {
    /// `error` located in the CSV `bytes` of file `path`, separated by `delimiter`; the error
    /// back when it is not a bad value or its line is not in `bytes`.
    pub fn locate(path: &str, bytes: &[u8], delimiter: u8, error: DataError) -> Result<Self, DataError> {
        let DataError::CsvBadValue { line, column, expected, .. } = &error else { return Err(error) };
        let (Ok(line), expected) = (usize::try_from(*line), *expected) else { return Err(error) };
        let Some(starts) = line_starts(bytes, line.saturating_sub(1)) else { return Err(error) };
        let bad = starts.bad;
        let line_text = line_at(bytes, bad);
        let field = field_range(line_text, delimiter, column.saturating_sub(1)).unwrap_or(0..line_text.len());
        let first = starts.context;
        let mut end = line_end(bytes, bad);
        for _ in 0..CONTEXT_LINES {
            if end < bytes.len() {
                end = line_end(bytes, end + 1);
            }
        }
        let window = Window {
            name: path.to_owned(),
            text: String::from_utf8_lossy(&bytes[first..end]).into_owned(),
            first_line: line.saturating_sub(1) - starts.lines_before,
            start: first,
        };
        // A lossy conversion can change lengths; the span is then the window's, clamped.
        let offset = (bad + field.start).min(first + window.text.len());
        let len = field.len().max(1).min(first + window.text.len() - offset);
        Ok(Self { path: path.to_owned(), error, window, span: SourceSpan::new(offset.into(), len), expected })
    }

    /// The file.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The error it locates.
    pub fn error(&self) -> &DataError {
        &self.error
    }
}

/// Where the bad line and the first context line before it start.
struct Starts {
    bad: usize,
    context: usize,
    lines_before: usize,
}

/// The byte offsets of 0-based line `index` and of the line [`CONTEXT_LINES`] before it;
/// `None` when the file has fewer lines. Only the last few line starts are kept, so a line
/// far down costs no memory.
fn line_starts(bytes: &[u8], index: usize) -> Option<Starts> {
    let mut recent = std::collections::VecDeque::from([0usize]);
    let mut at = 0;
    for _ in 0..index {
        at += bytes[at..].iter().position(|&b| b == b'\n')? + 1;
        if recent.len() > CONTEXT_LINES {
            recent.pop_front();
        }
        recent.push_back(at);
    }
    if at == bytes.len() && index > 0 {
        return None;
    }
    let lines_before = index.min(CONTEXT_LINES);
    Some(Starts { bad: at, context: recent[recent.len() - 1 - lines_before], lines_before })
}

/// Where the line starting at `start` ends: its `\n`, or the end of the file.
fn line_end(bytes: &[u8], start: usize) -> usize {
    let start = start.min(bytes.len());
    bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |n| start + n)
}

/// The line starting at `start`, without its line ending.
fn line_at(bytes: &[u8], start: usize) -> &[u8] {
    let line = &bytes[start.min(bytes.len())..line_end(bytes, start)];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The byte range of 0-based field `index` of an unquoted line; `None` when the line has
/// quotes (a quoted delimiter would shift the fields) or fewer fields.
fn field_range(line: &[u8], delimiter: u8, index: usize) -> Option<std::ops::Range<usize>> {
    if line.contains(&b'"') {
        return None;
    }
    let mut start = 0;
    for (i, field) in line.split(|&b| b == delimiter).enumerate() {
        if i == index {
            return Some(start..start + field.len());
        }
        start += field.len() + 1;
    }
    None
}

/// Some lines of the file, numbered and placed as in the file.
#[derive(Debug)]
struct Window {
    name: String,
    text: String,
    /// The 0-based line number of the window's first line.
    first_line: usize,
    /// The byte offset of the window in the file.
    start: usize,
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local = SourceSpan::new(span.offset().saturating_sub(self.start).into(), span.len());
        let inner = self.text.read_span(&local, context_lines_before, context_lines_after)?;
        let placed = SourceSpan::new((inner.span().offset() + self.start).into(), inner.span().len());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            placed,
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use miette::{GraphicalReportHandler, GraphicalTheme};

    use super::*;

    fn bad(line: u64, column: usize) -> DataError {
        DataError::CsvBadValue {
            line,
            column,
            name: "y_prob".into(),
            value: "abc".into(),
            expected: "expected a probability between 0 and 1",
        }
    }

    fn render(e: &LocatedValueError) -> String {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
        let mut out = String::new();
        handler.render_report(&mut out, e).expect("render");
        out
    }

    #[test]
    fn the_value_is_underlined_on_its_numbered_line() {
        let csv = b"y_true,y_prob\n1,0.9\n0,abc\n1,0.2\n1,0.3\n";
        let e = LocatedValueError::locate("p.csv", csv, b',', bad(3, 2)).expect("located");
        let out = render(&e);
        assert!(out.contains("[p.csv:3:3]"), "{out}");
        assert!(out.contains(" 2 │ 1,0.9") && out.contains(" 3 │ 0,abc") && out.contains(" 4 │ 1,0.2"), "{out}");
        assert!(!out.contains("1,0.3"), "one line of context: {out}");
        assert!(out.contains("expected a probability between 0 and 1"), "{out}");
    }

    #[test]
    fn a_value_far_down_keeps_only_its_window() {
        let mut csv = b"y_true,y_prob\n".to_vec();
        for _ in 0..10_000 {
            csv.extend_from_slice(b"1,0.5\n");
        }
        csv.extend_from_slice(b"0,abc\n");
        let e = LocatedValueError::locate("p.csv", &csv, b',', bad(10_002, 2)).expect("located");
        assert!(e.window.text.len() < 64, "{}", e.window.text.len());
        assert!(render(&e).contains("[p.csv:10002:3]"));
    }

    #[test]
    fn a_quoted_line_is_underlined_whole_and_other_errors_pass_through() {
        let csv = b"y_true,y_prob\n\"0\",abc\n";
        let e = LocatedValueError::locate("p.csv", csv, b',', bad(2, 2)).expect("located");
        assert!(render(&e).contains("[p.csv:2:1]"));
        let other = DataError::CsvMissingHeader;
        assert!(matches!(LocatedValueError::locate("p.csv", csv, b',', other), Err(DataError::CsvMissingHeader)));
        assert!(LocatedValueError::locate("p.csv", csv, b',', bad(9, 2)).is_err(), "no line 9");
    }
}
