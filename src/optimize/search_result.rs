//! What a search returns: every evaluated configuration, ranked.

use std::cmp::Ordering;

use serde::Serialize;

use super::{Config, Technique};

/// One evaluated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// [`config_id`](super::config_id) of `config`.
    pub config_id: String,
    /// The parameters.
    pub config: Config,
    /// The objective; higher is better, NaN (a failed evaluation) ranks last. Serialised as
    /// `null` when NaN, JSON having no NaN.
    pub fitness: f64,
    /// The generation in which it was first (and only) evaluated: 0 for random and grid
    /// search and for the evolutionary initial population.
    pub generation: usize,
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    /// The technique that ran.
    pub technique: Technique,
    /// Every configuration the search evaluated, each once, by fitness descending with ties
    /// (and NaNs) ordered by config id: the order depends only on the fitness values, never
    /// on the order in which parallel evaluations finished.
    pub evaluations: Vec<Evaluation>,
    /// How many times the evaluation callback was asked for a fitness, i.e. candidate
    /// trainings; equals `evaluations.len()` because no configuration is evaluated twice.
    pub evaluation_count: usize,
}

impl SearchResult {
    /// Ranks `evaluations` and builds the result.
    pub fn new(technique: Technique, mut evaluations: Vec<Evaluation>) -> Self {
        evaluations.sort_by(|a, b| rank_order(a.fitness, &a.config_id, b.fitness, &b.config_id));
        let evaluation_count = evaluations.len();
        Self { technique, evaluations, evaluation_count }
    }

    /// The best configuration, if any was evaluated.
    pub fn best(&self) -> Option<&Evaluation> {
        self.evaluations.first()
    }
}

/// The ranking order: fitness descending, NaN after every number, then config id ascending.
pub fn rank_order(fitness_a: f64, id_a: &str, fitness_b: f64, id_b: &str) -> Ordering {
    let by_fitness = match (fitness_a.is_nan(), fitness_b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => fitness_b.total_cmp(&fitness_a),
    };
    by_fitness.then_with(|| id_a.cmp(id_b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(id: &str, fitness: f64) -> Evaluation {
        Evaluation { config_id: id.to_owned(), config: Config::new(), fitness, generation: 0 }
    }

    #[test]
    fn ranks_by_fitness_then_id_with_nan_last() {
        let result = SearchResult::new(
            Technique::RandomSearch,
            vec![
                evaluation("cfg_c", f64::NAN),
                evaluation("cfg_b", 0.5),
                evaluation("cfg_d", f64::NEG_INFINITY),
                evaluation("cfg_a", 0.5),
                evaluation("cfg_e", 0.9),
                evaluation("cfg_0", f64::NAN),
            ],
        );
        let ids: Vec<&str> = result.evaluations.iter().map(|e| e.config_id.as_str()).collect();
        assert_eq!(ids, ["cfg_e", "cfg_a", "cfg_b", "cfg_d", "cfg_0", "cfg_c"]);
        assert_eq!(result.evaluation_count, 6);
        assert_eq!(result.best().map(|e| e.config_id.as_str()), Some("cfg_e"));
    }
}
