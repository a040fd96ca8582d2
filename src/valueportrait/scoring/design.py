"""The one scoring design: which item measures which dimension, with which key, over a fixed item order.

A *design* is the linear structure of the paper's scoring (Han et al. 2025, Sec. 4) for one selection of items:

* ``key`` (I x D): +1 where item *i* measures dimension *d*, -1 where it measures it reverse-scored (selection
  mode ``abs`` only), 0 where it does not;
* ``valid`` (I x F): item *i* measures at least one dimension of family *f* (the items that enter the family
  mean, the model's overall scale use).

The correlation-weighted rule (``scoring="weighted"``, :func:`valueportrait.selection.weighted_table`) is the
same structure with real weights in ``key``: every item scores every dimension with weight equal to its
item x dimension correlation (a negative weight counts the item reverse scored), through the same scorer.

Every score in the package, point estimate or replicate, model or human raters, is computed from a design by
:func:`valueportrait.scoring.engine.score_matrix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..instrument import VALUE_PORTRAIT, Instrument

__all__ = ["SELECTION_COLUMNS", "Design", "FAMILY_INDEX", "family_index", "family_valid"]

#: Columns a selection table needs (``key`` may be left out: then every key is +1).
SELECTION_COLUMNS: tuple[str, ...] = ("item_id", "family", "dimension", "key")


def family_index(instrument: Instrument) -> np.ndarray:
    """For each dimension of ``instrument`` (its :attr:`~Instrument.dimensions` order), its family's index."""
    keys = list(instrument.family_dims)
    return np.array([keys.index(f) for f, _ in instrument.dimensions], dtype=np.int64)


#: For each of Value Portrait's 19 dimensions, the index of its family in FAMILIES order.
FAMILY_INDEX: np.ndarray = family_index(VALUE_PORTRAIT)


