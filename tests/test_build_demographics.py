"""`valueportrait build --demographics`: attribute columns in `participants`, the `human_group_norms` config,
the card and `info`, and `valueportrait deviation` from the dataset alone (its raters, or its stored norms).

The demographics here are SYNTHETIC labels over the real participant ids, generated inside the test; they are
not data of the benchmark (the public release has no demographics) and nothing synthetic ships.
"""

from __future__ import annotations

import json
import re
import warnings

import datasets
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard

import valueportrait
from valueportrait.builders.build import parquet_path
from valueportrait.cli.main import cli
from valueportrait.dataset import CONFIGS, open_dataset
from valueportrait.dataset_script.valueportrait import FEATURES
from valueportrait.demographics import read_demographics
from valueportrait.norms import NORMS_COLUMNS, human_group_norms
from valueportrait.errors import DatasetError

N_DIMS = 19  # 10 PVQ values + 4 higher-order values + 5 BFI traits
N_PARTICIPANTS = 559  # raters of the main survey in the upstream release
BINS = [18, 30, 45, 60]
N_BOOT = 200  # the norms bootstrap of the demo_build fixture (tests/conftest.py)


def expected_groups(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Group sizes counted directly from the synthetic file (independently of the package's binning)."""
    known = frame[frame["Participant id"] != "P999X"]
    sex = known.loc[known["Sex"] != "DATA_EXPIRED", "Sex"].value_counts()
    age = pd.cut(known["Age"], [18, 30, 45, 60, np.inf], right=False,
                 labels=["18-29", "30-44", "45-59", "60+"]).value_counts()
    edu = known["Education"].value_counts()
    return {"sex": {str(g): int(n) for g, n in sex.items()}, "age": {str(g): int(n) for g, n in age.items() if n},
            "education": {str(g): int(n) for g, n in edu.items()}}


def test_groups_and_sizes(demo_build):
    groups = expected_groups(demo_build["frame"])
    # by construction: 300 - 4 withdrawn Female, 259 Male; 3 Doctorate, the rest split by parity of position
    assert groups["sex"] == {"Female": 296, "Male": 259}
    assert groups["education"] == {"Bachelor": 278, "Secondary": 278, "Doctorate": 3}
    assert sum(groups["age"].values()) == N_PARTICIPANTS and len(groups["age"]) == 4
    info = json.loads((demo_build["out"] / "build_info.json").read_text())
    demo = info["demographics"]
    assert demo["attributes"] == ["sex", "age", "education"]
    assert demo["groups"] == {a: {g: groups[a][g] for g in sorted(groups[a])} for a in groups}
    assert demo["participants_matched"] == N_PARTICIPANTS and demo["participants_total"] == N_PARTICIPANTS
    assert demo["norms"] == {"n_boot": N_BOOT, "ci": 0.95, "seed": 0, "min_raters": 5}
    assert demo["source_file"] == "synthetic_demographics.csv"
    # the stranger row is reported, not silently dropped
    assert "1 row(s) name no participant of the dataset and are dropped: line 561 ('P999X')" in demo_build["result"].stderr


def test_norms_config(demo_build):
    out = demo_build["out"]
    ds = valueportrait.load_dataset(out, "human_group_norms")
    assert ds.features == FEATURES["human_group_norms"] and ds.column_names == list(NORMS_COLUMNS)
    n_groups = 2 + 4 + 3  # sex, age bins, education
    assert ds.num_rows == n_groups * N_DIMS == 171
    norms = ds.to_pandas()
    sizes = norms.groupby(["attribute", "group"])["n_raters"].agg(["min", "max"])
    groups = expected_groups(demo_build["frame"])
    for (attr, group), row in sizes.iterrows():
        assert row["min"] == row["max"] == groups[attr][group]
    doc = norms[norms["group"] == "Doctorate"]
    assert len(doc) == N_DIMS and doc["score"].isna().all() and doc["instrument_mean"].isna().all()
    assert (doc["note"] == "fewer than 5 raters (3): too few for group norms; values left empty").all()
    ok = norms[norms["group"] != "Doctorate"]
    assert ok["score"].notna().all() and ok["note"].isna().all()
    assert (ok["score_ci_low"] <= ok["score"]).all() and (ok["score"] <= ok["score_ci_high"]).all()
    # the same numbers as the library function on the dataset without demographics (the wiring adds nothing)
    plain = open_dataset(out)
    plain = open_dataset_without_demographics(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo = read_demographics(demo_build["csv"], attributes={"sex": "Sex", "age": "Age", "education": "Education"},
                                 bins={"age": BINS})
        direct = human_group_norms(plain, demo, n_boot=N_BOOT, seed=0)
    pd.testing.assert_frame_equal(norms, direct, check_dtype=False, check_exact=False, rtol=1e-12)


def open_dataset_without_demographics(data):
    from dataclasses import replace

    attrs = list(data.demographic_attributes)
    info = {k: v for k, v in data.build_info.items() if k != "demographics"}
    return replace(data, participants=data.participants.drop(columns=attrs), human_group_norms=None, build_info=info)


def test_participants_config_gains_the_attributes(demo_build):
    ds = valueportrait.load_dataset(demo_build["out"], "participants")
    assert ds.num_rows == N_PARTICIPANTS
    assert ds.column_names == [*FEATURES["participants"], "sex", "age", "education"]
    assert ds.features["sex"] == datasets.Value("string") and ds.features["age"] == datasets.Value("string")
    df = ds.to_pandas().set_index("participant_id")
    frame = demo_build["frame"].set_index("Participant id")
    assert df["sex"].isna().sum() == 4  # DATA_EXPIRED -> null
    assert df.loc["P081", "education"] == frame.loc["P081", "Education"]
    assert df["age"].value_counts().to_dict() == expected_groups(demo_build["frame"])["age"]
    # every other config is unchanged by the demographics
    for c in CONFIGS:
        if c != "participants":
            assert valueportrait.load_dataset(demo_build["out"], c).features == FEATURES[c]


def test_card_with_demographics(demo_build):
    out = demo_build["out"]
    card = DatasetCard.load(out / "README.md")
    from datasets.utils.metadata import MetadataConfigs

    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert list(configs) == [*CONFIGS, "human_group_norms", "reference_portraits"]
    assert configs["human_group_norms"]["data_files"] == [{"split": "test", "path": parquet_path("human_group_norms")}]
    text = re.sub(r"\s+", " ", card.text)
    assert "The `participants` config carries the attribute column(s) `sex`, `age`, `education` joined from a " \
           "demographics table supplied at build time (`synthetic_demographics.csv`; 559 of 559 participants " \
           "matched" in text
    assert "95% percentile CI from 200 bootstrap replicates of the raters" in text
    assert "(9 groups x 19 dimensions)" in text
    assert "| `sex` | Female | 296 | yes |" in text and "| `education` | Doctorate | 3 | no (fewer than 5 raters) |" in text
    assert "### `human_group_norms`" in text and "| `human_group_norms` | 171 |" in text
    assert "| `education` | `string` | Demographic attribute `education`" in text
    assert "has no demographic information about the raters (no sex" not in text
    assert "**Demographics come from outside the release.**" in text


def test_card_without_demographics(built_dataset):
    text = re.sub(r"\s+", " ", (built_dataset / "README.md").read_text())
    assert "The public Value Portrait release has no demographic information about the raters (no sex, age, " \
           "education or political orientation), so this build has no demographic columns and no " \
           "`human_group_norms` config." in text
    assert "rebuild with the study's demographics (`valueportrait build --demographics FILE`)" in text
    assert "config_name: human_group_norms" not in text
    assert not (built_dataset / "human_group_norms").exists()
    assert open_dataset(built_dataset).human_group_norms is None
    with pytest.raises(DatasetError, match="has no human_group_norms config: it was built without demographics"):
        valueportrait.load_dataset(built_dataset, "human_group_norms")


def test_build_with_demographics_is_deterministic(demo_build, tmp_path):
    out = tmp_path / "valueportrait"
    args = [a if a != str(demo_build["out"]) else str(out) for a in demo_build["args"]]
    assert CliRunner().invoke(cli, args).exit_code == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(["README.md", "build_info.json", "instrument.yaml",
                            *(parquet_path(c) for c in (*CONFIGS, "human_group_norms", "reference_portraits"))])
    for f in files:
        assert (out / f).read_bytes() == (demo_build["out"] / f).read_bytes(), f


def test_info_shows_the_groups(demo_build, built_dataset):
    res = CliRunner().invoke(cli, ["info", "--dataset", str(demo_build["out"])])
    assert res.exit_code == 0, res.output
    assert re.search(r"^human_group_norms\s+171$", res.stdout, re.M)
    assert "Demographics from synthetic_demographics.csv: 559 of 559 participants matched" in res.stdout
    assert re.search(r"^education\s+Doctorate\s+3$", res.stdout, re.M)
    assert re.search(r"^sex\s+Male\s+259$", res.stdout, re.M)
    plain = CliRunner().invoke(cli, ["info", "--dataset", str(built_dataset)])
    assert "Demographics: none (the public release has none; add them with `valueportrait build --demographics FILE`)." \
        in plain.stdout


def test_demographic_options_need_the_file(built_dataset, tmp_path):
    res = CliRunner().invoke(cli, ["build", "--out", str(tmp_path / "x"), "--attribute", "sex=Sex", "--bins", "a=1"])
    assert res.exit_code == 2 and "--attribute, --bins only apply with --demographics FILE" in res.output
    assert not (tmp_path / "x").exists()


def test_bad_demographics_file_fails_before_building(raw_dir, tmp_path):
    bad = tmp_path / "demo.csv"
    bad.write_text("Participant id,Sex\nP081,Female\n,Male\n")
    res = CliRunner().invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "x"), "--demographics",
                                   str(bad)])
    assert res.exit_code == 1
    assert f"Error: {bad}: empty participant id ('Participant id') at line 3" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.csv"]  # nothing written, no temp folder


