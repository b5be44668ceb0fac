//! Random search: independent samples of the space, evaluated in one parallel batch.

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Config, EvaluationLog, SearchError, SearchResult, SearchSpace, Technique, config_id};

/// Draws per wanted configuration before random search settles for fewer: enough to find
/// `iterations` distinct configurations in any space that has a few times more points than
/// that, and a bound on the loop when the space is smaller than `iterations`.
pub const SAMPLE_ATTEMPTS_PER_CONFIG: usize = 100;

/// Samples `iterations` configurations uniformly (ranges on their log scale where marked)
/// with a `ChaCha8Rng` seeded from `seed`, and evaluates them in a single batch.
///
/// Duplicates are dropped by config id, as a repeated configuration would only repeat a
/// training run, and sampling continues until `iterations` distinct configurations are found;
/// only a space with fewer distinct points (e.g. two booleans) yields fewer, after at most
/// `iterations × SAMPLE_ATTEMPTS_PER_CONFIG` draws. All results have generation 0.
pub fn random_search(
    space: &SearchSpace,
    iterations: usize,
    seed: u64,
    evaluate: &(dyn Fn(&[Config]) -> Vec<f64> + Sync),
) -> Result<SearchResult, SearchError> {
    if iterations == 0 {
        return Err(SearchError::InvalidSetting { name: "iterations", reason: "must be at least 1, got 0".to_owned() });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let configs = sample_distinct(space, iterations, &BTreeSet::new(), &mut rng);
    let mut log = EvaluationLog::new(evaluate);
    log.evaluate(&configs, 0)?;
    Ok(log.into_result(Technique::RandomSearch))
}

/// Up to `count` configurations, distinct from each other and from `exclude`, drawn in order.
pub(super) fn sample_distinct(
    space: &SearchSpace,
    count: usize,
    exclude: &BTreeSet<String>,
    rng: &mut ChaCha8Rng,
) -> Vec<Config> {
    let mut seen = exclude.clone();
    let mut configs = Vec::with_capacity(count);
    let mut attempts = count.saturating_mul(SAMPLE_ATTEMPTS_PER_CONFIG);
    while configs.len() < count && attempts > 0 {
        attempts -= 1;
        let config = space.sample(rng);
        if seen.insert(config_id(&config)) {
            configs.push(config);
        }
    }
    configs
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::test_objective::{toy_objective, toy_space};
    use super::super::{Param, ParamValue};
    use super::*;

    #[test]
    fn evaluates_the_requested_number_of_distinct_configurations() {
        let calls = AtomicUsize::new(0);
        let evaluate = |batch: &[Config]| {
            calls.fetch_add(batch.len(), Ordering::Relaxed);
            batch.iter().map(toy_objective).collect()
        };
        let result = random_search(&toy_space(), 40, 3, &evaluate).expect("runs");
        assert_eq!(result.evaluation_count, 40);
        assert_eq!(calls.load(Ordering::Relaxed), 40);
        let ids: BTreeSet<&str> = result.evaluations.iter().map(|e| e.config_id.as_str()).collect();
        assert_eq!(ids.len(), 40);
        assert!(result.evaluations.iter().all(|e| e.generation == 0));
    }

    #[test]
    fn a_small_space_yields_each_point_once() {
        let space = SearchSpace::new(BTreeMap::from([
            ("a".to_owned(), Param::Choice(vec![ParamValue::Bool(false), ParamValue::Bool(true)])),
            ("b".to_owned(), Param::Int { lo: 0, hi: 2, log: false }),
        ]))
        .expect("valid");
        let evaluate = |batch: &[Config]| vec![0.0; batch.len()];
        let result = random_search(&space, 50, 1, &evaluate).expect("runs");
        assert_eq!(result.evaluation_count, 6);
    }

    #[test]
    fn same_seed_same_result_different_seed_different_result() {
        let evaluate = |batch: &[Config]| batch.iter().map(toy_objective).collect();
        let first = random_search(&toy_space(), 30, 9, &evaluate).expect("runs");
        let again = random_search(&toy_space(), 30, 9, &evaluate).expect("runs");
        let other = random_search(&toy_space(), 30, 10, &evaluate).expect("runs");
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn finds_the_best_region_of_the_toy_objective() {
        let evaluate = |batch: &[Config]| batch.iter().map(toy_objective).collect();
        for seed in 0..5 {
            let result = random_search(&toy_space(), 60, seed, &evaluate).expect("runs");
            let best = result.best().expect("evaluated");
            let lr = best.config["lr"].as_f64().expect("float");
            assert!((1e-2..=1e-1).contains(&lr), "seed {seed}: lr {lr}");
        }
    }

    #[test]
    fn zero_iterations_is_refused() {
        let evaluate = |batch: &[Config]| vec![0.0; batch.len()];
        assert_eq!(
            random_search(&toy_space(), 0, 1, &evaluate).expect_err("zero").to_string(),
            "search setting `iterations` must be at least 1, got 0"
        );
    }
}
