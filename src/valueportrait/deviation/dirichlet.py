"""An empirical-Bayes prior for a group's item rating distributions: the Dirichlet-multinomial fit.

The perfect-replica ceiling (:func:`~valueportrait.deviation.ceiling.replica_alignment`) needs plausible *true*
rating distributions of the items, knowing only each item's observed counts. Treating the items as draws from
one Dirichlet(alpha) and the counts as multinomial given them (the Dirichlet-multinomial model), alpha is fitted
by maximum likelihood over all items (:func:`fit_dirichlet_multinomial`); an item's truth is then drawn from its
posterior Dirichlet(counts + alpha) (:func:`posterior_draws`). The fitted prior adapts to the items: spread
items give a large alpha_0 (strong pooling toward the mean distribution), peaked items a small one (the
posterior stays near the counts), which is why one rule serves both (``benchmarks/sim_ceiling.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

__all__ = ["ALPHA_BOUNDS", "fit_dirichlet_multinomial", "posterior_draws"]

#: The fitted alpha is kept in these bounds (a few items, or all ratings on one option, would push it to 0 or
#: infinity; the bounds make the posterior the counts themselves, or the pooled distribution, in those limits).
ALPHA_BOUNDS = (1e-4, 1e4)


def fit_dirichlet_multinomial(counts: np.ndarray, max_iter: int = 1000, tol: float = 1e-9) -> np.ndarray:
    r"""Maximum-likelihood Dirichlet-multinomial prior of the rows of ``counts`` (I, K): alpha (K,).

    Notes
    -----
    Minka's (2000) fixed point for the Dirichlet-multinomial (Polya) likelihood
    :math:`\prod_i \frac{\Gamma(\alpha_0)}{\Gamma(n_i+\alpha_0)}\prod_k\frac{\Gamma(c_{ik}+\alpha_k)}{\Gamma(\alpha_k)}`:

    .. math::

        \alpha_k \leftarrow \alpha_k\,
        \frac{\sum_i \psi(c_{ik}+\alpha_k) - \psi(\alpha_k)}{\sum_i \psi(n_i+\alpha_0) - \psi(\alpha_0)},

    started at twice the pooled distribution, clipped to :data:`ALPHA_BOUNDS`. Rows with no count are
    ignored; with none at all the result is uniform (ones). Checked against a direct numerical maximisation of
    ``scipy.stats.dirichlet_multinomial.logpmf`` in the tests.

    >>> a = fit_dirichlet_multinomial(np.array([[5, 5, 0], [0, 5, 5], [5, 0, 5], [4, 3, 3.]]))
    >>> [round(float(x), 2) for x in a]
    [1.23, 1.16, 1.16]
    """
    c = np.asarray(counts, dtype=float)
    c = c[c.sum(axis=1) > 0]
    if c.size == 0:
        return np.ones(np.asarray(counts).shape[-1])
    n = c.sum(axis=1)
    lo, hi = ALPHA_BOUNDS
    a = np.clip(2.0 * c.sum(axis=0) / c.sum(), lo, hi)
    for _ in range(max_iter):
        a0 = a.sum()
        den = (digamma(n + a0) - digamma(a0)).sum()
        num = (digamma(c + a) - digamma(a)).sum(axis=0)
        new = np.clip(a * num / den, lo, hi) if den > 0 else a
        if np.max(np.abs(new - a) / a) < tol:
            return new
        a = new
    return a


def posterior_draws(counts: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, n_sim: int) -> np.ndarray:
    """``n_sim`` draws of each item's distribution from its posterior Dirichlet(counts + alpha): (n_sim, I, K).

    >>> q = posterior_draws(np.array([[3, 1.]]), np.array([1e-4, 1e-4]), np.random.default_rng(0), 4)
    >>> q.shape, bool(np.allclose(q.sum(axis=-1), 1))
    ((4, 1, 2), True)
    """
    g = rng.gamma(np.asarray(counts, dtype=float)[None] + np.asarray(alpha, dtype=float),
                  size=(n_sim, *np.shape(counts)))
    return g / g.sum(axis=-1, keepdims=True)
