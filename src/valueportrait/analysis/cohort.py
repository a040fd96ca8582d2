r"""The cohort of models (Han et al. 2025, Sec. 5): what models as a group favour, against the human raters on
the same items, between groups of models, and where one model stands.

* The cohort mean of a dimension is the mean of the models' centred scores, each model weight 1. Its interval
  over models is Student's t on the models' scores (``ci_over="models"``, ``t-analytic``); its interval over items
  and models (``"items+models"``, ``bootstrap-percentile``) redraws, in each replicate, the items (one draw shared
  by every model and the humans, as :func:`~valueportrait.scoring.bootstrap_portraits`) and the models.
* The human raters' score is the human row's point estimate (mean rating per item, scored with the same design);
  the cohort minus the humans gets the items+models interval of the difference and a two-sided bootstrap p
  (twice the smaller tail share of the replicates at 0), Holm-adjusted over the dimensions.
* Group contrasts (:func:`group_contrasts`): Welch's t per dimension (scipy), Holm over the dimensions; with
  ``cluster`` a cluster bootstrap (clusters redrawn within each group) gives the interval and p instead.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..scoring.compare import holm
from ..scoring.design import Design
from ..scoring.engine import score_matrix
from ..scoring.resample import item_weights
from ..settings import Intervals

__all__ = ["Cohort", "cohort_of_models", "cohort_of_scores", "focus_table", "group_contrasts"]

MIN_MODELS = 3


@contextmanager
def _quiet():
    """numpy's all-NaN / empty-slice warnings off: such columns come out NaN, as documented."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass
class Cohort:
    """What :func:`cohort_of_models` made. ``table``: one row per dimension; ``scores``: models x dimensions
    (centred scores); ``diversity``, ``contrasts``, ``focus``: filled by the pipeline when asked for."""

    table: pd.DataFrame
    scores: pd.DataFrame
    diversity: pd.DataFrame | None = None
    contrasts: pd.DataFrame | None = None
    focus: pd.DataFrame | None = None
    meta: dict = field(default_factory=dict)


def _tail_p(reps: np.ndarray) -> np.ndarray:
    """Two-sided bootstrap p of 0 per column: twice the smaller share of replicates at or beyond 0, counted as
    (k + 1) / (n + 1) so that no p is 0 (Davison & Hinkley 1997, eq. 4.11)."""
    ok = ~np.isnan(reps)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = (np.where(ok, reps <= 0, False).sum(axis=0) + 1) / (n + 1)
        hi = (np.where(ok, reps >= 0, False).sum(axis=0) + 1) / (n + 1)
        return np.where(n > 0, np.minimum(1.0, 2 * np.minimum(lo, hi)), np.nan)


