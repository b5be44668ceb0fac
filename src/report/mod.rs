//! The comparison report: `comparison.json` (the source of truth, whose JSON Schema is
//! `schemas/comparison.schema.json`) and its Markdown view. The `report` stage builds the
//! document; rendering reads nothing but it.

mod comparison;
mod markdown;

pub use comparison::{
    CohortReport, ComparisonReport, FORMAT_VERSION, GateSummary, PairReport, StageSummary, render_schema,
};
pub use markdown::render_markdown;
