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


def fit_dirichlet_multinomial(counts: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    r"""Maximum-likelihood Dirichlet-multinomial prior of the rows of ``counts`` (I, K): alpha (K,).

    Notes
    -----
    Maximises the Dirichlet-multinomial (Polya) log-likelihood over the items,

    .. math::

        \ell(\alpha) = \sum_i \Bigl[\ln\Gamma(\alpha_0) - \ln\Gamma(n_i+\alpha_0)
        + \sum_k \ln\Gamma(c_{ik}+\alpha_k) - \ln\Gamma(\alpha_k)\Bigr],\qquad
        \frac{\partial\ell}{\partial\alpha_k} = \sum_i \bigl[\psi(\alpha_0) - \psi(n_i+\alpha_0)
        + \psi(c_{ik}+\alpha_k) - \psi(\alpha_k)\bigr],

    in :math:`\log\alpha` by L-BFGS-B (``scipy.optimize``) with that gradient, within :data:`ALPHA_BOUNDS`,
    started at twice the pooled distribution (Minka's (2000) fixed point converges to the same optimum but
    slowly when :math:`\alpha_0` is large). Rows with no count are ignored; with none at all the result is
    uniform (ones). Checked against a direct numerical maximisation of
    ``scipy.stats.dirichlet_multinomial.logpmf`` in the tests.

    >>> a = fit_dirichlet_multinomial(np.array([[5, 5, 0], [0, 5, 5], [5, 0, 5], [4, 3, 3.]]))
    >>> [round(float(x), 2) for x in a]
    [1.23, 1.16, 1.16]
    """
    from scipy.optimize import minimize
    from scipy.special import gammaln

    c = np.asarray(counts, dtype=float)
    c = c[c.sum(axis=1) > 0]
    if c.size == 0:
        return np.ones(np.asarray(counts).shape[-1])
    n = c.sum(axis=1)
    lo, hi = np.log(ALPHA_BOUNDS)

    def neg(log_a: np.ndarray) -> tuple[float, np.ndarray]:
        a = np.exp(log_a)
        a0 = a.sum()
        ll = (len(c) * gammaln(a0) - gammaln(n + a0).sum() + (gammaln(c + a) - gammaln(a)).sum())
        grad = len(c) * digamma(a0) - digamma(n + a0).sum() + (digamma(c + a) - digamma(a)).sum(axis=0)
        return -ll, -grad * a

    start = np.clip(np.log(2.0 * c.sum(axis=0) / c.sum() + ALPHA_BOUNDS[0]), lo, hi)
    res = minimize(neg, start, jac=True, method="L-BFGS-B", bounds=[(lo, hi)] * c.shape[1],
                   options={"ftol": tol, "gtol": 1e-9, "maxiter": 1000})
    return np.exp(res.x)


def posterior_draws(counts: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, n_sim: int) -> np.ndarray:
    """``n_sim`` draws of each item's distribution from its posterior Dirichlet(counts + alpha): (n_sim, I, K).

    >>> q = posterior_draws(np.array([[3, 1.]]), np.array([1e-4, 1e-4]), np.random.default_rng(0), 4)
    >>> q.shape, bool(np.allclose(q.sum(axis=-1), 1))
    ((4, 1, 2), True)
    """
    g = rng.gamma(np.asarray(counts, dtype=float)[None] + np.asarray(alpha, dtype=float),
                  size=(n_sim, *np.shape(counts)))
    return g / g.sum(axis=-1, keepdims=True)
