//! Typed parameters of each stage kind: what a manifest's stage table may hold besides the
//! keys every stage shares (`kind`, `needs`, `matrix`, `cohort`).
//!
//! These types are deserialized from the stage table after matrix and variable interpolation,
//! serialized into `manifest.resolved.toml`, the lockfile and cache keys, and turned into
//! `schemas/pipeline.schema.json`. Defaults are the original trainer's. Each kind's parameters
//! and range checks live in the file named after it.

mod audit;
mod drift;
mod gate;
mod load;
pub mod optimize;
mod phase3;
mod range_issue;
mod report;
mod train;

use serde::Serialize;

pub use audit::AuditParams;
pub use drift::DriftParams;
pub use gate::{EcePolicy, GateParams};
pub use load::{
    CsvSource, DEFAULT_FOLDS, DEFAULT_MIN_GROUP_SIZE, DataSource, EncodingName, FeatureShift, KaggleFallback,
    KaggleSource, LoadParams, MAX_FOLDS, MissingPolicyName, SplitParams, SplitStrategyName, SyntheticFamily,
    SyntheticSource,
};
pub use phase3::Phase3Params;
pub use range_issue::RangeIssue;
pub use report::{DEFAULT_MAX_PAIRS, ReportParams};
pub use train::{
    CalibrateName, ClassWeightName, DEFAULT_EPOCHS, ModelType, SolverName, TrainParams, TreeAlgorithmName,
};

/// The typed parameters of one stage instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StageParams {
    /// A `load` stage.
    Load(LoadParams),
    /// A `train` stage.
    Train(TrainParams),
    /// A `gate` stage.
    Gate(GateParams),
    /// An `audit` stage.
    Audit(AuditParams),
    /// A `drift` stage.
    Drift(DriftParams),
    /// A `phase3` stage.
    Phase3(Phase3Params),
    /// An `optimize` stage.
    Optimize(optimize::OptimizeParams),
    /// A `report` stage.
    Report(ReportParams),
}
