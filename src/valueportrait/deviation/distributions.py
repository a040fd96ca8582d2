"""Item-level distribution alignment: how the spread of a model's ratings of an item matches the humans'.

With several model ratings per item (prompt variants or repeated samples), each item's empirical rating
distribution is compared with the human raters': 1 - normalised Wasserstein distance (OpinionQA,
:func:`wasserstein_alignment`) and 1 - Jensen-Shannon distance (GlobalOpinionQA, :func:`js_alignment`),
averaged over items by :func:`distribution_alignment`. Ratings are on the benchmark's scale 1..K,
K = :data:`valueportrait.scale.N_OPTIONS`.

References
----------
Santurkar, S. et al. (2023). Whose Opinions Do Language Models Reflect? ICML (OpinionQA).
Durmus, E. et al. (2023). Towards Measuring the Representation of Subjective Global Opinions in Language
Models. arXiv:2306.16388 (GlobalOpinionQA).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..scale import N_OPTIONS

__all__ = ["distribution_alignment", "js_alignment", "rating_distributions", "wasserstein_alignment"]


def rating_distributions(item_ids: Sequence[str], ratings: np.ndarray, items: Sequence[str], k: int = N_OPTIONS
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Counts (I, k) of the ratings 1..k of each item in ``items`` and the number of ratings (I,).

    Non-integer or out-of-range ratings and NaN are ignored.
    """
    col = {iid: j for j, iid in enumerate(items)}
    iid = pd.Series(list(item_ids), dtype="str")
    r = np.asarray(ratings, dtype=float)
    j = iid.map(col).to_numpy(dtype=float)
    ok = ~np.isnan(j) & ~np.isnan(r) & (r == np.round(r)) & (r >= 1) & (r <= k)
    flat = j[ok].astype(np.int64) * k + (r[ok].astype(np.int64) - 1)
    counts = np.bincount(flat, minlength=len(items) * k).reshape(len(items), k).astype(float)
    return counts, counts.sum(axis=1)


def wasserstein_alignment(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """1 - W1(p, q) / (K - 1) between distributions over the ordered ratings 1..K (last axis).

    Notes
    -----
    For ordinal options at unit spacing, the 1-Wasserstein distance is the L1 distance of the CDFs
    :math:`F_p(k) = \\sum_{j\\le k} p_j`:

    .. math::

        W_1(p, q) = \\sum_{k=1}^{K-1} |F_p(k) - F_q(k)|,\\qquad
        \\text{alignment} = 1 - \\frac{W_1(p, q)}{K - 1} \\in [0, 1]

    (OpinionQA's representativeness, Santurkar et al. 2023, Sec. 3; :math:`K - 1` is the largest possible
    :math:`W_1`). Equal to ``1 - scipy.stats.wasserstein_distance(range(K), range(K), p, q) / (K - 1)``.

    Examples
    --------
    >>> float(wasserstein_alignment(np.array([1, 0, 0, 0, 0, 0.]), np.array([0, 0, 0, 0, 0, 1.])))
    0.0
    >>> float(wasserstein_alignment(np.array([0, 1, 0, 0, 0, 0.]), np.array([0, 0, 1, 0, 0, 0.])))
    0.8
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    k = p.shape[-1]
    w1 = np.abs(np.cumsum(p, axis=-1) - np.cumsum(q, axis=-1))[..., :-1].sum(axis=-1)
    return 1.0 - w1 / (k - 1)


def js_alignment(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """1 - Jensen-Shannon distance (base 2) between distributions (last axis).

    Notes
    -----
    With :math:`m = (p + q)/2` and :math:`\\mathrm{KL}(p\\|m) = \\sum_k p_k \\log_2 (p_k / m_k)` (0 log 0 = 0):

    .. math::

        \\mathrm{JSD}(p, q) = \\sqrt{\\tfrac12 \\mathrm{KL}(p\\|m) + \\tfrac12 \\mathrm{KL}(q\\|m)},\\qquad
        \\text{alignment} = 1 - \\mathrm{JSD}(p, q) \\in [0, 1]

    (GlobalOpinionQA's similarity, Durmus et al. 2023, Sec. 2.2). Equal to
    ``1 - scipy.spatial.distance.jensenshannon(p, q, base=2)``.

    Examples
    --------
    >>> float(js_alignment(np.array([1, 0.]), np.array([0, 1.])))
    0.0
    >>> round(float(js_alignment(np.array([0.5, 0.5]), np.array([1.0, 0.0]))), 6)
    0.442077
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a > 0, a * np.log2(a / m), 0.0).sum(axis=-1)

    jsd = np.sqrt(np.clip(0.5 * kl(p) + 0.5 * kl(q), 0.0, None))
    return 1.0 - jsd


def distribution_alignment(model_counts: np.ndarray, human_counts: np.ndarray, *, min_model_samples: int = 2,
                           min_human_ratings: int = 1) -> dict[str, Any]:
    """Per-item and averaged distribution alignment of model and human rating counts (I, K).

    Items with fewer than ``min_model_samples`` model ratings or ``min_human_ratings`` human ratings are left
    out. Returns ``wasserstein``, ``js`` (means over the kept items, NaN if none), ``n_items`` and the per-item
    arrays ``item_wasserstein``, ``item_js`` (NaN for left-out items).

    Notes
    -----
    :math:`\\bar A = \\frac{1}{|I'|}\\sum_{i\\in I'} A(\\hat p^M_i, \\hat p^H_i)` with :math:`\\hat p_i` the
    empirical distribution of item *i*'s ratings and *A* one of :func:`wasserstein_alignment`,
    :func:`js_alignment`.
    """
    nm, nh = model_counts.sum(axis=1), human_counts.sum(axis=1)
    keep = (nm >= min_model_samples) & (nh >= min_human_ratings)
    iw = np.full(len(nm), np.nan)
    ij = np.full(len(nm), np.nan)
    if keep.any():
        p = model_counts[keep] / nm[keep, None]
        q = human_counts[keep] / nh[keep, None]
        iw[keep], ij[keep] = wasserstein_alignment(p, q), js_alignment(p, q)
    return {"wasserstein": float(np.nanmean(iw)) if keep.any() else np.nan,
            "js": float(np.nanmean(ij)) if keep.any() else np.nan, "n_items": int(keep.sum()),
            "item_wasserstein": iw, "item_js": ij}
