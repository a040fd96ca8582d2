"""How a model prompted as a member of a group differs from the group's real members.

A *persona* run gives the model's ratings of the items while it plays a member of a group (``persona``
column of a ratings table, e.g. ``"sex=Female"``). The human side is the group's raters (from the
demographics, :mod:`valueportrait.demographics`). Everything is on the benchmark's own scale: both sides'
item ratings are averaged per item and scored with the same scoring contract. The statistics:

* per dimension: deviation = model persona score - human group score, with a bootstrap CI (items for the
  model, raters for the humans) -- :func:`deviation_ci`;
* profile agreement across the 10 values and the 5 traits: Pearson, Spearman, RMSE, mean absolute
  difference -- :func:`profile_agreement`;
* between the groups of one attribute: the model's gap vs the human gap per dimension (sign agreement,
  amplification ratio, permutation p-value of the human gap) -- :func:`gap_comparison`,
  :func:`permutation_gap_pvalue`;
* a summary bias index per attribute -- :func:`bias_index`;
* item-level distribution alignment for several samples per item: 1 - normalised Wasserstein (OpinionQA) and
  1 - Jensen-Shannon distance (GlobalOpinionQA) -- :func:`wasserstein_alignment`, :func:`js_alignment`.

:func:`compare_personas` runs them all on a dataset, a demographics table and a persona ratings table and
returns a :class:`DeviationReport` of flat tables. All functions are pure; the CLI (``valueportrait
deviation``) is a shell over :func:`compare_personas`.

References
----------
Santurkar, S. et al. (2023). Whose Opinions Do Language Models Reflect? ICML (OpinionQA).
Durmus, E. et al. (2023). Towards Measuring the Representation of Subjective Global Opinions in Language
Models. arXiv:2306.16388 (GlobalOpinionQA).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .demographics import MIN_RATERS, Demographics, check_participants, group_seed
from .errors import InputError
from .scale import DIMENSIONS
from .scoring import (Design, bootstrap_portraits, group_portrait_replicates, item_means, percentile_ci, rater_matrix,
                      score_matrix)
from .scoring import item_ratings

#: Rating scale: 1..K.
K = 6
#: Families the profile agreement and the bias index are computed over (the 10 values, the 5 traits).
PROFILE_FAMILIES: tuple[str, ...] = ("pvq", "bfi")
#: |human gap| below this makes the amplification ratio undefined (NaN).
GAP_EPS = 1e-9


# -- per-dimension deviation -----------------------------------------------------------------------------------

def deviation_ci(model: np.ndarray, model_boot: np.ndarray, human: np.ndarray, human_boot: np.ndarray,
                 ci: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deviation model - human per dimension with a percentile bootstrap CI.

    Parameters
    ----------
    model, human : ndarray, shape (D,)
        Scores of the model persona and of the human group.
    model_boot, human_boot : ndarray, shape (B, D)
        Independent bootstrap replicates (items resampled for the model, raters for the humans).

    Returns
    -------
    delta, ci_low, ci_high : ndarray, shape (D,)

    Notes
    -----
    :math:`\\Delta_d = s^{M}_d - s^{H}_d`. Replicate *b* gives :math:`\\Delta^{(b)}_d = s^{M(b)}_d - s^{H(b)}_d`
    (the two bootstraps are independent, so pairing replicates by index is a draw from the joint);
    the interval is the :math:`(\\alpha/2, 1-\\alpha/2)` percentile interval of :math:`\\Delta^{(b)}_d`.

    Examples
    --------
    >>> d, lo, hi = deviation_ci(np.array([1.0]), np.array([[1.0], [2.0], [3.0]]), np.array([0.5]),
    ...                          np.array([[0.0], [0.0], [0.0]]), ci=0.5)
    >>> float(d[0]), float(lo[0]), float(hi[0])
    (0.5, 1.5, 2.5)
    """
    model_boot, human_boot = np.atleast_2d(model_boot), np.atleast_2d(human_boot)
    if model_boot.shape != human_boot.shape:
        raise InputError(f"model and human replicates must have the same shape, got {model_boot.shape} and "
                         f"{human_boot.shape}")
    lo, hi = percentile_ci(model_boot - human_boot, ci)
    return np.asarray(model, float) - np.asarray(human, float), lo, hi


# -- profile agreement -----------------------------------------------------------------------------------------

