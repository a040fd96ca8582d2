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
#: The paper's selection (Han et al. 2025, Sec. 3), the one a dataset version of the paper's benchmark has.
PAPER_SELECTION: dict[str, object] = {"correlations": "published", "threshold": DEFAULT_THRESHOLD,
                                      "alpha": DEFAULT_ALPHA, "mode": "pos", "correction": "none"}


def selection_departures(selection: dict) -> list[str]:
    """How a build's selection differs from :data:`PAPER_SELECTION` ("threshold 0.4 (paper: 0.3)", ...).

    A setting the selection does not record (``correction`` in builds without one) counts as the paper's.

    >>> selection_departures({"correlations": "published", "threshold": 0.4, "alpha": 0.05, "mode": "pos"})
    ['threshold 0.4 (paper: 0.3)']
    >>> selection_departures(PAPER_SELECTION)
    []
    """
    return [f"{k} {selection[k]} (paper: {v})" for k, v in PAPER_SELECTION.items()
            if selection.get(k, v) is not None and selection.get(k, v) != v]


def version_label(version: str, selection: dict) -> str:
    """``"1.0.0"`` for the paper's selection, else ``"1.0.0 (custom selection: threshold 0.4; not the paper's)"``.

    >>> version_label("1.0.0", {"threshold": 0.4})
    "1.0.0 (custom selection: threshold 0.4; not the paper's)"
    """
    departures = selection_departures(selection)
    if not departures:
        return version
    return f"{version} (custom selection: {', '.join(d.split(' (paper')[0] for d in departures)}; not the paper's)"


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
