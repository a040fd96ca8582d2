"""Does ``reliable`` pass noise, and does it pass a real profile? A seeded simulation with a known truth.

Over the REAL selection (built in memory from the release at ``$VALUEPORTRAIT_RAW``) and through the public
:func:`valueportrait.scoring.portrait_reliability`, three kinds of simulated model, each rating every selected
item once in each of the 6 prompt variants:

* **noise**: every rating uniform on 1..6, independent of the item (truth: no profile; a verdict
  "reliable" is a false positive);
* **real profile**: a released model's own answers resampled: each item's rating in a forward variant drawn
  with replacement from the model's forward ratings of that item, a reversed variant's from its reversed ratings
  (the model's item means and order bias, its own prompt noise; truth: the released model's profile);
* **position**: a model that picks the option in one position with probability ``q`` (0.8) and otherwise
  answers as the released model: forward variants list the options from "very much like me" (6) down, reversed
  ones from "not like me at all" (1), so the position pick reads 6 forward and 1 reversed (a 135M model's
  pattern: the order of the options dominates; truth: order_bias_flag should be raised).

Reported: the share called ``reliable`` by the new rule (``profile_reliability >= 0.7`` and permutation
``profile_p < 0.01``) and by the old one (the fixed split's ``profile_split_half >= 0.7``), the share flagged
``flat`` and ``order_bias_flag``; and the released models' records with both verdicts.

Usage: python benchmarks/validate_reliability.py [--sims 200] [--seed 0] [--json FILE]
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

from valueportrait.scale import VARIANTS  # noqa: E402
from valueportrait.scoring import Design, portrait_reliability  # noqa: E402

REVERSED = np.array([v.endswith("_reversed") for v in VARIANTS])


def table(items: list[str], R: np.ndarray) -> pd.DataFrame:
    """A ratings table from an (I, 6) matrix of ratings (variants in VARIANTS order)."""
    return pd.DataFrame({"item_id": np.repeat(items, len(VARIANTS)), "variant": np.tile(VARIANTS, len(items)),
                         "rating": R.reshape(-1)})


def pools(released: pd.DataFrame, model: str, items: list[str]) -> tuple[list, list]:
    """Per item, the model's valid forward and reversed ratings."""
    g = released[(released["model"] == model) & released["rating"].notna()]
    rev = g["variant"].str.endswith("_reversed")
    fwd = g[~rev].groupby("item_id")["rating"].agg(list)
    bwd = g[rev].groupby("item_id")["rating"].agg(list)
    return [fwd.get(i, []) for i in items], [bwd.get(i, []) for i in items]


def resample(fwd: list, bwd: list, rng: np.random.Generator) -> np.ndarray:
    """(I, 6) ratings: forward variants drawn from the forward pool of each item, reversed from the reversed."""
    R = np.full((len(fwd), len(VARIANTS)), np.nan)
    for i, (f, b) in enumerate(zip(fwd, bwd)):
        if f:
            R[i, ~REVERSED] = rng.choice(f, size=int((~REVERSED).sum()))
        if b:
            R[i, REVERSED] = rng.choice(b, size=int(REVERSED.sum()))
    return R


def verdicts(recs: list[dict]) -> dict:
    n = len(recs)

    def share(key: str) -> float:
        return sum(r[key] is True for r in recs) / n

    return {"sims": n, "reliable": share("reliable"),
            "reliable_old_rule": sum((r["profile_split_half"] or -1) >= 0.7 for r in recs) / n,
            "flat": share("flat"), "order_bias_flag": share("order_bias_flag"),
            "profile_reliability_median": float(np.median([r["profile_reliability"] for r in recs]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()
    from valueportrait.ratings.upstream import read_upstream_outputs

    data = release_quietly()
    sel = data.selection()
    design = Design.from_selection(sel)
    items = list(design.item_ids)
    released = read_upstream_outputs(os.path.join(os.environ["VALUEPORTRAIT_RAW"], "lm_evaluation", "outputs", "final"))
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    out: dict = {"released": {}, "simulated": {}}
    for m, g in released.groupby("model"):
        rec = portrait_reliability(g, sel, design=design)
        out["released"][m] = {k: rec[k] for k in ("profile_reliability", "profile_p", "profile_split_half",
                                                  "reliable", "profile_sd", "profile_se", "flat", "order_bias",
                                                  "order_bias_p", "item_sd", "order_bias_flag")}
        out["released"][m]["reliable_old_rule"] = bool(rec["profile_split_half"] >= 0.7)
    noise = [portrait_reliability(table(items, rng.integers(1, 7, (len(items), len(VARIANTS))).astype(float)),
                                  sel, design=design, seed=k) for k in range(args.sims)]
    out["simulated"]["noise (uniform 1-6)"] = verdicts(noise)
    for m in sorted(released["model"].unique()):
        fwd, bwd = pools(released, m, items)
        recs = [portrait_reliability(table(items, resample(fwd, bwd, rng)), sel, design=design, seed=k)
                for k in range(args.sims)]
        out["simulated"][f"real profile: {m}"] = verdicts(recs)
    fwd, bwd = pools(released, "gpt-4o-2024-11-20", items)
    recs = []
    for k in range(args.sims):
        R = resample(fwd, bwd, rng)
        pick = rng.random(R.shape) < 0.8
        R[pick] = np.where(np.broadcast_to(REVERSED, R.shape), 1.0, 6.0)[pick]
        recs.append(portrait_reliability(table(items, R), sel, design=design, seed=k))
    out["simulated"]["position pick (q=0.8) over gpt-4o"] = verdicts(recs)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    for m, r in out["released"].items():
        print(f"{m:28s} profile_reliability {r['profile_reliability']:.3f} (p {r['profile_p']:.3f}) "
              f"split-half {r['profile_split_half']:.3f}  reliable {r['reliable']} (old rule {r['reliable_old_rule']})"
              f"  sd {r['profile_sd']:.3f} se {r['profile_se']:.3f} flat {r['flat']}  order bias "
              f"{r['order_bias']:+.3f} (item sd {r['item_sd']:.3f}, p {r['order_bias_p']:.1g}) flag {r['order_bias_flag']}")
    for name, v in out["simulated"].items():
        print(f"{name:40s} {v['sims']} sims: reliable {100 * v['reliable']:.1f}% (old rule "
              f"{100 * v['reliable_old_rule']:.1f}%), flat {100 * v['flat']:.1f}%, order-bias flag "
              f"{100 * v['order_bias_flag']:.1f}%, median profile_reliability {v['profile_reliability_median']:.3f}")
    print(f"{out['seconds']} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
