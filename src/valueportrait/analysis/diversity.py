r"""How far apart subjects' TRUE portraits are, measurement noise taken out (generalizability theory), models
against human raters ON THE SAME ITEMS.

A subject *s* (a model, or a human rater) rates items; for dimension *d* its centred item values are
:math:`z_{si} = k_{id} r_{si} - m_{s f(d)}` (the keyed rating minus the subject's own family mean) for the
*n* items measuring *d*, and its score is their mean. With subjects and items crossed, the two-way
random-effects decomposition (Cronbach et al. 1972; Brennan 2001, ch. 3) gives

.. math::

    \hat\sigma^2_s = \frac{MS_{subjects} - MS_{residual}}{n} + \frac{MS_{residual}}{N},

the variance between subjects of their universe scores (the score on endlessly many such items; the subject x
item interaction counts as noise, for models and humans alike), where :math:`N` items enter the family mean
(which shares the dimension's own items, so a centred score's noise is :math:`\sigma^2 (1/n - 1/N)`). The item
main effect is common to all subjects on the same items and does not enter.

**The same items, the same centring.** The release's raters each rated only their survey group's items (16-58 of
317), so a rater's portrait is centred on the group's few family items; models rate every item. A portrait's
spread depends on which items enter the family mean (centring on a few items of a few dimensions spreads portraits
far more than centring on all of them: on the 33 released models, 0.89 against 0.18 summed over the ten values),
so both sides are measured within each survey group, on the group's items with the group's centring, and the
groups pooled with the same weights (raters - 1) on both sides. The ratio (:func:`diversity_table`) is
:math:`\sqrt{\sum_{g,d} w_{gd} \hat\sigma^2_{models,gd} / \sum_{g,d} w_{gd} \hat\sigma^2_{humans,gd}}` over a
family's dimensions (sums, so that a negative estimate is averaged out rather than clipped); the *naive* ratio uses
the observed variances on the same items. Comparing models centred on the whole benchmark with raters centred on
their group's items (the estimator shipped before, pvq 0.27) mixes two estimands: biased even when the true ratio
is the same for every item set (benchmarks/sim_diversity.py, docs/findings.md). The interval redraws survey groups
(raters and items) and models; its coverage of a known ratio under the release's design is in docs/findings.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..scoring.design import Design

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
    valid = design.valid[:, design.family_index[d]] > 0
    with np.errstate(invalid="ignore"):
        fam = np.nanmean(np.where(valid[None, :], R, np.nan), axis=1)
    items = np.flatnonzero(key != 0)
    keyed = np.where(key[items] > 0, R[:, items], design.reverse_sum - R[:, items])
    n_family = float(np.mean((~np.isnan(R[:, valid])).sum(axis=1))) if len(R) else np.inf
    return keyed - fam[:, None], n_family


def _components(Z: np.ndarray, counts: np.ndarray, n_family: float) -> tuple[np.ndarray, np.ndarray]:
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


def _group_parts(models: np.ndarray, raters: np.ndarray, strata: np.ndarray, design: Design,
                 counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per survey group and dimension, on THAT group's items with THAT group's centring for both sides:
    the models' (true, observed) variance for each row of model ``counts`` (B, G, D, 2), the raters' (true,
    observed) (G, D, 2), and the pooling weight raters - 1 ((G, D); 0 where the group has < 2 items of the
    dimension or < 2 complete raters)."""
    groups = np.unique(strata)
    B, G, D = len(counts), len(groups), len(design.dimensions)
    mod, hum, w = np.full((B, G, D, 2), np.nan), np.full((G, D, 2), np.nan), np.zeros((G, D))
    for g, code in enumerate(groups):
        Rg = raters[strata == code]
        seen = ~np.isnan(Rg).all(axis=0)
        Mg = np.where(seen[None, :], models, np.nan)  # the models on this group's items only
        for d in range(D):
            if not np.any(design.key[seen, d]):
                continue
            Zh, Nh = centred_item_values(Rg, design, d)
            Zm, Nm = centred_item_values(Mg, design, d)
            cols = ~np.isnan(Zh).all(axis=0) & ~np.isnan(Zm).any(axis=0)  # items raters saw, every model rated
            if cols.sum() < 2:
                continue
            t, o, n = true_variance(Zh[:, cols], Nh)
            if n < 2:
                continue
            hum[g, d], w[g, d] = (t, o), n - 1
            mod[:, g, d, 0], mod[:, g, d, 1] = _components(Zm[:, cols], counts, Nm)
    return mod, hum, w


