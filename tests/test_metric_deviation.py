"""The metric's deviation output: each persona's portrait vs its human group's (issue 5, Interfaces).

The demographics (``demo_build``) and the model ratings (``persona_ratings``) are SYNTHETIC, generated in
tests/conftest.py; they are not data of the benchmark. The numbers asserted are recomputed here from their
sources: the metric's own per-persona portrait (the scoring core), the dataset's ``human_group_norms`` config,
scipy, and the formulas of the metric card.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr, spearmanr

import valueportrait
from valueportrait.errors import InputError
from valueportrait.settings import Deviation, Intervals

PVQ = ["Self_Direction", "Stimulation", "Hedonism", "Achievement", "Power", "Security", "Conformity", "Tradition",
       "Benevolence", "Universalism"]
GROUPS = {"a woman": "sex=Female", "a man": "sex=Male", "a doctor": "education=Doctorate"}
LABEL = {"sex=Female": "a woman", "sex=Male": "a man", "education=Doctorate": "a doctor"}
N_BOOT = 200  # = the norms bootstrap of demo_build, so the human CIs can be compared with the stored ones


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def metric(demo_build):
    import evaluate

    return evaluate.load(valueportrait.metric_path(), dataset=str(demo_build["out"]))


@pytest.fixture(scope="module")
def inputs(persona_ratings):
    r = pd.read_csv(persona_ratings, dtype={"item_id": "str"})
    return {"predictions": r["rating"].tolist(), "references": r["item_id"].tolist(),
            "personas": r["persona"].map(LABEL).tolist()}


@pytest.fixture(scope="module")
def result(metric, inputs):
    return metric.compute(**inputs, persona_groups=GROUPS, n_boot=N_BOOT, n_perm=200)


@pytest.fixture(scope="module")
def stored_norms(demo_build):
    return valueportrait.load_dataset(demo_build["out"], "human_group_norms").to_pandas()


def _norm(norms: pd.DataFrame, attr: str, group: str, family: str = "pvq") -> pd.Series:
    g = norms[(norms["attribute"] == attr) & (norms["group"] == group) & (norms["family"] == family)]
    return g.set_index("dimension")


def _items_with_ratings(build, attr: str, group: str, at_least: int) -> int:
    """Items rated by ``at_least`` members of the group, counted from the dataset's configs."""
    h = valueportrait.load_dataset(build["out"], "human_ratings").to_pandas()
    p = valueportrait.load_dataset(build["out"], "participants").to_pandas()
    members = set(p.loc[p[attr] == group, "participant_id"])
    return int((h[h["participant_id"].isin(members)].groupby("item_id").size() >= at_least).sum())


