"""Paired comparisons of portraits whose p-values control the family-wise error over one comparison's 19 scores.

``difference = score_a - score_b``, both scored on the items both models rated. Its interval and p come from the
same standard error and degrees of freedom as the portraits' intervals (:mod:`~valueportrait.scoring.intervals`):

* ``ci_over="variants"``: the two models' prompt noise is independent, so the variances add,
  :math:`\\mathrm{SE}^2 = \\sum_i C_{id}^2 (s_{ai}^2 / m_{ai} + s_{bi}^2 / m_{bi})`, Welch-Satterthwaite degrees of
  freedom over both models' terms: a Welch t test;
* ``ci_over="items"``: delete-one-item jackknife of the paired difference (both models lose the same item),
  :math:`t` with :math:`n_d - 1` degrees of freedom;
* ``ci_over="items+variants"``: the sum of the two variances.

``p_value`` is two-sided; ``p_adjusted`` is Holm's (1979) step-down adjustment (:data:`ADJUSTMENTS`):

* ``adjust="comparison"`` (default): over the dimensions of the one comparison that have a p (at most 19), so
  ``p_adjusted < alpha`` rejects with family-wise error at most alpha *per compared model*;
* ``adjust="leaderboard"``: over every model x dimension test of the call (Holm over all of them), so the chance
  of any false finding on the whole leaderboard is at most alpha (null leaderboards of 32 models,
  ``benchmarks/validate_compare.py``: any false finding in 61.5% under ``comparison``, 2.5% under
  ``leaderboard``).

The human raters as a baseline (:data:`~valueportrait.scoring.humans.HUMAN_MODEL`, their ``human_ratings``): the
two sides share one unit only, ``items`` (prompt variants are a model's, raters the humans'): the paired
delete-one-item jackknife of the difference over the items both rated; any other ``ci_over`` is an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import DEFAULT_LEVEL, Intervals
from ..errors import InputError
from ..instrument import Instrument
from .design import Design
from .intervals import (CI_METHODS, DEFAULT_CI_OVER, check_ci_over, ratings_spread, spread_on, t_interval, t_p_value,
                        unit_se)
from .portrait import Ratings, score_portrait, selected_items
from .resample import check_settings

__all__ = ["ADJUSTMENTS", "COMPARISON_COLUMNS", "check_adjustment", "compare_models", "compare_portraits", "holm"]

#: Columns of :func:`compare_models` (the ``--json`` records of ``valueportrait compare``).
COMPARISON_COLUMNS = ["model", "baseline", "family", "dimension", "difference", "ci_low", "ci_high", "p_value",
                      "p_adjusted", "ci_over", "ci_method"]
#: The families Holm's adjustment can run over: each comparison's dimensions, or the whole call's tests.
ADJUSTMENTS: tuple[str, ...] = ("comparison", "leaderboard")


def check_adjustment(adjust: str) -> str:
    """``adjust`` if it is one of :data:`ADJUSTMENTS`, else an InputError listing them."""
    if adjust not in ADJUSTMENTS:
        raise InputError(f"unknown adjust {adjust!r}; choose one of: {', '.join(ADJUSTMENTS)} (--adjust)")
    return adjust


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are left out of the family and stay NaN).

    >>> holm(np.array([0.01, 0.04, np.nan, 0.03])).round(4).tolist()
    [0.03, 0.06, nan, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out


def compare_portraits(ratings_a: Ratings, ratings_b: Ratings, selection: pd.DataFrame, *,
                      ci_over: str = DEFAULT_CI_OVER, confidence: float = DEFAULT_LEVEL,
                      center: bool | str = True, instrument: Instrument | None = None) -> pd.DataFrame:
    """Paired comparison of two portraits over the items both rated: difference, its CI, p, Holm-adjusted p
    (``instrument``: whose dimensions and scale, default Value Portrait's).

    Returns
    -------
    DataFrame
        ``family, dimension, score_a, score_b, difference, ci_low, ci_high, se, df, p_value, p_adjusted, n,
        ci_over, ci_method, note`` (n = shared items measuring the dimension; note: why an interval is null).

    Examples
    --------
    >>> sel = pd.DataFrame({"item_id": list("abcd"), "family": "pvq",
    ...                     "dimension": ["Power", "Power", "Hedonism", "Hedonism"], "key": 1})
    >>> a = pd.DataFrame({"item_id": list("aabbccdd"), "rating": [6, 5, 6, 6, 2, 1, 2, 2]})
    >>> b = pd.DataFrame({"item_id": list("aabbccdd"), "rating": [4, 4, 4, 3, 3, 3, 3, 4]})
    >>> c = compare_portraits(a, b, sel).set_index("dimension").loc["Power"]
    >>> float(c["difference"]), float(c["se"]), float(c["df"]), round(float(c["p_value"]), 4)  # t = 7 on 4 df
    (1.75, 0.25, 4.0, 0.0022)
    """
    check_ci_over(ci_over)
    check_settings(0, confidence)
    sa, sb = ratings_spread(ratings_a, instrument), ratings_spread(ratings_b, instrument)
    shared = sorted(set(sa.item_ids) & set(sb.item_ids))
    items = selected_items(pd.Series(0.0, index=shared, dtype=float), selection)
    design = Design.from_selection(selection, items, instrument)
    a, b = spread_on(sa, items), spread_on(sb, items)
    pa = score_portrait(pd.Series(a.mean, index=list(items), dtype=float), selection, center=center,
                        instrument=instrument)
    pb = score_portrait(pd.Series(b.mean, index=list(items), dtype=float), selection, center=center,
                        instrument=instrument)
    diff = (pa["score"] - pb["score"]).to_numpy()
    unit = unit_se(ci_over, [a, b], design, center=center)
    lo, hi = t_interval(diff, unit, confidence)
    p = np.where(np.isnan(diff), np.nan, t_p_value(diff, unit))
    notes = [n if not np.isnan(d) else pn for n, d, pn in zip(unit.notes, diff, pa["note"])]
    return pd.DataFrame({
        "family": pa["family"], "dimension": pa["dimension"], "score_a": pa["score"], "score_b": pb["score"],
        "difference": diff, "ci_low": lo, "ci_high": hi, "se": unit.se, "df": unit.df, "p_value": p,
        "p_adjusted": holm(p), "n": pa["n"], "ci_over": ci_over, "ci_method": CI_METHODS[ci_over],
        "note": pd.Series(notes, dtype=object),
    })


def compare_models(ratings: pd.DataFrame, selection: pd.DataFrame, baseline: str, *,
                   intervals: Intervals = Intervals(), center: bool | str = True, adjust: str = "comparison",
                   human_ratings: pd.DataFrame | None = None, instrument: Instrument | None = None) -> pd.DataFrame:
    """Every ``model`` of a ratings table against ``baseline``: :func:`compare_portraits` rows, stacked.

    ``intervals``: the unit (``over``) and ``level`` of the intervals. ``baseline``: one of the models, or
    ``"human raters"`` with ``human_ratings`` (the dataset's ``human_ratings``; then ``intervals.over`` must be
    ``items``, the one unit both sides have). ``adjust``: Holm within each comparison (``comparison``) or over
    all the call's tests (``leaderboard``). ``instrument``: whose dimensions and scale (default Value Portrait's).

    Returns :data:`COMPARISON_COLUMNS` plus ``score_model, score_baseline, se, df, n, note``. An unknown
    baseline is an InputError listing the models (and the human raters when given).
    """
    from .humans import HUMAN_MODEL

    check_adjustment(adjust)
    if "model" not in ratings.columns:
        raise InputError("the ratings table lacks column model; compare needs the ratings of several models")
    ci_over, confidence = check_ci_over(intervals.over), intervals.level
    models = [str(m) for m in pd.unique(ratings["model"])]
    human = baseline == HUMAN_MODEL and human_ratings is not None
    if not human and baseline not in models:
        choices = ", ".join(models + ([repr(HUMAN_MODEL)] if human_ratings is not None else []))
        raise InputError(f"unknown baseline {baseline!r}; choose one of: {choices}")
    if human and ci_over != "items":
        raise InputError(f"the human raters share one unit with a model: items (a model's intervals are over prompt "
                         f"variants, the humans' over raters); compare with --ci-over items "
                         f"(intervals=Intervals(over='items')), got {ci_over!r}")
    others = [m for m in models if m != baseline]
    if not others:
        raise InputError(f"compare needs at least one model besides the baseline {baseline!r}; got only it")
    by = {str(m): g for m, g in ratings.groupby("model", sort=False)}
    base = human_ratings[["item_id", "rating"]] if human else by[baseline]
    rows = []
    for m in others:
        c = compare_portraits(by[m], base, selection, ci_over=ci_over, confidence=confidence, center=center,
                              instrument=instrument)
        rows.append(c.rename(columns={"score_a": "score_model", "score_b": "score_baseline"})
                    .assign(model=m, baseline=baseline))
    out = pd.concat(rows, ignore_index=True)
    if adjust == "leaderboard":
        out["p_adjusted"] = holm(out["p_value"].to_numpy(dtype=float))
    rest = [c for c in out.columns if c not in COMPARISON_COLUMNS]
    return out[COMPARISON_COLUMNS + rest]