def _ratios(mod: np.ndarray, hum: np.ndarray, w: np.ndarray, gcounts: np.ndarray, design: Design
            ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per family, (true, naive) ratios for each replicate: sqrt of the models' over the raters' components,
    both summed over the family's dimensions and the survey groups with the same weights (raters - 1, times how
    often a replicate drew the group)."""
    W = gcounts[:, :, None] * w[None]  # (B, G, D)
    res = {}
    for k, fam in enumerate(design.instrument.family_dims):
        c = design.family_index == k
        Wf = W[:, :, c]
        mt, mo = ((Wf * np.nan_to_num(mod[:, :, c, j])).sum(axis=(1, 2)) for j in (0, 1))
        ht, ho = ((Wf * np.nan_to_num(hum[None, :, c, j])).sum(axis=(1, 2)) for j in (0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            true = np.where(ht > 0, np.sqrt(np.maximum(mt, 0.0) / ht), np.nan)
            naive = np.where(ho > 0, np.sqrt(mo / ho), np.nan)
        res[fam] = (true, naive)
    return res


def _caveat(ratio: float, lo: float, hi: float) -> str | None:
    """Why a ratio is not to be read as a figure (None: nothing to say)."""
    if not np.isfinite(ratio) or not np.isfinite(lo):
        return "not estimable: too few items or raters per survey group"
    if lo <= 0:
        return "the models' true spread cannot be told from none (the interval reaches 0)"
    if hi - lo > ratio:
        return "imprecise: the interval is wider than the ratio"
    return None


def diversity_table(models: np.ndarray, raters: np.ndarray, strata: np.ndarray, design: Design, *,
                    n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per family: the ratio of the models' to the humans' between-subject spread of true portraits, both
    measured on each survey group's items with that group's centring (module docstring).

    ``models``: models x ``design.item_ids`` item means (over prompt variants); ``raters``: raters x the same
    items (NaN where not rated); ``strata``: each rater's survey group. The interval resamples survey groups (with
    their raters and items, for both sides) and models, each with replacement (``ci_over="survey
    groups+models"``, percentile).

    Returns columns family, ratio (noise removed), ci_low, ci_high, naive_ratio (observed spreads, same items),
    n_models, n_raters, n_groups (survey groups that measure the family), caveat (None, or why the ratio is not
    to be read: its interval reaches 0, or is wider than the ratio itself), ci_over, ci_method.
    """
    models, raters, strata = np.asarray(models, float), np.asarray(raters, float), np.asarray(strata)
    K = models.shape[0]
    if K < 3:
        raise InputError(f"a cohort needs at least 3 models, got {K}")
    G = len(np.unique(strata))
    rng = np.random.default_rng(seed)
    mc = np.vstack([np.ones(K), rng.multinomial(K, np.full(K, 1.0 / K), size=n_boot)])  # row 0: the sample
    gc = np.vstack([np.ones(G), rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot)])
    mod, hum, w = _group_parts(models, raters, strata, design, mc)
    ratios = _ratios(mod, hum, w, gc, design)
    a = (1 - level) / 2
    rows = []
    for k, f in enumerate(design.instrument.family_dims):
        true, naive = ratios[f]
        reps = true[1:][~np.isnan(true[1:])]
        lo, hi = np.quantile(reps, [a, 1 - a]) if len(reps) else (np.nan, np.nan)
        rows.append(dict(family=f, ratio=float(true[0]), ci_low=float(lo), ci_high=float(hi),
                         naive_ratio=float(naive[0]), n_models=K, n_raters=len(raters),
                         n_groups=int((w[:, design.family_index == k] > 0).any(axis=1).sum()),
                         caveat=_caveat(float(true[0]), float(lo), float(hi)),
                         ci_over="survey groups+models", ci_method="bootstrap-percentile"))
    return pd.DataFrame(rows)