def test_rater_level_deviation(result, stored_norms, demo_build):
    json.dumps(result, allow_nan=False)  # JSON-serialisable, no NaN
    dev = result["deviation"]
    assert dev["source"] == "dataset raters" and dev["human"] == "raters"
    assert dev["settings"]["ci_over"] == {"model": "item draws, paired with the human side", "human": "raters"}
    assert dev["settings"]["ci_method"] == "bootstrap-percentile"
    assert list(dev["attributes"]) == ["sex", "education"]
    sex = dev["attributes"]["sex"]
    assert list(sex["groups"]) == ["Female", "Male"]
    model, human = {}, {}
    for group, persona in (("Female", "a woman"), ("Male", "a man")):
        g = sex["groups"][group]
        assert g["persona"] == persona and g["note"] is None
        assert g["n_raters"] == {"Female": 296, "Male": 259}[group]  # counted from the synthetic file in conftest
        norms = _norm(stored_norms, "sex", group)
        for d in PVQ:
            cell = g["dimensions"]["pvq"][d]
            # model side = the metric's own portrait of the persona (the scoring core)
            assert cell["model_score"] == pytest.approx(result["personas"][persona]["scores"]["pvq"][d]["score"],
                                                        abs=1e-12)
            # ... with two intervals that say what they are (issue 21: one label, one estimator): the persona
            # portrait has the scores' interval (ci_over, t-analytic over prompt variants by default); the
            # deviation's model CI is its paired item bootstrap, labelled so in the report's settings
            persona_cell = result["personas"][persona]["scores"]["pvq"][d]
            assert (persona_cell["ci_over"], persona_cell["ci_method"]) == ("variants", "t-analytic")
            assert cell["model_ci_low"] <= cell["model_score"] <= cell["model_ci_high"]
            # human side = the group's norms stored at build time (same raters, same seed-0 200-replicate bootstrap)
            assert cell["human_score"] == pytest.approx(norms.loc[d, "score"], abs=1e-12)
            assert cell["human_ci_low"] == pytest.approx(norms.loc[d, "score_ci_low"], abs=1e-12)
            assert cell["human_ci_high"] == pytest.approx(norms.loc[d, "score_ci_high"], abs=1e-12)
            assert cell["deviation"] == pytest.approx(cell["model_score"] - cell["human_score"], abs=1e-12)
            assert cell["deviation_ci_low"] < cell["deviation_ci_high"]
        model[group] = np.array([g["dimensions"]["pvq"][d]["model_score"] for d in PVQ])
        human[group] = np.array([g["dimensions"]["pvq"][d]["human_score"] for d in PVQ])
        agr = g["agreement"]["pvq"]
        assert agr["n_dims"] == 10
        assert agr["pearson"] == pytest.approx(pearsonr(model[group], human[group])[0], abs=1e-12)  # scipy
        assert agr["spearman"] == pytest.approx(spearmanr(model[group], human[group])[0], abs=1e-12)  # scipy
        assert agr["rmse"] == pytest.approx(np.sqrt(np.mean((model[group] - human[group]) ** 2)), abs=1e-12)
        assert agr["mad"] == pytest.approx(np.mean(np.abs(model[group] - human[group])), abs=1e-12)
        dist = g["distribution"]
        # items rated by 10+ members of the group (MIN_HUMAN_RATINGS; before it, any member: 360 for Female)
        assert dist["n_items"] == _items_with_ratings(demo_build, "sex", group, 10) and 0 < dist["wasserstein"] < 1
        assert dist["js"] < dist["js_replica"] <= 1 and 0 < dist["js_split_half"] < 1
        assert 0 < dist["js"] < 1
    (pair,) = sex["gaps"]
    assert (pair["group_a"], pair["group_b"], pair["persona_a"], pair["persona_b"]) == \
        ("Female", "Male", "a woman", "a man")
    gm, gh = model["Female"] - model["Male"], human["Female"] - human["Male"]
    for k, d in enumerate(PVQ):
        cell = pair["dimensions"]["pvq"][d]
        assert cell["model_gap"] == pytest.approx(gm[k], abs=1e-12)
        assert cell["human_gap"] == pytest.approx(gh[k], abs=1e-12)
        assert cell["amplification"] == pytest.approx(gm[k] / gh[k], rel=1e-9)
        assert cell["sign_agree"] == float(np.sign(gm[k]) == np.sign(gh[k]))
        assert 1 / 201 <= cell["p_value"] <= 1  # permutation p with P = 200: never below 1/(P+1)
    bias = sex["bias"]["pvq"]
    assert bias["n_pairs"] == 1 and bias["note"] is None
    assert bias["bias_index"] == pytest.approx(np.mean(np.abs(gm - gh)), abs=1e-12)  # card: BI formula
    assert bias["gap_rmse"] == pytest.approx(np.sqrt(np.mean((gm - gh) ** 2)), abs=1e-12)
    assert bias["exaggeration"] == pytest.approx(np.abs(gm).sum() / np.abs(gh).sum(), rel=1e-12)
    assert bias["sign_agreement"] == pytest.approx(np.mean(np.sign(gm) == np.sign(gh)), abs=1e-12)
    assert bias["bias_index_ci_low"] < bias["bias_index_ci_high"]


def test_group_with_too_few_raters_is_a_documented_null(result):
    edu = result["deviation"]["attributes"]["education"]
    doc = edu["groups"]["Doctorate"]
    note = "fewer than 5 raters (3): too few for a group portrait; no statistics"
    assert doc["n_raters"] == 3 and doc["note"] == note  # 3 Doctorate raters by construction (conftest)
    power = doc["dimensions"]["pvq"]["Power"]
    assert power["human_score"] is None and power["deviation"] is None and power["note"] == note
    assert power["model_score"] == pytest.approx(result["personas"]["a doctor"]["scores"]["pvq"]["Power"]["score"])
    assert doc["agreement"]["pvq"]["pearson"] is None and doc["distribution"]["n_items"] == 0
    assert edu["gaps"] == []
    assert edu["bias"]["pvq"]["bias_index"] is None
    assert edu["bias"]["pvq"]["note"] == "needs personas of two or more groups of this attribute, each with 5+ raters"


