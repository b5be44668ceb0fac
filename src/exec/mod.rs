//! Execution: the scheduler, run folders, the pipeline lock, and progress reporting.

mod audit_step;
mod failpoints;
mod git;
mod quiet_panic;
mod reporter;
mod run;
mod run_folder;
mod summary;

pub use failpoints::{Failpoints, Fault};
pub use reporter::{Reporter, Silent};
pub use run::{RunOptions, error_chain, run};
pub use summary::{GitInfo, InstanceReport, InstanceStatus, RunStatus, RunSummary};
