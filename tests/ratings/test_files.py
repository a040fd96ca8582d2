"""``valueportrait.ratings.read_ratings``: run directories and ratings files, and every bad-input error."""

from __future__ import annotations

import json
import math
import re

import pytest

from valueportrait.errors import InputError, RunError
from valueportrait.ratings import COLUMNS, read_ratings

CSV = "model,item_id,variant,persona,rating\nm,1008-1,v1,a woman,5\nm,1008-2,v1,,\n\nm,1008-3,v2,,1.5\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv(tmp_path):
    frame = read_ratings(write(tmp_path, "r.csv", CSV))
    assert list(frame.columns) == list(COLUMNS)
    assert frame["item_id"].tolist() == ["1008-1", "1008-2", "1008-3"]  # the blank line is skipped
    assert frame["persona"].iloc[0] == "a woman" and frame["persona"].iloc[1:].isna().all()
    assert frame["rating"].tolist()[0] == 5.0 and math.isnan(frame["rating"].iloc[1])
    assert frame["rating"].iloc[2] == 1.5 and str(frame["rating"].dtype) == "float64"


def test_jsonl_and_json_without_optional_columns(tmp_path):
    records = [{"model": "m", "item_id": "1008-1", "rating": 6, "raw": "very much like me"},
               {"model": "m", "item_id": "1008-2", "rating": None}]
    jsonl = write(tmp_path, "r.jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n")
    js = write(tmp_path, "r.json", json.dumps(records))
    for path in (jsonl, js):
        frame = read_ratings(path)
        assert list(frame.columns) == list(COLUMNS)  # 'raw' dropped, variant and persona added (missing)
        assert frame["variant"].isna().all() and frame["persona"].isna().all()
        assert frame["rating"].iloc[0] == 6.0 and math.isnan(frame["rating"].iloc[1])


def test_run_directory(tmp_path):
    from valueportrait.ratings.runs import MANIFEST, RECORDS

    run = tmp_path / "run"
    run.mkdir()
    (run / MANIFEST).write_text(json.dumps({"format": "valueportrait-run", "format_version": 1, "model": "m"}))
    (run / RECORDS).write_text(json.dumps({"item_id": "1008-1", "variant": "v1", "persona": None, "status": "rated",
                                           "rating": 4}) + "\n")
    frame = read_ratings(run)
    assert frame[["model", "item_id", "variant", "rating"]].values.tolist() == [["m", "1008-1", "v1", 4.0]]


def test_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(RunError, match="is not a run directory: manifest.json is missing"):
        read_ratings(tmp_path)


@pytest.mark.parametrize("name, text, message", [
    ("r.csv", "model,item_id,variant,persona,rating\nm,1008-1,v1,,7\n",
     "r.csv', line 2, column 'rating': 7 is outside 1-6; ratings are on the 6-point Likert scale"),
    ("r.csv", CSV.replace(",,1.5", ",,0") + "m,1008-4,v1,,9\n",
     "r.csv', line 5, column 'rating': 0 is outside 1-6; .* \\(1 more row\\(s\\) like it\\)"),
    ("r.csv", "model,item_id,variant,persona,rating\nm,1008-1,v1,,meh\n",
     "r.csv', line 2, column 'rating': 'meh' is not a rating; expected a number 1-6 or a Likert phrase "
     "\\('very much like me', .*\\), or an empty value"),
    ("r.jsonl", '{"model": "m", "item_id": "1008-1", "rating": true}\n',
     "r.jsonl', line 1, column 'rating': 'True' is not a rating"),
    ("r.json", '[{"model": "m", "item_id": "1008-1", "rating": 5}, {"model": "m", "rating": 5, "item_id": null}]',
     "r.json', record 2, column 'item_id': empty; every rating needs its item_id"),
    ("r.csv", "model,item_id,variant,persona,rating\n,1008-1,v1,,5\n",
     "r.csv', line 2, column 'model': empty; every rating needs its model"),
    ("r.csv", "item_id,score\n1008-1,5\n",
     "r.csv' lacks the column\\(s\\) model, rating; found item_id, score. A ratings table has the columns model, "
     "item_id, variant, persona, rating"),
    ("r.csv", "model,item_id,variant,persona,rating\n",
     "r.csv' holds no ratings; expected one row per rating"),
    ("r.jsonl", '{"model": "m", "item_id": "1008-1", "rating": 5}\n{"model": "m",\n',
     "r.jsonl', line 2: not valid JSON .*; expected one JSON object per line"),
    ("r.jsonl", '[1, 2]\n', "r.jsonl', line 1: expected a JSON object \\(one per row\\), found \\[1, 2\\]"),
    ("r.json", '{"model": "m"}', "r.json': expected a JSON list of objects, one per row, found a dict"),
    ("r.json", '[{"model": ', "r.json': not valid JSON .* at line 1\\); expected a list of objects"),
    ("r.xlsx", "model\titem_id\trating\n", "r.xlsx': expected a .csv, .tsv, .jsonl, .json file or a run directory"),
    # issue 12: a row with an extra field is blamed on that field, not shifted into the rating column
    ("r.csv", "model,item_id,rating\nm,1008-1,5\nm,1008-2,5,extra\n",
     "r.csv', line 3: 4 fields but the header names 3 columns \\(model, item_id, rating\\); the extra value\\(s\\) "
     "'extra' come after column 'rating'"),
    ("r.csv", "model,item_id,rating\nm,1008-1,5,x\nm,1008-2,5,y\n", "r.csv', line 2: 4 fields"),
])
def test_bad_files(tmp_path, name, text, message):
    with pytest.raises(InputError, match=message):
        read_ratings(write(tmp_path, name, text))


