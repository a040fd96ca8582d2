"""The validity report of a survey build: per dimension, how many item x dimension pairs the selection takes
against what chance would take, with the same nulls as the Value Portrait build.

* ``expected_false_positives``: each pair's probability of passing the rule with no association at all
  (:func:`valueportrait.builders.chance.null_pass_rates`, the t distribution of Spearman's rho at the pair's n);
* ``null_mean`` / ``null_p95`` / ``permutation_p`` / ``above_chance``: the questionnaire scores shuffled among the
  raters of each survey group (:mod:`valueportrait.builders.permutation`, 400 shuffles), the selection redone on
  each shuffle.

The cells are the agreed ``build_info["validity"]["dimensions"][family][dimension]`` record (issue 22), with the
alpha / omega of the dimension's items. The split-half replication and the reliability (Cronbach's alpha in
sample and out of sample, McDonald's omega) are :func:`valueportrait.builders.validity.split_figures`' over
20 seeded halves, each with its null baseline (the same figures on surveys with the questionnaires shuffled).
The convergent and held-out validity of the release's report score raters with the scoring core's Value
Portrait design and are not computed for a survey yet (the report says so).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from valueportrait.io import json_safe
from valueportrait.selection import select

from .chance import family_order, null_pass_rates
from .halves import survey_blocks
from .permutation import (ABOVE_CHANCE_P, DEFAULT_PERMUTATIONS, dimension_null, null_selection, permutations,
                          shuffled_blocks)
from .reliability import POOLED_METHOD, pooled_omega
from .validity import DEFAULT_SPLITS, MIN_ITEMS, split_figures

#: What the survey build's validity report leaves out, said wherever it is shown.
NOT_COMPUTED = ("convergent", "held_out")
#: Shuffled surveys whose replication and alpha are the null baselines (each costs N_SPLITS // this halves).
NULL_SHUFFLES = 4


def survey_validity(human_ratings: pd.DataFrame, participants: pd.DataFrame, correlations: pd.DataFrame,
                    dimensions: Sequence[tuple[str, str]], rule: dict, *, n_perm: int = DEFAULT_PERMUTATIONS,
                    seed: int = 0) -> dict:
    """The ``validity`` entry of a survey build's ``build_info``.

    ``correlations``: item_id, family, dimension, rho, p_value, n (the computed correlations, item-major in
    ``dimensions`` order); ``rule``: threshold, alpha, mode, correction. Deterministic for a given ``seed``.
    """
    dimensions = [tuple(d) for d in dimensions]
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
    blocks = survey_blocks(human_ratings, participants, item_ids, dimensions)
    perms = permutations(blocks, n_perm, seed + 1)
    counts, null_keys = null_selection(blocks, perms, rule, keep=min(NULL_SHUFFLES, n_perm))
    real = split_figures(blocks, key, rule, DEFAULT_SPLITS, seed, convergent=False)
    per = max(1, DEFAULT_SPLITS // max(1, len(null_keys)))
    nulls = [split_figures(shuffled_blocks(blocks, perms, k), nk, rule, per, seed + 1 + k, convergent=False)
             for k, nk in enumerate(null_keys)]
    omega = pooled_omega(blocks, key)
    chance = dimension_null(selected, counts)
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
            "alpha": float(real["alpha"][j]), "omega": float(omega[j]),
            "alpha_in_half": float(real["alpha_in"][j]), "alpha_out_of_sample": float(real["alpha_out"][j])}
    above = [j for j in range(len(dimensions)) if chance["above_chance"][j]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dimension with no estimate: NaN is the answer
        rates = [n["replication"]["rate"] for n in nulls if n["replication"]["rate"] is not None]
        null = {"method": f"questionnaire scores shuffled among the raters of each survey group ({len(nulls)} "
                          f"shuffles, {per} splits each), selection and figures recomputed",
                "replication_rate": float(np.mean(rates)) if rates else None,
                "alpha_median": float(np.nanmedian(np.nanmean([n["alpha"] for n in nulls], axis=0))) if nulls else None,
                "alpha_out_of_sample_median": float(np.nanmedian(np.nanmean([n["alpha_out"] for n in nulls], axis=0)))
                if nulls else None}
        reliability = {"method": POOLED_METHOD, "min_items": MIN_ITEMS,
                       "median": {"alpha": float(np.nanmedian(real["alpha"])), "omega": float(np.nanmedian(omega)),
                                  "alpha_in_half": float(np.nanmedian(real["alpha_in"])),
                                  "alpha_out_of_sample": float(np.nanmedian(real["alpha_out"]))},
                       "few_items": [f"{f}/{d}" for j, (f, d) in enumerate(dimensions) if real["entered"][j] < MIN_ITEMS]}
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
        "reliability": reliability,
        "null": null,
        "not_computed": list(NOT_COMPUTED),
        "dimensions": cells,
    })


__all__ = ["NOT_COMPUTED", "survey_validity"]
