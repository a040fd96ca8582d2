"""parse_likert: unit cases, and every raw answer of the four released models against upstream's parse."""

from __future__ import annotations

import numpy as np
import pytest

from valueportrait import parse_likert
from valueportrait.errors import InputError
from valueportrait.ratings.likert import parse_likert_many, to_ratings


@pytest.mark.parametrize("text, expected", [
    ("very much like me", 6), ("Like me", 5), ("SOMEWHAT LIKE ME.", 4), ("a little like me", 3),
    ("not like me", 2), ("not like me at all", 1), ("Not like me at all.", 1),
    ('"Somewhat like me"', 4), ("**Very much like me**", 6), ("1. not like me", 2), ("Answer: like me", 5),
    ("<think>The user wants... maybe 'like me'? No.</think>\n\nNot like me", 2),
    ("<think>unfinished reasoning about very much like me", None),
    ("somewhat like me\n\nYour response reflects a common approach ... not like me at all in tone.", 4),
    ("I'd say somewhat like me. The response shows empathy.", 4),
    ("You're likely not like me, but I'm used to overcoming objections", 2),
    ("Very little like me.", 3),  # upstream reads it as "a little like me"; so do we
    ("I don't think this response is very much like me.", None),  # negated: upstream says 6
    ("Although I don't know how I'd react, I think my response would be somewhat like me.", 4),
    ("some like me", None),  # upstream: "like me" (5)
    ("I am somewhat like you.", None), ("NTA", None), ("", None), (None, None), (float("nan"), None),
    ("I somewhat like this response.", None),
])
def test_parse_likert_cases(text, expected):
    assert parse_likert(text) == expected


def test_never_reads_like_me_out_of_not_like_me_at_all():
    for text in ["not like me at all", "It is not like me at all!", "> *not like me at all*"]:
        assert parse_likert(text) == 1


def test_parse_many_and_to_ratings():
    np.testing.assert_array_equal(parse_likert_many(["like me", "??", None, "like me"]), [5, np.nan, np.nan, 5])
    np.testing.assert_array_equal(to_ratings([1, 2.5, "like me", None]), [1, 2.5, 5, np.nan])
    with pytest.raises(InputError, match=r"2 of the 3 predictions are not ratings: \[0\] 7, \[2\] 'meh'"):
        to_ratings([7, 3, "meh"])
    np.testing.assert_array_equal(to_ratings(["meh", 3], unparseable="missing"), [np.nan, 3])
    with pytest.raises(InputError, match="not ratings"):
        to_ratings([0.5], unparseable="missing")


def test_agrees_with_upstream_on_every_released_answer(raw_dir):
    from valueportrait.ratings.upstream import parse_summary, read_upstream_outputs

    rt = read_upstream_outputs(raw_dir / "lm_evaluation" / "outputs" / "final")
    assert len(rt) == 4 * 6 * 520
    ours, up = rt["rating"].to_numpy(), rt["upstream_rating"].to_numpy()
    differ = rt[~((ours == up) | (np.isnan(ours) & np.isnan(up)))]
    # The only disagreement in 12,480 answers: a negated phrase, which upstream reads as 6 and we leave unparsed.
    assert differ[["model", "variant", "item_id", "upstream_rating"]].values.tolist() == [
        ["llama-3.1-8b-instruct", "v3_reversed", "1038-4", 6.0]]
    assert np.isnan(differ["rating"].iloc[0])
    summary = parse_summary(rt)
    # upstream's own error entries: gemini 22, llama 55 (counted in its output files); we add the negated one.
    assert summary["unparseable"].to_dict() == {"claude-3-5-sonnet-20241022": 0, "gemini-2.0-flash-001": 22,
                                                "gpt-4o-2024-11-20": 0, "llama-3.1-8b-instruct": 56}
    assert summary["upstream_unparseable"].to_dict()["llama-3.1-8b-instruct"] == 55


def test_reader_equals_json(raw_dir, tmp_path):
    """The msgspec reader gives exactly what json.loads gives on all 24 released files, on other key orders, and
    on JSON only the json module takes (NaN); bad entries are named."""
    import json

    from valueportrait.ratings.upstream import _read_entries, find_output_files

    files = find_output_files(raw_dir / "lm_evaluation" / "outputs" / "final")
    assert len(files) == 24
    for f in files:
        expected = [(e["portrait_id"], e["option_id"], e.get("raw_response", e.get("error")), e.get("numeric_response"))
                    for e in json.loads(f.path.read_bytes())]
        assert _read_entries(f.path) == expected, f.path
    other = tmp_path / "m_v1_results.json"
    other.write_text(json.dumps([{"option_id": 2, "portrait_id": 1008, "numeric_response": 5,
                                  "raw_response": 'Like "me"', "prompt": {"nested": [1, 2]}},
                                 {"portrait_id": "1009", "option_id": 1, "error": "Could not parse: x"}]))
    assert _read_entries(other) == [(1008, 2, 'Like "me"', 5.0), (1009, 1, "Could not parse: x", None)]
    other.write_text('[{"portrait_id": 1008, "option_id": 2, "raw_response": "like me", "numeric_response": NaN}]')
    ((pid, oid, text, num),) = _read_entries(other)
    assert (pid, oid, text) == (1008, 2, "like me") and np.isnan(num)
    other.write_text('[{"portrait_id": 1008, "raw_response": "like me"}]')
    with pytest.raises(InputError, match=r"m_v1_results.json: entry 0 lacks an integer portrait_id / option_id "
                                         r"\(keys: \['portrait_id', 'raw_response'\]\)"):
        _read_entries(other)
    other.write_text('[{"portrait_id": "P1", "option_id": 2}]')
    with pytest.raises(InputError, match=r"entry 0 has portrait_id 'P1' / option_id 2; expected integers"):
        _read_entries(other)
    other.write_text('{"portrait_id": 1}')
    with pytest.raises(InputError, match="expected a JSON list of entries, got dict"):
        _read_entries(other)
    other.write_text('[{"portrait_id": 1,')
    with pytest.raises(InputError, match="not a readable JSON file"):
        _read_entries(other)


