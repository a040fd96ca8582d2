"""Confidence intervals with a named unit: what the interval says the score would vary over.

``ci_over`` names the unit (:data:`CI_UNITS`):

* ``variants`` (the default): the benchmark's items are fixed; the uncertainty is that of this model's answers
  across prompt variants and repeated samples ("how precisely did we measure this model on this benchmark").
  For a fixed set of rated items a score is linear in the item means,
  :math:`\\text{score}_d = \\sum_i C_{id} \\bar r_i` (:func:`~valueportrait.scoring.engine.linear_coefficients`),
  so with :math:`s_i` the sample standard deviation (ddof 1) of item *i*'s :math:`m_i` ratings,

  .. math::

      \\mathrm{SE}_d^2 = \\sum_i a_{id},\\quad a_{id} = C_{id}^2 s_i^2 / m_i,\\qquad
      \\nu_d = \\frac{(\\sum_i a_{id})^2}{\\sum_i a_{id}^2 / (m_i - 1)}

  and the interval is :math:`\\text{score}_d \\pm t_{\\nu_d} \\mathrm{SE}_d` (Welch-Satterthwaite degrees of
  freedom). It assumes the items' prompt noise is independent across items. Ratings with fewer than 2
  ratings for an item that enters a dimension's score give that dimension a null interval and a note.
* ``items``: generalisation to new items. A delete-one-item jackknife over the rated items (all leave-one-out
  replicates in one :func:`~valueportrait.scoring.engine.score_matrix` call), stratified: for dimension *d*
  the strata are its own items and the other items of its family (sizes fixed by the questionnaire),
  :math:`\\mathrm{SE}^2 = \\sum_h \\frac{n_h-1}{n_h} \\sum_{i \\in h} (\\theta_{(i)} - \\bar\\theta_h)^2`,
  :math:`t` interval with :math:`n_d - 1` degrees of freedom; null with a note when :math:`n_d < 2`.
* ``items+variants``: :math:`\\mathrm{SE}^2 = \\mathrm{SE}_\\text{items}^2 + \\mathrm{SE}_\\text{variants}^2`,
  Welch-Satterthwaite degrees of freedom of the sum. Conservative: the items' spread already holds some of
  the prompt noise.

The human raters' row uses :data:`HUMAN_CI_UNITS`: ``raters`` (stratified rater bootstrap), ``items``, and
``items+raters``; a model and the humans are compared on the same unit only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..instrument import Instrument
from .design import Design
from .engine import linear_coefficients, score_matrix
from ..ratings import numeric_ratings
from .portrait import Ratings, score_portrait, selected_items
from .resample import check_settings

__all__ = ["CI_METHODS", "CI_UNITS", "DEFAULT_CI_OVER", "HUMAN_CI_UNITS", "VARIANTS_NOTE", "Spread", "UnitSE", "check_ci_over",
           "combine", "interval_models", "interval_portrait", "item_spread", "jackknife_se", "ratings_spread",
           "t_interval", "t_p_value", "unit_se", "variants_se", "with_unit"]

#: The units a model's interval can be over.
CI_UNITS: tuple[str, ...] = ("variants", "items", "items+variants")
#: The human row's unit for each model unit (a model and the humans are compared on the same unit).
HUMAN_CI_UNITS: dict[str, str] = {"variants": "raters", "items": "items", "items+variants": "items+raters"}
#: How the interval of each unit is made (``ci_method``): one unit, one estimator, wherever it is used (model
#: scores, persona portraits, the human row, comparisons).
CI_METHODS: dict[str, str] = {"variants": "t-analytic", "items": "jackknife-t", "items+variants": "jackknife+analytic-t",
                              "raters": "bootstrap-percentile", "items+raters": "jackknife+bootstrap-t"}
#: The default unit: the precision of this model's measurement on this benchmark's items.
DEFAULT_CI_OVER = "variants"
#: The note of a dimension whose ratings cannot support ``ci_over='variants'``.
VARIANTS_NOTE = "needs >= 2 ratings per item (prompt variants or repeats) for ci_over='variants'"


def check_ci_over(ci_over: str, choices: tuple[str, ...] = CI_UNITS) -> str:
    """``ci_over`` if it is one of ``choices``, else InputError listing them.

    >>> check_ci_over("prompts")
    Traceback (most recent call last):
    valueportrait.errors.InputError: unknown ci_over 'prompts'; choose one of: variants, items, items+variants
    """
    if ci_over not in choices:
        raise InputError(f"unknown ci_over {ci_over!r}; choose one of: {', '.join(choices)}")
    return ci_over


class Spread(NamedTuple):
    """Per item (in ``item_ids`` order): mean, sample variance (ddof 1; NaN with one rating) and count of the
    valid ratings (prompt variants and repeats together)."""

    item_ids: tuple[str, ...]
    mean: np.ndarray
    var: np.ndarray
    count: np.ndarray


class UnitSE(NamedTuple):
    """Standard error and degrees of freedom per dimension (19,), and a note per dimension (None = fine)."""

    se: np.ndarray
    df: np.ndarray
    notes: list


def item_spread(item_ids: np.ndarray, values: np.ndarray) -> Spread:
    """:class:`Spread` of valid ratings given as parallel arrays (items sorted).

    >>> s = item_spread(np.array(["b", "a", "b"], dtype=object), np.array([5.0, 2.0, 3.0]))
    >>> s.item_ids, s.mean.tolist(), s.var.tolist()[1], s.count.tolist()
    (('a', 'b'), [2.0, 4.0], 2.0, [1, 2])
    """
    if len(item_ids) == 0:
        return Spread((), np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))
    codes, uniq = pd.factorize(np.asarray(item_ids, dtype=object), sort=True)
    count = np.bincount(codes)
    mean = np.bincount(codes, weights=values) / count
    ss = np.bincount(codes, weights=(values - mean[codes]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(count >= 2, ss / (count - 1), np.nan)
    return Spread(tuple(str(u) for u in uniq), mean, var, count)


def _ws_df(a: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom of a sum of variance terms ``a`` (rows) with ``dof`` each."""
    total = a.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = (a ** 2 / dof).sum(axis=0)
        return np.where(denom > 0, total ** 2 / denom, np.inf)


