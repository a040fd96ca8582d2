"""The permutation null of the item selection: questionnaire scores shuffled among the raters of each survey group.

A shuffle keeps every rater's ratings and every questionnaire score, and only breaks the link between them, so
it is the selection's null with the survey's real item intercorrelations, ties and group sizes. Per survey group
the ranks are computed once and each shuffle is one matrix product (:func:`valueportrait.spearman.spearman_permuted`),
so the 400 shuffles of a build take well under a second.

* :func:`null_selection` counts, per dimension and shuffle, how many item x dimension pairs pass the build's
  rule; :func:`dimension_null` turns the counts into each dimension's ``null_mean``, ``null_p95`` and
  ``permutation_p`` = (1 + shuffles selecting at least as many) / (1 + shuffles), and ``above_chance``
  (``permutation_p < 0.05``).
* :func:`shuffled_blocks` is the survey under one of the same shuffles, on which the validity report's other
  figures are recomputed as their null baselines (:mod:`valueportrait.builders.validity`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import special

from valueportrait.selection import select
from valueportrait.spearman import p_value, spearman_permuted

#: Shuffles of the per-dimension permutation test (p down to 1/401) and of the null baselines.
DEFAULT_PERMUTATIONS = 400
NULL_SHUFFLES = 10
#: A dimension selects more items than chance when its permutation p is below this.
ABOVE_CHANCE_P = 0.05
_CHUNK = 100


def permutations(blocks, n_perm: int, seed: int) -> list[np.ndarray]:
    """One (n_perm, n_g) array per survey block: row s is shuffle s of the block's raters (positions 0..n_g-1)."""
    rng = np.random.default_rng(seed)
    return [np.argsort(rng.random((n_perm, len(rows))), axis=1) for rows, _ in blocks.blocks]


def shuffled_blocks(blocks, perms: list[np.ndarray], s: int):
    """``blocks`` with the questionnaire scores of each block's raters permuted by shuffle ``s``."""
    values = blocks.values.copy()
    for (rows, _), p in zip(blocks.blocks, perms):
        values[rows] = blocks.values[rows[p[s]]]
    return replace(blocks, values=values)


def null_selection(blocks, perms: list[np.ndarray], rule: dict, keep: int = NULL_SHUFFLES) -> tuple[np.ndarray, np.ndarray]:
    """Pairs passing ``rule`` (threshold, alpha, mode, correction) under each shuffle.

    Returns ``counts`` (P, 19): selected pairs per dimension and shuffle, and ``keys`` (keep, I, 19): the keys of
    the first ``keep`` shuffles (the selections the null baselines score). The correlations of a shuffle are
    those of the full survey blocks; a correction adjusts within each family over all its pairs, as the build.
    """
    n_perm, n_items = len(perms[0]) if perms else 0, len(blocks.item_ids)
    families = np.tile(np.array([f for f, _ in blocks.dimensions], dtype=object), n_items)
    n_dims = len(blocks.dimensions)
    counts = np.zeros((n_perm, n_dims))
    keys = np.zeros((min(keep, n_perm), n_items, n_dims))
    for start in range(0, n_perm, _CHUNK):
        size = min(_CHUNK, n_perm - start)
        rho = np.full((size, n_items, n_dims), np.nan)
        p = np.full(rho.shape, np.nan)
        for (rows, cols), perm in zip(blocks.blocks, perms):
            r = spearman_permuted(blocks.ratings[np.ix_(rows, cols)], blocks.values[rows], perm[start:start + size],
                                  p_values=False)[0]
            rho[:, cols], p[:, cols] = r, needed_p_values(r, len(rows), rule)
        key = select(rho.reshape(size, -1), p.reshape(size, -1), families=families, **rule).reshape(rho.shape)
        counts[start:start + size] = (key != 0).sum(axis=1)
        first = max(0, min(size, keys.shape[0] - start))
        keys[start:start + first] = key[:first]
    return counts, keys


def needed_p_values(rho: np.ndarray, n: int, rule: dict) -> np.ndarray:
    """The p-values of ``rho`` (over ``n`` raters) that ``select`` with ``rule`` can need, the others set to 1.

    Exact where ``|rho|`` exceeds the smaller of the threshold and :math:`\\rho_\\alpha` (the rho at which
    ``p = alpha``); elsewhere 1. That changes no decision: a pair at or below the threshold never passes; a pair
    with ``p >= alpha`` has a Bonferroni or Benjamini-Hochberg adjusted p at least alpha, keeps its rank after every
    smaller p, and its term :math:`p_{(j)} m / j \\ge \\alpha` never lowers another pair's adjusted p below
    alpha. It skips most of the t-distribution evaluations (the slow part of 400 shuffles).

    >>> needed_p_values(np.array([0.1, 0.5]), 46, {"threshold": 0.3, "alpha": 0.05}).round(4).tolist()
    [1.0, 0.0004]
    """
    dof = n - 2
    t_alpha = special.stdtrit(dof, 1.0 - rule["alpha"] / 2)
    cut = min(rule["threshold"], t_alpha / np.sqrt(t_alpha ** 2 + dof)) - 1e-9
    rho = np.asarray(rho, dtype=float)
    cand = np.abs(rho) > cut
    p = np.where(np.isnan(rho), np.nan, 1.0)
    p[cand] = p_value(rho[cand], n)
    return p


def dimension_null(selected: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """``null_mean``, ``null_p95``, ``permutation_p`` and ``above_chance`` (19,) of the ``selected`` (19,) counts
    against the shuffles' ``counts`` (P, 19); with no shuffle every value is NaN and ``above_chance`` None.

    >>> out = dimension_null(np.array([5.0, 1.0]), np.array([[1.0, 1.0], [2.0, 3.0], [0.0, 0.0]]))
    >>> out["permutation_p"].tolist(), out["above_chance"].tolist()
    ([0.25, 0.75], [False, False])
    """
    selected = np.asarray(selected, dtype=float)
    if len(counts) == 0:
        nan = np.full(selected.shape, np.nan)
        return {"null_mean": nan, "null_p95": nan, "permutation_p": nan,
                "above_chance": np.full(selected.shape, None, dtype=object)}
    p = (1.0 + (counts >= selected).sum(axis=0)) / (1.0 + len(counts))
    return {"null_mean": counts.mean(axis=0), "null_p95": np.percentile(counts, 95, axis=0), "permutation_p": p,
            "above_chance": p < ABOVE_CHANCE_P}
