"""How long the validity report adds to a build (issue 11: at most 2 s on 2 cores).

Times :func:`valueportrait.builders.validity.validity_report` on the real release for each correction, and
its parts, as the minimum of ``--repeat`` runs (the machine is shared; the minimum is the least disturbed run).
The first run of ``fdr_bh`` also pays the one-time import of ``scipy.stats`` (Benjamini-Hochberg); it is
reported separately.

Usage: VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_validity.py [--repeat 5] [--splits 20]
"""

from __future__ import annotations

import argparse
import os
import time

from _shared import best_of, release_quietly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--splits", type=int, default=None, help="random halves (default: the build's)")
    args = parser.parse_args()

    from valueportrait.builders.halves import half_correlations, random_halves, survey_blocks
    from valueportrait.builders.validity import DEFAULT_SPLITS, validity_report

    splits = args.splits or DEFAULT_SPLITS
    data = release_quietly()
    h, p, c = data.human_ratings, data.participants, data.correlations
    print(f"cores: {os.cpu_count()}; splits: {splits}; best of {args.repeat}")
    t = time.perf_counter()
    validity_report(h, p, c, correction="fdr_bh", n_splits=splits)
    print(f"first fdr_bh report (with the scipy.stats import): {time.perf_counter() - t:.2f} s")
    for correction in ("none", "fdr_bh", "bonferroni"):
        s = best_of(lambda: validity_report(h, p, c, correction=correction, n_splits=splits), args.repeat)
        print(f"validity_report, correction {correction:<10}: {s:.2f} s")
    blocks = survey_blocks(h, p, c["item_id"].unique())
    print(f"  survey_blocks: {best_of(lambda: survey_blocks(h, p, c['item_id'].unique()), args.repeat):.2f} s")
    in_a = random_halves(blocks, splits, 0)
    print(f"  half_correlations ({splits} splits x 2 halves): "
          f"{best_of(lambda: half_correlations(blocks, in_a), args.repeat):.2f} s")


if __name__ == "__main__":
    main()
