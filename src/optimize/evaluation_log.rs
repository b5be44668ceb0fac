//! The record of a search's evaluations, which guarantees each configuration is evaluated
//! at most once.

use std::collections::BTreeMap;

use super::{Config, Evaluation, SearchError, SearchResult, Technique, config_id};

/// Every evaluation so far, keyed by config id. Searches ask it for fitness values in
/// batches; it forwards only configurations it has never seen, so a configuration proposed
/// again (a GA child equal to an earlier one, an elite carried over) costs no training and
/// the evaluation count stays honest.
pub(super) struct EvaluationLog<'a> {
    evaluate: &'a (dyn Fn(&[Config]) -> Vec<f64> + Sync),
    evaluations: BTreeMap<String, Evaluation>,
}

impl<'a> EvaluationLog<'a> {
    pub(super) fn new(evaluate: &'a (dyn Fn(&[Config]) -> Vec<f64> + Sync)) -> Self {
        Self { evaluate, evaluations: BTreeMap::new() }
    }

    /// Whether the configuration with this id has been evaluated.
    pub(super) fn contains(&self, id: &str) -> bool {
        self.evaluations.contains_key(id)
    }

    /// The fitness of each configuration of `batch`, in order. Unseen configurations (each
    /// once, in batch order) go to the callback in a single call, so the caller can train
    /// them in parallel, and are recorded under `generation`.
    pub(super) fn evaluate(&mut self, batch: &[Config], generation: usize) -> Result<Vec<f64>, SearchError> {
        let ids: Vec<String> = batch.iter().map(config_id).collect();
        let mut fresh_ids: Vec<&str> = Vec::new();
        let mut fresh: Vec<Config> = Vec::new();
        for (id, config) in ids.iter().zip(batch) {
            if !self.evaluations.contains_key(id) && !fresh_ids.contains(&id.as_str()) {
                fresh_ids.push(id);
                fresh.push(config.clone());
            }
        }
        if !fresh.is_empty() {
            let fitness = (self.evaluate)(&fresh);
            if fitness.len() != fresh.len() {
                return Err(SearchError::FitnessCount { expected: fresh.len(), got: fitness.len() });
            }
            for ((id, config), fitness) in fresh_ids.into_iter().zip(fresh).zip(fitness) {
                let evaluation = Evaluation { config_id: id.to_owned(), config, fitness, generation };
                self.evaluations.insert(id.to_owned(), evaluation);
            }
        }
        Ok(ids.iter().map(|id| self.evaluations.get(id).map_or(f64::NAN, |evaluation| evaluation.fitness)).collect())
    }

    /// The ranked result.
    pub(super) fn into_result(self, technique: Technique) -> SearchResult {
        SearchResult::new(technique, self.evaluations.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::ParamValue;
    use super::*;

    fn config(x: i64) -> Config {
        Config::from([("x".to_owned(), ParamValue::Int(x))])
    }

    #[test]
    fn each_configuration_is_evaluated_once() {
        let calls = Mutex::new(Vec::new());
        let evaluate = |batch: &[Config]| {
            calls.lock().expect("unpoisoned").push(batch.len());
            batch.iter().map(|c| c["x"].as_f64().unwrap_or(f64::NAN)).collect()
        };
        let mut log = EvaluationLog::new(&evaluate);
        assert_eq!(log.evaluate(&[config(1), config(2), config(1)], 0), Ok(vec![1.0, 2.0, 1.0]));
        assert_eq!(log.evaluate(&[config(2), config(3)], 1), Ok(vec![2.0, 3.0]));
        assert_eq!(log.evaluate(&[config(3)], 2), Ok(vec![3.0]));
        assert_eq!(*calls.lock().expect("unpoisoned"), [2, 1]);
        let result = log.into_result(Technique::Evolutionary);
        assert_eq!(result.evaluation_count, 3);
        let generations: Vec<usize> = result.evaluations.iter().map(|e| e.generation).collect();
        assert_eq!(generations, [1, 0, 0]);
    }

    #[test]
    fn a_short_fitness_vector_is_an_error() {
        let evaluate = |_: &[Config]| vec![1.0];
        let mut log = EvaluationLog::new(&evaluate);
        assert_eq!(log.evaluate(&[config(1), config(2)], 0), Err(SearchError::FitnessCount { expected: 2, got: 1 }));
    }
}
