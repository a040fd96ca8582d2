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
  out-of-sample alpha, a flag where fewer than 3 items entered (:mod:`valueportrait.builders.reliability`), and
  alpha and item intercorrelations on the family-centred ratings the benchmark scores
  (:mod:`valueportrait.builders.centred`).

Beside them: each dimension's permutation test (``dimensions.<family>.<dimension>``: ``selected``,
``expected_false_positives``, ``null_mean``, ``null_p95``, ``permutation_p``, ``above_chance``;
:mod:`valueportrait.builders.permutation`), ``null``: every figure again on the survey with the questionnaire
scores shuffled within survey group (the figure chance alone gives), and ``held_out``: the cross-validated
convergent validity of the paper's threshold rule and of the correlation-weighted rule
(:mod:`valueportrait.builders.crossval`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from valueportrait.builders.centred import centred_alpha, item_intercorrelations
from valueportrait.builders.chance import null_pass_rates
from valueportrait.builders.crossval import (
    DEFAULT_FOLDS,
    RULES,
    crossval_convergent,
    design_of,
    rank_correlation_by_column,
)
from valueportrait.builders.halves import (
    SurveyBlocks,
    half_correlations,
    half_rows,
    random_halves,
    survey_blocks,
)
from valueportrait.builders.permutation import (
    ABOVE_CHANCE_P,
    DEFAULT_PERMUTATIONS,
    dimension_null,
    null_selection,
    permutations,
    shuffled_blocks,
)
from valueportrait.builders.reliability import POOLED_METHOD, pooled_omega, split_alpha

from valueportrait.io import json_safe
from valueportrait.scale import DIMENSIONS, FAMILIES
from valueportrait.scoring import score_matrix
from valueportrait.selection import (
    CORRELATION_COLUMNS,
    DEFAULT_ALPHA,
    DEFAULT_CORRECTION,
    DEFAULT_THRESHOLD,
    check_correction,
    select,
)

#: Random halves of the raters per build, and their seed.
DEFAULT_SPLITS = 20
DEFAULT_SEED = 0
#: Fewer items than this entering a dimension's reliability is flagged.
MIN_ITEMS = 3
#: Shuffles whose cross-validation gives the held-out null baseline (each costs a cross-validation).
CV_NULL_SHUFFLES = 2
CROSSVAL_METHOD = ("held-out convergent validity: Spearman r over raters between the score from the items' "
                   "correlations on the other 90% of their survey group (10 seeded folds within group) and the "
                   "questionnaire score, pooled over folds and groups; mean over the 19 dimensions")
_FAMILY_OF_DIM = np.array([f for f, _ in DIMENSIONS], dtype=object)


def _per_family(count_by_dim: np.ndarray, of_dim: np.ndarray = _FAMILY_OF_DIM) -> dict[str, float]:
    """Totals of a (..., 19) array over each family's dimensions (``of_dim``: each dimension's family), and
    ``total``."""
    out = {f: float(count_by_dim[..., of_dim == f].sum()) for f in dict.fromkeys(of_dim.tolist())}
    out["total"] = float(count_by_dim.sum())
    return out


def replication(key_sel: np.ndarray, rho_sel: np.ndarray, key_out: np.ndarray, rho_out: np.ndarray,
                rho_a: np.ndarray, rho_b: np.ndarray, of_dim: np.ndarray = _FAMILY_OF_DIM) -> dict:
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
        fam_rate = {f: float(kept[..., of_dim == f].sum() / n_sel[of_dim == f].sum())
                    for f in dict.fromkeys(of_dim.tolist())}
    ok = ~np.isnan(rho_a) & ~np.isnan(rho_b)
    r = [np.corrcoef(a[m], b[m])[0, 1] for a, b, m in zip(rho_a, rho_b, ok)]
    return {
        "rate": float(kept.sum() / sel.sum()) if sel.any() else None,
        "rate_by_family": fam_rate,
        "selected_per_half": {k: v / len(key_sel) for k, v in _per_family(n_sel, of_dim).items()},
        "mean_rho_selecting": float((key_sel * rho_sel)[sel].mean()) if sel.any() else None,
        "mean_rho_held_out": float((key_sel * rho_out)[sel].mean()) if sel.any() else None,
        "split_half_r": float(np.nanmean(r)),
    }


def rater_scores(blocks: SurveyBlocks, key: np.ndarray) -> np.ndarray:
    """(R, 19) each rater's item-based scores under the selection ``key`` (I, 19): the benchmark's scoring
    (:func:`valueportrait.scoring.score_matrix`) of their own ratings, one survey group at a time (a rater rated
    only their group's items). NaN for raters outside every block and dimensions their group has no item of."""
    out = np.full((len(blocks.strata), len(blocks.dimensions)), np.nan)
    for rows, cols in blocks.blocks:
        design = design_of(tuple(blocks.item_ids[c] for c in cols), key[cols], blocks.instrument)
        out[rows] = score_matrix(blocks.ratings[np.ix_(rows, cols)], design).score
    return out


def split_figures(blocks: SurveyBlocks, key: np.ndarray, rule: dict, n_splits: int, seed: int,
                  convergent: bool = True) -> dict:
    """The figures of one survey (real, or shuffled for a null baseline) under the selection ``key`` (I, 19):
    replication over ``n_splits`` seeded halves, convergent r (19,) full / in / out of sample, alpha (19,) full /
    in-half / out-of-sample, items entered, and the half-selections (``k_a``, ``k_b``, ``halves``). Without
    ``convergent`` (a survey build: it needs Value Portrait's scoring design) the convergent r are NaN."""
    of_dim = np.array([f for f, _ in blocks.dimensions], dtype=object)
    families = np.tile(of_dim, len(blocks.item_ids))
    in_a = random_halves(blocks, n_splits, seed)
    rho_a, p_a, rho_b, p_b = half_correlations(blocks, in_a)
    shape = rho_a.shape
    k_a = select(rho_a.reshape(n_splits, -1), p_a.reshape(n_splits, -1), families=families, **rule).reshape(shape)
    k_b = select(rho_b.reshape(n_splits, -1), p_b.reshape(n_splits, -1), families=families, **rule).reshape(shape)
    rep = replication(np.concatenate([k_a, k_b]), np.concatenate([rho_a, rho_b]), np.concatenate([k_b, k_a]),
                      np.concatenate([rho_b, rho_a]), rho_a, rho_b, of_dim)
    halves = [half_rows(r, in_a) for r, _ in blocks.blocks]
    everyone = np.concatenate([r for r, _ in blocks.blocks])
    nan = np.full(len(of_dim), np.nan)
    conv_full = rank_correlation_by_column(rater_scores(blocks, key)[everyone], blocks.values[everyone]) \
        if convergent else nan
    conv_in, conv_out = ([], []) if convergent else ([nan], [nan])
    for s in range(n_splits if convergent else 0):
        a_rows, b_rows = (np.concatenate([h[k][s] for h in halves]) for k in (0, 1))
        for k, sel_rows, out_rows in ((k_a[s], a_rows, b_rows), (k_b[s], b_rows, a_rows)):
            scores = rater_scores(blocks, k)
            conv_in.append(rank_correlation_by_column(scores[sel_rows], blocks.values[sel_rows]))
            conv_out.append(rank_correlation_by_column(scores[out_rows], blocks.values[out_rows]))
    alpha_full, entered = split_alpha(blocks, key[None], [r[None] for r, _ in blocks.blocks])
    alpha_out = np.concatenate([split_alpha(blocks, k_a, [h[1] for h in halves])[0],
                                split_alpha(blocks, k_b, [h[0] for h in halves])[0]])
    alpha_in = np.concatenate([split_alpha(blocks, k_a, [h[0] for h in halves])[0],
                               split_alpha(blocks, k_b, [h[1] for h in halves])[0]])
    with _quiet():
        return {"replication": rep, "conv_full": conv_full, "conv_in": np.nanmean(conv_in, axis=0),
                "conv_out": np.nanmean(conv_out, axis=0), "alpha": alpha_full[0], "entered": entered[0],
                "alpha_in": np.nanmean(alpha_in, axis=0), "alpha_out": np.nanmean(alpha_out, axis=0)}


def null_baselines(blocks: SurveyBlocks, perms: list[np.ndarray], null_keys: np.ndarray, rule: dict, n_splits: int,
                   seed: int, folds: int) -> dict:
    """The validity figures on the first ``len(null_keys)`` shuffles of :mod:`~valueportrait.builders.permutation`
    (each with its own full-sample selection and ``max(1, n_splits // shuffles)`` splits, so as many halves in
    all as the real figures): means over the shuffles, per dimension where the real figure is."""
    runs, cv = [], []
    per = max(1, n_splits // max(1, len(null_keys)))
    for s, key in enumerate(null_keys):
        shuffled = shuffled_blocks(blocks, perms, s)
        runs.append(split_figures(shuffled, key, rule, per, seed + 1 + s))
        if s < CV_NULL_SHUFFLES:
            cv.append(crossval_convergent(shuffled, rule, folds, seed + 1 + s))
    with _quiet():
        stack = {k: np.nanmean([r[k] for r in runs], axis=0) for k in ("conv_full", "conv_in", "conv_out", "alpha",
                                                                      "alpha_out")}
        rates = [r["replication"]["rate"] for r in runs if r["replication"]["rate"] is not None]
        return {**stack, "replication_rate": float(np.mean(rates)) if rates else None,
                "shuffles": len(null_keys), "splits_per_shuffle": per,
                "crossval": {r: float(np.nanmean([c[r]["mean"] for c in cv])) for r in RULES} if cv else {}}


def validity_report(human_ratings: pd.DataFrame, participants: pd.DataFrame, correlations: pd.DataFrame, *,
                    use: str = "published", threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                    mode: str = "pos", correction: str = DEFAULT_CORRECTION, n_splits: int = DEFAULT_SPLITS,
                    seed: int = DEFAULT_SEED, n_perm: int = DEFAULT_PERMUTATIONS, folds: int = DEFAULT_FOLDS) -> dict:
    """The ``validity`` entry of ``build_info``, for the selection rule (threshold, alpha, mode, correction) on
    the ``use`` columns of ``correlations`` (the dataset's config: item_id, family, dimension, n and the rho /
    p columns). ``n_perm`` shuffles of the questionnaire scores within survey group give each dimension's
    permutation test and the null baselines; ``folds`` the cross-validation of the two scoring rules
    (:mod:`~valueportrait.builders.crossval`). Deterministic for a given ``seed``; NaN becomes None in
    ``build_info.json``."""
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

    blocks = survey_blocks(human_ratings, participants, item_ids)
    real = split_figures(blocks, key, rule, n_splits, seed)
    perms = permutations(blocks, n_perm, seed + 1)
    counts, null_keys = null_selection(blocks, perms, rule)
    selected = (key != 0).sum(axis=0)
    chance = dimension_null(selected, counts)
    rates = null_pass_rates(correlations["n"].to_numpy(), correlations["family"].to_numpy(), seed=seed, **rule)
    efp_dim = np.bincount(cols, weights=rates, minlength=len(DIMENSIONS))
    null = null_baselines(blocks, perms, null_keys, rule, n_splits, seed, folds) if n_perm else None
    cv = crossval_convergent(blocks, rule, folds, seed)
    omega = pooled_omega(blocks, key)
    alpha_centred = centred_alpha(blocks, key)
    groups = sum((np.abs(key[c]).sum(axis=0) >= 2).astype(int) for _, c in blocks.blocks)

    def cell(j: int) -> dict:
        return {"selected": int(selected[j]), "expected_false_positives": float(efp_dim[j]),
                "null_mean": float(chance["null_mean"][j]), "null_p95": float(chance["null_p95"][j]),
                "permutation_p": float(chance["permutation_p"][j]), "above_chance": chance["above_chance"][j],
                "items_entered": int(real["entered"][j]), "groups": int(groups[j]),
                "alpha": float(real["alpha"][j]), "alpha_centred": float(alpha_centred[j]), "omega": float(omega[j]),
                "alpha_in_half": float(real["alpha_in"][j]), "alpha_out_of_sample": float(real["alpha_out"][j]),
                "few_items": bool(real["entered"][j] < MIN_ITEMS),
                "convergent_full_sample": float(real["conv_full"][j]),
                "convergent_in_sample": float(real["conv_in"][j]),
                "convergent_out_of_sample": float(real["conv_out"][j]),
                "convergent_full_sample_null": None if null is None else float(null["conv_full"][j]),
                "convergent_held_out": {r: float(cv[r]["by_dimension"][j]) for r in RULES}}

    dims: dict[str, dict] = {}
    for j, (f, d) in enumerate(DIMENSIONS):
        dims.setdefault(f, {})[d] = cell(j)
    with _quiet():
        convergent = {name: float(np.nanmean(real[k])) for name, k in
                      (("full_sample", "conv_full"), ("in_sample", "conv_in"), ("out_of_sample", "conv_out"))}
        median = {name: float(np.nanmedian(real[k])) for name, k in
                  (("alpha", "alpha"), ("alpha_in_half", "alpha_in"), ("alpha_out_of_sample", "alpha_out"))}
        median.update(omega=float(np.nanmedian(omega)), alpha_centred=float(np.nanmedian(alpha_centred)))
        baseline = None if null is None else {
            "method": f"questionnaire scores shuffled among the raters of each survey group ({null['shuffles']} "
                      f"shuffles, {null['splits_per_shuffle']} splits each), selection and figures recomputed",
            "convergent": {name: float(np.nanmean(null[k])) for name, k in
                           (("full_sample", "conv_full"), ("in_sample", "conv_in"), ("out_of_sample", "conv_out"))},
            "replication_rate": null["replication_rate"],
            "alpha_median": float(np.nanmedian(null["alpha"])),
            "alpha_out_of_sample_median": float(np.nanmedian(null["alpha_out"])),
            "held_out": null["crossval"]}
    above = [j for j in range(len(DIMENSIONS)) if chance["above_chance"][j]]
    return json_safe({
        "rule": {**rule, "correlations": use},
        "n_splits": n_splits,
        "seed": seed,
        "n_perm": n_perm,
        "pairs": _per_family(np.ones_like(key).sum(axis=0)),
        "selected": _per_family(selected),
        "expected_false_positives": {**{f: float(rates[correlations["family"].to_numpy() == f].sum()) for f in FAMILIES},
                                     "total": float(rates.sum())},
        "above_chance": {"count": len(above), "of": len(DIMENSIONS), "p_below": ABOVE_CHANCE_P,
                         "not_above": [f"{f}/{d}" for j, (f, d) in enumerate(DIMENSIONS) if j not in above]
                         if n_perm else None},
        "replication": real["replication"],
        "convergent": convergent,
        "held_out": {"folds": folds, "seed": seed, "method": CROSSVAL_METHOD,
                     **{r: {k: v for k, v in cv[r].items() if k != "by_dimension"} for r in RULES}},
        "null": baseline,
        "reliability": {"method": POOLED_METHOD, "min_items": MIN_ITEMS, "median": median,
                        "few_items": [f"{f}/{d}" for j, (f, d) in enumerate(DIMENSIONS) if real["entered"][j] < MIN_ITEMS],
                        "item_intercorrelations": item_intercorrelations(blocks, key)},
        "dimensions": dims,
    })


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's 'mean of empty slice' where a dimension has no estimate (NaN is the answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
