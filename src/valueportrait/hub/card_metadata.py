"""A dataset card's YAML checked offline against the Hub's metadata vocabularies, as ``datasets`` ships them.

``huggingface_hub``'s ``RepoCard.validate`` asks the Hub (network); ``datasets`` ships the vocabularies the Hub's
dataset metadata uses (``datasets/utils/resources/``: size categories, creators, multilinguality, languages;
``datasets.utils.metadata.known_task_ids``) and the parsers of ``configs`` (``MetadataConfigs``) and
``dataset_info`` (``DatasetInfosDict``). :func:`metadata_problems` runs all of them on a card's metadata and
lists what does not conform, so a card is checked before ``publish`` uploads it, with no network.

>>> metadata_problems({"license": "mit", "size_categories": ["10K<n<100K"], "tags": ["arxiv:2505.01015"]})
[]
>>> metadata_problems({"size_categories": ["big"], "multilinguality": ["mono"], "tags": ["arxiv:2505"]})
["size_categories: 'big' is not one of the Hub's (n<1K, 1K<n<10K, ...)", "multilinguality: 'mono' is not one of monolingual, multilingual, translation, other", "tags: 'arxiv:2505' is not an arXiv id (arxiv:YYMM.NNNNN)"]
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

_ARXIV_TAG = re.compile(r"^arxiv:\d{4}\.\d{4,5}$")


@cache
def _vocabularies() -> dict[str, Any]:
    import datasets
    from datasets.utils.metadata import known_task_ids

    resources = Path(datasets.__file__).parent / "utils" / "resources"

    def load(name: str) -> Any:
        return json.loads((resources / name).read_text(encoding="utf-8"))

    creators = load("creators.json")
    return {"size_categories": load("size_categories.json"), "annotations_creators": creators["annotations"],
            "language_creators": creators["language"], "multilinguality": list(load("multilingualities.json")),
            "language": set(load("languages.json")), "task_categories": set(known_task_ids)}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def metadata_problems(meta: dict[str, Any]) -> list[str]:
    """What in a dataset card's metadata (its YAML as a dict) is outside the Hub's vocabularies or does not parse
    as ``datasets`` reads it; empty when it conforms."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    vocab, problems = _vocabularies(), []
    for field in ("size_categories", "annotations_creators", "language_creators", "multilinguality"):
        allowed = vocab[field]
        shown = "the Hub's (n<1K, 1K<n<10K, ...)" if field == "size_categories" else ", ".join(allowed)
        problems += [f"{field}: {v!r} is not one of {shown}" for v in _as_list(meta.get(field) or [])
                     if v not in allowed]
    for field, what in (("language", "language code"), ("task_categories", "task category")):
        problems += [f"{field}: {v!r} is not a {what} the Hub knows" for v in _as_list(meta.get(field) or [])
                     if v not in vocab[field]]
    problems += [f"tags: {t!r} is not an arXiv id (arxiv:YYMM.NNNNN)" for t in _as_list(meta.get("tags") or [])
                 if isinstance(t, str) and t.lower().startswith("arxiv:") and not _ARXIV_TAG.match(t)]
    card_data = DatasetCardData(**meta)
    for what, read in (("configs", MetadataConfigs.from_dataset_card_data),
                       ("dataset_info", DatasetInfosDict.from_dataset_card_data)):
        if meta.get(what):
            try:
                read(card_data)
            except Exception as exc:  # datasets' own reader refuses it: say so, with its message
                problems.append(f"{what}: datasets cannot read it ({type(exc).__name__}: {exc})")
    return problems


__all__ = ["metadata_problems"]