def variants_se(spreads: list[Spread], design: Design, *, center: bool | str = True) -> UnitSE:
    """SE over prompt variants of ``sum_k score(spread_k)``-type statistics: one spread, a score; two, the
    difference of two independent models' scores (their variances add). Every spread is over
    ``design.item_ids`` (NaN mean = not rated).
    """
    terms, dofs, bad = [], [], np.zeros(design.key.shape[1], dtype=bool)
    for sp in spreads:
        C, _ = linear_coefficients(design, ~np.isnan(sp.mean), center=center)
        Cz = np.nan_to_num(C)
        thin = (sp.count < 2) & ~np.isnan(sp.mean)
        bad |= ((Cz != 0) & thin[:, None]).any(axis=0)
        with np.errstate(invalid="ignore"):
            terms.append(Cz ** 2 * np.where(thin, 0.0, np.nan_to_num(sp.var) / np.maximum(sp.count, 1))[:, None])
        dofs.append(np.maximum(sp.count - 1, 1).astype(float)[:, None])
    a, dof = np.concatenate(terms), np.concatenate(dofs)
    se, df = np.sqrt(a.sum(axis=0)), _ws_df(a, dof)
    se[bad], df[bad] = np.nan, np.nan
    return UnitSE(se, df, [VARIANTS_NOTE if b else None for b in bad])


