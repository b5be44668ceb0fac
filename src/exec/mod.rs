//! Execution: the scheduler, where instances compute (threads or Slurm jobs), run folders, the
//! pipeline lock, and progress reporting.

mod audit_step;
mod executor;
mod export;
mod failpoints;
mod gc;
mod git;
mod instance_error;
mod quiet_panic;
mod reporter;
mod run;
mod run_folder;
mod run_options;
pub mod slurm;
mod views;

/// `run.json`'s types live in `artifacts`: the report reads the file too.
pub use crate::artifacts::{GitInfo, InstanceReport, InstanceStatus, RunStatus, RunSummary};
pub use crate::error_chain::error_chain;
pub use export::{copy_files, copy_tree, export_models};
pub use failpoints::{Failpoints, FailpointsError, Fault};
pub use gc::{GcInputError, GcItem, GcOptions, GcReport, UnreadableRun, gc, parse_age};
pub use reporter::{Reporter, Silent};
pub use run::run;
pub use run_options::{ExecutorChoice, RunOptions};
