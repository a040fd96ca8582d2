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

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..demographics import Demographics
from ..norms import group_seed
from ..scale import DIMENSIONS
from ..scoring import Design, RaterMatrix, group_portrait_replicates, rater_matrix
from .distributions import rating_distributions

__all__ = ["HumanGroup", "norm_groups", "rater_groups", "too_few_raters"]

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
        The group portrait and its bootstrap replicates.
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


def too_few_raters(n: int, min_raters: int) -> str:
    """The note of a group with fewer than ``min_raters`` raters."""
    return f"fewer than {min_raters} raters ({n}): too few for a group portrait; no statistics"


def rater_groups(human_ratings: pd.DataFrame, demo: Demographics, keys: Sequence[GroupKey], design: Design,
                 *, n_boot: int, seed: int, min_raters: int) -> dict[GroupKey, HumanGroup]:
    """The groups ``keys`` from the dataset's raters, each with its own rater bootstrap.

    Each group's bootstrap is seeded by (seed, attribute, group) (:func:`valueportrait.demographics.group_seed`),
    so a group's replicates do not depend on which other groups are compared.
    """
    items = list(design.item_ids)
    all_raters = rater_matrix(human_ratings, items)
    out: dict[GroupKey, HumanGroup] = {}
    for attr, group in keys:
        raters = all_raters.subset(demo.groups(attr)[group])
        n = raters.n_participants
        if n < min_raters:
            out[(attr, group)] = HumanGroup(n, note=too_few_raters(n, min_raters), raters=raters)
            continue
        point, boot = group_portrait_replicates(raters, design, n_boot, group_seed(seed, attr, group))
        rows = raters.ratings.shape[0]
        counts = rating_distributions(np.repeat(np.array(items, dtype=object)[None, :], rows, axis=0).ravel(),
                                      raters.ratings.ravel(), items)[0]
        out[(attr, group)] = HumanGroup(n, point=point, boot=boot, raters=raters, counts=counts)
    return out


def norm_groups(norms: pd.DataFrame, keys: Sequence[GroupKey], *, n_boot: int, seed: int, confidence: float,
                min_raters: int | None) -> dict[GroupKey, HumanGroup]:
    r"""The groups ``keys`` from a norms table.

    Notes
    -----
    Without raters, the human score's sampling distribution is approximated as normal with
    :math:`\sigma_d = (\text{hi}_d - \text{lo}_d) / (2 z)`, :math:`z = \Phi^{-1}(1 - (1-\text{confidence})/2)`,
    independently per dimension: replicate *b* is :math:`s^H_d + \sigma_d \varepsilon_{bd}`,
    :math:`\varepsilon \sim N(0, 1)` (seeded by (seed, attribute, group, "norms")). Without CI columns the human
    scores are taken as exact (:math:`\sigma_d = 0`). With ``min_raters`` and an ``n_raters`` column, a group
    with fewer raters gets a note; so does a group whose scores are all missing (the table's own ``note`` if
    it has one).
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
        out[(attr, group)] = HumanGroup(n, point=point, boot=boot)
    return out