def profile_agreement(model: np.ndarray, human: np.ndarray) -> dict[str, float]:
    """Agreement of two profiles (e.g. the 10 value scores): Pearson, Spearman, RMSE, mean absolute difference.

    Works along the last axis, so ``(B, D)`` inputs give ``(B,)`` arrays (replicates). Dimensions where either
    side is NaN are dropped (1-d input only; for 2-d input a row with a NaN gives NaN).

    Returns
    -------
    dict
        ``pearson, spearman, rmse, mad, n`` (n = dimensions compared).

    Notes
    -----
    With :math:`x = s^M, y = s^H` over the *n* dimensions of a family:

    .. math::

        r = \\frac{\\sum_d (x_d - \\bar x)(y_d - \\bar y)}{\\sqrt{\\sum_d (x_d-\\bar x)^2 \\sum_d (y_d-\\bar y)^2}},\\quad
        \\rho = r(\\operatorname{rank} x, \\operatorname{rank} y)\\ (\\text{average ranks for ties}),

    .. math::

        \\text{RMSE} = \\sqrt{\\tfrac{1}{n}\\sum_d (x_d - y_d)^2},\\qquad
        \\text{MAD} = \\tfrac{1}{n}\\sum_d |x_d - y_d|.

    Pearson / Spearman are NaN when a profile is constant or n < 3. Checked against ``scipy.stats.pearsonr``
    and ``spearmanr`` in the tests.

    Examples
    --------
    >>> a = profile_agreement(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
    >>> a["pearson"], a["spearman"], round(a["rmse"], 6), round(a["mad"], 6)
    (0.5, 0.5, 0.816497, 0.666667)
    """
    x, y = np.asarray(model, dtype=float), np.asarray(human, dtype=float)
    if x.shape != y.shape:
        raise InputError(f"profiles must have the same shape, got {x.shape} and {y.shape}")
    if x.ndim == 1:
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
    n = x.shape[-1]
    diff = x - y
    rmse = np.sqrt(np.mean(diff ** 2, axis=-1)) if n else np.nan
    mad = np.mean(np.abs(diff), axis=-1) if n else np.nan

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = a - a.mean(axis=-1, keepdims=True)
        b = b - b.mean(axis=-1, keepdims=True)
        den = np.sqrt((a ** 2).sum(axis=-1) * (b ** 2).sum(axis=-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * b).sum(axis=-1) / den
        return np.where(den > 1e-12, r, np.nan)

    if n < 3:
        pearson = spearman = np.full(x.shape[:-1], np.nan)
    else:
        pearson = corr(x, y)
        spearman = corr(rankdata(x, axis=-1), rankdata(y, axis=-1))
        if x.ndim > 1:
            bad = np.isnan(x).any(axis=-1) | np.isnan(y).any(axis=-1)
            spearman = np.where(bad, np.nan, spearman)

    def out(v):
        v = np.asarray(v, dtype=float)
        return float(v) if v.ndim == 0 else v

    return {"pearson": out(pearson), "spearman": out(spearman), "rmse": out(rmse), "mad": out(mad), "n": n}


# -- gaps between groups ---------------------------------------------------------------------------------------

def gap_comparison(model_gap: np.ndarray, human_gap: np.ndarray) -> dict[str, np.ndarray]:
    """Compare the model's gap between two groups with the human gap, per dimension.

    Returns
    -------
    dict of ndarray (D,)
        ``sign_agree`` (1.0 / 0.0, NaN if either gap is 0 or NaN), ``amplification`` (model gap / human gap,
        NaN when :math:`|g^H| <` :data:`GAP_EPS`), ``gap_error`` (model gap - human gap).

    Notes
    -----
    For groups *a*, *b*: :math:`g^M_d = s^{M}_{a,d} - s^{M}_{b,d}`, :math:`g^H_d = s^{H}_{a,d} - s^{H}_{b,d}`.

    .. math::

        \\text{sign\\_agree}_d = [\\operatorname{sgn} g^M_d = \\operatorname{sgn} g^H_d],\\qquad
        A_d = g^M_d / g^H_d,\\qquad e_d = g^M_d - g^H_d.

    :math:`A_d > 1`: the model exaggerates the difference; :math:`0 < A_d < 1`: it understates it;
    :math:`A_d < 0`: it reverses it. A small human gap makes :math:`A_d` unstable: read it with the human
    gap's p-value (:func:`permutation_gap_pvalue`).

    Examples
    --------
    >>> c = gap_comparison(np.array([0.4, -0.2, 0.1]), np.array([0.2, 0.1, 0.0]))
    >>> c["sign_agree"].tolist(), c["amplification"].tolist()
    ([1.0, 0.0, nan], [2.0, -2.0, nan])
    """
    gm, gh = np.asarray(model_gap, dtype=float), np.asarray(human_gap, dtype=float)
    sm, sh = np.sign(gm), np.sign(gh)
    sign_agree = np.where((sm == 0) | (sh == 0) | np.isnan(gm) | np.isnan(gh), np.nan, (sm == sh).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        amp = np.where(np.abs(gh) < GAP_EPS, np.nan, gm / gh)
    return {"sign_agree": sign_agree, "amplification": amp, "gap_error": gm - gh}


def permutation_gap_pvalue(ratings: np.ndarray, in_a: np.ndarray, strata: np.ndarray, design: Design,
                           n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided permutation p-value of the human gap between groups *a* and *b*, per dimension.

    Parameters
    ----------
    ratings : ndarray, shape (R, I)
        The pooled raters of *a* and *b* (NaN = not rated).
    in_a : ndarray of bool, shape (R,)
        True for raters of group *a*.
    strata : ndarray, shape (R,)
        Labels are permuted within strata (raters of the same survey group(s)), keeping each stratum's count
        of *a* raters, because each survey group rated different items.

    Returns
    -------
    observed_gap, p_value : ndarray, shape (D,)

    Notes
    -----
    With :math:`g^H_d` the observed gap and :math:`g^{(p)}_d` the gap after the *p*-th relabelling,

    .. math::

        p_d = \\frac{1 + \\#\\{p : |g^{(p)}_d| \\ge |g^H_d|\\}}{1 + P}

    (Phipson & Smyth 2010: never 0; the smallest attainable p is :math:`1/(P+1)`).
    """
    in_a = np.asarray(in_a, dtype=bool)

    def gaps(Wa: np.ndarray) -> np.ndarray:
        sa = score_matrix(item_means(ratings, Wa), design).score
        sb = score_matrix(item_means(ratings, 1.0 - Wa), design).score
        return sa - sb

    observed = gaps(in_a[None, :].astype(float))[0]
    if n_perm <= 0:
        return observed, np.full_like(observed, np.nan)
    Wa = np.zeros((n_perm, len(in_a)))
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        n_a = int(in_a[members].sum())
        order = np.argsort(rng.random((n_perm, len(members))), axis=1)  # a random permutation per row
        chosen = members[order[:, :n_a]]
        Wa[np.repeat(np.arange(n_perm), n_a), chosen.ravel()] = 1.0
    perm = gaps(Wa)
    with np.errstate(invalid="ignore"):
        hits = (np.abs(perm) >= np.abs(observed) - 1e-12).sum(axis=0)
    p = (1 + hits) / (1 + n_perm)
    return observed, np.where(np.isnan(observed), np.nan, p)


def bias_index(model_gaps: np.ndarray, human_gaps: np.ndarray) -> dict[str, float]:
    """Summary of how well the model reproduces the differences between the groups of one attribute.

    Parameters
    ----------
    model_gaps, human_gaps : ndarray, shape (P, D) or (..., P, D)
        Gaps of the *P* pairs of groups over the *D* dimensions of one family. Leading axes (replicates)
        are kept.

    Returns
    -------
    dict
        ``bias_index`` (mean absolute gap error), ``gap_rmse``, ``sign_agreement``, ``exaggeration``.

    Notes
    -----
    Over all pairs :math:`(a, b)` of groups and the dimensions *d* of a family (:math:`N` terms, NaN dropped):

    .. math::

        \\text{BI} = \\frac{1}{N}\\sum_{(a,b)}\\sum_d \\left|g^M_{ab,d} - g^H_{ab,d}\\right|,\\qquad
        \\text{gap\\_RMSE} = \\sqrt{\\frac{1}{N}\\sum_{(a,b)}\\sum_d \\left(g^M_{ab,d} - g^H_{ab,d}\\right)^2},

    .. math::

        \\text{sign\\_agreement} = \\text{mean}_{(a,b),d}\\,[\\operatorname{sgn} g^M = \\operatorname{sgn} g^H],\\qquad
        \\text{exaggeration} = \\frac{\\sum |g^M_{ab,d}|}{\\sum |g^H_{ab,d}|}.

    BI is 0 when the model's persona differences equal the human ones and grows, on the score scale (rating
    points), with invented, missed, exaggerated or reversed differences. Exaggeration > 1: the model's
    personas differ more than the groups do.

    Examples
    --------
    >>> b = bias_index(np.array([[0.4, -0.2]]), np.array([[0.2, 0.1]]))
    >>> round(b["bias_index"], 6), round(b["gap_rmse"], 6), b["sign_agreement"], round(b["exaggeration"], 6)
    (0.25, 0.254951, 0.5, 2.0)
    """
    gm, gh = np.asarray(model_gaps, dtype=float), np.asarray(human_gaps, dtype=float)
    axes = (-2, -1)
    err = gm - gh
    ok = ~np.isnan(err)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = ok.sum(axis=axes)
        bi = np.where(ok, np.abs(err), 0).sum(axis=axes) / n
        rmse = np.sqrt(np.where(ok, err ** 2, 0).sum(axis=axes) / n)
        sa = np.where(ok, gap_comparison(gm, gh)["sign_agree"], np.nan)
        sign = np.isfinite(sa).sum(axis=axes)
        sign = np.where(sign > 0, np.nansum(sa, axis=axes) / np.maximum(sign, 1), np.nan)
        exag = np.where(ok, np.abs(gm), 0).sum(axis=axes) / np.where(ok, np.abs(gh), 0).sum(axis=axes)

    def out(v):
        v = np.asarray(v, dtype=float)
        return float(v) if v.ndim == 0 else v

    return {"bias_index": out(bi), "gap_rmse": out(rmse), "sign_agreement": out(sign), "exaggeration": out(exag)}


# -- item-level distributions ----------------------------------------------------------------------------------

def rating_distributions(item_ids: Sequence[str], ratings: np.ndarray, items: Sequence[str], k: int = K
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Counts (I, k) of the ratings 1..k of each item in ``items`` and the number of ratings (I,).

    Non-integer or out-of-range ratings and NaN are ignored.
    """
    col = {iid: j for j, iid in enumerate(items)}
    iid = pd.Series(list(item_ids), dtype="str")
    r = np.asarray(ratings, dtype=float)
    j = iid.map(col).to_numpy(dtype=float)
    ok = ~np.isnan(j) & ~np.isnan(r) & (r == np.round(r)) & (r >= 1) & (r <= k)
    flat = j[ok].astype(np.int64) * k + (r[ok].astype(np.int64) - 1)
    counts = np.bincount(flat, minlength=len(items) * k).reshape(len(items), k).astype(float)
    return counts, counts.sum(axis=1)


def wasserstein_alignment(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """1 - W1(p, q) / (K - 1) between distributions over the ordered ratings 1..K (last axis).

    Notes
    -----
    For ordinal options at unit spacing, the 1-Wasserstein distance is the L1 distance of the CDFs
    :math:`F_p(k) = \\sum_{j\\le k} p_j`:

    .. math::

        W_1(p, q) = \\sum_{k=1}^{K-1} |F_p(k) - F_q(k)|,\\qquad
        \\text{alignment} = 1 - \\frac{W_1(p, q)}{K - 1} \\in [0, 1]

    (OpinionQA's representativeness, Santurkar et al. 2023, Sec. 3; :math:`K - 1` is the largest possible
    :math:`W_1`). Equal to ``1 - scipy.stats.wasserstein_distance(range(K), range(K), p, q) / (K - 1)``.

    Examples
    --------
    >>> float(wasserstein_alignment(np.array([1, 0, 0, 0, 0, 0.]), np.array([0, 0, 0, 0, 0, 1.])))
    0.0
    >>> float(wasserstein_alignment(np.array([0, 1, 0, 0, 0, 0.]), np.array([0, 0, 1, 0, 0, 0.])))
    0.8
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    k = p.shape[-1]
    w1 = np.abs(np.cumsum(p, axis=-1) - np.cumsum(q, axis=-1))[..., :-1].sum(axis=-1)
    return 1.0 - w1 / (k - 1)


def js_alignment(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """1 - Jensen-Shannon distance (base 2) between distributions (last axis).

    Notes
    -----
    With :math:`m = (p + q)/2` and :math:`\\mathrm{KL}(p\\|m) = \\sum_k p_k \\log_2 (p_k / m_k)` (0 log 0 = 0):

    .. math::

        \\mathrm{JSD}(p, q) = \\sqrt{\\tfrac12 \\mathrm{KL}(p\\|m) + \\tfrac12 \\mathrm{KL}(q\\|m)},\\qquad
        \\text{alignment} = 1 - \\mathrm{JSD}(p, q) \\in [0, 1]

    (GlobalOpinionQA's similarity, Durmus et al. 2023, Sec. 2.2). Equal to
    ``1 - scipy.spatial.distance.jensenshannon(p, q, base=2)``.

    Examples
    --------
    >>> float(js_alignment(np.array([1, 0.]), np.array([0, 1.])))
    0.0
    >>> round(float(js_alignment(np.array([0.5, 0.5]), np.array([1.0, 0.0]))), 6)
    0.442077
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a > 0, a * np.log2(a / m), 0.0).sum(axis=-1)

    jsd = np.sqrt(np.clip(0.5 * kl(p) + 0.5 * kl(q), 0.0, None))
    return 1.0 - jsd


def distribution_alignment(model_counts: np.ndarray, human_counts: np.ndarray, *, min_model_samples: int = 2,
                           min_human_ratings: int = 1) -> dict[str, Any]:
    """Per-item and averaged distribution alignment of model and human rating counts (I, K).

    Items with fewer than ``min_model_samples`` model ratings or ``min_human_ratings`` human ratings are left
    out. Returns ``wasserstein``, ``js`` (means over the kept items, NaN if none), ``n_items`` and the per-item
    arrays ``item_wasserstein``, ``item_js`` (NaN for left-out items).

    Notes
    -----
    :math:`\\bar A = \\frac{1}{|I'|}\\sum_{i\\in I'} A(\\hat p^M_i, \\hat p^H_i)` with :math:`\\hat p_i` the
    empirical distribution of item *i*'s ratings and *A* one of :func:`wasserstein_alignment`,
    :func:`js_alignment`.
    """
    nm, nh = model_counts.sum(axis=1), human_counts.sum(axis=1)
    keep = (nm >= min_model_samples) & (nh >= min_human_ratings)
    iw = np.full(len(nm), np.nan)
    ij = np.full(len(nm), np.nan)
    if keep.any():
        p = model_counts[keep] / nm[keep, None]
        q = human_counts[keep] / nh[keep, None]
        iw[keep], ij[keep] = wasserstein_alignment(p, q), js_alignment(p, q)
    return {"wasserstein": float(np.nanmean(iw)) if keep.any() else np.nan,
            "js": float(np.nanmean(ij)) if keep.any() else np.nan, "n_items": int(keep.sum()),
            "item_wasserstein": iw, "item_js": ij}


# -- persona -> group ------------------------------------------------------------------------------------------

def parse_group_label(label: str, *, where: str = "") -> tuple[str, str]:
    """``"attribute=group"`` -> ``(attribute, group)``.

    >>> parse_group_label("sex=Female")
    ('sex', 'Female')
    """
    if not isinstance(label, str) or "=" not in label:
        raise InputError(f"{where}expected 'attribute=group' (e.g. 'sex=Female'), got {label!r}")
    attr, group = (s.strip() for s in label.split("=", 1))
    if not attr or not group:
        raise InputError(f"{where}expected 'attribute=group' with both parts, got {label!r}")
    return attr, group


def read_persona_map(path: str | Path) -> dict[str, tuple[str, str]]:
    """Read a persona map: persona label -> (attribute, group).

    Formats: JSON ``{"persona label": "attribute=group", ...}`` (or values ``{"attribute": .., "group": ..}``);
    CSV / JSON lines with columns ``persona, attribute, group``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"persona map {str(path)!r} not found; expected a JSON file {{persona: 'attribute=group'}} "
                         "or a CSV file with columns persona, attribute, group")
    try:
        if path.suffix.lower() == ".json":
            obj = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(obj, dict):
                raise InputError(f"persona map {str(path)!r}: expected a JSON object "
                                 '{"persona label": "attribute=group"}')
            out = {}
            for persona, v in obj.items():
                if isinstance(v, dict):
                    if not {"attribute", "group"} <= set(v):
                        raise InputError(f"persona map {str(path)!r}, persona {persona!r}: expected keys attribute, "
                                         f"group; got {sorted(v)}")
                    out[str(persona)] = (str(v["attribute"]), str(v["group"]))
                else:
                    out[str(persona)] = parse_group_label(v, where=f"persona map {str(path)!r}, persona {persona!r}: ")
            return out
        frame = (pd.read_json(path, lines=True, dtype=str) if path.suffix.lower() == ".jsonl"
                 else pd.read_csv(path, dtype=str, keep_default_na=False))
    except (ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"persona map {str(path)!r} could not be read: {exc}") from None
    missing = [c for c in ("persona", "attribute", "group") if c not in frame.columns]
    if missing:
        raise InputError(f"persona map {str(path)!r} lacks column(s) {missing}; expected persona, attribute, group")
    return {str(p): (str(a), str(g)) for p, a, g in zip(frame["persona"], frame["attribute"], frame["group"])}


def resolve_personas(personas: Sequence[str], persona_map: Mapping[str, Any] | None,
                     groups: Mapping[str, Sequence[str]], source: str = "the demographics") -> pd.DataFrame:
    """persona, attribute, group for each persona; labels ``attribute=group`` need no map.

    Parameters
    ----------
    groups : mapping attribute -> group labels
        The human groups available (from the demographics, or a norms table).
    source : str
        What ``groups`` came from, for messages.

    Raises
    ------
    InputError
        A persona with no group (not in the map and not ``attribute=group``), an unknown attribute, or an
        unknown group -- naming the available ones.
    """
    rows = []
    for persona in personas:
        if persona_map is not None and persona in persona_map:
            v = persona_map[persona]
            attr, group = parse_group_label(v, where=f"persona {persona!r}: ") if isinstance(v, str) else v
        elif isinstance(persona, str) and "=" in persona:
            attr, group = parse_group_label(persona)
        else:
            raise InputError(f"persona {persona!r} has no human group: label personas 'attribute=group' (e.g. "
                             f"'sex=Female') or map them with a persona map (--persona-map FILE)")
        if attr not in groups:
            raise InputError(f"persona {persona!r} names attribute {attr!r}, which {source} does not have; "
                             f"attributes: {', '.join(groups)}")
        if group not in groups[attr]:
            raise InputError(f"persona {persona!r}: no group {group!r} of {attr!r} in {source}; groups: "
                             f"{', '.join(f'{g!r}' for g in groups[attr])}")
        rows.append({"persona": persona, "attribute": attr, "group": group})
    return pd.DataFrame(rows, columns=["persona", "attribute", "group"])


# -- the whole comparison --------------------------------------------------------------------------------------

@dataclass
class DeviationReport:
    """Flat tables of one comparison (see :func:`compare_personas` for their columns)."""

    dimensions: pd.DataFrame
    agreement: pd.DataFrame
    gaps: pd.DataFrame
    bias: pd.DataFrame
    distributions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"dimensions": self.dimensions, "agreement": self.agreement, "gaps": self.gaps, "bias": self.bias,
                "distributions": self.distributions}


def _ci_scalar(boot: np.ndarray, ci: float) -> tuple[float, float]:
    lo, hi = percentile_ci(np.asarray(boot, dtype=float)[:, None], ci)
    return float(lo[0]), float(hi[0])


def _check_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("item_id", "persona", "rating") if c not in ratings.columns]
    if missing:
        raise InputError(f"the model ratings lack column(s) {missing}; expected a ratings table with columns model, "
                         "item_id, variant, persona, rating")
    if "model" in ratings.columns and ratings["model"].nunique() > 1:
        raise InputError(f"the ratings hold {ratings['model'].nunique()} models "
                         f"({', '.join(map(str, ratings['model'].unique()[:5]))}); compare one model at a time")
    r = ratings.dropna(subset=["persona"])
    if r.empty:
        raise InputError("no rating has a persona; run the model with personas (valueportrait run --personas FILE)")
    return r.assign(rating=pd.to_numeric(r["rating"], errors="coerce"))


def compare_personas(data, demo: Demographics, model_ratings: pd.DataFrame, *,
                     persona_map: Mapping[str, Any] | None = None, selection: pd.DataFrame | None = None,
                     n_boot: int = 1000, n_perm: int = 1000, ci: float = 0.95, seed: int = 0,
                     min_raters: int = MIN_RATERS, min_model_samples: int = 2) -> DeviationReport:
    """Compare a model's persona portraits with the real groups' portraits.

    Parameters
    ----------
    data : ValuePortraitData
    demo : Demographics
    model_ratings : DataFrame
        A ratings table of one model (``item_id, persona, rating``; ``model``, ``variant`` optional).
        Rows without a persona are ignored.
    persona_map : mapping persona -> "attribute=group" or (attribute, group), optional
        Needed for personas not labelled ``attribute=group``.
    selection : DataFrame, optional
        Default ``data.selection()``.
    n_boot, n_perm, ci, seed
        Bootstrap replicates, permutations, interval level and seed.
    min_raters : int
        Groups with fewer raters get NaN statistics and a ``note`` (a documented null).
    min_model_samples : int
        Items need this many model ratings to enter the distribution alignment.

    Returns
    -------
    DeviationReport
        ``dimensions``: attribute, group, persona, family, dimension, n_raters, model_score, model_ci_low,
        model_ci_high, human_score, human_ci_low, human_ci_high, deviation, deviation_ci_low, deviation_ci_high,
        note. ``agreement``: attribute, group, persona, family, n_dims, pearson, spearman, rmse, mad (+ ``_ci_low``
        / ``_ci_high`` each), note. ``gaps``: attribute, group_a, group_b, family, dimension, model_gap (+CI),
        human_gap (+CI), p_value, sign_agree, amplification, note. ``bias``: attribute, family, n_pairs,
        bias_index (+CI), gap_rmse, sign_agreement, exaggeration, note. ``distributions``: attribute, group,
        persona, n_items, wasserstein, js, note.

    Notes
    -----
    One set of item-bootstrap weights is drawn per run and shared by all personas, so the model's gaps
    between personas are paired over the same item draws; each human group has its own rater bootstrap
    (seeded by attribute and group). Formulas: :func:`deviation_ci`, :func:`profile_agreement`,
    :func:`gap_comparison`, :func:`permutation_gap_pvalue`, :func:`bias_index`, :func:`distribution_alignment`.
    """
    selection = data.selection() if selection is None else selection
    ratings = _check_ratings(model_ratings)
    personas = list(dict.fromkeys(ratings["persona"].astype(str)))
    demo = check_participants(demo, data.participants["participant_id"].tolist())
    pmap = resolve_personas(personas, persona_map, {a: list(demo.groups(a)) for a in demo.attributes},
                            f"the demographics ({demo.source})")
    design = Design.from_selection(selection, data.items["item_id"].tolist())
    items = list(design.item_ids)
    model = _model_side(ratings, selection, design, n_boot, seed)
    all_raters = rater_matrix(data.human_ratings, items)

    # human side, per (attribute, group) that a persona names
    human: dict[tuple[str, str], dict[str, Any]] = {}
    for attr, group in dict.fromkeys(zip(pmap["attribute"], pmap["group"])):
        raters = all_raters.subset(demo.groups(attr)[group])
        n = raters.n_participants
        entry: dict[str, Any] = {"n": n, "raters": raters}
        if n < min_raters:
            entry["note"] = f"fewer than {min_raters} raters ({n}): too few for a group portrait; no statistics"
        else:
            entry["point"], entry["boot"] = group_portrait_replicates(raters, design, n_boot,
                                                                      group_seed(seed, attr, group))
            entry["counts"] = rating_distributions(
                np.repeat(np.array(items, dtype=object)[None, :], raters.ratings.shape[0], axis=0).ravel(), raters.ratings.ravel(),
                items)[0]
        human[(attr, group)] = entry
    settings = {"n_boot": n_boot, "n_perm": n_perm, "ci": ci, "seed": seed, "min_raters": min_raters,
                "min_model_samples": min_model_samples, "human": "raters"}
    return _assemble(pmap, model, human, design, n_boot=n_boot, n_perm=n_perm, ci=ci, seed=seed,
                     min_raters=min_raters, min_model_samples=min_model_samples, settings=settings)


def _model_side(ratings: pd.DataFrame, selection: pd.DataFrame, design: Design, n_boot: int, seed: int
                ) -> dict[str, Any]:
    """Portrait, replicates and rating counts per persona: :func:`valueportrait.scoring.bootstrap_portraits`, so
    the personas share one item bootstrap (the same draws as the metric's ``personas`` intervals)."""
    items = list(design.item_ids)
    by_persona = {str(p): r[r["item_id"].isin(items)] for p, r in ratings.groupby(ratings["persona"].astype(str),
                                                                                     sort=False)}
    counts = {p: rating_distributions(r["item_id"], r["rating"].to_numpy(float), items)[0]
              for p, r in by_persona.items()}
    measured = set(np.asarray(items, dtype=object)[design.measured])
    rated = {i for r in by_persona.values() for i in r.loc[r["rating"].notna(), "item_id"].astype(str)} & measured
    if not rated:
        raise InputError("none of the model's rated items is a selected item of the dataset; check the item ids "
                         "(expected '{portrait_id}-{option_id}', e.g. '1008-1')")
    portraits, boot = bootstrap_portraits({p: r[["item_id", "rating"]] for p, r in by_persona.items()}, selection,
                                          n_boot=n_boot, seed=seed)
    point = {p: portraits[p]["score"].to_numpy(dtype=float) for p in portraits}
    return {"point": point, "boot": boot, "counts": counts, "n_items": len(rated)}


def _assemble(pmap: pd.DataFrame, model: dict[str, Any], human: dict[tuple[str, str], dict[str, Any]],
              design: Design, *, n_boot: int, n_perm: int, ci: float, seed: int, min_raters: int,
              min_model_samples: int, settings: dict[str, Any]) -> DeviationReport:
    """All statistics from the model side and the human entries (point, boot[, raters, counts] or note)."""
    model_point, model_boot, model_counts = model["point"], model["boot"], model["counts"]
    dims_f = np.array([f for f, _ in DIMENSIONS])
    D = len(DIMENSIONS)
    nan = np.full(D, np.nan)

    dim_rows, agr_rows, dist_rows = [], [], []
    for persona, attr, group in pmap.itertuples(index=False):
        h = human[(attr, group)]
        base = {"attribute": attr, "group": group, "persona": persona}
        mp, mb = model_point[persona], model_boot[persona]
        mlo, mhi = percentile_ci(mb, ci) if n_boot > 0 else (nan, nan)
        if "note" in h:
            hp = hlo = hhi = delta = dlo = dhi = nan
            note = h["note"]
        else:
            hp = h["point"]
            hlo, hhi = percentile_ci(h["boot"], ci) if n_boot > 0 else (nan, nan)
            delta, dlo, dhi = deviation_ci(mp, mb, hp, h["boot"], ci) if n_boot > 0 else (mp - hp, nan, nan)
            note = None
        for k, (f, d) in enumerate(DIMENSIONS):
            dim_rows.append({**base, "family": f, "dimension": d, "n_raters": h["n"], "model_score": mp[k],
                             "model_ci_low": mlo[k], "model_ci_high": mhi[k], "human_score": hp[k],
                             "human_ci_low": hlo[k], "human_ci_high": hhi[k], "deviation": delta[k],
                             "deviation_ci_low": dlo[k], "deviation_ci_high": dhi[k],
                             "note": note or (None if np.isfinite(mp[k]) else "the model rated no item of this dimension")})
        for fam in PROFILE_FAMILIES:
            sel = dims_f == fam
            row = {**base, "family": fam}
            if note:
                row.update(n_dims=0, note=note)
            else:
                a = profile_agreement(mp[sel], hp[sel])
                row.update({k: a[k] for k in ("pearson", "spearman", "rmse", "mad")}, n_dims=a["n"], note=None)
                if n_boot > 0:
                    ab = profile_agreement(mb[:, sel], h["boot"][:, sel])
                    for k in ("pearson", "spearman", "rmse", "mad"):
                        row[f"{k}_ci_low"], row[f"{k}_ci_high"] = _ci_scalar(ab[k], ci)
            agr_rows.append(row)
        drow = {**base, "n_items": 0, "wasserstein": np.nan, "js": np.nan}
        if note:
            drow["note"] = note
        elif "counts" not in h:
            drow["note"] = "no item-level human ratings (group norms given as a table): no distribution alignment"
        else:
            da = distribution_alignment(model_counts[persona], h["counts"], min_model_samples=min_model_samples)
            drow.update(n_items=da["n_items"], wasserstein=da["wasserstein"], js=da["js"],
                        note=None if da["n_items"] else
                        f"no item has {min_model_samples}+ model ratings; sample several ratings per item "
                        "(variants or repeated samples) for distribution alignment")
        dist_rows.append(drow)

    # gaps between the groups of each attribute (pairs of personas naming different groups)
    gap_rows, bias_rows = [], []
    for attr, sub in pmap.groupby("attribute", sort=False):
        pairs = list(itertools.combinations(sub.itertuples(index=False), 2))
        pairs = [(a, b) for a, b in pairs if a.group != b.group]
        pair_gm, pair_gh, pair_gm_b, pair_gh_b = [], [], [], []
        for a, b in pairs:
            ha, hb = human[(attr, a.group)], human[(attr, b.group)]
            base = {"attribute": attr, "group_a": a.group, "group_b": b.group, "persona_a": a.persona,
                    "persona_b": b.persona}
            gm = model_point[a.persona] - model_point[b.persona]
            gm_b = model_boot[a.persona] - model_boot[b.persona]
            gmlo, gmhi = percentile_ci(gm_b, ci) if n_boot > 0 else (nan, nan)
            if "note" in ha or "note" in hb:
                note = ha.get("note") or hb.get("note")
                gh = ghlo = ghhi = pv = nan
                cmp = gap_comparison(gm, nan)
            else:
                note = None
                gh_b = ha["boot"] - hb["boot"]
                ghlo, ghhi = percentile_ci(gh_b, ci) if n_boot > 0 else (nan, nan)
                if "raters" in ha and "raters" in hb:
                    pooled = np.concatenate([ha["raters"].ratings, hb["raters"].ratings])
                    in_a = np.r_[np.ones(len(ha["raters"].ratings), bool), np.zeros(len(hb["raters"].ratings), bool)]
                    strata = np.concatenate([ha["raters"].strata, hb["raters"].strata])
                    gh, pv = permutation_gap_pvalue(pooled, in_a, strata, design, n_perm,
                                                    group_seed(seed, attr, a.group, b.group, "perm"))
                else:  # norms table: no raters to permute
                    gh, pv = ha["point"] - hb["point"], nan
                cmp = gap_comparison(gm, gh)
                pair_gm.append(gm), pair_gh.append(gh), pair_gm_b.append(gm_b), pair_gh_b.append(gh_b)
            for k, (f, d) in enumerate(DIMENSIONS):
                gap_rows.append({**base, "family": f, "dimension": d, "model_gap": gm[k], "model_gap_ci_low": gmlo[k],
                                 "model_gap_ci_high": gmhi[k], "human_gap": gh[k], "human_gap_ci_low": ghlo[k],
                                 "human_gap_ci_high": ghhi[k], "p_value": pv[k], "sign_agree": cmp["sign_agree"][k],
                                 "amplification": cmp["amplification"][k], "note": note})
        for fam in PROFILE_FAMILIES:
            sel = dims_f == fam
            row = {"attribute": attr, "family": fam, "n_pairs": len(pair_gm)}
            if not pair_gm:
                row["note"] = ("needs personas of two or more groups of this attribute, each with "
                               + (f"{min_raters}+ raters" if min_raters else "a human group portrait"))
            else:
                bi = bias_index(np.array(pair_gm)[:, sel], np.array(pair_gh)[:, sel])
                row.update(bi, note=None)
                if n_boot > 0:
                    bb = bias_index(np.stack(pair_gm_b, axis=1)[:, :, sel], np.stack(pair_gh_b, axis=1)[:, :, sel])
                    row["bias_index_ci_low"], row["bias_index_ci_high"] = _ci_scalar(bb["bias_index"], ci)
            bias_rows.append(row)

    def frame(rows: list[dict], cols: list[str]) -> pd.DataFrame:
        df = pd.DataFrame(rows).reindex(columns=cols)
        for c in cols:
            if c in ("attribute", "group", "persona", "family", "dimension", "group_a", "group_b", "persona_a",
                     "persona_b", "note"):
                df[c] = df[c].astype("str")
        return df

    stats4 = ["pearson", "spearman", "rmse", "mad"]
    report = DeviationReport(
        dimensions=frame(dim_rows, ["attribute", "group", "persona", "family", "dimension", "n_raters", "model_score",
                                    "model_ci_low", "model_ci_high", "human_score", "human_ci_low", "human_ci_high",
                                    "deviation", "deviation_ci_low", "deviation_ci_high", "note"]),
        agreement=frame(agr_rows, ["attribute", "group", "persona", "family", "n_dims", *stats4,
                                   *(f"{s}_ci_{e}" for s in stats4 for e in ("low", "high")), "note"]),
        gaps=frame(gap_rows, ["attribute", "group_a", "group_b", "persona_a", "persona_b", "family", "dimension",
                              "model_gap", "model_gap_ci_low", "model_gap_ci_high", "human_gap", "human_gap_ci_low",
                              "human_gap_ci_high", "p_value", "sign_agree", "amplification", "note"]),
        bias=frame(bias_rows, ["attribute", "family", "n_pairs", "bias_index", "bias_index_ci_low",
                               "bias_index_ci_high", "gap_rmse", "sign_agreement", "exaggeration", "note"]),
        distributions=frame(dist_rows, ["attribute", "group", "persona", "n_items", "wasserstein", "js", "note"]),
        settings={**settings, "families": list(PROFILE_FAMILIES),
                  "dimensions": [f"{f}/{d}" for f, d in DIMENSIONS], "n_items_model": model["n_items"]},
    )
    return report


def compare_with_norms(model_ratings: pd.DataFrame, norms: pd.DataFrame, selection: pd.DataFrame, *,
                       persona_map: Mapping[str, Any] | None = None, items: Sequence[str] | None = None,
                       n_boot: int = 1000, ci: float = 0.95, norms_ci: float = 0.95, seed: int = 0,
                       min_raters: int | None = None) -> DeviationReport:
    r"""Compare a model's personas with group norms given as a table (e.g. published norms, or the dataset's
    ``human_group_norms`` config) instead of the raters themselves.

    Parameters
    ----------
    model_ratings : DataFrame
        Ratings table of one model with a ``persona`` column.
    norms : DataFrame
        ``attribute, group, family, dimension, score`` and optionally ``score_ci_low, score_ci_high`` (at
        level ``norms_ci``), ``n_raters``, ``note`` -- the schema of
        :func:`valueportrait.demographics.human_group_norms`.
    selection : DataFrame
        ``item_id, family, dimension, key``: the selection the norms were scored with.
    items : sequence of str, optional
        Item order (default: the selection's items).
    min_raters : int, optional
        With an ``n_raters`` column: groups with fewer raters are a documented null (a ``note``), as in
        :func:`compare_personas`. Default: no check.

    Returns
    -------
    DeviationReport
        As :func:`compare_personas`, except: no permutation p-values (``p_value`` NaN) and no distribution
        alignment (no item-level human ratings); notes say so.

    Notes
    -----
    Without raters, the human score's sampling distribution is approximated as normal with
    :math:`\sigma_d = (\text{hi}_d - \text{lo}_d) / (2 z)`, :math:`z = \Phi^{-1}(1 - (1-\text{norms\_ci})/2)`,
    independently per dimension: replicate *b* is :math:`s^H_d + \sigma_d \varepsilon_{bd}`,
    :math:`\varepsilon \sim N(0, 1)`. Without CI columns the human scores are taken as exact
    (:math:`\sigma_d = 0`). A group whose scores are all missing is a documented null (its ``note``).
    """
    from scipy.stats import norm as normal

    missing = [c for c in NORMS_REQUIRED if c not in norms.columns]
    if missing:
        raise InputError(f"the norms table lacks column(s) {missing}; expected {', '.join(NORMS_REQUIRED)}"
                         "[, score_ci_low, score_ci_high] (the human_group_norms schema; read_norms() checks a file)")
    ratings = _check_ratings(model_ratings)
    personas = list(dict.fromkeys(ratings["persona"].astype(str)))
    available = {a: list(dict.fromkeys(g["group"].astype(str))) for a, g in norms.groupby("attribute", sort=False)}
    pmap = resolve_personas(personas, persona_map, available, "the norms table")
    design = Design.from_selection(selection, list(items) if items is not None else None)
    model = _model_side(ratings, selection, design, n_boot, seed)
    z = normal.ppf(1 - (1 - norms_ci) / 2)
    has_ci = {"score_ci_low", "score_ci_high"} <= set(norms.columns)
    human: dict[tuple[str, str], dict[str, Any]] = {}
    for attr, group in dict.fromkeys(zip(pmap["attribute"], pmap["group"])):
        g = norms[(norms["attribute"] == attr) & (norms["group"].astype(str) == group)]
        g = g.set_index(["family", "dimension"]).reindex(list(DIMENSIONS))
        n = int(g["n_raters"].max()) if "n_raters" in g and g["n_raters"].notna().any() else 0
        point = g["score"].to_numpy(dtype=float)
        if min_raters is not None and "n_raters" in g and g["n_raters"].notna().any() and n < min_raters:
            human[(attr, group)] = {"n": n, "note": f"fewer than {min_raters} raters ({n}): too few for a group "
                                                    "portrait; no statistics"}
            continue
        if np.isnan(point).all():
            given = g["note"].dropna() if "note" in g else pd.Series(dtype=str)
            human[(attr, group)] = {"n": n, "note": given.iloc[0] if len(given) else
                                    "the norms table has no score for this group"}
            continue
        sd = ((g["score_ci_high"] - g["score_ci_low"]).to_numpy(dtype=float) / (2 * z) if has_ci
              else np.zeros(len(point)))
        rng = group_seed(seed, attr, group, "norms")
        boot = point + np.nan_to_num(sd) * rng.standard_normal((n_boot, len(point)))
        human[(attr, group)] = {"n": n, "point": point, "boot": boot}
    settings = {"n_boot": n_boot, "n_perm": 0, "ci": ci, "seed": seed, "min_raters": min_raters,
                "min_model_samples": None, "human": "norms table", "norms_ci": norms_ci if has_ci else None}
    return _assemble(pmap, model, human, design, n_boot=n_boot, n_perm=0, ci=ci, seed=seed,
                     min_raters=min_raters or 0,
                     min_model_samples=2, settings=settings)


# -- norms given by the user, and the JSON form of a report ----------------------------------------------------

#: Columns a norms table must have (the first five of the ``human_group_norms`` schema).
NORMS_REQUIRED: tuple[str, ...] = ("attribute", "group", "family", "dimension", "score")


#: ``read_csv`` options that read back the exact floats ``to_csv`` wrote: pandas 3.0's default parser can be
#: 1 ulp off; 3.1 reads them exactly by default and deprecates ``float_precision``.
_EXACT_CSV_FLOATS: dict[str, str] = (
    {} if tuple(int(p) for p in pd.__version__.split(".")[:2]) >= (3, 1) else {"float_precision": "round_trip"})


def read_norms(norms: str | Path | pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A group norms table (the ``human_group_norms`` schema) from a DataFrame, a list of records, or a file.

    Parameters
    ----------
    norms : DataFrame, list of dict, or path
        Records / rows with at least ``attribute, group, family, dimension, score`` (optionally
        ``score_ci_low, score_ci_high, n_raters, note``). Files: ``.csv``, ``.parquet``, ``.json`` (a list of
        records) or ``.jsonl``.

    Returns
    -------
    DataFrame
        With ``attribute`` and ``group`` as strings (a group label ``"1"`` stays ``"1"``).

    Raises
    ------
    InputError
        A missing file, an unreadable or unknown format, or missing columns (naming them).

    Examples
    --------
    >>> read_norms([{"attribute": "sex", "group": "Female", "family": "pvq", "dimension": "Power",
    ...              "score": -0.2}]).loc[0, "group"]
    'Female'
    """
    where = "the norms table"
    if isinstance(norms, pd.DataFrame):
        frame = norms.copy()
    elif isinstance(norms, (str, Path)):
        path = Path(norms)
        where = f"norms table {str(path)!r}"
        if not path.is_file():
            raise InputError(f"{where} not found; pass a .csv, .parquet, .json or .jsonl file with columns "
                             f"{', '.join(NORMS_REQUIRED)}")
        suffix = path.suffix.lower()
        str_cols = {"attribute": "str", "group": "str"}
        try:
            if suffix == ".parquet":
                frame = pd.read_parquet(path)
            elif suffix == ".csv":
                frame = pd.read_csv(path, dtype=str_cols, **_EXACT_CSV_FLOATS)
            elif suffix in (".json", ".jsonl"):
                frame = pd.read_json(path, lines=suffix == ".jsonl", dtype=str_cols)
            else:
                raise InputError(f"{where}: expected a .csv, .parquet, .json or .jsonl file")
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{where} could not be read: {exc}") from None
    elif isinstance(norms, Sequence) and all(isinstance(r, Mapping) for r in norms):
        frame = pd.DataFrame(list(norms))
    else:
        raise InputError(f"norms must be a DataFrame, a list of dicts or a file path, got {type(norms).__name__}")
    missing = [c for c in NORMS_REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{where} lacks column(s) {missing}; expected {', '.join(NORMS_REQUIRED)}"
                         "[, score_ci_low, score_ci_high, n_raters, note] (the human_group_norms schema)")
    for c in ("attribute", "group", "family", "dimension"):
        frame[c] = frame[c].astype("str")
    return frame


def _json_value(v: Any) -> Any:
    """A table cell as JSON: NaN / None -> None, numpy scalars -> Python numbers."""
    if v is None:
        return None
    if isinstance(v, (str, bool)):
        return v
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None if pd.isna(v) else v
    return None if np.isnan(f) else f


def _json_settings(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _json_settings(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_settings(v) for v in obj]
    return _json_value(obj)


#: Keys of each entry of :func:`report_to_dict`, in order (stable: the metric card documents them).
DIMENSION_KEYS: tuple[str, ...] = ("model_score", "model_ci_low", "model_ci_high", "human_score", "human_ci_low",
                                   "human_ci_high", "deviation", "deviation_ci_low", "deviation_ci_high", "note")
AGREEMENT_KEYS: tuple[str, ...] = ("n_dims", *(f"{s}{e}" for s in ("pearson", "spearman", "rmse", "mad")
                                               for e in ("", "_ci_low", "_ci_high")), "note")
GAP_KEYS: tuple[str, ...] = ("model_gap", "model_gap_ci_low", "model_gap_ci_high", "human_gap", "human_gap_ci_low",
                             "human_gap_ci_high", "p_value", "sign_agree", "amplification")
BIAS_KEYS: tuple[str, ...] = ("n_pairs", "bias_index", "bias_index_ci_low", "bias_index_ci_high", "gap_rmse",
                              "sign_agreement", "exaggeration", "note")
DISTRIBUTION_KEYS: tuple[str, ...] = ("n_items", "wasserstein", "js", "note")


def report_to_dict(report: DeviationReport) -> dict[str, Any]:
    """The report as nested, JSON-serialisable dicts keyed by attribute and group (NaN -> None).

    Returns
    -------
    dict
        ``{"human": "raters" | "norms table", "settings": {...}, "attributes": {attribute: {"groups": {group:
        {"persona", "n_raters", "note", "dimensions": {family: {dimension: {DIMENSION_KEYS}}}, "agreement":
        {family: {AGREEMENT_KEYS}}, "distribution": {DISTRIBUTION_KEYS}}}, "gaps": [{"group_a", "group_b",
        "persona_a", "persona_b", "note", "dimensions": {family: {dimension: {GAP_KEYS}}}}], "bias": {family:
        {BIAS_KEYS}}}}}``. A group's ``note`` is set when it has no human portrait (e.g. fewer than
        ``min_raters`` raters): its human values are then None.

    Raises
    ------
    InputError
        When two personas name the same group (the dict has one entry per group).
    """
    dup = report.agreement.drop_duplicates(["attribute", "group", "persona"])
    dup = dup[dup.duplicated(["attribute", "group"], keep=False)]
    if len(dup):
        a, g = dup.iloc[0][["attribute", "group"]]
        raise InputError(f"personas {sorted(dup.loc[(dup['attribute'] == a) & (dup['group'] == g), 'persona'])} all "
                         f"name the group {a}={g}; give one persona per group")

    def cells(row: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
        return {k: _json_value(row.get(k)) for k in keys}

    attributes: dict[str, Any] = {}
    for attr in dict.fromkeys(report.agreement["attribute"]):
        attributes[attr] = {"groups": {}, "gaps": [], "bias": {}}
    for r in report.agreement.to_dict("records"):
        g = attributes[r["attribute"]]["groups"].setdefault(r["group"], {
            "persona": r["persona"], "n_raters": None, "note": _json_value(r["note"]), "dimensions": {},
            "agreement": {}, "distribution": None})
        g["agreement"][r["family"]] = cells(r, AGREEMENT_KEYS)
    for r in report.dimensions.to_dict("records"):
        g = attributes[r["attribute"]]["groups"][r["group"]]
        g["n_raters"] = _json_value(r["n_raters"])
        g["dimensions"].setdefault(r["family"], {})[r["dimension"]] = cells(r, DIMENSION_KEYS)
    for r in report.distributions.to_dict("records"):
        attributes[r["attribute"]]["groups"][r["group"]]["distribution"] = cells(r, DISTRIBUTION_KEYS)
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in report.gaps.to_dict("records"):
        key = (r["attribute"], r["group_a"], r["group_b"])
        if key not in pairs:
            pairs[key] = {"group_a": r["group_a"], "group_b": r["group_b"], "persona_a": r["persona_a"],
                          "persona_b": r["persona_b"], "note": _json_value(r["note"]), "dimensions": {}}
            attributes[r["attribute"]]["gaps"].append(pairs[key])
        pairs[key]["dimensions"].setdefault(r["family"], {})[r["dimension"]] = cells(r, GAP_KEYS)
    for r in report.bias.to_dict("records"):
        attributes[r["attribute"]]["bias"][r["family"]] = cells(r, BIAS_KEYS)
    return {"human": report.settings.get("human"), "settings": _json_settings(report.settings),
            "attributes": attributes}


__all__ = [
    "DeviationReport", "bias_index", "compare_personas", "compare_with_norms", "deviation_ci", "distribution_alignment", "gap_comparison",
    "js_alignment", "parse_group_label", "permutation_gap_pvalue", "profile_agreement", "rating_distributions",
    "read_norms", "read_persona_map", "report_to_dict", "resolve_personas", "wasserstein_alignment",
]
