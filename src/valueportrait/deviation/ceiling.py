"""What a distribution alignment score can reach: its ceilings, next to the observed score.

1 - Jensen-Shannon and 1 - Wasserstein alignment (:mod:`~valueportrait.deviation.distributions`) compare
*empirical* distributions, so they fall short of 1 even for a model that answers exactly like the group: with
6 samples per item its distribution is coarse. Two references put an observed score in proportion:

* :func:`replica_alignment`: the expected score of a *perfect replica*, a model whose samples are drawn from
  the group's *true* rating distribution, compared with as many human ratings as the group gave, both drawn
  anew (simulated, seeded): the truth is drawn from each item's empirical-Bayes posterior
  (:mod:`~valueportrait.deviation.dirichlet`), so the ceiling carries the sampling noise of both sides, as the
  observed score does;
* :func:`split_half_alignment`: the agreement of two random halves of the group's raters (split within
  survey groups), the score the humans themselves reach against each other.

:data:`MIN_HUMAN_RATINGS` is the fewest human ratings an item needs to enter the alignment (the simulation
that chose it is in ``docs/deviation.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scale import N_OPTIONS
from .dirichlet import fit_dirichlet_multinomial, posterior_draws
from .distributions import distribution_alignment, js_alignment, wasserstein_alignment

__all__ = ["MIN_HUMAN_RATINGS", "N_CEILING_SIMULATIONS", "alignment_with_ceilings", "replica_alignment",
           "split_half_alignment"]

#: Items need this many human ratings (in the group) to enter the distribution alignment (docs/deviation.md).
MIN_HUMAN_RATINGS = 10
#: Simulated replicas / random splits behind each ceiling.
N_CEILING_SIMULATIONS = 200


def _mean_alignment(p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """Mean over items (axis -2) and simulations (axis 0) of both alignments of count arrays p, q (S, I, K)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / p.sum(axis=-1, keepdims=True)
        q = q / q.sum(axis=-1, keepdims=True)
    return {"wasserstein": float(np.mean(wasserstein_alignment(p, q))), "js": float(np.mean(js_alignment(p, q)))}


def replica_alignment(human_counts: np.ndarray, n_model: np.ndarray, rng: np.random.Generator,
                      n_sim: int = N_CEILING_SIMULATIONS) -> dict[str, float]:
    r"""Expected alignment of a perfect replica with the humans, both sides resampled.

    Items: rows of ``human_counts`` (I, K) with ``n_model >= 1`` and a human rating; NaN if none.

    Notes
    -----
    A perfect model draws its samples from the group's *true* distribution :math:`q_i` of item *i*, and its
    observed score compares them with :math:`n_i` human ratings that are themselves a sample of :math:`q_i`.
    The ceiling is that score's expectation, simulated ``n_sim`` times: :math:`q_i^{(s)}` drawn from the
    posterior Dirichlet(:math:`c_i + \hat\alpha`) of the item's counts :math:`c_i` under the
    Dirichlet-multinomial prior :math:`\hat\alpha` fitted to all the items
    (:func:`~valueportrait.deviation.dirichlet.fit_dirichlet_multinomial`), then ``n_model[i]`` model samples and
    :math:`n_i` human ratings drawn from :math:`q_i^{(s)}`, scored like the observed pair and averaged over the
    items and simulations. Averaged over groups, this is exactly the perfect model's expected score when the
    prior is right; in simulation a perfect model reaches 0.99-1.01 of it with 10, 20 and 45 human ratings per
    item, on the release's items and on peaked or flat synthetic items (``benchmarks/sim_ceiling.py``,
    docs/deviation.md). The former ceiling compared the replica with the observed human distribution itself and
    left out the human side's noise (a perfect model reached only 0.79 of it with 10 ratings per item).

    >>> r = replica_alignment(np.array([[0, 0, 5, 0, 0, 0.]] * 3), np.array([6] * 3), np.random.default_rng(0))
    >>> round(r["js"], 3), round(r["wasserstein"], 3)  # every rating on one option: both sides agree exactly
    (1.0, 1.0)
    """
    n_model = np.asarray(n_model, dtype=np.int64)
    keep = (n_model >= 1) & (human_counts.sum(axis=1) > 0)
    if not keep.any():
        return {"wasserstein": np.nan, "js": np.nan}
    c = np.asarray(human_counts, dtype=float)[keep]
    q = posterior_draws(c, fit_dirichlet_multinomial(c), rng, n_sim)  # (S, I, K)
    model = rng.multinomial(n_model[keep], q)
    human = rng.multinomial(c.sum(axis=1).astype(np.int64), q)
    return _mean_alignment(model.astype(float), human.astype(float))


def split_half_alignment(ratings: np.ndarray, strata: np.ndarray, items: np.ndarray, rng: np.random.Generator,
                         n_splits: int = N_CEILING_SIMULATIONS) -> dict[str, float]:
    """Mean alignment of two random halves of the raters (``ratings`` (R, I), NaN = not rated), split within
    each stratum (a stratum's odd rater out goes to either half at random), over the items marked in ``items``
    (I,) that both halves rated and ``n_splits`` splits. NaN with no such item."""
    R, n_items = ratings.shape
    strata = np.asarray(strata)
    half = np.zeros((n_splits, R), dtype=bool)
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        order = np.argsort(rng.random((n_splits, len(members))), axis=1)
        k = len(members) // 2 + rng.integers(0, 2, size=n_splits) * (len(members) % 2)
        half[np.arange(n_splits)[:, None], members[order]] = np.arange(len(members))[None, :] < k[:, None]
    # one-hot ratings (R, I, K); non-integer / out-of-range ratings are not counted (as rating_distributions)
    r = np.nan_to_num(np.asarray(ratings, dtype=float), nan=0.0)
    valid = (r == np.round(r)) & (r >= 1) & (r <= N_OPTIONS)
    Y = np.zeros((R, n_items, N_OPTIONS))
    rows, cols = np.nonzero(valid)
    Y[rows, cols, r[rows, cols].astype(np.int64) - 1] = 1.0
    a = np.einsum("sr,rik->sik", half.astype(float), Y)
    b = np.einsum("sr,rik->sik", (~half).astype(float), Y)
    both = (a.sum(axis=-1) > 0) & (b.sum(axis=-1) > 0) & np.asarray(items, dtype=bool)[None, :]
    if not both.any():
        return {"wasserstein": np.nan, "js": np.nan}
    return _mean_alignment(a[both], b[both])


def alignment_with_ceilings(model_counts: np.ndarray, human_counts: np.ndarray, human_ratings: np.ndarray,
                            strata: np.ndarray, rng: np.random.Generator, *, min_model_samples: int = 2,
                            min_human_ratings: int = MIN_HUMAN_RATINGS) -> dict[str, Any]:
    """:func:`~valueportrait.deviation.distributions.distribution_alignment` plus, over the same items, the
    perfect replica's expected score (``wasserstein_replica``, ``js_replica``) and the humans' split-half
    agreement (``wasserstein_split_half``, ``js_split_half``)."""
    da = distribution_alignment(model_counts, human_counts, min_model_samples=min_model_samples,
                                min_human_ratings=min_human_ratings)
    kept = ~np.isnan(da["item_js"])
    n_model = np.where(kept, model_counts.sum(axis=1), 0).astype(np.int64)
    replica = replica_alignment(human_counts, n_model, rng)
    split = split_half_alignment(human_ratings, strata, kept, rng)
    return {**da, "wasserstein_replica": replica["wasserstein"], "js_replica": replica["js"],
            "wasserstein_split_half": split["wasserstein"], "js_split_half": split["js"]}
