"""Summaries of one build, shared by the dataset card, ``valueportrait build`` and ``valueportrait info``.

Pure functions of a :class:`~valueportrait.dataset.ValuePortraitData` (or its ``build_info``) returning
DataFrames / plain rows; rendering them as Markdown or terminal text is left to the caller, with the two
small table formatters below.
"""

from __future__ import annotations


import pandas as pd

from valueportrait.dataset import ValuePortraitData
from valueportrait.scale import FAMILIES


def items_per_dimension(data: ValuePortraitData) -> pd.DataFrame:
    """family, dimension, items: how many items the build selected for each dimension (its
    instrument's order, :func:`family_dims`)."""
    sel = data.selection()
    counts = sel.groupby(["family", "dimension"]).size()
    rows = [{"family": f, "dimension": d, "items": int(counts.get((f, d), 0))}
            for f, dims in family_dims(data.build_info).items() for d in dims]
    return pd.DataFrame(rows)


def items_per_family(data: ValuePortraitData) -> pd.DataFrame:
    """family, pairs (selected item x dimension pairs), items (distinct items measuring at least one dimension)."""
    sel = data.selection()
    rows = [{"family": f, "pairs": int((sel["family"] == f).sum()),
             "items": int(sel.loc[sel["family"] == f, "item_id"].nunique())} for f in family_dims(data.build_info)]
    return pd.DataFrame(rows)


def cross_check_table(build_info: dict) -> pd.DataFrame | None:
    """family, pairs, equal (to the tolerance), max |d rho|, max |d p| from ``build_info['cross_check']``."""
    check = build_info.get("cross_check")
    if not check:
        return None
    return pd.DataFrame(
        [{"family": f["family"], "pairs": f["published_pairs"], "equal": f["equal_pairs"],
          "max_abs_diff_rho": f["max_abs_diff_rho"], "max_abs_diff_p": f["max_abs_diff_p"]} for f in check["families"]]
    )


def reliability_table(build_info: dict) -> pd.DataFrame | None:
    """The per-dimension reliability summary of ``build_info['reliability']`` (None values as NaN)."""
    rel = build_info.get("reliability")
    if not rel:
        return None
    return pd.DataFrame(rel["dimensions"]).astype({c: float for c in ("alpha_median", "alpha_mean", "alpha_min",
                                                                      "alpha_max")})


def validity_cells(build_info: dict) -> list[dict]:
    """``build_info['validity']['dimensions']`` as one dict per dimension (with ``family``, ``dimension``) in
    FAMILIES order; builds before the per-dimension permutation test stored a list, read as is."""
    dims = (build_info.get("validity") or {}).get("dimensions") or []
    if isinstance(dims, list):
        return [{**r, "selected": r.get("selected", r.get("items"))} for r in dims]
    return [{"family": f, "dimension": d, **dims[f][d]} for f, ds in family_dims(build_info).items() for d in ds
            if d in dims.get(f, {})]


def family_dims(build_info: dict) -> dict[str, list[str]]:
    """family -> dimensions in display order: the build's instrument's (``build_info["instrument"]``), else
    Value Portrait's :data:`~valueportrait.scale.FAMILIES`."""
    families = (build_info.get("instrument") or {}).get("families")
    if not families:
        return {f: list(ds) for f, ds in FAMILIES.items()}
    return {f["key"]: list(f["dimensions"]) for f in families}


