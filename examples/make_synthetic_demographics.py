"""Write examples/synthetic_demographics.csv: SYNTHETIC demographics for trying `valueportrait build --demographics`.

The public Value Portrait release has no demographics. This file is made up: ids P001-P700 (the release's
participants are ids of this form; the ones the release does not have are dropped by the build with a
warning) and sex / age / education drawn at random with a fixed seed. It is NOT data of the benchmark:
never read any result computed with it as a finding about real people.

    python examples/make_synthetic_demographics.py        # rewrites the file, byte for byte the same
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).with_name("synthetic_demographics.csv")


def synthetic_demographics(n: int = 700, seed: int = 13) -> pd.DataFrame:
    """A Prolific-like export with the columns Participant id, Sex, Age, Education (all SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "Participant id": [f"P{k:03d}" for k in range(1, n + 1)],
        "Sex": rng.choice(["Female", "Male"], n),
        "Age": rng.integers(18, 75, n),
        "Education": rng.choice(["Secondary", "Bachelor", "Graduate"], n, p=[0.35, 0.45, 0.2]),
    })


if __name__ == "__main__":
    synthetic_demographics().to_csv(OUT, index=False)
    print(f"Wrote {OUT} (SYNTHETIC)")
