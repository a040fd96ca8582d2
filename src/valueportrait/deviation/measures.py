"""The deviation statistics on portraits: per-dimension deviation, profile agreement, gaps, bias index.

All functions are pure and vectorised over bootstrap replicates (leading axes):

* per dimension: deviation = model persona score - human group score, with a bootstrap CI (item draws shared
  by both sides, raters redrawn for the humans) -- :func:`deviation_ci`;
* profile agreement across the 10 values and the 5 traits: Pearson, Spearman, RMSE, mean absolute
  difference -- :func:`profile_agreement`;
* between the groups of one attribute: the model's gap vs the human gap per dimension (sign agreement,
  amplification ratio, permutation p-value of the human gap) -- :func:`gap_comparison`,
  :func:`permutation_gap_pvalue`;
* a summary bias index per attribute -- :func:`bias_index`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..errors import InputError
from ..scoring import Design, item_means, percentile_ci, score_matrix

__all__ = ["GAP_EPS", "PROFILE_FAMILIES", "bias_index", "deviation_ci", "gap_comparison", "permutation_gap_pvalue",
           "profile_agreement"]

#: Families the profile agreement and the bias index are computed over (the 10 values, the 5 traits).
PROFILE_FAMILIES: tuple[str, ...] = ("pvq", "bfi")
#: |human gap| below this makes the amplification ratio undefined (NaN).
GAP_EPS = 1e-9


def _scalar_or_array(v) -> float | np.ndarray:
    """A 0-d result as a Python float, a replicate axis as an array."""
    v = np.asarray(v, dtype=float)
    return float(v) if v.ndim == 0 else v


# -- per-dimension deviation -----------------------------------------------------------------------------------

def deviation_ci(model: np.ndarray, model_boot: np.ndarray, human: np.ndarray, human_boot: np.ndarray,
                 confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deviation model - human per dimension with a percentile bootstrap CI.

    Parameters
    ----------
    model, human : ndarray, shape (D,)
        Scores of the model persona and of the human group.
    model_boot, human_boot : ndarray, shape (B, D)
        Paired bootstrap replicates: replicate *b* of both sides uses the same item draw (the model's items;
        the human side also redraws its raters, :class:`~valueportrait.deviation.groups.HumanGroup.shared`).

    Returns
    -------
    delta, ci_low, ci_high : ndarray, shape (D,)

    Notes
    -----
    :math:`\\Delta_d = s^{M}_d - s^{H}_d`. Replicate *b* gives :math:`\\Delta^{(b)}_d = s^{M(b)}_d - s^{H(b)}_d`
    (paired by index: both sides share replicate *b*'s item draw, the raters are drawn independently of it);
    the interval is the :math:`(\\alpha/2, 1-\\alpha/2)` percentile interval of :math:`\\Delta^{(b)}_d`.

    Examples
    --------
    >>> d, lo, hi = deviation_ci(np.array([1.0]), np.array([[1.0], [2.0], [3.0]]), np.array([0.5]),
    ...                          np.array([[0.0], [0.0], [0.0]]), confidence=0.5)
    >>> float(d[0]), float(lo[0]), float(hi[0])
    (0.5, 1.5, 2.5)
    """
    model_boot, human_boot = np.atleast_2d(model_boot), np.atleast_2d(human_boot)
    if model_boot.shape != human_boot.shape:
        raise InputError(f"model and human replicates must have the same shape, got {model_boot.shape} and "
                         f"{human_boot.shape}")
    lo, hi = percentile_ci(model_boot - human_boot, confidence)
    return np.asarray(model, float) - np.asarray(human, float), lo, hi


# -- profile agreement -----------------------------------------------------------------------------------------

