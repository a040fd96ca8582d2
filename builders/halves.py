"""The survey as blocks of complete ratings, and random halves of its raters (the units of the validity report).

A *rater* is a (participant, survey group) pair and every item belongs to one survey group
(:mod:`valueportrait.scoring.resample`, the one rater definition). :func:`survey_blocks` cuts the human ratings
into one complete block per survey group: the group's raters x the group's items, with each rater's 19 value
scores. :func:`random_halves` splits each group's raters into two halves, ``n_splits`` times from one seed, and
:func:`half_correlations` computes the item x dimension Spearman correlations on both halves of every split at
once (:func:`valueportrait.spearman.spearman_batch`: all splits of a group ranked in one call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from valueportrait.errors import InputError
from valueportrait.instrument import VALUE_PORTRAIT, Instrument
from valueportrait.scale import DIMENSIONS
from valueportrait.scoring import rater_matrix
from valueportrait.spearman import spearman_batch

VALUE_COLUMNS: list[str] = [f"{f}_{d}" for f, d in DIMENSIONS]


@dataclass(frozen=True, eq=False)
class SurveyBlocks:
    """The human ratings as raters x items (NaN where not rated), their value scores, and one block per group.

    ``ratings`` (R, I) in ``item_ids`` order; ``values`` (R, 19) in :data:`~valueportrait.scale.DIMENSIONS`
    order; ``strata`` (R,) the rater's survey group code; ``blocks`` one ``(rows, cols)`` pair of index arrays per
    survey group: its raters who rated every one of its items, and those items. ``participant_ids`` and
    ``group_of`` (R,) say who each rater is: a participant in a survey group.
    """

    participant_ids: tuple[str, ...]
    group_of: np.ndarray
    item_ids: tuple[str, ...]
    ratings: np.ndarray
    values: np.ndarray
    strata: np.ndarray
    blocks: tuple[tuple[np.ndarray, np.ndarray], ...]
    #: The instrument whose dimensions are the columns of ``values`` (Value Portrait's 19, or a survey's).
    instrument: Instrument = VALUE_PORTRAIT

    @property
    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """The (family, dimension) of each column of ``values``."""
        return self.instrument.dimensions


def survey_blocks(human_ratings: pd.DataFrame, participants: pd.DataFrame, item_ids: Sequence[str],
                  instrument: Instrument = VALUE_PORTRAIT) -> SurveyBlocks:
    """:class:`SurveyBlocks` of the ``human_ratings`` and ``participants`` tables over ``item_ids``, with the
    questionnaire scores of the ``instrument``'s dimensions (participants' ``<family>_<dimension>`` columns)."""
    value_columns = [f"{f}_{d}" for f, d in instrument.dimensions]
    missing = [c for c in ["participant_id", *value_columns] if c not in participants.columns]
    if missing:
        raise InputError(f"participants lacks column(s) {missing[:5]}; expected the dataset's participants config")
    rm = rater_matrix(human_ratings, item_ids)
    values = participants.set_index("participant_id").reindex(list(rm.participant_ids))[value_columns]
    values = values.to_numpy(dtype=float)
    rated = ~np.isnan(rm.ratings)
    blocks = []
    for s in np.unique(rm.strata):
        members = np.flatnonzero(rm.strata == s)
        cols = np.flatnonzero(rated[members].any(axis=0))
        rows = members[rated[np.ix_(members, cols)].all(axis=1) & ~np.isnan(values[members]).any(axis=1)]
        if len(rows) >= 4 and len(cols):
            blocks.append((rows, cols))
    first = item_groups(human_ratings, rm.item_ids)[np.argmax(rated, axis=1)]
    return SurveyBlocks(rm.participant_ids, first, rm.item_ids, rm.ratings, values, rm.strata, tuple(blocks),
                        instrument)


def item_groups(human_ratings: pd.DataFrame, item_ids: Sequence[str]) -> np.ndarray:
    """The survey group of each of ``item_ids`` (-1 where unrated)."""
    if "survey_group" not in human_ratings.columns:
        return np.zeros(len(item_ids), dtype=np.int64)
    of = human_ratings.drop_duplicates("item_id").set_index("item_id")["survey_group"]
    return of.reindex(list(item_ids)).fillna(-1).to_numpy(dtype=np.int64)


def random_halves(blocks: SurveyBlocks, n_splits: int, seed: int) -> np.ndarray:
    """(n_splits, R) bool: True where the rater is in half A of the split. In each block ``floor(n / 2)`` of its
    ``n`` raters are drawn into half A (without replacement, independently per split); raters outside every
    block are in neither half (False, and never counted in half B either: see :func:`half_correlations`)."""
    rng = np.random.default_rng(seed)
    in_a = np.zeros((n_splits, len(blocks.strata)), dtype=bool)
    for rows, _ in blocks.blocks:
        order = np.argsort(rng.random((n_splits, len(rows))), axis=1)
        in_a[np.arange(n_splits)[:, None], rows[order[:, : len(rows) // 2]]] = True
    return in_a


def half_rows(rows: np.ndarray, in_a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A block's raters in half A and in half B of each split: two (n_splits, size) index arrays."""
    a = in_a[:, rows]
    order = np.argsort(~a, axis=1, kind="stable")
    h = int(a[0].sum())
    return rows[order[:, :h]], rows[order[:, h:]]


def half_correlations(blocks: SurveyBlocks, in_a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Item x dimension Spearman rho and p on half A and on half B of every split: four (n_splits, I, 19) arrays
    (NaN for items outside every block). Per block, the correlations are those of
    :func:`valueportrait.builders.correlations.compute_correlations` among that half's raters."""
    shape = (in_a.shape[0], len(blocks.item_ids), len(blocks.dimensions))
    out = [np.full(shape, np.nan) for _ in range(4)]
    for rows, cols in blocks.blocks:
        for k, idx in enumerate(half_rows(rows, in_a)):
            x = blocks.ratings[idx][:, :, cols]
            rho, p = spearman_batch(x, blocks.values[idx])
            out[2 * k][:, cols], out[2 * k + 1][:, cols] = rho, p
    return out[0], out[1], out[2], out[3]
