"""Reliability of a model's portrait, from its item x prompt-variant ratings: what it can be trusted for.

On one model's ratings of the selected items, over the six prompt variants (forward ``v1, v2, v3``; the same
prompts with the option list in reverse order ``v1_reversed, v2_reversed, v3_reversed``), with :math:`x_{iv}` the
mean valid rating of item *i* in variant *v*:

* ``profile_reliability`` (:mod:`~valueportrait.scoring.profile`): the mean over the 10 ways of splitting the 6
  variants into two groups of 3 (``profile_splits``, in :data:`~valueportrait.scoring.profile.VARIANT_SPLITS`
  order) of the Spearman-Brown corrected Pearson r, :math:`2r/(1+r)`, between the two halves' centred pvq
  portraits (10 values); ``profile_p``: its permutation p (items permuted within each variant, ``n_perm``);
* ``reliable`` (the verdict "profile shape reproducible across prompt variants"): ``profile_reliability >=
  threshold`` (default 0.7) **and** ``profile_p <= alpha`` (0.001, 999 permutations: none reached it). The null
  keeps pure noise out whatever the selection (``benchmarks/validate_reliability.py``: of 200 models answering
  uniformly at random, see docs/metric.md), the threshold keeps the conventional level of a usable reliability; null with ``assessable: False`` (and the
  verdict "not assessable: ...") when a variant is missing;
* ``profile_sd``: the population SD of the centred pvq portrait over the 10 values (all variants);
  ``profile_se``: the root mean square of their standard errors over prompt variants; ``flat``:
  ``profile_sd < flat_below`` (0.1 points, a third of the human raters' 0.28): the values barely differ, whether
  or not their order is stable;
* ``order_bias``: over the items with at least one forward and one reversed rating (``n_items_order``), the
  mean of :math:`\\bar x_{i,\\text{forward}} - \\bar x_{i,\\text{reversed}}`; ``order_bias_p``: the two-sided
  Wilcoxon signed-rank p of those per-item differences (:func:`scipy.stats.wilcoxon`'s defaults);
  ``order_bias_flag``: ``|order_bias| > item_sd`` and ``order_bias_p < 0.01``, with ``item_sd`` the SD of the
  items' mean ratings: reversing the options moves the answers more than the items' content does;
* ``icc_a1``, ``icc_ak``: McGraw & Wong (1996) ICC(A,1) and ICC(A,k), two-way random effects, absolute
  agreement, of the item x variant matrix over the items rated in all 6 variants (``n_items_complete``):
  :math:`\\frac{MS_R - MS_E}{MS_R + (k-1) MS_E + \\frac{k}{n}(MS_C - MS_E)}` and
  :math:`\\frac{MS_R - MS_E}{MS_R + \\frac{1}{n}(MS_C - MS_E)}`;
* ``profile_split_half`` (kept for continuity, not the verdict): the corrected r (``split_half_r``) of ONE fixed
  split, {v1, v2_reversed, v3} vs {v1_reversed, v2, v3_reversed}.

A figure the ratings cannot support (a variant missing, too few items) is null, and ``notes`` says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..instrument import VALUE_PORTRAIT, Instrument
from ..ratings import numeric_ratings
from .design import Design
from .engine import score_matrix
from .profile import DEFAULT_N_PERM_PROFILE, permutation_p, pvq_part, split_profiles, split_reliabilities

__all__ = ["DEFAULT_FLAT", "DEFAULT_RELIABLE", "ORDER_ALPHA", "PROFILE_ALPHA", "RELIABILITY_KEYS", "SPLIT_HALVES", "icc_agreement", "portrait_reliability", "split_halves",
           "reliability_table"]

#: Default threshold of ``profile_reliability`` at or above which (with ``profile_p < PROFILE_ALPHA``) a portrait
#: is called reliable.
DEFAULT_RELIABLE = 0.7
#: Level of the permutation test of ``profile_reliability``: with the default 999 permutations, ``profile_p <=
#: PROFILE_ALPHA`` means no permutation reached the observed value.
PROFILE_ALPHA = 0.001
#: A profile whose SD over the 10 values is below this (rating points) is flat.
DEFAULT_FLAT = 0.1
#: Level of the Wilcoxon test behind ``order_bias_flag``.
ORDER_ALPHA = 0.01


def split_halves(instrument: Instrument) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fixed split of the variants: from the instrument's pairs (:meth:`Instrument.pairs`), the first half
    takes the plain, reversed, plain, ... member of each pair in turn and the second half their twins, so each
    half has both option orders. Empty halves when the instrument has no pair."""
    pairs = instrument.pairs()
    return (tuple(p[k % 2] for k, p in enumerate(pairs)), tuple(p[1 - k % 2] for k, p in enumerate(pairs)))


