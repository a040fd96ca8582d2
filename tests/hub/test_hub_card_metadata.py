"""The dataset card's metadata: its size category computed from the rows, and its YAML checked offline against
the Hub's vocabularies as datasets ships them (valueportrait.hub.card_metadata), which publish applies."""

from __future__ import annotations

import pytest
from hub_helpers import copy_folder

from valueportrait import hub
from valueportrait.builders.card import size_category
from valueportrait.errors import PublishError
from valueportrait.hub.card_metadata import metadata_problems


@pytest.mark.parametrize("rows, category", [
    (0, "n<1K"), (999, "n<1K"), (1_000, "1K<n<10K"), (9_999, "1K<n<10K"), (35_395, "10K<n<100K"),
    (100_000, "100K<n<1M"), (10**9, "1B<n<10B"), (10**12, "n>1T"),
])
def test_size_category_buckets(rows, category):
    # the Hub's buckets (datasets/utils/resources/size_categories.json): a lower bound is in its own bucket
    assert size_category(rows) == category


def test_metadata_problems_name_each_value_outside_the_vocabularies():
    good = {"license": "mit", "language": ["en"], "size_categories": ["10K<n<100K"], "annotations_creators":
            ["crowdsourced"], "language_creators": ["found"], "multilinguality": ["monolingual"],
            "task_categories": ["text-generation"], "tags": ["values", "arxiv:2505.01015"]}
    assert metadata_problems(good) == []
    bad = {**good, "language": ["english"], "size_categories": "10K-100K", "annotations_creators": ["crowd"],
           "task_categories": ["value-measurement"], "tags": ["arxiv:abs/2505.01015"],
           "configs": [{"config_name": "items", "data_files": 7}]}
    problems = metadata_problems(bad)
    assert problems[:5] == [
        "size_categories: '10K-100K' is not one of the Hub's (n<1K, 1K<n<10K, ...)",
        "annotations_creators: 'crowd' is not one of found, crowdsourced, expert-generated, machine-generated, "
        "no-annotation, other",
        "language: 'english' is not a language code the Hub knows",
        "task_categories: 'value-measurement' is not a task category the Hub knows",
        "tags: 'arxiv:abs/2505.01015' is not an arXiv id (arxiv:YYMM.NNNNN)",
    ]
    assert problems[5].startswith("configs: datasets cannot read it (") and len(problems) == 6


@pytest.mark.usefixtures("isolated_git")
def test_publish_refuses_a_card_outside_the_vocabularies_before_anything_is_sent(built_dataset, tmp_path):
    folder = copy_folder(built_dataset, tmp_path / "ds")
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "- 10K<n<100K\n" in card
    (folder / "README.md").write_text(card.replace("- 10K<n<100K\n", "- about 35K\n", 1), encoding="utf-8")
    from valueportrait.dataset import DATASET_VERSION

    with pytest.raises(PublishError, match=r"README\.md: the card's YAML does not conform to the Hub's dataset "
                                           r"metadata \(checked offline.*size_categories: 'about 35K' is not one"):
        hub.plan_dataset(folder, (tmp_path / "r.git").as_uri(), DATASET_VERSION)
    assert not (tmp_path / "r.git").exists()
