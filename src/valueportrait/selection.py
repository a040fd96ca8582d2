"""Which items measure which dimension: the paper's rule on the item x dimension correlations.

An item measures a dimension when ``rho > threshold`` and ``p < alpha`` (Han et al. 2025, Sec. 3: 0.3 and
0.05). Mode ``pos`` (the paper's, default) keeps positively keyed items only. Mode ``abs`` also keeps items
with ``rho < -threshold`` (and ``p < alpha``) as negatively keyed: their ratings are reverse scored
(``7 - rating``) when scoring, as upstream's ``score.py`` allows.

**Multiple testing.** The paper's rule (correction ``none``, the default) tests 9,880 item x dimension pairs at
``p < alpha`` each, so about 200 pass with no association at all (``docs/validity.md``). ``fdr_bh`` replaces
``p`` by its Benjamini-Hochberg adjusted value and ``bonferroni`` by ``min(1, m p)``, each within a family over
all ``m`` of its item x dimension tests (pvq 5,200, higher_pvq 2,080, bfi 2,600 in the release); the rule is
then ``rho > threshold`` and adjusted ``p < alpha``. NaN p-values (constant columns) are not tests.

**Scoring rules.** ``threshold`` (the default, the paper's) scores each dimension on the items the rule above
selects, each with weight 1. ``weighted`` (:func:`weighted_table`) lets every item score every dimension with
weight equal to its item x dimension correlation, through the same scorer and the same within-family centring.
"""

from __future__ import annotations

from typing import Literal

import warnings

import numpy as np
import pandas as pd

from .errors import InputError

Mode = Literal["pos", "abs"]
MODES: tuple[str, ...] = ("pos", "abs")
DEFAULT_THRESHOLD = 0.3
DEFAULT_ALPHA = 0.05
Correction = Literal["none", "fdr_bh", "bonferroni"]
#: Multiple-testing corrections of the selection rule; ``none`` is the paper's.
CORRECTIONS: tuple[str, ...] = ("none", "fdr_bh", "bonferroni")
DEFAULT_CORRECTION = "none"
Scoring = Literal["threshold", "weighted"]
#: The scoring rules: the paper's hard threshold (default) and the correlation-weighted rule.
SCORINGS: tuple[str, ...] = ("threshold", "weighted")
DEFAULT_SCORING = "threshold"
#: Which columns of the ``correlations`` config hold each source's rho and p-value.
CORRELATION_COLUMNS: dict[str, tuple[str, str]] = {"published": ("rho_published", "p_value_published"),
                                                   "computed": ("rho", "p_value")}
#: The dataset version that is the paper's benchmark: a build labelled with it must have the paper's selection
#: (``valueportrait publish`` refuses to tag another as it; later versions may change the selection, their card
#: and version label say how).
PAPER_VERSION = "1.0.0"
#: The paper's selection (Han et al. 2025, Sec. 3), the one a dataset version of the paper's benchmark has.
PAPER_SELECTION: dict[str, object] = {"correlations": "published", "threshold": DEFAULT_THRESHOLD,
                                      "alpha": DEFAULT_ALPHA, "mode": "pos", "correction": "none",
                                      "scoring": "threshold"}


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


class SelectionWarning(UserWarning):
    """A selection leaves a family without any selected item (its scores are null)."""


def check_scoring(scoring: str) -> str:
    """Return ``scoring`` if it is one of :data:`SCORINGS`, else raise InputError listing them.

    >>> check_scoring("soft")
    Traceback (most recent call last):
    valueportrait.errors.InputError: unknown scoring rule 'soft'; choose one of threshold, weighted (docs/validity.md)
    """
    if scoring not in SCORINGS:
        raise InputError(f"unknown scoring rule {scoring!r}; choose one of {', '.join(SCORINGS)} (docs/validity.md)")
    return scoring


