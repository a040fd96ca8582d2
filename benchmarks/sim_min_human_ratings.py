"""Simulation behind deviation.ceiling.MIN_HUMAN_RATINGS (docs/deviation.md, "How many human ratings").

Truth: each item's rating distribution over all of the release's raters (about 47 per item). For n human ratings
drawn from it, a *perfect* model (6 samples from the truth) and a model *one point off* (6 samples from the truth
shifted one option up, 6 stays 6) are scored with 1 - JS and 1 - W1/5 against the n-rating human distribution.
Reported per n: the mean scores of both, and the share of items where the perfect model scores higher (0.5 =
the score cannot tell them apart). Seeded; run: VALUEPORTRAIT_RAW=... python benchmarks/sim_min_human_ratings.py
"""

import os
import warnings

import numpy as np

from valueportrait.builders.release import from_release
from valueportrait.deviation import js_alignment, rating_distributions, wasserstein_alignment


def main(n_sim: int = 200, samples: int = 6) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = from_release(os.environ.get("VALUEPORTRAIT_RAW", "../shared/upstream"))
    h = data.human_ratings
    items = sorted(h["item_id"].unique())
    counts, n = rating_distributions(h["item_id"], h["rating"].to_numpy(float), items)
    q = counts / n[:, None]
    q_off = np.concatenate([np.zeros((len(q), 1)), q[:, :-2], q[:, -2:].sum(axis=1, keepdims=True)], axis=1)
    rng = np.random.default_rng(0)
    print(f"{len(items)} items; truth from {int(n.min())}-{int(n.max())} raters each; model {samples} samples")
    print("n_human  js_perfect  js_off  js_share   w_perfect  w_off  w_share")
    for n_h in (1, 2, 3, 5, 8, 10, 15, 20, 30, None):  # None: the truth itself (all raters)
        hum = (np.broadcast_to(q, (n_sim, *q.shape)) if n_h is None
               else rng.multinomial(n_h, q, size=(n_sim, len(q))) / n_h)
        perfect = rng.multinomial(samples, q, size=(n_sim, len(q))) / samples
        off = rng.multinomial(samples, q_off, size=(n_sim, len(q))) / samples
        jp, jo = js_alignment(perfect, hum), js_alignment(off, hum)
        wp, wo = wasserstein_alignment(perfect, hum), wasserstein_alignment(off, hum)
        print(f"{n_h or 'all':>7}  {jp.mean():10.3f}  {jo.mean():6.3f}  {np.mean(jp > jo) + 0.5 * np.mean(jp == jo):8.3f}"
              f"   {wp.mean():9.3f}  {wo.mean():5.3f}  {np.mean(wp > wo) + 0.5 * np.mean(wp == wo):7.3f}")


if __name__ == "__main__":
    main()
