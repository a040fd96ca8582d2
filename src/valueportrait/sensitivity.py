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

Any other variant labels work too: the templates are the labels without ``_reversed``; order pairs exist only
where both ``X`` and ``X_reversed`` occur.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .errors import InputError

_REV = "_reversed"


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
    ``mean_pairwise_difference``, ``pairwise_items``. A measure that cannot be computed (e.g. one template
    only) is ``None``.
    """
    m = variant_matrix(ratings)
    variants = [str(v) for v in m.columns]
    templates = [v for v in variants if not v.endswith(_REV)]
    out: dict = {"variants": variants}
    if len(templates) >= 2:
        t = m[templates].dropna()
        vals = t.to_numpy()
        disagree = (vals != vals[:, :1]).any(axis=1)
        out["prompt_sensitivity"] = float(disagree.mean()) if len(vals) else None
        out["prompt_sensitivity_items"] = int(len(vals))
    else:
        out["prompt_sensitivity"] = None
        out["prompt_sensitivity_items"] = 0
    order = {}
    for v in templates:
        if v + _REV in m.columns:
            pair = m[[v, v + _REV]].dropna().to_numpy()
            if len(pair):
                d = np.abs(pair[:, 0] - pair[:, 1])
                order[v] = {"disagree": float((d > 0).mean()), "mean_abs_diff": float(d.mean()), "items": int(len(d))}
    out["order"] = order
    out["order_sensitivity"] = float(np.mean([o["disagree"] for o in order.values()])) if order else None
    out["order_mean_abs_diff"] = float(np.mean([o["mean_abs_diff"] for o in order.values()])) if order else None
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
    """:func:`prompt_sensitivity` per ``model``: one row per model, flat columns."""
    rows = []
    groups = ratings.groupby("model", sort=False) if "model" in ratings else [("model", ratings)]
    for model, g in groups:
        s = prompt_sensitivity(g)
        row = {"model": model, "prompt_sensitivity": s["prompt_sensitivity"],
               "order_sensitivity": s["order_sensitivity"], "order_mean_abs_diff": s["order_mean_abs_diff"],
               "mean_pairwise_difference": s["mean_pairwise_difference"]}
        for v, o in s["order"].items():
            row[f"order_{v}"] = o["disagree"]
        rows.append(row)
    return pd.DataFrame(rows)
