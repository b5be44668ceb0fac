//! The comparison report: `comparison.json` (the source of truth, whose JSON Schema is
//! `schemas/comparison.schema.json`) and its views: Markdown for a pull-request comment, and a
//! self-contained HTML page with inline SVG charts. The `report` stage builds the
//! document; the runner renders the views when the run ends, adding what only the finished run
//! knows ([`RunContext`]: manifest, git commit, audit seal).

mod charts;
mod comparison;
mod cross_validation;
mod decision;
mod experiments;
mod fairness_section;
mod html;
mod markdown;
mod provenance;
mod run_context;
mod run_diff;

pub use crate::artifacts::GateCriterion;
pub use comparison::{
    CohortReport, ComparisonReport, FORMAT_VERSION, GateSummary, PairReport, StageSummary, omitted_line, render_schema,
};
pub use cross_validation::{
    CV_METRICS, CrossValidation, CvArm, CvCohort, CvPair, FoldSummary, arm_table, cross_validation, mean_sd,
    method_line, p_cell, significant,
};
pub use decision::{Decision, decide, gate_cell};
pub use experiments::{ExperimentRow, ExperimentTable, HEADLINE, TableError, build_table, run_rows};
pub use fairness_section::{FairnessGap, FairnessGroup, FairnessSection, GAPS, gap_label};
pub use html::render_html;
pub use markdown::render_markdown;

/// Every view of a comparison report, by file name (written beside `comparison.json`): the
/// one list the runner's end-of-run rendering and `nethical report` both write.
pub fn render_views(doc: &ComparisonReport, context: Option<&RunContext>) -> [(&'static str, String); 2] {
    [("comparison.md", render_markdown(doc, context)), ("comparison.html", render_html(doc, context))]
}
pub use provenance::CohortProvenance;
pub use run_context::{AuditSeal, RunContext};
pub use run_diff::{Change, CohortDiff, RunDiff, RunDiffError, diff_runs, render_diff_markdown};
