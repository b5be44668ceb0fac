//! Grid search: every grid point, evaluated in one parallel batch.

use super::{Config, EvaluationLog, SearchError, SearchResult, SearchSpace, Technique, grid};

/// Evaluates every point of [`grid`]`(space, float_steps)` (at most
/// [`MAX_GRID_SIZE`](super::MAX_GRID_SIZE); call [`grid_size`](super::grid_size) first to show
/// the cost). Grid points are distinct by construction, so the evaluation count is the grid
/// size. All results have generation 0.
pub fn grid_search(
    space: &SearchSpace,
    float_steps: usize,
    evaluate: &(dyn Fn(&[Config]) -> Vec<f64> + Sync),
) -> Result<SearchResult, SearchError> {
    let configs = grid(space, float_steps).map_err(SearchError::Grid)?;
    let mut log = EvaluationLog::new(evaluate);
    log.evaluate(&configs, 0)?;
    Ok(log.into_result(Technique::GridSearch))
}

#[cfg(test)]
mod tests {
    use super::super::grid_size;
    use super::super::test_objective::{toy_objective, toy_space};
    use super::*;

    #[test]
    fn evaluates_exactly_the_grid_and_finds_the_best_region() {
        let space = toy_space();
        let evaluate = |batch: &[Config]| batch.iter().map(toy_objective).collect();
        let result = grid_search(&space, 11, &evaluate).expect("runs");
        let size = grid_size(&space, 11).expect("sized");
        assert_eq!(result.evaluation_count as u128, size);
        let best = result.best().expect("evaluated");
        let lr = best.config["lr"].as_f64().expect("float");
        assert!((1e-2..=1e-1).contains(&lr), "lr {lr}");
        assert_eq!(best.config["layers"].as_f64(), Some(4.0));
    }

    #[test]
    fn grid_errors_are_reported() {
        let evaluate = |batch: &[Config]| vec![0.0; batch.len()];
        let error = grid_search(&toy_space(), 0, &evaluate).expect_err("no steps");
        assert!(matches!(error, SearchError::Grid(_)));
    }
}
