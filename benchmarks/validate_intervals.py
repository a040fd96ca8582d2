"""Do the intervals hold their level, and do comparisons control the family-wise error? A seeded simulation.

Models are SIMULATED from a known generative model over the REAL selection (built in memory from the release
at ``$VALUEPORTRAIT_RAW``, so the dimension sizes are the benchmark's: 5 Neuroticism items, 11 Self_Direction,
...). For a simulated model:

* dimension effects :math:`\\beta_d \\sim N(0, 0.5^2)` (one portrait per simulated model);
* an item's latent mean :math:`\\mu_i = 3.5 + \\operatorname{mean}_{d \\ni i} \\beta_d + e_i`,
  :math:`e_i \\sim N(0, \\tau^2)`, :math:`\\tau = 0.8` (items of a dimension differ);
* per-item prompt noise :math:`\\sigma_i \\sim U(0.1, 1.2)` (many near-deterministic items, as the released
  models have), 6 ratings per item (the 6 prompt variants): :math:`\\operatorname{clip}(\\operatorname{round}(
  \\mu_i + \\sigma_i \\varepsilon), 1, 6)`, discrete 1-6 like real answers.

Truths, computed exactly (normal CDFs; Gauss-Hermite and a grid over sigma for the item population):

* ``variants``: the score of the expected ratings :math:`E[r_i]` of *these* items (the benchmark fixed);
* ``items`` and ``items+variants``: the population score, every item replaced by the expected rating of a new
  item of its kind (same dimensions, new :math:`e_i`, :math:`\\sigma_i`): a pool of infinitely many items.

Reported: the empirical coverage of the 95% intervals per unit, overall and per dimension; the family-wise
error rate of :func:`compare_portraits`-style comparisons (Holm over 19 dimensions) in a null simulation (two
models with the same :math:`\\mu_i, \\sigma_i`, independent prompt noise), with the uncorrected rate beside it;
and the power to find a planted shift of 0.8 on one dimension's items.

Usage: python benchmarks/validate_intervals.py [--sims 1000] [--seed 0] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time

# small matrices: one BLAS thread is several times faster than threads competing on a shared 2-core machine
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from scipy import special  # noqa: E402

from valueportrait.scale import DIMENSIONS  # noqa: E402
from valueportrait.scoring import Design, holm, score_matrix  # noqa: E402
from valueportrait.scoring.intervals import (CI_UNITS, Spread, combine, jackknife_se, t_interval,  # noqa: E402
                                             t_p_value, variants_se)

TAU, BETA_SD, SIGMA_RANGE, N_VARIANTS, SHIFT = 0.8, 0.5, (0.1, 1.2), 6, 0.8


def expected_rating(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """E[clip(round(mu + sigma * eps), 1, 6)] for eps ~ N(0, 1), exactly."""
    cuts = np.arange(1.5, 6.0, 1.0)  # P(r > k) = P(latent > k + .5), k = 1..5
    tail = special.ndtr((mu[..., None] - cuts) / sigma[..., None])
    return 1.0 + tail.sum(axis=-1)


def population_curve() -> tuple[np.ndarray, np.ndarray]:
    """Expected rating of a NEW item of kind mean ``mu``, on a fine grid of ``mu``: the mean over
    e ~ N(0, tau^2) (Gauss-Hermite) and sigma ~ U(range) (trapezoid) of :func:`expected_rating`."""
    grid = np.linspace(-3.0, 10.0, 2601)
    x, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    sig = np.linspace(*SIGMA_RANGE, 41)
    sig_w = np.full(len(sig), 1.0)
    sig_w[[0, -1]] = 0.5
    sig_w /= sig_w.sum()
    mu = np.broadcast_to(grid[:, None, None] + TAU * x[None, :, None], (len(grid), len(x), len(sig)))
    er = expected_rating(mu, np.broadcast_to(sig, mu.shape))
    return grid, (er * w[None, :, None] * sig_w[None, None, :]).sum(axis=(1, 2))


def draw(mu: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(I, 6) discrete ratings."""
    lat = mu[:, None] + sigma[:, None] * rng.standard_normal((len(mu), N_VARIANTS))
    return np.clip(np.round(lat), 1, 6)


def spread(R: np.ndarray, item_ids: tuple[str, ...]) -> Spread:
    return Spread(item_ids, R.mean(axis=1), R.var(axis=1, ddof=1), np.full(len(R), R.shape[1]))


def units(a: list[Spread], design: Design) -> dict:
    """The three units' SEs (the library's pieces; :func:`~valueportrait.scoring.intervals.unit_se` combines them alike)."""
    jack, var = jackknife_se([x.mean for x in a], design), variants_se(a, design)
    return {"variants": var, "items": jack, "items+variants": combine(jack, var)}


