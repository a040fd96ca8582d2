"""The human raters scored like a model: the "human raters" row of every leaderboard and the group norms.

Each item's human rating is the mean over the raters who rated it; that vector of item means goes through the
same scorer as a model's ratings (:func:`~valueportrait.scoring.engine.score_matrix`). Uncertainty comes from
the raters: each bootstrap replicate redraws the raters of every survey group with replacement (the one rater
definition of :mod:`~valueportrait.scoring.resample`), recomputes the item means and rescores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Intervals
from ..errors import InputError
from ..instrument import Instrument
from .adjust import adjusted_item_means, center_on_groups, check_adjust, item_survey_groups
from .design import Design
from .engine import score_matrix
from .portrait import item_ratings, score_portrait, with_intervals
from .intervals import CI_METHODS, HUMAN_CI_UNITS, UnitSE, check_ci_over, combine, jackknife_se, with_unit
from .resample import RaterMatrix, check_settings, rater_matrix, rater_weights, replicate_se
from .strata import item_strata_scale, merge_single_rater_strata, rescale_replicates

__all__ = ["HUMAN_MODEL", "group_portrait_replicates", "group_replicate_means", "human_item_ratings", "score_humans"]

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


def group_replicate_means(raters: RaterMatrix, n_boot: int, rng: np.random.Generator
                          ) -> tuple[np.ndarray, np.ndarray, str | None]:
    r"""A rater group's item means (1, I), ``n_boot`` rater-bootstrap replicates of them (B, I), and a caveat.

    Raters are redrawn within survey groups after single-rater strata are merged, and the replicates get the
    small-sample correction :math:`\sqrt{n_h/(n_h-1)}` (:mod:`valueportrait.scoring.strata`); the caveat says
    what was merged (None when nothing was).
    """
    strata, caveat = merge_single_rater_strata(raters.strata)
    mean = raters.item_means()
    reps = raters.item_means(rater_weights(strata, n_boot, rng))
    return mean, rescale_replicates(mean, reps, item_strata_scale(raters.ratings, strata)), caveat


def group_portrait_replicates(raters: RaterMatrix, design: Design, n_boot: int, rng: np.random.Generator, *,
                              center: bool = True, item_groups: np.ndarray | None = None
                              ) -> tuple[np.ndarray, np.ndarray]:
    """A rater group's portrait (D,) and ``n_boot`` rater-bootstrap replicates of it (B, D).

    Notes
    -----
    The group's item means :math:`\\bar r_i = \\operatorname{mean}_{j \\in G,\\ r_{ji} \\ne \\text{NA}}\\, r_{ji}`
    are scored like a model's. A replicate draws the group's raters with replacement within their survey groups,
    recomputes the item means (a rater drawn *k* times counts *k* times; :func:`group_replicate_means`: small
    strata merged, small-sample correction) and scores them. With ``item_groups``
    ((I,) survey group of each item) the item means of the point and of every replicate are centred on their
    group's mean first (:func:`~valueportrait.scoring.adjust.center_on_groups`).
    """
    if raters.item_ids != design.item_ids:
        raise InputError("the rater matrix and the design cover different items; build both over the same item ids")

    def adjusted(M: np.ndarray) -> np.ndarray:
        return M if item_groups is None else center_on_groups(M, item_groups)

    mean, reps, _ = group_replicate_means(raters, max(n_boot, 0), rng)
    point = score_matrix(adjusted(mean), design, center=center).score[0]
    if n_boot <= 0:
        return point, np.empty((0, len(design.dimensions)))
    return point, score_matrix(adjusted(reps), design, center=center).score


def score_humans(human_ratings: pd.DataFrame, selection: pd.DataFrame, *,
                 intervals: Intervals = Intervals(over="raters"), center: bool = True, min_items: int = 1,
                 adjust: str = "none", instrument: Instrument | None = None) -> pd.DataFrame:
    """The human raters' portrait with intervals at ``intervals.level`` over ``intervals.over``
    (:data:`~.intervals.HUMAN_CI_UNITS` values):

    * ``raters`` (default): percentile CIs of a stratified bootstrap over raters (``intervals.n_boot``
      replicates, ``intervals.seed``; ``n_boot=0`` skips the intervals);
    * ``items``: delete-one-item jackknife of the human item means, :math:`t_{n_d - 1}` interval (as a model's
      ``ci_over="items"``);
    * ``items+raters``: the two variances added (the bootstrap's with infinite degrees of freedom),
      Welch-Satterthwaite degrees of freedom.

    ``adjust="survey_group"`` centres each item mean on its survey group's mean first
    (:mod:`valueportrait.scoring.adjust`; recomputed in every rater replicate; the item jackknife deletes items
    of the adjusted means); ``"none"`` (default) does not. ``instrument``: whose dimensions and scale (default
    Value Portrait's).

    Returns
    -------
    DataFrame
        As :func:`~valueportrait.scoring.portrait.score_portrait`, plus ``ci_low, ci_high, se`` and ``ci_over``
        (and ``df`` for the t intervals).
    """
    ci_over, n_boot, confidence, seed = intervals.over, intervals.n_boot, intervals.level, intervals.seed
    check_ci_over(ci_over, tuple(HUMAN_CI_UNITS.values()))
    check_settings(n_boot, confidence, min_items)
    adjusted = check_adjust(adjust) == "survey_group"
    means = adjusted_item_means(human_ratings) if adjusted else item_ratings(human_ratings[["item_id", "rating"]])
    out = score_portrait(means, selection, center=center, min_items=min_items, instrument=instrument)
    chosen = set(selection["item_id"].astype(str))
    items = [i for i in means.index if i in chosen]
    design = Design.from_selection(selection, items, instrument)
    n_dims = len(design.dimensions)
    reps = np.empty((0, n_dims))
    if n_boot > 0 and ci_over != "items":
        boot_items = list(means.index) if adjusted else items  # the group means need every item
        groups = item_survey_groups(human_ratings, boot_items) if adjusted else None
        _, reps = group_portrait_replicates(rater_matrix(human_ratings, boot_items),
                                            Design.from_selection(selection, boot_items, instrument), n_boot,
                                            np.random.default_rng(seed), center=center, item_groups=groups)
    if ci_over == "raters":
        return with_intervals(out, reps, confidence).assign(ci_over=ci_over, ci_method=CI_METHODS[ci_over])
    unit = jackknife_se([means[items].to_numpy(dtype=float)], design, center=center)
    if ci_over == "items+raters":
        boot = UnitSE(replicate_se(reps), np.full(n_dims, np.inf), [None] * n_dims)
        unit = combine(unit, boot)
    return with_unit(out, unit, confidence, ci_over)
