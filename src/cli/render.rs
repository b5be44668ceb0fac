//! Error rendering: miette's graphical report for diagnostics, `error: a: b` otherwise.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::error::{Error, InputError};
use crate::exec::error_chain;

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// miette's graphical report, in colour on a terminal.
fn handler() -> GraphicalReportHandler {
    let theme = if colour() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    GraphicalReportHandler::new_themed(theme).with_width(100)
}

/// Renders a failed command's error for the terminal.
pub(crate) fn error(e: &Error) -> String {
    match e {
        Error::Manifest(m) => {
            let handler = handler();
            let mut out = format!("error: {m}\n");
            for issue in m.issues() {
                out.push('\n');
                if handler.render_report(&mut out, issue).is_err() {
                    out.push_str(&format!("  × {issue}\n"));
                }
            }
            out
        }
        Error::Input(InputError::Located(located)) => match diagnostic(located.as_ref()) {
            Some(report) => format!("error: cannot read `{}`\n\n{report}", located.path()),
            None => format!("error: {}\n", error_chain(e)),
        },
        other => format!("error: {}\n", error_chain(other)),
    }
}

/// miette's graphical report of a diagnostic (a bad value with its file's line underlined);
/// `None` if miette cannot draw it.
pub(crate) fn diagnostic(d: &dyn miette::Diagnostic) -> Option<String> {
    let mut out = String::new();
    handler().render_report(&mut out, d).ok()?;
    Some(out)
}
