"""Requests of a run: prompts as upstream built them, variants, personas, answer parsing."""

from __future__ import annotations

import json

import pytest

from valueportrait.dataset import open_dataset
from valueportrait.scale import VARIANTS
from valueportrait.errors import InputError
from valueportrait.ratings.likert import parse_likert
from valueportrait.runner.prompts import (PERSONA_TEMPLATE, Persona, build_requests, fingerprint, load_personas,
                                          parse_variants, render_prompt)


@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


@pytest.mark.parametrize("variant", VARIANTS)
def test_prompts_equal_upstream_recorded_prompts(data, raw_dir, variant):
    # Reference: the `prompt` field of upstream's own output file for gpt-4o under this variant (520 items).
    upstream = json.loads((raw_dir / "lm_evaluation/outputs/final/openai"
                           / f"gpt-4o-2024-11-20_{variant}_results.json").read_text(encoding="utf-8"))
    recorded = {f"{r['portrait_id']}-{r['option_id']}": r["prompt"] for r in upstream}
    reqs = build_requests(data.items, data.prompts, variants=[variant])
    assert len(reqs) == 520 == len(recorded)
    mismatched = [r.item_id for r in reqs if r.prompt != recorded[r.item_id]]
    assert mismatched == []
    assert all(len(r.messages) == 1 and r.messages[0]["role"] == "user" for r in reqs)


def test_request_order_persona_then_variant_then_item(data):
    personas = [Persona("young", "a 20-year-old student"), Persona("old", "a retired teacher")]
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v3_reversed"], personas=personas, limit=3)
    assert [r.key for r in reqs][:4] == [("1003-1", "v1", "young"), ("1003-2", "v1", "young"),
                                         ("1003-3", "v1", "young"), ("1003-1", "v3_reversed", "young")]
    assert len(reqs) == 2 * 2 * 3 and len({r.key for r in reqs}) == 12
    system = reqs[-1].messages[0]
    assert system == {"role": "system", "content": PERSONA_TEMPLATE.replace("{persona}", "a retired teacher")}
    assert reqs[-1].messages[1]["role"] == "user"


def test_render_prompt_sequential_replacement_like_upstream():
    # upstream replaces {title}, then {text}, then {content}; a sharegpt template has no {title}
    assert render_prompt("Message: {text}\nResponse: {content}", title=None, text="hi", content="ok") == \
        "Message: hi\nResponse: ok"
    assert render_prompt("{title}|{text}|{content}", title="t {x}", text="a{b}", content="c") == "t {x}|a{b}|c"


def test_parse_variants():
    assert parse_variants("all") == list(VARIANTS)
    assert parse_variants("v2_reversed, v1") == ["v1", "v2_reversed"]  # paper order
    with pytest.raises(InputError, match="unknown prompt variant.*'v4'.*expected 'all'"):
        parse_variants("v1,v4")


def test_load_personas_all_formats(tmp_path):
    (tmp_path / "p.jsonl").write_text('{"label": "a", "text": "person A"}\n\n{"label": "b", "text": "person B"}\n')
    (tmp_path / "p.json").write_text(json.dumps({"a": "person A", "b": "person B"}))
    (tmp_path / "p.csv").write_text("label,text\na,person A\nb,person B\n")
    expected = [Persona("a", "person A"), Persona("b", "person B")]
    for name in ("p.jsonl", "p.json", "p.csv"):
        assert load_personas(tmp_path / name) == expected


@pytest.mark.parametrize("content, message", [
    ('{"label": "a"}\n', r"p\.jsonl, line 1: expected non-empty string fields 'label' and 'text'"),
    ('{"label": "a", "text": "x"}\n{"label": "a", "text": "y"}\n', r"line 2: duplicate persona label 'a'"),
    ('{"label": "a", "text": \n', r"p\.jsonl', line 1: not valid JSON"),
    ('{"label": "a", "text": "x"}\n[1]\n', r"p\.jsonl', line 2: expected a JSON object"),
    ("", r"no personas found"),
])
def test_load_personas_errors(tmp_path, content, message):
    (tmp_path / "p.jsonl").write_text(content)
    with pytest.raises(InputError, match=message):
        load_personas(tmp_path / "p.jsonl")


def test_load_personas_missing_and_wrong_type(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_personas(tmp_path / "nope.jsonl")
    (tmp_path / "p.yaml").write_text("a: b")
    with pytest.raises(InputError, match="unsupported personas file type '.yaml'"):
        load_personas(tmp_path / "p.yaml")


def test_fingerprint_changes_with_content(data):
    fp = fingerprint(data.items, data.prompts)
    assert fp == fingerprint(data.items.copy(), data.prompts.copy())
    items = data.items.copy()
    items.loc[0, "response"] = items.loc[0, "response"] + " "
    assert fingerprint(items, data.prompts) != fp


@pytest.mark.parametrize("text, rating", [
    ("very much like me", 6), ("Like me.", 5), ("  SOMEWHAT like me ", 4), ("a little like me", 3),
    ("Not like me", 2), ("not like me at all!", 1), ("Answer: not like me at all", 1),
    ("I don't know", None), ("", None), (None, None),
])
def test_runner_answers_read_with_parse_likert(text, rating):
    # The runner reads chat answers with the package's one parser.
    assert parse_likert(text) == rating