def test_build_refuses_a_version_without_changelog_entry(raw_dir, tmp_path, monkeypatch):
    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build

    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## 1.0.0 (2026-11-22)\n\n- First.\n")
    monkeypatch.setattr("valueportrait.builders.release.DATASET_VERSION", "1.2.0")
    with warnings.catch_warnings(), pytest.raises(
            DatasetError, match=r"dataset version 1\.2\.0 has no entry in the changelog .*\(it has 1\.0\.0\)"):
        warnings.simplefilter("ignore")
        build_dataset(tmp_path / "out", Build(raw=raw_dir, changelog=changelog))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CHANGELOG.md"]


# --------------------------------------------------------------------------------------------------------
# valueportrait deviation from the dataset's own norms
# --------------------------------------------------------------------------------------------------------
def _deviation(demo_build, persona_ratings, name, *extra):
    out = demo_build["root"] / name
    res = CliRunner().invoke(cli, ["deviation", "--dataset", str(demo_build["out"]), "--ratings", str(persona_ratings),
                                   "--n-boot", str(N_BOOT), "--n-perm", "200", "--out", str(out), "--no-plot",
                                   "--overwrite", *extra])
    assert res.exit_code == 0, res.output
    tables = {t: pd.read_csv(out / f"{t}.csv", dtype={"group": "str", "group_a": "str", "group_b": "str"})
              for t in ("dimensions", "gaps", "distributions", "bias")}
    return res, tables, json.loads((out / "settings.json").read_text())


