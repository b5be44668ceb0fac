//! nethical: governed machine-learning experiments described as TOML manifests.
//!
//! The library behind the `nethical` command. Layers, top to bottom: `manifest` (TOML →
//! validated, expanded stage instances), `plan` (the instance DAG, cache keys, why each
//! instance runs), `exec` (the parallel scheduler, cache, lockfile and run folders), `stages`
//! (one module per stage kind), and the libraries they use, which know nothing of manifests
//! or files: `data`, `models`, `metrics`.

pub mod cli;
pub mod clock;
pub mod data;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod manifest;
pub mod metrics;
pub mod models;
pub mod plan;
pub mod stages;
pub mod store;

pub use error::Error;

/// This build's version, recorded in run folders, lockfiles and cache keys.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
