//! Governance over a run's cohorts: the ethical drift report and the Phase 3 components (risk
//! engine, correlation engine, fairness sampler, performance optimizer and its detectors).
//! Libraries: values in, reports out; the `drift` and `phase3` stages read and write the files.

pub mod correlation_engine;
pub mod detectors;
pub mod drift_report;
pub mod fairness_sampler;
pub mod performance_optimizer;
pub mod risk_engine;
