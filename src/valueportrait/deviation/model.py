"""The model side of a comparison: a persona ratings table -> each persona's portrait and its replicates.

:func:`persona_ratings` checks the table (one model, personas present, ratings numbers 1-6 or Likert phrases);
:func:`model_side` scores each persona's item means with the scoring design and draws one item bootstrap that
all personas share, so the model's gaps between personas are paired over the same item draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..likert import to_ratings
from ..portrait_bootstrap import DIMENSIONS, ScoringDesign, item_bootstrap_weights, score_matrix
from ..scoring import item_ratings
from .distributions import rating_distributions

__all__ = ["ModelSide", "model_side", "persona_ratings"]


def persona_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """The rows of one model's ratings table that have a persona, with ``rating`` as floats.

    Ratings may be numbers 1-6 or Likert phrases (parsed by :func:`valueportrait.likert.to_ratings`, the
    parser the scoring uses); anything else is an :class:`~valueportrait.errors.InputError` naming the values.
    """
    missing = [c for c in ("item_id", "persona", "rating") if c not in ratings.columns]
    if missing:
        raise InputError(f"the model ratings lack column(s) {missing}; expected a ratings table with columns model, "
                         "item_id, variant, persona, rating")
    if "model" in ratings.columns and ratings["model"].nunique() > 1:
        raise InputError(f"the ratings hold {ratings['model'].nunique()} models "
                         f"({', '.join(map(str, ratings['model'].unique()[:5]))}); compare one model at a time")
    r = ratings.dropna(subset=["persona"])
    if r.empty:
        raise InputError("no rating has a persona; run the model with personas (valueportrait run --personas FILE)")
    if pd.api.types.is_numeric_dtype(r["rating"]):
        return r
    return r.assign(rating=to_ratings(r["rating"].tolist(), what="model ratings"))


@dataclass(frozen=True)
class ModelSide:
    """Per persona: portrait (D,), item-bootstrap replicates (B, D), rating counts per item (I, K)."""

    point: dict[str, np.ndarray]
    boot: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    n_items: int


def model_side(ratings: pd.DataFrame, design: ScoringDesign, n_boot: int, seed: int) -> ModelSide:
    """Each persona's portrait and replicates; one item bootstrap (seeded by ``[seed, 1]``) shared by all."""
    items = list(design.item_ids)
    model_M, model_counts = {}, {}
    for persona, r in ratings.groupby(ratings["persona"].astype(str), sort=False):
        model_counts[persona] = rating_distributions(r["item_id"], r["rating"].to_numpy(float), items)[0]
        m = item_ratings(r[r["item_id"].isin(items)])  # the scoring core's item means (checks the 1-6 range)
        model_M[persona] = m.reindex(items).to_numpy(dtype=float)
    rated_any = np.zeros(len(items), dtype=bool)
    for M in model_M.values():
        rated_any |= ~np.isnan(M)
    rated_any &= design.measured
    if not rated_any.any():
        raise InputError("none of the model's rated items is a selected item of the dataset; check the item ids "
                         "(expected '{portrait_id}-{option_id}', e.g. '1008-1')")
    W = item_bootstrap_weights(rated_any, n_boot, np.random.default_rng([int(seed), 1]))
    point = {p: score_matrix(M, design)[0][0] for p, M in model_M.items()}
    none = np.empty((0, len(DIMENSIONS)))
    boot = {p: score_matrix(M, design, W)[0] if n_boot > 0 else none for p, M in model_M.items()}
    return ModelSide(point, boot, model_counts, int(rated_any.sum()))
