//! How a run tells its caller what is happening; the CLI draws it, tests record it.

use crate::artifacts::InstanceReport;

/// Receives progress events. The library never prints: the CLI implements this with a
/// progress bar or plain lines.
pub trait Reporter: Sync {
    /// The run starts: how many instances, and how many the plan expects to compute.
    fn started(&self, _run_id: &str, _total: usize, _to_run: usize) {}
    /// An instance starts computing (cached instances skip this).
    fn instance_started(&self, _id: &str) {}
    /// An instance finished, whatever the outcome.
    fn instance_finished(&self, _report: &InstanceReport) {}
    /// A failed instance's error, after [`Reporter::instance_finished`], when it can show where
    /// it is in a file (a bad value in a CSV the `load` stage read): the report's `error` is its
    /// text, this the typed error for a renderer that draws the file's line.
    fn instance_diagnostic(&self, _id: &str, _diagnostic: &dyn miette::Diagnostic) {}
    /// Where a computing instance stands (a model fit's epoch and loss): transient, for a
    /// person watching; it never reaches an artifact or the run's record.
    fn instance_progress(&self, _id: &str, _message: &str) {}
    /// Something the user should know that does not stop the run.
    fn warning(&self, _message: &str) {}
}

/// A reporter that discards everything.
pub struct Silent;

impl Reporter for Silent {}
