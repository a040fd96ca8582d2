"""Spearman rank correlation between every column of one matrix and every column of another, at once.

Checked against :func:`scipy.stats.spearmanr` (two-sided, asymptotic t test) to 1e-12 on the real survey
data (``tests/test_correlations.py``).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def spearman_matrix(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and two-sided p-value for every pair (column of ``x``, column of ``y``).

    Parameters
    ----------
    x : (n, a) array
        ``n`` observations of ``a`` variables (e.g. the ratings of ``a`` items by ``n`` raters). No NaN.
    y : (n, b) array
        The same ``n`` observations of ``b`` variables (e.g. the raters' value scores). No NaN.

    Returns
    -------
    rho, p : (a, b) arrays
        ``rho[i, j]`` is the Spearman correlation of ``x[:, i]`` with ``y[:, j]``; ``p`` its two-sided p-value.
        A constant column gives NaN for both, as scipy does.

    Notes
    -----
    Both matrices are ranked once per column (average ranks for ties); rho is the Pearson correlation of the
    ranks, computed for all pairs as one matrix product of the standardised ranks. The p-value is scipy's:
    ``t = rho * sqrt((n - 2) / (1 - rho**2))`` with ``n - 2`` degrees of freedom, ``p = 2 * P(T > |t|)``.

    Examples
    --------
    >>> import numpy as np
    >>> rho, p = spearman_matrix(np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([[1.0, 4.0], [2.0, 3.0], [4.0, 2.0], [3.0, 1.0]]))
    >>> rho.round(3).tolist()
    [[0.8, -1.0]]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"expected two 2-D arrays with the same number of rows, got shapes {x.shape} and {y.shape}")
    rho, p = spearman_batch(x[None], y[None])
    return rho[0], p[0]


def spearman_batch(x: np.ndarray, y: np.ndarray, *, p_values: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`spearman_matrix` of many independent samples at once: ``x`` (S, n, a), ``y`` (S, n, b) ->
    rho, p (S, a, b). Each of the S samples (e.g. one random half of a survey group's raters) is ranked on its own.
    ``p_values=False`` skips the p-values (None).

    >>> x = np.array([[[1.0], [2.0], [3.0], [4.0]], [[4.0], [3.0], [2.0], [1.0]]])
    >>> rho, p = spearman_batch(x, x)
    >>> rho[:, 0, 0].tolist()
    [1.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or x.shape[:2] != y.shape[:2]:
        raise ValueError(f"expected two 3-D arrays (samples, observations, variables) with the same first two "
                         f"sizes, got shapes {x.shape} and {y.shape}")
    n = x.shape[1]
    rx = _standardised_ranks(x)
    ry = _standardised_ranks(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(rx.transpose(0, 2, 1) @ ry / n, -1.0, 1.0)
    return rho, p_value(rho, n) if p_values else None


def spearman_permuted(x: np.ndarray, y: np.ndarray, perms: np.ndarray, *,
                      p_values: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`spearman_matrix` of ``x`` (n, a) with the rows of ``y`` (n, b) shuffled by each of ``perms`` (P, n):
    rho, p (P, a, b), where sample ``s`` pairs row ``i`` of ``x`` with row ``perms[s, i]`` of ``y``.

    Both matrices are ranked once (a permutation of the rows does not change a column's ranks); each
    permutation is one matrix product of the standardised ranks, so hundreds of permutations take milliseconds.
    ``p_values=False`` skips the p-values (None), the slower part, for a caller that needs only some of them.

    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> rho, p = spearman_permuted(x, x, np.array([[0, 1, 2, 3], [3, 2, 1, 0]]))
    >>> rho[:, 0, 0].tolist()
    [1.0, -1.0]
    """
    x, y, perms = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(perms)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0] or perms.ndim != 2 or perms.shape[1] != x.shape[0]:
        raise ValueError(f"expected x (n, a), y (n, b) and perms (P, n) with the same n, got shapes {x.shape}, "
                         f"{y.shape} and {perms.shape}")
    n = x.shape[0]
    rx = _standardised_ranks(x[None])[0]
    ry = _standardised_ranks(y[None])[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(rx.T[None] @ ry[perms] / n, -1.0, 1.0)
    return rho, p_value(rho, n) if p_values else None


def p_value(rho: np.ndarray, n: int) -> np.ndarray:
    """scipy's two-sided p-value of Spearman's ``rho`` over ``n`` observations: ``t = rho sqrt((n-2)/(1-rho^2))``
    with ``n - 2`` degrees of freedom, ``p = 2 P(T > |t|)`` (NaN rho gives NaN).

    >>> round(float(p_value(np.array(0.3), 46)), 4)  # scipy: 2 * stats.t.sf(0.3 * sqrt(44 / 0.91), 44)
    0.0428
    """
    dof = n - 2
    with np.errstate(invalid="ignore", divide="ignore"):
        t = rho * np.sqrt(dof / ((1.0 - rho) * (1.0 + rho)))
        return 2.0 * special.stdtr(dof, -np.abs(t))


def rank_columns(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share the mean of their positions) of each column of a 2-D array.

    The same numbers as ``scipy.stats.rankdata(a, axis=0)`` (method ``average``), without importing
    ``scipy.stats`` (about 1 s of start-up, most of a build's budget).

    >>> rank_columns(np.array([[3.0, 1.0], [1.0, 1.0], [3.0, 2.0]])).tolist()
    [[2.5, 1.5], [1.0, 1.5], [2.5, 3.0]]
    """
    n = a.shape[0]
    order = np.argsort(a, axis=0, kind="stable")
    s = np.take_along_axis(a, order, axis=0)
    pos = np.arange(n)[:, None]
    starts = np.ones(s.shape, dtype=bool)
    starts[1:] = s[1:] != s[:-1]
    ends = np.ones(s.shape, dtype=bool)
    ends[:-1] = starts[1:]
    # first and last sorted position of each element's tie group
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, pos, n - 1)[::-1], axis=0)[::-1]
    ranks = np.empty(s.shape, dtype=float)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=0)
    return ranks


def _standardised_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks of (S, n, a) within each sample and column, centred and scaled to unit (population) variance."""
    S, n, k = a.shape
    r = rank_columns(a.transpose(1, 0, 2).reshape(n, S * k)).reshape(n, S, k).transpose(1, 0, 2)
    r -= r.mean(axis=1, keepdims=True)
    sd = np.sqrt((r * r).mean(axis=1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return r / np.where(sd == 0, np.nan, sd)
