//! The correlation model with its defaults (100 rounds of histogram boosting, depth 4) on the
//! three real datasets, against scikit-learn on the same rows (issue #14: "models right by
//! default").
//!
//! Each dataset is split by its shipped pipeline's own `load` stage (the manifest below is that
//! pipeline's `[pipeline]` and `[stages.data]` tables, so the same seed gives the same split),
//! and scored by the pipeline's `metrics.json`. The reference values were printed by
//! `tests/reference/gbt_reference.py` (scikit-learn 1.9.1, numpy 2.4.6) on these exact parts:
//! `NETHICAL_REFERENCE_DATA=DIR cargo test --test it correlation_quality` copies them to
//! `DIR/<dataset>/`, then `python3 tests/reference/gbt_reference.py DIR`.

use std::path::Path;

use crate::common::Test;

/// ROC-AUC and ECE (10 equal-width bins, METRICS.md) on a pipeline's validation part.
#[derive(Debug, Clone, Copy)]
struct Scores {
    roc_auc: f64,
    ece: f64,
}

/// What `tests/reference/gbt_reference.py` printed for one dataset (scikit-learn 1.9.1).
struct Reference {
    dataset: &'static str,
    /// `GradientBoostingClassifier(n_estimators=100, random_state=0)`.
    gradient_boosting: Scores,
    /// `HistGradientBoostingClassifier(random_state=0)` (its defaults: 31 leaves, no depth
    /// limit, 20 rows per leaf, no L2, early stopping above 10,000 rows).
    hist_gradient_boosting: Scores,
    /// `HistGradientBoostingClassifier` with this model's settings (depth 4, 5 rows per leaf,
    /// L2 1, 100 rounds, no early stopping): the same algorithm.
    hist_same_settings: Scores,
}

const REFERENCES: [Reference; 3] = [
    Reference {
        dataset: "breast_cancer",
        gradient_boosting: Scores { roc_auc: 0.9970930232558141, ece: 0.029351835863621632 },
        hist_gradient_boosting: Scores { roc_auc: 0.9977390180878553, ece: 0.031343991865410294 },
        hist_same_settings: Scores { roc_auc: 0.997093023255814, ece: 0.030349649298590874 },
    },
    Reference {
        dataset: "german_credit",
        gradient_boosting: Scores { roc_auc: 0.7996428571428572, ece: 0.057524786497759724 },
        hist_gradient_boosting: Scores { roc_auc: 0.7971428571428572, ece: 0.09780878319316476 },
        hist_same_settings: Scores { roc_auc: 0.8123809523809524, ece: 0.06844084274017759 },
    },
    Reference {
        dataset: "adult",
        gradient_boosting: Scores { roc_auc: 0.9242436254823947, ece: 0.020868376153257054 },
        hist_gradient_boosting: Scores { roc_auc: 0.9317361459177718, ece: 0.007516885751704762 },
        hist_same_settings: Scores { roc_auc: 0.9289538690568271, ece: 0.020008447491248894 },
    },
];

/// How far below scikit-learn's ROC-AUC, and above its ECE, the defaults may score.
const AUC_TOLERANCE: f64 = 0.005;
const ECE_TOLERANCE: f64 = 0.01;

/// Trains `correlation` with its defaults on the split of `pipelines/<dataset>.toml`.
fn correlation_defaults_on(t: &Test, dataset: &str) -> Scores {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pipeline = std::fs::read_to_string(root.join(format!("pipelines/{dataset}.toml"))).expect("pipeline");
    // The pipeline's own `[pipeline]` and data stage: everything before its `train` stage.
    let head = pipeline.split("[stages.train]").next().expect("a train stage");
    let manifest = format!(
        "{head}[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"correlation\"\ncohort = \"correlation\"\n"
    );
    let csv = format!("examples/data/{dataset}.csv");
    std::fs::create_dir_all(t.path().join("examples/data")).expect("mkdir");
    std::fs::copy(root.join(&csv), t.path().join(&csv)).expect("copy data");
    let m = t.manifest(dataset, &manifest);
    // The reference script reads the parts as CSV.
    let export = std::env::var_os("NETHICAL_REFERENCE_DATA").is_some();
    let mut args = vec!["run", m.to_str().expect("utf-8")];
    if export {
        args.extend(["--set", "stages.data.export_csv=true"]);
    }
    t.run(&args).ok();
    let run = t.latest(dataset);
    if let Some(dir) = std::env::var_os("NETHICAL_REFERENCE_DATA") {
        let out = Path::new(&dir).join(dataset);
        std::fs::create_dir_all(&out).expect("mkdir");
        for part in ["train.csv", "validation.csv", "dataset.json"] {
            std::fs::copy(run.join("data/data").join(part), out.join(part)).expect("export");
        }
    }
    let metrics = t.read_json(&run.join("cohorts/correlation/metrics.json"));
    let value = |key: &str| metrics[key].as_f64().unwrap_or_else(|| panic!("{key} in {metrics}"));
    Scores { roc_auc: value("roc_auc"), ece: value("ece") }
}

#[test]
fn correlation_defaults_score_like_scikit_learn_on_the_real_datasets() {
    let t = Test::new();
    let mut failures = Vec::new();
    for reference in &REFERENCES {
        let ours = correlation_defaults_on(&t, reference.dataset);
        println!(
            "{}: ROC-AUC {:.4}, ECE {:.4} (scikit-learn GBC {:.4}/{:.4}, HGB {:.4}/{:.4}, HGB same settings {:.4}/{:.4})",
            reference.dataset,
            ours.roc_auc,
            ours.ece,
            reference.gradient_boosting.roc_auc,
            reference.gradient_boosting.ece,
            reference.hist_gradient_boosting.roc_auc,
            reference.hist_gradient_boosting.ece,
            reference.hist_same_settings.roc_auc,
            reference.hist_same_settings.ece,
        );
        // The bar: scikit-learn's GradientBoostingClassifier with its defaults.
        let gbc = reference.gradient_boosting;
        if ours.roc_auc < gbc.roc_auc - AUC_TOLERANCE {
            failures.push(format!(
                "{}: ROC-AUC {} vs GradientBoostingClassifier {}",
                reference.dataset, ours.roc_auc, gbc.roc_auc
            ));
        }
        if ours.ece > gbc.ece + ECE_TOLERANCE {
            failures.push(format!("{}: ECE {} vs GradientBoostingClassifier {}", reference.dataset, ours.ece, gbc.ece));
        }
        // HistGradientBoostingClassifier's defaults are another model (31 leaves, no depth
        // limit, early stopping on adult's 26,000 rows, which calibrates it better there): its
        // ranking is the bar, its ECE is printed above.
        let hgb = reference.hist_gradient_boosting;
        if ours.roc_auc < hgb.roc_auc - AUC_TOLERANCE {
            failures.push(format!(
                "{}: ROC-AUC {} vs HistGradientBoostingClassifier {}",
                reference.dataset, ours.roc_auc, hgb.roc_auc
            ));
        }
        // The same algorithm and settings: no worse in either metric.
        let same = reference.hist_same_settings;
        if ours.roc_auc < same.roc_auc - AUC_TOLERANCE || ours.ece > same.ece + ECE_TOLERANCE {
            failures.push(format!("{}: {ours:?} vs HGB with the same settings {same:?}", reference.dataset));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
