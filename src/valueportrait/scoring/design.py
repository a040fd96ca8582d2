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
from ..scale import DIMENSIONS, FAMILIES

__all__ = ["SELECTION_COLUMNS", "Design", "FAMILY_INDEX"]

#: Columns a selection table needs (``key`` may be left out: then every key is +1).
SELECTION_COLUMNS: tuple[str, ...] = ("item_id", "family", "dimension", "key")
#: For each of the 19 dimensions, the index of its family in FAMILIES order.
FAMILY_INDEX: np.ndarray = np.array([list(FAMILIES).index(f) for f, _ in DIMENSIONS])
_COLUMN = {fd: j for j, fd in enumerate(DIMENSIONS)}


@dataclass(frozen=True, eq=False)
class Design:
    """Items x 19 dimensions of one selection.

    Attributes
    ----------
    item_ids : tuple of str
        The column order of every item-mean matrix scored with this design.
    key : ndarray, shape (I, D)
        +1 / -1 where item *i* measures dimension *d* (-1: reverse scored), else 0; under the weighted rule
        the item's real weight (its correlation with the dimension).
    valid : ndarray, shape (I, F)
        1.0 where item *i* measures at least one dimension of family *f*.

    Examples
    --------
    >>> sel = pd.DataFrame({"item_id": ["1-1", "1-2"], "family": ["pvq", "bfi"],
    ...                     "dimension": ["Power", "Openness"], "key": [1, -1]})
    >>> d = Design.from_selection(sel)
    >>> d.item_ids, int(d.key[0, DIMENSIONS.index(("pvq", "Power"))]), int(d.n_items.sum())
    (('1-1', '1-2'), 1, 2)
    """

    item_ids: tuple[str, ...]
    key: np.ndarray
    valid: np.ndarray

    @classmethod
    def from_selection(cls, selection: pd.DataFrame, item_ids: Sequence[str] | None = None) -> Design:
        """The design of ``selection`` over ``item_ids`` (default: the selection's items, sorted).

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
        dims = list(zip(map(str, selection["family"].tolist()), map(str, selection["dimension"].tolist())))
        unknown = sorted({f"{f}/{d}" for f, d in dims if (f, d) not in _COLUMN})
        if unknown:
            raise InputError(f"the selection names unknown dimension(s) {unknown[:10]}; known: "
                             f"{', '.join(f'{f}/{d}' for f, d in DIMENSIONS)}")
        rows = pd.Index(item_ids).get_indexer(sel_ids)
        cols = np.array([_COLUMN[fd] for fd in dims], dtype=np.int64)
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
        key = np.zeros((len(item_ids), len(DIMENSIONS)))
        keep = rows >= 0
        key[rows[keep], cols[keep]] = keys[keep]
        return cls(item_ids, key, _family_valid(key))

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
        return Design(tuple(str(i) for i in item_ids), key, _family_valid(key))


def _family_valid(key: np.ndarray) -> np.ndarray:
    """(I, F) float: 1 where the item measures at least one dimension of the family."""
    member = key != 0
    return np.stack([member[:, FAMILY_INDEX == f].any(axis=1) for f in range(len(FAMILIES))], axis=1).astype(float)
