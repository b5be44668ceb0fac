"""Reference values for `src/metrics/fairness.rs`'s min_group_size and pooling tests.

nethical compares only groups of at least `min_group_size` rows (METRICS.md), or pools the
smaller ones into `other`. fairlearn has no such option, so the reference is fairlearn on the
rows of the groups that remain (excluded), and on the data with the small groups relabelled
`other` (pooled). Run with fairlearn 0.15.0, scikit-learn 1.9.1, numpy 2.4.6, Python 3.11.7:

    python3 tests/reference/fairness_reference.py

and copy the printed `repr`s into the Rust tests (they name this script).
"""

import warnings

import numpy as np
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

warnings.simplefilter("ignore")

# Case F3 (the Rust constants F3Y, F3P, F3G): a (12 rows) and b (10) are large enough at
# min_group_size = 5; c (3 rows, every positive missed) and d (2 rows, all predicted positive)
# are not. With c, the TPR gap would be 1.0 whatever a and b do.
F3G = list("aaaaaaaaaaaabbbbbbbbbbcccdd")
F3Y = [1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0]
F3P = [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1]


def fair(y, yh, g):
    y, yh, g = map(np.asarray, (y, yh, g))
    kw = dict(y_true=y, y_pred=yh, sensitive_features=g)
    mf = MetricFrame(
        metrics={"sel": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate}, **kw
    )
    fpr = mf.by_group["fpr"]
    return dict(
        by_group={k: {m: repr(float(v)) for m, v in row.items()} for k, row in mf.by_group.to_dict("index").items()},
        dpd=repr(float(demographic_parity_difference(**kw))),
        dpr=repr(float(demographic_parity_ratio(**kw))),
        eod=repr(float(equalized_odds_difference(**kw))),
        eopp=repr(float(equal_opportunity_difference(**kw))),
        fpr_gap=repr(float(fpr.max() - fpr.min())),
    )


y, yh, g = map(np.asarray, (F3Y, F3P, F3G))
sizes = {k: int((g == k).sum()) for k in sorted(set(F3G))}
print("sizes", sizes)
print("F3 every group (what nethical did before min_group_size)", fair(y, yh, g))
large = np.isin(g, [k for k, n in sizes.items() if n >= 5])
print("F3 excluded (min_group_size 5)", fair(y[large], yh[large], g[large]))
pooled = np.where(large, g, "other")
print("F3 pooled (min_group_size 5, pool_small_groups)", fair(y, yh, pooled))
