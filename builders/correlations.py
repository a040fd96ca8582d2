"""Item x dimension Spearman correlations from the survey, and the cross-check against the published tables.

For every item and every dimension of the three families, rho / p / n between the item's ratings and the
raters' value scores, among the raters of the item's survey group. Items are processed in blocks of items
that share exactly the same raters (one block per survey group in the real data): each block is ranked once
and all its pairs come out of one matrix product (:func:`valueportrait.spearman.spearman_matrix`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from valueportrait.io import json_safe
from valueportrait.scale import FAMILIES
from valueportrait.spearman import spearman_matrix

#: Two correlations "equal" the published value when they differ by at most this much.
MATCH_TOLERANCE = 1e-12

DIMENSION_COLUMNS: list[tuple[str, str]] = [(f, d) for f, dims in FAMILIES.items() for d in dims]


def compute_correlations(ratings: pd.DataFrame, participants: pd.DataFrame,
                         dimensions: Sequence[tuple[str, str]] = tuple(DIMENSION_COLUMNS)) -> pd.DataFrame:
    """Spearman rho, two-sided p and n for every (item, family, dimension) of ``dimensions`` (default Value
    Portrait's 19; a survey's are its instrument's, :mod:`valueportrait.builders.survey_build`).

    Parameters
    ----------
    ratings : DataFrame with participant_id, survey_group, item_id, rating (the ``human_ratings`` table).
    participants : DataFrame with participant_id and one ``<family>_<dimension>`` column per dimension.

    Returns
    -------
    DataFrame with item_id, family, dimension, rho, p_value, n (rows in the order of items first seen in
    ``ratings``, then families and dimensions in :data:`~valueportrait.scale.FAMILIES` order).
    A participant who rated an item in two survey groups counts once per group, as a separate rater of that
    group's items.
    """
    dimensions = list(dimensions)
    value_cols = [f"{f}_{d}" for f, d in dimensions]
    # Integer codes: items in order of first appearance, raters as (survey group, participant) rows.
    item_codes, item_ids = pd.factorize(ratings["item_id"])
    pid_codes, pids = pd.factorize(ratings["participant_id"], sort=True)
    group = ratings["survey_group"].to_numpy(dtype=np.int64)
    row_codes, row_keys = pd.factorize(group * len(pids) + pid_codes, sort=True)
    row_pid = np.asarray(row_keys) % len(pids)
    wide = np.full((len(row_keys), len(item_ids)), np.nan)
    wide[row_codes, item_codes] = ratings["rating"].to_numpy(dtype=float)
    values = participants.set_index("participant_id").reindex(pids)[value_cols].to_numpy(dtype=float)[row_pid]
    # Items whose rater set is identical form one block (one per survey group in the release).
    mask = ~np.isnan(wide)
    _, block_of = np.unique(np.packbits(mask, axis=0).T, axis=0, return_inverse=True)
    b = len(dimensions)
    rho = np.empty((len(item_ids), b))
    p = np.empty((len(item_ids), b))
    n = np.empty(len(item_ids), dtype=np.int64)
    for block in np.unique(block_of):
        cols = np.flatnonzero(block_of.ravel() == block)
        rows = mask[:, cols[0]]
        rho[cols], p[cols] = spearman_matrix(wide[np.ix_(rows, cols)], values[rows])
        n[cols] = rows.sum()
    a = len(item_ids)
    return pd.DataFrame(
        {
            "item_id": np.repeat(np.asarray(item_ids, dtype=object), b),
            "family": np.tile(np.array([f for f, _ in dimensions], dtype=object), a),
            "dimension": np.tile(np.array([d for _, d in dimensions], dtype=object), a),
            "rho": rho.ravel(),
            "p_value": p.ravel(),
            "n": np.repeat(n, b),
        }
    )


def merge_published(computed: pd.DataFrame, published: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``rho_published`` and ``p_value_published`` (NaN where the release has no value) to ``computed``."""
    out = computed.copy()
    if published is None:
        out["rho_published"] = np.nan
        out["p_value_published"] = np.nan
        return out
    pub = published.rename(columns={"rho": "rho_published", "p_value": "p_value_published"})
    merged = out.merge(pub, on=["item_id", "family", "dimension"], how="left", validate="one_to_one")
    return merged


@dataclass
class FamilyCheck:
    """How the computed correlations of one family compare with the published ones."""

    family: str
    pairs: int
    published_pairs: int
    equal_pairs: int
    max_abs_diff_rho: float
    max_abs_diff_p: float


@dataclass
class CrossCheck:
    """Summary of computed vs published correlations."""

    tolerance: float
    families: list[FamilyCheck]
    differing_groups: list[int]
    groups_total: int
    multi_group_participants: dict[str, list[int]] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return any(f.published_pairs for f in self.families)

    def to_dict(self) -> dict:
        return {
            "tolerance": self.tolerance,
            "families": [json_safe(vars(f)) for f in self.families],
            "differing_survey_groups": self.differing_groups,
            "survey_groups": self.groups_total,
            "multi_group_participants": self.multi_group_participants,
        }


def cross_check(correlations: pd.DataFrame, ratings: pd.DataFrame, tolerance: float = MATCH_TOLERANCE) -> CrossCheck:
    """Compare ``rho``/``p_value`` with ``rho_published``/``p_value_published`` (see :func:`merge_published`).

    A pair is equal when both rho and p differ by at most ``tolerance``. A survey group "differs" when any of
    its items has a pair that is not equal.
    """
    d_rho = (correlations["rho"] - correlations["rho_published"]).abs()
    d_p = (correlations["p_value"] - correlations["p_value_published"]).abs()
    has_pub = correlations["rho_published"].notna()
    equal = has_pub & (d_rho <= tolerance) & (d_p <= tolerance)
    fams = []
    for family in FAMILIES:
        m = (correlations["family"] == family).to_numpy()
        pub = has_pub[m]
        fams.append(
            FamilyCheck(
                family=family,
                pairs=int(m.sum()),
                published_pairs=int(pub.sum()),
                equal_pairs=int(equal[m].sum()),
                max_abs_diff_rho=float(d_rho[m][pub].max()) if pub.any() else float("nan"),
                max_abs_diff_p=float(d_p[m][pub].max()) if pub.any() else float("nan"),
            )
        )
    item_group = ratings.drop_duplicates("item_id").set_index("item_id")["survey_group"]
    bad_items = correlations.loc[has_pub & ~equal, "item_id"].unique()
    differing = sorted({int(item_group[i]) for i in bad_items})
    groups_of = ratings.drop_duplicates(["participant_id", "survey_group"]).groupby("participant_id")["survey_group"]
    multi = {pid: sorted(int(g) for g in gs) for pid, gs in groups_of if len(gs) > 1}
    return CrossCheck(tolerance, fams, differing, int(ratings["survey_group"].nunique()), multi)
