//! Fuzz targets for every parser of untrusted input, on stable Rust (see `harness.rs`):
//! the manifest loader with its overrides, the CSV reader, the audit log scanner, and the
//! checkpoint and signed-note parsers. Each asserts that no input panics; the manifest target
//! also asserts that every error maps to an exit code of the README's table.
//!
//! `cargo test --test fuzz` runs each corpus and a few hundred mutations (seconds);
//! `FUZZ_SECONDS=60 cargo test --test fuzz -- --ignored --nocapture` shares the budget among the
//! targets and prints each one's executions and corpus size (what `.ci/run` does).

mod harness;
mod targets;

use harness::{Stats, Target, budget, fuzz};

fn report(stats: &Stats, target: &Target) {
    println!(
        "fuzz {}: {} executions, corpus {} seeds ({} bytes)",
        target.name, stats.executions, stats.seeds, stats.corpus_bytes
    );
}

fn run(target: &Target, check: fn(&[u8]), timed: bool) {
    let stats = fuzz(target, timed.then(|| budget(4)), check);
    report(&stats, target);
}

#[test]
fn manifest_corpus() {
    run(&targets::manifest_target(), targets::check_manifest, false);
}

#[test]
fn csv_corpus() {
    run(&targets::csv_target(), targets::check_csv, false);
}

#[test]
fn audit_log_corpus() {
    run(&targets::audit_log_target(), targets::check_audit_log, false);
}

#[test]
fn checkpoint_corpus() {
    run(&targets::checkpoint_target(), targets::check_checkpoint, false);
}

/// The timed run: `FUZZ_SECONDS` (default 60) shared among the four targets, one after another
/// so they do not compete for the cores (the CSV reader and the log scanner are parallel).
#[test]
#[ignore = "timed fuzzing: FUZZ_SECONDS=60 cargo test --test fuzz -- --ignored"]
fn fuzz_all_targets_for_the_budget() {
    run(&targets::manifest_target(), targets::check_manifest, true);
    run(&targets::csv_target(), targets::check_csv, true);
    run(&targets::audit_log_target(), targets::check_audit_log, true);
    run(&targets::checkpoint_target(), targets::check_checkpoint, true);
}
