"""Item x dimension Spearman correlations from the survey, and the cross-check against the published tables.

For every item and every dimension of the three families, rho / p / n between the item's ratings and the
raters' value scores, among the raters of the item's survey group. Items are processed in blocks of items
that share exactly the same raters (one block per survey group in the real data): each block is ranked once
and all its pairs come out of one matrix product (:func:`valueportrait.spearman.spearman_matrix`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from valueportrait.dimensions import FAMILIES
from valueportrait.spearman import spearman_matrix

#: Two correlations "equal" the published value when they differ by at most this much.
MATCH_TOLERANCE = 1e-12

DIMENSION_COLUMNS: list[tuple[str, str]] = [(f, d) for f, dims in FAMILIES.items() for d in dims]


def compute_correlations(ratings: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Spearman rho, two-sided p and n for every (item, family, dimension).

    Parameters
    ----------
    ratings : DataFrame with participant_id, survey_group, item_id, rating (the ``human_ratings`` table).
    participants : DataFrame with participant_id and one ``<family>_<dimension>`` column per dimension.

    Returns
    -------
    DataFrame with item_id, family, dimension, rho, p_value, n (rows in the order of items first seen in
    ``ratings``, then families and dimensions in :data:`~valueportrait.dimensions.FAMILIES` order).
    A participant who rated an item in two survey groups counts once per group, as a separate rater of that
    group's items.
    """
    value_cols = [f"{f}_{d}" for f, d in DIMENSION_COLUMNS]
    values = participants.set_index("participant_id")[value_cols]
    # One row per (survey group, participant) and one column per item: the group's rating matrix.
    wide = ratings.pivot_table(index=["survey_group", "participant_id"], columns="item_id", values="rating",
                               aggfunc="first", sort=True)
    item_order = list(dict.fromkeys(ratings["item_id"]))
    frames = []
    # Items whose rater set is identical form one block.
    mask = wide.notna().to_numpy()
    signatures: dict[bytes, list[int]] = {}
    for j in range(mask.shape[1]):
        signatures.setdefault(np.packbits(mask[:, j]).tobytes(), []).append(j)
    for cols in signatures.values():
        rows = mask[:, cols[0]]
        block = wide.iloc[rows, cols]
        raters = block.index.get_level_values("participant_id")
        x = block.to_numpy(dtype=float)
        y = values.loc[raters].to_numpy(dtype=float)
        rho, p = spearman_matrix(x, y)
        a, b = rho.shape
        frames.append(
            pd.DataFrame(
                {
                    "item_id": np.repeat(block.columns.to_numpy(dtype=object), b),
                    "family": np.tile([f for f, _ in DIMENSION_COLUMNS], a),
                    "dimension": np.tile([d for _, d in DIMENSION_COLUMNS], a),
                    "rho": rho.ravel(),
                    "p_value": p.ravel(),
                    "n": np.full(a * b, len(raters), dtype=np.int64),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    order = {iid: k for k, iid in enumerate(item_order)}
    dim_order = {fd: k for k, fd in enumerate(DIMENSION_COLUMNS)}
    key = out["item_id"].map(order) * len(dim_order) + [dim_order[fd] for fd in zip(out["family"], out["dimension"])]
    return out.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)


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
            "families": [{k: (None if isinstance(v, float) and v != v else v) for k, v in vars(f).items()}
                         for f in self.families],
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