def profile_agreement(model: np.ndarray, human: np.ndarray) -> dict[str, float]:
    """Agreement of two profiles (e.g. the 10 value scores): Pearson, Spearman, RMSE, mean absolute difference.

    Works along the last axis, so ``(B, D)`` inputs give ``(B,)`` arrays (replicates). Dimensions where either
    side is NaN are dropped (1-d input only; for 2-d input a row with a NaN gives NaN).

    Returns
    -------
    dict
        ``pearson, spearman, rmse, mad, n`` (n = dimensions compared).

    Notes
    -----
    With :math:`x = s^M, y = s^H` over the *n* dimensions of a family:

    .. math::

        r = \\frac{\\sum_d (x_d - \\bar x)(y_d - \\bar y)}{\\sqrt{\\sum_d (x_d-\\bar x)^2 \\sum_d (y_d-\\bar y)^2}},\\quad
        \\rho = r(\\operatorname{rank} x, \\operatorname{rank} y)\\ (\\text{average ranks for ties}),

    .. math::

        \\text{RMSE} = \\sqrt{\\tfrac{1}{n}\\sum_d (x_d - y_d)^2},\\qquad
        \\text{MAD} = \\tfrac{1}{n}\\sum_d |x_d - y_d|.

    Pearson / Spearman are NaN when a profile is constant or n < 3. Checked against ``scipy.stats.pearsonr``
    and ``spearmanr`` in the tests.

    Examples
    --------
    >>> a = profile_agreement(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
    >>> a["pearson"], a["spearman"], round(a["rmse"], 6), round(a["mad"], 6)
    (0.5, 0.5, 0.816497, 0.666667)
    """
    x, y = np.asarray(model, dtype=float), np.asarray(human, dtype=float)
    if x.shape != y.shape:
        raise InputError(f"profiles must have the same shape, got {x.shape} and {y.shape}")
    if x.ndim == 1:
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
    n = x.shape[-1]
    diff = x - y
    rmse = np.sqrt(np.mean(diff ** 2, axis=-1)) if n else np.nan
    mad = np.mean(np.abs(diff), axis=-1) if n else np.nan

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = a - a.mean(axis=-1, keepdims=True)
        b = b - b.mean(axis=-1, keepdims=True)
        den = np.sqrt((a ** 2).sum(axis=-1) * (b ** 2).sum(axis=-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * b).sum(axis=-1) / den
        return np.where(den > 1e-12, r, np.nan)

    if n < 3:
        pearson = spearman = np.full(x.shape[:-1], np.nan)
    else:
        pearson = corr(x, y)
        spearman = corr(rankdata(x, axis=-1), rankdata(y, axis=-1))
        if x.ndim > 1:
            bad = np.isnan(x).any(axis=-1) | np.isnan(y).any(axis=-1)
            spearman = np.where(bad, np.nan, spearman)

    out = _scalar_or_array
    return {"pearson": out(pearson), "spearman": out(spearman), "rmse": out(rmse), "mad": out(mad), "n": n}


# -- gaps between groups ---------------------------------------------------------------------------------------

def gap_comparison(model_gap: np.ndarray, human_gap: np.ndarray) -> dict[str, np.ndarray]:
    """Compare the model's gap between two groups with the human gap, per dimension.

    Returns
    -------
    dict of ndarray (D,)
        ``sign_agree`` (1.0 / 0.0, NaN if either gap is 0 or NaN), ``amplification`` (model gap / human gap,
        NaN when :math:`|g^H| <` :data:`GAP_EPS`), ``gap_error`` (model gap - human gap).

    Notes
    -----
    For groups *a*, *b*: :math:`g^M_d = s^{M}_{a,d} - s^{M}_{b,d}`, :math:`g^H_d = s^{H}_{a,d} - s^{H}_{b,d}`.

    .. math::

        \\text{sign\\_agree}_d = [\\operatorname{sgn} g^M_d = \\operatorname{sgn} g^H_d],\\qquad
        A_d = g^M_d / g^H_d,\\qquad e_d = g^M_d - g^H_d.

    :math:`A_d > 1`: the model exaggerates the difference; :math:`0 < A_d < 1`: it understates it;
    :math:`A_d < 0`: it reverses it. A small human gap makes :math:`A_d` unstable: read it with the human
    gap's p-value (:func:`permutation_gap_pvalue`).

    Examples
    --------
    >>> c = gap_comparison(np.array([0.4, -0.2, 0.1]), np.array([0.2, 0.1, 0.0]))
    >>> c["sign_agree"].tolist(), c["amplification"].tolist()
    ([1.0, 0.0, nan], [2.0, -2.0, nan])
    """
    gm, gh = np.asarray(model_gap, dtype=float), np.asarray(human_gap, dtype=float)
    sm, sh = np.sign(gm), np.sign(gh)
    sign_agree = np.where((sm == 0) | (sh == 0) | np.isnan(gm) | np.isnan(gh), np.nan, (sm == sh).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        amp = np.where(np.abs(gh) < GAP_EPS, np.nan, gm / gh)
    return {"sign_agree": sign_agree, "amplification": amp, "gap_error": gm - gh}


def permutation_gap_pvalue(ratings: np.ndarray, in_a: np.ndarray, strata: np.ndarray, design: Design,
                           n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided permutation p-value of the human gap between groups *a* and *b*, per dimension.

    Parameters
    ----------
    ratings : ndarray, shape (R, I)
        The pooled raters of *a* and *b* (NaN = not rated).
    in_a : ndarray of bool, shape (R,)
        True for raters of group *a*.
    strata : ndarray, shape (R,)
        Labels are permuted within strata (raters of the same survey group(s)), keeping each stratum's count
        of *a* raters, because each survey group rated different items.

    Returns
    -------
    observed_gap, p_value : ndarray, shape (D,)

    Notes
    -----
    With :math:`g^H_d` the observed gap and :math:`g^{(p)}_d` the gap after the *p*-th relabelling,

    .. math::

        p_d = \\frac{1 + \\#\\{p : |g^{(p)}_d| \\ge |g^H_d|\\}}{1 + P}

    (Phipson & Smyth 2010: never 0; the smallest attainable p is :math:`1/(P+1)`).
    """
    in_a = np.asarray(in_a, dtype=bool)

    def gaps(Wa: np.ndarray) -> np.ndarray:
        sa = score_matrix(item_means(ratings, Wa), design).score
        sb = score_matrix(item_means(ratings, 1.0 - Wa), design).score
        return sa - sb

    observed = gaps(in_a[None, :].astype(float))[0]
    if n_perm <= 0:
        return observed, np.full_like(observed, np.nan)
    Wa = np.zeros((n_perm, len(in_a)))
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        n_a = int(in_a[members].sum())
        order = np.argsort(rng.random((n_perm, len(members))), axis=1)  # a random permutation per row
        chosen = members[order[:, :n_a]]
        Wa[np.repeat(np.arange(n_perm), n_a), chosen.ravel()] = 1.0
    perm = gaps(Wa)
    with np.errstate(invalid="ignore"):
        hits = (np.abs(perm) >= np.abs(observed) - 1e-12).sum(axis=0)
    p = (1 + hits) / (1 + n_perm)
    return observed, np.where(np.isnan(observed), np.nan, p)


def bias_index(model_gaps: np.ndarray, human_gaps: np.ndarray) -> dict[str, float]:
    """Summary of how well the model reproduces the differences between the groups of one attribute.

    Parameters
    ----------
    model_gaps, human_gaps : ndarray, shape (P, D) or (..., P, D)
        Gaps of the *P* pairs of groups over the *D* dimensions of one family. Leading axes (replicates)
        are kept.

    Returns
    -------
    dict
        ``bias_index`` (mean absolute gap error), ``gap_rmse``, ``sign_agreement``, ``exaggeration``.

    Notes
    -----
    Over all pairs :math:`(a, b)` of groups and the dimensions *d* of a family (:math:`N` terms, NaN dropped):

    .. math::

        \\text{BI} = \\frac{1}{N}\\sum_{(a,b)}\\sum_d \\left|g^M_{ab,d} - g^H_{ab,d}\\right|,\\qquad
        \\text{gap\\_RMSE} = \\sqrt{\\frac{1}{N}\\sum_{(a,b)}\\sum_d \\left(g^M_{ab,d} - g^H_{ab,d}\\right)^2},

    .. math::

        \\text{sign\\_agreement} = \\text{mean}_{(a,b),d}\\,[\\operatorname{sgn} g^M = \\operatorname{sgn} g^H],\\qquad
        \\text{exaggeration} = \\frac{\\sum |g^M_{ab,d}|}{\\sum |g^H_{ab,d}|}.

    BI is 0 when the model's persona differences equal the human ones and grows, on the score scale (rating
    points), with invented, missed, exaggerated or reversed differences. Exaggeration > 1: the model's
    personas differ more than the groups do.

    Examples
    --------
    >>> b = bias_index(np.array([[0.4, -0.2]]), np.array([[0.2, 0.1]]))
    >>> round(b["bias_index"], 6), round(b["gap_rmse"], 6), b["sign_agreement"], round(b["exaggeration"], 6)
    (0.25, 0.254951, 0.5, 2.0)
    """
    gm, gh = np.asarray(model_gaps, dtype=float), np.asarray(human_gaps, dtype=float)
    axes = (-2, -1)
    err = gm - gh
    ok = ~np.isnan(err)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = ok.sum(axis=axes)
        bi = np.where(ok, np.abs(err), 0).sum(axis=axes) / n
        rmse = np.sqrt(np.where(ok, err ** 2, 0).sum(axis=axes) / n)
        sa = np.where(ok, gap_comparison(gm, gh)["sign_agree"], np.nan)
        sign = np.isfinite(sa).sum(axis=axes)
        sign = np.where(sign > 0, np.nansum(sa, axis=axes) / np.maximum(sign, 1), np.nan)
        exag = np.where(ok, np.abs(gm), 0).sum(axis=axes) / np.where(ok, np.abs(gh), 0).sum(axis=axes)

    out = _scalar_or_array
    return {"bias_index": out(bi), "gap_rmse": out(rmse), "sign_agreement": out(sign), "exaggeration": out(exag)}
