r"""How far apart subjects' TRUE portraits are, measurement noise taken out (generalizability theory).

A subject *s* (a model, or a human rater) rates items; for dimension *d* its centred item values are
:math:`z_{si} = k_{id} r_{si} - m_{s f(d)}` (the keyed rating minus the subject's own family mean) for the
*n* items measuring *d*, and its score is their mean. With subjects and items crossed (every subject rated every
item), the two-way random-effects decomposition (Cronbach et al. 1972; Brennan 2001, ch. 3) gives

.. math::

    \hat\sigma^2_s = \frac{MS_{subjects} - MS_{residual}}{n},

the variance between subjects of their universe scores (the score on endlessly many such items), while the
observed scores vary by :math:`\hat\sigma^2_s + MS_{residual}/n`. The item main effect is common to all subjects
on the same items and does not enter either. Human raters of the release rated only their survey group's items,
so humans are decomposed within each survey group and the groups' estimates pooled (weights: raters - 1).

The ratio of spreads (:func:`diversity_table`) is :math:`\sqrt{\sum_d \hat\sigma^2_{models,d} / \sum_d
\hat\sigma^2_{humans,d}}` over a family's dimensions (sums, so that a dimension's negative estimate is averaged
out rather than clipped); the *naive* ratio uses the observed variances instead. Checked in a simulation with a
known ratio (tests/test_cohort.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..scale import DIMENSIONS, FAMILIES, REVERSE_SUM
from ..scoring.design import FAMILY_INDEX, Design

__all__ = ["centred_item_values", "diversity_table", "true_variance"]


def true_variance(Z: np.ndarray, n_family: float = np.inf) -> tuple[float, float, int]:
    """``(true, observed, subjects)`` variance of the row means of a complete subjects x items matrix ``Z``.

    ``true`` = (MS_rows - MS_residual) / n + MS_residual / N (may be negative: sampling error), ``observed`` =
    the variance (ddof 1) of the row means. ``N`` (``n_family``): how many items the subtracted family mean
    averages, the n items among them; its noise is shared with the row's own items, so the noise of a centred
    score is sigma^2 (1/n - 1/N), not sigma^2 / n. Rows with a missing value are left out. Needs >= 2 rows and
    >= 2 items, else NaN.

    >>> Z = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [0.0, 2.0, 1.0]])
    >>> [round(x, 4) for x in true_variance(Z)[:2]]   # MS_rows 3, MS_residual 1/3: (3 - 1/3) / 3 (by hand)
    [0.8889, 1.0]
    """
    Z = np.asarray(Z, dtype=float)
    Z = Z[~np.isnan(Z).any(axis=1)] if Z.ndim == 2 else Z
    if Z.ndim != 2 or Z.shape[0] < 2 or Z.shape[1] < 2:
        return float("nan"), float("nan"), int(Z.shape[0]) if Z.ndim == 2 else 0
    S, n = Z.shape
    rows, cols, grand = Z.mean(axis=1), Z.mean(axis=0), Z.mean()
    ms_rows = n * ((rows - grand) ** 2).sum() / (S - 1)
    resid = Z - rows[:, None] - cols[None, :] + grand
    ms_res = (resid ** 2).sum() / ((S - 1) * (n - 1))
    return float((ms_rows - ms_res) / n + ms_res / n_family), float(rows.var(ddof=1)), S


def centred_item_values(R: np.ndarray, design: Design, d: int) -> tuple[np.ndarray, float]:
    """``(Z, N)``: subjects x items-of-dimension-``d`` centred item values, and how many items the subtracted
    family means average (over subjects).

    ``R``: subjects x ``design.item_ids`` ratings (NaN: not rated). Threshold-rule designs only (keys +1/-1).
    """
    key = design.key[:, d]
    if np.any((key != 0) & (np.abs(key) != 1)):
        raise InputError("the diversity decomposition needs the paper's threshold rule (keys +1/-1); "
                         "score with --scoring threshold")
    valid = design.valid[:, FAMILY_INDEX[d]] > 0
    with np.errstate(invalid="ignore"):
        fam = np.nanmean(np.where(valid[None, :], R, np.nan), axis=1)
    items = np.flatnonzero(key != 0)
    keyed = np.where(key[items] > 0, R[:, items], REVERSE_SUM - R[:, items])
    n_family = float(np.mean((~np.isnan(R[:, valid])).sum(axis=1))) if len(R) else np.inf
    return keyed - fam[:, None], n_family


def _weighted_components(Z: np.ndarray, counts: np.ndarray, n_family: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`true_variance` of the rows of ``Z`` (K x n, complete) drawn ``counts`` times ((B, K), each row of
    counts summing to K): ``(true, observed)`` per replicate, vectorised over replicates."""
    K, n = Z.shape
    r = Z.mean(axis=1)
    Y = Z - r[:, None]
    grand = counts @ r / K
    ss_rows = counts @ (r * r) - K * grand * grand
    cy = counts @ Y
    ss_res = counts @ (Y * Y).sum(axis=1) - (cy * cy).sum(axis=1) / K
    with np.errstate(invalid="ignore", divide="ignore"):
        ms_res = ss_res / ((K - 1) * (n - 1))
        return ss_rows / (K - 1) - ms_res * (1 / n - 1 / n_family), ss_rows / (K - 1)