def test_deviation_from_the_dataset_raters(demo_build, persona_ratings):
    """Default with a dataset built with demographics: the full rater-level comparison, groups rebuilt from the
    participants' attribute columns."""
    res, t, settings = _deviation(demo_build, persona_ratings, "deviation-raters")
    assert res.stdout.splitlines()[0] == ("Model synthetic-model: 3 persona(s), 317 scored items; bootstrap 200, "
                                          "95% CI, seed 0")
    dims = t["dimensions"]
    assert len(dims) == 3 * N_DIMS
    norms = valueportrait.load_dataset(demo_build["out"], "human_group_norms").to_pandas()
    for group in ("Female", "Male"):
        got = dims[dims["group"] == group]
        want = norms[(norms["attribute"] == "sex") & (norms["group"] == group)]
        # the same raters, scoring and bootstrap stream (seed 0, 200 replicates) as the stored norms: equal
        for col, ncol in (("human_score", "score"), ("human_ci_low", "score_ci_low"),
                          ("human_ci_high", "score_ci_high")):
            np.testing.assert_allclose(got[col].to_numpy(), want[ncol].to_numpy(), rtol=1e-12)
        assert (got["n_raters"] == {"Female": 296, "Male": 259}[group]).all()  # counted in test_groups_and_sizes
    doc = dims[dims["group"] == "Doctorate"]
    assert doc["human_score"].isna().all() and doc["model_score"].notna().all()
    assert (doc["note"] == "fewer than 5 raters (3): too few for a group portrait; no statistics").all()
    gaps = t["gaps"]
    assert len(gaps) == N_DIMS  # one pair (Female, Male)
    # rater-level: permutation p-values in [1/(P+1), 1] with P = 200 permutations
    assert gaps["p_value"].between(1 / 201, 1).all()
    dist = t["distributions"].set_index("group")
    # 2 model samples per item (v1, v2) >= min_model_samples, so an item enters the alignment when 10 members of
    # the group (MIN_HUMAN_RATINGS) rated it: counted here from the human_ratings and participants configs directly
    data = open_dataset(demo_build["out"])
    for group in ("Female", "Male"):
        members = data.participants.loc[data.participants["sex"] == group, "participant_id"]
        rated = (data.human_ratings.loc[data.human_ratings["participant_id"].isin(members)
                                        & data.human_ratings["rating"].notna(), "item_id"].value_counts()
                 >= 10).sum()
        assert dist.loc[group, "n_items"] == rated and 0 < dist.loc[group, "wasserstein"] < 1
    assert dist.loc["Female", "n_items"] == 320  # the value the count above gives (synthetic labels; 360 rated)
    assert settings["demographics"] == f"{demo_build['out']} (participants config)" and settings["norms"] is None
    assert settings["human"] == "raters" and settings["n_perm"] == 200


