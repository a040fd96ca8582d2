"""``valueportrait deviation`` end to end on the built dataset, with SYNTHETIC demographics and model ratings.

The demographics (random sex / age labels over the real participant ids) and the model ratings (random
integers) are generated here and are not data of the benchmark.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli


@pytest.fixture(scope="module")
def inputs(built_dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("deviation_cli")
    rng = np.random.default_rng(11)
    pids = pd.read_parquet(next((built_dataset / "participants").glob("*.parquet")))["participant_id"]
    items = pd.read_parquet(next((built_dataset / "items").glob("*.parquet")))["item_id"]
    demo = root / "synthetic_demographics.csv"
    pd.DataFrame({"Participant id": pids, "Sex": rng.choice(["Female", "Male"], len(pids)),
                  "Age": rng.integers(18, 75, len(pids)), "Status": "APPROVED"}).to_csv(demo, index=False)
    frames = [pd.DataFrame({"model": "synthetic-model", "item_id": items, "variant": v, "persona": p,
                            "rating": rng.integers(1, 7, len(items)).astype(float)})
              for p in ("a woman", "a man") for v in ("v1", "v2", "v3")]
    ratings = root / "synthetic_ratings.csv"
    pd.concat(frames).to_csv(ratings, index=False)
    pmap = root / "personas.json"
    pmap.write_text(json.dumps({"a woman": "sex=Female", "a man": "sex=Male"}))
    return {"root": root, "demo": demo, "ratings": ratings, "pmap": pmap, "dataset": built_dataset}


def invoke(*args):
    return CliRunner().invoke(cli, ["deviation", *map(str, args)])


def test_deviation_end_to_end(inputs):
    out = inputs["root"] / "out"
    res = invoke("--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--attribute", "sex=Sex",
                 "--ratings", inputs["ratings"], "--persona-map", inputs["pmap"], "--n-boot", 200, "--n-perm", 200,
                 "--out", out)
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.iterdir())
    assert files == [".valueportrait-output.json", "agreement.csv", "bias.csv", "dimensions.csv", "distributions.csv", "gaps.csv", "radar_sex.png",
                     "settings.json"]
    assert (out / "radar_sex.png").stat().st_size > 10_000
    dims = pd.read_csv(out / "dimensions.csv")
    assert len(dims) == 2 * 19 and set(dims["persona"]) == {"a woman", "a man"}
    np.testing.assert_allclose(dims["deviation"], dims["model_score"] - dims["human_score"])
    agr = pd.read_csv(out / "agreement.csv")
    bias = pd.read_csv(out / "bias.csv")
    lines = res.stdout.splitlines()
    assert lines[0] == ("Model synthetic-model: 2 persona(s), 317 scored items; bootstrap 200, 95% CI, seed 0")
    # 317 = items measuring at least one selected dimension in the default selection (625 pairs)
    assert lines[2].split() == ["attribute", "group", "persona", "raters", "values", "r", "rho", "RMSE", "traits", "r",
                                "rho", "RMSE"]
    woman = agr[(agr["persona"] == "a woman")].set_index("family")
    n_f = int(dims.loc[dims["persona"] == "a woman", "n_raters"].iloc[0])
    assert lines[3].split() == ["sex", "Female", "a", "woman", str(n_f),
                                *(f"{woman.loc[f, k]:.2f}" for f in ("pvq", "bfi") for k in ("pearson", "spearman", "rmse"))]
    pvq = bias.set_index("family").loc["pvq"]
    assert f"{pvq['bias_index']:.3f}" in res.stdout and "Bias index = mean |model gap - human gap|" in res.stdout
    assert lines[-1] == (f"Wrote {out}/: dimensions.csv, agreement.csv, gaps.csv, bias.csv, distributions.csv, "
                         "settings.json, radar_sex.png")
    settings = json.loads((out / "settings.json").read_text())
    assert settings["model"] == "synthetic-model" and settings["n_boot"] == 200 and settings["attributes"] == ["sex"]
    # every interval names its unit and method (dimensions.csv per row, settings.json per interval)
    assert (dims[["model_ci_over", "human_ci_over", "deviation_ci_over", "ci_method"]].drop_duplicates().values.tolist()
            == [["items", "raters", "items+raters", "bootstrap-percentile"]])
    assert {k: v["ci_over"] for k, v in settings["intervals"].items() if k != "bias_excess_ci"} == {
        "model_ci": "items", "human_ci": "raters", "deviation_ci": "items+raters", "agreement_ci": "items+raters",
        "model_gap_ci": "items", "human_gap_ci": "raters", "bias_index_ci": "items+raters"}
    assert settings["intervals"]["bias_excess_ci"]["ci_method"] == "null-calibrated (index - null quantiles)"
    assert settings["zero_width"] == {} and "zero-width" not in res.stdout
    # the calibrated bias index, printed as in bias.csv (random ratings: no persona difference to find)
    assert pvq["bias_excess"] == pytest.approx(pvq["bias_index"] - pvq["bias_null"])
    assert (f"{pvq['bias_excess']:.3f}  [{pvq['bias_excess_ci_low']:.3f}, {pvq['bias_excess_ci_high']:.3f}]"
            in res.stdout)
    # the demographics file is named synthetic (as examples/synthetic_demographics.csv): settings and chart say so
    assert settings["synthetic_demographics"].startswith("SYNTHETIC demographics (made up")
    # same seed, same numbers
    res2 = invoke("--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--attribute", "sex=Sex",
                  "--ratings", inputs["ratings"], "--persona-map", inputs["pmap"], "--n-boot", 200, "--n-perm", 200,
                  "--out", out, "--overwrite", "--no-plot")
    assert res2.exit_code == 0, res2.output
    pd.testing.assert_frame_equal(pd.read_csv(out / "bias.csv"), bias)
    assert not (out / "radar_sex.png").exists()


def test_deviation_errors(inputs):
    root = inputs["root"]
    common = ["--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--ratings", inputs["ratings"],
              "--n-boot", 10, "--n-perm", 0]
    res = invoke(*common, "--attribute", "sex=Sex", "--out", root / "e1")
    assert res.exit_code == 1
    assert res.output.strip().endswith("Error: persona 'a woman' has no human group: label personas "
                                       "'attribute=group' (e.g. 'sex=Female') or map them with a persona map "
                                       "(--persona-map FILE)")
    assert not (root / "e1").exists()  # nothing half-written
    (root / "exists").mkdir()
    (root / "exists" / "x.txt").write_text("x")  # an empty folder is written into: nothing in it can be lost
    res = invoke(*common, "--out", root / "exists")
    assert res.exit_code == 1 and f"Error: the output folder '{root / 'exists'}' exists; pass --overwrite" in res.output
    res = invoke(*common, "--attribute", "sex=Gender", "--out", root / "e2")
    assert res.exit_code == 1 and "no column(s) ['Gender'] for the attribute(s) ['sex']" in res.output
    two = root / "two_models.csv"
    r = pd.read_csv(inputs["ratings"])
    pd.concat([r, r.assign(model="other")]).to_csv(two, index=False)
    res = invoke("--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--ratings", two,
                 "--out", root / "e3")
    assert res.exit_code == 1 and "holds several models (synthetic-model, other); choose one with --model" in res.output
    res = invoke("--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--ratings", two,
                 "--model", "nobody", "--out", root / "e3")
    assert res.exit_code == 1 and (f"no ratings of model 'nobody' in {two}; it holds synthetic-model, other: choose "
                                   "one of those with --model") in res.output


def test_deviation_small_group_and_bins(inputs):
    # age bins over SYNTHETIC ages; a persona per age group; --min-raters above the smallest group's size
    ratings = pd.read_csv(inputs["ratings"])
    ratings["persona"] = ratings["persona"].map({"a woman": "age=18-29", "a man": "age=60+"})
    path = inputs["root"] / "age_ratings.jsonl"
    ratings.to_json(path, orient="records", lines=True)
    demo = pd.read_csv(inputs["demo"])
    n_old = int((demo["Age"] >= 60).sum())
    out = inputs["root"] / "age_out"
    res = invoke("--dataset", inputs["dataset"], "--demographics", inputs["demo"], "--attribute", "age=Age",
                 "--bins", "age=18,30,45,60", "--ratings", path, "--n-boot", 50, "--n-perm", 20,
                 "--min-raters", n_old + 1, "--out", out)
    assert res.exit_code == 0, res.output
    dims = pd.read_csv(out / "dimensions.csv")
    old = dims[dims["group"] == "60+"]
    assert old["human_score"].isna().all()
    assert old["note"].iloc[0] == f"fewer than {n_old + 1} raters ({n_old}): too few for a group portrait; no statistics"
    assert f"no statistics: fewer than {n_old + 1} raters ({n_old})" in res.stdout
    assert (out / "radar_age.png").exists()


def test_deviation_with_norms_table(inputs):
    # group norms computed from the SYNTHETIC demographics, then passed as a table (as published norms would be)
    from valueportrait.dataset import open_dataset
    from valueportrait.demographics import read_demographics
    from valueportrait.norms import human_group_norms

    data = open_dataset(inputs["dataset"])
    norms = human_group_norms(data, read_demographics(inputs["demo"], attributes={"sex": "Sex"}), n_boot=100)
    path = inputs["root"] / "norms.csv"
    norms.to_csv(path, index=False)
    out = inputs["root"] / "norms_out"
    res = invoke("--dataset", inputs["dataset"], "--norms", path, "--ratings", inputs["ratings"],
                 "--persona-map", inputs["pmap"], "--n-boot", 100, "--out", out, "--no-plot")
    assert res.exit_code == 0, res.output
    gaps = pd.read_csv(out / "gaps.csv")
    assert gaps["p_value"].isna().all() and gaps["human_gap"].notna().sum() == 19  # one pair x 19 dimensions
    dims = pd.read_csv(out / "dimensions.csv")
    got = dims.loc[dims["group"] == "Female", "human_score"].to_numpy()
    np.testing.assert_allclose(got, norms.loc[norms["group"] == "Female", "score"].to_numpy())
    assert set(dims["human_ci_over"]) == {"norms (normal replicates from their CI)"} and dims["note"].isna().all()
    # published norms without CI columns: every human interval is zero-width, and every surface says why
    bare = inputs["root"] / "norms_no_ci.csv"
    norms.drop(columns=["score_ci_low", "score_ci_high"]).to_csv(bare, index=False)
    out = inputs["root"] / "norms_no_ci_out"
    res = invoke("--dataset", inputs["dataset"], "--norms", bare, "--ratings", inputs["ratings"],
                 "--persona-map", inputs["pmap"], "--n-boot", 100, "--out", out, "--no-plot")
    assert res.exit_code == 0, res.output
    dims = pd.read_csv(out / "dimensions.csv")
    assert (dims["human_ci_low"] == dims["human_ci_high"]).all() and len(dims) == 38
    assert dims["note"].str.startswith("the norms table has no CI columns: the group's scores are taken as exact").all()
    assert set(dims["human_ci_over"]) == {"none (norms without CI: taken as exact)"}
    assert set(dims["deviation_ci_over"]) == {"items (the norms taken as exact)"}
    assert pd.read_csv(out / "gaps.csv")["note"].str.startswith("the norms table has no CI columns").all()
    settings = json.loads((out / "settings.json").read_text())
    assert settings["zero_width"]["human_ci"] == {"zero_width": 38, "of": 38}
    assert settings["zero_width"]["human_gap_ci"] == {"zero_width": 19, "of": 19}
    assert settings["zero_width"]["notes"][0].startswith("the norms table has no CI columns")
    assert settings["intervals"]["human_ci"]["ci_over"] == "none (norms without CI: taken as exact)"
    assert ("Note: zero-width intervals (a side without uncertainty): 38 of 38 human, 19 of 19 human gap; the rows' "
            "note says why:") in res.stdout
    res = invoke("--dataset", inputs["dataset"], "--norms", path, "--demographics", inputs["demo"],
                 "--ratings", inputs["ratings"], "--out", inputs["root"] / "e4")
    assert res.exit_code == 1 and "give at most one of --demographics FILE" in res.output


def test_a_model_without_spread_gets_a_note_too(inputs):
    """Hand-checkable: both personas rate every item 4, so every model score is 0 in every item draw (a
    zero-width model interval, no certainty); the norms table has no CI columns either. Both say so in the
    rows' note, and settings count them."""
    from valueportrait.dataset import open_dataset
    from valueportrait.deviation import compare_with_norms
    from valueportrait.deviation.rows import MODEL_NO_SPREAD
    from valueportrait.deviation.units import NO_CI_NORMS
    from valueportrait.settings import Intervals

    data = open_dataset(inputs["dataset"])
    ids = data.items["item_id"].tolist()
    ratings = pd.DataFrame({"item_id": ids * 2, "persona": ["sex=Female"] * len(ids) + ["sex=Male"] * len(ids),
                            "rating": 4.0})
    norms = pd.DataFrame([{"attribute": "sex", "group": g, "family": "pvq", "dimension": d, "score": s}
                          for g, d, s in (("Female", "Benevolence", 0.3), ("Female", "Power", -0.4),
                                          ("Male", "Benevolence", 0.1), ("Male", "Power", -0.1))])
    rep = compare_with_norms(ratings, norms, data.selection(), intervals=Intervals(over="items", n_boot=50))
    dims = rep.dimensions.set_index(["group", "dimension"])
    assert (dims["model_ci_low"] == 0).all() and (dims["model_ci_high"] == 0).all()
    assert dims.loc[("Female", "Benevolence"), "note"] == f"{NO_CI_NORMS}; {MODEL_NO_SPREAD}"
    assert dims.loc[("Female", "Hedonism"), "note"] == f"{NO_CI_NORMS}; {MODEL_NO_SPREAD}"  # the group's caveat
    assert rep.settings["zero_width"]["model_ci"] == {"zero_width": 38, "of": 38}
    assert rep.settings["zero_width"]["human_ci"] == {"zero_width": 4, "of": 4}
