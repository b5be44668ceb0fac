//! Integration tests: the real `nethical` binary on real manifests in temporary folders.

mod common;
mod config;

mod audit;
mod audit_policy;
mod browser;
mod cache;
mod commands;
mod correlation_quality;
mod cross_validation;
mod data;
mod determinism;
mod drift;
mod errors;
mod experiments;
mod failures;
mod fairness;
mod gc;
mod graph;
mod interrupt;
mod kaggle;
mod logging;
mod malformed;
mod messy_data;
mod optimize;
mod phase3;
mod report;
mod report_views;
mod robustness;
mod run;
mod schema;
mod sklearn_parity;
mod slurm;
mod store;
mod targets;
mod train_cli;