def test_phrases_tsv_and_na_text(tmp_path):
    """Likert phrases are ratings (the one validator); the text NA / None is a model name (issue 12), an empty
    cell or NA in the rating column a missing rating."""
    text = "model\titem_id\trating\nNA\t1008-1\tSomewhat like me.\nNone\t1008-2\tNA\nNone\t1008-3\t2\n"
    frame = read_ratings(write(tmp_path, "r.tsv", text))
    assert frame["model"].tolist() == ["NA", "None", "None"]
    assert frame["rating"].tolist()[0] == 4.0 and math.isnan(frame["rating"].iloc[1]) and frame["rating"].iloc[2] == 2


def test_missing_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=re.escape(f"ratings {str(path)!r} not found; pass a ratings file")):
        read_ratings(path)


def test_a_request_rated_twice_is_an_error_unless_a_policy_is_chosen(tmp_path):
    """Issue 21: a rating of a (model, persona, item, variant) already rated counted twice (intervals shrank);
    now the readers refuse it, naming the request and the file; 'first' keeps one, 'mean' averages."""
    from valueportrait.ratings.duplicates import resolve_duplicates

    path = tmp_path / "r.csv"
    path.write_text("model,item_id,variant,persona,rating\nm,1008-1,v1,,5\nm,1008-1,v1,,3\nm,1008-1,v2,,4\n"
                    "m,1008-2,v1,,2\nm,1008-2,v2,,6\n")
    with pytest.raises(InputError, match=r"1 rating\(s\) repeat a request already rated .*\(model 'm', item 1008-1, "
                                         r"variant v1\) 2 times in .*r\.csv"):
        read_ratings(path)
    assert read_ratings(path, duplicates="first")["rating"].tolist() == [5.0, 4.0, 2.0, 6.0]
    assert read_ratings(path, duplicates="mean")["rating"].tolist() == [4.0, 4.0, 2.0, 6.0]
    assert len(read_ratings(path, duplicates=None)) == 5
    plain = tmp_path / "plain.csv"  # no variants at all: repeats of an item, averaged as documented, never duplicates
    plain.write_text("model,item_id,rating\nm,1008-2,2\nm,1008-2,6\n")
    assert read_ratings(plain)["rating"].tolist() == [2.0, 6.0]
    with pytest.raises(InputError, match="unknown duplicates policy 'last'; choose one of: error, first, mean"):
        read_ratings(path, duplicates="last")
    # the same request under two personas is two requests
    two = read_ratings(path, duplicates=None).assign(persona=["a", "b", "a", "a", "a"])
    assert resolve_duplicates(two).removed == 0


def test_lm_eval_samples_logged_twice_are_an_error(tmp_path):
    from valueportrait.ratings.lm_eval import samples_to_ratings

    line = json.dumps({"doc_id": 0, "doc": {"item_id": "1003-1", "variant": "v1"}, "rating": 4.0})
    path = tmp_path / "samples_valueportrait_v1_2026-01-01T00-00-00.jsonl"
    path.write_text(line + "\n" + line + "\n")
    with pytest.raises(InputError, match=r"item 1003-1, variant v1\) 2 times in .*samples_valueportrait_v1"):
        samples_to_ratings(path, "tiny")
    assert len(samples_to_ratings(path, "tiny", duplicates="first")) == 1


def test_sources_name_persona_portraits_and_refuse_a_blank_persona(tmp_path):
    from valueportrait.ratings.sources import read_sources

    path = tmp_path / "p.csv"
    path.write_text("model,item_id,variant,persona,rating\nm,1008-1,v1,a woman,5\nm,1008-1,v1,a man,3\n"
                    "m,1008-1,v1,,4\n")
    got = read_sources([path]).ratings
    assert got["model"].tolist() == ["m [a woman]", "m [a man]", "m"]
    path.write_text("model,item_id,variant,persona,rating\nm,1008-1,v1, ,5\n")
    with pytest.raises(InputError, match="1 rating\\(s\\) of m have a persona with an empty name"):
        read_sources([path])
    with pytest.raises(InputError, match="is the same file as"):
        read_sources([path, tmp_path / "." / "p.csv"])
