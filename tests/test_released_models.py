"""The shipped model table of the released models (issue 23, point 2): exactly upstream's model ids, facts with
a source per row, unknowns empty, and the open/closed split the issue's independent computation used."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from valueportrait.errors import InputError
from valueportrait.released_models import COLUMNS, released_models, released_models_path

#: The 34 model ids of upstream's ``lm_evaluation/average_outputs/<model>_averaged_results.json`` at the pinned
#: commit (``git ls-tree -r --name-only HEAD lm_evaluation/average_outputs`` on holi-lab/ValuePortrait).
UPSTREAM_IDS = {
    "chatgpt-4o-latest", "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022", "claude-3-haiku-20240307",
    "claude-3-opus-20240229", "claude-3-sonnet-20240229", "claude-3.7-sonnet:thinking", "claude-3.7-sonnet",
    "deepseek-chat", "deepseek-r1", "gemini-2.0-flash-001", "gemini-2.0-flash-thinking-exp-01-21",
    "gemini-flash-1.5-8b", "gemini-flash-1.5", "gpt-3.5-turbo", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06",
    "gpt-4o-2024-11-20", "gpt-4o-mini-2024-07-18", "grok-2-1212", "llama-3.1-405b-instruct",
    "llama-3.1-70b-instruct", "llama-3.1-8b-instruct", "mistral-large", "mistral-medium",
    "mistral-small-24b-instruct-2501", "mistral-small", "mistral-tiny", "o1-mini-2024-09-12",
    "o3-mini-2025-01-31", "qwen-max", "qwen-plus", "qwen-turbo", "qwq-32b",
}


def test_the_table_holds_exactly_upstreams_model_ids():
    table = released_models()
    assert tuple(table.columns) == COLUMNS
    assert len(table) == 34 and set(table.model) == UPSTREAM_IDS


def test_the_raw_release_models_are_in_the_table():
    """Every model whose outputs the raw release of this machine/CI holds has a row (file names are
    ``<model>_<variant>_results.json`` under ``lm_evaluation/outputs``)."""
    raw = Path(os.environ.get("VALUEPORTRAIT_RAW", "")) / "lm_evaluation" / "outputs"
    if not raw.is_dir():
        pytest.skip("no raw release with lm_evaluation/outputs")
    found = {p.name.split("_v")[0] for p in raw.rglob("*_results.json")}
    assert found and found <= set(released_models().model)


def test_open_weights_split_is_the_issues_ten_closed_twenty_three_and_one_ambiguous():
    """Issue 23's independent computation: open vs closed weights 10 vs 23, one ambiguous (grok-2-1212, whose
    weights xAI published after the evaluation without naming the version)."""
    counts = released_models().open_weights.value_counts().to_dict()
    assert counts == {"no": 23, "yes": 10, "ambiguous": 1}
    table = released_models().set_index("model")
    assert table.loc["grok-2-1212", "open_weights"] == "ambiguous"
    assert set(table.index[table.open_weights == "yes"]) == {
        "deepseek-chat", "deepseek-r1", "llama-3.1-405b-instruct", "llama-3.1-70b-instruct",
        "llama-3.1-8b-instruct", "mistral-large", "mistral-small", "mistral-small-24b-instruct-2501",
        "mistral-tiny", "qwq-32b"}


def test_every_row_has_a_source_and_facts_where_published():
    table = released_models().set_index("model")
    assert table.source_url.str.match(r"^https://[^\s,]+$").all()
    assert table.provider.str.len().gt(0).all()
    # published parameter counts (Meta's Llama 3.1 post: 8B, 70B, 405B; Mistral Small 3: 24B)
    assert table.loc[["llama-3.1-8b-instruct", "llama-3.1-70b-instruct", "llama-3.1-405b-instruct",
                      "mistral-small-24b-instruct-2501"], "parameters_billion"].tolist() == [8, 70, 405, 24]
    # unknowns stay empty: no closed OpenAI/Anthropic model has a published parameter count
    closed = table.index.str.startswith(("gpt-", "o1-", "o3-", "claude-", "chatgpt-"))
    assert table.loc[closed, "parameters_billion"].isna().all()
    # dated snapshot ids of OpenAI are released on their date
    assert table.loc["gpt-4o-2024-08-06", "release_date"] == pd.Timestamp("2024-08-06")
    assert table.release_date.dropna().between("2023-01-01", "2025-06-01").all()


def test_a_damaged_table_is_a_clear_error(monkeypatch, tmp_path):
    bad = tmp_path / "released_models.csv"
    bad.write_text(Path(released_models_path()).read_text().replace("qwq-32b,Alibaba,yes", "qwq-32b,Alibaba,maybe"))
    monkeypatch.setattr("valueportrait.released_models.released_models_path", lambda: str(bad))
    with pytest.raises(InputError, match=r"open_weights must be one of .*qwq-32b"):
        released_models()


def test_every_row_says_whether_its_facts_were_checked():
    """The spot-check of 2026-12-07 (stored copies of public pages): 4 rows confirmed in full (Meta's Llama 3.1
    post: 8B/70B/405B, 2024-07-23; Mistral Small 3: 24B, 2025-01-30, Apache 2.0), 5 in part (each saying what
    was and was not confirmed), the other 25 unchecked; every checked row says against what."""
    table = released_models().set_index("model")
    assert table.checked.value_counts().to_dict() == {"no": 25, "partly": 5, "yes": 4}
    assert set(table.index[table.checked == "yes"]) == {
        "llama-3.1-8b-instruct", "llama-3.1-70b-instruct", "llama-3.1-405b-instruct", "mistral-small-24b-instruct-2501"}
    assert table.loc[table.checked != "no", "check_note"].notna().all()
    assert table.loc[table.checked == "no", "check_note"].isna().all()
    # the parameter counts that exist: 11 of 34, every one of them checked at least in part except deepseek-chat
    # and mistral-tiny (unchecked)
    known = table.parameters_billion.notna()
    assert known.sum() == 11 and set(table.index[known & (table.checked == "no")]) == {"deepseek-chat", "mistral-tiny"}
