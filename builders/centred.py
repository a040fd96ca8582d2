"""Internal consistency on the family-centred ratings the benchmark scores, beside the raw ratings'.

The benchmark scores a dimension as the mean of its items' ratings minus the mean of the family's items
(:mod:`valueportrait.scoring.engine`), so what has to hang together is the *centred* rating
``rating - rater's mean over the family's items``. A raw rating also carries each rater's general tendency to
agree, which makes any two items correlate and inflates alpha on raw ratings.

* :func:`centred_alpha`: Cronbach's alpha of each dimension's items within each survey group (groups with at
  least 2 of them), on the ratings centred on the family's valid items (the items the build keeps for the
  family, as the scorer's family mean); the median over groups. Not pooled over groups as the raw alpha is:
  centring makes a group's items covary negatively on average, and the pooled formula's assumed between-group
  covariance would then give alphas above 1.
* :func:`item_intercorrelations`: per family, the mean Pearson correlation, within survey group, of item pairs
  that measure the same dimension, of pairs that measure only different dimensions of the family (neither
  shares a dimension with the other), on raw and on centred ratings.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from valueportrait.builders.reliability import split_alpha

from valueportrait.instrument import VALUE_PORTRAIT
from valueportrait.scoring.design import FAMILY_INDEX, family_index


def _family_index(blocks) -> np.ndarray:
    """Each dimension's family index under the blocks' instrument (Value Portrait's: FAMILY_INDEX)."""
    inst = getattr(blocks, "instrument", VALUE_PORTRAIT)
    return FAMILY_INDEX if inst is VALUE_PORTRAIT else family_index(inst)


def centred_ratings(blocks, key: np.ndarray, family: int) -> np.ndarray:
    """(R, I) the ratings minus each rater's mean over the family's valid items of their survey group (items
    with a non-zero key on any of the family's dimensions); NaN outside the blocks."""
    valid = (key[:, _family_index(blocks) == family] != 0).any(axis=1)
    out = np.full(blocks.ratings.shape, np.nan)
    for rows, cols in blocks.blocks:
        x = blocks.ratings[np.ix_(rows, cols)]
        v = valid[cols]
        if v.any():
            out[np.ix_(rows, cols)] = x - x[:, v].mean(axis=1, keepdims=True)
    return out


def centred_alpha(blocks, key: np.ndarray) -> np.ndarray:
    """(19,) median over survey groups of each dimension's alpha on the family-centred ratings (NaN where no
    group holds 2 of its items)."""
    by_group = np.full((len(blocks.blocks), key.shape[1]), np.nan)
    index = _family_index(blocks)
    for f in range(int(index.max()) + 1):
        dims = index == f
        centred = replace(blocks, ratings=centred_ratings(blocks, key, f))
        for g, block in enumerate(blocks.blocks):
            alpha, _ = split_alpha(replace(centred, blocks=(block,)), key[None], [block[0][None]])
            by_group[g, dims] = alpha[0, dims]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN dimensions: NaN is the answer
        return np.nanmedian(by_group, axis=0)


def item_intercorrelations(blocks, key: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Per family: mean within-group correlation of ``same_dimension`` item pairs and of ``different_dimension``
    pairs (both items measure the family, no dimension in common), on ``raw`` and ``centred`` ratings, and of
    raw pairs measuring nothing in common at all (``raw_unrelated``: no shared dimension in any family)."""
    member = key != 0
    out: dict[str, dict[str, float | None]] = {}
    index = _family_index(blocks)
    for f, family in enumerate(getattr(blocks, "instrument", VALUE_PORTRAIT).family_dims):
        fam = member[:, index == f]
        centred = centred_ratings(blocks, key, f)
        sums = {k: [0.0, 0] for k in ("raw_same", "raw_different", "centred_same", "centred_different", "raw_unrelated")}
        for rows, cols in blocks.blocks:
            m = fam[cols].astype(float)
            shared = m @ m.T > 0
            valid = m.any(axis=1)
            upper = np.triu(np.ones(shared.shape, dtype=bool), 1)
            same, different = upper & shared, upper & ~shared & np.outer(valid, valid)
            unrelated = upper & ~((member[cols].astype(float) @ member[cols].T.astype(float)) > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                raw_r = np.corrcoef(blocks.ratings[np.ix_(rows, cols)], rowvar=False)
                cen_r = np.corrcoef(centred[np.ix_(rows, cols)], rowvar=False)
            for name, r, mask in (("raw_same", raw_r, same), ("raw_different", raw_r, different),
                                  ("centred_same", cen_r, same), ("centred_different", cen_r, different),
                                  ("raw_unrelated", raw_r, unrelated)):
                vals = r[mask]
                vals = vals[np.isfinite(vals)]
                sums[name][0] += vals.sum()
                sums[name][1] += len(vals)
        out[family] = {k: (s / n if n else None) for k, (s, n) in sums.items()}
    return out
