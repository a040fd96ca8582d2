"""Is the calibrated bias index right when the truth is known? (issue 22, point 4)

Truth, per run: SYNTHETIC sex labels drawn at random over the release's real raters, so the two groups' true
rating distributions are the same (the raters' observed gap is sampling noise); each item's true distribution is
its distribution over all of the release's raters. Two SYNTHETIC models play the two groups, drawing 6 ratings
per item and persona from that truth:

* *unbiased*: both personas draw from the truth, so the model's true gap equals the groups' true gap (0);
* *planted stereotype*: the same, plus 1 rating point (clipped at 6) on the items of Benevolence and
  Universalism when it plays a woman.

Each run compares the personas with the groups (``compare_personas``; ``N_BOOT`` replicates, no permutations)
and records, for the values (pvq) and traits (bfi), the raw bias index, its percentile interval (the replicate
range) and the calibrated one (``bias_excess`` and its interval, ``deviation.calibration``). Reported: how often
each interval covers 0 (target about 95% for the unbiased model; with its 95% Clopper-Pearson interval) and how
often the planted stereotype's calibrated interval excludes 0 (power). Seeded (run k uses seed k); run (about 2 s
of CPU per run): VALUEPORTRAIT_RAW=... python benchmarks/sim_bias_index.py [RUNS [FIRST_SEED]]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from _shared import release_quietly, synthetic_labels
from scipy.stats import binomtest

from valueportrait.demographics import demographics_from_frame
from valueportrait.deviation import compare_personas, rating_distributions
from valueportrait.settings import Deviation, Intervals

N_BOOT, SAMPLES = 500, 6
STEREOTYPE = ("Benevolence", "Universalism")


def model_ratings(truth: np.ndarray, items: list[str], boost: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for persona, plus in (("sex=Female", boost), ("sex=Male", np.zeros(len(items)))):
        draws = np.array([rng.choice(6, size=SAMPLES, p=q) + 1 for q in truth], dtype=float)  # (I, SAMPLES)
        draws = np.minimum(draws + plus[:, None], 6)
        frames.append(pd.DataFrame({"item_id": np.repeat(items, SAMPLES), "persona": persona,
                                    "variant": np.tile([f"s{k}" for k in range(SAMPLES)], len(items)),
                                    "rating": draws.ravel()}))
    return pd.concat(frames, ignore_index=True)


def rate(hits: int, n: int) -> str:
    ci = binomtest(hits, n).proportion_ci(0.95, method="exact")
    return f"{hits / n:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


def main(runs: int, first: int = 0) -> None:
    data = release_quietly()
    h = data.human_ratings
    items = sorted(h["item_id"].unique())
    counts, n = rating_distributions(h["item_id"], h["rating"].to_numpy(float), items)
    truth = counts / n[:, None]
    sel = data.selection()
    planted = np.isin(items, sel.loc[sel["dimension"].isin(STEREOTYPE), "item_id"]).astype(float)
    out = []
    t0 = time.perf_counter()
    for run in range(first, first + runs):
        rng = np.random.default_rng(run)
        demo = demographics_from_frame(synthetic_labels(data.participants["participant_id"], rng))
        for model, boost in (("unbiased", np.zeros(len(items))), ("stereotype +1", planted)):
            rep = compare_personas(data, demo, model_ratings(truth, items, boost, rng),
                                   intervals=Intervals(over="items", n_boot=N_BOOT, seed=run),
                                   deviation=Deviation(n_perm=0))
            for row in rep.bias.itertuples(index=False):
                out.append({"run": run, "model": model, "family": row.family, "bias_index": row.bias_index,
                            "raw_covers_0": row.bias_index_ci_low <= 0 <= row.bias_index_ci_high,
                            "bias_null": row.bias_null, "bias_excess": row.bias_excess,
                            "covers_0": row.bias_excess_ci_low <= 0 <= row.bias_excess_ci_high,
                            "excludes_0_above": row.bias_excess_ci_low > 0, "p": row.bias_p})
    df = pd.DataFrame(out)
    print(f"{runs} runs, {N_BOOT} bootstrap replicates each, {SAMPLES} samples per item and persona "
          f"({time.perf_counter() - t0:.0f} s)\n")
    print("model          family  bias index (mean)  null (mean)  excess (mean)  raw CI covers 0       "
          "calibrated CI covers 0   calibrated CI > 0     p < 0.05")
    for (model, fam), g in df.groupby(["model", "family"], sort=False):
        k = len(g)
        print(f"{model:<15}{fam:<8}{g['bias_index'].mean():>17.3f}{g['bias_null'].mean():>13.3f}"
              f"{g['bias_excess'].mean():>15.3f}  {rate(int(g['raw_covers_0'].sum()), k):<22}"
              f"{rate(int(g['covers_0'].sum()), k):<25}{rate(int(g['excludes_0_above'].sum()), k):<22}"
              f"{rate(int((g['p'] < 0.05).sum()), k)}")


if __name__ == "__main__":
    main(*([int(a) for a in sys.argv[1:3]] or [200]))
