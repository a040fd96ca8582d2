"""Scoring core on small hand-computed inputs, bootstrap / comparison behaviour, sensitivity, human baseline."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from valueportrait import score_portrait
from valueportrait.errors import InputError
from valueportrait.settings import Intervals
from valueportrait.scale import DIMENSIONS as DIMS
from valueportrait.scoring import bootstrap_portrait, compare_portraits, item_ratings, score_humans
from valueportrait.sensitivity import prompt_sensitivity

SEL = pd.DataFrame([
    ("a", "pvq", "Power", 1), ("b", "pvq", "Power", 1), ("c", "pvq", "Security", 1),
    ("d", "pvq", "Security", -1), ("c", "bfi", "Openness", 1),
], columns=["item_id", "family", "dimension", "key"])


def ratings(**by_item):
    rows = [(i, r) for i, rs in by_item.items() for r in (rs if isinstance(rs, list) else [rs])]
    return pd.DataFrame(rows, columns=["item_id", "rating"])


def test_hand_computed_portrait():
    # a: mean(6, 4) = 5 (NaN ignored), b: 3, c: 2, d: 5 -> reverse scored 7 - 5 = 2 for Security
    out = score_portrait(ratings(a=[6, 4, np.nan], b=3, c=2, d=5, z=1), SEL).set_index("dimension")
    fam_pvq = (5 + 3 + 2 + 5) / 4  # raw ratings of the family's valid items
    assert out.loc["Power", "raw_mean"] == 4.0 and out.loc["Power", "n"] == 2
    assert out.loc["Power", "std"] == pytest.approx(1.0)  # population std of (5, 3)
    assert out.loc["Power", "score"] == pytest.approx(4.0 - fam_pvq)
    assert out.loc["Security", "raw_mean"] == pytest.approx(2.0) and out.loc["Security", "std"] == 0.0
    # reverse-scored d is centred on 7 - family mean: mean of k_i (r_i - fam) = ((2 - 3.75) - (5 - 3.75)) / 2
    assert out.loc["Security", "score"] == pytest.approx(-1.5)
    assert out.loc["Openness", "score"] == 0.0 and out.loc["Openness", "family_mean"] == 2.0
    assert np.isnan(out.loc["Hedonism", "score"]) and out.loc["Hedonism", "note"] == "no rated item measures Hedonism"
    assert out.loc["Hedonism", "n"] == 0
    assert list(out.index[:3]) == ["Self_Direction", "Stimulation", "Hedonism"] and len(out) == 19
    assert out.attrs == {"n_items_rated": 5, "n_items_used": 4}
    raw = score_portrait(ratings(a=5, b=3, c=2, d=5), SEL, center=False).set_index("dimension")
    assert raw.loc["Power", "score"] == 4.0


def test_min_items_gives_null_with_reason():
    out = score_portrait(ratings(a=5, b=3, c=2, d=5), SEL, min_items=2).set_index("dimension")
    assert out.loc["Power", "score"] == pytest.approx(4.0 - 3.75)
    assert np.isnan(out.loc["Openness", "score"])
    assert out.loc["Openness", "note"] == "only 1 rated item(s) measure Openness; min_items=2"
    assert out.loc["Openness", "raw_mean"] == 2.0  # the raw mean is still reported


def test_no_ratings_at_all_is_null_not_crash():
    out = score_portrait(ratings(a=[np.nan]), SEL)
    assert out["score"].isna().all() and (out["n"] == 0).all()
    boot = bootstrap_portrait(ratings(a=[np.nan]), SEL, n_boot=10)
    assert boot["ci_low"].isna().all()


def test_bootstrap_without_replicates_gives_null_intervals():
    out = bootstrap_portrait(ratings(a=5, b=3, c=2, d=5), SEL, n_boot=0).set_index("dimension")
    assert out.loc["Power", "score"] == pytest.approx(4.0 - 3.75)  # the point scores are still computed
    assert out[["ci_low", "ci_high", "se"]].isna().all().all()
    with pytest.raises(InputError, match="n_boot must be a whole number >= 0"):
        bootstrap_portrait(ratings(a=5), SEL, n_boot=-1)


def test_bad_inputs():
    with pytest.raises(InputError, match=r"outside 1-6 .*1=7\.0"):
        score_portrait(ratings(a=5, b=7), SEL)
    with pytest.raises(InputError, match="lacks column"):
        score_portrait(pd.DataFrame({"item_id": ["a"]}), SEL)
    with pytest.raises(InputError, match="scores one model"):
        score_portrait(ratings(a=5, b=3).assign(model=["x", "y"]), SEL)
    assert item_ratings(ratings(a=["like me", "not like me"]))["a"] == 3.5  # phrases are accepted


def test_bootstrap_seeded_and_fast(built_dataset):
    from valueportrait.dataset import open_dataset

    sel = open_dataset(built_dataset).selection()
    rng = np.random.default_rng(1)
    ids = sel["item_id"].unique()
    r = pd.DataFrame({"item_id": ids, "rating": rng.integers(1, 7, len(ids)).astype(float)})
    a = bootstrap_portrait(r, sel, n_boot=10_000, seed=3)  # its speed is measured by benchmarks/bench_score.py
    b = bootstrap_portrait(r, sel, n_boot=10_000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert ((a["ci_low"] <= a["score"]) & (a["score"] <= a["ci_high"])).all()


def test_bootstrap_ci_matches_loop_reference():
    r = ratings(a=5, b=3, c=2, d=5)
    got = bootstrap_portrait(r, SEL, n_boot=200, seed=7).set_index("dimension")
    # reference: the same draws (items a, b, c, d drawn k_a..k_d times), scored one replicate at a time in
    # plain Python: Power = weighted mean of a, b minus the weighted pvq family mean of a, b, c, d
    from valueportrait.scoring import item_weights

    w = item_weights(4, 200, np.random.default_rng(7))
    reps = []
    for ka, kb, kc, kd in w:
        if ka + kb == 0:
            reps.append(np.nan)
            continue
        power = (5 * ka + 3 * kb) / (ka + kb)
        family = (5 * ka + 3 * kb + 2 * kc + 5 * kd) / (ka + kb + kc + kd)
        reps.append(power - family)
    reps = np.array(reps, dtype=float)
    reps = reps[np.isfinite(reps)]
    assert got.loc["Power", "ci_low"] == pytest.approx(np.quantile(reps, 0.025))
    assert got.loc["Power", "ci_high"] == pytest.approx(np.quantile(reps, 0.975))


def test_compare_portraits():
    # two ratings per item (prompt variants): a = (6,5), (6,6), (1,1), (2,3); b = (2,2), (2,2), (5,5), (2,2)
    a = ratings(a=[6, 5], b=[6, 6], c=[1, 1], d=[2, 3])
    same = compare_portraits(a, a, SEL).set_index("dimension")
    assert same.loc["Power", "difference"] == 0.0 and same.loc["Power", "p_value"] == pytest.approx(1.0)
    b = ratings(a=[2, 2], b=[2, 2], c=[5, 5], d=[2, 2])
    diff = compare_portraits(a, b, SEL).set_index("dimension")
    sa = score_portrait(a, SEL).set_index("dimension")["score"]
    sb = score_portrait(b, SEL).set_index("dimension")["score"]
    assert diff.loc["Power", "difference"] == pytest.approx(sa["Power"] - sb["Power"])
    # hand: Power's coefficients C = 1/2 - 1/4 on a, b and -1/4 on c, d (pvq family of 4 items); only a and d
    # vary (s^2 = 0.5 over m = 2): SE^2 = 2 * (1/4)^2 * 0.5 / 2, Welch df = 2 (two terms of 1 df each)
    se = np.sqrt(2 * (1 / 16) * 0.25)
    assert diff.loc["Power", "se"] == pytest.approx(se) and diff.loc["Power", "df"] == pytest.approx(2.0)
    from scipy import stats

    assert diff.loc["Power", "p_value"] == pytest.approx(2 * stats.t.sf(abs(sa["Power"] - sb["Power"]) / se, 2))


def test_prompt_sensitivity():
    r = pd.DataFrame({
        "item_id": ["x"] * 6 + ["y"] * 6,
        "variant": ["v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed"] * 2,
        "rating": [4, 4, 4, 5, 4, 4] + [3, 3, 5, 5, 3, 1],
    })
    s = prompt_sensitivity(r)
    assert s["prompt_sensitivity"] == 0.5  # x: v1=v2=v3=4 agree; y: 3, 5, 3 do not
    # two items: too few for a rank agreement (None)
    assert s["order"]["v2"] == {"disagree": 0.5, "mean_abs_diff": 0.5, "items": 2, "rank_agreement": None}
    assert s["order"]["v3"] == {"disagree": 0.5, "mean_abs_diff": 1.0, "items": 2, "rank_agreement": None}
    assert s["order_sensitivity"] == pytest.approx((0 + 0.5 + 0.5) / 3)
    # x: 5 of 15 pairs differ by 1 -> 1/3; y: the |diffs| of the 15 pairs of (3,3,5,5,3,1) sum to 26
    assert s["mean_pairwise_difference"] == pytest.approx((1 / 3 + 26 / 15) / 2)


def test_human_baseline(built_dataset):
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    sel = data.selection()
    h = score_humans(data.human_ratings, sel, intervals=Intervals(over="raters", n_boot=200, seed=0))
    plain = score_portrait(data.human_ratings.groupby("item_id", as_index=False)["rating"].mean(), sel)
    np.testing.assert_allclose(h["score"], plain["score"], atol=1e-12)
    assert ((h["ci_low"] < h["score"]) & (h["score"] < h["ci_high"])).all()
    assert (h["n"] > 0).all()


@pytest.mark.parametrize("center", [True, False])
def test_difference_equals_the_linear_form(center):
    """For a fixed item set a score is linear in the ratings, so a difference must equal (r_a - r_b) @ C with C
    the score's coefficients, computed here by hand from the definition: C[i, d] = k_id / n_d - (1/n_f) *
    (sum_i k_id / n_d) over the family's items; engine.linear_coefficients must give the same C."""
    from valueportrait.scoring import Design, linear_coefficients

    a, b = ratings(a=5.5, b=3, c=2, d=4.5), ratings(a=2, b=6, c=5, d=1)
    got = compare_portraits(a, b, SEL, center=center)
    key = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, -1, 0]], dtype=float)  # items a-d x Power, Security, Open.
    fam = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 0]], dtype=float)  # pvq, pvq, bfi valid items
    n = np.abs(key).sum(axis=0)
    C = key / n - (fam.T / fam.sum(axis=1)) * (key.sum(axis=0) / n) if center else key / n
    c0 = 0.0 if center else 7.0 * (key < 0).sum(axis=0) / n
    ra, rb = np.array([5.5, 3, 2, 4.5]), np.array([2, 6, 5, 1.0])
    expected = (ra @ C + c0) - (rb @ C + c0)
    C_lib, c0_lib = linear_coefficients(Design.from_selection(SEL, list("abcd")), center=center)
    cols = [DIMS.index(("pvq", "Power")), DIMS.index(("pvq", "Security")), DIMS.index(("bfi", "Openness"))]
    np.testing.assert_allclose(C_lib[:, cols], C, atol=1e-12)
    np.testing.assert_allclose(c0_lib[cols], c0, atol=1e-12)
    got = got.set_index("dimension").loc[["Power", "Security", "Openness"], "difference"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_score_models_scores_each_model_as_score_portrait_does():
    # score_portrait refuses a table with several models and points to score_models; each of its portraits is
    # the single-model portrait of that model's rows (same function, so they must be equal).
    from valueportrait.scoring import score_models, score_portrait

    sel = pd.DataFrame({"item_id": ["1-1", "1-2", "2-1"], "family": "pvq",
                        "dimension": ["Power", "Security", "Power"], "key": 1})
    ratings = pd.DataFrame({"model": ["b", "b", "b", "a", "a", "a"], "item_id": ["1-1", "1-2", "2-1"] * 2,
                            "rating": [6.0, 2.0, 4.0, 1.0, 3.0, 5.0]})
    got = score_models(ratings, sel)
    assert list(got) == ["b", "a"]  # order of first appearance
    for model, portrait in got.items():
        pd.testing.assert_frame_equal(portrait, score_portrait(ratings[ratings["model"] == model], sel))
    # Model b: Power items 6 and 4 -> raw mean 5; family mean (6+2+4)/3 = 4; score +1.
    assert got["b"].set_index("dimension").loc["Power", "score"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="use score_models"):
        score_portrait(ratings, sel)


def test_prompt_sensitivity_of_continuous_ratings():
    """Expected ratings (log-likelihood backends) are never exactly equal across prompts: exact disagreement would
    read 1.0. Hand computation on 4 items: v1 = (1.2, 2.5, 4.0, 5.1), v1_reversed = (1.4, 2.4, 4.7, 5.0)."""
    from valueportrait.sensitivity import sensitivity_table

    v1, rev = [1.2, 2.5, 4.0, 5.1], [1.4, 2.4, 4.7, 5.0]
    r = pd.DataFrame({"model": "m", "item_id": list("abcd") * 2, "variant": ["v1"] * 4 + ["v1_reversed"] * 4,
                      "rating": v1 + rev})
    s = prompt_sensitivity(r)
    assert s["continuous"] is True and s["disagree_above"] == 0.5
    # |differences| 0.2, 0.1, 0.7, 0.1: one of 4 above half a point
    assert s["order"]["v1"]["disagree"] == pytest.approx(0.25)
    assert s["order"]["v1"]["mean_abs_diff"] == pytest.approx((0.2 + 0.1 + 0.7 + 0.1) / 4)
    assert s["order"]["v1"]["rank_agreement"] == pytest.approx(1.0)  # same order of the 4 items (scipy agrees)
    assert s["order_rank_agreement"] == pytest.approx(1.0)
    t = sensitivity_table(r)
    assert t.loc[0, "order_sensitivity"] == pytest.approx(0.25) and t.loc[0, "order_rank_agreement"] == 1.0
    # whole-number ratings: exact disagreement, and no rank columns in the table
    ints = r.assign(rating=[1, 2, 4, 5, 1, 3, 4, 5])
    assert prompt_sensitivity(ints)["order"]["v1"]["disagree"] == 0.25
    assert "order_rank_agreement" not in sensitivity_table(ints)