def test_deviation_from_the_dataset_norms(demo_build, persona_ratings):
    """--stored-norms: the dataset's human_group_norms config, as before (no p-values, no distributions)."""
    res, t, settings = _deviation(demo_build, persona_ratings, "deviation-norms", "--stored-norms")
    dims = t["dimensions"]
    assert len(dims) == 3 * N_DIMS
    norms = valueportrait.load_dataset(demo_build["out"], "human_group_norms").to_pandas()
    for group in ("Female", "Male"):
        got = dims.loc[dims["group"] == group, "human_score"].to_numpy()
        want = norms.loc[(norms["attribute"] == "sex") & (norms["group"] == group), "score"].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert dims.loc[dims["group"] == "Doctorate", "human_score"].isna().all()  # the group without norms
    assert len(t["gaps"]) == N_DIMS and t["gaps"]["p_value"].isna().all()  # no raters, no p-values
    assert t["distributions"]["n_items"].eq(0).all()
    assert settings["norms"] == f"{demo_build['out']} (human_group_norms config)" and settings["demographics"] is None
    assert settings["human"] == "norms table"
    # the point values agree with the rater-level path (same groups, same scoring); only the CIs differ
    _, raters, _ = _deviation(demo_build, persona_ratings, "deviation-raters")
    np.testing.assert_allclose(t["bias"]["bias_index"].to_numpy(float), raters["bias"]["bias_index"].to_numpy(float),
                               rtol=1e-12)
    # the same table passed as a file (--norms) gives the same numbers
    path = demo_build["root"] / "norms.csv"
    norms.to_csv(path, index=False)
    _, table, _ = _deviation(demo_build, persona_ratings, "deviation-norms-file", "--norms", str(path))
    pd.testing.assert_frame_equal(table["dimensions"], dims)


def test_deviation_option_clashes(demo_build, persona_ratings, tmp_path):
    base = ["deviation", "--dataset", str(demo_build["out"]), "--ratings", str(persona_ratings), "--no-plot"]
    res = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "a"), "--stored-norms", "--norms", "x.csv"])
    assert res.exit_code == 1
    assert "Error: --stored-norms uses the dataset's own human_group_norms config; leave out --demographics and " \
           "--norms with it" in res.stderr
    res = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "b"), "--attribute", "sex=Sex"])
    assert res.exit_code == 2 and "--attribute only apply with --demographics FILE" in res.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_deviation_needs_a_human_side(built_dataset, persona_ratings, tmp_path):
    res = CliRunner().invoke(cli, ["deviation", "--dataset", str(built_dataset), "--ratings", str(persona_ratings),
                                   "--out", str(tmp_path / "d"), "--no-plot"])
    assert res.exit_code == 1
    assert "this dataset has no demographics (it was built without --demographics" in res.stderr  # human_source
    assert not (tmp_path / "d").exists()
