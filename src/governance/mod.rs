//! Governance over a run's cohorts: the ethical drift report (and, later, the rest of Phase 3).
//! Libraries: values in, reports out; the `drift` stage reads and writes the files.

pub mod drift_report;
