//! Manifest errors that point at the file, line and column (or the override) they come from.
//!
//! Validation collects every problem it can find before giving up, so a user fixes a manifest
//! in one round; [`ManifestErrors`] renders them together through miette.

use std::ops::Range;

use miette::{Diagnostic, LabeledSpan, NamedSource};

use super::input::ManifestInput;

/// One problem in a manifest, with the span it is about.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct ManifestIssue {
    message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label(collection)]
    labels: Vec<LabeledSpan>,
    #[help]
    help: Option<String>,
    /// Where the span starts in the combined buffer; keeps the report in source order.
    order: usize,
}

impl ManifestIssue {
    /// The message, without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The source name and the 1-based line and column where the issue points.
    pub fn location(&self) -> (String, usize, usize) {
        use miette::SourceCode;
        let offset = self.labels.first().map_or(0, |l| l.offset());
        let name = self.source_code.name().to_owned();
        match self.source_code.read_span(&(offset, 0).into(), 0, 0) {
            Ok(c) => (name, c.line() + 1, c.column() + 1),
            Err(_) => (name, 1, 1),
        }
    }

    /// The help line, if any.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// Every problem found in one manifest.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path} is invalid: {}", count_errors(.issues.len(), *.more))]
pub struct ManifestErrors {
    path: String,
    #[related]
    issues: Vec<ManifestIssue>,
    /// Errors found after the first [`MAX_ISSUES`], counted but not kept.
    more: usize,
}

/// The most problems kept for one manifest by default (`[limits] max_errors`): each holds its
/// source text for rendering, so a manifest with 20,000 errors would otherwise take gigabytes
/// to report.
pub const MAX_ISSUES: usize = 100;

fn count_errors(n: usize, more: usize) -> String {
    match (n, more) {
        (1, 0) => "1 error".to_owned(),
        (n, 0) => format!("{n} errors"),
        (n, more) => format!("{} errors, the first {n} shown ({more} more not listed)", n + more),
    }
}

impl ManifestErrors {
    /// The problems, in source order.
    pub fn issues(&self) -> &[ManifestIssue] {
        &self.issues
    }
}

/// Collects issues while a manifest is validated.
pub(crate) struct Issues<'a> {
    input: &'a ManifestInput,
    found: Vec<ManifestIssue>,
    more: usize,
    /// The most issues kept (`[limits] max_errors`).
    max: usize,
}

impl<'a> Issues<'a> {
    pub(crate) fn new(input: &'a ManifestInput) -> Self {
        Self { input, found: Vec::new(), more: 0, max: MAX_ISSUES }
    }

    /// Keeps at most `max` issues from now on (`[limits] max_errors`).
    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Bytes of the manifest file's text.
    pub(crate) fn input_len(&self) -> usize {
        self.input.file_text().len()
    }

    /// Forgets the issues found after the first `len`: a check made only to look for more
    /// errors found some it cannot attribute.
    pub(crate) fn truncate(&mut self, len: usize) {
        if self.more == 0 {
            self.found.truncate(len);
        }
    }

    /// The manifest's folder, against which data paths are resolved.
    pub(crate) fn base_dir(&self) -> std::path::PathBuf {
        self.input.path().parent().map(std::path::Path::to_path_buf).unwrap_or_default()
    }

    /// Records a problem at `span` with a short label under it and an optional help line.
    pub(crate) fn push(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        if self.found.len() >= self.max {
            self.more += 1;
            return;
        }
        let located = self.input.locate(span.clone());
        let message = message.into();
        let duplicate = self.found.iter().any(|i| i.order == span.start && i.message == message);
        if duplicate {
            return;
        }

        let label = label.into();
        let len = located.span.end.saturating_sub(located.span.start);
        let labels = vec![LabeledSpan::new(if label.is_empty() { None } else { Some(label) }, located.span.start, len)];
        self.found.push(ManifestIssue {
            message,
            source_code: NamedSource::new(located.name, located.text),
            labels,
            help,
            order: span.start,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.found.len() + self.more
    }

    /// Finishes: the value when nothing was found, otherwise every issue in source order.
    pub(crate) fn into_result<T>(mut self, value: Option<T>) -> Result<T, ManifestErrors> {
        match value {
            Some(v) if self.found.is_empty() => Ok(v),
            _ => {
                if self.found.is_empty() {
                    self.push(0..0, "the manifest could not be read", "", None);
                }
                self.found.sort_by_key(|i| i.order);
                Err(ManifestErrors { path: self.input.display_name().to_owned(), issues: self.found, more: self.more })
            }
        }
    }
}

/// "did you mean `x`?" for the closest of `candidates`, when one is close enough.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len().max(word.len()))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Lists names as `a`, `b` or `c` for "expected one of" messages.
pub(crate) fn one_of<'c>(names: impl IntoIterator<Item = &'c str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => "nothing".to_owned(),
        1 => names[0].clone(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("trian", ["train", "gate"]).as_deref(), Some("did you mean `train`?"));
        assert_eq!(did_you_mean("zzzzzz", ["train", "gate"]), None);
    }

    #[test]
    fn lists_names() {
        assert_eq!(one_of(["a"]), "`a`");
        assert_eq!(one_of(["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