def _model_parts(models: np.ndarray, design: Design, counts: np.ndarray) -> np.ndarray:
    """(B, D, 2): the models' true and observed variance per dimension, for each row of model ``counts``."""
    out = np.full((len(counts), len(DIMENSIONS), 2), np.nan)
    for d in range(len(DIMENSIONS)):
        if not np.any(design.key[:, d]):
            continue
        Z, N = centred_item_values(models, design, d)
        ok = ~np.isnan(Z).any(axis=0)  # items every model rated
        if ok.sum() >= 2:
            out[:, d, 0], out[:, d, 1] = _weighted_components(Z[:, ok], counts, N)
    return out


def _group_parts(raters: np.ndarray, strata: np.ndarray, design: Design) -> np.ndarray:
    """(G, D, 3): each survey group's (true, observed, raters) per dimension (NaN where < 2 items or raters)."""
    groups = np.unique(strata)
    out = np.full((len(groups), len(DIMENSIONS), 3), np.nan)
    for g, code in enumerate(groups):
        G = raters[strata == code]
        for d in range(len(DIMENSIONS)):
            if not np.any(design.key[:, d]):
                continue
            Z, N = centred_item_values(G, design, d)
            out[g, d] = true_variance(Z[:, ~np.isnan(Z).all(axis=0)], N)
    return out


def _pool(parts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(B, D, 2): the groups' components pooled with weights (raters - 1) x how often each group was drawn."""
    w = np.where(np.isnan(parts[..., 0]), 0.0, parts[..., 2] - 1)  # (G, D)
    tw = counts[:, :, None] * w[None]  # (B, G, D)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = tw.sum(axis=1)
        t = (tw * np.nan_to_num(parts[None, ..., 0])).sum(axis=1) / den
        o = (tw * np.nan_to_num(parts[None, ..., 1])).sum(axis=1) / den
    return np.stack([t, o], axis=-1)


def _ratios(models: np.ndarray, humans: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per family, (true, naive) ratios for each replicate from (B, D, 2) model and human components."""
    res = {}
    for k, fam in enumerate(FAMILIES):
        m, h = models[:, FAMILY_INDEX == k], humans[:, FAMILY_INDEX == k]
        both = ~(np.isnan(m).any(axis=2) | np.isnan(h).any(axis=2))  # (B, Df)
        mt, mo = (np.where(both, m[..., j], 0.0).sum(axis=1) for j in (0, 1))
        ht, ho = (np.where(both, h[..., j], 0.0).sum(axis=1) for j in (0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            true = np.where(ht > 0, np.sqrt(np.maximum(mt, 0.0) / ht), np.nan)
            naive = np.where(ho > 0, np.sqrt(mo / ho), np.nan)
        res[fam] = (true, naive)
    return res


def diversity_table(models: np.ndarray, raters: np.ndarray, strata: np.ndarray, design: Design, *,
                    n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per family: the ratio of the models' to the humans' between-subject spread of true portraits.

    ``models``: models x ``design.item_ids`` item means (over prompt variants); ``raters``: raters x the same
    items (NaN where not rated); ``strata``: each rater's survey group. The interval resamples survey groups (with
    their raters) and models, each with replacement (``ci_over="survey groups+models"``, percentile).

    Returns columns family, ratio (noise removed), ci_low, ci_high, naive_ratio (observed spreads), n_models,
    n_raters, ci_over, ci_method.
    """
    models, raters, strata = np.asarray(models, float), np.asarray(raters, float), np.asarray(strata)
    K = models.shape[0]
    if K < 3:
        raise InputError(f"a cohort needs at least 3 models, got {K}")
    parts = _group_parts(raters, strata, design)
    G = parts.shape[0]
    rng = np.random.default_rng(seed)
    mc = np.vstack([np.ones(K), rng.multinomial(K, np.full(K, 1.0 / K), size=n_boot)])  # row 0: the sample
    gc = np.vstack([np.ones(G), rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot)])
    ratios = _ratios(_model_parts(models, design, mc), _pool(parts, gc))
    a = (1 - level) / 2
    rows = []
    for f in FAMILIES:
        true, naive = ratios[f]
        reps = true[1:][~np.isnan(true[1:])]
        lo, hi = np.quantile(reps, [a, 1 - a]) if len(reps) else (np.nan, np.nan)
        rows.append(dict(family=f, ratio=float(true[0]), ci_low=float(lo), ci_high=float(hi),
                         naive_ratio=float(naive[0]), n_models=K, n_raters=len(raters),
                         ci_over="survey groups+models", ci_method="bootstrap-percentile"))
    return pd.DataFrame(rows)
