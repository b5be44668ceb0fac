//! Typed parameters of each stage kind: what a manifest's stage table may hold besides the
//! keys every stage shares (`kind`, `needs`, `matrix`, `cohort`).
//!
//! These types are deserialized from the stage table after matrix and variable interpolation,
//! serialized into `manifest.resolved.toml`, the lockfile and cache keys, and turned into
//! `schemas/pipeline.schema.json`. Defaults are the original trainer's. Each kind's parameters
//! and range checks live in the file named after it, and the list below registers each kind
//! once (see `docs/architecture.md`, "Adding a stage kind").

#[macro_use]
mod kind_params;
mod audit;
mod candidate_error;
mod drift;
mod gate;
mod load;
pub mod optimize;
mod phase3;
mod range_issue;
mod report;
mod state_files;
mod train;

pub use audit::AuditParams;
pub use candidate_error::{CandidateParamsError, SetParamError};
pub use drift::DriftParams;
pub use gate::{EcePolicy, GateParams};
pub use kind_params::{ExternalAt, KindParams, Registered};
pub use load::{
    CsvSource, DEFAULT_FOLDS, DEFAULT_MIN_GROUP_SIZE, DataSource, EncodingName, FeatureShift, KaggleFallback,
    KaggleSource, LoadParams, MAX_FOLDS, MissingPolicyName, SplitParams, SplitStrategyName, SyntheticFamily,
    SyntheticSource,
};
pub use phase3::Phase3Params;
pub use range_issue::RangeIssue;
pub use report::{DEFAULT_MAX_PAIRS, ReportParams};
pub use state_files::{baseline_run_dir, history_path};
pub use train::{
    CalibrateName, ClassWeightName, DEFAULT_EPOCHS, ModelType, SolverName, TrainParams, TreeAlgorithmName,
};

stage_kinds! {
    /// Load or generate a dataset and split it.
    Load(LoadParams) = "load",
    /// Fit a model and score its validation rows.
    Train(TrainParams) = "train",
    /// Decide promotion of a trained model.
    Gate(GateParams) = "gate",
    /// Seal the events and artifacts of the stages it needs into the audit log.
    Audit(AuditParams) = "audit",
    /// The ethical drift report across the cohorts of the `train` stages it needs.
    Drift(DriftParams) = "drift",
    /// Phase 3 governance (risk, correlations, fairness sampling, drift, performance) across
    /// the cohorts of the `train` stages it needs.
    Phase3(Phase3Params) = "phase3",
    /// A configuration search: every candidate trained on the `load` stage it needs and
    /// measured, then gated against a baseline (Phase 8–9).
    Optimize(optimize::OptimizeParams) = "optimize",
    /// The comparison report across the cohorts of the `train` stages it needs.
    Report(ReportParams) = "report",
}
