//! Progress on stderr: a bar on a terminal, one line per finished instance otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::{InstanceReport, InstanceStatus, Reporter};

/// The CLI's reporter.
pub(crate) struct CliReporter {
    bar: Mutex<Option<ProgressBar>>,
    tty: bool,
}

impl CliReporter {
    pub(crate) fn new() -> Self {
        Self { bar: Mutex::new(None), tty: can_draw_a_bar(|name| std::env::var_os(name)) }
    }

    fn line(&self, text: &str) {
        let bar = self.bar.lock().ok();
        match bar.as_ref().and_then(|b| b.as_ref()) {
            Some(b) => b.println(text),
            None => tracing::info!("{text}"),
        }
    }

    /// Clears the bar before the summary is printed.
    pub(crate) fn finish(&self) {
        if let Some(b) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            b.finish_and_clear();
        }
    }
}

/// Whether stderr can show a progress bar: progress is wanted (not `-q`), on a terminal that is
/// not `dumb`, outside CI, without `NO_COLOR`. Elsewhere indicatif would hide the bar and every line printed through it, so
/// plain lines are printed instead.
fn can_draw_a_bar(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    // `-q` asks for no progress at all.
    tracing::enabled!(tracing::Level::INFO)
        && std::io::stderr().is_terminal()
        && var("TERM").is_none_or(|t| t != "dumb")
        && var("CI").is_none()
        && var("NO_COLOR").is_none()
}

/// One line for a finished instance.
pub(crate) fn instance_line(r: &InstanceReport) -> String {
    match r.status {
        InstanceStatus::Ran => format!("✓ {} ({:.2}s) {}", r.id, r.seconds, r.summary),
        InstanceStatus::Cached => format!("= {} (cached) {}", r.id, r.summary),
        InstanceStatus::Failed => {
            format!("✗ {} failed: {}", r.id, r.error.as_deref().unwrap_or("unknown error"))
        }
        InstanceStatus::Skipped => format!("- {} skipped: {}", r.id, r.reason),
        InstanceStatus::Interrupted => format!("! {} interrupted", r.id),
    }
}

impl Reporter for CliReporter {
    fn started(&self, run_id: &str, total: usize, to_run: usize) {
        if self.tty {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            if let Ok(mut b) = self.bar.lock() {
                *b = Some(bar);
            }
        }
        self.line(&format!("run {run_id}: {total} instances, {to_run} to compute"));
    }

    fn instance_started(&self, id: &str) {
        tracing::debug!("started {id}");
        if let Some(b) = self.bar.lock().ok().as_ref().and_then(|b| b.as_ref()) {
            b.set_message(format!("running {id}"));
        }
    }

    /// On the bar only: without a terminal, progress would be noise between the result lines
    /// of a log.
    fn instance_progress(&self, id: &str, message: &str) {
        if let Some(b) = self.bar.lock().ok().as_ref().and_then(|b| b.as_ref()) {
            b.set_message(format!("running {id}: {message}"));
        }
    }

    fn instance_finished(&self, report: &InstanceReport) {
        self.line(&instance_line(report));
        if let Some(b) = self.bar.lock().ok().as_ref().and_then(|b| b.as_ref()) {
            b.inc(1);
        }
    }

    fn instance_diagnostic(&self, _id: &str, diagnostic: &dyn miette::Diagnostic) {
        if let Some(report) = super::render::diagnostic(diagnostic) {
            self.line(report.trim_end());
        }
    }

    fn warning(&self, message: &str) {
        let bar = self.bar.lock().ok();
        match bar.as_ref().and_then(|b| b.as_ref()) {
            Some(b) => b.println(format!("warning: {message}")),
            None => tracing::warn!("{message}"),
        }
    }
}
