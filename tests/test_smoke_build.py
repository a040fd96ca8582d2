"""End-to-end smoke test of the foundation: build from the real release, read it back, load with datasets."""

import datasets

from valueportrait.dataset import CONFIGS, open_dataset


def test_built_folder_loads_every_config(built_dataset):
    # Row counts from the upstream release: 520 items, 9,880 item x dimension pairs (520 x 19),
    # 24,320 ratings, 559 raters with a value record, 6 variants x 2 templates, 104 queries.
    expected = {"items": 520, "correlations": 9880, "human_ratings": 24320, "participants": 559, "prompts": 12,
                "queries": 104}
    for config in CONFIGS:
        ds = datasets.load_dataset(str(built_dataset), config, split="test")
        assert ds.num_rows == expected[config], config
    data = open_dataset(built_dataset)
    # The paper's rule on the published correlations selects 625 item x dimension pairs (counted from upstream's
    # correlation_results with rho > 0.3 and p < 0.05).
    assert len(data.selection()) == 625


def test_load_dataset_reads_each_folder_not_a_stale_cache(built_dataset, tmp_path):
    """Two copies of a build, in folders of the same name with the same card, one with a changed prompt:
    ``datasets.load_dataset`` would serve the first one's cache for both; ours reads each folder's files."""
    import shutil

    import pyarrow.parquet as pq

    from valueportrait import load_dataset

    a = tmp_path / "a" / "valueportrait"
    b = tmp_path / "b" / "valueportrait"
    shutil.copytree(built_dataset, a)
    shutil.copytree(built_dataset, b)
    (path,) = (b / "prompts").glob("*.parquet")
    table = pq.read_table(path)
    texts = table.column("text").to_pylist()
    texts[0] = "CHANGED"
    pq.write_table(table.set_column(table.schema.get_field_index("text"), "text", [texts]), path)
    assert load_dataset(a, "prompts")[0]["text"].startswith("Now I will briefly describe")  # upstream's v1 prompt
    assert load_dataset(b, "prompts")[0]["text"] == "CHANGED"
    assert load_dataset(b, "prompts").features == datasets.load_dataset(str(a), "prompts", split="test").features