#: The two halves of the variants for the split-half reliability (each has both option orders).
SPLIT_HALVES: tuple[tuple[str, ...], tuple[str, ...]] = split_halves(VALUE_PORTRAIT)
#: Keys of a model's reliability record, in order.
RELIABILITY_KEYS = ("verdict", "assessable", "reliable", "profile_reliability", "profile_p", "profile_splits",
                    "profile_sd", "profile_se", "flat", "order_bias", "order_bias_p", "n_items_order", "item_sd",
                    "order_bias_flag", "icc_a1", "icc_ak", "n_items_complete", "split_half_r", "profile_split_half",
                    "threshold", "alpha", "flat_below", "n_perm", "notes")


def icc_agreement(X: np.ndarray) -> tuple[float, float]:
    """McGraw & Wong (1996) ICC(A,1) and ICC(A,k) of an n x k matrix (targets x raters, no NaN).

    >>> icc = icc_agreement(np.array([[1.0, 2], [3, 4], [5, 6]]))
    >>> [round(v, 4) for v in icc]
    [0.8889, 0.9412]
    """
    n, k = X.shape
    gm = X.mean()
    ss_r = k * ((X.mean(axis=1) - gm) ** 2).sum()
    ss_c = n * ((X.mean(axis=0) - gm) ** 2).sum()
    ss_e = ((X - gm) ** 2).sum() - ss_r - ss_c
    ms_r, ms_c, ms_e = ss_r / (n - 1), ss_c / (k - 1), ss_e / ((n - 1) * (k - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        a1 = (ms_r - ms_e) / (ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n)
        ak = (ms_r - ms_e) / (ms_r + (ms_c - ms_e) / n)
    return float(a1), float(ak)


def _item_variant(ratings: pd.DataFrame, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """(I, V) sums and counts of the valid ratings of each design item in each variant of its instrument."""
    names = design.instrument.variant_names
    item = pd.Index(design.item_ids).get_indexer([str(i) for i in ratings["item_id"].tolist()])
    var = pd.Index(names).get_indexer(ratings["variant"].tolist())
    rating = numeric_ratings(ratings, design.instrument).to_numpy(dtype=float)
    ok = (item >= 0) & (var >= 0) & ~np.isnan(rating)
    cell = item[ok] * len(names) + var[ok]
    size = len(design.item_ids) * len(names)
    sums = np.bincount(cell, weights=rating[ok], minlength=size).reshape(-1, len(names))
    counts = np.bincount(cell, minlength=size).reshape(-1, len(names)).astype(float)
    return sums, counts


def portrait_reliability(ratings: pd.DataFrame, selection: pd.DataFrame, *, threshold: float = DEFAULT_RELIABLE,
                         design: Design | None = None, n_perm: int = DEFAULT_N_PERM_PROFILE, seed: int = 0,
                         instrument: Instrument | None = None) -> dict:
    """The reliability record of one model's ratings (``item_id, variant, rating``).

    ``rating``: numbers 1-6 or Likert phrases. ``design``: the selection's :class:`Design` when the caller has
    it. ``n_perm``, ``seed``: the permutations of ``profile_p``'s null. ``instrument``: whose variants (their
    splits and order pairs), dimensions and scale, when no ``design`` is given (default Value Portrait's); the
    profile is its first family's (pvq). Returns a dict with :data:`RELIABILITY_KEYS` (``notes``: the reasons
    for null figures).
    """
    design = Design.from_selection(selection, instrument=instrument) if design is None else design
    names = design.instrument.variant_names
    if "variant" not in ratings.columns:
        raise InputError("the ratings table lacks column variant; reliability needs each rating's prompt variant "
                         f"({', '.join(names)})")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not -1 <= threshold <= 1:
        raise InputError(f"the reliability threshold must be a number in [-1, 1] (e.g. 0.7), got {threshold!r}")
    if isinstance(n_perm, bool) or not isinstance(n_perm, int) or (n_perm + 1) * PROFILE_ALPHA < 1:
        raise InputError(f"n_perm must be an integer >= {round(1 / PROFILE_ALPHA) - 1} (a permutation p can only "
                         f"reach {PROFILE_ALPHA:g} with that many), got {n_perm!r}")
    sums, counts = _item_variant(ratings, design)
    notes: list[str] = []
    out: dict = dict.fromkeys(RELIABILITY_KEYS)
    out.update(threshold=float(threshold), alpha=PROFILE_ALPHA, flat_below=DEFAULT_FLAT, n_perm=int(n_perm),
               notes=notes, n_items_order=0, n_items_complete=0, order_bias_flag=False, assessable=False)
    _order_and_icc(sums, counts, design.instrument, out)
    _profile_spread(ratings, selection, design.instrument, out)
    absent = [v for k, v in enumerate(names) if counts[:, k].sum() == 0]
    if absent:
        why = f"no rating in {', '.join(absent)}; the reliability needs ratings in all of {', '.join(names)}"
        notes.append(f"profile_split_half, profile_reliability: {why}")
        out["verdict"] = f"not assessable: {why}"
        return out
    _split_half(sums, counts, design, out)
    rel = split_reliabilities(split_profiles(*pvq_part(sums, counts, design)))[0]
    if np.isnan(rel).any():
        why = "a half's pvq portrait has a value with no rated item, or no variation, in some split of the variants"
        notes.append(f"profile_reliability: {why}")
        out["verdict"] = f"not assessable: {why}"
        return out
    out["profile_splits"] = [float(v) for v in rel]
    out["profile_reliability"] = float(rel.mean())
    out["profile_p"] = permutation_p(sums, counts, design, out["profile_reliability"], n_perm=n_perm, seed=seed)
    out["assessable"] = True
    out["reliable"] = bool(out["profile_reliability"] >= threshold and out["profile_p"] <= PROFILE_ALPHA)
    out["verdict"] = ("profile shape reproducible across prompt variants" if out["reliable"]
                      else "profile shape not reproducible across prompt variants")
    return out


def _order_and_icc(sums: np.ndarray, counts: np.ndarray, instrument: Instrument, out: dict) -> None:
    """Fill the order bias (and its flag) and the ICCs of ``out`` from the item x variant sums and counts."""
    notes = out["notes"]
    names = instrument.variant_names
    with np.errstate(invalid="ignore", divide="ignore"):
        X = sums / counts
        item_means = sums.sum(axis=1) / counts.sum(axis=1)
    backward = np.array([v.reversed for v in instrument.variants])
    with warnings.catch_warnings():  # items with no forward (or reversed) rating: NaN, left out below
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = np.nanmean(X[:, ~backward], axis=1) - np.nanmean(X[:, backward], axis=1)
    diff = diff[~np.isnan(diff)]
    rated = item_means[~np.isnan(item_means)]
    out["item_sd"] = float(np.std(rated)) if len(rated) else None
    out["n_items_order"] = len(diff)
    if len(diff) == 0:
        forward = ", ".join(v for v, b in zip(names, backward) if not b)
        notes.append(f"order_bias: no item has both a forward ({forward}) and a reversed rating")
    else:
        out["order_bias"] = float(diff.mean())
        out["order_bias_p"] = float(stats.wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
        out["order_bias_flag"] = bool(abs(out["order_bias"]) > out["item_sd"] and out["order_bias_p"] < ORDER_ALPHA)
    complete = X[~np.isnan(X).any(axis=1)]
    out["n_items_complete"] = len(complete)
    absent = [v for k, v in enumerate(names) if counts[:, k].sum() == 0]
    if len(complete) < 2:
        notes.append(f"icc: needs >= 2 items rated in all {len(names)} variants"
                     + (f" (no rating in {', '.join(absent)})" if absent else ""))
    else:
        out["icc_a1"], out["icc_ak"] = icc_agreement(complete)


def _profile_spread(ratings: pd.DataFrame, selection: pd.DataFrame, instrument: Instrument, out: dict) -> None:
    """``profile_sd`` (population SD of the 10 centred pvq scores: the instrument's first family) and
    ``profile_se`` (root mean square of their standard errors over prompt variants), or notes why not."""
    from .intervals import interval_portrait

    p = interval_portrait(ratings[["item_id", "rating"]], selection, ci_over="variants", instrument=instrument)
    pvq = p[p["family"] == instrument.families[0].key]
    if pvq["score"].isna().any():
        out["notes"].append("profile_sd, profile_se: a pvq value has no rated item")
        return
    out["profile_sd"] = float(np.std(pvq["score"].to_numpy(dtype=float)))
    out["flat"] = bool(out["profile_sd"] < DEFAULT_FLAT)
    se = pvq["se"].to_numpy(dtype=float)
    if np.isnan(se).any():
        out["notes"].append("profile_se: needs >= 2 ratings of each item (prompt variants)")
    else:
        out["profile_se"] = float(np.sqrt(np.mean(se ** 2)))


def _split_half(sums: np.ndarray, counts: np.ndarray, design: Design, out: dict) -> None:
    """The fixed split (:data:`SPLIT_HALVES`, :func:`split_halves`): ``split_half_r`` and ``profile_split_half``,
    kept for continuity."""
    names, halves = design.instrument.variant_names, split_halves(design.instrument)
    if not halves[0]:
        out["notes"].append("profile_split_half: the instrument has no variant with a reversed twin to split by")
        return
    cols = [[names.index(v) for v in half] for half in halves]
    with np.errstate(invalid="ignore", divide="ignore"):
        M = np.stack([sums[:, c].sum(axis=1) / counts[:, c].sum(axis=1) for c in cols])
    pvq = score_matrix(M, design).score[:, design.family_index == 0]
    if np.isnan(pvq).any():
        n_values = int((design.family_index == 0).sum())
        out["notes"].append(f"profile_split_half: needs a pvq score for all {n_values} values from both halves "
                            f"{{{', '.join(halves[0])}}} and {{{', '.join(halves[1])}}}")
    elif np.std(pvq[0]) == 0 or np.std(pvq[1]) == 0:
        out["notes"].append("profile_split_half: a half's pvq portrait is flat (no variation to correlate)")
    else:
        r = float(np.corrcoef(pvq[0], pvq[1])[0, 1])
        out["split_half_r"] = r
        out["profile_split_half"] = 2 * r / (1 + r) if r > -1 else float("-inf")


def reliability_table(ratings: pd.DataFrame, selection: pd.DataFrame, *, threshold: float = DEFAULT_RELIABLE,
                      instrument: Instrument | None = None) -> dict[str, dict]:
    """:func:`portrait_reliability` of each ``model`` of a ratings table (order of first appearance), with the
    variants and dimensions of ``instrument`` (default Value Portrait's)."""
    if "model" not in ratings.columns:
        return {"model": portrait_reliability(ratings, selection, threshold=threshold, instrument=instrument)}
    design = Design.from_selection(selection, instrument=instrument)
    return {str(m): portrait_reliability(g, selection, threshold=threshold, design=design)
            for m, g in ratings.groupby("model", sort=False)}