def jackknife_se(means: list[np.ndarray], design: Design, *, center: bool | str = True) -> UnitSE:
    """Delete-one-item jackknife SE of ``score(means[0]) - score(means[1])`` (or of ``score(means[0])``).

    ``means``: one or two (I,) item-mean vectors over ``design.item_ids`` rated on the same items (NaN = not
    rated). For dimension *d* the items that can move its score are its family's, in two strata of fixed size:
    its own :math:`n_d` items and the rest of the family (a stratified jackknife, so an uncentred score's SE is
    exactly the :math:`s / \\sqrt{n_d}` of its items); :math:`t` degrees of freedom :math:`n_d - 1`.
    """
    rated = np.flatnonzero(~np.isnan(means[0]))
    W = np.ones((len(rated), len(design.item_ids)))
    W[np.arange(len(rated)), rated] = 0.0
    reps = score_matrix(means[0], design, W, center=center).score
    for other in means[1:]:
        reps = reps - score_matrix(other, design, W, center=center).score
    unit = design.valid[rated][:, design.family_index] > 0  # (N, D): the item can move the dimension's score
    inside = design.key[rated] != 0
    n_d = inside.sum(axis=0)
    se2 = np.zeros(reps.shape[1])
    for stratum in (inside, unit & ~inside):  # the dimension's items; the rest of its family
        n_h = stratum.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(stratum, reps, 0.0).sum(axis=0) / n_h
            ss = np.where(stratum, (reps - mean) ** 2, 0.0).sum(axis=0)
            se2 += np.where(n_h > 1, (n_h - 1) / n_h * ss, 0.0)
    se = np.sqrt(se2)
    few = n_d < 2
    se[few] = np.nan
    df = np.where(few, np.nan, n_d - 1.0)
    notes = [f"needs >= 2 rated items of the dimension for ci_over='items' (has {int(k)})" if f else None
             for f, k in zip(few, n_d)]
    return UnitSE(se, df, notes)


def combine(a: UnitSE, b: UnitSE) -> UnitSE:
    """Sum of the two variances, Welch-Satterthwaite degrees of freedom; null where either is null."""
    va, vb = a.se ** 2, b.se ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = va ** 2 / a.df + vb ** 2 / b.df
        df = np.where(denom > 0, (va + vb) ** 2 / denom, np.inf)
    se = np.sqrt(va + vb)
    df = np.where(np.isnan(se), np.nan, df)
    notes = [x or y for x, y in zip(a.notes, b.notes)]
    return UnitSE(se, df, notes)


def t_interval(estimate: np.ndarray, unit: UnitSE, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """``estimate -/+ t_{df, (1+confidence)/2} * se`` (a zero SE gives a zero-width interval)."""
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, unit.df) * unit.se
    half = np.where(unit.se == 0, 0.0, half)
    return estimate - half, estimate + half


