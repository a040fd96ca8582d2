"""Portraits from item-mean matrices, vectorised over bootstrap replicates of raters or of items.

The benchmark scores a set of item ratings into one score per dimension (the scoring contract,
:func:`valueportrait.scoring.score_portrait`). Confidence intervals need that scoring thousands of times: once per bootstrap
replicate of the *raters* of a human group, or of the *items* a model rated. This module writes the
scoring as matrix products so that all replicates are scored at once:

* :class:`ScoringDesign` holds, for a fixed item order, the item x dimension keys of a selection;
* :func:`score_matrix` scores item means ``M`` (``(I,)`` or ``(B, I)``) with optional item weights
  ``W`` (``(B, I)``, the multiplicity of each item in a replicate) into ``(B, D)`` scores;
* :func:`rater_matrix`, :func:`rater_bootstrap_item_means` and :func:`item_bootstrap_weights` make the
  ``M`` and ``W`` of the two bootstraps.

A ratings table is scored by :func:`valueportrait.scoring.score_portrait`; the test suite checks that
:func:`score_matrix` gives the same scores.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scale import FAMILIES
from .errors import InputError
from .scoring import DIMENSIONS  # (family, dimension) in FAMILIES order: the row order of every portrait here

__all__ = ["DIMENSIONS", "RaterMatrix", "ScoringDesign", "item_bootstrap_weights", "item_means", "percentile_ci",
           "rater_bootstrap_item_means", "rater_matrix", "score_matrix", "stratified_rater_weights"]

#: Ratings are on 1..6; a reverse-keyed item (selection key -1) is scored as ``REVERSE - rating``.
REVERSE = 7.0


@dataclass(frozen=True)
class ScoringDesign:
    """The keys of a selection over a fixed item order, as matrices (one block per dimension).

    Attributes
    ----------
    item_ids : tuple of str
        Column order of every item-mean matrix scored with this design.
    pos, neg : ndarray, shape (D, I)
        1 where item *i* measures dimension *d* with key +1 (``pos``) or -1 (``neg``).
    family_valid : ndarray, shape (D, I)
        1 where item *i* measures any dimension of dimension *d*'s family (the row of *d*'s family).
    """

    item_ids: tuple[str, ...]
    pos: np.ndarray
    neg: np.ndarray
    family_valid: np.ndarray

    @classmethod
    def from_selection(cls, selection: pd.DataFrame, item_ids: list[str] | None = None) -> "ScoringDesign":
        """Design for ``selection`` over ``item_ids`` (default: the selection's items, sorted)."""
        missing = [c for c in ("item_id", "family", "dimension", "key") if c not in selection.columns]
        if missing:
            raise InputError(f"the selection lacks column(s) {missing}; expected item_id, family, dimension, key "
                             "(ValuePortraitData.selection())")
        if item_ids is None:
            item_ids = sorted(selection["item_id"].unique())
        col = {iid: k for k, iid in enumerate(item_ids)}
        row = {fd: k for k, fd in enumerate(DIMENSIONS)}
        D, I = len(DIMENSIONS), len(item_ids)
        pos, neg = np.zeros((D, I)), np.zeros((D, I))
        sel = selection[selection["item_id"].isin(col)]
        r = np.array([row[(f, d)] for f, d in zip(sel["family"], sel["dimension"])], dtype=np.int64)
        c = sel["item_id"].map(col).to_numpy(dtype=np.int64)
        key = sel["key"].to_numpy()
        pos[r[key > 0], c[key > 0]] = 1.0
        neg[r[key < 0], c[key < 0]] = 1.0
        fam = np.array([f for f, _ in DIMENSIONS])
        any_dim = pos + neg
        family_valid = np.zeros((D, I))
        for f in FAMILIES:
            rows_f = fam == f
            family_valid[rows_f] = (any_dim[rows_f].sum(axis=0) > 0).astype(float)
        return cls(tuple(item_ids), pos, neg, family_valid)

    @property
    def measured(self) -> np.ndarray:
        """Boolean (I,): the item measures at least one dimension of some family."""
        return (self.pos + self.neg).sum(axis=0) > 0


def score_matrix(M: np.ndarray, design: ScoringDesign, W: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Score item means into (score, raw_mean), vectorised over replicates.

    Parameters
    ----------
    M : ndarray, shape (I,) or (B, I)
        Item means in ``design.item_ids`` order; NaN = item not rated (in that replicate).
    design : ScoringDesign
    W : ndarray, shape (B, I), optional
        Item weights: how many times each item is drawn in each replicate (item bootstrap). Default 1.

    Returns
    -------
    score, raw_mean : ndarray, shape (B, D) (B = 1 for a single portrait)

    Notes
    -----
    The weighted form of :func:`valueportrait.scoring.score_portrait`: with weights :math:`w_i`, observed
    indicator :math:`o_i`, and :math:`n^\\pm_d = \\sum_i w_i o_i p_{di}` (resp. :math:`n_{di}`),

    .. math::

        m_f = \\frac{\\sum_i w_i o_i v_{fi} \\bar r_i}{\\sum_i w_i o_i v_{fi}},\\qquad
        \\text{raw}_d = \\frac{\\sum_i w_i o_i (p_{di} \\bar r_i + n_{di}(7 - \\bar r_i))}{n^+_d + n^-_d},\\qquad
        \\text{score}_d = \\text{raw}_d - \\frac{n^+_d m_{f(d)} + n^-_d (7 - m_{f(d)})}{n^+_d + n^-_d}.

    With all :math:`w_i = 1` it equals ``score_portrait`` on the same item means (a reverse-keyed item is
    centred on :math:`7 - m_f`; with positive keys only the reference is :math:`m_f`).
    """
    M = np.atleast_2d(np.asarray(M, dtype=float))
    obs = ~np.isnan(M)
    Mz = np.where(obs, M, 0.0)
    Wo = obs.astype(float) if W is None else np.asarray(W, dtype=float) * obs
    WM = Wo * Mz
    with np.errstate(invalid="ignore", divide="ignore"):
        fam_mean = (WM @ design.family_valid.T) / (Wo @ design.family_valid.T)
        raw_sum = WM @ design.pos.T + (REVERSE * Wo - WM) @ design.neg.T
        n_pos, n_neg = Wo @ design.pos.T, Wo @ design.neg.T
        raw = raw_sum / (n_pos + n_neg)
        # a reverse-keyed item is centred on 7 - family mean, as score_portrait does
        ref = (n_pos * fam_mean + n_neg * (REVERSE - fam_mean)) / (n_pos + n_neg)
    return raw - ref, raw


# -- human raters --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaterMatrix:
    """Human ratings as a raters x items matrix (NaN = not rated), with each rater's bootstrap stratum."""

    participant_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    ratings: np.ndarray  # (R, I), NaN where not rated
    strata: np.ndarray  # (R,) int: raters who rated the same survey group(s) share a stratum

    def subset(self, participant_ids) -> "RaterMatrix":
        pos = {p: k for k, p in enumerate(self.participant_ids)}
        idx = np.array([pos[p] for p in participant_ids if p in pos], dtype=np.int64)
        return RaterMatrix(tuple(self.participant_ids[k] for k in idx), self.item_ids, self.ratings[idx],
                           self.strata[idx])


def rater_matrix(human_ratings: pd.DataFrame, item_ids: list[str] | tuple[str, ...]) -> RaterMatrix:
    """Pivot ``human_ratings`` (participant_id, survey_group, item_id, rating) to a :class:`RaterMatrix`.

    A rater's stratum is the set of survey groups they rated: every item of a survey group is rated only by
    that group's raters, so resampling raters within strata keeps every item rated in every replicate.
    """
    hr = human_ratings[human_ratings["item_id"].isin(item_ids)]
    pids = sorted(hr["participant_id"].unique())
    prow = {p: k for k, p in enumerate(pids)}
    icol = {i: k for k, i in enumerate(item_ids)}
    R = np.full((len(pids), len(item_ids)), np.nan)
    # a rater who rated an item twice (not in the release) is averaged
    agg = hr.groupby(["participant_id", "item_id"], sort=False)["rating"].mean().reset_index()
    R[agg["participant_id"].map(prow).to_numpy(), agg["item_id"].map(icol).to_numpy()] = agg["rating"].to_numpy(float)
    groups = hr.groupby("participant_id")["survey_group"].agg(lambda s: tuple(sorted(set(s))))
    labels = {g: k for k, g in enumerate(sorted(set(groups)))}
    strata = np.array([labels[groups[p]] for p in pids], dtype=np.int64)
    return RaterMatrix(tuple(pids), tuple(item_ids), R, strata)


def item_means(R: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
    """Mean rating of each item over raters, (I,) or, with rater weights ``W`` (B, R), (B, I). NaN if unrated."""
    obs = ~np.isnan(R)
    Rz = np.where(obs, R, 0.0)
    if W is None:
        W = np.ones((1, R.shape[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (W @ Rz) / (W @ obs.astype(float))


def stratified_rater_weights(strata: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, R) multiplicities of a bootstrap of raters drawn with replacement within each stratum."""
    R = len(strata)
    W = np.zeros((n_boot, R))
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        draws = members[rng.integers(0, len(members), size=(n_boot, len(members)))]
        flat = (np.arange(n_boot)[:, None] * R + draws).ravel()
        W += np.bincount(flat, minlength=n_boot * R).reshape(n_boot, R)
    return W


def rater_bootstrap_item_means(raters: RaterMatrix, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, I) item means of ``n_boot`` stratified bootstrap replicates of ``raters``."""
    return item_means(raters.ratings, stratified_rater_weights(raters.strata, n_boot, rng))


def item_bootstrap_weights(rated: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, I) multiplicities of a bootstrap of the items where ``rated`` is True (others weight 0)."""
    idx = np.flatnonzero(rated)
    I = len(rated)
    draws = idx[rng.integers(0, len(idx), size=(n_boot, len(idx)))]
    flat = (np.arange(n_boot)[:, None] * I + draws).ravel()
    return np.bincount(flat, minlength=n_boot * I).reshape(n_boot, I).astype(float)


def percentile_ci(boot: np.ndarray, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 (NaN replicates ignored; NaN where all are NaN)."""
    if not 0 < ci < 1:
        raise InputError(f"ci must be between 0 and 1 (e.g. 0.95), got {ci!r}")
    a = (1 - ci) / 2
    with warnings.catch_warnings():  # all-NaN columns (a dimension no replicate could score) give NaN quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(boot, [a, 1 - a], axis=0)
    return lo, hi
