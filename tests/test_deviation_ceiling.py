"""Distribution alignment against its ceilings, on SYNTHETIC distributions where the truth is known.

A perfect replica (samples drawn from the human distribution) must score at its ceiling on average; the
ceiling itself is checked against exact values for distributions where it can be worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from valueportrait.deviation import distribution_alignment, js_alignment
from valueportrait.deviation.ceiling import (MIN_HUMAN_RATINGS, alignment_with_ceilings, replica_alignment,
                                             split_half_alignment)


def test_replica_ceiling_exact_cases():
    rng = np.random.default_rng(0)
    # humans split evenly over options 3 and 4; one model sample lands on one of them: JS alignment between a
    # point mass and (1/2, 1/2) is 1 - sqrt(1 - 1/2 log2(...)) = 0.442077 (js_alignment's doctest); W1 = 1/2,
    # so 1 - 0.5/5 = 0.9 -- whichever option is drawn, so the expectation is exact
    counts = np.array([[0, 0, 5, 5, 0, 0.]])
    r = replica_alignment(counts, np.array([1]), rng, n_sim=50)
    assert r["js"] == pytest.approx(0.442077, abs=1e-6) and r["wasserstein"] == pytest.approx(0.9)
    # two samples: both on one option (prob 1/2, JS 0.442077) or one each (prob 1/2, JS 1)
    r2 = replica_alignment(counts, np.array([2]), np.random.default_rng(1), n_sim=20000)
    assert r2["js"] == pytest.approx((0.442077 + 1) / 2, abs=0.01)
    assert r2["wasserstein"] == pytest.approx((0.9 + 1) / 2, abs=0.002)


def test_perfect_replica_scores_at_its_ceiling_on_average():
    """Truth: 40 items with known rating distributions; the humans' counts are 30 ratings per item; a perfect
    replica draws 6 samples per item from the humans' distribution. Over 300 independent replica models its
    mean observed score equals the ceiling (up to Monte Carlo error), and a model one option off scores lower."""
    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(6) * 2, size=40)
    human = rng.multinomial(30, q).astype(float)
    ceiling = replica_alignment(human, np.full(40, 6), np.random.default_rng(8), n_sim=2000)
    observed = [distribution_alignment(rng.multinomial(6, human / 30).astype(float), human)["js"] for _ in range(300)]
    assert np.mean(observed) == pytest.approx(ceiling["js"], abs=0.005)
    shifted = np.roll(human, 1, axis=1)
    off = distribution_alignment(rng.multinomial(6, shifted / 30).astype(float), human)["js"]
    assert off < ceiling["js"] - 0.05


def test_split_half_of_identical_raters_is_perfect_and_noise_lowers_it():
    rng = np.random.default_rng(3)
    # 20 raters x 5 items, every rater gives item i the rating i + 1: both halves have the same distribution
    same = np.tile(np.arange(1.0, 6.0), (20, 1))
    strata = np.repeat([0, 1], 10)
    r = split_half_alignment(same, strata, np.ones(5, bool), rng, n_splits=20)
    assert r["js"] == pytest.approx(1.0) and r["wasserstein"] == pytest.approx(1.0)
    noisy = rng.integers(1, 7, size=(20, 5)).astype(float)
    assert split_half_alignment(noisy, strata, np.ones(5, bool), rng)["js"] < 0.9
    # items no half can cover (NaN everywhere) give NaN
    assert np.isnan(split_half_alignment(np.full((4, 2), np.nan), np.zeros(4), np.ones(2, bool), rng)["js"])


def test_min_human_ratings_default_and_report_columns():
    assert MIN_HUMAN_RATINGS == 10  # docs/deviation.md: the simulation that chose it
    model = np.array([[0, 3, 3, 0, 0, 0.], [0, 3, 3, 0, 0, 0.]])
    human = np.array([[0, 5, 5, 0, 0, 0.], [0, 1, 1, 0, 0, 0.]])  # item 2 has 2 human ratings: left out
    ratings = np.full((10, 2), np.nan)
    ratings[:, 0] = [2, 3] * 5
    ratings[:2, 1] = [2, 3]
    out = alignment_with_ceilings(model, human, ratings, np.zeros(10), np.random.default_rng(0))
    assert out["n_items"] == 1 and np.isnan(out["item_js"][1])
    assert out["js"] == pytest.approx(1.0)  # the model's distribution equals the humans'
    assert out["js_replica"] < 1.0 and out["js_split_half"] <= 1.0
    assert float(js_alignment(model[0], human[0])) == pytest.approx(1.0)
