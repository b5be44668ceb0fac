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
        Error::Input(InputError::Located(located)) => {
            let mut out = format!("error: cannot read `{}`\n\n", located.path());
            if handler().render_report(&mut out, located.as_ref()).is_err() {
                return format!("error: {}\n", error_chain(e));
            }
            out
        }
        other => format!("error: {}\n", error_chain(other)),
    }
}
