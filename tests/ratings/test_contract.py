"""The one ratings validator (``validate_ratings``) and the one cached reading of rating cells."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import valueportrait.ratings.likert as likert
from valueportrait.errors import InputError
from valueportrait.ratings import COLUMNS, item_ratings, ratings_frame, to_ratings, validate_ratings


def test_numbers_and_phrases_through_one_validator():
    frame = pd.DataFrame({"model": ["m"] * 6, "item_id": ["1008-1"] * 6,
                          "rating": [5, "2.5", "Not like me at all.", None, "", float("nan")]})
    out = validate_ratings(frame)
    assert list(out.columns) == list(COLUMNS) and str(out["rating"].dtype) == "float64"
    assert out["rating"].tolist()[:3] == [5.0, 2.5, 1.0] and out["rating"].iloc[3:].isna().all()


@pytest.mark.parametrize("rating, message", [
    ([7.0], r"<ratings>, row 0, column 'rating': 7 is outside 1-6"),
    (["0"], r"row 0, column 'rating': 0 is outside 1-6"),
    ([True], r"row 0, column 'rating': True is not a rating"),
    (["kinda like me"], r"row 0, column 'rating': 'kinda like me' is not a rating; expected a number 1-6 or a Likert"),
])
def test_bad_ratings_name_row_and_column(rating, message):
    with pytest.raises(InputError, match=message):
        validate_ratings(pd.DataFrame({"model": ["m"], "item_id": ["1008-1"], "rating": rating}))


def test_only_a_truly_empty_cell_is_a_missing_name():
    """Issue 12: the text NA / None is a model name; None, NaN and "" are missing."""
    ok = validate_ratings(pd.DataFrame({"model": ["NA", "None"], "item_id": ["1008-1", "1008-2"], "rating": [1, 2]}))
    assert ok["model"].tolist() == ["NA", "None"]
    for empty in (None, "", float("nan")):
        with pytest.raises(InputError, match=r"src, line 9, column 'model': empty; every rating needs its model"):
            validate_ratings(pd.DataFrame({"model": [empty], "item_id": ["1008-1"], "rating": [1]}),
                             source="src", rows=["line 9"])


def test_to_ratings_parses_each_distinct_text_once(monkeypatch):
    """to_ratings goes through parse_likert_many's cache: 3,000 answers, 3 distinct texts -> 3 parses."""
    calls = []
    real = likert.parse_likert
    monkeypatch.setattr(likert, "parse_likert", lambda t, **kw: calls.append(t) or real(t, **kw))
    out = to_ratings(["like me", "Somewhat like me.", "not like me"] * 1000)
    assert len(calls) == 3 and out[:3].tolist() == [5.0, 4.0, 2.0] and len(out) == 3000


def test_item_ratings_means_and_range():
    r = pd.DataFrame({"item_id": ["b", "a", "a", "b"], "rating": ["like me", 1, 2, math.nan]})
    assert item_ratings(r).to_dict() == {"a": 1.5, "b": 5.0}  # hand computed: (1+2)/2, 5
    with pytest.raises(InputError, match=r"1 rating\(s\) outside 1-6 \(row=value\): 1=7.0"):
        item_ratings(pd.DataFrame({"item_id": ["a", "b"], "rating": [1.0, 7.0]}))


def test_ratings_frame_and_validate_agree():
    frame = ratings_frame("m", ["1008-1", "1008-2"], ["v1", "v2"], [None, "p"], [np.inf, 3])
    assert math.isnan(frame["rating"].iloc[0])  # not finite -> NaN
    pd.testing.assert_frame_equal(validate_ratings(frame), frame)
    no_variants = ratings_frame("m", ["1008-1", "1008-2"], [None, None], [None, "p"], [4, 3])
    pd.testing.assert_frame_equal(validate_ratings(no_variants), no_variants)


@pytest.mark.parametrize("variants, said", [
    (["v1", "v9"], "line 3, column 'variant': 'v9' is not a prompt variant; the known variants are v1, v1_reversed"),
    (["V1", "v1"], "line 2, column 'variant': 'V1' is not a prompt variant"),
    (["v1", " "], "line 3, column 'variant': ' ' is not a prompt variant"),
])
def test_unknown_variants_are_errors_as_in_the_metric(tmp_path, variants, said):
    # issue 19: score accepted 'v9', 'V1' and a blank variant silently while the metric refused them (an empty
    # cell is no variant: a repeat, averaged as documented, tests/ratings/test_files.py)
    from valueportrait.ratings import read_ratings

    path = tmp_path / "r.csv"
    path.write_text("model,item_id,variant,rating\n" + "".join(f"m,1008-{k},{v},4\n" for k, v in
                                                                  enumerate(variants, 1)))
    with pytest.raises(InputError, match=re.escape(said)):
        read_ratings(path)
