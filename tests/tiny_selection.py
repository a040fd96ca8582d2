"""A tiny hand-made selection and ratings, shared by the scoring and deviation tests that compute by hand.

Power <- i1, i2; Security <- i3; Tradition <- i3 reverse keyed; Openness (bfi) <- i4, i1. Item means of RATINGS:
i1 (4 + 6) / 2 = 5, i2 3, i3 2 (the NaN ignored), i4 6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from valueportrait.scale import DIMENSIONS

#: (family, dimension) -> its row in a portrait matrix.
ROW = {fd: k for k, fd in enumerate(DIMENSIONS)}

SEL = pd.DataFrame({
    "item_id": ["i1", "i2", "i3", "i3", "i4", "i1"],
    "family": ["pvq", "pvq", "pvq", "pvq", "bfi", "bfi"],
    "dimension": ["Power", "Power", "Security", "Tradition", "Openness", "Openness"],
    "key": [1, 1, 1, -1, 1, 1],
})
RATINGS = pd.DataFrame({"item_id": ["i1", "i1", "i2", "i3", "i3", "i4"],
                        "rating": [4.0, 6.0, 3.0, 2.0, np.nan, 6.0]})
