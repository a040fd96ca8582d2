"""Leaderboard and upstream-schema writers; the radar chart on a small portrait."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from valueportrait import score_portrait
from valueportrait.errors import OutputExistsError
from valueportrait.report import leaderboard_table, leaderboard_text, upstream_scores, write_leaderboard

SEL = pd.DataFrame([("a", "pvq", "Power", 1), ("b", "pvq", "Security", 1), ("c", "bfi", "Openness", 1)],
                   columns=["item_id", "family", "dimension", "key"])


@pytest.fixture
def portraits():
    r = pd.DataFrame({"item_id": ["a", "b", "c"], "rating": [5.0, 3.0, 4.0]})
    return {"m1": score_portrait(r, SEL), "m2": score_portrait(r.assign(rating=[2.0, 4.0, 1.0]), SEL)}


def test_upstream_schema_with_nulls(portraits):
    doc = upstream_scores("m1", portraits["m1"])
    assert doc["meta"] == {"model_name": "m1", "prompt": "averaged_0.3_pos_centered"}
    assert doc["scores"]["pvq"]["Power"] == {"centered_mean": 1.0, "original_mean": 5.0, "std_dev": 0.0, "n": 1}
    assert doc["scores"]["pvq"]["Hedonism"] == {"centered_mean": None, "original_mean": None, "std_dev": None, "n": 0}
    assert list(doc["scores"]["pvq"])[:2] == ["Self_Direction", "Stimulation"]
    json.dumps(doc, allow_nan=False)


def test_leaderboard_text_and_files(portraits, tmp_path):
    table = leaderboard_table(portraits)
    assert table.loc["m2", "Power"] == -1.0 and np.isnan(table.loc["m1", "Hedonism"])
    text = leaderboard_text(portraits)
    # hand computation: m1 Power 5 - (5 + 3) / 2 = +1, Security -1; m2 Power 2 - 3 = -1, Security +1
    assert "dimension          m1     m2" in text and "Power           +1.00  -1.00" in text
    assert "Security        -1.00  +1.00" in text and "Hedonism            —      —" in text
    paths = write_leaderboard(tmp_path, portraits, dataset="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.csv", "leaderboard.json", "leaderboard.md"]
    data = json.loads(paths["json"].read_text())
    assert data["meta"] == {"dataset": "x"} and data["models"]["m2"]["pvq"]["Security"]["score"] == 1.0
    assert data["models"]["m1"]["pvq"]["Hedonism"]["note"] == "no rated item measures Hedonism"
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        write_leaderboard(tmp_path, portraits)
    write_leaderboard(tmp_path, portraits, overwrite=True)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_radar_chart(portraits, tmp_path):
    from valueportrait.plot import radar_chart

    path = radar_chart(portraits, tmp_path / "r.png", title="two models")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*"))


def test_leaderboard_text_intervals_units_unreliable_and_width():
    from valueportrait.report import reliability_text

    base = score_portrait(pd.DataFrame({"item_id": ["a", "b", "c"], "rating": [5.0, 3.0, 4.0]}), SEL)
    with_ci = base.assign(ci_low=base["score"] - 0.25, ci_high=base["score"] + 0.5, ci_over="variants")
    humans = base.assign(ci_low=base["score"] - 0.1, ci_high=base["score"] + 0.1, ci_over="raters")
    names = [f"model-number-{k:02d}" for k in range(8)]
    portraits = {**{n: with_ci for n in names}, "human raters": humans}
    rel = {names[1]: {"reliable": False, "profile_reliability": 0.5, "profile_p": 0.2, "threshold": 0.7,
                      "alpha": 0.001, "flat": True, "profile_sd": 0.05, "flat_below": 0.1},
           names[0]: {"reliable": True},
           names[2]: {"reliable": None, "assessable": False, "verdict": "not assessable: no rating in v1"},
           names[3]: {"reliable": True, "order_bias_flag": True, "order_bias": 2.63, "item_sd": 0.4,
                      "order_bias_p": 1e-53}}
    text = leaderboard_text(portraits, reliability=rel, width=120)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert ("Schwartz basic values (PVQ-21): centred score [95% CI over prompt variants; human raters: over raters]"
            in lines)
    # Power +1.00, its interval [1 - 0.25, 1 + 0.5] as given; Hedonism has no rated item
    assert "+1.00 [+0.75, +1.50]" in text and "model-number-01 !" in text and "model-number-00 !" not in text
    words = " ".join(text.split())  # the caveat lines are wrapped to the width
    assert ("! profile not reproducible over prompt variants (reliability < 0.7 or p > 0.001): "
            "model-number-01 (0.50, p 0.2)") in words
    assert "flat profile (values differ by less than 0.1 points, SD over the 10 values): model-number-01 (SD 0.050)" in words
    assert ("the order of the answer options dominates (reversing it moves the answers more than the items do): "
            "model-number-03 (+2.63 points, item SD 0.40, p 1e-53)") in words
    assert "reliability not assessable: model-number-02 (no rating in v1)" in text
    # 9 portraits do not fit in 120 columns: each family's table is split into several blocks
    assert sum(line.startswith("Big Five (BFI-10)") for line in lines) >= 2
    md = leaderboard_text(portraits, reliability=rel, markdown=True)
    assert "| model-number-01 ! | —" in md and "| human raters |" in md
    table = reliability_text({"m": {"order_bias": 0.5, "order_bias_p": 0.001, "icc_a1": 0.25, "icc_ak": None,
                                    "split_half_r": 0.5, "profile_split_half": 2 * 0.5 / 1.5, "reliable": False,
                                    "profile_reliability": 0.4, "profile_p": 0.05, "profile_sd": 0.05, "flat": True,
                                    "profile_se": 0.04, "order_bias_flag": True},
                              "n": {"reliable": None}})
    lines = table.splitlines()
    assert lines[3].split() == ["m", "0.400", "0.05", "0.050", "flat", "0.040", "+0.500", "!", "0.001", "0.250", "—",
                                "0.667", "NO"]
    assert lines[4].split()[-2:] == ["not", "assessable"]


def test_interval_heading_never_lends_the_human_unit_to_the_models():
    # a model with one rating per item has no interval over variants; the heading must not read as if its
    # cells were over raters (issue 24: a killed run showed "[95% CI over raters]")
    base = score_portrait(pd.DataFrame({"item_id": ["a", "b", "c"], "rating": [5.0, 3.0, 4.0]}), SEL)
    humans = base.assign(ci_low=base["score"] - 0.1, ci_high=base["score"] + 0.1, ci_over="raters")
    from valueportrait.report import interval_heading

    heading = interval_heading({"killed-run": base, "human raters": humans})
    assert heading == "centred score [95% CI human raters: over raters; no interval: killed-run]"
    with_ci = base.assign(ci_low=base["score"] - 0.2, ci_high=base["score"] + 0.2, ci_over="variants")
    assert (interval_heading({"m": with_ci, "human raters": humans})
            == "centred score [95% CI over prompt variants; human raters: over raters]")
