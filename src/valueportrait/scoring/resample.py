"""What a bootstrap resamples, written once: items, raters; and the percentile interval of the replicates.

* :func:`item_weights`: (B, I) multiplicities of a bootstrap of items (the benchmark's items as a sample of
  possible items);
* :class:`RaterMatrix` / :func:`rater_matrix`: the human ratings as raters x items, with each rater's stratum,
  and :func:`rater_weights`: (B, R) multiplicities of a stratified bootstrap of raters;
* :func:`item_means`: item means over (weighted) raters;
* :func:`percentile_ci`: the percentile interval of replicates (Efron & Tibshirani 1993, ch. 13).

**One rater definition.** A *rater* is a (participant, survey group) pair and the bootstrap stratum is the
survey group. Every item belongs to exactly one of the 12 survey groups and is rated only by that group's
raters, so resampling raters within survey groups keeps every item rated in every replicate and mirrors how the
data were collected (12 independent samples). One participant of the release (P186) answered two survey groups;
they are two raters, one in each group, and resampled like everyone else. (The first build-out also had a
second definition, a rater = a participant with strata = the set of groups rated: P186 alone in a 13th stratum
was then never resampled.) Counts of *people* (``n_participants``) still count P186 once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["RaterMatrix", "check_settings", "item_means", "item_weights", "percentile_ci", "rater_matrix", "rater_weights", "replicate_se"]


def check_settings(n_boot: int = 0, confidence: float = 0.95, min_items: int = 1) -> None:
    """Raise InputError unless n_boot is a whole number >= 0, 0 < confidence < 1 and min_items >= 1.

    >>> check_settings(n_boot=-5)
    Traceback (most recent call last):
    valueportrait.errors.InputError: n_boot must be a whole number >= 0 (0: no intervals), got -5
    """
    def whole(x) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if not whole(n_boot) or n_boot < 0:
        raise InputError(f"n_boot must be a whole number >= 0 (0: no intervals), got {n_boot!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise InputError(f"confidence must be a number between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if not whole(min_items) or min_items < 1:
        raise InputError(f"min_items must be a whole number >= 1, got {min_items!r}")


def item_weights(rated: np.ndarray | int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, I) multiplicities of a bootstrap of items: each replicate draws, with replacement, as many items as
    ``rated`` marks (a bool (I,) mask, or an int I for all of I items); unmarked items weigh 0.

    >>> w = item_weights(np.array([True, False, True]), 4, np.random.default_rng(0))
    >>> w.shape, w.sum(axis=1).tolist(), w[:, 1].tolist()
    ((4, 3), [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0])
    """
    mask = np.ones(rated, dtype=bool) if isinstance(rated, (int, np.integer)) else np.asarray(rated, dtype=bool)
    idx = np.flatnonzero(mask)
    n_items = len(mask)
    draws = idx[rng.integers(0, len(idx), size=(n_boot, len(idx)))]
    flat = (np.arange(n_boot)[:, None] * n_items + draws).ravel()
    return np.bincount(flat, minlength=n_boot * n_items).reshape(n_boot, n_items).astype(float)


