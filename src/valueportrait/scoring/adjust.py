"""The human row's optional survey-group adjustment: each item centred on its survey group's mean.

Every item of the release was rated by the raters of one of 12 survey groups, each an independent sample of
about 47 people. The groups differ in overall scale use (mean rating 3.79 in group 4, 4.29 in group 9; a
one-way ANOVA of the raters' mean ratings across groups gives p = 0.0009), so an item's human mean carries its
group's level, and a dimension whose items happen to sit in a generous group looks higher. With
``adjust="survey_group"`` each item mean is replaced by

.. math::

    \\tilde r_i = \\bar r_i - \\bar r_{g(i)} + \\bar r,\\qquad
    \\bar r_{g} = \\operatorname{mean}_{i \\in g} \\bar r_i,\\quad \\bar r = \\operatorname{mean}_i \\bar r_i

(:func:`center_on_groups`; the means run over every rated item, selected or not), before scoring. In a
rater-bootstrap replicate the group means are recomputed from the replicate's item means, so the interval
carries the adjustment's own uncertainty. Centred scores do not depend on the grand mean (it cancels against
the family mean); it keeps ``raw_mean`` on the rating scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["HUMAN_ADJUSTMENTS", "adjusted_item_means", "center_on_groups", "check_adjust", "item_survey_groups",
           "survey_group_effect", "survey_group_levels"]

#: The choices of ``score_humans(adjust=...)`` / ``--human-adjust``.
HUMAN_ADJUSTMENTS: tuple[str, ...] = ("none", "survey_group")


def check_adjust(adjust: str) -> str:
    """``adjust`` if it is one of :data:`HUMAN_ADJUSTMENTS`, else an InputError listing them."""
    if adjust not in HUMAN_ADJUSTMENTS:
        raise InputError(f"adjust must be one of {', '.join(HUMAN_ADJUSTMENTS)}, got {adjust!r}")
    return adjust


def center_on_groups(M: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Item means ``M`` ((I,) or (B, I)) centred on their group's mean, plus the grand mean (NaN ignored).

    ``groups`` (I,): each item's group code. Returns an array of ``M``'s shape (2-d for 2-d input).

    >>> center_on_groups(np.array([4.0, 5.0, 2.0, 3.0]), np.array([0, 0, 1, 1])).tolist()
    [3.0, 4.0, 3.0, 4.0]
    """
    M = np.asarray(M, dtype=float)
    X = np.atleast_2d(M)
    groups = np.asarray(groups)
    if groups.shape != (X.shape[1],):
        raise InputError(f"groups must give one group per item ({X.shape[1]}), got shape {groups.shape}")
    codes, _ = pd.factorize(groups)
    obs = ~np.isnan(X)
    onehot = (codes[:, None] == np.arange(codes.max() + 1)[None, :]).astype(float)  # (I, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = (np.where(obs, X, 0.0) @ onehot) / (obs.astype(float) @ onehot)  # (B, G)
        grand = np.nanmean(np.where(obs, X, np.nan), axis=1, keepdims=True) if X.size else X
    out = X - gmean[:, codes] + grand
    return out if M.ndim > 1 else out[0]


def item_survey_groups(human_ratings: pd.DataFrame, item_ids) -> np.ndarray:
    """(I,) the survey group of each of ``item_ids`` (object array); an InputError if an item has ratings from
    two survey groups or none (the adjustment needs one group per item, as in the release)."""
    if "survey_group" not in human_ratings.columns:
        raise InputError("human_ratings lacks column survey_group; the survey-group adjustment needs the dataset's "
                         "human_ratings config (participant_id, survey_group, item_id, rating)")
    h = human_ratings.dropna(subset=["rating"])
    per_item = h.groupby(h["item_id"].astype(str))["survey_group"].agg(["first", "nunique"])
    ids = [str(i) for i in item_ids]
    several = per_item.index[per_item["nunique"] > 1].tolist()
    missing = [i for i in ids if i not in per_item.index]
    if several or missing:
        raise InputError(f"the survey-group adjustment needs exactly one survey group per item; "
                         f"{'items rated in several groups: ' + str(several[:5]) if several else ''}"
                         f"{'items with no rating: ' + str(missing[:5]) if missing else ''}")
    return per_item.loc[ids, "first"].to_numpy(dtype=object)


def survey_group_levels(human_ratings: pd.DataFrame) -> dict:
    """How much the survey groups differ in scale use: per group ``n_raters``, ``n_items``, ``mean_rating`` (a
    DataFrame under ``groups``) and a one-way ANOVA of the raters' mean ratings across groups (``anova_f``,
    ``anova_p``; ``scipy.stats.f_oneway``). A rater is a (participant, survey group) pair."""
    from scipy.stats import f_oneway

    h = human_ratings.dropna(subset=["rating"])
    rater = h.groupby(["survey_group", "participant_id"])["rating"].mean()
    by_group = h.groupby("survey_group")
    groups = pd.DataFrame({"n_raters": rater.groupby(level=0).size(), "n_items": by_group["item_id"].nunique(),
                           "mean_rating": by_group["rating"].mean()})
    samples = [g.to_numpy(dtype=float) for _, g in rater.groupby(level=0)]
    f, p = f_oneway(*samples) if len(samples) > 1 else (np.nan, np.nan)
    return {"groups": groups, "anova_f": float(f), "anova_p": float(p)}


def adjusted_item_means(human_ratings: pd.DataFrame) -> pd.Series:
    """The human item means (:func:`~valueportrait.scoring.portrait.item_ratings`) centred on their survey
    groups (:func:`center_on_groups`), indexed by item_id."""
    from .portrait import item_ratings

    means = item_ratings(human_ratings[["item_id", "rating"]])
    groups = item_survey_groups(human_ratings, means.index)
    return pd.Series(center_on_groups(means.to_numpy(dtype=float), groups), index=means.index, name="rating")


def survey_group_effect(human_ratings: pd.DataFrame, selection: pd.DataFrame, *, center: bool | str = True
                        ) -> pd.DataFrame:
    """The adjustment's effect on the human row: per (family, dimension) ``score`` (none), ``score_adjusted``
    (survey_group) and ``shift`` = adjusted - none (point estimates)."""
    from .portrait import item_ratings, score_portrait

    plain = score_portrait(item_ratings(human_ratings[["item_id", "rating"]]), selection, center=center)
    adjusted = score_portrait(adjusted_item_means(human_ratings), selection, center=center)
    return pd.DataFrame({"family": plain["family"], "dimension": plain["dimension"], "score": plain["score"],
                         "score_adjusted": adjusted["score"], "shift": adjusted["score"] - plain["score"]})
