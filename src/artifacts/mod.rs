//! The files one stage writes and another layer reads back (`metrics.json`, `gate.json`, the
//! data provenance `train` copies out of `dataset.json`, the runner's `run.json`, the resolved manifest): one
//! `Serialize + Deserialize` type each, with a `format_version`, shared by the writer and every
//! reader.
//!
//! A library layer, below `stages` and beside `report`: the `report` library and the `cli`
//! read these files too, and a library may not import `stages`. Files only stages read
//! (`dataset.json` itself, whose schema is the `load` stage's) keep their types beside the
//! stage that writes them.

mod artifact_error;
mod artifact_file;
mod data_source;
mod gate_criterion;
mod gate_record;
mod metrics_file;
mod resolved_manifest;
mod run_summary;

pub use artifact_error::ArtifactError;
pub use artifact_file::{ArtifactFile, json_bytes};
pub use data_source::{DataSourceRecord, SplitRecord};
pub use gate_criterion::GateCriterion;
pub use gate_record::{GATE_FORMAT, GateRecord, Violation};
pub use metrics_file::{CohortFairness, METRICS_FORMAT, MetricsFile};
pub use resolved_manifest::{RESOLVED_MANIFEST_FILE, ResolvedInstance, ResolvedManifest, ResolvedManifestFile};
pub use run_summary::{GitInfo, InstanceReport, InstanceStatus, RUN_FILE, RunStatus, RunSummary};
