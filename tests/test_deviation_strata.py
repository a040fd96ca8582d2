"""Small strata in the deviation's rater bootstrap, and the model/human pairing over item draws.

SYNTHETIC populations generated here (seeded); nothing of them is data of the benchmark.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from valueportrait.demographics import demographics_from_frame
from valueportrait.norms import group_seed
from valueportrait.deviation import compare_personas
from valueportrait.scale import DIMENSIONS
from valueportrait.settings import Deviation, Intervals
from valueportrait.scoring import (item_weights, merge_single_rater_strata, rater_matrix, rater_weights,
                                   rescale_replicates)

PVQ = [fd for fd in DIMENSIONS if fd[0] == "pvq"]


def _population(n_groups: int, items_per_group: int, raters: dict[str, int], seed: int):
    """``n_groups`` survey groups of ``items_per_group`` pvq items (dimensions assigned cyclically); in each
    survey group ``raters[sex]`` raters of each sex; ratings uniform 1..6 around an item level."""
    rng = np.random.default_rng(seed)
    n_items = n_groups * items_per_group
    item_ids = [f"s{k:03d}-1" for k in range(n_items)]
    sel = pd.DataFrame({"item_id": item_ids, "family": "pvq", "dimension": [PVQ[k % 10][1] for k in range(n_items)],
                        "key": 1})
    level = rng.uniform(2.5, 4.5, n_items)
    rows, people = [], []
    for sg in range(n_groups):
        its = np.arange(sg * items_per_group, (sg + 1) * items_per_group)
        for sex, n in raters.items():
            for r in range(n):
                pid = f"P{sg:02d}{sex}{r:02d}"
                people.append({"participant_id": pid, "sex": sex})
                rating = np.clip(np.round(level[its] + rng.normal(0, 1.0, len(its))), 1, 6)
                rows.append(pd.DataFrame({"participant_id": pid, "survey_group": sg + 1,
                                          "item_id": np.array(item_ids)[its], "rating": rating}))
    people = pd.DataFrame(people)
    participants = pd.DataFrame({"participant_id": people["participant_id"]})
    data = SimpleNamespace(items=pd.DataFrame({"item_id": item_ids}), human_ratings=pd.concat(rows, ignore_index=True),
                           participants=participants, selection=lambda: sel)
    model = pd.DataFrame({"model": "m", "item_id": item_ids, "variant": "v1", "persona": "sex=X",
                          "rating": np.clip(np.round(level + rng.normal(0, 1.0, n_items)), 1, 6)})
    return SimpleNamespace(data=data, demo=demographics_from_frame(people), sel=sel, item_ids=item_ids, model=model)


def test_thirteen_raters_one_per_stratum_get_a_real_interval():
    """Issue 11: 13 raters, one per survey group, pass min_raters=5; without merging, every replicate redraws
    the same 13 raters (all weights 1), so the interval is zero-width. Merged, the CI has width and a note."""
    pop = _population(13, 3, {"X": 1, "B": 6}, seed=11)
    rm = rater_matrix(pop.data.human_ratings, pop.item_ids).subset(pop.demo.groups("sex")["X"])
    assert len(rm.strata) == 13 and len(set(rm.strata)) == 13
    assert (rater_weights(rm.strata, 50, np.random.default_rng(0)) == 1).all()  # the old, zero-width bootstrap
    rep = compare_personas(pop.data, pop.demo, pop.model, intervals=Intervals(over="items", n_boot=200, seed=0),
                           deviation=Deviation(n_perm=0))
    d = rep.dimensions[rep.dimensions["family"] == "pvq"]
    assert (d["n_raters"] == 13).all()
    width = d["human_ci_high"] - d["human_ci_low"]
    assert (width > 0.05).all(), width.tolist()
    assert ((d["human_ci_low"] <= d["human_score"]) & (d["human_score"] <= d["human_ci_high"])).all()
    assert d["note"].str.contains("13 survey group(s) with a single rater pooled", regex=False).all()
    assert (d["deviation_ci_high"] - d["deviation_ci_low"] > width).all()  # + the model's item draws
    # one rating per item: no item reaches MIN_HUMAN_RATINGS, so no distribution alignment, with a note
    dist = rep.distributions.iloc[0]
    assert dist["n_items"] == 0 and np.isnan(dist["js"]) and "10+ ratings by the group's raters" in dist["note"]


def test_a_lone_single_rater_stratum_joins_the_smallest_other():
    s, note = merge_single_rater_strata(np.array([5, 5, 5, 7, 7, 9]))
    assert s.tolist() == [5, 5, 5, 7, 7, 7] and note.startswith("1 survey group with a single rater merged")
    s, note = merge_single_rater_strata(np.array([1, 1, 2, 2]))
    assert s.tolist() == [1, 1, 2, 2] and note is None


def test_small_sample_correction_makes_the_bootstrap_variance_unbiased():
    """Theory: the bootstrap variance of a mean of n draws is s0^2 / n (s0: ddof 0); rescaled by
    sqrt(n / (n - 1)) it is s1^2 / n (ddof 1), the unbiased variance of the mean. Checked by simulation."""
    rng = np.random.default_rng(2)
    x = rng.integers(1, 7, size=(5, 1)).astype(float)  # 5 raters, 1 item
    W = rater_weights(np.zeros(5), 40000, rng)
    reps = (W @ x) / W.sum(axis=1, keepdims=True)
    fixed = rescale_replicates(x.mean(axis=0), reps, np.array([np.sqrt(5 / 4)]))
    assert reps.var() == pytest.approx(x.var(ddof=0) / 5, rel=0.03)
    assert fixed.var() == pytest.approx(x.var(ddof=1) / 5, rel=0.03)


def _score(means: pd.Series, counts: pd.Series, sel: pd.DataFrame) -> pd.Series:
    """The paper's centred score over an item draw (item i counted counts[i] times), in pandas."""
    s = sel.assign(r=sel["item_id"].map(means), w=sel["item_id"].map(counts)).dropna(subset=["r"])
    s = s[s["w"] > 0]
    fam = (s["r"] * s["w"]).sum() / s["w"].sum()  # one family (pvq), every item valid
    return s.assign(c=(s["r"] - fam) * s["w"]).groupby("dimension")["c"].sum() / s.groupby("dimension")["w"].sum()


