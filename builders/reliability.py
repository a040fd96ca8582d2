"""Internal consistency of the selected items: Cronbach's alpha with Feldt's 95% CI, per dimension and survey group.

Raters of the main survey only saw the items of their own survey group, so the items a dimension selects
form a scale only within one group. For every dimension and every survey group with at least two of its
selected items, alpha is computed among that group's raters (negatively keyed items, key -1 in mode ``abs``,
are reverse scored ``7 - rating`` first). The per-dimension summary reports how many groups were usable
and the median, mean and range of their alphas.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from valueportrait.io import json_safe
from valueportrait.scale import FAMILIES, reverse as reverse_rating

#: Confidence level of the intervals.
CI_LEVEL = 0.95
#: The ``method`` of the report; ``{ci}`` is the report's CI level ("95%" at the default).
METHOD = ("Cronbach's alpha of the selected items within each survey group (reverse-scored when key is -1); "
          "{ci} CI by Feldt, Woodruff & Salih (1987)")


def cronbach_alpha(x: np.ndarray, ci: float = CI_LEVEL) -> tuple[float, float, float]:
    """Cronbach's alpha of a complete (n subjects x k items) matrix, with Feldt's confidence interval.

    Parameters
    ----------
    x : (n, k) array of item scores, no NaN; ``n >= 3`` subjects, ``k >= 2`` items.
    ci : confidence level of the interval (0.95 for a 95% CI).

    Returns
    -------
    alpha, lower, upper : float
        NaN for all three when the total score has zero variance.

    Notes
    -----
    With :math:`s_j^2` the sample variance (ddof 1) of item *j* and :math:`s_T^2` that of the total score,

    .. math:: \\alpha = \\frac{k}{k - 1}\\left(1 - \\frac{\\sum_j s_j^2}{s_T^2}\\right).

    Feldt, Woodruff & Salih (1987): :math:`(1 - \\alpha) / (1 - \\hat\\alpha)` follows an F distribution with
    :math:`d_1 = n - 1` and :math:`d_2 = (n - 1)(k - 1)` degrees of freedom, so with :math:`\\gamma = 1 - ci`

    .. math:: [\\,1 - (1 - \\hat\\alpha)\\,F_{1-\\gamma/2}(d_1, d_2),\\; 1 - (1 - \\hat\\alpha)\\,F_{\\gamma/2}(d_1, d_2)\\,]

    where :math:`F_q` is the q-quantile. This is the interval pingouin's ``cronbach_alpha`` reports; the
    tests check both numbers against a separate covariance-form computation and ``scipy.stats.f``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika 16, 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha.
    Applied Psychological Measurement 11, 93-103.

    Examples
    --------
    >>> a, lo, hi = cronbach_alpha(np.array([[1, 2, 2], [3, 3, 4], [5, 4, 5], [2, 2, 1], [4, 5, 5]]))
    >>> round(a, 4), round(lo, 4), round(hi, 4)
    (0.9458, 0.7262, 0.994)
    """
    x = np.asarray(x, dtype=float)
    n, k = x.shape
    if n < 3 or k < 2:
        raise ValueError(f"Cronbach's alpha needs at least 3 subjects and 2 items, got {n} x {k}")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan, math.nan, math.nan
    alpha = k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var)
    d1, d2 = n - 1, (n - 1) * (k - 1)
    g = 1.0 - ci
    lower = 1.0 - (1.0 - alpha) * special.fdtri(d1, d2, 1.0 - g / 2)
    upper = 1.0 - (1.0 - alpha) * special.fdtri(d1, d2, g / 2)
    return float(alpha), float(lower), float(upper)


def reliability_by_group(ratings: pd.DataFrame, selection: pd.DataFrame, ci: float = CI_LEVEL) -> pd.DataFrame:
    """Alpha of each dimension's selected items within each survey group.

    Parameters
    ----------
    ratings : the ``human_ratings`` table (participant_id, survey_group, item_id, rating).
    selection : item_id, family, dimension, key (+1 or -1), e.g. :meth:`ValuePortraitData.selection`.

    Returns
    -------
    DataFrame with family, dimension, survey_group, items (k), raters (n), alpha, ci_low, ci_high: one row per
    (dimension, group) holding at least 2 selected items, in family / dimension / group order. Raters are
    those of the group who rated every one of these items.
    """
    # one (raters x items) matrix per survey group, NaN where a rater did not rate an item
    matrices: dict[int, tuple[np.ndarray, dict[str, int]]] = {}
    for g, part in ratings.groupby("survey_group", sort=True):
        wide = part.pivot(index="participant_id", columns="item_id", values="rating")
        matrices[int(g)] = (wide.to_numpy(dtype=float), {iid: j for j, iid in enumerate(wide.columns)})
    group_of = {iid: g for g, (_, cols) in matrices.items() for iid in cols}
    sel = selection[selection["item_id"].isin(group_of.keys())]
    by_dim: dict[tuple[str, str], dict[int, list[tuple[str, int]]]] = {}
    for iid, fam, dim, key in zip(sel["item_id"], sel["family"], sel["dimension"], sel["key"]):
        by_dim.setdefault((fam, dim), {}).setdefault(group_of[iid], []).append((iid, int(key)))
    rows = []
    for family, dims in FAMILIES.items():
        for dim in dims:
            for g, members in sorted(by_dim.get((family, dim), {}).items()):
                if len(members) < 2:
                    continue
                m, cols = matrices[g]
                x = m[:, [cols[iid] for iid, _ in members]]
                x = x[~np.isnan(x).any(axis=1)]
                reverse = np.array([k < 0 for _, k in members])
                x[:, reverse] = reverse_rating(x[:, reverse])
                a, lo, hi = cronbach_alpha(x, ci) if len(x) >= 3 else (math.nan,) * 3
                rows.append({"family": family, "dimension": dim, "survey_group": g, "items": len(members),
                             "raters": len(x), "alpha": a, "ci_low": lo, "ci_high": hi})
    cols = ["family", "dimension", "survey_group", "items", "raters", "alpha", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def summarise_reliability(by_group: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: items selected, groups with >= 2 of them (usable), items in those, median/mean/min/max alpha.

    One row per dimension of every family (FAMILIES order), NaN statistics where no group is usable.
    """
    rows = []
    for family, dims in FAMILIES.items():
        for dim in dims:
            n_items = int(((selection["family"] == family) & (selection["dimension"] == dim)).sum())
            g = by_group[(by_group["family"] == family) & (by_group["dimension"] == dim)]
            a = g["alpha"].dropna()
            rows.append({
                "family": family, "dimension": dim, "items": n_items, "groups_usable": len(a),
                "items_in_usable_groups": int(g.loc[g["alpha"].notna(), "items"].sum()),
                "alpha_median": float(a.median()) if len(a) else math.nan,
                "alpha_mean": float(a.mean()) if len(a) else math.nan,
                "alpha_min": float(a.min()) if len(a) else math.nan,
                "alpha_max": float(a.max()) if len(a) else math.nan,
            })
    return pd.DataFrame(rows)


