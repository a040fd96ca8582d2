"""Where a new model stands among the released models: percentiles against a dataset's ``reference_portraits``.

Pure functions on portraits (:func:`valueportrait.scoring.interval_portrait` frames) and the
``reference_portraits`` config (:data:`valueportrait.schema.REFERENCE_COLUMNS`). ``valueportrait score`` prints
:func:`reference_text` when the dataset has the config and the scores use the build's selection.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .texttable import text_table

__all__ = ["HUMANS", "reference_percentiles", "reference_text"]

#: The human raters' row of ``reference_portraits`` (the same name as the leaderboard's human row).
HUMANS = "human raters"


def reference_percentiles(portraits: Mapping[str, pd.DataFrame], reference: pd.DataFrame) -> pd.DataFrame:
    """Per scored model x dimension: its score's percentile among the reference models' scores (the share
    below it, ties counting half, in percent; a released model is not compared with itself), its rank from the
    top among them (1 = highest), the number of reference models, their median and the human raters' score.

    >>> ref = pd.DataFrame({"model": ["a", "b", "c", "human raters"], "family": "pvq", "dimension": "Power",
    ...                     "score": [-0.3, -0.1, 0.2, -0.2]})
    >>> new = {"m": pd.DataFrame({"family": ["pvq"], "dimension": ["Power"], "score": [0.0]})}
    >>> row = reference_percentiles(new, ref).iloc[0]
    >>> float(row.percentile), int(row["rank"]), int(row.n_reference), float(row.human_score)
    (66.66666666666667, 2, 3, -0.2)
    """
    models = reference[reference["model"] != HUMANS]
    humans = reference[reference["model"] == HUMANS].set_index(["family", "dimension"])["score"]
    rows = []
    for name, portrait in portraits.items():
        if name == HUMANS:
            continue
        for r in portrait.itertuples(index=False):
            others = models[(models["family"] == r.family) & (models["dimension"] == r.dimension)
                            & (models["model"] != name)]["score"].dropna().to_numpy(float)
            n = len(others)
            ok = n > 0 and np.isfinite(r.score)
            below = float((others < r.score).sum() + 0.5 * (others == r.score).sum()) if ok else np.nan
            rows.append({"model": name, "family": r.family, "dimension": r.dimension, "score": r.score,
                         "percentile": 100 * below / n if ok else np.nan,
                         "rank": int((others > r.score).sum()) + 1 if ok else None, "n_reference": n,
                         "reference_median": float(np.median(others)) if n else np.nan,
                         "human_score": humans.get((r.family, r.dimension), np.nan)})
    return pd.DataFrame(rows)


def reference_text(table: pd.DataFrame) -> str:
    """The table ``valueportrait score`` prints: per model, each dimension's score, percentile and rank among
    the reference models, their median and the human raters' score."""
    blocks = []
    for model, part in table.groupby("model", sort=False):
        n = int(part["n_reference"].max())
        rows = [(r.family, r.dimension, r.score, None if pd.isna(r.percentile) else f"{r.percentile:.0f}",
                 None if r.rank is None or pd.isna(r.rank) else f"{int(r.rank)}/{r.n_reference + 1}",
                 r.reference_median, r.human_score) for r in part.itertuples(index=False)]
        blocks.append(f"{model} among {n} released model(s):\n" + text_table(
            ["family", "dimension", "score", "percentile", "rank", "released median", "humans"], rows, "llrrrrr"))
    return "\n\n".join(blocks)
