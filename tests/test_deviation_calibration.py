"""The bias index calibrated against its null (deviation.calibration): checked against a loop written out by
hand, and by simulation with a known truth (an unbiased model's interval covers 0 about 95% of the time; a
real bias is found). The end-to-end simulation on the release is benchmarks/sim_bias_index.py
(docs/deviation.md)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from valueportrait.deviation.calibration import calibrated_bias, null_bias_replicates


def test_null_replicates_and_calibration_equal_a_hand_written_loop():
    rng = np.random.default_rng(5)
    B, P, D = 300, 3, 5
    model = rng.normal(0.2, 0.1, size=(B, P, D))
    human = rng.normal(-0.1, 0.2, size=(B, P, D))
    human[7, 1, 2] = np.nan  # a replicate that scored no item of a dimension
    null = null_bias_replicates(model, human)
    ref = []
    for b in range(B):
        terms = []
        for p in range(P):
            for d in range(D):
                m_mean = sum(model[k, p, d] for k in range(B)) / B
                h_vals = [human[k, p, d] for k in range(B) if not np.isnan(human[k, p, d])]
                e = (model[b, p, d] - m_mean) - (human[b, p, d] - sum(h_vals) / len(h_vals))
                if not np.isnan(e):
                    terms.append(abs(e))
        ref.append(sum(terms) / len(terms))
    np.testing.assert_allclose(null, ref, rtol=1e-12)

    observed = 0.31
    got = calibrated_bias(observed, null, 0.9)
    q05, q95 = np.percentile(ref, [5, 95])  # numpy's default (linear) quantiles
    assert got["bias_null"] == pytest.approx(np.mean(ref), rel=1e-12)
    assert got["bias_excess"] == pytest.approx(observed - np.mean(ref), rel=1e-12)
    assert got["bias_excess_ci_low"] == pytest.approx(observed - q95, rel=1e-12)
    assert got["bias_excess_ci_high"] == pytest.approx(observed - q05, rel=1e-12)
    assert got["bias_p"] == pytest.approx((1 + sum(r >= observed for r in ref)) / (1 + B), rel=1e-12)
    assert all(np.isnan(v) for v in calibrated_bias(np.nan, null).values())


def _simulate(delta: np.ndarray, rng: np.random.Generator, runs: int, B: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Known truth: true model gap - true human gap = delta (P, D). Each side's observed gaps carry normal noise
    (model sd 0.15 correlated across dimensions, human sd 0.1), and its bootstrap replicates scatter about the
    observed gaps with the same noise (what a bootstrap estimates). Returns (CI covers 0, CI above 0) per run."""
    P, D = delta.shape
    corr = 0.3 * np.ones((D, D)) + 0.7 * np.eye(D)
    L = np.linalg.cholesky(corr)

    def noise(sd: float, *shape: int) -> np.ndarray:
        return sd * rng.standard_normal((*shape, P, D)) @ L.T

    covers, above = [], []
    for _ in range(runs):
        gm, gh = delta + noise(0.15), noise(0.1)
        observed = float(np.mean(np.abs(gm - gh)))
        r = calibrated_bias(observed, null_bias_replicates(gm + noise(0.15, B), gh + noise(0.1, B)), 0.95)
        covers.append(r["bias_excess_ci_low"] <= 0 <= r["bias_excess_ci_high"])
        above.append(r["bias_excess_ci_low"] > 0)
    return np.array(covers), np.array(above)


def test_unbiased_interval_covers_zero_at_the_nominal_rate_and_a_bias_is_found():
    """400 unbiased runs: the interval covers 0 at a rate whose 99% Clopper-Pearson interval contains 0.95 (a
    miscalibrated interval, e.g. the raw percentile interval of the index, covers 0 in none); a 1-point bias on
    2 of 10 dimensions is found (interval above 0) in at least 80% of 200 runs."""
    rng = np.random.default_rng(22)
    covers, above = _simulate(np.zeros((1, 10)), rng, 400)
    ci = binomtest(int(covers.sum()), covers.size).proportion_ci(0.99, method="exact")
    assert ci.low <= 0.95 <= ci.high, covers.mean()
    assert above.mean() <= 0.05
    planted = np.zeros((1, 10))
    planted[0, :2] = 1.0
    assert _simulate(planted, rng, 200)[1].mean() >= 0.8