def test_stored_and_user_norms(metric, inputs, built_dataset, stored_norms, tmp_path):
    stored = metric.compute(**inputs, persona_groups=GROUPS, human="norms", n_boot=N_BOOT)["deviation"]
    assert stored["source"] == "dataset norms" and stored["human"] == "norms table"
    female = stored["attributes"]["sex"]["groups"]["Female"]["dimensions"]["pvq"]["Power"]
    assert female["human_score"] == pytest.approx(_norm(stored_norms, "sex", "Female").loc["Power", "score"], abs=1e-12)
    gap = stored["attributes"]["sex"]["gaps"][0]["dimensions"]["pvq"]["Power"]
    assert gap["p_value"] is None  # no raters to permute
    assert stored["attributes"]["sex"]["groups"]["Female"]["distribution"]["note"].startswith("no item-level human")
    # the same table passed by the user, to the metric on the dataset WITHOUT demographics: the same statistics,
    # as a DataFrame, a list of dicts or a file
    path = tmp_path / "norms.csv"
    stored_norms.to_csv(path, index=False)
    for norms in (stored_norms, stored_norms.to_dict("records"), str(path)):
        user = metric.compute(**inputs, persona_groups=GROUPS, norms=norms, n_boot=N_BOOT,
                              dataset=str(built_dataset))["deviation"]
        assert user["source"] == "norms table"
        assert json.dumps(user["attributes"]["sex"], sort_keys=True) == json.dumps(stored["attributes"]["sex"],
                                                                                   sort_keys=True)
        # Doctorate (3 raters in the table's n_raters) is null under min_raters = 5
        assert user["attributes"]["education"]["groups"]["Doctorate"]["note"] == \
            "fewer than 5 raters (3): too few for a group portrait; no statistics"


def test_hand_computed_norms_table(built_dataset):
    """The card's example: every item rated 4 by both personas (all scores 0) against a 4-row norms table."""
    from valueportrait.evaluation import evaluate_ratings

    data = valueportrait.open_dataset(built_dataset)
    ids = data.item_ids
    norms = [{"attribute": "sex", "group": g, "family": "pvq", "dimension": d, "score": s, "n_raters": 250}
             for g, d, s in [("Female", "Benevolence", 0.3), ("Female", "Power", -0.4),
                             ("Male", "Benevolence", 0.1), ("Male", "Power", -0.1)]]
    dev = evaluate_ratings([4] * (2 * len(ids)), ids * 2, dataset=data,
                           personas=["a woman"] * len(ids) + ["a man"] * len(ids),
                           deviation=Deviation(persona_groups={"a woman": "sex=Female", "a man": "sex=Male"}, norms=norms),
                           intervals=Intervals(n_boot=0))["deviation"]
    sex = dev["attributes"]["sex"]
    ben = sex["groups"]["Female"]["dimensions"]["pvq"]["Benevolence"]
    assert (ben["model_score"], ben["human_score"], ben["deviation"], ben["deviation_ci_low"]) == (0.0, 0.3, -0.3, None)
    assert sex["groups"]["Female"]["dimensions"]["pvq"]["Hedonism"]["human_score"] is None  # not in the table
    agr = sex["groups"]["Female"]["agreement"]["pvq"]
    # 2 dimensions: RMSE = sqrt((0.3^2 + 0.4^2) / 2), MAD = (0.3 + 0.4) / 2; Pearson needs n >= 3
    assert agr["n_dims"] == 2 and agr["rmse"] == pytest.approx(np.sqrt(0.125)) and agr["mad"] == pytest.approx(0.35)
    assert agr["pearson"] is None
    gap = sex["gaps"][0]["dimensions"]["pvq"]["Benevolence"]
    # model gap 0 - 0, human gap 0.3 - 0.1: the model misses the difference (A = 0, sign undefined)
    assert gap["model_gap"] == 0.0 and gap["human_gap"] == pytest.approx(0.2) and gap["amplification"] == 0.0
    assert gap["sign_agree"] is None
    bias = sex["bias"]["pvq"]
    # BI = (|0 - 0.2| + |0 - (-0.3)|) / 2 = 0.25; gap RMSE = sqrt((0.04 + 0.09) / 2); exaggeration = 0 / 0.5
    assert bias["bias_index"] == pytest.approx(0.25) and bias["gap_rmse"] == pytest.approx(np.sqrt(0.065))
    assert bias["exaggeration"] == 0.0 and bias["n_pairs"] == 1


