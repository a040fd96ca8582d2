"""Held-out convergent validity of the two scoring rules, by K-fold cross-validation within survey groups.

Each survey group's raters (:func:`valueportrait.builders.halves.survey_blocks`) are dealt into ``folds`` seeded
folds. For each fold the item x dimension correlations are computed on the other folds' raters of that group
(training: 90% with 10 folds) and the held-out raters are scored from their own ratings
(:func:`valueportrait.scoring.score_matrix`) under

* ``threshold``: the items the selection rule picks on the training raters (weight 1; the paper's rule; a
  correction adjusts within the group's pairs), and
* ``weighted``: every item, weighted by its training correlation (:func:`valueportrait.selection.weighted_table`).

The held-out scores of all folds and groups are pooled and correlated (Spearman, over raters) with the raters'
questionnaire scores, one r per dimension. ``scored`` is the share of rater x dimension cells a rule scores at all
(the threshold rule leaves a dimension unscored where no item of the group passes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from valueportrait.builders.permutation import needed_p_values

from valueportrait.instrument import VALUE_PORTRAIT, Instrument
from valueportrait.scoring import score_matrix
from valueportrait.scoring.design import FAMILY_INDEX, Design, family_index
from valueportrait.selection import select
from valueportrait.spearman import rank_columns, spearman_batch

#: Folds of the cross-validation (training on 90% of each survey group) and its seed.
DEFAULT_FOLDS = 10
#: The scoring rules the cross-validation compares.
RULES: tuple[str, ...] = ("threshold", "weighted")


def design_of(item_ids: Sequence[str], key: np.ndarray, instrument: Instrument = VALUE_PORTRAIT) -> Design:
    """The :class:`Design` of an (I, D) key or weight matrix over ``item_ids`` (D: the ``instrument``'s
    dimensions, Value Portrait's 19 by default)."""
    member = key != 0
    index = FAMILY_INDEX if instrument is VALUE_PORTRAIT else family_index(instrument)
    valid = np.stack([member[:, index == f].any(axis=1) for f in range(len(instrument.families))], axis=1)
    return Design(tuple(item_ids), key.astype(float), valid.astype(float), instrument)


def rank_correlation_by_column(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each column of ``x`` (n, D) with the same column of ``y``, over the rows where
    both are finite (NaN with fewer than 3 such rows or a constant column).

    Rows left out are set to +inf before ranking, so they rank after every kept row and leave the kept rows'
    average ranks as those of the kept rows alone; the Pearson correlation of the ranks is then taken over the
    kept rows (checked against ``scipy.stats.spearmanr`` in the tests).
    """
    keep = np.isfinite(x) & np.isfinite(y)
    rx = rank_columns(np.where(keep, x, np.inf))
    ry = rank_columns(np.where(keep, y, np.inf))
    m = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (m + 1) / 2.0  # ranks 1..m of the kept rows
        dx, dy = np.where(keep, rx - mean, 0.0), np.where(keep, ry - mean, 0.0)
        r = (dx * dy).sum(axis=0) / np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    return np.where(m >= 3, r, np.nan)


def held_out_scores(blocks, rule: dict, folds: int = DEFAULT_FOLDS, seed: int = 0) -> dict[str, np.ndarray]:
    """(R, 19) held-out score of every rater under each of :data:`RULES` (NaN outside every block, and where
    the threshold rule selects no item of the rater's group for the dimension). ``rule``: the selection's
    threshold, alpha, mode, correction."""
    rng = np.random.default_rng(seed)
    out = {r: np.full((len(blocks.strata), len(blocks.dimensions)), np.nan) for r in RULES}
    of_dim = np.array([f for f, _ in blocks.dimensions], dtype=object)
    for rows, cols in blocks.blocks:
        fold = rng.permutation(len(rows)) % folds
        x, y = blocks.ratings[np.ix_(rows, cols)], blocks.values[rows]
        ids = [blocks.item_ids[c] for c in cols]
        families = np.tile(of_dim, len(cols))
        for k in range(min(folds, len(rows))):
            train, test = fold != k, fold == k
            rho = spearman_batch(x[train][None], y[train][None], p_values=False)[0][0]
            p = needed_p_values(rho, int(train.sum()), rule)
            key = select(rho.reshape(-1), p.reshape(-1), families=families, **rule).reshape(rho.shape)
            for name, weights in (("threshold", key), ("weighted", np.nan_to_num(rho))):
                out[name][rows[test]] = score_matrix(x[test], design_of(ids, weights, blocks.instrument)).score
    return out


def crossval_convergent(blocks, rule: dict, folds: int = DEFAULT_FOLDS, seed: int = 0) -> dict:
    """Per rule: ``by_dimension`` (19,) held-out convergent r, ``mean`` over dimensions, ``by_family`` means and
    ``scored`` (share of rater x dimension cells with a score)."""
    scores = held_out_scores(blocks, rule, folds, seed)
    everyone = np.concatenate([r for r, _ in blocks.blocks])
    out = {}
    of_dim = np.array([f for f, _ in blocks.dimensions], dtype=object)
    for name, s in scores.items():
        r = rank_correlation_by_column(s[everyone], blocks.values[everyone])
        out[name] = {"by_dimension": r, "mean": _nanmean(r),
                     "by_family": {f: _nanmean(r[of_dim == f]) for f in blocks.instrument.family_dims},
                     "scored": float(np.isfinite(s[everyone]).mean())}
    return out


def _nanmean(a: np.ndarray) -> float:
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")
