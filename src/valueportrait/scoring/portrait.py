"""Ratings of the items -> a value portrait: centred scores per dimension, item-bootstrap CIs.

The paper's scoring (Han et al. 2025, Sec. 4; upstream ``lm_evaluation`` scoring), for each family (``pvq``,
``higher_pvq``, ``bfi``) separately: an item's rating is the mean of its valid ratings (prompt variants, repeats;
NaN ignored); the family's *valid items* are the rated items that measure at least one of its dimensions; a
dimension's score is the mean over its items minus the family mean (the formula is in
:mod:`valueportrait.scoring.engine`, the one scorer every function here calls).

Checked against upstream's published ``score_results/final_results_0.3_pos_centered`` files for the four
released models to 1e-9 (``tests/test_reproduction.py``), up to two documented upstream departures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..settings import DEFAULT_LEVEL, DEFAULT_N_BOOT
from ..errors import InputError
from ..ratings import item_ratings  # the ratings contract owns it
from ..instrument import Instrument
from .design import Design
from .engine import Scores, score_matrix
from .resample import check_settings, item_weights, percentile_ci, replicate_se

__all__ = ["SCORE_COLUMNS", "PortraitBootstrap", "item_means_of", "item_ratings", "portrait_families", "selected_items",
           "bootstrap_portrait",
           "bootstrap_portraits", "score_models", "score_portrait", "with_intervals"]

#: Columns of a portrait (one row per (family, dimension), in FAMILIES order).
SCORE_COLUMNS = ["family", "dimension", "score", "raw_mean", "std", "n", "family_mean", "note"]

Ratings = pd.DataFrame | pd.Series


def item_means_of(ratings: Ratings, instrument: Instrument | None = None) -> pd.Series:
    """Item means of a ratings table (on ``instrument``'s scale), or the Series of item means itself."""
    return ratings if isinstance(ratings, pd.Series) else item_ratings(ratings, instrument)


def portrait_families(portraits: Mapping[str, pd.DataFrame]) -> dict[str, tuple[str, ...]]:
    """family -> its dimensions, in the order of the portraits' rows (their instrument's order; the first
    portrait with rows decides); Value Portrait's families when there is none.

    >>> p = pd.DataFrame({"family": ["werte", "werte", "person"], "dimension": ["Macht", "Sicherheit", "Ordnung"]})
    >>> portrait_families({"m": p})
    {'werte': ('Macht', 'Sicherheit'), 'person': ('Ordnung',)}
    """
    from ..scale import FAMILIES

    first = next((p for p in portraits.values() if len(p)), None)
    if first is None:
        return dict(FAMILIES)
    out: dict[str, list[str]] = {}
    for family, dim in zip(first["family"].tolist(), first["dimension"].tolist()):
        out.setdefault(str(family), []).append(str(dim))
    return {f: tuple(d) for f, d in out.items()}


def selected_items(means: pd.Series, selection: pd.DataFrame) -> list[str]:
    """The rated items (in ``means`` order) that the selection names."""
    if "item_id" not in selection.columns:
        raise InputError("the selection lacks column item_id; expected item_id, family, dimension, key as returned "
                         "by ValuePortraitData.selection()")
    chosen = set(map(str, selection["item_id"].tolist()))
    return [i for i in map(str, means.index.tolist()) if i in chosen]


def _frame(s: Scores, row: int, design: Design, min_items: int) -> pd.DataFrame:
    n = s.n[row]
    dims = design.dimensions
    notes = [f"no rated item measures {d}" if n[j] == 0 else
             f"only {int(n[j])} rated item(s) measure {d}; min_items={min_items}" if n[j] < min_items else None
             for j, (_, d) in enumerate(dims)]
    score = np.where(n < min_items, np.nan, s.score[row])
    return pd.DataFrame({
        "family": [f for f, _ in dims], "dimension": [d for _, d in dims],
        "score": score, "raw_mean": s.raw_mean[row], "std": s.std[row], "n": n.astype(np.int64),
        "family_mean": s.family_mean[row][design.family_index], "note": pd.Series(notes, dtype=object),
    })


def with_intervals(portrait: pd.DataFrame, reps: np.ndarray, confidence: float) -> pd.DataFrame:
    """``portrait`` plus ``ci_low, ci_high, se`` from replicate scores ``reps`` (B, 19); null where the score is."""
    lo, hi = percentile_ci(reps, confidence)
    null = portrait["score"].isna().to_numpy()
    return portrait.assign(ci_low=np.where(null, np.nan, lo), ci_high=np.where(null, np.nan, hi),
                           se=np.where(null, np.nan, replicate_se(reps)))


def score_portrait(ratings: Ratings, selection: pd.DataFrame, *, center: bool | str = True,
                   min_items: int = 1, instrument: Instrument | None = None) -> pd.DataFrame:
    """One model's value portrait: one row per (family, dimension) of the instrument, in its order.

    Parameters
    ----------
    ratings : DataFrame
        Columns ``item_id`` and ``rating`` (1-6 or Likert phrases; several rows per item are averaged, NaN
        ignored). A Series of item means indexed by item_id is accepted too. One model only.
    selection : DataFrame
        ``item_id, family, dimension, key`` from :meth:`ValuePortraitData.selection`.
    center : bool or {"family", "others", "none"}
        ``True`` / ``"family"`` (default, the paper's correction for scale use): subtract the family mean;
        ``"others"``: subtract the mean of the family's items that do not measure the dimension (its own items
        make up to 58% of a family and pull the reference towards the score); ``False`` / ``"none"``: raw means.
    min_items : int
        A dimension measured by fewer rated items gets a null score and a ``note``. Default 1.
    instrument : Instrument, optional
        Whose dimensions, families and scale (``data.instrument``); default Value Portrait's.

    Returns
    -------
    DataFrame
        ``family, dimension, score, raw_mean, std, n, family_mean, note``; ``score = raw_mean - family_mean``
        (or ``raw_mean``; with reverse-scored items the reference is ``7 - family_mean`` for those, see
        :mod:`~valueportrait.scoring.engine`), ``std`` the population std of the items' ratings, ``n`` the number
        of rated items. ``attrs`` holds ``n_items_rated`` (items with a valid rating) and ``n_items_used`` (of
        those, in the selection).

    Examples
    --------
    >>> sel = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq",
    ...                     "dimension": ["Power", "Power", "Hedonism"], "key": 1})
    >>> p = score_portrait(pd.DataFrame({"item_id": ["a", "b", "c"], "rating": [5, 3, 1]}), sel)
    >>> p.set_index("dimension").loc[["Power", "Hedonism"], "score"].tolist()
    [1.0, -2.0]
    """
    if isinstance(ratings, pd.DataFrame) and "model" in ratings and ratings["model"].nunique() > 1:
        raise InputError(f"score_portrait scores one model, got {ratings['model'].nunique()} "
                         f"({', '.join(map(str, ratings['model'].unique()[:5]))}); use score_models() or filter.")
    check_settings(0, DEFAULT_LEVEL, min_items)
    means = item_means_of(ratings, instrument)
    items = selected_items(means, selection)
    design = Design.from_selection(selection, items, instrument)
    out = _frame(score_matrix(means[items].to_numpy(dtype=float), design, center=center), 0, design, min_items)
    out.attrs.update(n_items_rated=int(len(means)), n_items_used=len(items))
    return out


def score_models(ratings: pd.DataFrame, selection: pd.DataFrame, **kwargs) -> dict[str, pd.DataFrame]:
    """:func:`score_portrait` for each ``model`` of a ratings table (models in order of first appearance)."""
    if "model" not in ratings:
        return {"model": score_portrait(ratings, selection, **kwargs)}
    return {str(m): score_portrait(g, selection, **kwargs) for m, g in ratings.groupby("model", sort=False)}


class PortraitBootstrap(NamedTuple):
    """What :func:`bootstrap_portraits` made: ``portraits[label]`` (:func:`score_portrait`'s frame plus
    ``ci_low, ci_high, se``), ``replicates[label]`` ((n_boot, 19) replicate scores, NaN where a replicate drew no
    item of a dimension), and the draws themselves: ``weights`` ((n_boot, I) item multiplicities) over
    ``item_ids`` (the I items drawn from, sorted). Pair another bootstrap with these replicates by reusing
    ``weights``, not by replaying the seed."""

    portraits: dict[str, pd.DataFrame]
    replicates: dict[str, np.ndarray]
    item_ids: list[str]
    weights: np.ndarray


def bootstrap_portraits(ratings: Mapping[str, Ratings], selection: pd.DataFrame, *, n_boot: int = DEFAULT_N_BOOT,
                        confidence: float = DEFAULT_LEVEL, seed: int = 0, center: bool | str = True,
                        min_items: int = 1, instrument: Instrument | None = None) -> PortraitBootstrap:
    """Several portraits (e.g. one model's personas) with percentile bootstrap CIs over items, sharing the draws.

    Each replicate draws, with replacement, as many items as the union of the portraits' rated selected items
    holds, from that union (so portraits of one model are paired over the same resampled questionnaire), and
    rescores every portrait on the items it rated. With one portrait this is :func:`bootstrap_portrait`.

    Returns
    -------
    PortraitBootstrap
        The portraits, their replicates and the item draws (``item_ids``, ``weights``). Seeded: the same inputs
        and seed give the same intervals.
    """
    check_settings(n_boot, confidence, min_items)
    means = {str(k): item_means_of(v, instrument) for k, v in ratings.items()}
    union = sorted({i for m in means.values() for i in selected_items(m, selection)})
    design = Design.from_selection(selection, union, instrument)
    M = np.stack([m.reindex(union).to_numpy(dtype=float) for m in means.values()]) if means else np.empty((0, 0))
    W = (item_weights(len(union), n_boot, np.random.default_rng(seed)) if union and n_boot > 0
         else np.empty((0, len(union))))
    portraits, replicates = {}, {}
    for k, label in enumerate(means):
        out = score_portrait(means[label], selection, center=center, min_items=min_items, instrument=instrument)
        reps = (score_matrix(M[k], design, W, center=center).score if len(W)
                else np.empty((0, len(design.dimensions))))
        portraits[label], replicates[label] = with_intervals(out, reps, confidence), reps
    return PortraitBootstrap(portraits, replicates, union, W)


def bootstrap_portrait(ratings: Ratings, selection: pd.DataFrame, *, n_boot: int = DEFAULT_N_BOOT,
                       confidence: float = DEFAULT_LEVEL, seed: int = 0, center: bool | str = True,
                       min_items: int = 1, instrument: Instrument | None = None) -> pd.DataFrame:
    """:func:`score_portrait` plus percentile bootstrap confidence intervals over items.

    Each replicate draws N of the N used items with replacement (all families at once, so a replicate is one
    resampled questionnaire) and recomputes every score, family means included. The interval is the
    ``(1-confidence)/2`` and ``1-(1-confidence)/2`` quantiles of the replicates (Efron & Tibshirani 1993,
    ch. 13); replicates in which a dimension drew no item are left out for that dimension.

    Returns the portrait with columns ``ci_low, ci_high, se`` (se = std of the replicates) added; null where
    the score is null, and all null with ``n_boot=0``.
    """
    return bootstrap_portraits({"model": ratings}, selection, n_boot=n_boot, confidence=confidence, seed=seed,
                               center=center, min_items=min_items, instrument=instrument).portraits["model"]
