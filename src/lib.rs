//! nethical: governed machine-learning experiments described as TOML manifests.
//!
//! The library behind the `nethical` command. Layers, top to bottom: `manifest` (TOML →
//! validated, expanded stage instances), `plan` (the instance DAG, cache keys, why each
//! instance runs), `exec` (the parallel scheduler, cache, lockfile and run folders), `stages`
//! (one module per stage kind), and the libraries they use, which know nothing of manifests
//! or files: `data`, `models`, `metrics`.
//!
//! Validating and expanding a manifest from Rust:
//!
//! ```
//! use std::path::Path;
//! use nethical::manifest::{load, ManifestInput, Override};
//!
//! let text = r#"
//! [pipeline]
//! name = "demo"
//! [stages.data]
//! kind = "load"
//! source = { synthetic = { num_samples = 1000 } }
//! [stages.train]
//! kind = "train"
//! needs = ["data"]
//! model = "logistic"
//! matrix = { learning_rate = [0.1, 1.0] }
//! learning_rate = "${matrix.learning_rate}"
//! "#;
//! let overrides = vec![Override::from_flag("stages.train.epochs=5")?];
//! let manifest = load(&ManifestInput::new(Path::new("demo.toml"), text.to_owned(), overrides))?;
//! let ids: Vec<&str> = manifest.instances.iter().map(|i| i.id.as_str()).collect();
//! assert_eq!(ids, ["data", "train[learning_rate=0.1]", "train[learning_rate=1.0]"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod artifacts;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod data;
pub mod error;
pub mod error_chain;
pub mod exec;
pub mod exit_code;
pub mod governance;
pub mod input_error;
pub mod manifest;
pub mod metrics;
pub mod models;
pub mod optimize;
pub mod plan;
pub mod pool_wait;
pub mod predictions;
pub mod report;
pub mod stages;
pub mod store;
pub mod trail;
pub mod trained;

pub use error::Error;

/// This build's version, recorded in run folders, lockfiles and cache keys.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
