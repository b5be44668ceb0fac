//! Configuration optimisation (Phase 8–9): search spaces, the three search techniques, the
//! Phase 8–9 fitness and the promotion gate.
//!
//! A standalone library: it knows nothing of manifests, models or files. A search takes a
//! [`SearchSpace`], a seed and a batch callback `&dyn Fn(&[Config]) -> Vec<f64>` that trains
//! and scores the configurations it is given (in parallel, as it likes) and returns their
//! fitness, higher being better. Searches are deterministic for a seed whatever the thread
//! count, never evaluate a configuration twice, and return every evaluation ranked.

mod candidate_metrics;
mod config;
mod evaluation_log;
mod evolutionary;
mod fitness;
mod gate_thresholds;
mod grid;
mod grid_search;
mod param;
mod param_value;
mod promotion_gate;
mod python_format;
mod random_search;
mod search_error;
mod search_result;
mod search_space;
mod technique;
#[cfg(test)]
mod test_objective;

pub use candidate_metrics::CandidateMetrics;
pub use config::{Config, canonical_json, config_id};
use evaluation_log::EvaluationLog;
pub use evolutionary::{CHILD_ATTEMPTS, EvolutionSettings, evolutionary_search};
pub use fitness::{
    FP_RATE_WEIGHT, Fitness, FitnessTerm, HUMAN_AGREEMENT_WEIGHT, LATENCY_SCALE_MS, LATENCY_WEIGHT, RECALL_WEIGHT,
    calculate_fitness,
};
pub use gate_thresholds::GateThresholds;
pub use grid::{GridError, MAX_GRID_SIZE, grid, grid_size};
pub use grid_search::grid_search;
pub use param::{Param, ParamError};
pub use param_value::ParamValue;
pub use promotion_gate::{Criterion, GATE_EPSILON, GateDecision, promotion_gate};
pub use random_search::{SAMPLE_ATTEMPTS_PER_CONFIG, random_search};
pub use search_error::SearchError;
pub use search_result::{Evaluation, SearchResult, rank_order};
pub use search_space::{SearchSpace, SearchSpaceError};
pub use technique::Technique;