@dataclass(frozen=True, eq=False)
class Design:
    """Items x the instrument's dimensions (Value Portrait's 19 by default) of one selection.

    Attributes
    ----------
    item_ids : tuple of str
        The column order of every item-mean matrix scored with this design.
    key : ndarray, shape (I, D)
        +1 / -1 where item *i* measures dimension *d* (-1: reverse scored), else 0; under the weighted rule
        the item's real weight (its correlation with the dimension).
    valid : ndarray, shape (I, F)
        1.0 where item *i* measures at least one dimension of family *f*.
    instrument : Instrument
        Whose dimensions (columns of ``key``, in :attr:`Instrument.dimensions` order), families and scale.

    Examples
    --------
    >>> sel = pd.DataFrame({"item_id": ["1-1", "1-2"], "family": ["pvq", "bfi"],
    ...                     "dimension": ["Power", "Openness"], "key": [1, -1]})
    >>> d = Design.from_selection(sel)
    >>> d.item_ids, int(d.key[0, d.dimensions.index(("pvq", "Power"))]), int(d.n_items.sum())
    (('1-1', '1-2'), 1, 2)
    """

    item_ids: tuple[str, ...]
    key: np.ndarray
    valid: np.ndarray
    instrument: Instrument = VALUE_PORTRAIT

    @property
    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """The (family, dimension) of each column of ``key``."""
        return self.instrument.dimensions

    @property
    def family_index(self) -> np.ndarray:
        """(D,) the index of each dimension's family (a column of ``valid``)."""
        return FAMILY_INDEX if self.instrument is VALUE_PORTRAIT else family_index(self.instrument)

    @property
    def reverse_sum(self) -> float:
        """A reverse-keyed rating r counts as ``reverse_sum - r`` (min + max of the scale: 7 on 1-6)."""
        return float(self.instrument.scale.min + self.instrument.scale.max)

    @classmethod
    def from_selection(cls, selection: pd.DataFrame, item_ids: Sequence[str] | None = None,
                       instrument: Instrument | None = None) -> Design:
        """The design of ``selection`` over ``item_ids`` (default: the selection's items, sorted), with the
        dimensions of ``instrument`` (default: Value Portrait's).

        Items of ``item_ids`` that the selection does not name get all-zero rows; selected items not in
        ``item_ids`` are left out. A ``weight`` column (the weighted rule's table) gives real weights instead of
        the +1 / -1 keys.
        """
        missing = [c for c in SELECTION_COLUMNS[:3] if c not in selection.columns]
        if missing:
            raise InputError(f"the selection lacks column(s) {missing}; expected {', '.join(SELECTION_COLUMNS)} as "
                             "returned by ValuePortraitData.selection()")
        sel_ids = [str(i) for i in selection["item_id"].tolist()]  # plain lists: cheap for arrow strings too
        if item_ids is None:
            item_ids = sorted(set(sel_ids))
        item_ids = tuple(str(i) for i in item_ids)
        instrument = VALUE_PORTRAIT if instrument is None else instrument
        column = {fd: j for j, fd in enumerate(instrument.dimensions)}
        dims = list(zip(map(str, selection["family"].tolist()), map(str, selection["dimension"].tolist())))
        unknown = sorted({f"{f}/{d}" for f, d in dims if (f, d) not in column})
        if unknown:
            raise InputError(f"the selection names unknown dimension(s) {unknown[:10]}; {instrument.name} has "
                             f"{', '.join(f'{f}/{d}' for f, d in instrument.dimensions)}")
        rows = pd.Index(item_ids).get_indexer(sel_ids)
        cols = np.array([column[fd] for fd in dims], dtype=np.int64)
        if "weight" in selection.columns:
            keys = selection["weight"].to_numpy(dtype=float)
            bad = ~np.isfinite(keys) | (keys == 0)
            if bad.any():
                raise InputError(f"the selection's weights must be finite and non-zero; got {keys[bad][:5].tolist()}")
        else:
            keys = (selection["key"].to_numpy(dtype=float) if "key" in selection.columns
                    else np.ones(len(selection)))
            bad = ~np.isin(keys, (1.0, -1.0))
            if bad.any():
                raise InputError(f"the selection's key must be +1 or -1; got {keys[bad][:5].tolist()}")
        key = np.zeros((len(item_ids), len(instrument.dimensions)))
        keep = rows >= 0
        key[rows[keep], cols[keep]] = keys[keep]
        return cls(item_ids, key, family_valid(key, instrument), instrument)

    @property
    def member(self) -> np.ndarray:
        """(I, D) float: 1 where the item measures the dimension (either key)."""
        return (self.key != 0).astype(float)

    @property
    def positive_weights(self) -> np.ndarray:
        """(I, D) float: the weight where it is positive (1 for a key +1), else 0."""
        return np.clip(self.key, 0.0, None)

    @property
    def negative_weights(self) -> np.ndarray:
        """(I, D) float: minus the weight where it is negative (1 for a key -1: reverse scored), else 0."""
        return np.clip(-self.key, 0.0, None)

    @property
    def weighted(self) -> bool:
        """True for a correlation-weighted design (some weight other than +1 / -1 / 0)."""
        return bool(np.any(~np.isin(self.key, (-1.0, 0.0, 1.0))))

    @property
    def pos(self) -> np.ndarray:
        """(D, I): 1 where the item measures the dimension with key +1."""
        return (self.key > 0).T.astype(float)

    @property
    def neg(self) -> np.ndarray:
        """(D, I): 1 where the item measures the dimension reverse scored (key -1)."""
        return (self.key < 0).T.astype(float)

    @property
    def measured(self) -> np.ndarray:
        """(I,) bool: the item measures at least one dimension."""
        return (self.key != 0).any(axis=1)

    @property
    def n_items(self) -> np.ndarray:
        """(D,) int: how many of the design's items measure each dimension."""
        return (self.key != 0).sum(axis=0)

    def subset(self, item_ids: Sequence[str]) -> Design:
        """The same keys over another item order (items not in this design get zero rows)."""
        idx = pd.Index(self.item_ids).get_indexer([str(i) for i in item_ids])
        key = np.where((idx >= 0)[:, None], self.key[np.maximum(idx, 0)], 0.0)
        return Design(tuple(str(i) for i in item_ids), key, family_valid(key, self.instrument), self.instrument)


def family_valid(key: np.ndarray, instrument: Instrument = VALUE_PORTRAIT) -> np.ndarray:
    """(I, F) float: 1 where the item measures at least one dimension of the family."""
    member = key != 0
    index = FAMILY_INDEX if instrument is VALUE_PORTRAIT else family_index(instrument)
    return np.stack([member[:, index == f].any(axis=1) for f in range(len(instrument.families))],
                    axis=1).astype(float)
