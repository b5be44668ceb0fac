"""Writes the `.npy` files that `src/data/table_npy.rs` is tested against, with NumPy itself.

    python3 tests/reference/npy_reference.py tests/reference/npy

The table is the one of `table_npy`'s tests: columns `age` (numeric, one missing), `sex`
(text, one missing) and `y_true`, rows 0, 5 and 2**64 - 1. nethical must write these bytes
exactly, and read them back.
"""
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
numeric = np.asfortranarray(np.array([[39.0, 1.0], [np.nan, 0.0], [0.1 + 0.2, 1.0]], dtype="<f8"))
rows = np.array([0, 5, 2**64 - 1], dtype="<u8")
# Codes into the codebook ["Male", "a,b"]; -1 is missing.
text = np.asfortranarray(np.array([[0], [1], [-1]], dtype="<i4"))
np.save(out / "train.npy", numeric)
np.save(out / "train_rows.npy", rows)
np.save(out / "train_text.npy", text)
print(f"numpy {np.__version__}")
