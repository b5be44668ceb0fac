//! A parameter value out of its range, named by its key path, so the manifest error points at
//! the offending key. Every kind's parameter file reports through it.

/// A parameter value out of its range, named by its key path inside the stage table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeIssue {
    /// Key path inside the stage table, e.g. `["split", "train_ratio"]`.
    pub key: Vec<&'static str>,
    /// What the value must be.
    pub expected: String,
    /// `Some(sentence)` when the value is over a `[limits]` limit: the whole message, naming it.
    pub over_limit: Option<String>,
}

impl RangeIssue {
    /// A value over a limit of `[limits]`, with the sentence that names the limit.
    pub fn over(key: &'static str, message: String) -> Self {
        Self { key: vec![key], expected: String::new(), over_limit: Some(message) }
    }

    /// The sentence to show for this issue.
    pub fn message(&self) -> String {
        match &self.over_limit {
            Some(sentence) => sentence.clone(),
            None => format!("`{}` must be {}", self.key.join("."), self.expected),
        }
    }
}

pub(super) fn issue(key: &[&'static str], expected: impl Into<String>) -> RangeIssue {
    RangeIssue { key: key.to_vec(), expected: expected.into(), over_limit: None }
}

pub(super) fn open_unit(x: f64) -> bool {
    x > 0.0 && x < 1.0
}
