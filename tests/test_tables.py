"""The tidy tables read from the real release (counts and facts checked against the upstream files)."""

from __future__ import annotations

import json

from valueportrait.scale import FAMILIES, SOURCE_TEMPLATE, TEMPLATES, VARIANTS


def test_row_counts(release_data):
    # upstream release @08e1fb7: 104 queries x 5 responses = 520 items; main survey 24,320 ratings by 559 raters
    # who have a value record; 6 prompt variants x 2 templates.
    d = release_data
    assert len(d.queries) == 104
    assert len(d.items) == 520
    assert len(d.human_ratings) == 24320
    assert len(d.participants) == 559
    assert len(d.prompts) == 12
    assert d.items["item_id"].is_unique and d.queries["query_id"].is_unique


def test_item_ids_follow_the_shared_contract(release_data):
    items = release_data.items
    assert items["item_id"].iloc[0] == "1003-1"  # first Reddit query of upstream's Reddit.json, response 1
    assert (items["item_id"] == items["query_id"] + "-" + items["response_id"].astype(str)).all()
    assert items.groupby("query_id")["response_id"].apply(sorted).map(lambda ids: ids == [1, 2, 3, 4, 5]).all()


def test_sources_and_templates(release_data):
    q = release_data.queries
    # 26 queries per source (upstream: 24 in each query-response file + 2 x9xx queries only in the tagged file)
    assert q["source"].value_counts().to_dict() == {"Reddit": 26, "DearAbby": 26, "ShareGPT": 26, "LMSYS": 26}
    assert (q["template"] == q["source"].map(SOURCE_TEMPLATE)).all()
    assert release_data.items["template"].value_counts().to_dict() == {"reddit": 260, "sharegpt": 260}
    assert q.loc[q["template"] == "sharegpt", "title"].isna().all()
    assert q.loc[q["template"] == "reddit", "title"].notna().all()


def test_the_eight_x9xx_queries_come_from_the_tagged_file(release_data):
    q = release_data.queries.set_index("query_id")
    x9 = q[q.index.str[1] == "9"]
    # their source follows from the id's first digit; they have no source metadata in the release
    assert x9["source"].to_dict() == {"1901": "Reddit", "1902": "Reddit", "2901": "DearAbby", "2902": "DearAbby",
                                      "3901": "ShareGPT", "3902": "ShareGPT", "4901": "LMSYS", "4902": "LMSYS"}
    assert (x9["source_metadata"] == "{}").all()


def test_categories_matched_for_all_queries(release_data, raw_dir):
    q = release_data.queries
    assert q["categories"].map(len).min() >= 1  # all 104 matched by content in query_categorized.json
    cats = json.loads((raw_dir / "data/query/query_categorized.json").read_text(encoding="utf-8"))
    known = {c for rec in cats for c in rec["categories"]}
    assert set().union(*q["categories"]) <= known


def test_human_ratings(release_data):
    r = release_data.human_ratings
    assert r["rating"].between(1, 6).all() and str(r["rating"].dtype) == "int64"
    assert sorted(r["survey_group"].unique()) == list(range(1, 13))
    # every item belongs to exactly one survey group; group 9 rated 80 items, the others 40 (upstream survey.json)
    assert r.groupby("item_id")["survey_group"].nunique().max() == 1
    assert r.groupby("survey_group")["item_id"].nunique().tolist() == [40] * 8 + [80] + [40] * 3
    assert set(r["item_id"]) == set(release_data.items["item_id"])


def test_participants(release_data):
    p = release_data.participants.set_index("participant_id")
    value_cols = [f"{f}_{d}" for f, dims in FAMILIES.items() for d in dims]
    assert list(p.columns) == ["survey_groups", *value_cols]
    assert p["survey_groups"].map(len).value_counts().to_dict() == {1: 558, 2: 1}
    assert p.loc["P186", "survey_groups"] == [1, 6]  # the one rater found in two groups
    assert p[value_cols].notna().all().all()


def test_prompts_are_verbatim(release_data, raw_dir):
    p = release_data.prompts
    assert list(zip(p["variant"], p["template"])) == [(v, t) for v in VARIANTS for t in TEMPLATES]
    for row in p.itertuples():
        path = raw_dir / "lm_evaluation/prompts" / row.variant / f"{row.template}_prompt.txt"
        assert row.text == path.read_text(encoding="utf-8")


def test_tables_are_sorted_by_their_key(release_data):
    d = release_data
    q = d.queries["query_id"].astype(int)
    assert q.is_monotonic_increasing
    items = list(zip(d.items["query_id"].astype(int), d.items["response_id"]))
    assert items == sorted(items)
    assert d.human_ratings["survey_group"].is_monotonic_increasing
    assert d.participants["participant_id"].is_monotonic_increasing
    # correlations: item order of the items table, then families and dimensions in FAMILIES order
    order = [(f, dim) for f, dims in FAMILIES.items() for dim in dims]
    first = d.correlations.iloc[:19]
    assert list(zip(first["family"], first["dimension"])) == order
    # items in survey-group order, then by query and response (the order of the human_ratings table)
    group = d.human_ratings.drop_duplicates("item_id").set_index("item_id")["survey_group"].to_dict()
    expected = sorted(d.items["item_id"], key=lambda i: (group[i], *map(int, i.split("-"))))
    assert d.correlations["item_id"].drop_duplicates().tolist() == expected
