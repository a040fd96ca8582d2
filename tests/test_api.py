"""The curated public API: every name in valueportrait.__all__ resolves, dir() shows exactly them, and the API page
(docs/API.md) lists each one."""

from pathlib import Path

import valueportrait

REQUIRED = {"open_dataset", "load_dataset", "metric_path", "parse_likert", "read_ratings", "score_portrait",
            "bootstrap_portrait", "compare_portraits", "score_humans", "evaluate_ratings", "compare_personas",
            "ValuePortraitError", "InputError", "DatasetError"}


def test_public_api():
    assert REQUIRED <= set(valueportrait.__all__)
    assert dir(valueportrait) == list(valueportrait.__all__)
    for name in valueportrait.__all__:
        assert getattr(valueportrait, name) is not None, name
    page = (Path(__file__).resolve().parents[1] / "docs" / "API.md").read_text(encoding="utf-8")
    assert [n for n in valueportrait.__all__ if f"`{n}`" not in page] == []
