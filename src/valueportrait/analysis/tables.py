"""A :class:`~valueportrait.analysis.cohort.Cohort` as text, Markdown, JSON and CSV (one formatter:
:mod:`valueportrait.texttable`)."""

from __future__ import annotations

from typing import Any

from ..io import json_safe
from ..style import display_name
from ..chance import CHANCE_MARK
from ..texttable import markdown_table, number, text_table
from .cohort import Cohort

__all__ = ["cohort_json", "cohort_text"]


def _ci(lo, hi) -> str:
    if (lo is None or lo != lo) and (hi is None or hi != hi):
        return number(None)  # no interval: the one missing mark, not "[-, -]"
    return f"[{number(lo, '+.2f')}, {number(hi, '+.2f')}]"


def _p(p) -> str:
    return number(p, ".3f") if p is None or p != p or p >= 0.001 else "<0.001"


def _label(cohort: Cohort, family: str, dim: str) -> str:
    chance = (cohort.meta.get("above_chance") or {}).get(family, {}).get(dim)
    return display_name(dim) + (f" {CHANCE_MARK}" if chance is False else "")


def cohort_text(cohort: Cohort, *, markdown: bool = False) -> str:
    """The cohort table (and diversity, contrasts, focus when present) as printed by ``valueportrait cohort``."""
    table = markdown_table if markdown else text_table
    m = cohort.meta
    level = round(100 * m["level"])
    if m.get("item_level", True):
        out = [f"Cohort of {m['n_models']} models against the human raters on the same items "
               f"({level}% intervals; cohort: over models, t; items+models: bootstrap over items and models, "
               f"{m['n_boot']} replicates; p: bootstrap, Holm over the 19 dimensions)", ""]
    else:
        out = [f"Cohort of {m['n_models']} models from {m.get('leaderboard')}: their scores only ({level}% "
               "intervals over models, t). The intervals over items and models, the test of cohort - humans and "
               "the diversity need item ratings: give the run directories, ratings files or --upstream-outputs "
               "instead.", ""]
    rows = [(f, _label(cohort, f, d), number(r.cohort_mean, "+.2f"), _ci(r.ci_low, r.ci_high),
             _ci(r.ci_low_im, r.ci_high_im), number(r.human, "+.2f"), number(r["diff"], "+.2f"),
             _ci(r.diff_ci_low, r.diff_ci_high), _p(r.p_holm))
            for f, d, r in ((r.family, r.dimension, r) for _, r in cohort.table.iterrows())]
    out.append(table(["family", "dimension", "cohort", "CI over models", "CI items+models", "humans",
                      "cohort - humans", "CI items+models", "p (Holm)"], rows, "llrrrrrrr"))
    if m.get("above_chance") and any(v is False for fam in m["above_chance"].values() for v in fam.values()):
        other = (m.get("above_chance_rule") or {}).get("same_as_scores") is False
        out.append(f"{CHANCE_MARK} the build's items select this dimension no better than chance "
                   "(docs/validity.md): read its scores with care."
                   + (" (The build's selection rule; these scores use another: copied, not recomputed.)"
                      if other else ""))
    if cohort.diversity is not None:
        out += ["", "Diversity: the models' spread of true portraits against the human raters', both on each survey "
                    "group's items (noise removed; generalizability decomposition, docs/findings.md); naive = "
                    "observed spreads on the same items", ""]
        out.append(table(["family", "ratio", f"{level}% CI (survey groups+models)", "naive ratio", "models",
                          "raters", "groups"],
                         [(r.family, number(r.ratio, ".2f"), _ci(r.ci_low, r.ci_high).replace("+", ""),
                           number(r.naive_ratio, ".2f"), r.n_models, r.n_raters, r.get("n_groups"))
                          for _, r in cohort.diversity.iterrows()], "lrrrrrr"))
        for _, r in cohort.diversity.iterrows():
            if isinstance(r.get("caveat"), str):
                out.append(f"{r.family}: {r.caveat}.")
        out.append("The interval's coverage in simulation under the release's design (benchmarks/sim_diversity.py): "
                   "91.5-97.5% for pvq and bfi (wholly below a true ratio of 1 in up to 4.5% (pvq) and 6.5% (bfi) of "
                   "surveys, 2.5% nominal); "
                   "higher_pvq is not estimable there (docs/findings.md).")
    if cohort.contrasts is not None:
        c = cohort.contrasts.iloc[0]
        out += ["", f"Group contrast by {m['contrast']['by']}: {c.group_a} (n={c.n_a}) minus {c.group_b} "
                    f"(n={c.n_b}); {c.ci_method}, over {c.ci_over}; Holm over the dimensions"
                + (f"; {c.n_left_out} model(s) with "
                   + ("no value" if m["contrast"].get("split") is not None else "other values")
                   + " left out" if c.n_left_out else ""), ""]
        out.append(table(["family", "dimension", "difference", f"{level}% CI", "p", "p (Holm)"],
                         [(r.family, _label(cohort, r.family, r.dimension), number(r["diff"], "+.2f"),
                           _ci(r.ci_low, r.ci_high), _p(r.p), _p(r.p_holm))
                          for _, r in cohort.contrasts.iterrows()], "llrrrr"))
    if cohort.focus is not None:
        out += ["", f"Where {m['focus']} stands among the other models (rank 1 = highest; middle half = the "
                    "others' quartiles)", ""]
        f = cohort.focus
        out.append(table(["family", "dimension", "score", "rank", "percentile", "middle half", "interval overlaps"],
                         [(r.family, _label(cohort, r.family, r.dimension), number(r.score, "+.2f"),
                           f"{int(r['rank'])} of {int(r.n)}" if r.get("rank") == r.get("rank") else None,
                           number(r.get("percentile"), ".0f"), _ci(r.get("cohort_q1"), r.get("cohort_q3")),
                           r.get("overlaps_middle")) for _, r in f.iterrows()], "llrrrrr"))
    return "\n".join(out) + "\n"


def cohort_json(cohort: Cohort) -> dict[str, Any]:
    """Everything, JSON-safe: meta, the per-dimension table, the models' scores, diversity, contrasts, focus."""
    def records(df):
        return None if df is None else df.to_dict(orient="records")

    return json_safe({"meta": cohort.meta, "dimensions": records(cohort.table),
                      "scores": cohort.scores.to_dict(orient="index"), "diversity": records(cohort.diversity),
                      "contrasts": records(cohort.contrasts), "focus": records(cohort.focus)})