def test_errors(metric, inputs, built_dataset):
    base = dict(inputs, n_boot=0, n_perm=0)
    with pytest.raises(InputError, match=r"persona\(s\) 'a woman', 'a man', 'a doctor' have no human group: map each "
                                         r"persona to a group with persona_groups="):
        metric.compute(**base, deviation=True)
    with pytest.raises(InputError, match=r"persona 'a doctor': no group 'PhD' of 'education' in the demographics "
                                         r"\(the dataset's participants config\); groups: 'Bachelor', 'Doctorate', "
                                         r"'Secondary'"):
        metric.compute(**base, persona_groups={**GROUPS, "a doctor": "education=PhD"})
    with pytest.raises(InputError, match=r"persona 'a doctor' names attribute 'religion', which the demographics"):
        metric.compute(**base, persona_groups={**GROUPS, "a doctor": "religion=None"})
    norms = [{"attribute": "sex", "group": "Female", "family": "pvq", "dimension": "Power", "score": 0.1}]
    with pytest.raises(InputError, match=r"persona 'a man': no group 'Male' of 'sex' in the norms table; groups: "
                                         r"'Female'"):
        metric.compute(**base, persona_groups=GROUPS, norms=norms)
    with pytest.raises(InputError, match=r"the norms table lacks column\(s\) \['score'\]"):
        metric.compute(**base, persona_groups=GROUPS, norms=[{"attribute": "sex", "group": "Female",
                                                               "family": "pvq", "dimension": "Power"}])
    with pytest.raises(InputError, match=r"this dataset has no demographics .* pass norms="):
        metric.compute(**base, persona_groups=GROUPS, dataset=str(built_dataset))
    with pytest.raises(InputError, match=r"pass personas=\[\.\.\.\] \(one persona label per prediction\)"):
        metric.compute(predictions=[5], references=["1008-1"], persona_groups=GROUPS)
    with pytest.raises(InputError, match=r"personas 'a woman' and 'a man' both map to the group 'sex=Female'"):
        metric.compute(**base, persona_groups={**GROUPS, "a man": "sex=Female"})
    with pytest.raises(InputError, match=r"persona_groups names persona\(s\) with no rating: 'a child'"):
        metric.compute(**base, persona_groups={**GROUPS, "a child": "age=18-29"})
    with pytest.raises(InputError, match=r"with threshold / alpha / mode / correlations use human='raters'"):
        metric.compute(**base, persona_groups=GROUPS, human="norms", threshold=0.25)
    with pytest.raises(InputError, match=r"human must be one of 'raters', 'norms', got 'people'"):
        metric.compute(**base, persona_groups=GROUPS, human="people")


def test_card_writes_out_every_deviation_formula():
    """Issue 5: every formula in the metric card (the card's examples run in test_metric.py)."""
    import re
    from pathlib import Path

    card = Path(valueportrait.metric_path()).with_name("README.md").read_text(encoding="utf-8")
    section = card[card.index("### Demographic deviation"):card.index("## How to Use")]
    for formula in (r"\Delta_d = s^M_d - s^H_d",                                    # per-dimension deviation
                    r"r = \frac{\sum_d (x_d-\bar x)(y_d-\bar y)}",                  # Pearson
                    r"\rho = r(\operatorname{rank} x, \operatorname{rank} y)",      # Spearman
                    r"\mathrm{RMSE} = \sqrt{\tfrac1n\sum_d (x_d-y_d)^2}",
                    r"\mathrm{MAD} = \tfrac1n\sum_d |x_d-y_d|",
                    r"g^M_d = s^M_{a,d} - s^M_{b,d}",                               # gap
                    r"[\operatorname{sgn} g^M_d = \operatorname{sgn} g^H_d]",       # sign agreement
                    r"A_d = g^M_d / g^H_d",                                         # amplification ratio
                    r"p_d = \frac{1 + \#\{p : |g^{(p)}_d| \ge |g^H_d|\}}{1 + P}",   # permutation p
                    r"\mathrm{BI} = \frac1N\sum_{(a,b)}\sum_d \bigl|g^M_{ab,d} - g^H_{ab,d}\bigr|",  # bias index
                    r"\mathrm{exaggeration} = ",
                    r"A^{W}_i = 1 - \frac{1}{K-1}\sum_{k=1}^{K-1}",                 # 1 - normalised Wasserstein
                    r"A^{JS}_i = 1 - \sqrt{\tfrac12\mathrm{KL}_2"):                 # 1 - Jensen-Shannon distance
        assert formula in section, formula
    assert re.search(r"\*\*The public release has no\s+demographics\*\*", section)


def test_persona_groups_must_be_a_dict(metric, inputs):
    with pytest.raises(InputError,
                       match=r"persona_groups must be a dict \{persona label: 'attribute=group'\}, got list"):
        metric.compute(**inputs, n_boot=0, persona_groups=[("a woman", "sex=Female")])


def test_no_deviation_unless_asked(metric, inputs):
    out = metric.compute(**inputs, n_boot=0)
    assert out["deviation"] is None and set(out["personas"]) == {"a woman", "a man", "a doctor"}
