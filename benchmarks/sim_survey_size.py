"""How many raters a survey needs: planted SYNTHETIC surveys (examples/survey_de/make_survey.py's generator) of
30-200 raters per item, the build's correlations (builders.correlations.compute_correlations, the vectorised
Spearman) and the selection rule (selection.select, per family), scored against the planted truth.

Per survey size and planted strength, over REPS seeded surveys (2 groups x 30 items; 21 planted + 9 filler items
per group, 7 dimensions): the mean precision (selected pairs that were planted) and recall (planted pairs that
were selected) of the threshold rule (rho > 0.3 and p < 0.05) with no correction, Benjamini-Hochberg and
Bonferroni, and, for the weighted rule (every pair scores with weight rho), the share of the absolute weight that
lies on planted pairs (1.0: all of it; with no signal about 42 / 420 = 0.10). ``strength`` is the latent
correlation of a planted item with its dimension (observed Spearman rho about 0.74 x strength: 5-point ratings,
questionnaire reliability 0.8, rater acquiescence).

With ``--null``: surveys with nothing planted, and how often the build's per-dimension permutation test calls a
dimension above chance (its false-positive rate; nominal 5%), with the pairs selected against the expected false
positives the build reports.

Run: python benchmarks/sim_survey_size.py [--reps 20] [--null]   (figures in docs/your-survey.md)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from _shared import survey_generator as generator
from valueportrait.builders.correlations import compute_correlations
from valueportrait.selection import select

RULES = ("none", "fdr_bh", "bonferroni")


def one_survey(gen, seed: int, raters: int, strength: float) -> dict[str, float]:
    """Precision / recall of each rule and the weighted rule's planted share on one planted survey."""
    t = gen.generate(seed, raters=raters, strength=strength)
    dims = [(f, d) for f, d, _, _ in gen.DIMENSIONS]
    ratings = t["ratings"].rename(columns={"participant": "participant_id"})
    ratings["survey_group"] = ratings.pop("group").map({"A": 1, "B": 2})
    scores = t["scores"].rename(columns={"participant": "participant_id", **{d: f"{f}_{d}" for f, d in dims}})
    corr = compute_correlations(ratings, scores, dims)
    planted = pd.MultiIndex.from_frame(t["planted"][["item_id", "family", "dimension"]])
    truth = pd.MultiIndex.from_frame(corr[["item_id", "family", "dimension"]]).isin(planted)
    out = {}
    for rule in RULES:
        key = select(corr["rho"].to_numpy(), corr["p_value"].to_numpy(), correction=rule,
                     families=corr["family"].to_numpy()) != 0
        out[f"{rule} precision"] = (key & truth).sum() / key.sum() if key.any() else np.nan
        out[f"{rule} recall"] = (key & truth).sum() / truth.sum()
    w = corr["rho"].abs().to_numpy()
    out["weighted share"] = w[truth].sum() / w.sum()
    return out


def null_survey(gen, seed: int, raters: int) -> dict[str, float]:
    """On a survey with nothing planted (strength 0): dimensions the build's permutation test calls above chance
    (of 7), pairs selected and the expected false positives the build reports."""
    from valueportrait.builders.chance import null_pass_rates
    from valueportrait.builders.halves import survey_blocks
    from valueportrait.builders.permutation import dimension_null, null_selection, permutations
    from valueportrait.instrument import load_instrument

    t = gen.generate(seed, raters=raters, strength=0.0)
    inst = load_instrument(gen.instrument_yaml(seed))
    dims = list(inst.dimensions)
    ratings = t["ratings"].rename(columns={"participant": "participant_id"})
    ratings["survey_group"] = ratings.pop("group").map({"A": 1, "B": 2})
    scores = t["scores"].rename(columns={"participant": "participant_id", **{d: f"{f}_{d}" for f, d in dims}})
    corr = compute_correlations(ratings, scores, dims)
    rule = {"threshold": 0.3, "alpha": 0.05, "mode": "pos", "correction": "none"}
    key = (select(corr["rho"].to_numpy(), corr["p_value"].to_numpy(), families=corr["family"].to_numpy(), **rule)
           != 0).reshape(-1, len(dims))
    blocks = survey_blocks(ratings, scores, tuple(pd.unique(corr["item_id"])), inst)
    counts, _ = null_selection(blocks, permutations(blocks, 400, seed + 1), rule, keep=0)
    chance = dimension_null(key.sum(axis=0), counts)
    efp = null_pass_rates(corr["n"].to_numpy(), corr["family"].to_numpy(), **rule).sum()
    return {"above": float(np.sum(chance["above_chance"].astype(bool))), "selected": float(key.sum()),
            "expected": float(efp)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--raters", default="30,50,75,100,150,200")
    parser.add_argument("--strengths", default="0.6,0.4")
    parser.add_argument("--null", action="store_true", help="surveys with nothing planted: the false-positive "
                                                             "rate of the per-dimension permutation test")
    args = parser.parse_args()
    gen = generator()
    start = time.perf_counter()
    if args.null:
        print(f"{args.reps} surveys with nothing planted per row; the permutation test (400 shuffles, p < 0.05) per "
              "dimension, and the pairs selected against the expected false positives")
        print("| raters per item | dimensions called above chance | false-positive rate | pairs selected (mean) | "
              "expected false positives (mean) |")
        print("|---:|---:|---:|---:|---:|")
        for raters in map(int, args.raters.split(",")):
            rows = pd.DataFrame([null_survey(gen, s, raters) for s in range(args.reps)])
            n = 7 * args.reps
            print(f"| {raters} | {rows['above'].sum():.0f} of {n} | {rows['above'].sum() / n:.3f} | "
                  f"{rows['selected'].mean():.2f} | {rows['expected'].mean():.2f} |")
        print(f"({time.perf_counter() - start:.0f} s)")
        return
    print(f"{args.reps} planted surveys per row (seeds 0..{args.reps - 1}); precision / recall, mean over surveys")
    print("| strength | raters per item | threshold: precision | recall | fdr_bh: precision | recall | "
          "bonferroni: precision | recall | weighted: planted share |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for strength in map(float, args.strengths.split(",")):
        for raters in map(int, args.raters.split(",")):
            rows = pd.DataFrame([one_survey(gen, s, raters, strength) for s in range(args.reps)])
            m = rows.mean()
            cells = " | ".join(f"{m[f'{r} precision']:.2f} | {m[f'{r} recall']:.2f}" for r in RULES)
            print(f"| {strength} | {raters} | {cells} | {m['weighted share']:.2f} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
