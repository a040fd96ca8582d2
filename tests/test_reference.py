"""The released models as a reference (issue 23, point 3): the build's ``reference_portraits`` config and
``valueportrait score --reference``.

The config scores upstream's outputs with the build's selection through ``score_leaderboard``; its scores are
checked against upstream's published score files (lm_evaluation/score_results/final_results_0.3_pos_centered,
holi-lab/ValuePortrait @08e1fb7) exactly where tests/test_reproduction.py checks them (pvq and bfi of three
models, bfi of llama, whose pvq differs by one item as documented there).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.builders.reference import attach_reference, has_outputs
from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset
from valueportrait.reference import reference_percentiles
from valueportrait.schema import REFERENCE_COLUMNS

MODELS = ["claude-3-5-sonnet-20241022", "gemini-2.0-flash-001", "gpt-4o-2024-11-20", "llama-3.1-8b-instruct"]


@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


def published(raw_dir, model):
    path = (raw_dir / "lm_evaluation" / "score_results" / "final_results_0.3_pos_centered"
            / f"{model}_averaged_results_0.3_pos_centered_scores.json")
    return json.loads(path.read_text())["scores"]


def test_the_build_holds_the_released_models_and_the_humans(data, built_dataset):
    ref = data.reference_portraits
    assert ref is not None and tuple(ref.columns) == REFERENCE_COLUMNS
    assert ref["model"].unique().tolist() == [*MODELS, "human raters"]
    assert (ref.groupby("model").size() == 19).all()  # 10 pvq + 4 higher_pvq + 5 bfi
    models = ref[ref["model"] != "human raters"]
    assert models["ci_over"].eq("variants").all() and (models["ci_low"] <= models["score"]).all()
    # coverage: rated answers of 520 items x 6 variants = 3,120 requests; claude and gpt-4o parse everywhere,
    # gemini and llama leave some answers unparsed (regression pin: 3,098 and 3,064 rated), hence partial
    share = models.groupby("model")["coverage_share"].first()
    assert share.to_dict() == pytest.approx({MODELS[0]: 1.0, MODELS[1]: 3098 / 3120, MODELS[2]: 1.0,
                                             MODELS[3]: 3064 / 3120}, abs=1e-12)
    assert (models["partial"] == (models["coverage_share"] < 1)).all()
    humans = ref[ref["model"] == "human raters"]
    assert humans["reliable"].isna().all() and humans["coverage_share"].isna().all()
    info = json.loads((built_dataset / "build_info.json").read_text())["reference_portraits"]
    assert info["models"] == MODELS and info["source"] == "lm_evaluation/outputs"
    card = (built_dataset / "README.md").read_text()
    assert "config_name: reference_portraits" in card and all(f"`{m}`" in card for m in MODELS)


@pytest.mark.parametrize("model", MODELS)
def test_scores_equal_upstreams_published_files(raw_dir, data, model):
    ref = data.reference_portraits
    mine = ref[ref["model"] == model]
    pub = published(raw_dir, model)
    families = {"bfi"} if model.startswith("llama") else {"pvq", "bfi"}  # llama's pvq: test_reproduction.py
    checked = 0
    for r in mine.itertuples():
        if r.family in families:
            u = pub[r.family][r.dimension]
            assert r.n_items == u["n"] and r.score == pytest.approx(u["centered_mean"], abs=1e-9), r.dimension
            checked += 1
    assert checked == (5 if model.startswith("llama") else 15)


def test_no_outputs_no_reference(release, release_data):
    """A raw release without lm_evaluation/outputs (the conftest copy holds only the builders' inputs)."""
    assert not has_outputs(release)
    assert attach_reference(release_data, release) is release_data


def test_percentiles_by_hand():
    """Hand computation: reference scores 0.1, 0.2, 0.2, 0.4 (and the new model's own released row, left out):
    0.2 has 1 below and 2 ties -> (1 + 1) / 4 = 50 %, rank 2 (one above); 0.5 -> 100 %, rank 1."""
    ref = pd.DataFrame({"model": ["a", "b", "c", "d", "new", "human raters"], "family": "bfi",
                        "dimension": "Openness", "score": [0.1, 0.2, 0.2, 0.4, -9.0, 0.3]})
    for score, pct, rank in [(0.2, 50.0, 2), (0.5, 100.0, 1), (0.0, 0.0, 5)]:
        new = {"new": pd.DataFrame({"family": ["bfi"], "dimension": ["Openness"], "score": [score]})}
        row = reference_percentiles(new, ref).iloc[0]
        assert (row.percentile, row["rank"], row.n_reference) == (pct, rank, 4)
        assert row.reference_median == pytest.approx(0.2) and row.human_score == 0.3
    nan = {"new": pd.DataFrame({"family": ["bfi"], "dimension": ["Openness"], "score": [np.nan]})}
    assert np.isnan(reference_percentiles(nan, ref).iloc[0].percentile)


def test_score_prints_the_percentiles(raw_dir, built_dataset):
    outputs = str(raw_dir / "lm_evaluation" / "outputs" / "final")
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", outputs, "--dataset", str(built_dataset)])
    assert res.exit_code == 0, res.output
    assert "Percentile among the released models" in res.output
    assert "gpt-4o-2024-11-20 among 3 released model(s):" in res.output  # itself left out
    # llama has the lowest pvq Benevolence of the four (upstream's published centred means: claude 0.544,
    # gemini 0.649, gpt-4o 0.532, llama -0.008), so 0 % and rank 4/4
    line = next(x for x in res.output.split("llama-3.1-8b-instruct among")[1].splitlines() if "Benevolence" in x)
    assert line.split()[3:5] == ["0", "4/4"]
    off = CliRunner().invoke(cli, ["score", "--upstream-outputs", outputs, "--dataset", str(built_dataset),
                                   "--threshold", "0.2"])
    assert off.exit_code == 0, off.output
    assert "Reference: none" in off.output and "Percentile among" not in off.output
