"""Reference scores for tests/it/correlation_quality.rs: scikit-learn's boosted trees on the
exact training and validation parts the shipped pipelines' `load` stages write.

Export the parts, then run this on them:

    NETHICAL_REFERENCE_DATA=/tmp/refdata cargo test --test it correlation_quality
    python3 tests/reference/gbt_reference.py /tmp/refdata

Each `DIR/<dataset>/` holds `train.csv`, `validation.csv` (columns `row`, the raw features, the
group column, `y_true`) and `dataset.json` (the hand-off schema). The features are encoded as
nethical's `Preprocessor` does, fitted on the training part: numbers pass through (missing
ones get the training median when `impute`), text is one-hot encoded over the sorted training
categories (a missing value gets the most frequent training category when `impute`, ties to
the smaller; an unseen one is all zeros). Scores: ROC-AUC, and the ECE of METRICS.md (10
equal-width bins `(lo, hi]`, the first holding 0, as `calibration_curve(strategy="uniform")`).

Printed with scikit-learn 1.9.1, numpy 2.4.6, pandas 3.1.1.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

DATASETS = ["breast_cancer", "german_credit", "adult"]


def read_part(path, schema):
    kinds = dict(schema["features"])
    dtypes = {name: (float if kind == "numeric" else str) for name, kind in kinds.items()}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={n: [""] for n in kinds})
    return frame, frame["y_true"].to_numpy().astype(int)


def fit_encoder(train, schema):
    """The `Preprocessor` fitted on the training part: one encoder per raw feature column."""
    assert schema["encode"] == "one_hot", "only one-hot encoding is reproduced here"
    encoders = []
    for name, kind in schema["features"]:
        values = train[name]
        if kind == "numeric":
            fill = float(np.median(values.dropna())) if schema["impute"] else None
            encoders.append((name, kind, fill, None))
        else:
            counts = values.dropna().value_counts()
            categories = sorted(counts.index)
            fill = None
            if schema["impute"]:
                top = counts.max()
                fill = min(c for c in categories if counts[c] == top)
            encoders.append((name, kind, fill, categories))
    return encoders


def encode(frame, encoders):
    columns = []
    for name, kind, fill, categories in encoders:
        values = frame[name]
        if fill is not None:
            values = values.fillna(fill)
        if kind == "numeric":
            assert not values.isna().any(), f"missing values in {name}"
            columns.append(values.to_numpy(dtype=float))
        else:
            for category in categories:
                columns.append((values == category).to_numpy(dtype=float))
    return np.column_stack(columns)


def ece(y, p, bins=10):
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges[1:-1], p, side="left")
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.sum() / len(p) * abs(y[inside].mean() - p[inside].mean())
    return total


def models():
    return {
        "gradient_boosting": GradientBoostingClassifier(n_estimators=100, random_state=0),
        "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=0),
        # nethical's correlation defaults: 100 rounds of depth 4, learning rate 0.1,
        # 5 rows per leaf, L2 1 on leaf values, 255 bins, no early stopping.
        "hist_same_settings": HistGradientBoostingClassifier(
            max_iter=100,
            learning_rate=0.1,
            max_depth=4,
            max_leaf_nodes=None,
            min_samples_leaf=5,
            l2_regularization=1.0,
            max_bins=255,
            early_stopping=False,
            random_state=0,
        ),
    }


def main(root):
    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}")
    for dataset in DATASETS:
        folder = Path(root) / dataset
        schema = json.loads((folder / "dataset.json").read_text())["schema"]
        train, y_train = read_part(folder / "train.csv", schema)
        validation, y_validation = read_part(folder / "validation.csv", schema)
        encoders = fit_encoder(train, schema)
        x_train, x_validation = encode(train, encoders), encode(validation, encoders)
        print(f"{dataset}: {x_train.shape[0]} training rows, {x_validation.shape[0]} validation rows, "
              f"{x_train.shape[1]} features")
        for name, model in models().items():
            p = model.fit(x_train, y_train).predict_proba(x_validation)[:, 1]
            auc, calibration = float(roc_auc_score(y_validation, p)), float(ece(y_validation, p))
            print(f"  {name}: roc_auc {auc!r}, ece {calibration!r}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/refdata")
