"""How much a model's answers depend on the prompt: template and option-order sensitivity.

As in the paper's robustness analysis (Han et al. 2025, Sec. 5), per model, on the per-item ratings under each
prompt variant (``v1``, ``v1_reversed``, ..., ``v3_reversed``; several ratings of one item under one variant
are averaged first):

* **prompt sensitivity**: share of items whose ratings under the templates ``v1``, ``v2``, ``v3`` do not all
  agree (items rated under all of them);
* **order sensitivity** per template ``vX``: share of items rated differently under ``vX`` and ``vX_reversed``
  (options listed in reverse order), and the mean absolute difference; ``order_sensitivity`` is their average;
* **mean pairwise difference**: per item, the mean of :math:`|r_a - r_b|` over all pairs of variants that
  rated it, averaged over items.

* **rank agreement**: Spearman's rho between the item ratings of two variants (``order[vX]["rank_agreement"]``
  for ``vX`` vs ``vX_reversed``; ``prompt_rank_agreement``: the mean over the pairs of templates), and the mean
  absolute difference: the measures that mean something for continuous ratings too.

Continuous ratings (the expected values of the log-likelihood backends, any rating not a whole number) are
never exactly equal between two prompts, so exact disagreement would read 1.000 for every such run. For them
(``continuous: True``) two ratings disagree when they differ by more than :data:`CONTINUOUS_TOLERANCE` (half a
scale point: the distance at which rounding could tell them apart), and the rank agreement and mean absolute
difference are the figures to read.

Any other variant labels work too: the templates are the labels without ``_reversed``; order pairs exist only
where both ``X`` and ``X_reversed`` occur.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .errors import InputError

_REV = "_reversed"
#: Two continuous ratings disagree when they differ by more than this (half a scale point).
CONTINUOUS_TOLERANCE = 0.5


def _rank_agreement(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho of two rating vectors (None with fewer than 3 items or a constant one)."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def variant_matrix(ratings: pd.DataFrame) -> pd.DataFrame:
    """Items x variants of mean valid ratings (NaN where a variant gave none)."""
    missing = [c for c in ("item_id", "variant", "rating") if c not in ratings.columns]
    if missing:
        raise InputError(f"prompt sensitivity needs columns item_id, variant, rating; missing {missing}")
    r = ratings[ratings["variant"].notna()]
    return r.pivot_table(index="item_id", columns="variant", values="rating", aggfunc="mean").sort_index(axis=1)


def prompt_sensitivity(ratings: pd.DataFrame) -> dict:
    """Sensitivity measures of one model's ratings (see the module docstring).

    Returns a JSON-serialisable dict: ``variants``, ``prompt_sensitivity``, ``prompt_sensitivity_items``,
    ``order_sensitivity`` (average over templates), ``order`` {template: {disagree, mean_abs_diff, items}},
    ``mean_pairwise_difference``, ``pairwise_items``, ``prompt_rank_agreement``, ``order_rank_agreement``,
    ``continuous``, ``disagree_above`` (the difference above which two ratings disagree: 0, or 0.5 for
    continuous ratings). A measure that cannot be computed (e.g. one template only) is ``None``.
    """
    m = variant_matrix(ratings)
    variants = [str(v) for v in m.columns]
    templates = [v for v in variants if not v.endswith(_REV)]
    values = m.to_numpy()
    continuous = bool(np.any(np.abs(values[~np.isnan(values)] - np.round(values[~np.isnan(values)])) > 1e-9))
    tol = CONTINUOUS_TOLERANCE if continuous else 0.0
    out: dict = {"variants": variants, "continuous": continuous, "disagree_above": tol}
    if len(templates) >= 2:
        t = m[templates].dropna()
        vals = t.to_numpy()
        disagree = (np.abs(vals - vals[:, :1]) > tol).any(axis=1)
        out["prompt_sensitivity"] = float(disagree.mean()) if len(vals) else None
        out["prompt_sensitivity_items"] = int(len(vals))
        rhos = [_rank_agreement(vals[:, a], vals[:, b]) for a, b in combinations(range(len(templates)), 2)]
        rhos = [r for r in rhos if r is not None]
        out["prompt_rank_agreement"] = float(np.mean(rhos)) if rhos else None
    else:
        out["prompt_sensitivity"] = None
        out["prompt_sensitivity_items"] = 0
        out["prompt_rank_agreement"] = None
    order = {}
    for v in templates:
        if v + _REV in m.columns:
            pair = m[[v, v + _REV]].dropna().to_numpy()
            if len(pair):
                d = np.abs(pair[:, 0] - pair[:, 1])
                order[v] = {"disagree": float((d > tol).mean()), "mean_abs_diff": float(d.mean()), "items": int(len(d)),
                            "rank_agreement": _rank_agreement(pair[:, 0], pair[:, 1])}
    out["order"] = order
    out["order_sensitivity"] = float(np.mean([o["disagree"] for o in order.values()])) if order else None
    out["order_mean_abs_diff"] = float(np.mean([o["mean_abs_diff"] for o in order.values()])) if order else None
    agree = [o["rank_agreement"] for o in order.values() if o["rank_agreement"] is not None]
    out["order_rank_agreement"] = float(np.mean(agree)) if agree else None
    vals = m.to_numpy()
    if vals.shape[1] >= 2:
        diffs = np.stack([np.abs(vals[:, a] - vals[:, b]) for a, b in combinations(range(vals.shape[1]), 2)], axis=1)
        ok = ~np.isnan(diffs)
        per_item = np.where(ok.any(axis=1), np.nansum(diffs, axis=1) / np.maximum(ok.sum(axis=1), 1), np.nan)
        n = int((~np.isnan(per_item)).sum())
        out["mean_pairwise_difference"] = float(np.nanmean(per_item)) if n else None
        out["pairwise_items"] = n
    else:
        out["mean_pairwise_difference"] = None
        out["pairwise_items"] = 0
    return out


def sensitivity_table(ratings: pd.DataFrame) -> pd.DataFrame:
    """:func:`prompt_sensitivity` per ``model``: one row per model, flat columns (``prompt_rank_agreement`` and
    ``order_rank_agreement`` too when a model's ratings are continuous; its shares then count differences above
    :data:`CONTINUOUS_TOLERANCE`)."""
    rows = []
    groups = ratings.groupby("model", sort=False) if "model" in ratings else [("model", ratings)]
    for model, g in groups:
        s = prompt_sensitivity(g)
        row = {"model": model, "prompt_sensitivity": s["prompt_sensitivity"],
               "order_sensitivity": s["order_sensitivity"], "order_mean_abs_diff": s["order_mean_abs_diff"],
               "mean_pairwise_difference": s["mean_pairwise_difference"]}
        if s["continuous"]:  # where exact disagreement means nothing: the rank agreements (columns added below)
            row |= {"prompt_rank_agreement": s["prompt_rank_agreement"],
                    "order_rank_agreement": s["order_rank_agreement"]}
        for v, o in s["order"].items():
            row[f"order_{v}"] = o["disagree"]
        rows.append(row)
    return pd.DataFrame(rows)
