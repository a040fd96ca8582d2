"""Ratings of the items -> a value portrait: centred scores per dimension, bootstrap CIs, paired comparisons.

The paper's scoring (Han et al. 2025, Sec. 4; upstream ``lm_evaluation`` scoring), for each family
(``pvq``, ``higher_pvq``, ``bfi``) separately:

* an item's rating :math:`r_i` is the mean of its valid ratings (prompt variants, repeats; NaN ignored);
* the family's *valid items* :math:`V_f` are the rated items that measure at least one dimension of it;
* the family mean :math:`\\bar r_f = \\frac{1}{|V_f|}\\sum_{i \\in V_f} r_i` is the model's overall scale use;
* a dimension :math:`d` with items :math:`I_d` has :math:`x_{id} = r_i` (key +1) or :math:`7 - r_i` (key -1,
  reverse scored; selection mode ``abs`` only), raw mean :math:`m_d = \\frac{1}{|I_d|}\\sum_{i\\in I_d} x_{id}`,
  population std :math:`s_d = \\sqrt{\\frac{1}{|I_d|}\\sum (x_{id} - m_d)^2}` and :math:`n_d = |I_d|`;
* the score is :math:`m_d - \\bar r_f` (``center=True``), or :math:`m_d`. With reverse-scored items the
  reference is the family mean as the dimension sees it, :math:`7 - \\bar r_f` for those items, so the score
  is :math:`\\frac{1}{|I_d|}\\sum_{i \\in I_d} k_i (r_i - \\bar r_f)` (a reverse-scored item counts its
  rating's distance below the model's average).

Checked against upstream's published ``score_results/final_results_0.3_pos_centered`` files for the four
released models to 1e-9 (``tests/test_reproduction.py``), up to two documented upstream departures.

Every function here is pure: DataFrames in, DataFrames out. All bootstrap / permutation work is one matrix
product per family of replicates, so 10,000 replicates of a portrait take a fraction of a second.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scale import FAMILIES
from .errors import InputError
from valueportrait.ratings import item_ratings

#: (family, dimension) in FAMILIES order: the 19 rows of every portrait.
DIMENSIONS: tuple[tuple[str, str], ...] = tuple((f, d) for f, dims in FAMILIES.items() for d in dims)
_FAMILY_INDEX = np.array([list(FAMILIES).index(f) for f, _ in DIMENSIONS])
_COLUMN = {fd: j for j, fd in enumerate(DIMENSIONS)}
SCORE_COLUMNS = ["family", "dimension", "score", "raw_mean", "std", "n", "family_mean", "note"]


# -- inputs --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """The linear structure of one scoring: items x 19 dimensions.

    ``key`` (N x 19): +1 / -1 where item i measures dimension d (reverse scored if -1), else 0.
    ``valid`` (N x 3): item i measures at least one dimension of family f.
    """

    item_ids: np.ndarray
    key: np.ndarray
    valid: np.ndarray

    @classmethod
    def build(cls, item_ids: np.ndarray, selection: pd.DataFrame) -> Design:
        missing = [c for c in ("item_id", "family", "dimension") if c not in selection.columns]
        if missing:
            raise InputError(f"the selection lacks column(s) {missing}; expected item_id, family, dimension, key "
                             "as returned by ValuePortraitData.selection()")
        row = {iid: k for k, iid in enumerate(item_ids)}
        key = np.zeros((len(item_ids), len(DIMENSIONS)))
        keys = selection["key"].tolist() if "key" in selection else [1] * len(selection)
        unknown = set()
        for iid, f, d, k in zip(selection["item_id"].tolist(), selection["family"].tolist(),
                                selection["dimension"].tolist(), keys):
            j = _COLUMN.get((f, d))
            if j is None:
                unknown.add(f"{f}/{d}")
            elif iid in row:
                key[row[iid], j] = k
        if unknown:
            raise InputError(f"the selection names unknown dimension(s) {sorted(unknown)[:10]}; known: "
                             f"{', '.join(f'{f}/{d}' for f, d in DIMENSIONS)}")
        valid = np.stack([(key[:, _FAMILY_INDEX == f] != 0).any(axis=1) for f in range(len(FAMILIES))], axis=1)
        return cls(np.asarray(item_ids), key, valid.astype(float))

    def values(self, r: np.ndarray) -> np.ndarray:
        """x_id: the rating as dimension d counts it (7 - r for reverse-scored items), 0 where not a member."""
        r = r[..., :, None]
        return np.where(self.key > 0, r, 0.0) + np.where(self.key < 0, 7.0 - r, 0.0)

    def coefficients(self, center: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(C, c0) with scores = r @ C + c0 for this design's fixed item set (used by permutation tests)."""
        member = (self.key != 0).astype(float)
        n = member.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            C = self.key / n
            c0 = 7.0 * (self.key < 0).sum(axis=0) / n
            if center:  # score = sum_i k_i r_i / n - (sum_i k_i / n) * family mean  (see _portrait_stats)
                nf = self.valid.sum(axis=0)
                C = C - (self.valid / nf)[:, _FAMILY_INDEX] * (self.key.sum(axis=0) / n)
                c0 = np.zeros_like(c0)
        return C, c0