def _t_interval(S: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, t-interval and count over the rows of ``S`` (models x dims), NaN rows left out per column."""
    n = (~np.isnan(S)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(S, axis=0)
        se = np.nanstd(S, axis=0, ddof=1) / np.sqrt(n)
        half = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * se
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half, n


def _rows(dimensions) -> dict[str, list[str]]:
    """The family and dimension columns of a per-dimension table."""
    return {"family": [f for f, _ in dimensions], "dimension": [d for _, d in dimensions]}


def _dimensions_of(scores: pd.DataFrame) -> list[tuple[str, str]]:
    """(family, dimension) of each ``family.dimension`` column of a models x dimensions table; unnamed columns
    (e.g. 0..18) are Value Portrait's 19 dimensions in order."""
    if all("." in str(c) for c in scores.columns):
        return [tuple(str(c).split(".", 1)) for c in scores.columns]
    from ..instrument import VALUE_PORTRAIT

    if scores.shape[1] != len(VALUE_PORTRAIT.dimensions):
        raise InputError(f"the scores' columns {list(scores.columns)[:5]}... are not named 'family.dimension'; name "
                         f"them so (or give Value Portrait's {len(VALUE_PORTRAIT.dimensions)} dimensions in order)")
    return list(VALUE_PORTRAIT.dimensions)


def _check_size(index) -> None:
    if len(index) < MIN_MODELS:
        raise InputError(f"a cohort needs at least {MIN_MODELS} models, got {len(index)} "
                         f"({', '.join(map(str, index))}); add models or use `valueportrait compare`")


def cohort_of_scores(scores: pd.DataFrame, human: np.ndarray, *, level: float = 0.95) -> Cohort:
    """The cohort table from the models' centred scores alone (models x dimensions, columns ``family.dimension``
    in the instrument's order, e.g. a leaderboard.json's portraits) and the human raters' scores ``human`` (one
    value per column; NaN: none).

    Only what scores support: the cohort mean with its t interval over models, the humans and the difference.
    The intervals over items and models, the test of the difference and the diversity need item ratings: their
    columns are NaN and ``meta["item_level"]`` is False.
    """
    _check_size(scores.index)
    S = scores.to_numpy(dtype=float)
    mean, lo, hi, n = _t_interval(S, level)
    nan = np.full(S.shape[1], np.nan)
    table = pd.DataFrame({**_rows(_dimensions_of(scores)), "n_models": n, "cohort_mean": mean, "ci_low": lo, "ci_high": hi, "ci_low_im": nan,
                          "ci_high_im": nan, "human": np.asarray(human, dtype=float), "diff": mean - human,
                          "diff_ci_low": nan, "diff_ci_high": nan, "p": nan, "p_holm": nan})
    meta = dict(n_models=len(S), level=level, n_boot=0, seed=None, item_level=False,
                intervals={"ci": ("models", "t-analytic")})
    return Cohort(table=table, scores=scores.copy(), meta=meta)


def cohort_of_models(models: pd.DataFrame, humans: pd.Series, design: Design, *,
                     intervals: Intervals = Intervals(), center: bool | str = True) -> Cohort:
    """The cohort table of ``models`` (models x ``design.item_ids`` item means over prompt variants; NaN: not
    rated) against the human raters' item means ``humans`` (indexed by item id).

    Returns a :class:`Cohort` whose ``table`` has per dimension: family, dimension, n_models, cohort_mean,
    ci_low / ci_high (over models, t), ci_low_im / ci_high_im (over items and models, bootstrap), human, diff
    (cohort - human), diff_ci_low / diff_ci_high (items+models), p, p_holm.
    """
    _check_size(models.index)
    ids = list(design.item_ids)
    M = models.reindex(columns=ids).to_numpy(dtype=float)
    H = humans.reindex(ids).to_numpy(dtype=float)
    S = score_matrix(M, design, center=center).score
    h = score_matrix(H, design, center=center).score[0]
    mean, lo, hi, n = _t_interval(S, intervals.level)
    rng = np.random.default_rng(intervals.seed)
    B, K = intervals.n_boot, len(M)
    W = item_weights(len(ids), B, rng)
    counts = rng.multinomial(K, np.full(K, 1.0 / K), size=B).astype(float)  # (B, K) model draws
    dims = design.dimensions
    num = np.zeros((B, len(dims)))
    den = np.zeros((B, len(dims)))
    for k in range(K):
        Sk = score_matrix(M[k], design, W, center=center).score
        ok = ~np.isnan(Sk)
        num += np.where(ok, Sk, 0.0) * counts[:, [k]]
        den += ok * counts[:, [k]]
    with np.errstate(invalid="ignore", divide="ignore"):
        cohort_reps = num / den
    diff_reps = cohort_reps - score_matrix(H, design, W, center=center).score
    a = (1 - intervals.level) / 2
    with np.errstate(invalid="ignore"), _quiet():
        cq = np.nanquantile(cohort_reps, [a, 1 - a], axis=0)
        dq = np.nanquantile(diff_reps, [a, 1 - a], axis=0)
    p = _tail_p(diff_reps)
    table = pd.DataFrame({**_rows(dims), "n_models": n, "cohort_mean": mean, "ci_low": lo, "ci_high": hi,
                          "ci_low_im": cq[0], "ci_high_im": cq[1], "human": h, "diff": mean - h,
                          "diff_ci_low": dq[0], "diff_ci_high": dq[1], "p": p, "p_holm": holm(p)})
    scores = pd.DataFrame(S, index=models.index, columns=[f"{f}.{d}" for f, d in dims])
    meta = dict(n_models=K, level=intervals.level, n_boot=B, seed=intervals.seed, item_level=True,
                intervals={"ci": ("models", "t-analytic"), "ci_im": ("items+models", "bootstrap-percentile"),
                           "diff_ci": ("items+models", "bootstrap-percentile")})
    return Cohort(table=table, scores=scores, meta=meta)


def group_contrasts(scores: pd.DataFrame, groups: pd.Series, *, level: float = 0.95,
                    clusters: pd.Series | None = None, n_boot: int = 2000, seed: int = 0,
                    values: tuple[str, str] | None = None) -> pd.DataFrame:
    """Per dimension, the difference of the mean centred score between the two groups of ``groups`` (model ->
    group label), its interval, p and Holm-adjusted p over the dimensions. ``values``: the two labels to
    contrast (first minus second); models with another label are left out (counted in ``n_left_out``).

    Without ``clusters``: Welch's t (``scipy.stats.ttest_ind(equal_var=False)``), ``ci_over="models"``. With
    ``clusters`` (model -> cluster, e.g. provider): clusters redrawn with replacement within each group
    (``ci_over="clusters"``, percentile interval, p as in the cohort table).
    """
    g = groups.reindex(scores.index)
    missing = [str(m) for m in scores.index[g.isna()]]
    if missing:
        raise InputError(f"the groups table has no row for model(s) {', '.join(missing)}; add them (or leave "
                         "those models out of the cohort)")
    left_out = 0
    if values is not None:
        unknown = [v for v in values if v not in set(g.astype(str))]
        if unknown:
            raise InputError(f"no model has the value(s) {', '.join(map(repr, unknown))}; the column has "
                             f"{', '.join(sorted(g.astype(str).unique()))}")
        keep = g.astype(str).isin(values).to_numpy()
        left_out = int((~keep).sum())
        scores, g = scores[keep], g[keep]
        clusters = None if clusters is None else clusters.reindex(scores.index)
    labels = list(values) if values is not None else sorted(g.astype(str).unique())
    if len(labels) != 2:
        raise InputError(f"a contrast needs exactly 2 groups, the column has {len(labels)}: "
                         f"{', '.join(labels)}; name the two to contrast (--values A,B) or choose another column")
    a, b = (scores[g.astype(str) == lab].to_numpy(dtype=float) for lab in labels)
    small = [f"{lab!r} ({len(x)})" for lab, x in zip(labels, (a, b)) if len(x) < 2]
    if small:
        raise InputError(f"a contrast needs at least 2 models in each group; {' and '.join(small)} "
                         "has fewer: add models to the cohort or choose another column")
    diff = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
    if clusters is None:
        with _quiet():
            t = stats.ttest_ind(a, b, equal_var=False, nan_policy="omit", axis=0)
        p = np.asarray(t.pvalue, dtype=float)
        ci = t.confidence_interval(level)
        lo, hi = np.asarray(ci.low, float), np.asarray(ci.high, float)
        over, method = "models", "welch-t"
    else:
        c = clusters.reindex(scores.index).astype(str)
        rng = np.random.default_rng(seed)
        reps = np.empty((n_boot, scores.shape[1]))
        parts = []
        for lab in labels:
            mask = (g.astype(str) == lab).to_numpy()
            cl = c[mask].to_numpy()
            parts.append((scores.to_numpy(dtype=float)[mask], cl, np.unique(cl)))
        for r in range(n_boot):
            means = []
            for X, cl, uniq in parts:
                pick = rng.choice(uniq, len(uniq), replace=True)
                rows = np.concatenate([np.flatnonzero(cl == u) for u in pick])
                with _quiet():
                    means.append(np.nanmean(X[rows], axis=0))
            reps[r] = means[0] - means[1]
        q = (1 - level) / 2
        with _quiet():
            lo, hi = np.nanquantile(reps, [q, 1 - q], axis=0)
        p = _tail_p(reps)
        over, method = "clusters", "bootstrap-percentile"
    return pd.DataFrame({**_rows(_dimensions_of(scores)), "group_a": labels[0], "n_a": (~np.isnan(a)).sum(axis=0), "group_b": labels[1],
                         "n_b": (~np.isnan(b)).sum(axis=0), "diff": diff, "ci_low": lo, "ci_high": hi, "p": p,
                         "p_holm": holm(p), "ci_over": over, "ci_method": method, "n_left_out": left_out})


def focus_table(scores: pd.DataFrame, model: str, portrait: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where ``model`` stands among the cohort's models per dimension: its score, rank (1 = highest of n),
    percentile (share of the other models below it, ties half), the cohort's middle half (quartiles of the
    other models) and whether the model's interval (``portrait``'s ci_low / ci_high) overlaps it."""
    if model not in scores.index:
        raise InputError(f"--focus {model!r} is not among the cohort's models: {', '.join(map(str, scores.index))}")
    rows = []
    for j, (f, d) in enumerate(_dimensions_of(scores)):
        col = scores.iloc[:, j]
        x, others = col.loc[model], col.drop(index=model).dropna()
        if np.isnan(x) or others.empty:
            rows.append(dict(family=f, dimension=d, score=x))
            continue
        q1, q3 = np.quantile(others, [0.25, 0.75])
        rec = dict(family=f, dimension=d, score=float(x), rank=int((others > x).sum() + 1), n=len(others) + 1,
                   percentile=float(((others < x).sum() + 0.5 * (others == x).sum()) / len(others) * 100),
                   cohort_q1=float(q1), cohort_q3=float(q3))
        if portrait is not None:
            p = portrait.set_index(["family", "dimension"]).loc[(f, d)]
            lo, hi = p.get("ci_low"), p.get("ci_high")
            if pd.notna(lo) and pd.notna(hi):
                rec.update(ci_low=float(lo), ci_high=float(hi), overlaps_middle=bool(lo <= q3 and hi >= q1))
        rows.append(rec)
    return pd.DataFrame(rows)
