"""How close a truly perfect model comes to the distribution-alignment ceiling (issue 22, point 4).

Truth: each item's rating distribution over all of the release's raters (about 47 per item). Per simulation,
n human ratings are drawn from the truth (the "observed" humans) and a *perfect* model draws 6 samples from the
truth; its observed score is 1 - JS against the n-rating human distribution. Three ceilings are computed from the
observed human counts alone, as the package can:

* ``one-sided`` (``deviation.ceiling.replica_alignment`` today): model samples drawn from the human distribution,
  compared with that same distribution (no sampling noise on the human side);
* ``both sides, plug-in``: model samples and n new human ratings both drawn from the human distribution;
* ``both sides, posterior``: a truth drawn from the Dirichlet(counts + 1) posterior of each item, then model
  samples and n human ratings both drawn from it.

Reported: mean observed / mean ceiling per n (the issue's target for a ceiling: 0.95-1.05 at 10, 20 and 45).
A second truth, SYNTHETIC peaked distributions (Dirichlet(0.5) per item), checks that the ratio does not hinge on
the release's items. Seeded; run: VALUEPORTRAIT_RAW=... python benchmarks/sim_ceiling.py
"""

from __future__ import annotations

import warnings

import numpy as np

from valueportrait.deviation import js_alignment, rating_distributions


def ratios(q: np.ndarray, rng: np.random.Generator, n_sim: int = 200, samples: int = 6) -> None:
    for n_h in (10, 20, 45):
        hum = rng.multinomial(n_h, q, size=(n_sim, len(q)))
        observed = js_alignment(rng.multinomial(samples, q, size=(n_sim, len(q))) / samples, hum / n_h).mean()
        qh = hum / n_h
        one = js_alignment(rng.multinomial(samples, qh) / samples, qh).mean()
        plug = js_alignment(rng.multinomial(samples, qh) / samples, rng.multinomial(n_h, qh) / n_h).mean()
        g = rng.gamma(hum + 1.0)
        qs = g / g.sum(axis=-1, keepdims=True)
        post = js_alignment(rng.multinomial(samples, qs) / samples, rng.multinomial(n_h, qs) / n_h).mean()
        print(f"{n_h:>8}  {observed:8.3f}  {one:6.3f} ({observed / one:.3f})  {plug:6.3f} ({observed / plug:.3f})  "
              f"{post:6.3f} ({observed / post:.3f})")


def main() -> None:
    from valueportrait.builders.release import from_release

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = from_release()
    h = data.human_ratings
    items = sorted(h["item_id"].unique())
    counts, n = rating_distributions(h["item_id"], h["rating"].to_numpy(float), items)
    header = "n_human  observed  one-sided (ratio)  both plug-in (ratio)  both posterior (ratio)"
    print(f"truth: the release's {len(items)} items ({int(n.min())}-{int(n.max())} raters each); perfect model, 6 samples")
    print(header)
    ratios(counts / n[:, None], np.random.default_rng(0))
    print("truth: SYNTHETIC peaked items, Dirichlet(0.5), 520 items")
    print(header)
    rng = np.random.default_rng(1)
    ratios(rng.dirichlet(np.full(6, 0.5), size=520), rng)


if __name__ == "__main__":
    main()
