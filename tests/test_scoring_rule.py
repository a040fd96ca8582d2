"""Issue 22: the correlation-weighted scoring rule, selectable everywhere a selection is.

The weighted score is checked against a hand computation (sum_i w_i (r_i - family mean) / sum_i |w_i|); the
threshold rule stays the default and the paper's (its scores are unchanged: tests/test_reproduction.py). Its
held-out validity on the release is in tests/builders/test_builders_chance.py (the issue's audit, 0.186).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset
from valueportrait.errors import InputError
from valueportrait.evaluation import evaluate_ratings
from valueportrait.scoring import interval_portrait, portrait_reliability, score_matrix, score_portrait
from valueportrait.scoring.design import Design
from valueportrait.scoring.engine import linear_coefficients
from valueportrait.selection import selection_departures, weighted_table
from valueportrait.settings import Intervals, Selection

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hand.csv"


def test_weighted_score_by_hand():
    sel = pd.DataFrame({"item_id": ["a", "b", "c"], "family": "pvq", "dimension": "Power",
                        "key": [1, -1, 1], "weight": [0.4, -0.2, 0.1]})
    d = Design.from_selection(sel)
    r = np.array([5.0, 2.0, 3.0])
    got = score_matrix(r, d)
    fm = r.mean()  # every item is valid for the family
    j = 4  # Power
    want = (0.4 * (5 - fm) - 0.2 * (2 - fm) + 0.1 * (3 - fm)) / 0.7
    assert got.score[0, j] == pytest.approx(want)
    assert got.n[0, j] == 3  # n counts the rated items, not their weights
    C, c0 = linear_coefficients(d)
    assert (r @ C + c0)[j] == pytest.approx(want)
    assert d.weighted and not Design.from_selection(sel.drop(columns="weight")).weighted


def test_bad_weights_are_errors():
    sel = pd.DataFrame({"item_id": ["a"], "family": "pvq", "dimension": "Power", "weight": [float("nan")]})
    with pytest.raises(InputError, match="weights must be finite and non-zero"):
        Design.from_selection(sel)
    with pytest.raises(InputError, match="scoring must be one of .threshold., .weighted., got .soft."):
        Selection(scoring="soft")


def test_the_dataset_selects_by_either_rule(built_dataset):
    data = open_dataset(built_dataset)
    w = data.selection(Selection(scoring="weighted"))
    assert len(w) == data.correlations["rho_published"].notna().sum() - (data.correlations["rho_published"] == 0).sum()
    np.testing.assert_array_equal(w["weight"], weighted_table(data.correlations)["weight"])
    assert data.selection(Selection(scoring="threshold")).equals(data.selection())
    # a build made with --scoring weighted selects by weights unless told otherwise; it is not the paper's
    built_weighted = replace(data, build_info={**data.build_info,
                                               "selection": {**data.build_info["selection"], "scoring": "weighted"}})
    assert "weight" in built_weighted.selection().columns
    assert "weight" not in built_weighted.selection(Selection(scoring="threshold")).columns
    assert selection_departures(built_weighted.build_info["selection"]) == ["scoring weighted (paper: threshold)"]


def test_intervals_and_reliability_under_both_rules(built_dataset):
    """Every interval unit and the portrait reliability run on a weighted design; a model rating at random
    gets intervals that cover 0 on most dimensions under both rules."""
    data = open_dataset(built_dataset)
    rng = np.random.default_rng(1)
    variants = ["v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed"]
    ratings = pd.DataFrame([(i, v, float(rng.integers(1, 7))) for i in data.item_ids for v in variants],
                           columns=["item_id", "variant", "rating"])
    for scoring in ("threshold", "weighted"):
        sel = data.selection(Selection(scoring=scoring))
        for unit in ("variants", "items", "items+variants"):
            p = interval_portrait(ratings, sel, ci_over=unit)
            assert p["ci_low"].notna().all() and (p["ci_low"] <= p["score"]).all() and (p["score"] <= p["ci_high"]).all()
            assert ((p["ci_low"] <= 0) & (p["ci_high"] >= 0)).mean() >= 0.7
        rel = portrait_reliability(ratings, sel)
        assert rel["reliable"] is False  # random answers have no stable profile
    assert score_portrait(ratings, data.selection(Selection(scoring="weighted")))["n"].min() > 400


def test_score_and_compare_take_scoring(built_dataset, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["score", str(EXAMPLE), "--dataset", str(built_dataset), "--scoring", "weighted",
                              "--n-boot", "0", "--no-humans", "--out", str(tmp_path / "w")])
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "w" / "leaderboard.json").read_text())["meta"]
    assert meta["selection"]["scoring"] == "weighted" and meta["above_chance"]["bfi"]["Neuroticism"] is False
    res = runner.invoke(cli, ["score", str(EXAMPLE), "--dataset", str(built_dataset), "--scoring", "nope"])
    assert res.exit_code != 0 and "'nope' is not one of 'threshold', 'weighted'" in res.output
    two = tmp_path / "two.csv"
    hand = pd.read_csv(EXAMPLE)
    pd.concat([hand, hand.assign(model="other", rating=7 - hand["rating"])]).to_csv(two, index=False)
    res = runner.invoke(cli, ["compare", str(two), "--dataset", str(built_dataset), "--baseline", "hand-made",
                              "--ci-over", "items", "--scoring", "weighted", "--json", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "c.json").read_text())["selection"]["scoring"] == "weighted"


def test_metric_takes_scoring(built_dataset):
    data = open_dataset(built_dataset)
    ids = data.item_ids
    ratings = np.random.default_rng(0).integers(1, 7, len(ids)).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {s: evaluate_ratings(ratings, ids, dataset=data, selection=Selection(scoring=s),
                                   intervals=Intervals(n_boot=0, over="items")) for s in ("threshold", "weighted")}
    assert out["weighted"]["settings"]["scoring"] == "weighted" and out["threshold"]["settings"]["scoring"] == "threshold"
    assert out["weighted"]["scores"]["pvq"]["Power"]["score"] != out["threshold"]["scores"]["pvq"]["Power"]["score"]


def test_a_weighted_build_records_its_rule(built_dataset):
    """`valueportrait build --scoring weighted` (builders.assemble -> with_scoring): build_info says so, the
    version label calls it custom, and the dataset's default selection is the weighted one."""
    from valueportrait.builders.release import with_scoring

    data = with_scoring(open_dataset(built_dataset), "weighted")
    assert data.build_info["selection"]["scoring"] == "weighted" and data.build_info["paper_selection"] is False
    assert data.build_info["version_label"].endswith("(custom selection: scoring weighted; not the paper's)")
    assert "weight" in data.selection().columns
    with pytest.raises(InputError, match="unknown scoring rule"):
        with_scoring(data, "soft")
