"""Demographics: reading, validation, the join to participants, and the human group norms.

Demographics used here are SYNTHETIC (generated in the test): the public release has none.
"""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from valueportrait.demographics import (DemographicsWarning, bin_numeric, check_participants, demographics_from_frame,
                                        join_demographics, read_demographics)
from valueportrait.norms import NORMS_COLUMNS, human_group_norms
from valueportrait.errors import InputError
from valueportrait.scale import DIMENSIONS
from valueportrait.scoring import score_portrait

PROLIFIC_CSV = """Submission id,Participant id,Status,Age,Sex,Political orientation,Time taken
s1,P001,APPROVED,25,Female,Left,600
s2,P002,APPROVED,47,Male,Right,700
s3,P003,APPROVED,DATA_EXPIRED,Female,Centre,650
"""


def test_read_prolific_csv_defaults(tmp_path):
    path = tmp_path / "prolific_export.csv"
    path.write_text(PROLIFIC_CSV)
    demo = read_demographics(path, bins={"age": [18, 30, 45, 60]})
    # bookkeeping columns (Submission id, Status, Time taken) are left out; names normalised
    assert demo.attributes == ("age", "sex", "political_orientation")
    assert demo.table["participant_id"].tolist() == ["P001", "P002", "P003"]
    assert demo.table["age"].tolist()[:2] == ["18-29", "45-59"]
    assert pd.isna(demo.table["age"].iloc[2])  # DATA_EXPIRED is missing
    assert demo.groups("sex") == {"Female": ["P001", "P003"], "Male": ["P002"]}
    assert demo.rows == ("line 2", "line 3", "line 4")


def test_read_json_and_jsonl_with_mapping(tmp_path):
    recs = [{"pid": "P001", "gender": "Woman", "edu": "BA"}, {"pid": "P002", "gender": "Man", "edu": None}]
    (tmp_path / "d.json").write_text(json.dumps(recs))
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    for name in ("d.json", "d.jsonl"):
        demo = read_demographics(tmp_path / name, attributes={"sex": "gender", "education": "edu"})
        assert demo.attributes == ("sex", "education")
        assert demo.table["sex"].tolist() == ["Woman", "Man"]
        assert pd.isna(demo.table["education"].iloc[1])


@pytest.mark.parametrize("text, kwargs, match", [
    ("who,Sex\nP1,F\n", {}, r"no participant id column; looked for .* among the columns \['who', 'Sex'\]"),
    ("pid,Sex\nP1,F\n", {"id_column": "ID"}, r"no column 'ID' \(the participant id column\)"),
    ("pid,Sex\nP1,F\n", {"attributes": {"age": "Age"}}, r"no column\(s\) \['Age'\] for the attribute\(s\) \['age'\]"),
    ("pid,Sex\nP1,F\n,M\n", {}, r"empty participant id \('pid'\) at line 3"),
    ("pid,Sex\nP1,F\nP2,M\nP1,M\n", {}, r"participant 'P1' is listed at line 2, line 4 with different values"),
    ("pid,Age\nP1,old\n", {"bins": {"age": [18, 30]}}, r"not numbers at line 2 \(e.g. 'old'\)"),
    ("pid,Sex\nP1,F\n", {"bins": {"age": [18]}}, r"bins given for \['age'\], which are not attributes"),
])
def test_bad_demographics_files(tmp_path, text, kwargs, match):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_demographics(path, **kwargs)


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match=r"not found; expected a \.csv, \.tsv, \.json or \.jsonl file with one row "
                                         "per participant"):
        read_demographics(tmp_path / "none.csv")
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(InputError, match=r"expected .csv, .tsv, .json or .jsonl"):
        read_demographics(tmp_path / "d.xlsx")
    (tmp_path / "d.json").write_text("{not json")
    with pytest.raises(InputError, match="d.json.: not valid JSON"):
        read_demographics(tmp_path / "d.json")


