//! What the commands say on stderr besides their errors, through `tracing`: progress and
//! notes at `info`, warnings at `warn`, detail at `debug` (`-v`, or `NETHICAL_LOG=debug`).
//!
//! Lines keep the plain form they had before `tracing` (`warning: ...`, progress lines as
//! they are), so logs and scripts that read them do not change; only their level decides
//! whether they appear. Errors are not events: `cli::main` always prints them.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::error::{Error, InputError};

/// The variable that sets the detail, in `tracing`'s filter syntax (`debug`,
/// `nethical::exec=trace`).
pub(crate) const LOG_VAR: &str = "NETHICAL_LOG";

/// The filter for the flags: `-q` keeps warnings (and errors, which are not events), `-v`
/// adds detail, `-vv` everything. Without either flag, `NETHICAL_LOG` when set, else `info`.
fn filter(quiet: bool, verbose: u8, env: Option<String>) -> Result<EnvFilter, Error> {
    let level = match (quiet, verbose) {
        (true, _) => Some("warn"),
        (false, 0) => None,
        (false, 1) => Some("debug"),
        (false, _) => Some("trace"),
    };
    match (level, env) {
        (Some(level), _) => Ok(EnvFilter::new(level)),
        (None, Some(spec)) => {
            EnvFilter::try_new(&spec).map_err(|reason| InputError::LogFilter { var: LOG_VAR, spec, reason }.into())
        }
        (None, None) => Ok(EnvFilter::new("info")),
    }
}

/// Sets up the stderr subscriber for this process.
pub(crate) fn init(quiet: bool, verbose: u8) -> Result<(), Error> {
    let env = match std::env::var(LOG_VAR) {
        Ok(v) if !v.is_empty() => Some(v),
        Ok(_) | Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(InputError::VariableNotUtf8 { var: LOG_VAR }.into());
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter(quiet, verbose, env)?)
        .with_writer(std::io::stderr)
        .event_format(PlainLines)
        .finish();
    // Fails only when a subscriber is already set (a test calling twice): keep that one.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

/// One line per event: `warning: `, `debug: ` or `trace: ` before the message, nothing before
/// `info`; no time or target (the commands are short, and a log collector adds its own).
struct PlainLines;

impl<S, N> FormatEvent<S, N> for PlainLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let prefix = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            Level::INFO => "",
            Level::DEBUG => "debug: ",
            Level::TRACE => "trace: ",
        };
        writer.write_str(prefix)?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_variable_and_a_bad_filter_is_an_input_error() {
        assert_eq!(filter(true, 0, Some("debug".into())).map(|f| f.to_string()).ok().as_deref(), Some("warn"));
        assert_eq!(filter(false, 1, None).map(|f| f.to_string()).ok().as_deref(), Some("debug"));
        assert_eq!(filter(false, 0, Some("debug".into())).map(|f| f.to_string()).ok().as_deref(), Some("debug"));
        let e = filter(false, 0, Some("nethical=[".into())).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("environment variable `NETHICAL_LOG` = `nethical=[` is not a log filter"), "{e}");
    }
}