def _portrait_stats(design: Design, r: np.ndarray, weights: np.ndarray | None = None):
    """Raw mean, std, n, centring reference per dimension and family means (``weights`` B x N: B replicates).

    The reference a dimension's raw mean is centred on is the family mean :math:`\\bar r_f` as that dimension
    sees it: :math:`\\bar r_f` for positively keyed items, :math:`7 - \\bar r_f` for reverse-scored ones, i.e.
    :math:`(n^+ \\bar r_f + n^- (7 - \\bar r_f)) / n`, so that score = mean over items of
    :math:`k_i (r_i - \\bar r_f)`. With positive keys only (mode ``pos``) it is :math:`\\bar r_f`.
    """
    member = (design.key != 0).astype(float)
    neg = (design.key < 0).astype(float)
    x = design.values(r)
    if weights is None:
        n, n_neg = member.sum(axis=0), neg.sum(axis=0)
        s1, s2 = x.sum(axis=0), (x * x).sum(axis=0)
        nf = design.valid.sum(axis=0)
        fs = r @ design.valid
    else:
        n, n_neg = weights @ member, weights @ neg
        s1, s2 = weights @ x, weights @ (x * x)
        nf = weights @ design.valid
        fs = weights @ (design.valid * r[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 / n - mean * mean, 0.0)
        fmean = fs / nf
        fm = fmean[..., _FAMILY_INDEX]
        ref = np.where(n_neg > 0, ((n - n_neg) * fm + n_neg * (7.0 - fm)) / n, fm)
    return mean, np.sqrt(var), n, fmean, ref


def _design_for(ratings: pd.DataFrame | pd.Series, selection: pd.DataFrame) -> tuple[Design, np.ndarray]:
    r = ratings if isinstance(ratings, pd.Series) else item_ratings(ratings)
    if "item_id" not in selection.columns:
        raise InputError("the selection lacks column item_id; expected item_id, family, dimension, key as returned "
                         "by ValuePortraitData.selection()")
    sel_items = set(selection["item_id"].tolist())
    ids = r.index.tolist()
    keep = np.fromiter((i in sel_items for i in ids), dtype=bool, count=len(ids))
    return Design.build(np.asarray(ids, dtype=object)[keep], selection), r.to_numpy(dtype=float)[keep]


# -- scores ----------------------------------------------------------------------------------------------------
def score_portrait(ratings: pd.DataFrame | pd.Series, selection: pd.DataFrame, *, center: bool = True,
                   min_items: int = 1) -> pd.DataFrame:
    """One model's value portrait: one row per (family, dimension), in FAMILIES order.

    Parameters
    ----------
    ratings : DataFrame
        Columns ``item_id`` and ``rating`` (1-6 or Likert phrases; several rows per item are averaged, NaN
        ignored). A Series of item means indexed by item_id is accepted too. One model only.
    selection : DataFrame
        ``item_id, family, dimension, key`` from :meth:`ValuePortraitData.selection`.
    center : bool
        Subtract the family mean (the paper's correction for scale use). Default True.
    min_items : int
        A dimension measured by fewer rated items gets a null score and a ``note``. Default 1.

    Returns
    -------
    DataFrame
        ``family, dimension, score, raw_mean, std, n, family_mean, note``; ``score = raw_mean - family_mean``
        (or ``raw_mean``; with reverse-scored items the reference is ``7 - family_mean`` for those, see above), ``std`` the population std of the items' ratings, ``n`` the number of rated items.
        ``attrs`` holds ``n_items_rated`` (items with a valid rating) and ``n_items_used`` (of those, in the
        selection).
    """
    if isinstance(ratings, pd.DataFrame) and "model" in ratings and ratings["model"].nunique() > 1:
        raise InputError(f"score_portrait scores one model, got {ratings['model'].nunique()} "
                         f"({', '.join(map(str, ratings['model'].unique()[:5]))}); use score_models() or filter.")
    if min_items < 1:
        raise InputError(f"min_items must be >= 1, got {min_items}")
    r_all = ratings if isinstance(ratings, pd.Series) else item_ratings(ratings)
    design, r = _design_for(r_all, selection)
    mean, std, n, fmean, ref = _portrait_stats(design, r)
    out = _frame(mean, std, n, fmean, ref, center, min_items)
    out.attrs.update(n_items_rated=int(len(r_all)), n_items_used=int(len(r)))
    return out


def _frame(mean, std, n, fmean, ref, center, min_items) -> pd.DataFrame:
    fm = fmean[_FAMILY_INDEX]
    score = mean - ref if center else mean.copy()
    notes = []
    for j, (f, d) in enumerate(DIMENSIONS):
        if n[j] == 0:
            notes.append(f"no rated item measures {d}")
        elif n[j] < min_items:
            notes.append(f"only {int(n[j])} rated item(s) measure {d}; min_items={min_items}")
        else:
            notes.append(None)
    too_few = n < min_items
    score[too_few] = np.nan
    mean = np.where(n == 0, np.nan, mean)
    std = np.where(n == 0, np.nan, std)
    return pd.DataFrame({
        "family": [f for f, _ in DIMENSIONS], "dimension": [d for _, d in DIMENSIONS],
        "score": score, "raw_mean": mean, "std": std, "n": n.astype(np.int64), "family_mean": fm,
        "note": pd.Series(notes, dtype=object),
    })


def score_models(ratings: pd.DataFrame, selection: pd.DataFrame, **kwargs) -> dict[str, pd.DataFrame]:
    """:func:`score_portrait` for each ``model`` of a ratings table (models in order of first appearance)."""
    if "model" not in ratings:
        return {"model": score_portrait(ratings, selection, **kwargs)}
    return {str(m): score_portrait(g, selection, **kwargs) for m, g in ratings.groupby("model", sort=False)}


# -- uncertainty -------------------------------------------------------------------------------------------------
def resample_counts(n_items: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """B x N multinomial counts: how often each of N items is drawn in each of B bootstrap samples of size N."""
    draws = rng.integers(0, n_items, size=(n_boot, n_items))
    flat = draws + (np.arange(n_boot) * n_items)[:, None]
    return np.bincount(flat.ravel(), minlength=n_boot * n_items).reshape(n_boot, n_items).astype(float)


def _percentile_ci(reps: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    lo_q, hi_q = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    ok = np.isfinite(reps)
    if ok.all():
        lo, hi = np.quantile(reps, [lo_q, hi_q], axis=0)
    else:
        lo = np.full(reps.shape[1], np.nan)
        hi = np.full(reps.shape[1], np.nan)
        for j in range(reps.shape[1]):
            v = reps[ok[:, j], j]
            if len(v):
                lo[j], hi[j] = np.quantile(v, [lo_q, hi_q])
    return lo, hi


def bootstrap_portrait(ratings: pd.DataFrame | pd.Series, selection: pd.DataFrame, *, n_boot: int = 10_000,
                       confidence: float = 0.95, seed: int = 0, center: bool = True, min_items: int = 1
                       ) -> pd.DataFrame:
    """:func:`score_portrait` plus percentile bootstrap confidence intervals over items.

    Each replicate draws N of the N used items with replacement (all families at once, so a replicate is one
    resampled questionnaire) and recomputes every score, family means included. The interval is the
    ``(1-confidence)/2`` and ``1-(1-confidence)/2`` quantiles of the replicates (Efron & Tibshirani 1993,
    ch. 13); replicates in which a dimension drew no item are left out for that dimension.

    Returns the portrait with columns ``ci_low, ci_high, se`` (se = std of the replicates) added; null where
    the score is null, and all null with ``n_boot=0``. Seeded: the same inputs and seed give the same intervals.
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    if n_boot < 0:
        raise InputError(f"n_boot must be >= 0 (0: no intervals), got {n_boot}")
    r_all = ratings if isinstance(ratings, pd.Series) else item_ratings(ratings)
    out = score_portrait(r_all, selection, center=center, min_items=min_items)
    design, r = _design_for(r_all, selection)
    lo = hi = se = np.full(len(DIMENSIONS), np.nan)
    if len(r) and n_boot > 0:
        w = resample_counts(len(r), n_boot, np.random.default_rng(seed))
        mean, _, n, _, ref = _portrait_stats(design, r, w)
        reps = mean - ref if center else mean
        reps = np.where(n > 0, reps, np.nan)
        lo, hi = _percentile_ci(reps, confidence)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            se = np.nanstd(reps, axis=0, ddof=1) if n_boot > 1 else np.full(len(DIMENSIONS), np.nan)
    null = out["score"].isna().to_numpy()
    out["ci_low"] = np.where(null, np.nan, lo)
    out["ci_high"] = np.where(null, np.nan, hi)
    out["se"] = np.where(null, np.nan, se)
    return out


def compare_portraits(ratings_a: pd.DataFrame | pd.Series, ratings_b: pd.DataFrame | pd.Series,
                      selection: pd.DataFrame, *, n_boot: int = 10_000, n_perm: int = 10_000,
                      confidence: float = 0.95, seed: int = 0, center: bool = True) -> pd.DataFrame:
    """Paired comparison of two portraits over the items both rated: difference, its CI, and a p-value.

    ``difference = score_a - score_b`` with both scored on the shared items. The CI is a paired percentile
    bootstrap (the same resampled items for both). The p-value is a paired permutation test: under H0 the
    two models' ratings of an item are exchangeable, so each item's pair is swapped with probability 1/2;
    since a score is linear in the ratings for a fixed item set (``scores = r @ C + c0``),
    :math:`\\Delta^* = ((r_a - r_b)\\circ s) C` for random signs :math:`s`, and
    :math:`p = (1 + \\#\\{|\\Delta^*| \\ge |\\Delta|\\}) / (1 + n_{perm})` (two-sided; Phipson & Smyth 2010).

    Returns
    -------
    DataFrame
        ``family, dimension, score_a, score_b, difference, ci_low, ci_high, p_value, n`` (n = shared items
        measuring the dimension).
    """
    ra = ratings_a if isinstance(ratings_a, pd.Series) else item_ratings(ratings_a)
    rb = ratings_b if isinstance(ratings_b, pd.Series) else item_ratings(ratings_b)
    shared = ra.index.intersection(rb.index)
    ra, rb = ra[shared], rb[shared]
    design, a = _design_for(ra, selection)
    b = rb[design.item_ids].to_numpy(dtype=float)
    sa = score_portrait(ra[design.item_ids], selection, center=center)
    sb = score_portrait(rb[design.item_ids], selection, center=center)
    diff = (sa["score"] - sb["score"]).to_numpy()
    rng = np.random.default_rng(seed)
    lo = hi = p = np.full(len(DIMENSIONS), np.nan)
    if len(a):
        w = resample_counts(len(a), n_boot, rng)
        ma, _, n, _, refa = _portrait_stats(design, a, w)
        mb, _, _, _, refb = _portrait_stats(design, b, w)
        reps = (ma - mb) - ((refa - refb) if center else 0.0)
        reps = np.where(n > 0, reps, np.nan)
        lo, hi = _percentile_ci(reps, confidence)
        C, _ = design.coefficients(center)
        C = np.nan_to_num(C)
        signs = rng.integers(0, 2, size=(n_perm, len(a))) * 2.0 - 1.0
        perm = (signs * (a - b)) @ C
        with np.errstate(invalid="ignore"):
            p = (1 + (np.abs(perm) >= np.abs(diff) - 1e-12).sum(axis=0)) / (1 + n_perm)
        p = np.where(np.isnan(diff), np.nan, p)
    return pd.DataFrame({
        "family": sa["family"], "dimension": sa["dimension"], "score_a": sa["score"], "score_b": sb["score"],
        "difference": diff, "ci_low": lo, "ci_high": hi, "p_value": p, "n": sa["n"],
    })