def test_identical_duplicates_dropped_with_warning(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("pid,Sex\nP1,F\nP1,F\nP2,M\n")
    with pytest.warns(DemographicsWarning, match="1 duplicate row"):
        demo = read_demographics(path)
    assert demo.table["participant_id"].tolist() == ["P1", "P2"] and demo.rows == ("line 2", "line 4")


def test_bin_numeric_labels():
    # left-closed bins at 18, 30, 45: 17 -> <18, 18 and 29 -> 18-29, 30 -> 30-44, 64 -> 45+
    assert bin_numeric(pd.Series(["17", "18", "29", "30", "64", np.nan]), [18, 30, 45]).tolist()[:5] == \
        ["<18", "18-29", "18-29", "30-44", "45+"]
    assert bin_numeric(pd.Series(["0.5"]), [0.25, 0.75]).tolist() == ["0.25-0.75"]
    with pytest.raises(InputError, match="increasing"):
        bin_numeric(pd.Series(["1"]), [30, 18])


def test_check_participants_unknown_and_absent():
    demo = demographics_from_frame(pd.DataFrame({"pid": ["P1", "X9", "P2"], "Sex": ["F", "M", "M"]}))
    with pytest.warns(DemographicsWarning) as rec:
        out = check_participants(demo, ["P1", "P2", "P3"])
    msgs = [str(w.message) for w in rec]
    assert any("1 row(s) name no participant of the dataset and are dropped: row 2 ('X9')" in m for m in msgs)
    assert any("1 of 3 participants have no demographics row (e.g. P3)" in m for m in msgs)
    assert out.table["participant_id"].tolist() == ["P1", "P2"]
    wrong = demographics_from_frame(pd.DataFrame({"pid": ["A", "B", "C"], "Sex": "F"}))
    with pytest.raises(InputError, match=r"none of its 3 participant ids is a participant.*'P1'"):
        check_participants(wrong, ["P1"])


def test_join_demographics_adds_columns():
    parts = pd.DataFrame({"participant_id": ["P1", "P2"], "pvq_Power": [0.1, 0.2]})
    demo = demographics_from_frame(pd.DataFrame({"pid": ["P2", "P1"], "Sex": ["M", "F"]}))
    out = join_demographics(parts, demo)
    assert out.columns.tolist() == ["participant_id", "pvq_Power", "sex"]
    assert out["sex"].tolist() == ["F", "M"]
    clash = demographics_from_frame(pd.DataFrame({"pid": ["P1"], "x": ["1"]}), attributes={"pvq_Power": "x"})
    with pytest.raises(InputError, match=r"clash with participants columns"):
        join_demographics(parts, clash)


def tiny_data():
    """Hand-sized data: 6 raters (one survey group), items i1..i4, the selection of test_deviation_stats."""
    sel = pd.DataFrame({"item_id": ["i1", "i2", "i3", "i4", "i1"], "family": ["pvq", "pvq", "pvq", "bfi", "bfi"],
                        "dimension": ["Power", "Power", "Security", "Openness", "Openness"], "key": 1})
    ratings = {"i1": [4, 6, 5, 5, 5, 1], "i2": [3, 3, 3, 3, 3, 1], "i3": [2, 2, 2, 2, 2, 1], "i4": [6, 6, 6, 6, 6, 1]}
    pids = [f"P{k}" for k in range(1, 7)]
    hr = pd.DataFrame([{"participant_id": p, "survey_group": 1, "item_id": i, "rating": r[k]}
                       for i, r in ratings.items() for k, p in enumerate(pids)])
    parts = pd.DataFrame({"participant_id": pids, "survey_groups": [[1]] * 6})
    for f, d in DIMENSIONS:
        parts[f"{f}_{d}"] = 0.0
    parts["pvq_Power"] = [0.1, 0.2, 0.3, 0.4, 0.5, 9.0]
    data = SimpleNamespace(items=pd.DataFrame({"item_id": ["i1", "i2", "i3", "i4"]}), human_ratings=hr,
                           participants=parts, selection=lambda: sel)
    demo = demographics_from_frame(pd.DataFrame({"pid": pids, "Group": ["A"] * 5 + ["B"]}))
    return data, demo


def test_human_group_norms_hand_computed():
    data, demo = tiny_data()
    norms = human_group_norms(data, demo, n_boot=500, seed=0)
    assert norms.columns.tolist() == list(NORMS_COLUMNS)
    a = norms[norms["group"] == "A"].set_index(["family", "dimension"])
    # Group A (P1..P5): item means i1 (4+6+5+5+5)/5 = 5, i2 3, i3 2, i4 6.
    # pvq family mean (5+3+2)/3 = 10/3; Power (5+3)/2 - 10/3 = 2/3; Security 2 - 10/3 = -4/3.
    # bfi family mean (6+5)/2 = 5.5; Openness 5.5 - 5.5 = 0.
    assert a.loc[("pvq", "Power"), "score"] == pytest.approx(2 / 3)
    assert a.loc[("pvq", "Power"), "raw_mean"] == pytest.approx(4.0)
    assert a.loc[("pvq", "Security"), "score"] == pytest.approx(-4 / 3)
    assert a.loc[("bfi", "Openness"), "score"] == pytest.approx(0.0)
    assert a.loc[("pvq", "Power"), "n_items"] == 2 and a.loc[("pvq", "Power"), "n_raters"] == 5
    # Only i1 varies across raters; with m1 its bootstrap mean, Power = (m1+3)/2 - (m1+5)/3 = (m1-1)/6,
    # m1 in [4, 6] -> every replicate, hence the interval, lies in [0.5, 5/6].
    assert 0.5 - 1e-12 <= a.loc[("pvq", "Power"), "score_ci_low"] < 2 / 3 < a.loc[("pvq", "Power"), "score_ci_high"]
    assert a.loc[("pvq", "Power"), "score_ci_high"] <= 5 / 6 + 1e-12
    # Instrument: pvq_Power of P1..P5 = 0.1..0.5: mean 0.3, sd sqrt(0.1/4) = 0.158114
    assert a.loc[("pvq", "Power"), "instrument_mean"] == pytest.approx(0.3)
    assert a.loc[("pvq", "Power"), "instrument_sd"] == pytest.approx(np.sqrt(0.025))
    assert a.loc[("pvq", "Power"), "instrument_n"] == 5
    assert np.isnan(a.loc[("pvq", "Hedonism"), "score"])
    assert a.loc[("pvq", "Hedonism"), "note"] == "no rated item measures this dimension"
    b = norms[norms["group"] == "B"]  # one rater: documented null
    assert len(b) == 19 and b["score"].isna().all() and b["instrument_mean"].isna().all()
    assert (b["note"] == "fewer than 5 raters (1): too few for group norms; values left empty").all()
    # reproducible with the seed
    again = human_group_norms(data, demo, n_boot=500, seed=0)
    pd.testing.assert_frame_equal(norms, again)


def test_norms_on_real_participants_with_synthetic_demographics(release_data, tmp_path):
    # SYNTHETIC labels over the real participant ids (the release has no demographics)
    rng = np.random.default_rng(7)
    pids = release_data.participants["participant_id"]
    path = tmp_path / "synthetic_demographics.csv"
    pd.DataFrame({"Participant id": pids, "Sex": rng.choice(["Female", "Male"], len(pids)),
                  "Age": rng.integers(18, 75, len(pids))}).to_csv(path, index=False)
    demo = read_demographics(path, bins={"age": [18, 30, 45, 60]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DemographicsWarning)  # every row matches a participant
        joined = join_demographics(release_data.participants, demo)
    assert len(joined) == 559 and joined["sex"].notna().all()
    norms = human_group_norms(release_data, demo, n_boot=200, seed=0)
    assert len(norms) == (2 + 4) * 19
    assert norms.groupby("attribute")["n_raters"].apply(lambda s: s.iloc[::19].sum()).to_dict() == \
        {"age": 559, "sex": 559}  # every one of the 559 raters is in exactly one group per attribute
    # the group portrait equals the scoring core applied to the group's ratings
    sel = release_data.selection()
    female = demo.groups("sex")["Female"]
    ref = score_portrait(release_data.human_ratings[release_data.human_ratings["participant_id"].isin(female)], sel)
    got = norms[(norms["attribute"] == "sex") & (norms["group"] == "Female")]
    np.testing.assert_allclose(got["score"].to_numpy(), ref["score"].to_numpy(dtype=float))
    assert (got["score_ci_low"] < got["score"]).all() and (got["score"] < got["score_ci_high"]).all()
    # instrument means equal the participants' means
    fem = release_data.participants.set_index("participant_id").loc[female]
    np.testing.assert_allclose(got["instrument_mean"].to_numpy(),
                               [fem[f"{f}_{d}"].mean() for f, d in DIMENSIONS])
    # parquet round trip of the flat schema (the build writes it as a config)
    norms.to_parquet(tmp_path / "n.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "n.parquet"), norms, check_dtype=False)


def test_build_helpers_features_and_info():
    data, demo = tiny_data()
    norms = human_group_norms(data, demo, n_boot=20)
    import datasets

    from valueportrait.dataset_script.valueportrait import FEATURES
    from valueportrait.norms import NORMS_TYPES, demographics_build_info

    ds = datasets.Dataset.from_pandas(norms, features=FEATURES["human_group_norms"], preserve_index=False)
    assert ds.num_rows == 2 * 19 and ds.features["n_raters"].dtype == "int64"
    assert {c: ds.features[c].dtype for c in ds.column_names} == NORMS_TYPES  # the one list of types
    info = demographics_build_info(demo, data.participants, norms)
    assert info == {"source_file": "<table>", "attributes": ["group"], "groups": {"group": {"A": 5, "B": 1}},
                    "participants_matched": 6, "participants_total": 6,
                    "norms": {"n_boot": 20, "ci": 0.95, "seed": 0, "min_raters": 5}}
