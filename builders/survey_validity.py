"""The validity report of a survey build: per dimension, how many item x dimension pairs the selection takes
against what chance would take, with the same nulls as the Value Portrait build.

* ``expected_false_positives``: each pair's probability of passing the rule with no association at all
  (:func:`valueportrait.builders.chance.null_pass_rates`, the t distribution of Spearman's rho at the pair's n);
* ``null_mean`` / ``null_p95`` / ``permutation_p`` / ``above_chance``: the questionnaire scores shuffled among the
  raters of each survey group (:mod:`valueportrait.builders.permutation`, 400 shuffles), the selection redone on
  each shuffle.

The cells are the agreed ``build_info["validity"]["dimensions"][family][dimension]`` record (issue 22), with the
reliability and validity of the dimension's items. The split-half replication, the reliability (Cronbach's alpha
in sample and out of sample, McDonald's omega) and the convergent validity (a rater's score from the selected
items, scored with the instrument, against their questionnaire score: full sample, in and out of sample) are
:func:`valueportrait.builders.validity.split_figures`' over 20 seeded halves, and the held-out convergent
validity of both scoring rules :func:`valueportrait.builders.crossval.crossval_convergent`'s (10 folds); each
has its null baseline (the same figures on surveys with the questionnaires shuffled); the family-centred alpha and
item intercorrelations are :mod:`valueportrait.builders.centred`'s. The same figures as a Value Portrait build's
(:func:`valueportrait.builders.validity.validity_report`), over the instrument's dimensions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from valueportrait.io import json_safe
from valueportrait.selection import select

from .chance import family_order, null_pass_rates
from .centred import centred_alpha, item_intercorrelations
from .crossval import DEFAULT_FOLDS, RULES, crossval_convergent
from .halves import survey_blocks
from .permutation import (ABOVE_CHANCE_P, DEFAULT_PERMUTATIONS, dimension_null, null_selection, permutations,
                          shuffled_blocks)
from .reliability import POOLED_METHOD, pooled_omega
from .validity import CROSSVAL_METHOD, CV_NULL_SHUFFLES, DEFAULT_SPLITS, MIN_ITEMS, split_figures

#: Shuffled surveys whose figures are the null baselines (each with N_SPLITS // this halves).
NULL_SHUFFLES = 4
_CONV = (("full_sample", "conv_full"), ("in_sample", "conv_in"), ("out_of_sample", "conv_out"))


def survey_validity(human_ratings: pd.DataFrame, participants: pd.DataFrame, correlations: pd.DataFrame,
                    instrument, rule: dict, *, n_perm: int = DEFAULT_PERMUTATIONS, seed: int = 0) -> dict:
    """The ``validity`` entry of a survey build's ``build_info``.

    ``correlations``: item_id, family, dimension, rho, p_value, n (the computed correlations, item-major in the
    ``instrument``'s dimension order); ``rule``: threshold, alpha, mode, correction. Deterministic for a ``seed``.
    """
    dimensions = list(instrument.dimensions)
    rule = {k: rule[k] for k in ("threshold", "alpha", "mode", "correction")}
    item_ids = tuple(pd.unique(correlations["item_id"].astype(str)))
    rows = pd.Index(item_ids).get_indexer(correlations["item_id"].astype(str))
    cols = pd.MultiIndex.from_tuples(dimensions).get_indexer(pd.MultiIndex.from_arrays(
        [correlations["family"].astype(str), correlations["dimension"].astype(str)]))
    families = correlations["family"].to_numpy()
    key = np.zeros((len(item_ids), len(dimensions)))
    key[rows, cols] = select(correlations["rho"].to_numpy(), correlations["p_value"].to_numpy(), families=families,
                             **rule)
    selected = (key != 0).sum(axis=0)
    blocks = survey_blocks(human_ratings, participants, item_ids, instrument)
    perms = permutations(blocks, n_perm, seed + 1)
    counts, null_keys = null_selection(blocks, perms, rule, keep=min(NULL_SHUFFLES, n_perm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dimension with no estimate: NaN is the answer
        real = split_figures(blocks, key, rule, DEFAULT_SPLITS, seed)
        cv = crossval_convergent(blocks, rule, DEFAULT_FOLDS, seed)
        per = max(1, DEFAULT_SPLITS // max(1, len(null_keys)))
        shuffled = [shuffled_blocks(blocks, perms, k) for k in range(len(null_keys))]
        nulls = [split_figures(b, nk, rule, per, seed + 1 + k) for k, (b, nk) in enumerate(zip(shuffled, null_keys))]
        cv_null = [crossval_convergent(b, rule, DEFAULT_FOLDS, seed + 1 + k)
                   for k, b in enumerate(shuffled[:CV_NULL_SHUFFLES])]
        omega = pooled_omega(blocks, key)
        alpha_centred = centred_alpha(blocks, key)
        chance = dimension_null(selected, counts)
        stack = {k: np.nanmean([n[k] for n in nulls], axis=0) if nulls else np.full(len(dimensions), np.nan)
                 for k in ("alpha", "alpha_out", "conv_full", "conv_in", "conv_out")}
        rates = [n["replication"]["rate"] for n in nulls if n["replication"]["rate"] is not None]
        null = {"method": f"questionnaire scores shuffled among the raters of each survey group ({len(nulls)} "
                          f"shuffles, {per} splits each), selection and figures recomputed",
                "convergent": {name: float(np.nanmean(stack[k])) for name, k in _CONV},
                "replication_rate": float(np.mean(rates)) if rates else None,
                "alpha_median": float(np.nanmedian(stack["alpha"])),
                "alpha_out_of_sample_median": float(np.nanmedian(stack["alpha_out"])),
                "held_out": {r: float(np.nanmean([c[r]["mean"] for c in cv_null])) for r in RULES} if cv_null else {}}
        reliability = {"method": POOLED_METHOD, "min_items": MIN_ITEMS,
                       "median": {"alpha": float(np.nanmedian(real["alpha"])), "omega": float(np.nanmedian(omega)),
                                  "alpha_in_half": float(np.nanmedian(real["alpha_in"])),
                                  "alpha_out_of_sample": float(np.nanmedian(real["alpha_out"])),
                                  "alpha_centred": float(np.nanmedian(alpha_centred))},
                       "item_intercorrelations": item_intercorrelations(blocks, key),
                       "few_items": [f"{f}/{d}" for j, (f, d) in enumerate(dimensions) if real["entered"][j] < MIN_ITEMS]}
        convergent = {name: float(np.nanmean(real[k])) for name, k in _CONV}
    rates = null_pass_rates(correlations["n"].to_numpy(), families, seed=seed, **rule)
    efp = np.bincount(cols, weights=rates, minlength=len(dimensions))
    order = family_order(np.array([f for f, _ in dimensions], dtype=object))

    def per_family(by_dim: np.ndarray) -> dict[str, float]:
        out = {f: float(sum(by_dim[j] for j, (g, _) in enumerate(dimensions) if g == f)) for f in order}
        return {**out, "total": float(np.sum(by_dim))}

    cells: dict[str, dict] = {}
    for j, (f, d) in enumerate(dimensions):
        cells.setdefault(f, {})[d] = {
            "selected": int(selected[j]), "expected_false_positives": float(efp[j]),
            "null_mean": float(chance["null_mean"][j]), "null_p95": float(chance["null_p95"][j]),
            "permutation_p": float(chance["permutation_p"][j]), "above_chance": bool(chance["above_chance"][j]),
            "items_entered": int(real["entered"][j]), "few_items": bool(real["entered"][j] < MIN_ITEMS),
            "alpha": float(real["alpha"][j]), "alpha_centred": float(alpha_centred[j]), "omega": float(omega[j]),
            "alpha_in_half": float(real["alpha_in"][j]), "alpha_out_of_sample": float(real["alpha_out"][j]),
            "convergent_full_sample": float(real["conv_full"][j]), "convergent_in_sample": float(real["conv_in"][j]),
            "convergent_out_of_sample": float(real["conv_out"][j]),
            "convergent_full_sample_null": float(stack["conv_full"][j]),
            "convergent_held_out": {r: float(cv[r]["by_dimension"][j]) for r in RULES}}
    above = [j for j in range(len(dimensions)) if chance["above_chance"][j]]
    return json_safe({
        "rule": {**rule, "correlations": "computed"},
        "seed": seed,
        "n_perm": n_perm,
        "pairs": per_family(np.bincount(cols, minlength=len(dimensions)).astype(float)),
        "selected": per_family(selected.astype(float)),
        "expected_false_positives": per_family(efp),
        "above_chance": {"count": len(above), "of": len(dimensions), "p_below": ABOVE_CHANCE_P,
                         "not_above": [f"{f}/{d}" for j, (f, d) in enumerate(dimensions) if j not in above]},
        "n_splits": DEFAULT_SPLITS,
        "replication": real["replication"],
        "convergent": convergent,
        "held_out": {"folds": DEFAULT_FOLDS, "seed": seed, "method": CROSSVAL_METHOD.replace("the 19 ", "the "),
                     **{r: {k: v for k, v in cv[r].items() if k != "by_dimension"} for r in RULES}},
        "reliability": reliability,
        "null": null,
        "dimensions": cells,
    })


__all__ = ["survey_validity"]
