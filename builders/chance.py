"""What chance alone selects: the analytic expected false positives of the selection rule.

If no item were associated with any dimension, each item x dimension pair would still pass ``rho > threshold``
and ``p < alpha`` with a probability that depends only on its number of raters (:func:`null_pass_probability`);
:func:`null_pass_rates` gives it per pair for each correction and :func:`expected_false_positives` sums it per
family. The permutation null of the real survey (:mod:`valueportrait.builders.permutation`) checks it per
dimension.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from valueportrait.scale import FAMILIES
from valueportrait.selection import (
    DEFAULT_ALPHA,
    DEFAULT_CORRECTION,
    DEFAULT_THRESHOLD,
    adjust_p,
    check_correction,
    select,
)

#: Draws of the complete null for the expected false positives under ``fdr_bh`` (no closed form).
NULL_DRAWS = 100
DEFAULT_SEED = 0


def null_pass_probability(n: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                          mode: str = "pos") -> np.ndarray:
    """Probability that a pair with ``n`` raters and no association passes ``rho > threshold`` and ``p < alpha``.

    The null distribution of Spearman's rho is the one the p-values assume (:mod:`valueportrait.spearman`):
    :math:`t = \\rho\\sqrt{(n-2)/(1-\\rho^2)}` follows Student's t with :math:`n-2` degrees of freedom. Both
    conditions hold when :math:`\\rho > c = \\max(\\text{threshold}, \\rho_\\alpha)`, :math:`\\rho_\\alpha` the
    rho at which ``p = alpha``; so the probability is :math:`P(T > t(c))`, twice that in mode ``abs``.

    >>> round(float(null_pass_probability(np.array([46]))[0]), 4)
    0.0214
    """
    dof = np.asarray(n, dtype=float) - 2
    t_alpha = special.stdtrit(dof, 1.0 - alpha / 2)
    c = np.maximum(threshold, t_alpha / np.sqrt(t_alpha ** 2 + dof))
    with np.errstate(divide="ignore"):
        prob = special.stdtr(dof, -c * np.sqrt(dof / ((1.0 - c) * (1.0 + c))))
    return prob * (2.0 if mode == "abs" else 1.0)


def null_pass_rates(n: np.ndarray, families: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD,
                    alpha: float = DEFAULT_ALPHA, mode: str = "pos", correction: str = DEFAULT_CORRECTION,
                    seed: int = DEFAULT_SEED) -> np.ndarray:
    """(pairs,) each pair's probability of passing the rule with no association at all.

    ``n`` (pairs,) raters of each pair, ``families`` (pairs,) its family. ``none``: :func:`null_pass_probability`;
    ``bonferroni``: the same at ``alpha / m`` (m the family's tests); ``fdr_bh``: the pass rate over
    :data:`NULL_DRAWS` seeded draws of independent uniform p-values, each with a random sign and its rho at the
    pair's n, through the same :func:`~valueportrait.selection.select`.
    """
    check_correction(correction)
    n, families = np.asarray(n, dtype=float), np.asarray(families)
    out = np.zeros(len(n))
    rng = np.random.default_rng(seed)
    for family in family_order(families):
        m = families == family
        if correction == "fdr_bh":
            p = rng.random((NULL_DRAWS, int(m.sum())))
            sign = np.where(rng.random(p.shape) < 0.5, -1.0, 1.0)
            cand = adjust_p(p, correction="fdr_bh") < alpha  # only these can pass: their rho from their p
            dof = np.broadcast_to(n[m] - 2, p.shape)[cand]
            t = special.stdtrit(dof, 1.0 - p[cand] / 2)
            rho = np.zeros(p.shape)
            rho[cand] = sign[cand] * t / np.sqrt(t * t + dof)
            key = select(rho, p, threshold=threshold, alpha=alpha, mode=mode, correction="fdr_bh")
            out[m] = (key != 0).mean(axis=0)
        else:
            level = alpha / m.sum() if correction == "bonferroni" else alpha
            out[m] = null_pass_probability(n[m], threshold=threshold, alpha=level, mode=mode)
    return out


def family_order(families: np.ndarray) -> list[str]:
    """The families of ``families``: Value Portrait's in :data:`~valueportrait.scale.FAMILIES` order, then any
    other (a survey instrument's) in order of first appearance."""
    present = list(dict.fromkeys(np.asarray(families).tolist()))
    return [f for f in FAMILIES if f in present] + [f for f in present if f not in FAMILIES]


def expected_false_positives(n: np.ndarray, families: np.ndarray, **rule) -> dict[str, float]:
    """Expected number of pairs passing the rule with no association at all, per family and ``total``: the sums
    of :func:`null_pass_rates` (same arguments)."""
    rates, families = null_pass_rates(n, families, **rule), np.asarray(families)
    out = {f: float(rates[families == f].sum()) for f in family_order(families)}
    out["total"] = sum(out.values())
    return out
