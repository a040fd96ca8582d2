"""How far the benchmark can be trusted: the ``validity`` entry of every build's ``build_info.json``.

Four checks of the item selection on the survey itself (``docs/validity.md`` explains them in plain words):

* ``expected_false_positives``: how many item x dimension pairs would pass the selection rule if no item were
  associated with any dimension, per family and in total, beside how many did pass;
* ``replication``: over ``n_splits`` seeded random splits of the raters into halves within survey group
  (:mod:`valueportrait.builders.halves`), select on one half and test on the other (both ways round);
* ``convergent``: the Spearman correlation, over raters, of a rater's item-based score (the benchmark's scoring of
  their own ratings, :func:`valueportrait.scoring.score_matrix`) with their questionnaire score, with the build's
  selection (full sample), selected on the same half (in-sample) and on the other half (out-of-sample);
* ``reliability``: alpha and McDonald's omega per dimension pooled over survey groups, items entered,
  out-of-sample alpha, a flag where fewer than 3 items entered (:mod:`valueportrait.builders.reliability`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import special

from valueportrait.builders.halves import SurveyBlocks, half_correlations, half_rows, random_halves, survey_blocks
from valueportrait.builders.reliability import POOLED_METHOD, pooled_omega, split_alpha
from valueportrait.io import json_safe
from valueportrait.scale import DIMENSIONS, FAMILIES
from valueportrait.scoring import score_matrix
from valueportrait.scoring.design import FAMILY_INDEX, Design
from valueportrait.selection import (CORRELATION_COLUMNS, DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_THRESHOLD,
                                     adjust_p, check_correction, select)
from valueportrait.spearman import rank_columns

#: Random halves of the raters per build, and their seed.
DEFAULT_SPLITS = 20
DEFAULT_SEED = 0
#: Draws of the complete null for the expected false positives under ``fdr_bh`` (no closed form).
NULL_DRAWS = 100
#: Fewer items than this entering a dimension's reliability is flagged.
MIN_ITEMS = 3
_FAMILY_OF_DIM = np.array([f for f, _ in DIMENSIONS], dtype=object)


def null_pass_probability(n: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                          mode: str = "pos") -> np.ndarray:
    """Probability that a pair with ``n`` raters and no association passes ``rho > threshold`` and ``p < alpha``.

    The null distribution of Spearman's rho is the one the p-values assume (:mod:`valueportrait.spearman`):
    :math:`t = \\rho\\sqrt{(n-2)/(1-\\rho^2)}` follows Student's t with :math:`n-2` degrees of freedom. Both
    conditions hold when :math:`\\rho > c = \\max(\\text{threshold}, \\rho_\\alpha)`, :math:`\\rho_\\alpha` the
    rho at which ``p = alpha``; so the probability is :math:`P(T > t(c))`, twice that in mode ``abs``.

    >>> round(float(null_pass_probability(np.array([46]))[0]), 4)
    0.0214
    """
    dof = np.asarray(n, dtype=float) - 2
    t_alpha = special.stdtrit(dof, 1.0 - alpha / 2)
    c = np.maximum(threshold, t_alpha / np.sqrt(t_alpha ** 2 + dof))
    with np.errstate(divide="ignore"):
        prob = special.stdtr(dof, -c * np.sqrt(dof / ((1.0 - c) * (1.0 + c))))
    return prob * (2.0 if mode == "abs" else 1.0)


def expected_false_positives(n: np.ndarray, families: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD,
                             alpha: float = DEFAULT_ALPHA, mode: str = "pos", correction: str = DEFAULT_CORRECTION,
                             seed: int = DEFAULT_SEED) -> dict[str, float]:
    """Expected number of pairs passing the rule with no association at all, per family and ``total``.

    ``n`` (pairs,) raters of each pair, ``families`` (pairs,) its family. ``none``: the sum of
    :func:`null_pass_probability`; ``bonferroni``: the same at ``alpha / m`` (m the family's tests); ``fdr_bh``:
    the mean count over :data:`NULL_DRAWS` seeded draws of independent uniform p-values, each with a random sign
    and its rho at the pair's n, through the same :func:`~valueportrait.selection.select`.
    """
    check_correction(correction)
    n, families = np.asarray(n, dtype=float), np.asarray(families)
    out: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    for family in FAMILIES:
        m = families == family
        if correction == "fdr_bh":
            p = rng.random((NULL_DRAWS, int(m.sum())))
            sign = np.where(rng.random(p.shape) < 0.5, -1.0, 1.0)
            cand = adjust_p(p, correction="fdr_bh") < alpha  # only these can pass: their rho from their p
            dof = np.broadcast_to(n[m] - 2, p.shape)[cand]
            t = special.stdtrit(dof, 1.0 - p[cand] / 2)
            rho = np.zeros(p.shape)
            rho[cand] = sign[cand] * t / np.sqrt(t * t + dof)
            key = select(rho, p, threshold=threshold, alpha=alpha, mode=mode, correction="fdr_bh")
            out[family] = float((key != 0).sum(axis=1).mean())
        else:
            level = alpha / m.sum() if correction == "bonferroni" else alpha
            out[family] = float(null_pass_probability(n[m], threshold=threshold, alpha=level, mode=mode).sum())
    out["total"] = sum(out.values())
    return out


def _per_family(count_by_dim: np.ndarray) -> dict[str, float]:
    """Totals of a (..., 19) array over each family's dimensions, and ``total``."""
    out = {f: float(count_by_dim[..., _FAMILY_OF_DIM == f].sum()) for f in FAMILIES}
    out["total"] = float(count_by_dim.sum())
    return out


def replication(key_sel: np.ndarray, rho_sel: np.ndarray, key_out: np.ndarray, rho_out: np.ndarray,
                rho_a: np.ndarray, rho_b: np.ndarray) -> dict:
    """Replication of the selection across halves.

    ``key_sel``/``rho_sel`` (S, I, 19): keys and rho on the selecting half of S (split, direction) samples;
    ``key_out``/``rho_out`` the same on the held-out half; ``rho_a``/``rho_b`` (splits, I, 19) the two halves.

    ``rate``: share of the pairs selected on one half that the same rule selects (same key) on the other,
    pooled over samples; ``mean_rho_selecting`` / ``mean_rho_held_out``: mean keyed rho of those pairs on each
    half; ``split_half_r``: Pearson correlation of the two halves' rho over all pairs, mean over splits.
    """
    sel = key_sel != 0
    kept = sel & (key_out == key_sel)
    n_sel = sel.sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        fam_rate = {f: float(kept[..., _FAMILY_OF_DIM == f].sum() / n_sel[_FAMILY_OF_DIM == f].sum())
                    for f in FAMILIES}
    ok = ~np.isnan(rho_a) & ~np.isnan(rho_b)
    r = [np.corrcoef(a[m], b[m])[0, 1] for a, b, m in zip(rho_a, rho_b, ok)]
    return {
        "rate": float(kept.sum() / sel.sum()) if sel.any() else None,
        "rate_by_family": fam_rate,
        "selected_per_half": {k: v / len(key_sel) for k, v in _per_family(n_sel).items()},
        "mean_rho_selecting": float((key_sel * rho_sel)[sel].mean()) if sel.any() else None,
        "mean_rho_held_out": float((key_sel * rho_out)[sel].mean()) if sel.any() else None,
        "split_half_r": float(np.nanmean(r)),
    }


def rank_correlation_by_column(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each column of ``x`` (n, D) with the same column of ``y``, over the rows where
    both are finite (NaN with fewer than 3 such rows or a constant column).

    Rows left out are set to +inf before ranking, so they rank after every kept row and leave the kept rows'
    average ranks as those of the kept rows alone; the Pearson correlation of the ranks is then taken over the
    kept rows (checked against ``scipy.stats.spearmanr`` in the tests).
    """
    keep = np.isfinite(x) & np.isfinite(y)
    rx = rank_columns(np.where(keep, x, np.inf))
    ry = rank_columns(np.where(keep, y, np.inf))
    m = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (m + 1) / 2.0  # ranks 1..m of the kept rows
        dx, dy = np.where(keep, rx - mean, 0.0), np.where(keep, ry - mean, 0.0)
        r = (dx * dy).sum(axis=0) / np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    return np.where(m >= 3, r, np.nan)


def design_of(item_ids: tuple[str, ...], key: np.ndarray) -> Design:
    """The :class:`Design` of an (I, 19) key matrix over ``item_ids``."""
    member = key != 0
    valid = np.stack([member[:, FAMILY_INDEX == f].any(axis=1) for f in range(len(FAMILIES))], axis=1)
    return Design(item_ids, key.astype(float), valid.astype(float))


def rater_scores(blocks: SurveyBlocks, key: np.ndarray) -> np.ndarray:
    """(R, 19) each rater's item-based scores under the selection ``key`` (I, 19): the benchmark's scoring
    (:func:`valueportrait.scoring.score_matrix`) of their own ratings, one survey group at a time (a rater rated
    only their group's items). NaN for raters outside every block and dimensions their group has no item of."""
    out = np.full((len(blocks.strata), len(DIMENSIONS)), np.nan)
    for rows, cols in blocks.blocks:
        design = design_of(tuple(blocks.item_ids[c] for c in cols), key[cols])
        out[rows] = score_matrix(blocks.ratings[np.ix_(rows, cols)], design).score
    return out


def validity_report(human_ratings: pd.DataFrame, participants: pd.DataFrame, correlations: pd.DataFrame, *,
                    use: str = "published", threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                    mode: str = "pos", correction: str = DEFAULT_CORRECTION, n_splits: int = DEFAULT_SPLITS,
                    seed: int = DEFAULT_SEED) -> dict:
    """The ``validity`` entry of ``build_info``, for the selection rule (threshold, alpha, mode, correction) on
    the ``use`` columns of ``correlations`` (the dataset's config: item_id, family, dimension, n and the rho /
    p columns). Deterministic for a given ``seed``; NaN becomes None in ``build_info.json``."""
    check_correction(correction)
    rule = {"threshold": threshold, "alpha": alpha, "mode": mode, "correction": correction}
    item_ids = tuple(pd.unique(correlations["item_id"].astype(str)))
    rows = pd.Index(item_ids).get_indexer(correlations["item_id"].astype(str))
    cols = pd.MultiIndex.from_tuples(DIMENSIONS).get_indexer(pd.MultiIndex.from_arrays(
        [correlations["family"].astype(str), correlations["dimension"].astype(str)]))
    rho_col, p_col = CORRELATION_COLUMNS[use]
    key_flat = select(correlations[rho_col].to_numpy(), correlations[p_col].to_numpy(),
                      families=correlations["family"].to_numpy(), **rule)
    key = np.zeros((len(item_ids), len(DIMENSIONS)))
    key[rows, cols] = key_flat
    families = np.tile(_FAMILY_OF_DIM, len(item_ids))

    blocks = survey_blocks(human_ratings, participants, item_ids)
    in_a = random_halves(blocks, n_splits, seed)
    rho_a, p_a, rho_b, p_b = half_correlations(blocks, in_a)
    shape = rho_a.shape
    k_a = select(rho_a.reshape(n_splits, -1), p_a.reshape(n_splits, -1), families=families, **rule).reshape(shape)
    k_b = select(rho_b.reshape(n_splits, -1), p_b.reshape(n_splits, -1), families=families, **rule).reshape(shape)
    rep = replication(np.concatenate([k_a, k_b]), np.concatenate([rho_a, rho_b]), np.concatenate([k_b, k_a]),
                      np.concatenate([rho_b, rho_a]), rho_a, rho_b)

    halves = [half_rows(r, in_a) for r, _ in blocks.blocks]
    everyone = np.concatenate([r for r, _ in blocks.blocks])
    conv_full = rank_correlation_by_column(rater_scores(blocks, key)[everyone], blocks.values[everyone])
    conv_in, conv_out = [], []
    for s in range(n_splits):
        a_rows, b_rows = (np.concatenate([h[k][s] for h in halves]) for k in (0, 1))
        for k, sel_rows, out_rows in ((k_a[s], a_rows, b_rows), (k_b[s], b_rows, a_rows)):
            scores = rater_scores(blocks, k)
            conv_in.append(rank_correlation_by_column(scores[sel_rows], blocks.values[sel_rows]))
            conv_out.append(rank_correlation_by_column(scores[out_rows], blocks.values[out_rows]))
    with _quiet():
        conv_in, conv_out = np.nanmean(conv_in, axis=0), np.nanmean(conv_out, axis=0)

    alpha_full, entered = split_alpha(blocks, key[None], [r[None] for r, _ in blocks.blocks])
    alpha_out = np.concatenate([split_alpha(blocks, k_a, [h[1] for h in halves])[0],
                                split_alpha(blocks, k_b, [h[0] for h in halves])[0]])
    alpha_in = np.concatenate([split_alpha(blocks, k_a, [h[0] for h in halves])[0],
                               split_alpha(blocks, k_b, [h[1] for h in halves])[0]])
    omega = pooled_omega(blocks, key)
    groups = sum((np.abs(key[c]).sum(axis=0) >= 2).astype(int) for _, c in blocks.blocks)
    with np.errstate(invalid="ignore"), _quiet():
        alpha_out_mean, alpha_in_mean = np.nanmean(alpha_out, axis=0), np.nanmean(alpha_in, axis=0)
    dims = [{"family": f, "dimension": d, "items": int((key[:, j] != 0).sum()), "items_entered": int(entered[0, j]),
             "groups": int(groups[j]), "alpha": float(alpha_full[0, j]), "omega": float(omega[j]),
             "alpha_in_half": float(alpha_in_mean[j]), "alpha_out_of_sample": float(alpha_out_mean[j]),
             "few_items": bool(entered[0, j] < MIN_ITEMS),
             "convergent_full_sample": float(conv_full[j]), "convergent_in_sample": float(conv_in[j]),
             "convergent_out_of_sample": float(conv_out[j])} for j, (f, d) in enumerate(DIMENSIONS)]
    with _quiet():
        convergent_summary = {name: float(np.nanmean(v)) for name, v in
                              (("full_sample", conv_full), ("in_sample", conv_in), ("out_of_sample", conv_out))}
        median = {name: float(np.nanmedian([r[name] for r in dims]))
                  for name in ("alpha", "omega", "alpha_in_half", "alpha_out_of_sample")}
    return json_safe({
        "rule": {**rule, "correlations": use},
        "n_splits": n_splits,
        "seed": seed,
        "pairs": _per_family(np.ones_like(key).sum(axis=0)),
        "selected": _per_family((key != 0).sum(axis=0)),
        "expected_false_positives": expected_false_positives(correlations["n"].to_numpy(),
                                                             correlations["family"].to_numpy(), seed=seed, **rule),
        "replication": rep,
        "convergent": convergent_summary,
        "reliability": {"method": POOLED_METHOD, "min_items": MIN_ITEMS, "median": median,
                        "few_items": [f"{r['family']}/{r['dimension']}" for r in dims if r["few_items"]]},
        "dimensions": dims,
    })


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's 'mean of empty slice' where a dimension has no estimate (NaN is the answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
