"""Summaries of one build, shared by the dataset card, ``valueportrait build`` and ``valueportrait info``.

Pure functions of a :class:`~valueportrait.dataset.ValuePortraitData` (or its ``build_info``) returning
DataFrames / plain rows; rendering them as Markdown or terminal text is left to the caller, with the two
small table formatters below.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from valueportrait.dataset import ValuePortraitData
from valueportrait.scale import FAMILIES


def items_per_dimension(data: ValuePortraitData) -> pd.DataFrame:
    """family, dimension, items: how many items the build selected for each dimension (FAMILIES order)."""
    sel = data.selection()
    counts = sel.groupby(["family", "dimension"]).size()
    rows = [{"family": f, "dimension": d, "items": int(counts.get((f, d), 0))} for f, dims in FAMILIES.items()
            for d in dims]
    return pd.DataFrame(rows)


def items_per_family(data: ValuePortraitData) -> pd.DataFrame:
    """family, pairs (selected item x dimension pairs), items (distinct items measuring at least one dimension)."""
    sel = data.selection()
    rows = [{"family": f, "pairs": int((sel["family"] == f).sum()),
             "items": int(sel.loc[sel["family"] == f, "item_id"].nunique())} for f in FAMILIES]
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


def validity_sentences(build_info: dict) -> list[str] | None:
    """The validity report of ``build_info['validity']`` in plain words, one sentence per check (None when the
    build has none). The card's "How far to trust these scores" and ``valueportrait info`` both show these."""
    v = build_info.get("validity")
    if not v:
        return None
    rule, rep, conv, rel = v["rule"], v["replication"], v["convergent"], v["reliability"]
    efp = v["expected_false_positives"]
    few = ", ".join(rel["few_items"]) or "none"
    by_family = ", ".join(f"{f} {efp[f]:.1f} of {v['selected'][f]:.0f}" for f in FAMILIES)

    def num(x: object, spec: str) -> str:
        return "n/a" if x is None else format(x, spec)

    return [
        f"False positives: {v['selected']['total']:.0f} of the {v['pairs']['total']:,.0f} item x dimension pairs pass "
        f"the selection rule (rho > {rule['threshold']}, p < {rule['alpha']}, correction {rule['correction']}); "
        f"about {efp['total']:.1f} would pass even if no item were associated with any dimension "
        f"({by_family}).",
        f"Replication: over {v['n_splits']} random splits of the raters into halves (within survey group, seed "
        f"{v['seed']}), {num(rep['rate'], '.1%')} of the pairs selected on one half pass the same rule on the other; "
        f"they average rho {num(rep['mean_rho_selecting'], '.2f')} on the half that selected them and "
        f"{num(rep['mean_rho_held_out'], '.2f')} on the held-out half, and item-level rho correlates "
        f"{num(rep['split_half_r'], '.2f')} between halves.",
        f"Convergent validity: a rater's score from the selected items correlates {num(conv['in_sample'], '.2f')} "
        f"with their questionnaire score when the items were selected on the same raters, and "
        f"{num(conv['out_of_sample'], '.2f')} on held-out raters (mean Spearman r over the dimensions; "
        f"{num(conv['full_sample'], '.2f')} with this build's selection on all raters).",
        f"Reliability: median over dimensions of Cronbach's alpha {num(rel['median']['alpha'], '.2f')} and "
        f"McDonald's omega {num(rel['median']['omega'], '.2f')} (pooled over survey groups); with the items "
        f"selected on one half, alpha on the other half is {num(rel['median']['alpha_out_of_sample'], '.2f')} "
        f"(against {num(rel['median']['alpha_in_half'], '.2f')} on the selecting half). Fewer than "
        f"{rel['min_items']} items entered: {few}.",
    ]


def validity_table(build_info: dict) -> pd.DataFrame | None:
    """Per dimension: items, items entered, alpha, omega, out-of-sample alpha, convergent r in / out of sample,
    flag (``few items``), from ``build_info['validity']['dimensions']`` (None when absent)."""
    v = build_info.get("validity")
    if not v:
        return None
    return pd.DataFrame([{"family": r["family"], "dimension": r["dimension"], "items": r["items"],
                          "entered": r["items_entered"], "alpha": r["alpha"], "omega": r["omega"],
                          "alpha out": r["alpha_out_of_sample"], "r in": r["convergent_in_sample"],
                          "r out": r["convergent_out_of_sample"], "flag": "few items" if r["few_items"] else ""}
                         for r in v["dimensions"]])


def fmt(value: object, digits: int = 3) -> str:
    """A value for display: floats with ``digits`` decimals (tiny ones in e-notation), NaN/None as an en dash.

    >>> [fmt(0.12345), fmt(3), fmt(float("nan")), fmt(2.5e-13), fmt(True)]
    ['0.123', '3', '–', '2.50e-13', 'yes']
    """
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "–"
        if v != 0 and abs(v) < 10 ** -digits:
            return f"{v:.2e}"
        return f"{v:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table; ``align`` is one letter per column (``l`` or ``r``)."""
    rows = [[fmt(v) for v in r] for r in rows]
    align = align or "l" * len(headers)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A plain-text table with aligned columns for the terminal."""
    rows = [[fmt(v) for v in r] for r in rows]
    align = align or "l" * len(headers)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