def reliability_report(ratings: pd.DataFrame, selection: pd.DataFrame, ci: float = CI_LEVEL) -> dict:
    """The ``reliability`` entry of ``build_info``: method, CI level, per-group rows and per-dimension summary.

    NaN becomes None so the dict is valid JSON.
    """
    by_group = reliability_by_group(ratings, selection, ci)
    summary = summarise_reliability(by_group, selection)
    return {"method": METHOD.format(ci=f"{ci:.0%}"), "ci_level": ci, "by_group": _records(by_group), "dimensions": _records(summary)}


def _records(df: pd.DataFrame) -> list[dict]:
    return json_safe(df.to_dict(orient="records"))


# -- pooled over survey groups: alpha and McDonald's omega of each dimension's whole scale ---------------------
#: The ``method`` of ``validity.reliability``.
POOLED_METHOD = ("alpha and McDonald's omega of all the items that entered (those in a survey group with >= 2 of "
                 "the dimension's selected items), pooled over survey groups: within-group item covariances, "
                 "alpha with the mean within-group inter-item covariance, omega from a one-factor model fitted "
                 "by unweighted least squares to the within-group covariances")


def split_alpha(blocks, keys: np.ndarray, halves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pooled alpha of every dimension for many (selection, raters) pairs at once.

    Parameters
    ----------
    blocks : :class:`valueportrait.builders.halves.SurveyBlocks`.
    keys : (S, I, 19) keys (+1, -1, 0) of S selections over ``blocks.item_ids``.
    halves : one (S, n_g) index array per block of ``blocks``: the raters whose ratings are used in sample s.

    Returns
    -------
    alpha, k : (S, 19) pooled alpha (NaN where fewer than 2 items entered) and the number of items that entered.

    Notes
    -----
    Items enter where a survey group holds at least 2 of the dimension's items. With :math:`v_i` their variances
    (reverse-scored items flipped), :math:`\\bar c` the mean covariance over all within-group item pairs and
    :math:`k` the items that entered,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i v_i}{\\sum_i v_i + k(k-1)\\bar c}\\right),

    Cronbach's alpha of the k-item scale whose between-group covariances (never observed: no rater saw two
    groups' items) are the mean observed one, alpha's own assumption of equal covariances. With one group it is
    that group's Cronbach's alpha (checked against ``pingouin.cronbach_alpha`` in the tests).
    """
    S, D = keys.shape[0], keys.shape[2]
    var, off, pairs, k = (np.zeros((S, D)) for _ in range(4))
    for (_rows, cols), idx in zip(blocks.blocks, halves):
        x = blocks.ratings[idx][:, :, cols]
        x = x - x.mean(axis=1, keepdims=True)
        cov = x.transpose(0, 2, 1) @ x / (x.shape[1] - 1)
        sgn = keys[:, cols, :]
        kg = np.abs(sgn).sum(axis=1)
        v = np.einsum("sid,sii->sd", sgn * sgn, cov)
        quad = np.einsum("sid,sij,sjd->sd", sgn, cov, sgn)
        use = kg >= 2
        var += np.where(use, v, 0.0)
        off += np.where(use, quad - v, 0.0)
        pairs += np.where(use, kg * (kg - 1), 0.0)
        k += np.where(use, kg, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cbar = off / pairs
        alpha = k / (k - 1) * (1.0 - var / (var + k * (k - 1) * cbar))
    return np.where(k >= 2, alpha, np.nan), k


def one_factor_loadings(cov: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    r"""Loadings of a one-factor model fitted to the off-diagonal entries of one group's item covariance matrix
    by unweighted least squares: minimise :math:`\sum_{i \ne j} (c_{ij} - \lambda_i \lambda_j)^2`.

    The stationary point :math:`G_i(\lambda) = \sum_{j \ne i} c_{ij}\lambda_j - \lambda_i \sum_{j \ne i}
    \lambda_j^2 = 0` is found by 30 damped alternating-least-squares steps (each :math:`\lambda_i` the
    least-squares value given the others, averaged with the previous one) and then Newton's method on G.
    Two items identify only the product of their loadings; then :math:`\lambda_1 = \lambda_2 = \sqrt{c_{12}}`
    (the symmetric solution). The tests check it against ``scipy.optimize.least_squares``.
    """
    k = len(cov)
    c = cov - np.diag(np.diag(cov))
    if k == 2:
        return np.full(2, math.sqrt(max(float(c[0, 1]), 0.0)))
    lam = np.full(k, math.sqrt(max(float(c.sum() / (k * (k - 1))), 1e-6)))
    for _ in range(30):
        den = (lam ** 2).sum() - lam ** 2
        lam = 0.5 * lam + 0.5 * np.divide(c @ lam, den, out=np.zeros_like(lam), where=den > 0)
    for _ in range(100):
        rest = (lam ** 2).sum() - lam ** 2
        g = c @ lam - lam * rest
        if np.max(np.abs(g)) < tol:
            break
        jac = c - 2.0 * np.outer(lam, lam) + np.diag(2.0 * lam ** 2 - rest)
        try:
            lam = lam - np.linalg.solve(jac, g)
        except np.linalg.LinAlgError:
            break
    return lam


def mcdonald_omega(covs: list[np.ndarray]) -> float:
    r"""McDonald's omega total of the scale of all the items of ``covs`` (one covariance matrix per survey group,
    never observed together) under one common factor: :math:`(\sum\lambda)^2 / ((\sum\lambda)^2 + \sum\psi)`,
    with each group's loadings from :func:`one_factor_loadings` (the least-squares fit to the observed
    covariances separates by group) and uniquenesses :math:`\psi_i = \max(c_{ii} - \lambda_i^2, 0)`.

    McDonald, R. P. (1999). Test theory: a unified treatment. Erlbaum.
    """
    lam = np.concatenate([one_factor_loadings(c) for c in covs])
    psi = np.maximum(np.concatenate([np.diag(c) for c in covs]) - lam ** 2, 0.0)
    common = lam.sum() ** 2
    return float(common / (common + psi.sum())) if common + psi.sum() > 0 else math.nan


def pooled_omega(blocks, key: np.ndarray) -> np.ndarray:
    """(19,) omega of each dimension's entered items among all raters of ``blocks`` (key (I, 19) of one
    selection; reverse-keyed items flipped); NaN where fewer than 2 items entered."""
    out = np.full(key.shape[1], np.nan)
    for d in range(key.shape[1]):
        covs = []
        for rows, cols in blocks.blocks:
            members = cols[key[cols, d] != 0]
            if len(members) >= 2:
                covs.append(np.cov(blocks.ratings[np.ix_(rows, members)] * key[members, d], rowvar=False))
        if covs:
            out[d] = mcdonald_omega(covs)
    return out
