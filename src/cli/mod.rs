//! The `nethical` command: parses arguments, calls the library, prints, picks the exit code.
//! It holds no pipeline logic.

mod args;
mod audit_command;
mod cache_command;
mod commands;
mod config_command;
mod log;
mod optimize_report;
mod out;
mod phase3_status;
mod render;
mod reporter;
mod runs_command;
mod train_args;
mod train_command;

use clap::{CommandFactory, FromArgMatches};

pub use args::Cli;

/// Runs the command line and returns the process exit code (see [`crate::exit_code`]).
pub fn main() -> i32 {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let cwd = std::env::current_dir().unwrap_or_default();
    let settings = match crate::config::load(&cwd, crate::config::user_dir(var).as_deref(), var) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::exit_code::INVALID_INPUT;
        }
    };
    let parsed = config_command::with_defaults(Cli::command(), &settings.settings)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let mut cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { crate::exit_code::INVALID_INPUT } else { crate::exit_code::OK };
        }
    };
    if !cli.quiet && cli.verbose == 0 && std::env::var_os("NETHICAL_LOG").is_none() {
        (cli.quiet, cli.verbose) = config_command::output_flags(settings.settings.output);
    }
    if let args::Command::Config(a) = &cli.command {
        return match config_command::show(a, &settings) {
            Ok(code) => code,
            Err(e) => {
                eprint!("{}", render::error(&e));
                e.exit_code()
            }
        };
    }
    if let Err(e) = log::init(cli.quiet, cli.verbose) {
        eprint!("{}", render::error(&e));
        return e.exit_code();
    }
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", render::error(&e));
            e.exit_code()
        }
    }
}
