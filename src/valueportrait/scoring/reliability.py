"""Reliability of a model's portrait, from its item x prompt-variant ratings.

On one model's ratings of the selected items, over the six prompt variants (forward ``v1, v2, v3``; the same
prompts with the option list in reverse order ``v1_reversed, v2_reversed, v3_reversed``), with :math:`x_{iv}` the
mean valid rating of item *i* in variant *v*:

* ``order_bias``: over the items with at least one forward and one reversed rating (``n_items_order``), the
  mean of :math:`\\bar x_{i,\\text{forward}} - \\bar x_{i,\\text{reversed}}`; ``order_bias_p``: the two-sided
  Wilcoxon signed-rank p of those per-item differences (:func:`scipy.stats.wilcoxon`'s defaults);
* ``icc_a1``, ``icc_ak``: McGraw & Wong (1996) ICC(A,1) and ICC(A,k), two-way random effects, absolute
  agreement, of the item x variant matrix over the items rated in all 6 variants (``n_items_complete``):
  :math:`\\frac{MS_R - MS_E}{MS_R + (k-1) MS_E + \\frac{k}{n}(MS_C - MS_E)}` and
  :math:`\\frac{MS_R - MS_E}{MS_R + \\frac{1}{n}(MS_C - MS_E)}`;
* ``profile_split_half``: the Pearson r (``split_half_r``) between the centred pvq portraits (10 values) scored
  from the variants {v1, v2_reversed, v3} and from {v1_reversed, v2, v3_reversed}, Spearman-Brown corrected,
  :math:`2r / (1 + r)`;
* ``reliable``: ``profile_split_half >= threshold`` (default 0.7).

A figure the ratings cannot support (a variant missing, too few items) is null, and ``notes`` says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..scale import VARIANTS
from ..ratings import numeric_ratings
from .design import FAMILY_INDEX, Design
from .engine import score_matrix

__all__ = ["DEFAULT_RELIABLE", "RELIABILITY_KEYS", "SPLIT_HALVES", "icc_agreement", "portrait_reliability",
           "reliability_table"]

#: Default threshold of ``profile_split_half`` above which a portrait is called reliable.
DEFAULT_RELIABLE = 0.7
#: The two halves of the variants for the split-half reliability (each has both option orders).
SPLIT_HALVES: tuple[tuple[str, ...], tuple[str, ...]] = (("v1", "v2_reversed", "v3"),
                                                         ("v1_reversed", "v2", "v3_reversed"))
#: Keys of a model's reliability record, in order.
RELIABILITY_KEYS = ("order_bias", "order_bias_p", "n_items_order", "icc_a1", "icc_ak", "n_items_complete",
                    "split_half_r", "profile_split_half", "reliable", "threshold", "notes")


def icc_agreement(X: np.ndarray) -> tuple[float, float]:
    """McGraw & Wong (1996) ICC(A,1) and ICC(A,k) of an n x k matrix (targets x raters, no NaN).

    >>> icc = icc_agreement(np.array([[1.0, 2], [3, 4], [5, 6]]))
    >>> [round(v, 4) for v in icc]
    [0.8889, 0.9412]
    """
    n, k = X.shape
    gm = X.mean()
    ss_r = k * ((X.mean(axis=1) - gm) ** 2).sum()
    ss_c = n * ((X.mean(axis=0) - gm) ** 2).sum()
    ss_e = ((X - gm) ** 2).sum() - ss_r - ss_c
    ms_r, ms_c, ms_e = ss_r / (n - 1), ss_c / (k - 1), ss_e / ((n - 1) * (k - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        a1 = (ms_r - ms_e) / (ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n)
        ak = (ms_r - ms_e) / (ms_r + (ms_c - ms_e) / n)
    return float(a1), float(ak)


def _item_variant(ratings: pd.DataFrame, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """(I, 6) sums and counts of the valid ratings of each design item in each variant."""
    item = pd.Index(design.item_ids).get_indexer([str(i) for i in ratings["item_id"].tolist()])
    var = pd.Index(VARIANTS).get_indexer(ratings["variant"].tolist())
    rating = numeric_ratings(ratings).to_numpy(dtype=float)
    ok = (item >= 0) & (var >= 0) & ~np.isnan(rating)
    cell = item[ok] * len(VARIANTS) + var[ok]
    size = len(design.item_ids) * len(VARIANTS)
    sums = np.bincount(cell, weights=rating[ok], minlength=size).reshape(-1, len(VARIANTS))
    counts = np.bincount(cell, minlength=size).reshape(-1, len(VARIANTS)).astype(float)
    return sums, counts


def portrait_reliability(ratings: pd.DataFrame, selection: pd.DataFrame, *, threshold: float = DEFAULT_RELIABLE,
                         design: Design | None = None) -> dict:
    """The reliability record of one model's ratings (``item_id, variant, rating``).

    ``rating``: numbers 1-6 or Likert phrases. ``design``: the selection's :class:`Design` when the caller has
    it. Returns a dict with :data:`RELIABILITY_KEYS` (``notes``: the reasons for null figures).
    """
    if "variant" not in ratings.columns:
        raise InputError("the ratings table lacks column variant; reliability needs each rating's prompt variant "
                         f"({', '.join(VARIANTS)})")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not -1 <= threshold <= 1:
        raise InputError(f"the reliability threshold must be a number in [-1, 1] (e.g. 0.7), got {threshold!r}")
    design = Design.from_selection(selection) if design is None else design
    sums, counts = _item_variant(ratings, design)
    with np.errstate(invalid="ignore", divide="ignore"):
        X = sums / counts
    notes: list[str] = []
    out: dict = dict.fromkeys(RELIABILITY_KEYS)
    out.update(threshold=float(threshold), notes=notes, n_items_order=0, n_items_complete=0)
    backward = np.array([v.endswith("_reversed") for v in VARIANTS])
    with warnings.catch_warnings():  # items with no forward (or reversed) rating: NaN, left out below
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = np.nanmean(X[:, ~backward], axis=1) - np.nanmean(X[:, backward], axis=1)
    diff = diff[~np.isnan(diff)]
    out["n_items_order"] = len(diff)
    if len(diff) == 0:
        notes.append("order_bias: no item has both a forward (v1, v2, v3) and a reversed rating")
    else:
        out["order_bias"] = float(diff.mean())
        out["order_bias_p"] = float(stats.wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
    complete = X[~np.isnan(X).any(axis=1)]
    out["n_items_complete"] = len(complete)
    absent = [v for k, v in enumerate(VARIANTS) if counts[:, k].sum() == 0]
    if len(complete) < 2:
        notes.append("icc: needs >= 2 items rated in all 6 variants"
                     + (f" (no rating in {', '.join(absent)})" if absent else ""))
    else:
        out["icc_a1"], out["icc_ak"] = icc_agreement(complete)
    if absent:
        notes.append(f"profile_split_half: needs ratings in all of {', '.join(VARIANTS)} (none in "
                     f"{', '.join(absent)})")
        return out
    cols = [[VARIANTS.index(v) for v in half] for half in SPLIT_HALVES]
    with np.errstate(invalid="ignore", divide="ignore"):
        M = np.stack([sums[:, c].sum(axis=1) / counts[:, c].sum(axis=1) for c in cols])
    pvq = score_matrix(M, design).score[:, FAMILY_INDEX == 0]
    if np.isnan(pvq).any():
        notes.append("profile_split_half: needs a pvq score for all 10 values from both halves "
                     f"{{{', '.join(SPLIT_HALVES[0])}}} and {{{', '.join(SPLIT_HALVES[1])}}}")
    elif np.std(pvq[0]) == 0 or np.std(pvq[1]) == 0:
        notes.append("profile_split_half: a half's pvq portrait is flat (no variation to correlate)")
    else:
        r = float(np.corrcoef(pvq[0], pvq[1])[0, 1])
        out["split_half_r"] = r
        out["profile_split_half"] = 2 * r / (1 + r) if r > -1 else float("-inf")
        out["reliable"] = bool(out["profile_split_half"] >= threshold)
    return out


def reliability_table(ratings: pd.DataFrame, selection: pd.DataFrame, *,
                      threshold: float = DEFAULT_RELIABLE) -> dict[str, dict]:
    """:func:`portrait_reliability` of each ``model`` of a ratings table (order of first appearance)."""
    if "model" not in ratings.columns:
        return {"model": portrait_reliability(ratings, selection, threshold=threshold)}
    design = Design.from_selection(selection)
    return {str(m): portrait_reliability(g, selection, threshold=threshold, design=design)
            for m, g in ratings.groupby("model", sort=False)}
