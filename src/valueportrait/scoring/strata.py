"""Small strata in a rater bootstrap: single-rater strata merged, and the small-sample correction.

A stratified bootstrap redraws each stratum's raters from that stratum. A stratum with one rater redraws the
same rater every time, so it contributes no variance at all: a demographic group of 13 raters with one per
survey group has identical replicates and a zero-width interval. :func:`merge_single_rater_strata` pools the
single-rater strata (two or more of them into one stratum; a lone one into the smallest other stratum). In a
merged stratum a replicate can leave an item without a rater; that item then drops out of the replicate (the
scorer ignores NaN item means).

The bootstrap variance of a mean of *n* draws is :math:`(n-1)/n` times the unbiased :math:`s^2/n`, which
matters for small strata. :func:`rescale_replicates` applies the rescaling of Rao & Wu (1988) with
:math:`m_h = n_h` draws: :math:`\\bar r^{*}_i = \\bar r_i + \\sqrt{n_h/(n_h-1)}\\,(\\bar r^{(b)}_i - \\bar r_i)`,
:math:`n_h` the size of the stratum of item *i*'s raters.

Rao, J. N. K. & Wu, C. F. J. (1988). Resampling inference with complex survey data. JASA 83(401).
"""

from __future__ import annotations

import numpy as np

__all__ = ["item_strata_scale", "merge_single_rater_strata", "rescale_replicates"]


def merge_single_rater_strata(strata: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Strata with no single-rater stratum, and a note saying what was merged (None when nothing was).

    >>> s, note = merge_single_rater_strata(np.array([0, 1, 2, 2, 3, 3, 3]))
    >>> s.tolist(), note
    ([0, 0, 2, 2, 3, 3, 3], '2 survey group(s) with a single rater pooled into one stratum for the bootstrap')
    """
    strata = np.asarray(strata).copy()
    labels, counts = np.unique(strata, return_counts=True)
    single = labels[counts == 1]
    if len(single) == 0 or len(labels) == 1:
        return strata, None
    if len(single) >= 2:
        strata[np.isin(strata, single)] = single[0]
        return strata, (f"{len(single)} survey group(s) with a single rater pooled into one stratum for the "
                        "bootstrap")
    others = counts > 1
    target = labels[others][np.argmin(counts[others])]  # the nearest size: the smallest other stratum
    strata[strata == single[0]] = target
    return strata, "1 survey group with a single rater merged with the smallest other stratum for the bootstrap"


def item_strata_scale(ratings: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """(I,) the factor :math:`\\sqrt{n_h/(n_h-1)}` of each item, :math:`n_h` the size of the largest stratum
    among the item's raters (1.0 where that stratum has one rater or the item no rater)."""
    strata = np.asarray(strata)
    labels, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    size = counts[inverse].astype(float)  # (R,) each rater's stratum size
    rated = ~np.isnan(np.asarray(ratings, dtype=float))
    n = np.where(rated, size[:, None], 0.0).max(axis=0) if rated.size else np.zeros(rated.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= 2, np.sqrt(n / np.maximum(n - 1, 1)), 1.0)


def rescale_replicates(point: np.ndarray, reps: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Replicate item means ``reps`` (B, I) pulled away from ``point`` ((I,) or (1, I)) by ``scale`` (I,)."""
    point = np.atleast_2d(point)
    return point + np.asarray(scale)[None, :] * (np.asarray(reps, dtype=float) - point)
