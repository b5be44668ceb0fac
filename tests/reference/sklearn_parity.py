"""Reference values of tests/it/sklearn_parity.rs: scikit-learn's LogisticRegression on the
very rows nethical trains and validates on.

Run nethical on sklearn_parity.toml, then this script on the run folder:

    nethical run tests/reference/sklearn_parity.toml --runs-dir /tmp/parity_runs --cache-dir /tmp/parity_cache
    python3 tests/reference/sklearn_parity.py /tmp/parity_runs/sklearn_parity/latest

It reads each load instance's hand-off parts (data/<stage>/{train,validation}.csv and
dataset.json), encodes them as nethical's preprocessor does (training median / most frequent
value for missing values, one-hot over the sorted training categories, unknown categories all
zero), standardizes every encoded column with the training mean and population std (a constant
column keeps scale 1), and fits LogisticRegression(C=1.0) to convergence (tol=1e-10,
max_iter=10000; scikit-learn's default tol=1e-4 stops a little earlier, also printed). The
metrics are scikit-learn's accuracy_score and roc_auc_score, and METRICS.md's ECE
(10 equal-width bins, (lo, hi]).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score


def ece(y, p, bins=10):
    edges = np.array([i * (1.0 / bins) for i in range(bins + 1)])
    edges[-1] = 1.0
    b = np.searchsorted(edges[1:-1], p, side="left")
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return total


def encode(train, other, schema):
    cols_train, cols_other = [], []
    for name, kind in schema["features"]:
        a, b = train[name], other[name]
        if kind == "numeric":
            a = pd.to_numeric(a, errors="coerce")
            b = pd.to_numeric(b, errors="coerce")
            if schema["impute"]:
                fill = float(np.median(a.dropna().to_numpy()))
                a, b = a.fillna(fill), b.fillna(fill)
            cols_train.append(a.to_numpy(float)[:, None])
            cols_other.append(b.to_numpy(float)[:, None])
        else:
            a = a.astype(object).where(a.notna(), None)
            b = b.astype(object).where(b.notna(), None)
            counts = a.dropna().value_counts()
            if schema["impute"]:
                top = counts.max()
                fill = sorted(k for k, v in counts.items() if v == top)[0]
                a = a.where(a.notna(), fill)
                b = b.where(b.notna(), fill)
            categories = sorted(counts.index)
            cols_train.append(np.stack([(a == c).to_numpy(float) for c in categories], axis=1))
            cols_other.append(np.stack([(b == c).to_numpy(float) for c in categories], axis=1))
    xa, xb = np.hstack(cols_train), np.hstack(cols_other)
    mean = xa.mean(axis=0)
    std = xa.std(axis=0)
    std[std == 0] = 1.0
    return (xa - mean) / std, (xb - mean) / std


def main(run):
    run = Path(run)
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}")
    for stage in ["bc", "gc", "adult"]:
        d = run / "data" / stage
        schema = json.loads((d / "dataset.json").read_text())["schema"]
        train = pd.read_csv(d / "train.csv", keep_default_na=False, na_values=[""], dtype=str)
        val = pd.read_csv(d / "validation.csv", keep_default_na=False, na_values=[""], dtype=str)
        xa, xb = encode(train, val, schema)
        ya = train["y_true"].astype(float).astype(int).to_numpy()
        yb = val["y_true"].astype(float).astype(int).to_numpy()
        for label, model in [
            ("converged", LogisticRegression(C=1.0, tol=1e-10, max_iter=10000)),
            ("defaults", LogisticRegression()),
        ]:
            p = model.fit(xa, ya).predict_proba(xb)[:, 1]
            acc = accuracy_score(yb, (p >= 0.5).astype(int))
            print(f"{stage} {label}: accuracy {acc:.9f} roc_auc {roc_auc_score(yb, p):.9f} ece {ece(yb, p):.9f}")


if __name__ == "__main__":
    main(sys.argv[1])
