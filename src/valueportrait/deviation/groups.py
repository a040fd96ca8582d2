"""The human side of a comparison: one :class:`HumanGroup` per (attribute, group) a persona names.

Two sources give the same kind of entry, so the rest of the comparison does not care which it got:

* :func:`rater_groups`: the group's raters in the dataset (demographics joined to the participants): the
  group portrait, a stratified rater bootstrap, the raters themselves (for the permutation test of a gap)
  and the rating counts per item (for the distribution alignment);
* :func:`norm_groups`: a norms table (the ``human_group_norms`` schema): the group portrait and replicates
  drawn from the normal approximation its CI implies; no raters, no counts.

A group too small, or with no scores, gets a ``note`` instead of statistics (a documented null).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..demographics import Demographics
from ..norms import group_seed
from ..scale import DIMENSIONS
from ..scoring import Design, RaterMatrix, group_replicate_means, rater_matrix, score_matrix
from ..settings import Intervals
from .distributions import rating_distributions
from .units import NO_CI_NORMS

__all__ = ["HumanGroup", "no_spread", "norm_groups", "rater_groups", "too_few_raters"]

#: (attribute, group)
GroupKey = tuple[str, str]


@dataclass(frozen=True)
class HumanGroup:
    """One human group's side of the comparison.

    Attributes
    ----------
    n : int
        People in the group (distinct participants; 0 when a norms table does not say).
    note : str or None
        Set when the group has no portrait (too few raters, no scores); then everything below is None.
    point : ndarray (D,), boot : ndarray (B, D)
        The group portrait and its bootstrap replicates (raters resampled; the human CIs).
    shared : ndarray (B, D) or None
        Replicates that redraw the raters *and* reuse the model's item draws (replicate *b* scored with the
        model's item weights of replicate *b*): what the deviation, agreement and bias-index intervals pair with
        the model's replicates. None for a norms table (no item-level ratings: ``boot`` is used).
    caveat : str or None
        What a reader of the group's intervals should know (single-rater strata merged; no spread).
    raters : RaterMatrix or None
        The raters themselves (rater source only; a rater is a participant x survey group): the permutation
        test of a gap relabels them.
    counts : ndarray (I, K) or None
        Rating counts per item (rater source only): the distribution alignment compares them.
    """

    n: int
    note: str | None = None
    point: np.ndarray | None = None
    boot: np.ndarray | None = None
    raters: RaterMatrix | None = None
    counts: np.ndarray | None = None
    shared: np.ndarray | None = None
    caveat: str | None = None


def too_few_raters(n: int, min_raters: int) -> str:
    """The note of a group with fewer than ``min_raters`` raters."""
    return f"fewer than {min_raters} raters ({n}): too few for a group portrait; no statistics"


def rater_groups(human_ratings: pd.DataFrame, demo: Demographics, keys: Sequence[GroupKey], design: Design,
                 *, intervals: Intervals, min_raters: int, item_weights: np.ndarray | None = None,
                 item_mask: np.ndarray | None = None) -> dict[GroupKey, HumanGroup]:
    """The groups ``keys`` from the dataset's raters, each with its own rater bootstrap (``intervals.n_boot``
    replicates).

    Each group's bootstrap is seeded by (``intervals.seed``, attribute, group) (:func:`valueportrait.norms.group_seed`),
    so a group's replicates do not depend on which other groups are compared. Raters are redrawn within survey
    groups; single-rater strata are merged first and the replicate item means get the small-sample correction
    (:mod:`valueportrait.scoring.strata`). ``item_mask`` ((I,) in ``design`` order): the items the model rated,
    the only ones the group is scored on; ``item_weights`` ((B, I)): the model's item draws, reused for
    :attr:`HumanGroup.shared`.
    """
    n_boot, seed = intervals.n_boot, intervals.seed
    items = list(design.item_ids)
    all_raters = rater_matrix(human_ratings, items)
    mask = None if item_mask is None else np.asarray(item_mask, dtype=float)[None, :]
    out: dict[GroupKey, HumanGroup] = {}
    for attr, group in keys:
        raters = all_raters.subset(demo.groups(attr)[group])
        n = raters.n_participants
        if n < min_raters:
            out[(attr, group)] = HumanGroup(n, note=too_few_raters(n, min_raters), raters=raters)
            continue
        mean, reps, caveat = group_replicate_means(raters, n_boot, group_seed(seed, attr, group))
        point = score_matrix(mean, design, mask).score[0]
        boot = score_matrix(reps, design, mask).score if n_boot > 0 else np.empty((0, len(DIMENSIONS)))
        shared = (score_matrix(reps, design, item_weights).score if item_weights is not None and n_boot > 0
                  else boot)
        caveat = _join(caveat, no_spread(point, shared))
        rows = raters.ratings.shape[0]
        counts = rating_distributions(np.repeat(np.array(items, dtype=object)[None, :], rows, axis=0).ravel(),
                                      raters.ratings.ravel(), items)[0]
        out[(attr, group)] = HumanGroup(n, point=point, boot=boot, raters=raters, counts=counts, shared=shared,
                                        caveat=caveat)
    return out


def no_spread(point: np.ndarray, reps: np.ndarray) -> str | None:
    """A caveat naming the dimensions whose replicates (two or more) are all equal although the score is not
    null: their interval would be zero-width, which is no statement of certainty."""
    if reps.shape[0] < 2:
        return None
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: a dimension no replicate scored
        flat = (np.nanmax(reps, axis=0) - np.nanmin(reps, axis=0) <= 1e-12) & np.isfinite(point)
    if not flat.any():
        return None
    names = [d for (_, d), f in zip(DIMENSIONS, flat) if f]
    return (f"the rater bootstrap has no spread for {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}: "
            "its zero-width interval is not a measure of certainty (too few raters per survey group)")


def _exact_norms(point: np.ndarray, sd: np.ndarray, has_ci: bool) -> str | None:
    """The caveat of norms taken as exact: no CI columns, or no (or a zero-width) CI for some dimensions."""
    if not has_ci:
        return NO_CI_NORMS
    flat = np.isfinite(point) & ~(np.nan_to_num(sd) > 0)
    if not flat.any():
        return None
    names = [d for (_, d), f in zip(DIMENSIONS, flat) if f]
    return (f"the norms table gives no CI (or a zero-width one) for {', '.join(names[:5])}"
            f"{' ...' if len(names) > 5 else ''}: taken as exact, so the human interval there is zero-width and "
            "the deviation's interval carries the model's uncertainty only")


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def norm_groups(norms: pd.DataFrame, keys: Sequence[GroupKey], *, n_boot: int, seed: int, confidence: float,
                min_raters: int | None, item_weights: np.ndarray | None = None,
                item_mask: np.ndarray | None = None) -> dict[GroupKey, HumanGroup]:
    r"""The groups ``keys`` from a norms table.

    Notes
    -----
    Without raters, the human score's sampling distribution is approximated as normal with
    :math:`\sigma_d = (\text{hi}_d - \text{lo}_d) / (2 z)`, :math:`z = \Phi^{-1}(1 - (1-\text{confidence})/2)`,
    independently per dimension: replicate *b* is :math:`s^H_d + \sigma_d \varepsilon_{bd}`,
    :math:`\varepsilon \sim N(0, 1)` (seeded by (seed, attribute, group, "norms")). Without CI columns the human
    scores are taken as exact (:math:`\sigma_d = 0`). With ``min_raters`` and an ``n_raters`` column, a group
    with fewer raters gets a note; so does a group whose scores are all missing (the table's own ``note`` if
    it has one). ``item_weights`` / ``item_mask`` are accepted for the shape of :func:`rater_groups` and
    unused: a norms table has no item-level ratings, so its replicates cannot share the model's item draws.
    """
    from scipy.stats import norm as normal

    z = normal.ppf(1 - (1 - confidence) / 2)
    has_ci = {"score_ci_low", "score_ci_high"} <= set(norms.columns)
    out: dict[GroupKey, HumanGroup] = {}
    for attr, group in keys:
        g = norms[(norms["attribute"] == attr) & (norms["group"].astype(str) == group)]
        g = g.set_index(["family", "dimension"]).reindex(list(DIMENSIONS))
        counted = "n_raters" in g and g["n_raters"].notna().any()
        n = int(g["n_raters"].max()) if counted else 0
        point = g["score"].to_numpy(dtype=float)
        if min_raters is not None and counted and n < min_raters:
            out[(attr, group)] = HumanGroup(n, note=too_few_raters(n, min_raters))
            continue
        if np.isnan(point).all():
            given = g["note"].dropna() if "note" in g else pd.Series(dtype=str)
            out[(attr, group)] = HumanGroup(n, note=given.iloc[0] if len(given) else
                                            "the norms table has no score for this group")
            continue
        sd = ((g["score_ci_high"] - g["score_ci_low"]).to_numpy(dtype=float) / (2 * z) if has_ci
              else np.zeros(len(point)))
        rng = group_seed(seed, attr, group, "norms")
        boot = point + np.nan_to_num(sd) * rng.standard_normal((n_boot, len(point)))
        out[(attr, group)] = HumanGroup(n, point=point, boot=boot, caveat=_exact_norms(point, sd, has_ci))
    return out
