//! Error rendering: miette's graphical report for diagnostics, `error: a: b` otherwise.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::error::Error;
use crate::exec::error_chain;

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Renders a failed command's error for the terminal.
pub(crate) fn error(e: &Error) -> String {
    match e {
        Error::Manifest(m) => {
            let theme = if colour() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
            let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
            let mut out = format!("error: {m}\n");
            for issue in m.issues() {
                out.push('\n');
                if handler.render_report(&mut out, issue).is_err() {
                    out.push_str(&format!("  × {issue}\n"));
                }
            }
            out
        }
        other => format!("error: {}\n", error_chain(other)),
    }
}
