"""`valueportrait build --demographics`: attribute columns in `participants`, the `human_group_norms` config,
the card and `info`, and `valueportrait deviation` from the dataset's own norms.

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
from valueportrait.demographics import NORMS_COLUMNS, human_group_norms, human_group_norms_features, read_demographics
from valueportrait.errors import DatasetError

N_DIMS = 19  # 10 PVQ values + 4 higher-order values + 5 BFI traits
N_PARTICIPANTS = 559  # raters of the main survey in the upstream release
BINS = [18, 30, 45, 60]
N_BOOT = 200


def synthetic_demographics(participant_ids: list[str]) -> pd.DataFrame:
    """SYNTHETIC Prolific-like export: sex / age / education assigned by position in the sorted ids."""
    ids = sorted(participant_ids)
    k = np.arange(len(ids))
    sex = np.where(k < 300, "Female", "Male").astype(object)
    sex[:4] = "DATA_EXPIRED"  # withdrawn answers: these 4 are in no sex group
    age = 18 + (k * 7) % 57  # 18..74
    education = np.where(k < 3, "Doctorate", np.where(k % 2 == 0, "Bachelor", "Secondary"))  # 3 < min_raters
    frame = pd.DataFrame({"Participant id": ids, "Sex": sex, "Age": age, "Education": education,
                          "Status": "APPROVED"})
    stranger = pd.DataFrame([{"Participant id": "P999X", "Sex": "Male", "Age": 40, "Education": "Bachelor",
                              "Status": "APPROVED"}])  # not a participant: dropped with a warning
    return pd.concat([frame, stranger], ignore_index=True)


def expected_groups(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Group sizes counted directly from the synthetic file (independently of the package's binning)."""
    known = frame[frame["Participant id"] != "P999X"]
    sex = known.loc[known["Sex"] != "DATA_EXPIRED", "Sex"].value_counts()
    age = pd.cut(known["Age"], [18, 30, 45, 60, np.inf], right=False,
                 labels=["18-29", "30-44", "45-59", "60+"]).value_counts()
    edu = known["Education"].value_counts()
    return {"sex": {str(g): int(n) for g, n in sex.items()}, "age": {str(g): int(n) for g, n in age.items() if n},
            "education": {str(g): int(n) for g, n in edu.items()}}


@pytest.fixture(scope="module")
def demo_build(raw_dir, built_dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("demographics")
    pids = pd.read_parquet(built_dataset / parquet_path("participants"))["participant_id"].tolist()
    frame = synthetic_demographics(pids)
    csv = root / "synthetic_demographics.csv"
    frame.to_csv(csv, index=False)
    out = root / "valueportrait"
    args = ["build", "--raw", str(raw_dir), "--out", str(out),
            "--demographics", str(csv), "--attribute", "sex=Sex", "--attribute", "age=Age",
            "--attribute", "education=Education", "--bins", "age=18,30,45,60", "--n-boot", str(N_BOOT)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return {"root": root, "csv": csv, "frame": frame, "out": out, "result": result, "args": args}


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
    assert ds.features == human_group_norms_features() and ds.column_names == list(NORMS_COLUMNS)
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
    assert list(configs) == [*CONFIGS, "human_group_norms"]
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
    assert files == sorted(["README.md", "build_info.json", *(parquet_path(c) for c in (*CONFIGS, "human_group_norms"))])
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

    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## 1.0.0 (2026-11-22)\n\n- First.\n")
    monkeypatch.setattr("valueportrait.dataset.DATASET_VERSION", "1.2.0")
    with warnings.catch_warnings(), pytest.raises(
            DatasetError, match=r"dataset version 1\.2\.0 has no entry in the changelog .*\(it has 1\.0\.0\)"):
        warnings.simplefilter("ignore")
        build_dataset(raw_dir, tmp_path / "out", changelog=changelog)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CHANGELOG.md"]


# --------------------------------------------------------------------------------------------------------
# valueportrait deviation from the dataset's own norms
# --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def persona_ratings(demo_build):
    """SYNTHETIC model ratings (random integers), personas labelled attribute=group."""
    rng = np.random.default_rng(5)
    items = pd.read_parquet(demo_build["out"] / parquet_path("items"))["item_id"]
    frames = [pd.DataFrame({"model": "synthetic-model", "item_id": items, "variant": v, "persona": p,
                            "rating": rng.integers(1, 7, len(items)).astype(float)})
              for p in ("sex=Female", "sex=Male", "education=Doctorate") for v in ("v1", "v2")]
    path = demo_build["root"] / "synthetic_ratings.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_deviation_from_the_dataset_norms(demo_build, persona_ratings):
    out = demo_build["root"] / "deviation"
    res = CliRunner().invoke(cli, ["deviation", "--dataset", str(demo_build["out"]), "--ratings", str(persona_ratings),
                                   "--n-boot", "100", "--out", str(out), "--no-plot"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == ("Model synthetic-model: 3 persona(s), 317 scored items; bootstrap 100, "
                                          "95% CI, seed 0")
    dims = pd.read_csv(out / "dimensions.csv", dtype={"group": "str"})
    assert len(dims) == 3 * N_DIMS
    norms = valueportrait.load_dataset(demo_build["out"], "human_group_norms").to_pandas()
    for group in ("Female", "Male"):
        got = dims.loc[dims["group"] == group, "human_score"].to_numpy()
        want = norms.loc[(norms["attribute"] == "sex") & (norms["group"] == group), "score"].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert dims.loc[dims["group"] == "Doctorate", "human_score"].isna().all()  # the group without norms
    gaps = pd.read_csv(out / "gaps.csv")
    assert len(gaps) == N_DIMS and gaps["p_value"].isna().all()  # one pair (Female, Male); no raters, no p-values
    settings = json.loads((out / "settings.json").read_text())
    assert settings["norms"] == f"{demo_build['out']} (human_group_norms config)" and settings["demographics"] is None


def test_deviation_needs_a_human_side(built_dataset, persona_ratings, tmp_path):
    res = CliRunner().invoke(cli, ["deviation", "--dataset", str(built_dataset), "--ratings", str(persona_ratings),
                                   "--out", str(tmp_path / "d"), "--no-plot"])
    assert res.exit_code == 1
    assert "has no human_group_norms config (it was built without demographics" in res.stderr
    assert not (tmp_path / "d").exists()
