"""Intervals with a named unit (scoring.intervals): each unit against an independent computation.

Where a unit reduces to a textbook test (an uncentred one-item dimension: Welch's t; an uncentred dimension's
jackknife: the one-sample and paired t), the expected numbers come from scipy; elsewhere from the hand formulas
of docs/metric.md, computed here with pandas and loops rather than the library's vectorised code.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from valueportrait.errors import InputError
from valueportrait.settings import Intervals
from valueportrait.scale import DIMENSIONS
from valueportrait.scoring import (CI_UNITS, HUMAN_CI_UNITS, Design, compare_portraits, interval_portrait,
                                   linear_coefficients, score_humans, score_matrix, score_portrait)
from valueportrait.scoring.intervals import VARIANTS_NOTE

SEL = pd.DataFrame([
    ("a", "pvq", "Power", 1), ("b", "pvq", "Power", 1), ("c", "pvq", "Security", 1), ("d", "pvq", "Security", 1),
    ("e", "pvq", "Security", -1), ("f", "pvq", "Hedonism", 1), ("f", "bfi", "Openness", 1),
    ("g", "bfi", "Openness", 1), ("h", "bfi", "Neuroticism", 1),
], columns=["item_id", "family", "dimension", "key"])
COL = {d: DIMENSIONS.index((f, d)) for f, d in DIMENSIONS}


def table(by_item: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([(i, r) for i, rs in by_item.items() for r in rs], columns=["item_id", "rating"])


@pytest.mark.parametrize("center", [True, False, "others"])
def test_linear_coefficients_equal_score_matrix_on_random_inputs(center, release_data):
    rng = np.random.default_rng(5)
    for sel in (SEL, release_data.selection()):
        design = Design.from_selection(sel)
        for _ in range(5):
            M = rng.uniform(1, 6, len(design.item_ids))
            M[rng.random(len(M)) < 0.2] = np.nan
            C, c0 = linear_coefficients(design, ~np.isnan(M), center=center)
            got = np.nan_to_num(M) @ C + c0  # a dimension without a defined score has a NaN column
            want = score_matrix(M, design, center=center).score[0]
            np.testing.assert_allclose(got, want, atol=1e-12, equal_nan=True)
            assert np.array_equal(np.isnan(got), np.isnan(want))


def test_variants_hand_formula():
    # items: ratings over 3 variants; s_i^2 and m_i by pandas, C_i by finite differences of score_portrait
    r = table({"a": [6, 5, 6], "b": [4, 4, 5], "c": [2, 1, 1], "d": [3, 3, 3], "e": [2, 4, 3], "f": [5, 6, 4],
               "g": [3, 2, 2], "h": [1, 2, 4]})
    got = interval_portrait(r, SEL, ci_over="variants").set_index("dimension")
    g = r.groupby("item_id")["rating"]
    var, m, means = g.var(ddof=1), g.count(), g.mean()
    base = score_portrait(means, SEL).set_index("dimension")["score"]
    for dim in ("Power", "Security", "Openness", "Neuroticism"):
        coef = {}
        for i in means.index:
            bumped = means.copy()
            bumped[i] += 1.0
            coef[i] = score_portrait(bumped, SEL).set_index("dimension").loc[dim, "score"] - base[dim]
        a = pd.Series({i: coef[i] ** 2 * var[i] / m[i] for i in means.index})
        se = np.sqrt(a.sum())
        df = a.sum() ** 2 / (a ** 2 / (m - 1)).sum()
        half = stats.t.ppf(0.975, df) * se
        assert got.loc[dim, "se"] == pytest.approx(se, rel=1e-9)
        assert got.loc[dim, "df"] == pytest.approx(df, rel=1e-9)
        assert got.loc[dim, "ci_low"] == pytest.approx(base[dim] - half, rel=1e-9)
        assert got.loc[dim, "ci_high"] == pytest.approx(base[dim] + half, rel=1e-9)
    assert (got["ci_over"] == "variants").all()


def test_variants_welch_t_equals_scipy():
    # uncentred, one item per dimension: the score is the item's mean rating, and the comparison of two models
    # on it is Welch's two-sample t test over their ratings of that item
    sel = pd.DataFrame({"item_id": ["a"], "family": ["pvq"], "dimension": ["Power"], "key": [1]})
    xa, xb = [6, 5, 5, 6, 4, 6], [3, 4, 4, 2, 5, 3, 3]
    c = compare_portraits(table({"a": xa}), table({"a": xb}), sel, center=False).set_index("dimension")
    want = stats.ttest_ind(xa, xb, equal_var=False)
    lo, hi = want.confidence_interval(0.95)
    assert c.loc["Power", "p_value"] == pytest.approx(want.pvalue, rel=1e-9)
    assert c.loc["Power", "df"] == pytest.approx(want.df, rel=1e-9)
    assert (c.loc["Power", "ci_low"], c.loc["Power", "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_items_jackknife_equals_the_t_tests_uncentred():
    # uncentred: a dimension's score is the mean of its items' means, its jackknife SE is s / sqrt(n) and its
    # interval the one-sample t interval; the paired difference of two models is the paired t test
    ra = {"a": [5], "b": [3], "c": [6], "d": [2], "e": [4], "f": [5], "g": [1], "h": [2]}
    rb = {"a": [4], "b": [4], "c": [3], "d": [3], "e": [5], "f": [3], "g": [1], "h": [6]}
    got = interval_portrait(table(ra), SEL, ci_over="items", center=False).set_index("dimension")
    sec = [ra["c"][0], ra["d"][0], 7 - ra["e"][0]]  # Security, e reverse scored
    want = stats.ttest_1samp(sec, 0.0).confidence_interval(0.95)
    assert got.loc["Security", "df"] == 2
    assert (got.loc["Security", "ci_low"], got.loc["Security", "ci_high"]) == (pytest.approx(want.low),
                                                                             pytest.approx(want.high))
    c = compare_portraits(table(ra), table(rb), SEL, ci_over="items", center=False).set_index("dimension")
    sec_b = [rb["c"][0], rb["d"][0], 7 - rb["e"][0]]
    assert c.loc["Security", "p_value"] == pytest.approx(stats.ttest_rel(sec, sec_b).pvalue, rel=1e-9)


def test_items_jackknife_centred_by_loop():
    # leave each item out by filtering the table and rescoring (a loop, not the W = 1 - eye call); strata for a
    # dimension: its own items and the rest of its family; SE^2 = sum_h (n_h - 1)/n_h sum (theta_i - mean_h)^2
    r = {"a": [5], "b": [3], "c": [6], "d": [2], "e": [4], "f": [5], "g": [1], "h": [2]}
    got = interval_portrait(table(r), SEL, ci_over="items").set_index("dimension")
    loo = {i: score_portrait(table({k: v for k, v in r.items() if k != i}), SEL).set_index("dimension")["score"]
           for i in r}
    for dim, own, rest in [("Security", "cde", "abf"), ("Power", "ab", "cdef"), ("Openness", "fg", "h")]:
        se2 = 0.0
        for stratum in (own, rest):
            th = np.array([loo[i][dim] for i in stratum])
            if len(th) > 1:
                se2 += (len(th) - 1) / len(th) * ((th - th.mean()) ** 2).sum()
        assert got.loc[dim, "se"] == pytest.approx(np.sqrt(se2), rel=1e-9)
        assert got.loc[dim, "df"] == len(own) - 1
    assert np.isnan(got.loc["Neuroticism", "ci_low"])  # one item: no spread to estimate
    assert got.loc["Neuroticism", "note"] == "needs >= 2 rated items of the dimension for ci_over='items' (has 1)"


def test_items_plus_variants_adds_the_variances():
    r = table({"a": [6, 5], "b": [4, 4], "c": [2, 1], "d": [3, 4], "e": [2, 4], "f": [5, 6], "g": [3, 2],
               "h": [1, 2]})
    v, i, both = (interval_portrait(r, SEL, ci_over=u).set_index("dimension") for u in CI_UNITS)
    for dim in ("Power", "Security", "Openness"):
        va, vb = v.loc[dim, "se"] ** 2, i.loc[dim, "se"] ** 2
        assert both.loc[dim, "se"] == pytest.approx(np.sqrt(va + vb))
        ws = (va + vb) ** 2 / (va ** 2 / v.loc[dim, "df"] + vb ** 2 / i.loc[dim, "df"])
        assert both.loc[dim, "df"] == pytest.approx(ws)


def test_one_rating_per_item_gives_null_variants_intervals_with_a_note():
    r = table({"a": [5], "b": [3], "c": [6], "d": [2], "e": [4], "f": [5], "g": [1], "h": [2]})
    got = interval_portrait(r, SEL, ci_over="variants")
    assert got["score"].notna().sum() == 5 and got["ci_low"].isna().all() and got["ci_high"].isna().all()
    assert (got.loc[got["score"].notna(), "note"] == VARIANTS_NOTE).all()
    # one item with one rating in pvq nulls pvq's intervals only (it enters the family mean); bfi keeps its own
    r2 = table({"a": [5, 6], "b": [3, 3], "c": [6], "d": [2, 3], "e": [4, 4], "f": [5, 5], "g": [1, 2],
                "h": [2, 2]}).set_index("item_id")
    got = interval_portrait(r2.reset_index(), SEL).set_index("dimension")
    assert got.loc[["Power", "Security", "Hedonism"], "ci_low"].isna().all()
    assert got.loc[["Openness", "Neuroticism"], "ci_low"].notna().all()


def test_unknown_unit_is_an_error_listing_the_choices():
    r = table({"a": [5, 6]})
    with pytest.raises(InputError, match="choose one of: variants, items, items[+]variants"):
        interval_portrait(r, SEL, ci_over="prompts")
    with pytest.raises(InputError, match="choose one of: variants, items, items[+]variants"):
        compare_portraits(r, r, SEL, ci_over="raters")


def test_human_units(release_data):
    data = release_data
    sel = data.selection()
    assert set(HUMAN_CI_UNITS.values()) == {"raters", "items", "items+raters"}
    raters = score_humans(data.human_ratings, sel, intervals=Intervals(over="raters", n_boot=100, seed=1))
    items = score_humans(data.human_ratings, sel, intervals=Intervals(over="items", n_boot=100, seed=1))
    both = score_humans(data.human_ratings, sel, intervals=Intervals(over="items+raters", n_boot=100, seed=1))
    # items: the human item means through the same jackknife as a model's items unit
    means = data.human_ratings.groupby("item_id")["rating"].mean()
    model_like = interval_portrait(means, sel, ci_over="items")
    np.testing.assert_allclose(items["ci_low"], model_like["ci_low"], atol=1e-12)
    np.testing.assert_allclose(both["se"], np.sqrt(raters["se"] ** 2 + items["se"] ** 2), rtol=1e-12)
    assert list(raters["ci_over"].unique()) == ["raters"] and list(both["ci_over"].unique()) == ["items+raters"]
    with pytest.raises(InputError, match="choose one of: raters, items, items[+]raters"):
        score_humans(data.human_ratings, sel, intervals=Intervals(over="variants", n_boot=0))
