//! The `nethical` command: parses arguments, calls the library, prints, picks the exit code.
//! It holds no pipeline logic.

mod args;
mod audit_command;
mod cache_command;
mod commands;
mod log;
mod optimize_report;
mod out;
mod phase3_status;
mod render;
mod reporter;
mod runs_command;
mod train_args;
mod train_command;

use clap::Parser;

pub use args::Cli;

/// Runs the command line and returns the process exit code (see [`crate::exit_code`]).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { crate::exit_code::INVALID_INPUT } else { crate::exit_code::OK };
        }
    };
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
