"""Comparisons (scoring.compare): Holm's adjustment against statsmodels and a hand computation; compare_models
on the 4 released models; a baseline that is not there is an error listing the models."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from valueportrait.errors import InputError
from valueportrait.scoring import COMPARISON_COLUMNS, compare_models, compare_portraits, holm


def test_holm_by_hand():
    # sorted p: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone: 0.06); NaN stays out
    got = holm(np.array([0.04, 0.01, np.nan, 0.03]))
    np.testing.assert_allclose(got, [0.06, 0.03, np.nan, 0.06])
    assert holm(np.array([0.5, 0.9]))[1] == 1.0  # capped at 1


def test_holm_equals_statsmodels():
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    p = np.random.default_rng(3).uniform(0, 0.2, 19)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], atol=1e-15)


@pytest.fixture(scope="module")
def released(raw_dir):
    from valueportrait.ratings.upstream import read_upstream_outputs

    return read_upstream_outputs(raw_dir / "lm_evaluation" / "outputs" / "final")


def test_compare_models_on_the_release(released, release_data):
    sel = release_data.selection()
    base = "gpt-4o-2024-11-20"
    out = compare_models(released, sel, base)
    assert list(out.columns[:len(COMPARISON_COLUMNS)]) == COMPARISON_COLUMNS
    assert sorted(out["model"].unique()) == ["claude-3-5-sonnet-20241022", "gemini-2.0-flash-001",
                                             "llama-3.1-8b-instruct"]
    assert len(out) == 3 * 19 and (out["baseline"] == base).all()
    for model, rows in out.groupby("model"):
        one = compare_portraits(released[released["model"] == model], released[released["model"] == base], sel)
        np.testing.assert_allclose(rows["difference"], one["difference"], atol=1e-12)
        # Holm within this comparison, and p from the same SE and df as the interval (Welch t)
        np.testing.assert_allclose(rows["p_adjusted"], holm(rows["p_value"].to_numpy()), atol=1e-15)
        t = rows["difference"] / rows["se"]
        np.testing.assert_allclose(rows["p_value"], 2 * stats.t.sf(np.abs(t), rows["df"]), rtol=1e-12)
        half = stats.t.ppf(0.975, rows["df"]) * rows["se"]
        np.testing.assert_allclose(rows["ci_high"] - rows["difference"], half, rtol=1e-12)
        assert (rows["p_adjusted"] >= rows["p_value"]).all()
    items = compare_models(released, sel, base, ci_over="items")
    assert (items["ci_over"] == "items").all() and (items["df"] == items["n"] - 1).all()


def test_unknown_baseline_lists_the_models(released, release_data):
    with pytest.raises(InputError, match="unknown baseline 'gpt-5'.*claude-3-5-sonnet-20241022"):
        compare_models(released, release_data.selection(), "gpt-5")
    one = pd.DataFrame({"model": "m", "item_id": ["1-1"], "rating": [3.0]})
    with pytest.raises(InputError, match="at least one model besides the baseline"):
        compare_models(one, release_data.selection(), "m")


def test_cli_compare_writes_json_and_marks_survivors(raw_dir, built_dataset, tmp_path):
    import json

    from click.testing import CliRunner

    from valueportrait.cli.main import cli

    outputs = raw_dir / "lm_evaluation" / "outputs" / "final"
    out = tmp_path / "cmp.json"
    res = CliRunner().invoke(cli, ["compare", "--upstream-outputs", str(outputs), "--dataset", str(built_dataset),
                                   "--baseline", "gpt-4o-2024-11-20", "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["ci_over"] == "variants" and data["adjustment"] == "holm" and len(data["comparisons"]) == 3 * 19
    assert list(data["comparisons"][0]) == COMPARISON_COLUMNS
    n_marked = sum(line.startswith("* ") for line in res.output.splitlines())
    assert n_marked == sum(c["p_adjusted"] < 0.05 for c in data["comparisons"])
    bad = CliRunner().invoke(cli, ["compare", "--upstream-outputs", str(outputs), "--dataset", str(built_dataset),
                                   "--baseline", "gpt-5"])
    assert bad.exit_code == 1 and "Error: unknown baseline 'gpt-5'" in bad.output
    assert "llama-3.1-8b-instruct" in bad.output
