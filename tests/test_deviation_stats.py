"""Hand-computed small cases for every deviation statistic, and checks against scipy."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import pearsonr, spearmanr, wasserstein_distance

from valueportrait.deviation import (bias_index, deviation_ci, distribution_alignment, gap_comparison, js_alignment,
                                     parse_group_label, permutation_gap_pvalue, profile_agreement, rating_distributions,
                                     read_persona_map, wasserstein_alignment)
from valueportrait.errors import InputError
from valueportrait.scale import DIMENSIONS
from valueportrait.scoring import Design
from valueportrait.scoring import score_portrait
from tiny_selection import RATINGS, ROW, SEL


def test_score_portrait_hand_computed():
    # The reference score_matrix is checked against (valueportrait.scoring.score_portrait), by hand:
    # item means: i1 (4+6)/2 = 5, i2 3, i3 2 (NaN ignored), i4 6.
    # pvq valid items i1, i2, i3: family mean (5+3+2)/3 = 10/3.
    # Power raw (5+3)/2 = 4 -> score 4 - 10/3 = 2/3, population std of (5, 3) = 1, n 2.
    # Security raw 2 -> -4/3. Tradition (reverse keyed) raw 7 - 2 = 5, centred on 7 - 10/3 = 11/3 -> 4/3.
    # bfi valid i4, i1: family mean 5.5; Openness raw 5.5 -> 0.
    out = score_portrait(RATINGS, SEL).set_index(["family", "dimension"])
    assert list(out.index) == list(DIMENSIONS)
    assert out.loc[("pvq", "Power"), "score"] == pytest.approx(2 / 3)
    assert out.loc[("pvq", "Power"), "std"] == pytest.approx(1.0)
    assert out.loc[("pvq", "Power"), "n"] == 2
    assert out.loc[("pvq", "Security"), "score"] == pytest.approx(-4 / 3)
    assert out.loc[("pvq", "Tradition"), "score"] == pytest.approx(4 / 3)
    assert out.loc[("pvq", "Tradition"), "raw_mean"] == pytest.approx(5.0)
    assert out.loc[("bfi", "Openness"), "score"] == pytest.approx(0.0)
    assert out.loc[("bfi", "Openness"), "family_mean"] == pytest.approx(5.5)
    assert np.isnan(out.loc[("pvq", "Hedonism"), "score"]) and out.loc[("pvq", "Hedonism"), "n"] == 0


def test_deviation_ci_hand_computed():
    # replicate differences: 1-0, 2-0, 3-0 = 1, 2, 3; 50% percentile interval (linear) = [1.5, 2.5]
    d, lo, hi = deviation_ci(np.array([1.0]), np.array([[1.0], [2.0], [3.0]]), np.array([0.5]),
                             np.zeros((3, 1)), confidence=0.5)
    assert (d[0], lo[0], hi[0]) == (0.5, 1.5, 2.5)
    with pytest.raises(InputError, match="same shape"):
        deviation_ci(np.zeros(1), np.zeros((3, 1)), np.zeros(1), np.zeros((2, 1)))


def test_profile_agreement_hand_computed_and_scipy():
    # x = [1,2,3], y = [1,3,2]: centred [-1,0,1], [-1,1,0]; r = 1 / sqrt(2*2) = 0.5; same ranks -> rho 0.5;
    # differences [0,-1,1]: RMSE sqrt(2/3), MAD 2/3.
    a = profile_agreement(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
    assert a == pytest.approx({"pearson": 0.5, "spearman": 0.5, "rmse": np.sqrt(2 / 3), "mad": 2 / 3, "n": 3})
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=10), rng.normal(size=10)
    y[3] = y[4]  # a tie
    a = profile_agreement(x, y)
    assert a["pearson"] == pytest.approx(pearsonr(x, y)[0])  # reference: scipy
    assert a["spearman"] == pytest.approx(spearmanr(x, y)[0])
    # vectorised over replicates: same as row by row
    X, Y = rng.normal(size=(4, 10)), rng.normal(size=(4, 10))
    b = profile_agreement(X, Y)
    np.testing.assert_allclose(b["pearson"], [pearsonr(X[i], Y[i])[0] for i in range(4)])
    np.testing.assert_allclose(b["spearman"], [spearmanr(X[i], Y[i])[0] for i in range(4)])
    # NaN dimensions are dropped; a constant profile has no correlation
    c = profile_agreement(np.array([1.0, np.nan, 2.0, 3.0]), np.array([1.0, 5.0, 3.0, 2.0]))
    # (1, 2, 3) vs (1, 3, 2): deviations (-1, 0, 1) and (-1, 1, 0), r = 1 / sqrt(2 * 2) = 0.5
    assert c["n"] == 3 and c["pearson"] == pytest.approx(0.5)
    assert np.isnan(profile_agreement(np.ones(4), np.arange(4.0))["pearson"])


def test_gap_comparison_hand_computed():
    # gaps model [0.4, -0.2, 0.1], human [0.2, 0.1, 0.0]: signs agree, disagree, undefined;
    # amplification 0.4/0.2 = 2, -0.2/0.1 = -2, undefined (human gap 0).
    c = gap_comparison(np.array([0.4, -0.2, 0.1]), np.array([0.2, 0.1, 0.0]))
    np.testing.assert_allclose(c["sign_agree"], [1.0, 0.0, np.nan])
    np.testing.assert_allclose(c["amplification"], [2.0, -2.0, np.nan])
    np.testing.assert_allclose(c["gap_error"], [0.2, -0.3, 0.1])


def test_bias_index_hand_computed():
    # errors [0.2, -0.3]: BI (0.2+0.3)/2 = 0.25; RMSE sqrt((0.04+0.09)/2) = sqrt(0.065);
    # signs agree on 1 of 2; exaggeration (0.4+0.2)/(0.2+0.1) = 2.
    b = bias_index(np.array([[0.4, -0.2]]), np.array([[0.2, 0.1]]))
    assert b == pytest.approx({"bias_index": 0.25, "gap_rmse": np.sqrt(0.065), "sign_agreement": 0.5,
                               "exaggeration": 2.0})
    # two pairs of groups pool their terms; replicates (leading axis) are kept
    b2 = bias_index(np.array([[[0.4, -0.2], [0.0, 0.1]]] * 3), np.array([[[0.2, 0.1], [0.0, 0.1]]] * 3))
    # errors [0.2, -0.3, 0, 0]: BI 0.5/4 = 0.125
    np.testing.assert_allclose(b2["bias_index"], [0.125] * 3)


def test_wasserstein_alignment_hand_computed_and_scipy():
    one_step = wasserstein_alignment(np.eye(6)[1], np.eye(6)[2])
    assert one_step == pytest.approx(1 - 1 / 5)  # W1 = 1 rating point, normalised by K - 1 = 5
    assert wasserstein_alignment(np.eye(6)[0], np.eye(6)[5]) == pytest.approx(0.0)
    rng = np.random.default_rng(2)
    p, q = rng.dirichlet(np.ones(6), size=5), rng.dirichlet(np.ones(6), size=5)
    ref = [1 - wasserstein_distance(np.arange(1, 7), np.arange(1, 7), p[i], q[i]) / 5 for i in range(5)]
    np.testing.assert_allclose(wasserstein_alignment(p, q), ref)  # reference: scipy


def test_js_alignment_hand_computed_and_scipy():
    # p = [.5,.5], q = [1,0], m = [.75,.25]: KL(p||m) = .5 log2(2/3) + .5 log2(2) = 0.2075187;
    # KL(q||m) = log2(4/3) = 0.4150375; JSD = sqrt((0.2075187 + 0.4150375)/2) = 0.5579231 -> 0.4420769
    assert js_alignment(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(0.4420769, abs=1e-7)
    assert js_alignment(np.eye(6)[0], np.eye(6)[3]) == pytest.approx(0.0)
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(6), size=5), rng.dirichlet(np.ones(6), size=5)
    ref = [1 - jensenshannon(p[i], q[i], base=2) for i in range(5)]
    np.testing.assert_allclose(js_alignment(p, q), ref)  # reference: scipy


def test_rating_distributions_and_alignment_average():
    counts, n = rating_distributions(["a", "a", "b", "b", "x", "a"], np.array([1, 2, 6, 6, 3, np.nan]), ["a", "b"])
    np.testing.assert_array_equal(counts, [[1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 2]])
    np.testing.assert_array_equal(n, [2, 2])
    human = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]], dtype=float)
    # item a identical -> 1; item b model all 6, humans half 5 half 6: W1 = 0.5 -> 1 - 0.5/5 = 0.9; mean 0.95
    out = distribution_alignment(counts, human)
    assert out["n_items"] == 2 and out["wasserstein"] == pytest.approx(0.95)
    # one model sample per item: no item qualifies -> documented NaN
    single = distribution_alignment(np.eye(6)[[0, 1]], human)
    assert single["n_items"] == 0 and np.isnan(single["wasserstein"])


def test_permutation_pvalue_matches_exact_enumeration():
    # 4 raters (one stratum), 2 in group a. Items: i1, i2 measure Power; i3 Security (pvq family).
    # Group a rates Power items 6, b rates them 1; everyone rates i3 3. Of the C(4,2) = 6 relabellings, the
    # observed one and its mirror give |gap| >= observed, so the exact p is 2/6 = 1/3; with P random
    # relabellings p = (1 + hits)/(1 + P) -> 1/3.
    sel = pd.DataFrame({"item_id": ["i1", "i2", "i3"], "family": "pvq", "dimension": ["Power", "Power", "Security"],
                        "key": 1})
    design = Design.from_selection(sel, ["i1", "i2", "i3"])
    R = np.array([[6, 6, 3], [6, 6, 3], [1, 1, 3], [1, 1, 3]], dtype=float)
    in_a = np.array([True, True, False, False])
    gap, p = permutation_gap_pvalue(R, in_a, np.zeros(4, int), design, 3000, np.random.default_rng(0))
    # observed: a Power raw 6, family mean (6+6+3)/3 = 5 -> +1; b Power raw 1, family mean 5/3 -> -2/3; gap 5/3
    assert gap[ROW[("pvq", "Power")]] == pytest.approx(5 / 3)
    assert p[ROW[("pvq", "Power")]] == pytest.approx(1 / 3, abs=0.03)
    assert np.isnan(p[ROW[("bfi", "Openness")]])  # no items: no gap, no p


def test_parse_and_read_persona_map(tmp_path):
    assert parse_group_label(" sex = Female ") == ("sex", "Female")
    with pytest.raises(InputError, match="attribute=group"):
        parse_group_label("Female")
    (tmp_path / "m.json").write_text('{"a woman": "sex=Female", "a man": {"attribute": "sex", "group": "Male"}}')
    assert read_persona_map(tmp_path / "m.json") == {"a woman": ("sex", "Female"), "a man": ("sex", "Male")}
    (tmp_path / "m.csv").write_text("persona,attribute,group\na woman,sex,Female\n")
    assert read_persona_map(tmp_path / "m.csv") == {"a woman": ("sex", "Female")}
    (tmp_path / "bad.csv").write_text("persona,group\na woman,Female\n")
    with pytest.raises(InputError, match=r"lacks column\(s\) \['attribute'\]"):
        read_persona_map(tmp_path / "bad.csv")
    with pytest.raises(InputError, match="persona 'x'.*attribute=group"):
        (tmp_path / "bad.json").write_text('{"x": "Female"}')
        read_persona_map(tmp_path / "bad.json")
    with pytest.raises(InputError, match=r"not found; expected a JSON file \{persona: 'attribute=group'\} or a CSV"):
        read_persona_map(tmp_path / "none.json")
    # issue 20: every table format io.read_table reads, with the row named in errors
    (tmp_path / "m.tsv").write_text("persona\tattribute\tgroup\na woman\tsex\tFemale\n")
    assert read_persona_map(tmp_path / "m.tsv") == {"a woman": ("sex", "Female")}
    (tmp_path / "m.jsonl").write_text('{"persona": "a man", "attribute": "sex", "group": "Male"}\n')
    assert read_persona_map(tmp_path / "m.jsonl") == {"a man": ("sex", "Male")}
    (tmp_path / "gap.csv").write_text("persona,attribute,group\na woman,sex,Female\na man,sex,\n")
    with pytest.raises(InputError, match=r"persona map '.*gap.csv', line 3: persona, attribute and group must all"):
        read_persona_map(tmp_path / "gap.csv")
