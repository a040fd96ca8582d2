"""The one weighted scorer: item means -> the 19 dimension scores, for one portrait or thousands of replicates.

For item means :math:`\\bar r_i` (NaN = not rated), item weights :math:`w_i` (how often item *i* is drawn in a
replicate; 1 for a plain portrait), observed indicator :math:`o_i`, keys :math:`k_{id}` and family validity
:math:`v_{if}` of a :class:`~valueportrait.scoring.design.Design`, with :math:`u_i = w_i o_i`:

.. math::

    \\bar r_f = \\frac{\\sum_i u_i v_{if} \\bar r_i}{\\sum_i u_i v_{if}},\\qquad
    x_{id} = \\begin{cases}\\bar r_i & k_{id}=+1\\\\ 7-\\bar r_i & k_{id}=-1\\end{cases},\\qquad
    m_d = \\frac{\\sum_i u_i |k_{id}| x_{id}}{n_d},\\quad n_d = \\sum_i u_i |k_{id}|,

    \\text{score}_d = m_d - \\frac{n^+_d \\bar r_{f(d)} + n^-_d (7 - \\bar r_{f(d)})}{n_d}
    = \\frac{1}{n_d} \\sum_i u_i k_{id} (\\bar r_i - \\bar r_{f(d)}),

the paper's centred score (a reverse-scored item counts its rating's distance below the family mean). With
positive keys only (mode ``pos``, the paper's) the reference is the family mean :math:`\\bar r_f`. The same
formulas score a correlation-weighted design (:func:`valueportrait.selection.weighted_table`): there
:math:`k_{id}` is a real weight, :math:`|k_{id}|` enters where 1 did, and the score is
:math:`\\sum_i u_i k_{id} (\\bar r_i - \\bar r_{f(d)}) / \\sum_i u_i |k_{id}|`. ``std`` is the
(weighted) population standard deviation of the :math:`x_{id}`. Checked against upstream's published scores of
the four released models to 1e-9 (``tests/test_reproduction.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError
from .design import Design

__all__ = ["CENTERS", "Scores", "center_rule", "linear_coefficients", "score_matrix"]

#: Replicates scored per block (keeps the intermediates of 10,000 replicates of 520 items at a few MB each).
_CHUNK = 1024


class Scores(NamedTuple):
    """What :func:`score_matrix` returns; every array has one row per replicate (B = 1 for one portrait).

    ``score`` (B, D): centred score (or the raw mean when ``center=False``); ``raw_mean`` (B, D); ``std`` (B, D);
    ``n`` (B, D): (replicate-weighted) number of rated items per dimension (their count, also under the weighted
    rule); ``family_mean`` (B, F); ``reference`` (B, D):
    what ``raw_mean`` is centred on (NaN with ``center="none"``); NaN where undefined (a dimension with no rated
    item).
    """

    score: np.ndarray
    raw_mean: np.ndarray
    std: np.ndarray
    n: np.ndarray
    family_mean: np.ndarray
    reference: np.ndarray


#: The centring rules: ``family`` (the paper's: the mean over all the family's valid items), ``others`` (the mean
#: over the family's items that do not measure the dimension itself), ``none`` (raw means).
CENTERS: tuple[str, ...] = ("family", "others", "none")


def center_rule(center: bool | str) -> str:
    """``True`` -> 'family', ``False`` -> 'none', or one of :data:`CENTERS`; anything else is an InputError."""
    if center is True:
        return "family"
    if center is False:
        return "none"
    if center in CENTERS:
        return str(center)
    raise InputError(f"center must be one of {', '.join(CENTERS)} (or True/False), got {center!r}")


def score_matrix(M: np.ndarray, design: Design, W: np.ndarray | None = None, *,
                 center: bool | str = True) -> Scores:
    """Score item means ``M`` ((I,) or (B, I), in ``design.item_ids`` order) with item weights ``W`` ((B, I)).

    ``center``: ``True``/``"family"`` (the paper's), ``"others"`` (each dimension centred on the mean of its
    family's *other* items, so that a dimension's own items do not pull its reference towards itself), or
    ``False``/``"none"``.

    >>> import pandas as pd
    >>> sel = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq",
    ...                     "dimension": ["Power", "Power", "Hedonism"], "key": 1})
    >>> d = Design.from_selection(sel)
    >>> s = score_matrix(np.array([5.0, 3.0, 1.0]), d)
    >>> float(s.family_mean[0, 0]), float(s.score[0, 4]), float(s.score[0, 2])  # Power, Hedonism
    (3.0, 1.0, -2.0)
    """
    M = np.atleast_2d(np.asarray(M, dtype=float))
    B = max(M.shape[0], 0 if W is None else np.shape(W)[0])
    rule = center_rule(center)
    if B > _CHUNK:  # bound the memory of the intermediates: score blocks of replicates
        parts = [score_matrix(M if M.shape[0] == 1 else M[k:k + _CHUNK], design,
                              None if W is None else W[k:k + _CHUNK], center=center) for k in range(0, B, _CHUNK)]
        return Scores(*(np.concatenate(a, axis=0) for a in zip(*parts)))
    obs = ~np.isnan(M)
    Mz = np.where(obs, M, 0.0)
    U = obs.astype(float) if W is None else np.asarray(W, dtype=float) * obs
    UM = U * Mz
    pos, neg = design.positive_weights, design.negative_weights
    n_pos, n_neg = U @ pos, U @ neg
    n = n_pos + n_neg
    # sum of x and x^2: x = r for key +1, 7 - r for key -1
    R = design.reverse_sum
    s1 = UM @ pos + (R * U - UM) @ neg
    UM2 = UM * Mz
    s2 = UM2 @ pos + (R ** 2 * U - 2 * R * UM + UM2) @ neg
    with np.errstate(invalid="ignore", divide="ignore"):
        fmean = (UM @ design.valid) / (U @ design.valid)
        raw = s1 / n
        std = np.sqrt(np.maximum(s2 / n - raw * raw, 0.0))
        fi = design.family_index
        fm = fmean[:, fi]
        if rule == "others":  # the family's sum and count without the dimension's own items
            fs, fn = (UM @ design.valid)[:, fi], (U @ design.valid)[:, fi]
            member = design.member
            fm = (fs - UM @ member) / (fn - U @ member)
        ref = (n_pos * fm + n_neg * (R - fm)) / n
    score = raw - ref if rule != "none" else raw.copy()
    if rule == "none":
        ref = np.full_like(raw, np.nan)
    empty = n == 0
    for a in (score, raw, std, ref):
        a[empty] = np.nan
    if design.weighted:  # n counts the rated items (not their weights) under the weighted rule too
        n = U @ design.member
    return Scores(score, raw, std, n, fmean, ref)


def linear_coefficients(design: Design, rated: np.ndarray | None = None, *,
                        center: bool | str = True) -> tuple[np.ndarray, np.ndarray]:
    """``(C, c0)`` with ``score_matrix(M, design).score == M @ C + c0`` for item means ``M`` rated where ``rated``.

    For a fixed set of rated items (``rated``: (I,) bool, default all) each score is linear in the item means
    (the formula above with :math:`u_i = o_i`):

    .. math::

        \\text{score}_d = \\sum_i C_{id} \\bar r_i + c_{0d},\\qquad
        C_{id} = \\frac{o_i k_{id}}{n_d} - \\frac{n^+_d - n^-_d}{n_d}\\,\\rho_{id},\\quad c_{0d} = 0,

    with the reference's weights :math:`\\rho_{id} = o_i v_{i f(d)} / N_{f(d)}` (``family``;
    :math:`N_f = \\sum_i o_i v_{if}`) or :math:`o_i (v_{i f(d)} - |k_{id}|) / (N_{f(d)} - n_d)` (``others``);
    uncentred (``none``) :math:`C_{id} = o_i k_{id} / n_d` and :math:`c_{0d} = 7 n^-_d / n_d`. Columns of
    dimensions with no rated item are NaN. The intervals of :mod:`~valueportrait.scoring.intervals` use ``C``.

    >>> import pandas as pd
    >>> sel = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq",
    ...                     "dimension": ["Power", "Power", "Hedonism"], "key": 1})
    >>> C, c0 = linear_coefficients(Design.from_selection(sel))
    >>> C[:, 4].round(3).tolist(), float(c0[4])  # Power = (a + b)/2 - (a + b + c)/3
    ([0.167, 0.167, -0.333], 0.0)
    """
    rule = center_rule(center)
    o = np.ones(len(design.item_ids)) if rated is None else np.asarray(rated, dtype=float)
    pos, neg = design.positive_weights * o[:, None], design.negative_weights * o[:, None]
    n_pos, n_neg = pos.sum(axis=0), neg.sum(axis=0)
    n = n_pos + n_neg
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (pos - neg) / n
        c0 = np.zeros(len(n))
        fam = (o[:, None] * design.valid)[:, design.family_index]  # (I, D): o_i v_{i f(d)}
        if rule == "family":
            C = C - ((n_pos - n_neg) / n) * fam / fam.sum(axis=0)
        elif rule == "others":
            rest = fam - design.member * o[:, None]
            C = C - ((n_pos - n_neg) / n) * rest / rest.sum(axis=0)
        else:
            c0 = design.reverse_sum * n_neg / n
    empty = n == 0
    C[:, empty], c0[empty] = np.nan, np.nan
    return C, c0