def t_p_value(estimate: np.ndarray, unit: UnitSE) -> np.ndarray:
    """Two-sided p of ``estimate / se`` on ``t_df`` (1 where estimate and SE are both 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(estimate) / unit.se
        p = 2 * stats.t.sf(z, unit.df)
    return np.where((unit.se == 0) & (estimate == 0), 1.0, p)


def ratings_spread(ratings: Ratings, instrument: Instrument | None = None) -> Spread:
    """:class:`Spread` of a ratings table (``item_id, rating``); a Series of item means counts one rating each."""
    if isinstance(ratings, pd.Series):
        keep = ratings.notna().to_numpy()
        return item_spread(np.asarray(ratings.index.astype(str), dtype=object)[keep],
                           ratings.to_numpy(dtype=float)[keep])
    rating = numeric_ratings(ratings, instrument)
    ok = rating.notna().to_numpy()
    return item_spread(np.asarray(ratings["item_id"].tolist(), dtype=object)[ok], rating.to_numpy(dtype=float)[ok])


def spread_on(spread: Spread, item_ids) -> Spread:
    """``spread`` over ``item_ids`` (items it lacks: NaN mean and variance, count 0)."""
    idx = pd.Index(spread.item_ids).get_indexer(list(item_ids))
    ok = idx >= 0
    pick = np.maximum(idx, 0)
    take = (lambda a, fill: np.where(ok, a[pick], fill)) if len(spread.item_ids) else (
        lambda a, fill: np.full(len(idx), fill))
    return Spread(tuple(item_ids), take(spread.mean, np.nan), take(spread.var, np.nan),
                  take(spread.count, 0).astype(np.int64))


def unit_se(ci_over: str, spreads: list[Spread], design: Design, *, center: bool | str = True) -> UnitSE:
    """The SE and degrees of freedom of ``ci_over`` for one score (one spread) or a difference of two."""
    check_ci_over(ci_over)
    if ci_over == "variants":
        return variants_se(spreads, design, center=center)
    jack = jackknife_se([s.mean for s in spreads], design, center=center)
    return jack if ci_over == "items" else combine(jack, variants_se(spreads, design, center=center))


def with_unit(portrait: pd.DataFrame, unit: UnitSE, confidence: float, ci_over: str,
              estimate: str = "score") -> pd.DataFrame:
    """``portrait`` plus ``ci_low, ci_high, se, df`` (t interval), ``ci_over`` and ``ci_method``; null where the estimate is,
    and the unit's note added where the interval is null but the estimate is not."""
    est = portrait[estimate].to_numpy(dtype=float)
    lo, hi = t_interval(est, unit, confidence)
    null = np.isnan(est)
    out = portrait.assign(ci_low=np.where(null, np.nan, lo), ci_high=np.where(null, np.nan, hi),
                          se=np.where(null, np.nan, unit.se), df=np.where(null, np.nan, unit.df), ci_over=ci_over,
                          ci_method=CI_METHODS[ci_over])
    if "note" in out:
        old = out["note"].tolist()
        out["note"] = pd.Series([o if (o or n is None or z) else n for o, n, z in zip(old, unit.notes, null)],
                                index=out.index, dtype=object)
    return out


def interval_portrait(ratings: Ratings, selection: pd.DataFrame, *, ci_over: str = DEFAULT_CI_OVER,
                      confidence: float = 0.95, center: bool | str = True, min_items: int = 1,
                      instrument: Instrument | None = None) -> pd.DataFrame:
    """:func:`~valueportrait.scoring.portrait.score_portrait` plus a ``confidence`` interval over ``ci_over``
    (``instrument``: whose dimensions and scale, default Value Portrait's).

    Returns
    -------
    DataFrame
        The portrait plus ``ci_low, ci_high, se, df, ci_over``; a dimension whose ratings cannot support the
        unit has a null interval and says why in ``note``.

    Examples
    --------
    >>> sel = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq",
    ...                     "dimension": ["Power", "Power", "Hedonism"], "key": 1})
    >>> r = pd.DataFrame({"item_id": list("aabbcc"), "rating": [5, 6, 3, 3, 1, 2]})
    >>> p = interval_portrait(r, sel).set_index("dimension").loc["Power"]
    >>> round(float(p["score"]), 4), round(float(p["se"]), 4), p["ci_over"]  # se: hand formula in docs/metric.md
    (0.9167, 0.1863, 'variants')
    """
    check_ci_over(ci_over)
    check_settings(0, confidence, min_items)
    out = score_portrait(ratings, selection, center=center, min_items=min_items, instrument=instrument)
    spread = ratings_spread(ratings, instrument)
    items = selected_items(pd.Series(0.0, index=list(spread.item_ids), dtype=float), selection)
    design = Design.from_selection(selection, items, instrument)
    return with_unit(out, unit_se(ci_over, [spread_on(spread, items)], design, center=center), confidence, ci_over)


def interval_models(ratings: pd.DataFrame, selection: pd.DataFrame, **kwargs) -> dict[str, pd.DataFrame]:
    """:func:`interval_portrait` for each ``model`` of a ratings table (in order of first appearance)."""
    if "model" not in ratings:
        return {"model": interval_portrait(ratings, selection, **kwargs)}
    return {str(m): interval_portrait(g, selection, **kwargs) for m, g in ratings.groupby("model", sort=False)}