def rater_weights(strata: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, R) multiplicities of a bootstrap of raters drawn with replacement within each stratum."""
    strata = np.asarray(strata)
    n_raters = len(strata)
    W = np.zeros((n_boot, n_raters))
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        draws = members[rng.integers(0, len(members), size=(n_boot, len(members)))]
        flat = (np.arange(n_boot)[:, None] * n_raters + draws).ravel()
        W += np.bincount(flat, minlength=n_boot * n_raters).reshape(n_boot, n_raters)
    return W


def item_means(R: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
    """Mean rating of each item over raters: (1, I), or with rater weights ``W`` (B, R), (B, I). NaN if unrated."""
    obs = ~np.isnan(R)
    Rz = np.where(obs, R, 0.0)
    if W is None:
        W = np.ones((1, R.shape[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (W @ Rz) / (W @ obs.astype(float))


@dataclass(frozen=True, eq=False)
class RaterMatrix:
    """Human ratings as raters x items (NaN = not rated); a rater is a (participant, survey group) pair.

    Attributes
    ----------
    participant_ids : tuple of str
        The participant of each rater row (a participant who answered two survey groups has two rows).
    item_ids : tuple of str
    ratings : ndarray, shape (R, I)
    strata : ndarray, shape (R,)
        Each rater's survey group (as an int code): the bootstrap stratum.
    """

    participant_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    ratings: np.ndarray
    strata: np.ndarray

    @property
    def n_participants(self) -> int:
        """How many people (distinct participants) the rows belong to."""
        return len(set(self.participant_ids))

    def subset(self, participant_ids: Iterable[str]) -> RaterMatrix:
        """The rows of these participants (all their survey groups), in this matrix's order."""
        wanted = {str(p) for p in participant_ids}
        idx = np.array([k for k, p in enumerate(self.participant_ids) if p in wanted], dtype=np.int64)
        return RaterMatrix(tuple(self.participant_ids[k] for k in idx), self.item_ids, self.ratings[idx],
                           self.strata[idx])

    def item_means(self, W: np.ndarray | None = None) -> np.ndarray:
        """:func:`item_means` of these raters."""
        return item_means(self.ratings, W)

    def bootstrap_weights(self, n_boot: int, rng: np.random.Generator) -> np.ndarray:
        """:func:`rater_weights` within these raters' survey groups."""
        return rater_weights(self.strata, n_boot, rng)


def rater_matrix(human_ratings: pd.DataFrame, item_ids: Sequence[str]) -> RaterMatrix:
    """Pivot ``human_ratings`` (participant_id, survey_group, item_id, rating) to a :class:`RaterMatrix`.

    Rows: one per (participant, survey group), in order of first appearance (strata coded likewise); a table without ``survey_group`` is one stratum. Ratings
    outside ``item_ids`` are left out; NaN ratings are not ratings. A rater who rated an item twice (not in the
    release) is averaged.
    """
    missing = [c for c in ("participant_id", "item_id", "rating") if c not in human_ratings.columns]
    if missing:
        raise InputError(f"human_ratings lacks column(s) {missing}; expected the dataset's human_ratings config "
                         "(participant_id, survey_group, item_id, rating)")
    item_ids = tuple(str(i) for i in item_ids)
    h = human_ratings.dropna(subset=["rating"])
    col = pd.Index(item_ids).get_indexer(h["item_id"].astype(str))
    h, col = h[col >= 0], col[col >= 0]
    group = h["survey_group"].astype(str) if "survey_group" in h.columns else pd.Series("0", index=h.index)
    keys = pd.MultiIndex.from_arrays([h["participant_id"].astype(str), group])
    row, raters = pd.factorize(keys)
    sums = np.zeros((len(raters), len(item_ids)))
    cnt = np.zeros_like(sums)
    np.add.at(sums, (row, col), h["rating"].to_numpy(dtype=float))
    np.add.at(cnt, (row, col), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = sums / cnt
    strata, _ = pd.factorize(np.asarray(raters.get_level_values(1)))
    return RaterMatrix(tuple(raters.get_level_values(0)), item_ids, R, strata.astype(np.int64))


def percentile_ci(reps: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 of replicates (NaN replicates ignored; NaN where all are NaN).

    >>> lo, hi = percentile_ci(np.arange(101.0)[:, None], 0.9)
    >>> round(float(lo[0]), 9), round(float(hi[0]), 9)
    (5.0, 95.0)
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    a = (1 - confidence) / 2
    reps = np.asarray(reps, dtype=float)
    if reps.shape[0] == 0:
        return np.full(reps.shape[1:], np.nan), np.full(reps.shape[1:], np.nan)
    with warnings.catch_warnings():  # all-NaN columns (a dimension no replicate could score) give NaN quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(reps, [a, 1 - a], axis=0)
    return lo, hi


def replicate_se(reps: np.ndarray) -> np.ndarray:
    """Standard deviation (ddof 1) of the replicates per column, NaN ignored; NaN with fewer than 2."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if reps.shape[0] < 2:
            return np.full(reps.shape[1:], np.nan)
        return np.nanstd(reps, axis=0, ddof=1)
