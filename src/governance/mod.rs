//! Governance over a run's cohorts: the ethical drift report, and the Phase 3 risk and
//! correlation engines (libraries; the `phase3` stage that runs them comes next).
//! Libraries: values in, reports out; the `drift` stage reads and writes the files.

pub mod correlation_engine;
pub mod drift_report;
pub mod risk_engine;
