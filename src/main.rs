//! The `nethical` binary: everything lives in the library (`nethical::cli`).

fn main() {
    std::process::exit(nethical::cli::main());
}