def weighted_table(correlations: pd.DataFrame, *, use: Literal["published", "computed"] = "published") -> pd.DataFrame:
    """The correlation-weighted rule: item_id, family, dimension, key (sign of rho), weight (rho) for every pair
    with a finite, non-zero correlation.

    Every item scores every dimension with weight equal to its raw Spearman rho with the dimension (a negative
    rho counts the item reverse scored); the score is the weighted mean distance from the family mean
    (:mod:`valueportrait.scoring.engine`). Raw rho was chosen by the build's cross-validation within survey
    groups (10 folds, ``docs/validity.md``): held-out convergent validity 0.190 mean over the 19 dimensions,
    against 0.158 for positive weights only, 0.176-0.185 for rho soft-shrunk toward 0 by 0.05-0.15, 0.114 for the
    top 3 items and 0.096 for the paper's threshold (which also leaves 28% of rater x dimension cells unscored).
    A uniform shrinkage does not change the ranking of scores, so only a non-uniform one could help; none did.

    >>> c = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq", "dimension": "Power",
    ...                   "rho_published": [0.4, -0.2, float("nan")], "p_value_published": [0.01, 0.2, float("nan")]})
    >>> weighted_table(c)[["item_id", "key", "weight"]].values.tolist()
    [['a', 1, 0.4], ['b', -1, -0.2]]
    """
    if use not in CORRELATION_COLUMNS:
        raise InputError(f"use must be 'published' or 'computed', got {use!r}")
    rho_col = CORRELATION_COLUMNS[use][0]
    missing = [c for c in ("item_id", "family", "dimension", rho_col) if c not in correlations.columns]
    if missing:
        raise InputError(f"the correlations table lacks column(s) {missing}; expected the dataset's 'correlations' config")
    rho = correlations[rho_col].to_numpy(dtype=float)
    keep = np.isfinite(rho) & (rho != 0)
    out = correlations.loc[keep, ["item_id", "family", "dimension"]].copy()
    out["key"] = np.where(rho[keep] < 0, -1, 1).astype(np.int64)
    out["weight"] = rho[keep]
    return out.reset_index(drop=True)


def check_correction(correction: str) -> str:
    """Return ``correction`` if it is one of :data:`CORRECTIONS`, else raise InputError listing them.

    >>> check_correction("holm")
    Traceback (most recent call last):
    valueportrait.errors.InputError: unknown correction 'holm'; choose one of none, fdr_bh, bonferroni
    """
    if correction not in CORRECTIONS:
        raise InputError(f"unknown correction {correction!r}; choose one of {', '.join(CORRECTIONS)}")
    return correction


def adjust_p(p: np.ndarray, families: np.ndarray | None = None, correction: Correction = "none") -> np.ndarray:
    """p-values adjusted for multiple testing within each family (over the last axis).

    Parameters
    ----------
    p : (..., m) array of p-values; NaN is not a test (stays NaN and does not count in ``m``).
    families : (m,) labels; the adjustment runs over each family's tests separately. None: one family.
    correction : ``none`` (p unchanged), ``fdr_bh`` (Benjamini & Hochberg 1995, by
        :func:`scipy.stats.false_discovery_control`), ``bonferroni`` (``min(1, m_f p)``).

    Leading axes are independent sets of tests (e.g. random splits of the raters).

    >>> adjust_p(np.array([0.01, 0.02, 0.03, 0.5]), correction="fdr_bh").round(4).tolist()
    [0.04, 0.04, 0.04, 0.5]
    >>> adjust_p(np.array([0.01, 0.02, 0.03, np.nan]), np.array(["a", "a", "b", "b"]), "bonferroni").tolist()
    [0.02, 0.04, 0.03, nan]
    """
    check_correction(correction)
    p = np.asarray(p, dtype=float)
    if correction == "none":
        return p.copy()
    if families is None:
        families = np.zeros(p.shape[-1], dtype=np.int64)
    families = np.asarray(families)
    out = np.full(p.shape, np.nan)
    for f in pd.unique(families):
        cols = np.flatnonzero(families == f)
        part = p[..., cols]
        ok = ~np.isnan(part)
        m = ok.sum(axis=-1, keepdims=True)
        if correction == "bonferroni":
            out[..., cols] = np.minimum(1.0, part * m)
            continue
        from scipy.stats import false_discovery_control  # not at module level: ~1 s of start-up

        if ok.all():
            out[..., cols] = false_discovery_control(part, axis=-1, method="bh")
            continue
        flat, okf = part.reshape(-1, len(cols)), ok.reshape(-1, len(cols))
        res = np.full(flat.shape, np.nan)
        for r in np.flatnonzero(okf.any(axis=1)):  # some NaN: adjust each row's real tests among themselves
            res[r, okf[r]] = false_discovery_control(flat[r, okf[r]], method="bh")
        out[..., cols] = res.reshape(part.shape)
    return out


