"""scikit-learn's SGDClassifier on the same shape of data as benches/models.rs
(1,000,000 x 20 uniform features, label x0 + x1 - x2 > 0.5, 10 epochs), for the issue #3
comparison. Run in the same sitting as `cargo bench --bench models`:

    python3 -m venv /tmp/skbench && /tmp/skbench/bin/pip install scikit-learn numpy
    /tmp/skbench/bin/python benches/sklearn_sgd.py
"""
import time

import numpy as np
import sklearn
from sklearn.linear_model import SGDClassifier

rng = np.random.default_rng(7)
x = rng.random((1_000_000, 20))
y = (x[:, 0] + x[:, 1] - x[:, 2] > 0.5).astype(np.int64)
times = []
for seed in range(5):
    clf = SGDClassifier(loss="log_loss", max_iter=10, tol=None, shuffle=True, random_state=seed, learning_rate="optimal")
    start = time.perf_counter()
    clf.fit(x, y)
    times.append(time.perf_counter() - start)
times.sort()
print(f"scikit-learn {sklearn.__version__} SGDClassifier(log_loss), 1e6 x 20, 10 epochs: "
      f"median {times[2]:.3f} s, fastest {times[0]:.3f} s; train accuracy {clf.score(x, y):.4f}")
