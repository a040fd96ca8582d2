"""Does ``compare --adjust leaderboard`` control the error over a whole leaderboard? A seeded null simulation.

A NULL leaderboard: a baseline and 32 models that all answer from the same generative model (the one of
``validate_intervals.py``: dimension effects N(0, 0.5^2), item means 3.5 + effects + N(0, 0.8^2), per-item
prompt noise U(0.1, 1.2), 6 variants, rounded and clipped to 1-6), over the REAL selection, each with its own
prompt noise. Every difference is 0 in truth, so any ``p_adjusted < 0.05`` is a false finding. Through the
public :func:`valueportrait.scoring.compare_models` (ci_over ``variants``), the share of null leaderboards with
at least one false finding under ``adjust="comparison"`` (Holm within each model's 19 dimensions) and
``adjust="leaderboard"`` (Holm over all 32 x 19 tests), and with no adjustment.

Usage: python benchmarks/validate_compare.py [--sims 200] [--models 32] [--seed 0] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _shared import release_quietly  # noqa: E402
from validate_intervals import BETA_SD, SIGMA_RANGE, TAU, draw  # noqa: E402

from valueportrait.scale import VARIANTS  # noqa: E402
from valueportrait.scoring import Design, compare_models, holm  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--models", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()
    sel = release_quietly().selection()
    design = Design.from_selection(sel)
    ids = np.array(design.item_ids, dtype=object)
    member = design.key != 0
    rng = np.random.default_rng(args.seed)
    names = ["baseline"] + [f"model-{k:02d}" for k in range(args.models)]
    any_false = {"none": 0, "comparison": 0, "leaderboard": 0}
    t0 = time.perf_counter()
    for _ in range(args.sims):
        beta = rng.normal(0, BETA_SD, member.shape[1])
        mu = 3.5 + (member * beta).sum(axis=1) / member.sum(axis=1) + rng.normal(0, TAU, len(ids))
        sigma = rng.uniform(*SIGMA_RANGE, len(ids))
        R = np.stack([draw(mu, sigma, rng) for _ in names])  # (M, I, 6)
        ratings = pd.DataFrame({"model": np.repeat(names, R[0].size), "item_id": np.tile(np.repeat(ids, 6), len(names)),
                                "variant": np.tile(VARIANTS, len(ids) * len(names)), "rating": R.reshape(-1)})
        per = compare_models(ratings, sel, "baseline", adjust="comparison")
        any_false["comparison"] += bool((per["p_adjusted"] < 0.05).any())
        any_false["none"] += bool((per["p_value"] < 0.05).any())
        board = holm(per["p_value"].to_numpy(dtype=float))  # what adjust="leaderboard" computes, checked below
        lead = compare_models(ratings, sel, "baseline", adjust="leaderboard")
        assert np.allclose(lead["p_adjusted"].to_numpy(), board, equal_nan=True)
        any_false["leaderboard"] += bool((lead["p_adjusted"] < 0.05).any())
    seconds = time.perf_counter() - t0
    out = {"sims": args.sims, "models": args.models, "tests_per_leaderboard": args.models * 19,
           "familywise_error": {k: v / args.sims for k, v in any_false.items()}, "seconds": round(seconds, 1)}
    for k, v in out["familywise_error"].items():
        print(f"adjust={k:12s} null leaderboards of {args.models} models with any false finding: "
              f"{100 * v:.1f}% ({any_false[k]} of {args.sims})")
    print(f"{seconds:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