def simulate(design: Design, sims: int, rng: np.random.Generator) -> dict:
    member = design.key != 0
    D = len(DIMENSIONS)
    grid, curve = population_curve()
    cover = {u: np.zeros((sims, D), dtype=bool) for u in CI_UNITS}
    width = {u: np.zeros((sims, D)) for u in CI_UNITS}
    null_any = {u: np.zeros(sims, dtype=bool) for u in CI_UNITS}
    null_raw = {u: np.zeros(sims, dtype=bool) for u in CI_UNITS}
    targets = [DIMENSIONS.index(("pvq", "Security")), DIMENSIONS.index(("bfi", "Neuroticism"))]
    found = {u: np.zeros((sims, len(targets)), dtype=bool) for u in CI_UNITS}
    ids = design.item_ids
    for s in range(sims):
        beta = rng.normal(0, BETA_SD, D)
        mu_kind = 3.5 + (member * beta).sum(axis=1) / member.sum(axis=1)
        mu = mu_kind + rng.normal(0, TAU, len(ids))
        sigma = rng.uniform(*SIGMA_RANGE, len(ids))
        truth = {"variants": score_matrix(expected_rating(mu, sigma), design).score[0]}
        truth["items"] = truth["items+variants"] = score_matrix(np.interp(mu_kind, grid, curve), design).score[0]
        a, b = spread(draw(mu, sigma, rng), ids), spread(draw(mu, sigma, rng), ids)
        est = score_matrix(a.mean, design).score[0]
        diff = est - score_matrix(b.mean, design).score[0]
        one, pair = units([a], design), units([a, b], design)
        for u in CI_UNITS:
            lo, hi = t_interval(est, one[u], 0.95)
            cover[u][s] = (lo <= truth[u]) & (truth[u] <= hi)
            width[u][s] = hi - lo
            p = t_p_value(diff, pair[u])
            null_raw[u][s] = (p < 0.05).any()
            null_any[u][s] = (holm(p) < 0.05).any()
        for k, t in enumerate(targets):
            c = spread(draw(mu + SHIFT * member[:, t], sigma, rng), ids)
            d_shift = score_matrix(c.mean, design).score[0] - est
            shifted = units([c, a], design)
            for u in CI_UNITS:
                found[u][s, k] = holm(t_p_value(d_shift, shifted[u]))[t] < 0.05
    return {"cover": cover, "width": width, "null_any": null_any, "null_raw": null_raw, "found": found,
            "targets": [DIMENSIONS[t] for t in targets]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the figures to this JSON file")
    args = ap.parse_args()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _shared import release_quietly

    t0 = time.perf_counter()
    selection = release_quietly().selection()
    design = Design.from_selection(selection)
    res = simulate(design, args.sims, np.random.default_rng(args.seed))
    n = args.sims
    mc = 1.96 * np.sqrt(0.95 * 0.05 / n)
    print(f"{n} simulated models, 95% intervals (MC error of a coverage near 95%: +-{mc:.3f})\n")
    print("| dimension | n items | " + " | ".join(CI_UNITS) + " |")
    print("|---|---|" + "---|" * len(CI_UNITS))
    out = {"sims": n, "seed": args.seed, "coverage": {}, "fwer": {}, "power": {}}
    for j, (f, d) in enumerate(DIMENSIONS):
        cells = [f"{res['cover'][u][:, j].mean():.3f}" for u in CI_UNITS]
        print(f"| {f}/{d} | {int(design.n_items[j])} | " + " | ".join(cells) + " |")
        out["coverage"][f"{f}/{d}"] = {u: float(res["cover"][u][:, j].mean()) for u in CI_UNITS}
    print("| **overall** | | " + " | ".join(f"**{res['cover'][u].mean():.3f}**" for u in CI_UNITS) + " |")
    print("| lowest dimension | | " + " | ".join(f"{res['cover'][u].mean(axis=0).min():.3f}" for u in CI_UNITS)
          + " |")
    print("| mean width | | " + " | ".join(f"{res['width'][u].mean():.3f}" for u in CI_UNITS) + " |")
    out["coverage"]["overall"] = {u: float(res["cover"][u].mean()) for u in CI_UNITS}
    print("\nNull comparisons (same true item means, independent prompt noise), share with >= 1 'significant' "
          "dimension at 0.05:\n")
    print("| | " + " | ".join(CI_UNITS) + " |")
    print("|---|" + "---|" * len(CI_UNITS))
    print("| uncorrected p | " + " | ".join(f"{res['null_raw'][u].mean():.3f}" for u in CI_UNITS) + " |")
    print("| Holm p_adjusted (FWER) | " + " | ".join(f"{res['null_any'][u].mean():.3f}" for u in CI_UNITS) + " |")
    out["fwer"] = {u: {"uncorrected": float(res["null_raw"][u].mean()), "holm": float(res["null_any"][u].mean())}
                   for u in CI_UNITS}
    print(f"\nPlanted shift of {SHIFT} on one dimension's items: share found (Holm p_adjusted < 0.05):\n")
    print("| dimension | " + " | ".join(CI_UNITS) + " |")
    print("|---|" + "---|" * len(CI_UNITS))
    for k, (f, d) in enumerate(res["targets"]):
        print(f"| {f}/{d} | " + " | ".join(f"{res['found'][u][:, k].mean():.3f}" for u in CI_UNITS) + " |")
        out["power"][f"{f}/{d}"] = {u: float(res["found"][u][:, k].mean()) for u in CI_UNITS}
    print(f"\n{time.perf_counter() - t0:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
