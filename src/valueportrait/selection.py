"""Which items measure which dimension: the paper's rule on the item x dimension correlations.

An item measures a dimension when ``rho > threshold`` and ``p < alpha`` (Han et al. 2025, Sec. 3: 0.3 and
0.05). Mode ``pos`` (the paper's, default) keeps positively keyed items only. Mode ``abs`` also keeps items
with ``rho < -threshold`` (and ``p < alpha``) as negatively keyed: their ratings are reverse scored
(``7 - rating``) when scoring, as upstream's ``score.py`` allows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .errors import InputError

Mode = Literal["pos", "abs"]
MODES: tuple[str, ...] = ("pos", "abs")
DEFAULT_THRESHOLD = 0.3
DEFAULT_ALPHA = 0.05
#: Which columns of the ``correlations`` config hold each source's rho and p-value.
CORRELATION_COLUMNS: dict[str, tuple[str, str]] = {"published": ("rho_published", "p_value_published"),
                                                   "computed": ("rho", "p_value")}


def _real(value) -> float | None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return float(value) if np.isfinite(value) else None


def check_cutoffs(threshold: float, alpha: float) -> None:
    """:class:`InputError` unless ``threshold`` is a number in [0, 1) and ``alpha`` one in (0, 1].

    >>> check_cutoffs("high", 0.05)
    Traceback (most recent call last):
    ...
    valueportrait.errors.InputError: threshold must be a number from 0 to 1 (|rho| must exceed it; the paper's is 0.3), got 'high'
    """
    t, a = _real(threshold), _real(alpha)
    if t is None or not 0 <= t < 1:
        raise InputError(f"threshold must be a number from 0 to 1 (|rho| must exceed it; the paper's is "
                         f"{DEFAULT_THRESHOLD}), got {threshold!r}")
    if a is None or not 0 < a <= 1:
        raise InputError(f"alpha must be a number above 0 and at most 1 (p must be below it; the paper's is "
                         f"{DEFAULT_ALPHA}), got {alpha!r}")


def select(rho: np.ndarray, p: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
           mode: Mode = "pos") -> np.ndarray:
    """Key of each pair: +1 (measures, positively keyed), -1 (measures, reverse scored; mode ``abs`` only), 0.

    NaN rho or p never selects.

    >>> select(np.array([0.35, 0.31, -0.4, 0.5]), np.array([0.01, 0.06, 0.001, 0.04])).tolist()
    [1, 0, 0, 1]
    >>> select(np.array([0.35, -0.4]), np.array([0.01, 0.001]), mode="abs").tolist()
    [1, -1]
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    check_cutoffs(threshold, alpha)
    rho = np.asarray(rho, dtype=float)
    p = np.asarray(p, dtype=float)
    sig = p < alpha  # False for NaN
    key = np.where(sig & (rho > threshold), 1, 0)
    if mode == "abs":
        key = np.where(sig & (rho < -threshold), -1, key)
    return key.astype(np.int64)


def selection_table(correlations: pd.DataFrame, *, use: Literal["published", "computed"] = "published",
                    threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                    mode: Mode = "pos") -> pd.DataFrame:
    """item_id, family, dimension, key for every selected pair (key +1 or -1).

    ``correlations`` is the dataset's ``correlations`` config (columns rho, p_value, rho_published,
    p_value_published); ``use`` picks which pair of columns drives the selection.
    """
    if use not in CORRELATION_COLUMNS:
        raise InputError(f"use must be 'published' or 'computed', got {use!r}")
    rho_col, p_col = CORRELATION_COLUMNS[use]
    missing = [c for c in ("item_id", "family", "dimension", rho_col, p_col) if c not in correlations.columns]
    if missing:
        raise InputError(f"the correlations table lacks column(s) {missing}; expected the dataset's 'correlations' config")
    if use == "published" and correlations[rho_col].isna().all():
        raise InputError("no published correlations in this table; use='computed' instead")
    key = select(correlations[rho_col].to_numpy(), correlations[p_col].to_numpy(), threshold=threshold, alpha=alpha,
                 mode=mode)
    out = correlations.loc[key != 0, ["item_id", "family", "dimension"]].copy()
    out["key"] = key[key != 0]
    return out.reset_index(drop=True)
