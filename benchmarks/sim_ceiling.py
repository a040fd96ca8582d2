"""Does a truly perfect model reach the distribution-alignment ceiling? (issue 22, point 4)

Truth: each item's rating distribution. Per simulation, n human ratings per item are drawn from the truth (the
"observed" humans) and a *perfect* model draws 6 samples per item from the truth; its observed score is the mean
over items of 1 - JS (and 1 - W1/5) against the n-rating human distribution. The ceilings are computed from the
observed human counts alone, as the package can:

* ``one-sided`` (the package's ceiling before 0.2.1): model samples drawn from the observed human distribution,
  compared with that same distribution (no sampling noise on the human side);
* ``plug-in``: model samples and n new human ratings both drawn from the observed human distribution;
* ``posterior, Dirichlet(counts + 1)``: a truth drawn from each item's posterior under a uniform prior, then
  model samples and n human ratings both drawn from it;
* ``posterior, empirical Bayes`` (``deviation.ceiling.replica_alignment`` now): the same with the
  Dirichlet-multinomial prior fitted to all items by maximum likelihood (``deviation.dirichlet``).

Reported: mean observed / mean ceiling per n (the target: 0.95-1.05 at 10, 20 and 45), over ``N_SIM``
simulated human samples (each with its own ceiling from ``N_CEIL`` draws). Four truths: the release's items
(each item's distribution over all of its raters, 41-48), and SYNTHETIC items drawn from Dirichlet(0.5) (peaked),
Dirichlet(0.2) (very peaked) and Dirichlet(5) (flat), 520 items each, and a mixture no single Dirichlet fits
(half very peaked, half leaning to "agree"). Seeded; run:
VALUEPORTRAIT_RAW=... python benchmarks/sim_ceiling.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from valueportrait.deviation import js_alignment, rating_distributions, wasserstein_alignment
from valueportrait.deviation.ceiling import replica_alignment

N_SIM, N_CEIL, SAMPLES = 40, 100, 6


def _score(model: np.ndarray, human: np.ndarray) -> np.ndarray:
    """(JS, W) alignment of count arrays, mean over items (axis -2): shape (..., 2)."""
    p, q = model / model.sum(-1, keepdims=True), human / human.sum(-1, keepdims=True)
    return np.stack([js_alignment(p, q).mean(-1), wasserstein_alignment(p, q).mean(-1)], axis=-1)


def ratios(q: np.ndarray, rng: np.random.Generator) -> None:
    n_items = len(q)
    for n_h in (10, 20, 45):
        observed, ceilings = [], {k: [] for k in ("one-sided", "plug-in", "Dirichlet(c+1)", "empirical Bayes")}
        for _ in range(N_SIM):
            hum = rng.multinomial(n_h, q).astype(float)  # one observed human sample (I, K)
            observed.append(_score(rng.multinomial(SAMPLES, q, size=(N_CEIL, n_items)), hum).mean(0))
            qh = hum / n_h
            ceilings["one-sided"].append(_score(rng.multinomial(SAMPLES, qh, size=(N_CEIL, n_items)),
                                                np.broadcast_to(qh, (N_CEIL, *qh.shape))).mean(0))
            ceilings["plug-in"].append(_score(rng.multinomial(SAMPLES, qh, size=(N_CEIL, n_items)),
                                              rng.multinomial(n_h, qh, size=(N_CEIL, n_items))).mean(0))
            g = rng.gamma(hum + 1.0, size=(N_CEIL, *hum.shape))
            qs = g / g.sum(-1, keepdims=True)
            ceilings["Dirichlet(c+1)"].append(_score(rng.multinomial(SAMPLES, qs), rng.multinomial(n_h, qs)).mean(0))
            eb = replica_alignment(hum, np.full(n_items, SAMPLES), rng, n_sim=N_CEIL)
            ceilings["empirical Bayes"].append(np.array([eb["js"], eb["wasserstein"]]))
        obs = np.mean(observed, axis=0)
        ratio = [obs / np.mean(c, axis=0) for c in ceilings.values()]
        cells = "  ".join(f"{r[0]:6.3f} / {r[1]:5.3f}" for r in ratio)
        print(f"{n_h:>3}  {obs[0]:6.3f} / {obs[1]:5.3f}  {cells}")


def main() -> None:
    from valueportrait.builders.release import from_release

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = from_release()
    h = data.human_ratings
    items = sorted(h["item_id"].unique())
    counts, n = rating_distributions(h["item_id"], h["rating"].to_numpy(float), items)
    header = ("  n  observed JS / W  ratio JS / W: one-sided       plug-in    Dirichlet(c+1)  empirical Bayes")
    t0 = time.perf_counter()
    print(f"perfect model, {SAMPLES} samples per item; {N_SIM} human samples x {N_CEIL} ceiling draws per cell\n")
    print(f"truth: the release's {len(items)} items ({int(n.min())}-{int(n.max())} raters each)")
    print(header)
    ratios(counts / n[:, None], np.random.default_rng(0))
    for seed, conc, label in ((1, 0.5, "peaked"), (2, 0.2, "very peaked"), (3, 5.0, "flat")):
        rng = np.random.default_rng(seed)
        print(f"\ntruth: SYNTHETIC {label} items, Dirichlet({conc}), 520 items")
        print(header)
        ratios(rng.dirichlet(np.full(6, conc), size=520), rng)
    rng = np.random.default_rng(4)
    print("\ntruth: SYNTHETIC mixture, a prior the fit cannot match: 260 items Dirichlet(0.2) + 260 items "
          "Dirichlet(1, 2, 4, 8, 8, 4)")
    print(header)
    ratios(np.concatenate([rng.dirichlet(np.full(6, 0.2), size=260),
                           rng.dirichlet(np.array([1, 2, 4, 8, 8, 4.0]), size=260)]), rng)
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
