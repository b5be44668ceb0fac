//! Search quality at equal cost: evolutionary vs random search on Hartmann-6.
//!
//! Minimises H6 on [0,1]^6 (global minimum −3.32237 at (0.20169, 0.150011, 0.476874,
//! 0.275332, 0.311652, 0.6573)) by maximising −H6, with the same number of evaluations per
//! run for both techniques, over 10 seeds (issue #6: the GA must beat random search at equal
//! cost). Run: `cargo bench --bench hartmann6`.

use std::collections::BTreeMap;
use std::time::Instant;

use nethical::optimize::{
    Config, EvolutionSettings, Param, SearchResult, SearchSpace, evolutionary_search, random_search,
};
use rayon::prelude::*;

const ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
const A: [[f64; 6]; 4] = [
    [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
    [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
    [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
    [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
];
const P: [[f64; 6]; 4] = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];
const MINIMUM: f64 = -3.32237;
const NAMES: [&str; 6] = ["x1", "x2", "x3", "x4", "x5", "x6"];

fn hartmann6(x: &[f64; 6]) -> f64 {
    -(0..4).map(|i| ALPHA[i] * (-(0..6).map(|j| A[i][j] * (x[j] - P[i][j]).powi(2)).sum::<f64>()).exp()).sum::<f64>()
}

fn objective(config: &Config) -> f64 {
    let mut x = [0.0; 6];
    for (slot, name) in x.iter_mut().zip(NAMES) {
        match config.get(name).and_then(|value| value.as_f64()) {
            Some(value) => *slot = value,
            None => return f64::NAN,
        }
    }
    -hartmann6(&x)
}

fn evaluate(batch: &[Config]) -> Vec<f64> {
    batch.par_iter().map(objective).collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] }
}

fn best_h6(result: &SearchResult) -> f64 {
    result.best().map_or(f64::NAN, |evaluation| -evaluation.fitness)
}

fn main() {
    let optimum = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
    println!("H6 at the known minimiser: {:.5} (expected {MINIMUM})", hartmann6(&optimum));
    let space = match SearchSpace::new(
        NAMES
            .iter()
            .map(|name| ((*name).to_owned(), Param::Float { lo: 0.0, hi: 1.0, log: false, steps: None }))
            .collect::<BTreeMap<_, _>>(),
    ) {
        Ok(space) => space,
        Err(error) => panic!("space: {error}"),
    };
    let variants: Vec<(&str, EvolutionSettings)> = std::env::args()
        .nth(1)
        .filter(|arg| arg == "--tune")
        .map(|_| {
            let mut variants = Vec::new();
            for (population, generations, elitism) in [(20, 10, 2), (10, 21, 1), (40, 5, 8)] {
                for tournament in [2, 3] {
                    for sigma in [0.05, 0.1, 0.2] {
                        variants.push((
                            "tune",
                            EvolutionSettings {
                                population,
                                generations,
                                elitism,
                                tournament,
                                mutation_sigma: sigma,
                                ..EvolutionSettings::default()
                            },
                        ));
                    }
                }
            }
            variants
        })
        .unwrap_or_else(|| vec![("default", EvolutionSettings::default())]);

    for (label, settings) in variants {
        let seeds: Vec<u64> = (0..10).collect();
        let (mut ga, mut random) = (Vec::new(), Vec::new());
        let (mut ga_evals, mut random_evals) = (0, 0);
        let started = Instant::now();
        for &seed in &seeds {
            let result = match evolutionary_search(&space, &settings, seed, None, &evaluate) {
                Ok(result) => result,
                Err(error) => panic!("evolutionary: {error}"),
            };
            ga_evals += result.evaluation_count;
            ga.push(best_h6(&result));
        }
        let ga_time = started.elapsed();
        let started = Instant::now();
        for &seed in &seeds {
            let result = match random_search(&space, settings.max_evaluations(), seed, &evaluate) {
                Ok(result) => result,
                Err(error) => panic!("random: {error}"),
            };
            random_evals += result.evaluation_count;
            random.push(best_h6(&result));
        }
        let random_time = started.elapsed();
        let wins = ga.iter().zip(&random).filter(|(g, r)| g < r).count();
        println!(
            "\n[{label}] population {} generations {} elitism {} tournament {} sigma {} crossover {}",
            settings.population,
            settings.generations,
            settings.elitism,
            settings.tournament,
            settings.mutation_sigma,
            settings.crossover_rate
        );
        println!("seed  evolutionary  random   (best H6 found; lower is better)");
        for (seed, (g, r)) in seeds.iter().zip(ga.iter().zip(&random)) {
            println!("{seed:>4}  {g:>12.5}  {r:>7.5}");
        }
        let (ga_mean, random_mean) = (ga.iter().sum::<f64>() / 10.0, random.iter().sum::<f64>() / 10.0);
        println!(
            "median best H6: evolutionary {:.5}, random {:.5} (mean {:.5} vs {:.5}); evaluations per run {} vs {}; GA better on {wins}/10 seeds",
            median(&mut ga),
            median(&mut random),
            ga_mean,
            random_mean,
            ga_evals / 10,
            random_evals / 10
        );
        println!(
            "wall time per evaluation (search overhead + H6): evolutionary {:.2} µs, random {:.2} µs",
            ga_time.as_secs_f64() * 1e6 / ga_evals as f64,
            random_time.as_secs_f64() * 1e6 / random_evals as f64
        );
    }
}
