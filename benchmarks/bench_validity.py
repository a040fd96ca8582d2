"""How long the validity report adds to a build (issue 11: at most 2 s on 2 cores; issue 22: the per-dimension
permutations, the null baselines and the cross-validation of the two scoring rules at most 3 s more).

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

    # issue 22's parts, and the report without them (n_perm=0 skips the shuffles; the cross-validation stays)
    from valueportrait.builders.crossval import crossval_convergent
    from valueportrait.builders.permutation import DEFAULT_PERMUTATIONS, null_selection, permutations
    from valueportrait.builders.validity import null_baselines

    rule = {"threshold": 0.3, "alpha": 0.05, "mode": "pos", "correction": "none"}
    perms = permutations(blocks, DEFAULT_PERMUTATIONS, 1)
    t_perm = best_of(lambda: null_selection(blocks, perms, rule), args.repeat)
    _, keys = null_selection(blocks, perms, rule)
    t_null = best_of(lambda: null_baselines(blocks, perms, keys, rule, splits, 0, 10), args.repeat)
    t_cv = best_of(lambda: crossval_convergent(blocks, rule, 10, 0), args.repeat)
    t_none = best_of(lambda: validity_report(h, p, c, n_splits=splits, n_perm=0), args.repeat)
    t_all = best_of(lambda: validity_report(h, p, c, n_splits=splits), args.repeat)
    print(f"  per-dimension permutation test ({DEFAULT_PERMUTATIONS} shuffles): {t_perm:.2f} s")
    print(f"  null baselines (10 shuffles x {max(1, splits // 10)} splits, 2 cross-validations): {t_null:.2f} s")
    print(f"  cross-validation of both scoring rules (10 folds): {t_cv:.2f} s")
    print(f"validity_report without / with the shuffles: {t_none:.2f} s / {t_all:.2f} s; issue 22 adds about "
          f"{t_perm + t_null + t_cv:.2f} s (target <= 3 s)")


if __name__ == "__main__":
    main()
