//! `logistic` with `solver = "lbfgs"` reproduces scikit-learn's `LogisticRegression` on the
//! shipped datasets, on the very rows nethical splits.
//!
//! Reference: `tests/reference/sklearn_parity.py` (scikit-learn 1.9.1, numpy 2.4.6, pandas
//! 3.1.1) run on a run of `tests/reference/sklearn_parity.toml`; it encodes the hand-off parts
//! as nethical's preprocessor does and fits `LogisticRegression(C=1.0)` to convergence
//! (tol=1e-10) and with its defaults (tol=1e-4, which stops a little short).

use std::path::Path;

use crate::common::Test;

/// (cohort, converged [accuracy, roc_auc, ece], defaults [accuracy, roc_auc, ece]).
const REFERENCE: [(&str, [f64; 3], [f64; 3]); 3] = [
    ("lbfgs_bc", [0.982608696, 1.000000000, 0.031571476], [0.982608696, 1.000000000, 0.031517415]),
    ("lbfgs_gc", [0.750000000, 0.801547619, 0.073414899], [0.750000000, 0.801547619, 0.073412041]),
    ("lbfgs_adult", [0.852909565, 0.909518023, 0.012796952], [0.853063105, 0.909521246, 0.012622966]),
];

#[test]
fn lbfgs_logistic_regression_matches_scikit_learn() {
    let t = Test::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("tests/reference/sklearn_parity.toml")).expect("manifest");
    let examples = root.join("examples/data");
    let manifest = manifest.replace("../../examples/data", examples.to_str().expect("utf-8"));
    let m = t.manifest("sklearn_parity", &manifest);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let run = t.latest("sklearn_parity");
    for (cohort, converged, defaults) in REFERENCE {
        let metrics = t.read_json(&run.join(format!("cohorts/{cohort}/metrics.json")));
        let got = ["accuracy", "roc_auc", "ece"].map(|k| metrics[k].as_f64().expect("a number"));
        for ((name, g), (c, d)) in ["accuracy", "roc_auc", "ece"].iter().zip(got).zip(converged.iter().zip(defaults)) {
            // The same optimum: equal to the printed digits.
            assert!((g - c).abs() < 2e-6, "{cohort} {name}: {g} vs scikit-learn converged {c}");
            // The bar against scikit-learn's defaults (which stop at tol=1e-4).
            let bar = if *name == "ece" { 0.01 } else { 0.002 };
            assert!((g - d).abs() <= bar, "{cohort} {name}: {g} vs scikit-learn defaults {d}");
        }
    }
}
