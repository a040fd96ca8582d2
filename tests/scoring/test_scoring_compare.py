"""Comparisons (scoring.compare): Holm's adjustment against statsmodels and a hand computation; compare_models
on the 4 released models; a baseline that is not there is an error listing the models."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from valueportrait.errors import InputError
from valueportrait.settings import Intervals
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
    items = compare_models(released, sel, base, intervals=Intervals(over="items"))
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
    assert data["adjust"] == "comparison" and data["comparisons"][0]["ci_method"] == "t-analytic"
    assert list(data["comparisons"][0]) == COMPARISON_COLUMNS
    n_marked = sum(line.startswith("* ") for line in res.output.splitlines())
    assert n_marked == sum(c["p_adjusted"] < 0.05 for c in data["comparisons"])
    bad = CliRunner().invoke(cli, ["compare", "--upstream-outputs", str(outputs), "--dataset", str(built_dataset),
                                   "--baseline", "gpt-5"])
    assert bad.exit_code == 1 and "Error: unknown baseline 'gpt-5'" in bad.output
    assert "llama-3.1-8b-instruct" in bad.output and "'human raters'" in bad.output


def _pvq(means: pd.Series, selection: pd.DataFrame) -> pd.Series:
    """Independent centred pvq scores: mean of a value's items minus the mean of the family's items."""
    pvq = selection[(selection["family"] == "pvq") & selection["item_id"].isin(means.index)]
    return pvq.groupby("dimension")["item_id"].agg(lambda ids: means[list(ids)].mean()) - means[pvq["item_id"].unique()].mean()


def test_models_against_the_human_raters_on_items(released, release_data):
    """Independent computation of the differences (pandas item means, both sides on the items both rated), the
    unit named, df = items - 1, and no other unit accepted."""
    sel, human = release_data.selection(), release_data.human_ratings
    out = compare_models(released, sel, "human raters", intervals=Intervals(over="items"), human_ratings=human)
    assert sorted(out["model"].unique()) == sorted(released["model"].unique()) and len(out) == 4 * 19
    assert (out["ci_over"] == "items").all() and (out["ci_method"] == "jackknife-t").all()
    h = human.groupby("item_id")["rating"].mean()
    for model, g in released.groupby("model"):
        m = g.dropna(subset=["rating"]).groupby("item_id")["rating"].mean()
        shared = m.index.intersection(h.index)
        want = _pvq(m[shared], sel) - _pvq(h[shared], sel)
        rows = out[(out["model"] == model) & (out["family"] == "pvq")].set_index("dimension")
        np.testing.assert_allclose(rows.loc[want.index, "difference"], want, atol=1e-12)
        assert (rows["df"] == rows["n"] - 1).all()
    # humans alone: Self-Direction +0.54, Security +0.50 (docs/metric.md's human row)
    assert float(out["score_baseline"][(out["dimension"] == "Self_Direction")].iloc[0]) == pytest.approx(0.54, abs=5e-3)
    with pytest.raises(InputError, match="share one unit with a model: items"):
        compare_models(released, sel, "human raters", human_ratings=human)


def test_leaderboard_adjustment_is_holm_over_every_test(released, release_data):
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    sel = release_data.selection()
    out = compare_models(released, sel, "gpt-4o-2024-11-20", adjust="leaderboard")
    p = out["p_value"].to_numpy()
    np.testing.assert_allclose(out["p_adjusted"], multipletests(p, method="holm")[1], atol=1e-15)
    per = compare_models(released, sel, "gpt-4o-2024-11-20")
    assert (out["p_adjusted"] >= per["p_adjusted"] - 1e-15).all()  # a larger family: never smaller
    with pytest.raises(InputError, match="unknown adjust 'global'"):
        compare_models(released, sel, "gpt-4o-2024-11-20", adjust="global")


def test_cli_compare_goes_through_the_checks_of_score(raw_dir, built_dataset, tmp_path):
    """compare reads and checks its sources as score does: item ids, a file given twice, repeated requests,
    personas as portraits of their own; the human raters as the baseline on items."""
    from click.testing import CliRunner

    from valueportrait.cli.main import cli

    rows = ["model,item_id,variant,persona,rating"]
    rows += [f"m{k},{i},{v},,{(n % 6) + 1}" for k in (1, 2) for n, i in enumerate(["1008-1", "1008-3", "1003-5",
                                                                                  "1006-1"]) for v in ("v1", "v2")]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(rows) + "\n")
    run = lambda *a: CliRunner().invoke(cli, ["compare", *a, "--dataset", str(built_dataset)])  # noqa: E731
    underscore = tmp_path / "underscore.csv"
    underscore.write_text("\n".join(rows).replace("1008-1", "1008_1") + "\n")
    res = run(str(underscore), "--baseline", "m1")
    assert res.exit_code == 1 and "are not item ids of this dataset: '1008_1'" in res.output
    res = run(str(good), str(good), "--baseline", "m1")
    assert res.exit_code == 1 and "given twice" in res.output
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("\n".join(rows + rows[1:]) + "\n")
    res = run(str(doubled), "--baseline", "m1")
    assert res.exit_code == 1 and "repeat a request already rated" in res.output and "doubled.csv" in res.output
    res = run(str(doubled), "--baseline", "m1", "--duplicates", "first")
    assert res.exit_code == 0 and res.output.startswith("Duplicates: 16 rating(s)")
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("model,item_id,variant,persona,rating\nm3,1009-2,v1,,4\nm3,1009-2,v2,,5\n")
    res = run(str(good), str(elsewhere), "--baseline", "m1")
    assert res.exit_code == 1 and "m3 share(s) no rated selected item with the baseline 'm1'" in res.output
    personas = tmp_path / "personas.csv"
    personas.write_text("\n".join([rows[0]] + [r.replace("m1,", "m1,").replace(",,", ",a woman,") for r in rows[1:9]]
                                  + [r.replace("m1,", "m1,").replace(",,", ",a man,") for r in rows[1:9]]) + "\n")
    res = run(str(personas), "--baseline", "m1 [a man]", "--ci-over", "items")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("m1 [a woman] - m1 [a man] (CI over items, jackknife-t;")
    res = run(str(good), "--baseline", "human raters", "--ci-over", "items", "--adjust", "leaderboard")
    assert res.exit_code == 0, res.output
    assert "m1 - human raters (CI over items, jackknife-t; * = p_adjusted < 0.05, Holm over all" in res.output


def test_a_dimension_without_an_estimate_prints_the_one_missing_mark():
    # a dimension the compared portrait cannot score (no item) has no difference, CI or p: texttable.MISSING ("—")
    # in every column, as every other text table prints a missing value, and it is never marked significant.
    from valueportrait.comparisons import comparison_text
    from valueportrait.texttable import MISSING

    nan = float("nan")
    table = pd.DataFrame({"model": ["m", "m"], "baseline": ["human raters"] * 2, "family": ["bfi", "bfi"],
                          "dimension": ["Openness", "Neuroticism"], "difference": [0.25, nan],
                          "ci_low": [0.05, nan], "ci_high": [0.45, nan], "p_value": [0.01, nan],
                          "p_adjusted": [0.02, nan], "ci_over": ["items"] * 2, "ci_method": ["t-analytic"] * 2})
    lines = comparison_text(table, 0.05).splitlines()
    assert lines[2].split() == ["*", "bfi", "Openness", "+0.250", "[+0.05,", "+0.45]", "0.0100", "0.0200"]
    assert lines[3].split() == ["bfi", "Neuroticism", MISSING, MISSING, MISSING, MISSING]
    assert "n/a" not in "\n".join(lines) and "nan" not in "\n".join(lines)
