//! Standard output for the commands: a reader that has gone away (`nethical schema | head -1`)
//! ends the command quietly with exit 0, as ripgrep and git do, instead of the panic that
//! `println!` gives on a closed pipe.

use std::io::Write;

/// Writes formatted text to stdout. A closed pipe exits 0 at once (nothing more can be said to
/// a reader that left, and the command's files are already written); any other failure to
/// write exits with the internal-error code, saying why on stderr.
pub(crate) fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(crate::exit_code::OK);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(crate::exit_code::INTERNAL);
    }
}

/// `println!` that ends quietly on a closed pipe (see [`write`]).
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that ends quietly on a closed pipe (see [`write`]).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};
