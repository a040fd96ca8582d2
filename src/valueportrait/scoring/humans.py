"""The human raters scored like a model: the "human raters" row of every leaderboard and the group norms.

Each item's human rating is the mean over the raters who rated it; that vector of item means goes through the
same scorer as a model's ratings (:func:`~valueportrait.scoring.engine.score_matrix`). Uncertainty comes from
the raters: each bootstrap replicate redraws the raters of every survey group with replacement (the one rater
definition of :mod:`~valueportrait.scoring.resample`), recomputes the item means and rescores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import DEFAULT_CONFIDENCE, DEFAULT_N_BOOT
from ..errors import InputError
from ..scale import DIMENSIONS
from .design import Design
from .engine import score_matrix
from .portrait import item_ratings, score_portrait, with_intervals
from .resample import RaterMatrix, check_settings, rater_matrix

__all__ = ["HUMAN_MODEL", "group_portrait_replicates", "human_item_ratings", "score_humans"]

#: Name of the human row in leaderboards.
HUMAN_MODEL = "human raters"


def human_item_ratings(human_ratings: pd.DataFrame) -> pd.DataFrame:
    """A ratings table (model ``human raters``) with one row per item: the mean human rating."""
    missing = [c for c in ("item_id", "rating") if c not in human_ratings.columns]
    if missing:
        raise InputError(f"human_ratings lacks column(s) {missing}; expected the dataset's human_ratings config")
    means = item_ratings(human_ratings[["item_id", "rating"]])
    return pd.DataFrame({"model": HUMAN_MODEL, "item_id": means.index.astype(str), "variant": None, "persona": None,
                         "rating": means.to_numpy()})


def group_portrait_replicates(raters: RaterMatrix, design: Design, n_boot: int, rng: np.random.Generator, *,
                              center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A rater group's portrait (D,) and ``n_boot`` rater-bootstrap replicates of it (B, D).

    Notes
    -----
    The group's item means :math:`\\bar r_i = \\operatorname{mean}_{j \\in G,\\ r_{ji} \\ne \\text{NA}}\\, r_{ji}`
    are scored like a model's. A replicate draws the group's raters with replacement within their survey groups,
    recomputes the item means (a rater drawn *k* times counts *k* times) and scores them.
    """
    if raters.item_ids != design.item_ids:
        raise InputError("the rater matrix and the design cover different items; build both over the same item ids")
    point = score_matrix(raters.item_means(), design, center=center).score[0]
    if n_boot <= 0:
        return point, np.empty((0, len(DIMENSIONS)))
    boot = score_matrix(raters.item_means(raters.bootstrap_weights(n_boot, rng)), design, center=center).score
    return point, boot


def score_humans(human_ratings: pd.DataFrame, selection: pd.DataFrame, *, n_boot: int = DEFAULT_N_BOOT,
                 confidence: float = DEFAULT_CONFIDENCE, seed: int = 0, center: bool = True,
                 min_items: int = 1) -> pd.DataFrame:
    """The human raters' portrait with percentile CIs from a stratified bootstrap over raters.

    ``n_boot=0`` skips the intervals.

    Returns
    -------
    DataFrame
        As :func:`~valueportrait.scoring.portrait.score_portrait`, plus ``ci_low, ci_high, se``.
    """
    check_settings(n_boot, confidence, min_items)
    out = score_portrait(human_item_ratings(human_ratings), selection, center=center, min_items=min_items)
    if n_boot == 0:
        return with_intervals(out, np.empty((0, len(DIMENSIONS))), confidence)
    chosen = set(selection["item_id"].astype(str))
    items = [i for i in item_ratings(human_ratings[["item_id", "rating"]]).index if i in chosen]
    design = Design.from_selection(selection, items)
    _, reps = group_portrait_replicates(rater_matrix(human_ratings, items), design, n_boot,
                                        np.random.default_rng(seed), center=center)
    return with_intervals(out, reps, confidence)
