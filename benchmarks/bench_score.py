"""Speed of the scoring path on the four released models' raw files (docs/metric.md quotes the figures).

Per model: read its 6 upstream output files, parse every raw answer with parse_likert, average per item and
score (score_portrait). Also: 10,000 bootstrap replicates of one portrait, the human baseline with a
1,000-replicate rater bootstrap, the paired comparison of two models, and 33 models (the 4 released models'
tables under 33 names) scored with intervals over each unit and their reliability, and compared.

For scale, the same work is timed the way upstream's two scripts do it (our re-implementation of their
approach, not their code: ``json.load`` each whole file, average ``numeric_response`` per item in dicts,
score with Python loops), in the same process so both see the same machine load. Times are the minimum of
``--repeat`` runs (the machine is shared; the minimum is the least disturbed run).

Usage: python benchmarks/bench_score.py [--raw ../shared/upstream] [--dataset DIR] [--repeat 7]
(without --dataset a dataset is built in memory from --raw).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def upstream_style(paths, selection):
    """json.load + dict averaging + loop scoring, as upstream's averaging and scoring scripts work."""
    import json

    per_item: dict[str, list[float]] = {}
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            for e in json.load(fh):
                if e.get("numeric_response") is not None:
                    per_item.setdefault(f"{e['portrait_id']}-{e['option_id']}", []).append(e["numeric_response"])
    means = {k: sum(v) / len(v) for k, v in per_item.items()}
    dims: dict[tuple[str, str], list[str]] = {}
    for iid, fam, dim in zip(selection["item_id"], selection["family"], selection["dimension"]):
        dims.setdefault((fam, dim), []).append(iid)
    scores = {}
    for fam in {f for f, _ in dims}:
        valid = {i for (f, _), ids in dims.items() if f == fam for i in ids if i in means}
        fmean = sum(means[i] for i in valid) / len(valid)
        for (f, d), ids in dims.items():
            if f == fam:
                vals = [means[i] for i in ids if i in means]
                m = sum(vals) / len(vals)
                scores[(f, d)] = (m - fmean, m, (sum((v - m) ** 2 for v in vals) / len(vals)) ** 0.5, len(vals))
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", default=os.environ.get("VALUEPORTRAIT_RAW", "../shared/upstream"))
    ap.add_argument("--dataset", help="built dataset folder (default: build in memory from --raw)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import warnings

    import pandas as pd

    from valueportrait.builders.release import from_release
    from valueportrait.dataset import open_dataset
    from valueportrait.settings import Intervals
    from valueportrait.scoring import (bootstrap_portrait, compare_models, compare_portraits, interval_models,
                                       reliability_table, score_humans, score_portrait)
    from valueportrait.ratings.upstream import find_output_files, read_output_files

    raw = Path(args.raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = open_dataset(args.dataset) if args.dataset else from_release(raw)
    selection = data.selection()
    files = find_output_files(raw / "lm_evaluation" / "outputs" / "final")
    models = sorted({f.model for f in files})
    print(f"{'model':28s} {'MB':>6s} {'ms/model':>9s} {'ms/MB':>7s} {'upstream-style ms':>18s} {'speed-up':>9s}")
    total_ms = total_mb = total_up = 0.0
    ratings = {}
    for m in models:
        mine = [f for f in files if f.model == m]
        mb = sum(f.path.stat().st_size for f in mine) / 1e6

        def run():
            table = read_output_files(mine)
            return table, score_portrait(table, selection)

        sec, (table, _) = timed(run, args.repeat)
        up, _ = timed(lambda: upstream_style([f.path for f in mine], selection), args.repeat)
        ratings[m] = table
        total_ms += sec * 1e3
        total_up += up * 1e3
        total_mb += mb
        print(f"{m:28s} {mb:6.2f} {sec * 1e3:9.1f} {sec * 1e3 / mb:7.1f} {up * 1e3:18.1f} {up / sec:8.1f}x")
    n = len(models)
    print(f"{'mean':28s} {total_mb / n:6.2f} {total_ms / n:9.1f} {total_ms / total_mb:7.1f} {total_up / n:18.1f} "
          f"{total_up / total_ms:8.1f}x")
    one = ratings[models[0]]
    sec, _ = timed(lambda: bootstrap_portrait(one, selection, n_boot=10_000), args.repeat)
    print(f"bootstrap, 10,000 replicates x 19 scores: {sec * 1e3:.0f} ms")
    sec, _ = timed(lambda: compare_portraits(ratings[models[0]], ratings[models[1]], selection), args.repeat)
    print(f"paired comparison (Welch t over prompt variants, Holm over 19 dimensions): {sec * 1e3:.0f} ms")
    # 33 models: the 4 released models' tables, copied under 33 names (same sizes as real runs)
    table = pd.concat(list(ratings.values()), ignore_index=True)[["model", "item_id", "variant", "rating"]]
    many = pd.concat([table[table["model"] == models[k % n]].assign(model=f"model-{k:02d}") for k in range(33)],
                     ignore_index=True)
    for unit in ("variants", "items", "items+variants"):
        sec, _ = timed(lambda: (interval_models(many, selection, ci_over=unit), reliability_table(many, selection)),
                       max(1, args.repeat // 2))
        print(f"33 models: portraits + {unit} intervals + reliability: {sec:.2f} s")
    sec, _ = timed(lambda: compare_models(many, selection, "model-00"), max(1, args.repeat // 2))
    print(f"33 models: compare (32 comparisons x 19 dimensions, Holm): {sec:.2f} s")
    sec, _ = timed(lambda: score_humans(data.human_ratings, selection, intervals=Intervals(over="raters", n_boot=1000)),
                   max(1, args.repeat // 2))
    print(f"human baseline, 1,000 rater-bootstrap replicates: {sec * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
