"""A SYNTHETIC population with known group gaps: the deviation statistics must recover them.

Everything here is generated in the test (seeded) and labelled synthetic; nothing of it is data of the
benchmark. 60 items (4 per dimension of the 10 values and the 5 traits) in 2 survey groups of 30 items, 150
raters per survey group, each of sex A or B (plus 3 raters of sex C: a group too small for norms).

Human rating of item i by a rater of group g: round(base_i + s_g * gap_d(i) + noise), s_A = +1/2, s_B = -1/2,
noise ~ N(0, 0.6), clipped to 1..6. True gaps A - B: Power +1, Benevolence -1, Openness +0.8, others 0.
On the benchmark's centred scale (score = dimension mean - family mean) the true score gaps are
gap_d - mean_family(gap): pvq Power +1, Benevolence -1 (the family mean does not move: +4 - 4 = 0 over 40
items), others 0; bfi Openness 0.8 - 0.8*4/20 = 0.64, the other traits -0.16.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from valueportrait.demographics import demographics_from_frame
from valueportrait.norms import human_group_norms
from valueportrait.deviation import compare_personas
from valueportrait.scale import FAMILIES
from valueportrait.errors import InputError
from valueportrait.scale import DIMENSIONS
from valueportrait.settings import Deviation, Intervals

TRUE_GAP = {("pvq", "Power"): 1.0, ("pvq", "Benevolence"): -1.0, ("bfi", "Openness"): 0.8}
TRUE_SCORE_GAP = {fd: 0.0 for fd in DIMENSIONS if fd[0] == "pvq"}
TRUE_SCORE_GAP.update({("pvq", "Power"): 1.0, ("pvq", "Benevolence"): -1.0})
TRUE_SCORE_GAP.update({("bfi", d): -0.16 for d in FAMILIES["bfi"]})
TRUE_SCORE_GAP[("bfi", "Openness")] = 0.64


@pytest.fixture(scope="module")
def population():
    rng = np.random.default_rng(20250101)
    dims = [fd for fd in DIMENSIONS if fd[0] in ("pvq", "bfi")]
    item_ids, sel_rows, item_gap = [], [], []
    for k, (f, d) in enumerate(dims):
        for j in range(4):
            iid = f"syn{k:02d}-{j + 1}"
            item_ids.append(iid)
            sel_rows.append({"item_id": iid, "family": f, "dimension": d, "key": 1})
            item_gap.append(TRUE_GAP.get((f, d), 0.0))
    item_gap = np.array(item_gap)
    base = rng.uniform(2.8, 4.2, len(item_ids))
    survey = np.arange(len(item_ids)) % 2 + 1  # items alternate between survey groups 1 and 2
    rows, people = [], []
    for sg in (1, 2):
        n = 150 + (3 if sg == 1 else 0)
        sex = np.r_[rng.choice(["A", "B"], 150), ["C"] * (n - 150)]
        for r in range(n):
            pid = f"SYN{sg}{r:03d}"
            people.append({"pid": pid, "sex": sex[r]})
            s = {"A": 0.5, "B": -0.5, "C": 0.0}[sex[r]]
            its = np.flatnonzero(survey == sg)
            rating = np.clip(np.round(base[its] + s * item_gap[its] + rng.normal(0, 0.6, len(its))), 1, 6)
            rows.append(pd.DataFrame({"participant_id": pid, "survey_group": sg,
                                      "item_id": np.array(item_ids)[its], "rating": rating.astype(np.int64)}))
    people = pd.DataFrame(people)
    participants = pd.DataFrame({"participant_id": people["pid"], "survey_groups": [[int(p[3])] for p in people["pid"]]})
    for f, d in DIMENSIONS:
        participants[f"{f}_{d}"] = rng.normal(size=len(people))
    sel = pd.DataFrame(sel_rows)
    data = SimpleNamespace(items=pd.DataFrame({"item_id": item_ids}), human_ratings=pd.concat(rows, ignore_index=True),
                           participants=participants, selection=lambda: sel)
    demo = demographics_from_frame(people.rename(columns={"pid": "participant_id"}))
    return SimpleNamespace(data=data, demo=demo, base=base, item_gap=item_gap, item_ids=item_ids, rng=rng)


def model_ratings(pop, personas: dict[str, float], *, amplify: float = 1.0, extra: dict | None = None):
    """Noise-free model means: base_i + amplify * s * gap_i (+ extra shift on one dimension's items)."""
    frames = []
    for persona, s in personas.items():
        r = pop.base + amplify * s * pop.item_gap
        if extra and persona in extra:
            dim_items, shift = extra[persona]
            r = r + shift * np.isin(np.arange(len(r)), dim_items)
        frames.append(pd.DataFrame({"model": "synthetic-model", "item_id": pop.item_ids, "variant": "v1",
                                    "persona": persona, "rating": r}))
    return pd.concat(frames, ignore_index=True)


def dim_items(pop, dimension: str) -> np.ndarray:
    sel = pop.data.selection()
    return np.flatnonzero(np.isin(pop.item_ids, sel.loc[sel["dimension"] == dimension, "item_id"]))


def test_human_gaps_recovered_with_permutation_pvalues(population):
    rep = compare_personas(population.data, population.demo, model_ratings(population, {"sex=A": 0.5, "sex=B": -0.5}),
                           intervals=Intervals(over="items", n_boot=300, seed=1), deviation=Deviation(n_perm=400))
    gaps = rep.gaps.set_index(["family", "dimension"])
    for fd, true in TRUE_SCORE_GAP.items():
        assert gaps.loc[fd, "human_gap"] == pytest.approx(true, abs=0.15), fd
        assert gaps.loc[fd, "human_gap_ci_low"] < gaps.loc[fd, "human_gap"] < gaps.loc[fd, "human_gap_ci_high"]
    for fd in [("pvq", "Power"), ("pvq", "Benevolence"), ("bfi", "Openness")]:
        assert gaps.loc[fd, "p_value"] == pytest.approx(1 / 401)  # smallest attainable: no relabelling beats it
        assert gaps.loc[fd, "sign_agree"] == 1.0
        assert gaps.loc[fd, "amplification"] == pytest.approx(1.0, abs=0.15)  # the model reproduces the gap
    null = [fd for fd in DIMENSIONS if fd[0] == "pvq" and fd not in TRUE_GAP]
    assert (gaps.loc[null, "p_value"] > 0.05).sum() >= 6  # no true gap: mostly not significant
    bias = rep.bias.set_index("family")
    assert bias.loc["pvq", "bias_index"] < 0.08  # faithful model: gaps match up to sampling noise
    assert bias.loc["pvq", "exaggeration"] == pytest.approx(1.0, abs=0.25)


def test_exaggerating_model_is_flagged(population):
    rep = compare_personas(population.data, population.demo,
                           model_ratings(population, {"sex=A": 0.5, "sex=B": -0.5},
                                         amplify=2.0),
                           intervals=Intervals(over="items", n_boot=300, seed=2), deviation=Deviation(n_perm=200))
    gaps = rep.gaps.set_index(["family", "dimension"])
    for fd in [("pvq", "Power"), ("pvq", "Benevolence")]:
        assert gaps.loc[fd, "model_gap"] == pytest.approx(2 * TRUE_SCORE_GAP[fd])  # noise-free model: exact
        assert gaps.loc[fd, "amplification"] == pytest.approx(2.0, abs=0.3)
    bias = rep.bias.set_index("family")
    # model gap - human gap is about +1 on Power, -1 on Benevolence, 0 elsewhere: BI about 2/10 = 0.2
    assert bias.loc["pvq", "bias_index"] == pytest.approx(0.2, abs=0.06)
    assert bias.loc["pvq", "bias_index_ci_low"] > 0.1
    assert bias.loc["pvq", "exaggeration"] > 1.5


def test_deviation_of_one_dimension_recovered(population):
    # Persona A's model adds +0.6 to the 4 Security items: Security deviation 0.6 - 0.6*4/40 = 0.54,
    # every other value -0.06 (the family mean moves by 0.06).
    ratings = model_ratings(population, {"sex=A": 0.5, "sex=B": -0.5},
                            extra={"sex=A": (dim_items(population, "Security"), 0.6)})
    rep = compare_personas(population.data, population.demo, ratings,
                           intervals=Intervals(over="items", n_boot=400, seed=3), deviation=Deviation(n_perm=0))
    a = rep.dimensions[rep.dimensions["persona"] == "sex=A"].set_index(["family", "dimension"])
    sec = a.loc[("pvq", "Security")]
    assert sec["deviation"] == pytest.approx(0.54, abs=0.12)
    assert sec["deviation_ci_low"] > 0.2 and sec["deviation_ci_high"] > sec["deviation"]
    others = a.loc[[fd for fd in DIMENSIONS if fd[0] == "pvq" and fd[1] != "Security"], "deviation"]
    assert others.abs().max() < 0.2
    agr = rep.agreement.set_index(["persona", "family"])
    assert agr.loc[("sex=B", "pvq"), "pearson"] > 0.9  # B is faithful
    assert agr.loc[("sex=B", "pvq"), "rmse"] < 0.1
    assert agr.loc[("sex=A", "pvq"), "rmse"] > agr.loc[("sex=B", "pvq"), "rmse"]
    assert rep.gaps["p_value"].isna().all()  # n_perm=0: no p-values


def test_small_group_is_a_documented_null(population):
    ratings = model_ratings(population, {"sex=A": 0.5, "sex=B": -0.5, "sex=C": 0.0})
    rep = compare_personas(population.data, population.demo, ratings,
                           intervals=Intervals(over="items", n_boot=100, seed=4), deviation=Deviation(n_perm=50))
    c = rep.dimensions[rep.dimensions["persona"] == "sex=C"]
    assert c["human_score"].isna().all() and c["deviation"].isna().all()
    assert (c["note"] == "fewer than 5 raters (3): too few for a group portrait; no statistics").all()
    assert c["model_score"].notna().sum() == 15  # the model side is still reported (10 values + 5 traits)
    assert rep.agreement.loc[rep.agreement["persona"] == "sex=C", "pearson"].isna().all()
    # pairs with C get notes; the bias index uses the one valid pair A-B
    assert rep.gaps.loc[(rep.gaps["group_b"] == "C") | (rep.gaps["group_a"] == "C"), "note"].str.startswith(
        "fewer than 5").all()
    assert (rep.bias["n_pairs"] == 1).all()
    norms = human_group_norms(population.data, population.demo, n_boot=50)
    small = norms[norms["group"] == "C"]
    assert small["score"].isna().all() and (small["n_raters"] == 3).all()
    assert small["note"].iloc[0].startswith("fewer than 5 raters (3)")


def test_persona_without_group_is_an_error(population):
    ratings = model_ratings(population, {"a helpful assistant": 0.0})
    with pytest.raises(InputError, match="persona 'a helpful assistant' has no human group"):
        compare_personas(population.data, population.demo, ratings, intervals=Intervals(over="items", n_boot=10))
    with pytest.raises(InputError,
                       match=r"no group 'D' of 'sex' in the demographics \(<table>\); groups: 'A', 'B', 'C'"):
        compare_personas(population.data, population.demo, model_ratings(population, {"sex=D": 0.0}),
                         intervals=Intervals(over="items", n_boot=10))
    with pytest.raises(InputError, match="attribute 'age', which the demographics"):
        compare_personas(population.data, population.demo, model_ratings(population, {"age=old": 0.0}),
                         intervals=Intervals(over="items", n_boot=10))
    # a persona map gives free-text personas their group
    rep = compare_personas(population.data, population.demo, ratings, intervals=Intervals(over="items", n_boot=10),
                           deviation=Deviation(n_perm=0, persona_groups={"a helpful assistant": "sex=A"}))
    assert set(rep.dimensions["group"]) == {"A"}
    # a rating off the 1-6 scale is an error (the scoring core's check), not a silently skewed item mean
    bad = model_ratings(population, {"sex=A": 0.0})
    bad.loc[bad.index[0], "rating"] = 7.0
    with pytest.raises(InputError, match=r"1 rating\(s\) outside 1-6"):
        compare_personas(population.data, population.demo, bad, intervals=Intervals(over="items", n_boot=10))


def test_distribution_alignment_prefers_the_matching_sampler(population):
    # Two samplers of 10 integer ratings per item for group A: one from the humans' own generative process,
    # one shifted by +2 rating points. The matching one aligns better on both measures.
    rng = np.random.default_rng(5)
    frames = []
    for persona, shift in {"matching": 0.0, "shifted": 2.0}.items():
        mu = population.base + 0.5 * population.item_gap + shift
        r = np.clip(np.round(mu[None, :] + rng.normal(0, 0.6, (10, len(mu)))), 1, 6)
        frames.append(pd.DataFrame({"item_id": np.tile(population.item_ids, 10), "persona": persona,
                                    "rating": r.ravel()}))
    rep = compare_personas(population.data, population.demo, pd.concat(frames, ignore_index=True),
                           deviation=Deviation(persona_groups={"matching": "sex=A", "shifted": "sex=A"},
                                               n_perm=0), intervals=Intervals(over="items", n_boot=20))
    d = rep.distributions.set_index("persona")
    assert (d["n_items"] == 60).all()  # every item of the synthetic population (module docstring)
    assert d.loc["matching", "wasserstein"] > 0.95  # W1 about 0.1 rating points at most
    assert d.loc["shifted", "wasserstein"] == pytest.approx(1 - 2 / 5, abs=0.05)  # shifted by 2 of K-1 = 5 points
    assert d.loc["matching", "js"] > d.loc["shifted", "js"] + 0.3
    assert rep.gaps.empty  # both personas play the same group: no between-group pair


def test_compare_with_norms_table_matches_raters(population):
    """Group norms passed as a table (the human_group_norms schema) give the same point statistics."""
    from valueportrait.deviation import compare_with_norms

    ratings = model_ratings(population, {"sex=A": 0.5, "sex=B": -0.5, "sex=C": 0.0}, amplify=2.0)
    norms = human_group_norms(population.data, population.demo, n_boot=400, seed=0)
    sel = population.data.selection()
    by_raters = compare_personas(population.data, population.demo, ratings,
                                 intervals=Intervals(over="items", n_boot=200, seed=0), deviation=Deviation(n_perm=0))
    by_norms = compare_with_norms(ratings, norms, sel, items=population.item_ids,
                                  intervals=Intervals(over="items", n_boot=200, seed=0))
    cols = ["model_score", "human_score", "deviation"]
    pd.testing.assert_frame_equal(by_norms.dimensions[cols], by_raters.dimensions[cols])
    np.testing.assert_allclose(by_norms.gaps["human_gap"], by_raters.gaps["human_gap"])
    assert by_norms.gaps["p_value"].isna().all()
    b = by_norms.bias.set_index("family")
    assert b.loc["pvq", "bias_index"] == pytest.approx(by_raters.bias.set_index("family").loc["pvq", "bias_index"])
    # the normal approximation of the human CI gives intervals of about the same width as the rater bootstrap
    w_norm = (by_norms.dimensions["human_ci_high"] - by_norms.dimensions["human_ci_low"]).dropna()
    w_boot = (by_raters.dimensions["human_ci_high"] - by_raters.dimensions["human_ci_low"]).dropna()
    assert np.median(w_norm / w_boot) == pytest.approx(1.0, abs=0.25)
    # the small group's null carries its note; no item-level ratings -> no distribution alignment
    c = by_norms.dimensions[by_norms.dimensions["group"] == "C"]
    assert c["human_score"].isna().all() and c["note"].iloc[0].startswith("fewer than 5 raters (3)")
    assert by_norms.distributions.loc[by_norms.distributions["group"] == "A", "note"].iloc[0].startswith(
        "no item-level human ratings")
    # published norms without CIs: the human scores are taken as exact
    exact = compare_with_norms(ratings, norms.drop(columns=["score_ci_low", "score_ci_high"]), sel,
                               intervals=Intervals(over="items", n_boot=50))
    a = exact.dimensions[exact.dimensions["group"] == "A"].dropna(subset=["human_score"])
    np.testing.assert_allclose(a["human_ci_low"], a["human_score"])
    with pytest.raises(InputError, match=r"norms table lacks column\(s\) \['score'\]"):
        compare_with_norms(ratings, norms.drop(columns=["score"]), sel)
    with pytest.raises(InputError, match="no group 'D' of 'sex' in the norms table"):
        compare_with_norms(model_ratings(population, {"sex=D": 0.0}), norms, sel)


@pytest.mark.filterwarnings("error")  # no deprecated read_csv option on pandas >= 3.1
def test_norms_csv_reads_back_the_exact_floats(tmp_path):
    """A norms table written with ``to_csv`` reads back bit for bit (pandas 3.0's default CSV float parser
    is up to 1 ulp off, which made the same norms give different statistics as a file than as a DataFrame)."""
    from valueportrait.deviation import read_norms

    scores = np.random.default_rng(0).normal(size=500)  # 500 random doubles: the default parser misses some
    table = pd.DataFrame({"attribute": "sex", "group": "Female", "family": "pvq", "dimension": "Power",
                          "score": scores})
    table.to_csv(tmp_path / "norms.csv", index=False)
    back = read_norms(tmp_path / "norms.csv")
    assert np.array_equal(back["score"].to_numpy(), scores)
    # issue 20: one table reader for every input table: TSV too, and a bad cell is named by its line
    table.to_csv(tmp_path / "norms.tsv", index=False, sep="\t")
    assert np.array_equal(read_norms(tmp_path / "norms.tsv")["score"].to_numpy(), scores)
    (tmp_path / "bad.csv").write_text("attribute,group,family,dimension,score\nsex,Female,pvq,Power,high\n")
    with pytest.raises(InputError, match=r"norms table '.*bad.csv', line 2: score must be a number, got 'high'"):
        read_norms(tmp_path / "bad.csv")


def test_likert_phrases_give_the_same_report_as_numbers(population):
    """A persona ratings table of Likert phrases is parsed (the scoring's parser), not coerced to NaN: it gives
    the very report its numeric twin gives (every table, bit for bit), on the raters and on a norms table."""
    from valueportrait.deviation import compare_with_norms
    from valueportrait.scale import PHRASE_OF

    rng = np.random.default_rng(11)
    frames = []
    for persona, s in {"sex=A": 0.5, "sex=B": -0.5}.items():
        mu = population.base + s * population.item_gap
        r = np.clip(np.round(mu[None, :] + rng.normal(0, 0.6, (3, len(mu)))), 1, 6)  # integer ratings, 3 per item
        frames.append(pd.DataFrame({"model": "synthetic-model", "item_id": np.tile(population.item_ids, 3),
                                    "persona": persona, "rating": r.ravel()}))
    numeric = pd.concat(frames, ignore_index=True)
    numeric.loc[numeric.index[:5], "rating"] = np.nan  # a few missing ratings stay missing
    phrases = numeric.assign(rating=[None if np.isnan(v) else PHRASE_OF[int(v)] for v in numeric["rating"]])
    assert phrases["rating"].iloc[5] in PHRASE_OF.values()  # e.g. "somewhat like me"
    norms = human_group_norms(population.data, population.demo, n_boot=100, seed=0)
    runs = [lambda t: compare_personas(population.data, population.demo, t, intervals=Intervals(over="items", n_boot=100, seed=7), deviation=Deviation(n_perm=50)),
            lambda t: compare_with_norms(t, norms, population.data.selection(),
                                         intervals=Intervals(over="items", n_boot=100, seed=7))]
    reports = []
    for run in runs:
        by_numbers, by_phrases = run(numeric), run(phrases)
        for name, table in by_numbers.tables().items():
            pd.testing.assert_frame_equal(by_phrases.tables()[name], table, check_exact=True, obj=name)
        assert by_phrases.settings == by_numbers.settings
        reports.append(by_phrases)
    assert (reports[0].distributions["n_items"] == 60).all()  # 2+ samples of each of the 60 items: all enter
    scored = reports[0].gaps["family"].isin(["pvq", "bfi"])  # the synthetic items measure no higher-order value
    assert reports[0].gaps.loc[scored, "p_value"].notna().all() and reports[1].bias["bias_index"].notna().all()
    bad = phrases.copy()
    bad.loc[bad.index[7], "rating"] = "rather like me, I guess"
    with pytest.raises(InputError, match=r"1 of the 360 model ratings are not ratings: \[7\] 'rather like me"):
        compare_personas(population.data, population.demo, bad, intervals=Intervals(over="items", n_boot=10),
                         deviation=Deviation(n_perm=0))
