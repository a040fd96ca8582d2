"""Is a portrait's *shape* reproducible across prompt variants? Profile reliability over all variant splits.

A model rates every item in six prompt variants (:data:`~valueportrait.scale.VARIANTS`). Split the six into
two groups of three: there are :math:`\\binom{6}{3}/2 = 10` such splits (:data:`VARIANT_SPLITS`). For each
split, score the centred pvq portrait (10 values) from each half (each item's mean over the half's variants,
scored as every portrait is, :func:`~valueportrait.scoring.engine.score_matrix`), take the Pearson r between
the two halves' portraits and correct it with Spearman-Brown, :math:`2r / (1 + r)`. ``profile_reliability``
is the mean of the 10 corrected values; no single split decides it.

The null (:func:`permutation_p`): under "the items carry no profile" the item labels are exchangeable within
each variant, so the rows of each variant's column of the item x variant table are permuted independently
(one permutation per column), which breaks whatever ties an item's ratings across variants and keeps every
variant's distribution of answers (and its missing cells). ``profile_p`` is
:math:`(1 + \\#\\{\\text{permuted} \\ge \\text{observed}\\}) / (1 + B)`, a valid p-value for any selection.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

from ..scale import VARIANTS
from .design import Design
from .engine import linear_coefficients, score_matrix

__all__ = ["DEFAULT_N_PERM_PROFILE", "VARIANT_SPLITS", "permutation_p", "pvq_part", "split_profiles",
           "split_reliabilities", "variant_splits"]


def variant_splits(names: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Every split of an even number of variants into two halves of equal size, each once (the first half
    holds the first variant); none for fewer than 2 or an odd number."""
    if len(names) < 2 or len(names) % 2:
        return ()
    return tuple((tuple(a), tuple(v for v in names if v not in a))
                 for a in combinations(names, len(names) // 2) if names[0] in a)


#: The 10 ways of splitting the 6 variants into two groups of 3 (each split once: the first group holds v1).
VARIANT_SPLITS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = variant_splits(VARIANTS)
#: Permutations of the null of ``profile_p`` (p resolves down to 1 / 1000).
DEFAULT_N_PERM_PROFILE = 999


@lru_cache(maxsize=16)
def _halves(names: tuple[str, ...]) -> np.ndarray:
    """(V, 2 x splits) indicator of the variants in each half (split-major: split 0 half 0, split 0 half 1, ...)."""
    return np.array([[v in half for split in variant_splits(names) for half in split] for v in names], dtype=float)


def _profile_dims(design: Design) -> np.ndarray:
    """(D,) bool: the dimensions of the profile, the instrument's first family (Value Portrait: pvq)."""
    return design.family_index == 0


def split_profiles(sums: np.ndarray, counts: np.ndarray, design: Design) -> np.ndarray:
    """(B, 10, 2, 10): each split's two halves' centred pvq portraits (generally: (B, splits, 2, dimensions of
    the instrument's first family)).

    ``sums``, ``counts``: (B, I, 6) or (I, 6) sums and counts of the valid ratings of each design item in each
    variant (variants in the instrument's order, :data:`~valueportrait.scale.VARIANTS` for Value Portrait).
    """
    names = design.instrument.variant_names
    halves, dims = _halves(names), _profile_dims(design)
    sums, counts = np.asarray(sums, dtype=float), np.asarray(counts, dtype=float)
    if sums.ndim == 2:
        sums, counts = sums[None], counts[None]
    with np.errstate(invalid="ignore", divide="ignore"):
        M = (sums @ halves) / (counts @ halves)  # (B, I, 20): each item's mean in each half of each split
    B, n_items = M.shape[:2]
    if np.isnan(M).any():
        flat = np.swapaxes(M, 1, 2).reshape(-1, n_items)  # (B * 20, I)
        pvq = score_matrix(flat, design).score[:, dims]
    else:  # every item rated in every half: the score is linear in the item means (one product)
        C, c0 = linear_coefficients(design)
        pvq = np.einsum("bik,id->bkd", M, C[:, dims]) + c0[dims]
    return pvq.reshape(B, len(variant_splits(names)), 2, int(dims.sum()))


def pvq_part(sums: np.ndarray, counts: np.ndarray, design: Design) -> tuple[np.ndarray, np.ndarray, Design]:
    """The rows (last-but-one axis) of ``sums`` and ``counts`` and the design restricted to the items of the pvq
    family (the instrument's first): the only ones a pvq score depends on (its items and its family mean)."""
    rows = np.flatnonzero(design.valid[:, 0] > 0)
    return sums[..., rows, :], counts[..., rows, :], design.subset([design.item_ids[i] for i in rows])


def split_reliabilities(profiles: np.ndarray) -> np.ndarray:
    """(B, 10) Spearman-Brown corrected Pearson r of each split's two halves (NaN where a half has a missing
    value or no variation)."""
    a, b = profiles[..., 0, :], profiles[..., 1, :]
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * b).sum(axis=-1) / np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
        return 2 * r / (1 + r)


def permutation_p(sums: np.ndarray, counts: np.ndarray, design: Design, observed: float, *,
                  n_perm: int = DEFAULT_N_PERM_PROFILE, seed: int = 0, block: int = 250) -> float:
    """``profile_p``: the share of item-within-variant permutations whose profile reliability reaches
    ``observed`` (a replicate with no defined reliability counts as reaching it), as ``(1 + k) / (1 + n_perm)``.

    When every cell holds the same number of ratings (the usual complete run) a half's portrait is linear in the
    per-variant sums, so each permutation costs six (items x 10) products (:func:`_linear_profiles`); otherwise
    :func:`split_profiles` scores every half. Both give the same replicates (the same draws, tested).
    """
    sums, counts, design = pvq_part(sums, counts, design)
    rng = np.random.default_rng(seed)
    n_items, k = sums.shape
    equal = counts.size > 0 and bool(np.all(counts == counts.flat[0])) and counts.flat[0] > 0
    hits = 0
    for start in range(0, n_perm, block):
        b = min(block, n_perm - start)
        order = rng.permuted(np.broadcast_to(np.arange(n_items)[None, :, None], (b, n_items, k)), axis=1)
        ps = np.take_along_axis(np.broadcast_to(sums, (b, n_items, k)), order, axis=1)
        if equal:
            profiles = _linear_profiles(ps, float(counts.flat[0]), design)
        else:
            pc = np.take_along_axis(np.broadcast_to(counts, (b, n_items, k)), order, axis=1)
            profiles = split_profiles(ps, pc, design)
        rel = split_reliabilities(profiles).mean(axis=1)
        hits += int(np.sum(~(rel < observed)))
    return (1 + hits) / (1 + n_perm)


def _linear_profiles(sums: np.ndarray, count: float, design: Design) -> np.ndarray:
    """:func:`split_profiles` of (B, I, 6) sums when every cell holds ``count`` ratings: each half's item means
    are its variants' sums / (3 count), and the pvq scores are linear in them."""
    names = design.instrument.variant_names
    dims = _profile_dims(design)
    C, c0 = linear_coefficients(design)
    per_variant = np.einsum("biv,id->bvd", sums, C[:, dims])  # (B, 6, 10)
    halves = np.einsum("bvd,vk->bkd", per_variant, _halves(names)) / (len(names) // 2 * count) + c0[dims]
    return halves.reshape(sums.shape[0], len(variant_splits(names)), 2, int(dims.sum()))
