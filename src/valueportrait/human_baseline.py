"""The human raters scored like a model: the "human raters" row of every leaderboard.

Each item's human rating is the mean over the participants who rated it (the survey's ``human_ratings``
config); that vector of item means goes through the same :func:`~valueportrait.scoring.score_portrait` as a
model's ratings. Uncertainty comes from the raters, not the items: each bootstrap replicate redraws the
participants of every survey group with replacement (stratified, so every item keeps raters), recomputes the
item means and rescores. For a fixed item set a score is linear in the item ratings (``r @ C + c0``), so all
replicates are two matrix products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .portrait_bootstrap import item_means, stratified_rater_weights
from .scoring import _design_for, _percentile_ci, item_ratings, score_portrait

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


def score_humans(human_ratings: pd.DataFrame, selection: pd.DataFrame, *, n_boot: int = 2_000,
                 confidence: float = 0.95, seed: int = 0, center: bool = True, min_items: int = 1) -> pd.DataFrame:
    """The human raters' portrait with percentile CIs from a stratified bootstrap over raters.

    A rater is a (participant_id, survey_group) pair: one participant answered two groups, and resampling
    within groups keeps every item rated. ``n_boot=0`` skips the intervals.

    Returns
    -------
    DataFrame
        As :func:`score_portrait`, plus ``ci_low, ci_high, se``.
    """
    out = score_portrait(human_item_ratings(human_ratings), selection, center=center, min_items=min_items)
    out["ci_low"] = out["ci_high"] = out["se"] = np.nan
    if n_boot <= 0:
        return out
    h = human_ratings.dropna(subset=["rating"])
    group = h["survey_group"] if "survey_group" in h else pd.Series(0, index=h.index)
    rater, raters = pd.factorize(pd.MultiIndex.from_arrays([h["participant_id"].astype(str), group]))
    design, _ = _design_for(item_ratings(h[["item_id", "rating"]]), selection)
    col = pd.Index(design.item_ids).get_indexer(h["item_id"].astype(str))
    keep = col >= 0
    # rater x item mean ratings (NaN = not rated); a rater is resampled within their survey group
    n_r, n_i = len(raters), len(design.item_ids)
    sums = np.zeros((n_r, n_i))
    cnt = np.zeros((n_r, n_i))
    np.add.at(sums, (rater[keep], col[keep]), h["rating"].to_numpy(dtype=float)[keep])
    np.add.at(cnt, (rater[keep], col[keep]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rater = sums / cnt
    strata, _ = pd.factorize(np.asarray(raters.get_level_values(1)))
    w = stratified_rater_weights(strata, n_boot, np.random.default_rng(seed))
    means = item_means(per_rater, w)
    C, c0 = design.coefficients(center)
    reps = np.nan_to_num(means) @ np.nan_to_num(C) + np.nan_to_num(c0)
    reps[:, out["n"].to_numpy() == 0] = np.nan
    lo, hi = _percentile_ci(reps, confidence)
    null = out["score"].isna().to_numpy()
    out["ci_low"] = np.where(null, np.nan, lo)
    out["ci_high"] = np.where(null, np.nan, hi)
    out["se"] = np.where(null, np.nan, reps.std(axis=0, ddof=1))
    return out
