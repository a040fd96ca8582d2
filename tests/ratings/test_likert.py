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


def test_fast_reader_equals_json(raw_dir, tmp_path):
    """The fast scan of upstream's files gives exactly what json.loads gives; other layouts fall back to json."""
    import json

    from valueportrait.ratings.upstream import _read_entries, _scan_entries, find_output_files

    for f in find_output_files(raw_dir / "lm_evaluation" / "outputs" / "final"):
        raw = f.path.read_bytes()
        expected = [(e["portrait_id"], e["option_id"], e.get("raw_response", e.get("error")), e.get("numeric_response"))
                    for e in json.loads(raw)]
        assert _scan_entries(raw) == expected, f.path
    other = tmp_path / "m_v1_results.json"
    other.write_text(json.dumps([{"option_id": 2, "portrait_id": 1008, "numeric_response": 5,
                                  "raw_response": 'Like "me"'}]))
    assert _scan_entries(other.read_bytes()) is None
    assert _read_entries(other) == [(1008, 2, 'Like "me"', 5.0)]


