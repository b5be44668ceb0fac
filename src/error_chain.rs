//! One line from an error and its sources, for messages that must be a single string (a Slurm
//! status file, a manifest issue quoting a data error). A leaf module, so that every layer can
//! use it without importing the scheduler.

/// An error and its sources on one line: "a: b: c".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
