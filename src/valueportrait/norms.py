"""Each demographic group's norms: its portrait on the benchmark's scale (with a rater-bootstrap CI) and its
questionnaire (PVQ-21 / BFI-10) means, per attribute x group: the ``human_group_norms`` config.

The group's item means are scored like a model's ratings (:func:`valueportrait.scoring.group_portrait_replicates`,
the one scorer and the one rater definition); groups with fewer than ``min_raters`` raters get a null row with a
note saying why.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .demographics import MIN_RATERS, Demographics, check_participants
from .scale import DIMENSIONS
from .schema import NORMS_COLUMNS, NORMS_TYPES
from .scoring import Design, group_portrait_replicates, percentile_ci, rater_matrix, score_matrix

__all__ = ["NORMS_COLUMNS", "NORMS_TYPES", "demographics_build_info", "group_seed", "human_group_norms"]

def group_seed(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one (attribute, group, ...) that does not depend on the order groups are visited."""
    return np.random.default_rng([int(seed), *(zlib.crc32(str(x).encode("utf-8")) for x in labels)])


def human_group_norms(data, demo: Demographics, *, attributes: Sequence[str] | None = None,
                      selection: pd.DataFrame | None = None, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                      min_raters: int = MIN_RATERS) -> pd.DataFrame:
    """Per attribute x group x dimension: the group's benchmark portrait (with CI) and instrument norms.

    Parameters
    ----------
    data : ValuePortraitData
        Gives ``human_ratings``, ``participants`` and (unless ``selection`` is given) the selection.
    demo : Demographics
    attributes : list of str, optional
        Default: all of ``demo.attributes``.
    selection : DataFrame, optional
        ``item_id, family, dimension, key``; default ``data.selection()``.
    n_boot, confidence, seed : bootstrap replicates over raters, interval level, seed (results are reproducible).
    min_raters : int
        Groups with fewer raters get NaN values and a ``note``.

    Returns
    -------
    DataFrame
        Columns :data:`NORMS_COLUMNS`, one row per attribute x group x (family, dimension) in FAMILIES order.
        ``df.attrs`` holds ``{"n_boot", "ci", "seed", "min_raters"}``.

    Notes
    -----
    For group *G* of attribute *a* with :math:`n_G` raters:

    * ``score``, ``raw_mean``: the group's item means scored like a model (see
      :func:`group_portrait_replicates`); ``n_items`` = rated items of the dimension;
    * ``score_ci_low``/``score_ci_high``: percentile interval of ``n_boot`` stratified rater-bootstrap replicates;
    * ``instrument_mean`` = :math:`\\frac{1}{n}\\sum_{j\\in G} s_{jd}`, ``instrument_sd`` = sample sd
      (ddof 1) of the members' questionnaire scores :math:`s_{jd}` (the ``participants`` columns
      ``<family>_<dimension>``), ``instrument_n`` = members with a score.

    A group with :math:`n_G <` ``min_raters`` gets NaN in every value column and a note.
    """
    selection = data.selection() if selection is None else selection
    attributes = list(demo.attributes if attributes is None else attributes)
    demo = check_participants(demo, data.participants["participant_id"].tolist())
    design = Design.from_selection(selection, data.items["item_id"].tolist())
    all_raters = rater_matrix(data.human_ratings, design.item_ids)
    parts = data.participants.set_index("participant_id")
    inst_cols = [f"{f}_{d}" for f, d in DIMENSIONS]
    rows = []
    for attr in attributes:
        for group, members in demo.groups(attr).items():
            raters = all_raters.subset(members)
            n = raters.n_participants
            base = {"attribute": attr, "group": group, "n_raters": n}
            if n < min_raters:
                note = (f"fewer than {min_raters} raters ({n}): too few for group norms; "
                        "values left empty")
                rows += [{**base, "family": f, "dimension": d, "note": note} for f, d in DIMENSIONS]
                continue
            point, boot = group_portrait_replicates(raters, design, n_boot, group_seed(seed, attr, group))
            lo, hi = percentile_ci(boot, confidence)
            means = raters.item_means()
            raw = score_matrix(means, design).raw_mean
            rated = ~np.isnan(means[0])
            n_items_dim = ((design.pos + design.neg) * rated).sum(axis=1).astype(int)
            inst = parts.loc[parts.index.intersection(members), inst_cols]
            for k, (f, d) in enumerate(DIMENSIONS):
                col = inst.iloc[:, k].dropna()
                rows.append({**base, "family": f, "dimension": d, "score": point[k], "score_ci_low": lo[k],
                             "score_ci_high": hi[k], "raw_mean": raw[0, k], "n_items": int(n_items_dim[k]),
                             "instrument_mean": float(col.mean()) if len(col) else np.nan,
                             "instrument_sd": float(col.std(ddof=1)) if len(col) > 1 else np.nan,
                             "instrument_n": len(col),
                             "note": None if n_items_dim[k] else "no rated item measures this dimension"})
    out = pd.DataFrame(rows, columns=list(NORMS_COLUMNS))
    for c in ("n_items", "instrument_n"):
        out[c] = out[c].fillna(0)
    out = out.astype({c: "str" if t == "string" else t for c, t in NORMS_TYPES.items()})
    out.attrs = {"n_boot": n_boot, "ci": confidence, "seed": seed, "min_raters": min_raters}
    return out


def demographics_build_info(demo: Demographics, participants: pd.DataFrame, norms: pd.DataFrame) -> dict:
    """The ``demographics`` entry of ``build_info.json``: attributes, groups, matching, norms settings.

    No participant-level value is included, only group labels and counts.
    """
    known = set(participants["participant_id"])
    matched = int(demo.table["participant_id"].isin(known).sum())
    return {
        "source_file": Path(demo.source).name,
        "attributes": list(demo.attributes),
        "groups": {a: {g: len(set(ids) & known) for g, ids in demo.groups(a).items()} for a in demo.attributes},
        "participants_matched": matched,
        "participants_total": len(known),
        "norms": dict(norms.attrs),
    }