def test_deviation_replicates_share_the_item_draws_independent_loop():
    """Replicate b of the deviation = model score on item draw b - group score on the SAME item draw b with
    the group's raters redrawn (within survey groups, small-sample corrected): recomputed here in a loop."""
    pop = _population(2, 20, {"X": 8, "B": 5}, seed=5)
    n_boot, seed = 40, 9
    rep = compare_personas(pop.data, pop.demo, pop.model,
                           intervals=Intervals(over="items", n_boot=n_boot, level=0.8,
                                               seed=seed), deviation=Deviation(n_perm=0))
    union = sorted(pop.item_ids)
    Wm = item_weights(len(union), n_boot, np.random.default_rng(seed))  # the draws the model side made
    h = pop.data.human_ratings
    rm = rater_matrix(h, pop.item_ids).subset(pop.demo.groups("sex")["X"])
    Wr = rater_weights(rm.strata, n_boot, group_seed(seed, "sex", "X"))  # the group's rater draws
    hx = h[h["participant_id"].isin(rm.participant_ids)]
    point = hx.groupby("item_id")["rating"].mean()
    model_means = pop.model.set_index("item_id")["rating"]
    deltas = []
    for b in range(n_boot):
        w = pd.Series(Wr[b], index=list(rm.participant_ids))  # one survey group per participant here
        hb = hx.assign(w=hx["participant_id"].map(w))
        means = (hb["w"] * hb["rating"]).groupby(hb["item_id"]).sum() / hb.groupby("item_id")["w"].sum()
        means = point + np.sqrt(8 / 7) * (means - point)  # 8 raters per survey group
        counts = pd.Series(Wm[b], index=union)
        deltas.append(_score(model_means, counts, pop.sel) - _score(means, counts, pop.sel))
    deltas = pd.concat(deltas, axis=1).T
    lo, hi = np.nanquantile(deltas.to_numpy(), [0.1, 0.9], axis=0)  # a draw may miss a dimension
    got = rep.dimensions.set_index("dimension").loc[deltas.columns]
    np.testing.assert_allclose(got["deviation_ci_low"].to_numpy(), lo, atol=1e-12)
    np.testing.assert_allclose(got["deviation_ci_high"].to_numpy(), hi, atol=1e-12)


def test_the_bootstrap_returns_its_draws_and_the_model_side_pairs_through_them():
    """Issue 20: the model/human pairing used to replay default_rng(seed) to recreate bootstrap_portraits'
    draws. Now bootstrap_portraits returns its item weights; replicate b recomputed from weights[b] with the
    pandas formula above (an independent computation) is the replicate it returned, and model_side hands the
    human side exactly these weights (in design order, 0 for items not drawn from)."""
    from valueportrait.deviation.model import model_side, persona_ratings
    from valueportrait.scoring import Design, bootstrap_portraits

    pop = _population(2, 20, {"X": 8, "B": 5}, seed=5)
    drawn = bootstrap_portraits({"sex=X": pop.model[["item_id", "rating"]]}, pop.sel, n_boot=30, seed=4)
    assert drawn.weights.shape == (30, len(drawn.item_ids)) and (drawn.weights.sum(axis=1) == 40).all()
    means = pop.model.set_index("item_id")["rating"]
    dims = [d for _, d in PVQ]
    reps = pd.DataFrame(drawn.replicates["sex=X"][:, :10], columns=dims)  # pvq rows come first
    for b in range(30):
        expected = _score(means, pd.Series(drawn.weights[b], index=drawn.item_ids), pop.sel)
        np.testing.assert_allclose(reps.loc[b, expected.index].to_numpy(float), expected.to_numpy(), atol=1e-12)
    side = model_side(persona_ratings(pop.model), pop.sel, Design.from_selection(pop.sel, pop.item_ids), 30, 4)
    col = [pop.item_ids.index(i) for i in drawn.item_ids]
    np.testing.assert_array_equal(side.weights[:, col], drawn.weights)
    np.testing.assert_array_equal(side.boot["sex=X"], drawn.replicates["sex=X"])