def validity_sentences(build_info: dict) -> list[str] | None:
    """The validity report of ``build_info['validity']`` in plain words, one sentence per check (None when the
    build has none). The card's "How far to trust these scores" and ``valueportrait info`` both show these;
    each figure has its null baseline (the same figure with the questionnaires shuffled) beside it."""
    v = build_info.get("validity")
    if not v:
        return None
    rule = v["rule"]
    efp = v["expected_false_positives"]
    by_family = ", ".join(f"{f} {efp[f]:.1f} of {v['selected'][f]:.0f}" for f in family_dims(build_info) if f in efp)

    def num(x: object, spec: str) -> str:
        return "n/a" if x is None else format(x, spec)

    def shuffled(x: object, spec: str) -> str:
        return "" if x is None else f" (shuffled: {format(x, spec)})"

    out = [
        f"False positives: {v['selected']['total']:.0f} of the {v['pairs']['total']:,.0f} item x dimension pairs pass "
        f"the selection rule (rho > {rule['threshold']}, p < {rule['alpha']}, correction {rule['correction']}); "
        f"about {efp['total']:.1f} would pass even if no item were associated with any dimension "
        f"({by_family}).",
    ]
    chance = v.get("above_chance")
    if chance and chance.get("not_above") is not None:
        cells = {f"{c['family']}/{c['dimension']}": c for c in validity_cells(build_info)}
        weak = "; ".join(f"{name} {cells[name]['selected']} vs {cells[name]['null_mean']:.1f} "
                         f"(p {cells[name]['permutation_p']:.2f})" for name in chance["not_above"])
        out.append(
            f"Per dimension, with the questionnaire scores shuffled among the raters of each survey group "
            f"{v['n_perm']} times, {chance['count']} of {chance['of']} dimensions select more items than chance "
            f"(permutation p < {chance['p_below']}); NOT above chance ({len(chance['not_above'])}; selected vs "
            f"shuffled mean): {weak or 'none'}."
            + (" Their scores rest on items chance alone would select: read them as noise (marked in every "
               "leaderboard)." if weak else ""))
    rep, conv, rel = v["replication"], v["convergent"], v["reliability"]
    null = v.get("null") or {}
    nconv = null.get("convergent") or {}
    few = ", ".join(rel["few_items"]) or "none"
    out += [
        f"Replication: over {v['n_splits']} random splits of the raters into halves (within survey group, seed "
        f"{v['seed']}), {num(rep['rate'], '.1%')}{shuffled(null.get('replication_rate'), '.1%')} of the pairs "
        f"selected on one half pass the same rule on the other; they average rho {num(rep['mean_rho_selecting'], '.2f')} "
        f"on the half that selected them and {num(rep['mean_rho_held_out'], '.2f')} on the held-out half, and "
        f"item-level rho correlates {num(rep['split_half_r'], '.2f')} between halves.",
        f"Convergent validity: a rater's score from the selected items correlates "
        f"{num(conv['in_sample'], '.2f')}{shuffled(nconv.get('in_sample'), '.2f')} with their questionnaire score "
        f"when the items were selected on the same raters, and {num(conv['out_of_sample'], '.2f')}"
        f"{shuffled(nconv.get('out_of_sample'), '.2f')} on held-out raters (mean Spearman r over the dimensions; "
        f"{num(conv['full_sample'], '.2f')}{shuffled(nconv.get('full_sample'), '.2f')} with this build's selection "
        f"on all raters).",
    ]
    held = v.get("held_out")
    if held:
        hnull = null.get("held_out") or {}
        out.append(
            f"Held out ({held['folds']}-fold cross-validation within survey group, seed {held['seed']}): the paper's "
            f"threshold rule scores {num(held['threshold']['mean'], '.3f')}{shuffled(hnull.get('threshold'), '.3f')} "
            f"(and only {held['threshold']['scored']:.0%} of rater x dimension cells), the correlation-weighted rule "
            f"(--scoring weighted) {num(held['weighted']['mean'], '.3f')}{shuffled(hnull.get('weighted'), '.3f')} "
            f"(mean Spearman r over the dimensions).")
    centred = rel["median"].get("alpha_centred")
    inter = rel.get("item_intercorrelations") or {}
    out.append(
        f"Reliability: median over dimensions of Cronbach's alpha {num(rel['median']['alpha'], '.2f')}"
        f"{shuffled(null.get('alpha_median'), '.2f')} and McDonald's omega {num(rel['median']['omega'], '.2f')} "
        f"(pooled over survey groups, raw ratings); with the items selected on one half, alpha on the other half is "
        f"{num(rel['median']['alpha_out_of_sample'], '.2f')}{shuffled(null.get('alpha_out_of_sample_median'), '.2f')} "
        f"(against {num(rel['median']['alpha_in_half'], '.2f')} on the selecting half). Fewer than "
        f"{rel['min_items']} items entered: {few}.")
    if centred is not None and inter:
        pairs = ", ".join(f"{f} {num(inter[f]['centred_same'], '.3f')} vs {num(inter[f]['centred_different'], '.3f')}"
                          for f in family_dims(build_info) if f in inter)
        out.append(
            f"On the family-centred ratings the benchmark scores, alpha is {num(centred, '.2f')} (median over "
            f"dimensions of the median over survey groups); same-dimension item pairs correlate vs different-dimension "
            f"pairs: {pairs}; on raw ratings even unrelated item pairs correlate "
            f"{num(next(iter(inter.values()))['raw_unrelated'], '.3f')} (a general tendency to agree).")
    return out


def validity_table(build_info: dict) -> pd.DataFrame | None:
    """Per dimension: items selected, what chance selects (shuffled mean) and the permutation p, items entered,
    alpha (raw, family-centred, out of sample), omega, convergent r in / out of sample and held out under both
    scoring rules, flag (``NOT above chance``, ``few items``), from ``build_info['validity']['dimensions']``
    (None when absent)."""
    cells = validity_cells(build_info)
    if not cells:
        return None

    def flag(r: dict) -> str:
        marks = ["NOT above chance"] if r.get("above_chance") is False else []
        return ", ".join(marks + (["few items"] if r["few_items"] else []))

    return pd.DataFrame([{"family": r["family"], "dimension": r["dimension"], "items": r["selected"],
                          "chance": r.get("null_mean"), "perm p": r.get("permutation_p"),
                          "entered": r["items_entered"], "alpha": r["alpha"], "alpha c": r.get("alpha_centred"),
                          "omega": r["omega"], "alpha out": r["alpha_out_of_sample"], "r in": r["convergent_in_sample"],
                          "r out": r["convergent_out_of_sample"],
                          "r held thr": (r.get("convergent_held_out") or {}).get("threshold"),
                          "r held wtd": (r.get("convergent_held_out") or {}).get("weighted"), "flag": flag(r)}
                         for r in cells])