def select(rho: np.ndarray, p: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
           mode: Mode = "pos", correction: Correction = "none", families: np.ndarray | None = None) -> np.ndarray:
    """Key of each pair: +1 (measures, positively keyed), -1 (measures, reverse scored; mode ``abs`` only), 0.

    With a ``correction``, ``p`` is first adjusted within each of ``families`` (labels, one per pair; None:
    all pairs one family) by :func:`adjust_p`. NaN rho or p never selects. ``rho`` and ``p`` may have leading
    axes (independent sets of pairs, e.g. random splits); the last axis is the pairs.

    >>> select(np.array([0.35, 0.31, -0.4, 0.5]), np.array([0.01, 0.06, 0.001, 0.04])).tolist()
    [1, 0, 0, 1]
    >>> select(np.array([0.35, -0.4]), np.array([0.01, 0.001]), mode="abs").tolist()
    [1, -1]
    >>> select(np.array([0.35, 0.31, -0.4, 0.5]), np.array([0.01, 0.06, 0.001, 0.04]), correction="bonferroni").tolist()
    [1, 0, 0, 0]
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    check_cutoffs(threshold, alpha)
    rho = np.asarray(rho, dtype=float)
    p = adjust_p(p, families, correction)
    sig = p < alpha  # False for NaN
    key = np.where(sig & (rho > threshold), 1, 0)
    if mode == "abs":
        key = np.where(sig & (rho < -threshold), -1, key)
    return key.astype(np.int64)


def selection_table(correlations: pd.DataFrame, *, use: Literal["published", "computed"] = "published",
                    threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                    mode: Mode = "pos", correction: Correction = "none") -> pd.DataFrame:
    """item_id, family, dimension, key for every selected pair (key +1 or -1).

    ``correlations`` is the dataset's ``correlations`` config (columns rho, p_value, rho_published,
    p_value_published); ``use`` picks which pair of columns drives the selection; ``correction`` adjusts the
    p-values within each family (:func:`adjust_p`). A family left with no selected item gets a
    :class:`SelectionWarning` naming it (its scores are then null: no item measures its dimensions).
    """
    check_correction(correction)
    if use not in CORRELATION_COLUMNS:
        raise InputError(f"use must be 'published' or 'computed', got {use!r}")
    rho_col, p_col = CORRELATION_COLUMNS[use]
    missing = [c for c in ("item_id", "family", "dimension", rho_col, p_col) if c not in correlations.columns]
    if missing:
        raise InputError(f"the correlations table lacks column(s) {missing}; expected the dataset's 'correlations' config")
    if use == "published" and correlations[rho_col].isna().all():
        raise InputError("no published correlations in this table; use='computed' instead")
    families = correlations["family"].to_numpy()
    key = select(correlations[rho_col].to_numpy(), correlations[p_col].to_numpy(), threshold=threshold, alpha=alpha,
                 mode=mode, correction=correction, families=families)
    warn_empty_families(families, key, correction)
    out = correlations.loc[key != 0, ["item_id", "family", "dimension"]].copy()
    out["key"] = key[key != 0]
    return out.reset_index(drop=True)


def warn_empty_families(families: np.ndarray, key: np.ndarray, correction: str = "none") -> list[str]:
    """Warn (:class:`SelectionWarning`) once per family none of whose pairs is selected; return those families."""
    empty = [str(f) for f in pd.unique(np.asarray(families)) if not (key[np.asarray(families) == f] != 0).any()]
    for f in empty:
        warnings.warn(f"the selection (correction {correction}) leaves family {f!r} with no selected item; its "
                      f"scores are null (no item measures its dimensions). Use a weaker correction or a lower "
                      "threshold to score it.", SelectionWarning, stacklevel=3)
    return empty

