"""Cronbach's alpha and Feldt's CI, checked against an independent computation; the build's reliability report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from valueportrait.builders.reliability import (cronbach_alpha, reliability_by_group, reliability_report,
                                                summarise_reliability)
from valueportrait.scale import FAMILIES


def _reference_alpha(x: np.ndarray, ci: float = 0.95) -> tuple[float, float, float]:
    """Independent computation: the covariance form of alpha, k * mean cov / (mean var + (k - 1) * mean cov),
    written as plain loops, and Feldt's interval from scipy.stats.f (as pingouin.cronbach_alpha does)."""
    n, k = x.shape
    means = [sum(x[i, j] for i in range(n)) / n for j in range(k)]
    cov = [[sum((x[i, a] - means[a]) * (x[i, b] - means[b]) for i in range(n)) / (n - 1) for b in range(k)]
           for a in range(k)]
    mean_var = sum(cov[j][j] for j in range(k)) / k
    mean_cov = sum(cov[a][b] for a in range(k) for b in range(k) if a != b) / (k * (k - 1))
    alpha = k * mean_cov / (mean_var + (k - 1) * mean_cov)
    d1, d2 = n - 1, (n - 1) * (k - 1)
    g = 1 - ci
    return alpha, 1 - (1 - alpha) * stats.f.isf(g / 2, d1, d2), 1 - (1 - alpha) * stats.f.isf(1 - g / 2, d1, d2)


@pytest.mark.parametrize("n, k, seed", [(5, 3, 0), (12, 2, 1), (41, 7, 2), (48, 13, 3)])
def test_alpha_and_ci_equal_an_independent_computation(n, k, seed):
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    x = np.clip(np.round(3.5 + trait + rng.normal(size=(n, k))), 1, 6)
    np.testing.assert_allclose(cronbach_alpha(x), _reference_alpha(x), rtol=0, atol=1e-10)


def test_alpha_textbook_values():
    # Perfectly parallel items: alpha = 1; uncorrelated columns with equal variance: alpha = 0 exactly
    x = np.array([[1, 1], [2, 2], [3, 3], [4, 4]], dtype=float)
    assert cronbach_alpha(x)[0] == pytest.approx(1.0)
    y = np.array([[1, 1], [1, 2], [2, 1], [2, 2]], dtype=float)
    assert cronbach_alpha(y)[0] == pytest.approx(0.0, abs=1e-15)
    # the docstring example, by hand: item variances 2.5, 1.7, 3.3; total variance 20.3; k = 3
    z = np.array([[1, 2, 2], [3, 3, 4], [5, 4, 5], [2, 2, 1], [4, 5, 5]], dtype=float)
    assert cronbach_alpha(z)[0] == pytest.approx(1.5 * (1 - 7.5 / 20.3), abs=1e-15)


def test_alpha_degenerate_inputs():
    assert all(math.isnan(v) for v in cronbach_alpha(np.full((5, 3), 4.0)))
    with pytest.raises(ValueError, match="at least 3 subjects and 2 items"):
        cronbach_alpha(np.ones((5, 1)))


def _group_block(release_data, family, dim, group):
    sel = release_data.selection()
    r = release_data.human_ratings
    items = sel[(sel["family"] == family) & (sel["dimension"] == dim)]["item_id"]
    block = r[(r["survey_group"] == group) & r["item_id"].isin(items)]
    return block.pivot(index="participant_id", columns="item_id", values="rating").to_numpy(float)


def test_real_data_per_group_rows(release_data):
    rel = release_data.build_info["reliability"]
    by_group = pd.DataFrame(rel["by_group"])
    assert rel["ci_level"] == 0.95
    assert (by_group["items"] >= 2).all()
    # recompute three rows independently from the ratings
    for family, dim, group in [("pvq", "Stimulation", 9), ("bfi", "Agreeableness", 1), ("higher_pvq", "Conservation", 3)]:
        row = by_group[(by_group["family"] == family) & (by_group["dimension"] == dim) & (by_group["survey_group"] == group)]
        assert len(row) == 1, (family, dim, group)
        x = _group_block(release_data, family, dim, group)
        assert (row["items"].item(), row["raters"].item()) == (x.shape[1], x.shape[0])
        np.testing.assert_allclose(row[["alpha", "ci_low", "ci_high"]].to_numpy()[0], _reference_alpha(x), atol=1e-10)
    # pvq Stimulation in survey group 9: 13 selected items, 48 raters (upstream survey.json, published selection)
    row = by_group[(by_group["dimension"] == "Stimulation") & (by_group["survey_group"] == 9)].iloc[0]
    assert (row["items"], row["raters"]) == (13, 48)


def test_summary_per_dimension(release_data):
    summary = pd.DataFrame(release_data.build_info["reliability"]["dimensions"])
    assert list(zip(summary["family"], summary["dimension"])) == [(f, d) for f, dims in FAMILIES.items() for d in dims]
    sel = release_data.selection()
    # selected (item, dimension) pairs of the published selection: pvq 284 + higher_pvq 114 + bfi 227 (build report)
    assert summary["items"].sum() == len(sel) == 625
    by_group = pd.DataFrame(release_data.build_info["reliability"]["by_group"])
    for row in summary.itertuples():
        g = by_group[(by_group["family"] == row.family) & (by_group["dimension"] == row.dimension)]
        assert row.groups_usable == len(g)
        assert row.alpha_median == pytest.approx(g["alpha"].median())
        assert row.alpha_min <= row.alpha_median <= row.alpha_max
    # Neuroticism: 5 items, only one survey group holds >= 2 of them
    neu = summary[summary["dimension"] == "Neuroticism"].iloc[0]
    assert (neu["items"], neu["groups_usable"]) == (5, 1)


def test_negative_keys_are_reverse_scored(release_data):
    # in mode abs, an item with key -1 enters alpha as 7 - rating: flipping an item's key and its ratings
    # together leaves alpha unchanged
    r = release_data.human_ratings
    sel = release_data.selection()
    sel = sel[(sel["dimension"] == "Stimulation")]
    base = reliability_by_group(r, sel)
    first = sel["item_id"].iloc[0]
    flipped_sel = sel.assign(key=np.where(sel["item_id"] == first, -1, sel["key"]))
    flipped_r = r.assign(rating=np.where(r["item_id"] == first, 7 - r["rating"], r["rating"]))
    flipped = reliability_by_group(flipped_r, flipped_sel)
    np.testing.assert_allclose(base["alpha"], flipped["alpha"], atol=1e-12)
    summary = summarise_reliability(base, sel)
    assert summary.loc[summary["dimension"] == "Stimulation", "items"].item() == 43  # selected Stimulation items


def test_report_method_names_its_ci_level(release_data):
    assert release_data.build_info["reliability"]["method"].endswith("; 95% CI by Feldt, Woodruff & Salih (1987)")
    sel = release_data.selection()
    sel = sel[sel["dimension"] == "Neuroticism"]  # one usable group: quick
    report = reliability_report(release_data.human_ratings, sel, ci=0.9)
    assert report["ci_level"] == 0.9 and "; 90% CI by Feldt" in report["method"]
