"""The model side of a comparison: a persona ratings table -> each persona's portrait and its replicates.

:func:`persona_ratings` checks the table (one model, personas present, ratings numbers 1-6 or Likert phrases);
:func:`model_side` scores each persona's ratings and draws one item bootstrap that all personas share
(:func:`valueportrait.scoring.bootstrap_portraits`), so the model's gaps between personas are paired over the
same item draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..ratings.likert import to_ratings
from ..scoring import Design, bootstrap_portraits
from .distributions import rating_distributions

__all__ = ["ModelSide", "model_side", "persona_ratings"]


def persona_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """The rows of one model's ratings table that have a persona, with ``rating`` as floats.

    Ratings may be numbers 1-6 or Likert phrases (parsed by :func:`valueportrait.ratings.to_ratings`, the parser
    :func:`valueportrait.scoring.item_ratings` uses); anything else is an
    :class:`~valueportrait.errors.InputError` naming the values.
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
    """Per persona: portrait (D,), item-bootstrap replicates (B, D), rating counts per item (I, K); and the item
    draws all personas share: ``weights`` (B, I) over ``design``'s items (0 for items no persona rated), the
    ``rated`` mask (I,) of the items some persona rated."""

    point: dict[str, np.ndarray]
    boot: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    n_items: int
    weights: np.ndarray | None = None
    rated: np.ndarray | None = None


def model_side(ratings: pd.DataFrame, selection: pd.DataFrame, design: Design, n_boot: int, seed: int
               ) -> ModelSide:
    """Each persona's portrait and replicates: :func:`valueportrait.scoring.bootstrap_portraits`, so the personas
    share one item bootstrap (the same draws as the metric's ``personas`` intervals)."""
    items = list(design.item_ids)
    by_persona = {str(p): r[r["item_id"].isin(items)]
                  for p, r in ratings.groupby(ratings["persona"].astype(str), sort=False)}
    counts = {p: rating_distributions(r["item_id"], r["rating"].to_numpy(float), items)[0]
              for p, r in by_persona.items()}
    measured = set(np.asarray(items, dtype=object)[design.measured])
    rated = {i for r in by_persona.values() for i in r.loc[r["rating"].notna(), "item_id"].astype(str)} & measured
    if not rated:
        raise InputError("none of the model's rated items is a selected item of the dataset; check the item ids "
                         "(expected '{portrait_id}-{option_id}', e.g. '1008-1')")
    drawn = bootstrap_portraits({p: r[["item_id", "rating"]] for p, r in by_persona.items()}, selection,
                                n_boot=n_boot, seed=seed)
    point = {p: drawn.portraits[p]["score"].to_numpy(dtype=float) for p in drawn.portraits}
    # the item draws the model's replicates were made with, moved into design order (0 for items not drawn from)
    col = pd.Index(drawn.item_ids).get_indexer(items)
    weights = np.where(col >= 0, drawn.weights[:, np.maximum(col, 0)], 0.0)
    return ModelSide(point, drawn.replicates, counts, len(rated), weights, col >= 0)
