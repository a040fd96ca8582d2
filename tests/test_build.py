"""The built folder: card and metadata, every config loads, determinism, the CLI, the public loader."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import datasets
import pytest
from click.testing import CliRunner

import valueportrait
from valueportrait.builders.build import parquet_path
from valueportrait.cli.main import cli
from valueportrait.builders.release import from_release
from valueportrait.dataset import CONFIGS, DATASET_VERSION, open_dataset
from valueportrait.dataset_script.valueportrait import FEATURES, FIELD_DESCRIPTIONS, ValuePortrait, table_for
from valueportrait.errors import DatasetError, InputError
from valueportrait.settings import Selection

# Row counts from the upstream release (see tests/test_tables.py).
ROWS = {"items": 520, "correlations": 9880, "human_ratings": 24320, "participants": 559, "prompts": 12, "queries": 104}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_folder_layout(built_dataset):
    # the six configs, and reference_portraits: the test release holds 4 models' outputs (tests/test_reference.py)
    assert sorted(_files(built_dataset)) == sorted(["README.md", "build_info.json", "instrument.yaml",
                                                    *(parquet_path(c) for c in (*CONFIGS, "reference_portraits"))])


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_loads_offline_with_declared_features(built_dataset, config):
    ds = datasets.load_dataset(str(built_dataset), config, split="test")
    assert ds.num_rows == ROWS[config]
    assert ds.features == FEATURES[config]
    assert set(FIELD_DESCRIPTIONS[config]) == set(FEATURES[config])  # the card documents every field


def test_default_config_is_items(built_dataset):
    ds = datasets.load_dataset(str(built_dataset), split="test")
    assert ds.num_rows == 520 and "response" in ds.column_names


def test_load_by_folder_name_from_the_parent_directory(built_dataset, monkeypatch):
    # the design card's call: `valueportrait build --out ./valueportrait`, then load_dataset("valueportrait", "items")
    assert built_dataset.name == "valueportrait"
    monkeypatch.chdir(built_dataset.parent)
    ds = datasets.load_dataset("valueportrait", "items", split="test")
    assert ds.num_rows == 520
    assert ds[0]["item_id"] == "1003-1"


def test_card_parses_and_its_metadata_is_valid(built_dataset, raw_dir):
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(built_dataset / "README.md")
    d = card.data
    assert d.license == "mit" and d.pretty_name == "Value Portrait"
    assert d.task_categories == ["text-generation"] and "psychometrics" in d.tags
    # computed from the rows of all configs: 9,880 + 24,320 + 520 + 559 + 12 + 104 = 35,395 (ROWS) -> 10K..100K
    assert sum(ROWS.values()) == 35_395 and d.size_categories == ["10K<n<100K"]
    assert "arxiv:2505.01015" in d.tags  # the Hub's paper page links the dataset
    assert "[Value Portrait: Assessing Language Models' Values" in card.text and \
        "(https://arxiv.org/abs/2505.01015)" in card.text
    # dataset_info as datasets writes it: per config only its own fields; the shared ones (licence, version,
    # description, citation) once: `license` and each config's `version` in the YAML, the rest in the body
    assert all(set(e) == {"config_name", "features", "splits", "download_size", "dataset_size"}
               for e in d.dataset_info)
    assert all(c["version"] == DATASET_VERSION for c in d.configs)
    front = (built_dataset / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[0]
    assert front.count("Han, Jongwook") == 0 and len(front) < 9_000  # was 12.7 KB with 6 copies of each
    from valueportrait.hub.card_metadata import metadata_problems

    assert metadata_problems(d.to_dict()) == []  # the Hub's vocabularies, checked offline
    configs = MetadataConfigs.from_dataset_card_data(d)
    assert list(configs) == [*CONFIGS, "reference_portraits"]
    assert configs["items"]["default"] is True
    for c in CONFIGS:
        assert configs[c]["data_files"] == [{"split": "test", "path": parquet_path(c)}]
    infos = DatasetInfosDict.from_dataset_card_data(d)
    assert {c: infos[c].splits["test"].num_examples for c in CONFIGS} == ROWS
    assert all(infos[c].features == FEATURES[c] for c in CONFIGS)
    # body: every section, this build's figures, and the sha256 of every input file
    text = card.text
    for section in ["## Configs", "## Fields", "## How items were validated", "## Cross-check against the published",
                    "## Reliability of the selected items", "## Provenance", "## Limitations", "## Citation",
                    "## Changelog"]:
        assert section in text, section
    for c in CONFIGS:
        assert f"### `{c}`" in text
    assert "| pvq | 5200 | 4802 |" in text and "| bfi | 2600 | 2520 |" in text
    assert "11 of 12 survey groups" in text and "P186 (groups 1, 6)" in text
    assert "08e1fb7903c619592bd8b3267f00191e36957f9e" in text
    info = json.loads((built_dataset / "build_info.json").read_text())
    assert len(info["inputs"]) == 23  # 11 data files + 12 prompt files
    for rel, sha in info["inputs"].items():
        assert sha == hashlib.sha256((raw_dir / rel).read_bytes()).hexdigest()
        assert f"| `{rel}` | `{sha}` |" in text
    # the Changelog section is cards/CHANGELOG.md's entries (one source, the file publish checks), nothing else
    from valueportrait.changelog import changelog_entries, default_changelog

    entries = changelog_entries(default_changelog().read_text(encoding="utf-8"))
    assert DATASET_VERSION in entries
    expected = "".join(f"\n### {v}{f' ({d})' if d else ''}\n\n{body}\n" for v, (d, body) in entries.items())
    assert text.split("\n## Changelog\n", 1)[1] == expected
    assert "### 1.0.0 (2026-11-22)\n\n- First release, built from the upstream release" in text
    assert "Value Portrait: Assessing Language Models' Values through Psychometrically and Ecologically Valid Items" in text
    assert "no demographic" in text.lower() and "pilot" in text


def test_build_info(built_dataset):
    info = json.loads((built_dataset / "build_info.json").read_text())
    assert info["dataset_version"] == DATASET_VERSION
    assert info["selection"] == {"correlations": "published", "threshold": 0.3, "alpha": 0.05, "mode": "pos",
                                 "correction": "none", "scoring": "threshold"}
    assert info["upstream"] == {"repository": "https://github.com/holi-lab/ValuePortrait",
                                "commit": "08e1fb7903c619592bd8b3267f00191e36957f9e"}
    assert len(info["reliability"]["dimensions"]) == 19


def test_cli_build_is_deterministic_and_prints_a_summary(built_dataset, raw_dir, tmp_path):
    out = tmp_path / "again"
    result = CliRunner().invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # a second, independent build of the same input gives byte-identical files, card included
    assert _files(out) == _files(built_dataset)
    lines = result.stdout.splitlines()
    assert lines[0] == f"Built Value Portrait {DATASET_VERSION} into {out}"
    assert lines[1] == "Selection: published correlations, rho > 0.3 and p < 0.05, mode pos, correction none"
    assert "Items measuring at least one dimension: 317 of 520" in lines
    assert re.search(r"^pvq\s+284\s+221$", result.stdout, re.M)
    assert re.search(r"^pvq\s+Power\s+64\s+10\s+0\.697\s+0\.143\s+0\.932$", result.stdout, re.M)
    assert re.search(r"^pvq\s+5200\s+4802\s+0\.125\s+0\.496$", result.stdout, re.M)
    assert "Survey groups reproduced exactly: 11 of 12; differing: 1" in lines
    assert "Participants in more than one survey group: P186 (groups 1, 6)" in lines
    assert "Warning: data/prolific/value/main/value.json: 10 value records belong to nobody" in result.stderr


def test_cli_build_computed_abs(raw_dir, tmp_path):
    out = tmp_path / "abs"
    result = CliRunner().invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(out), "--correlations", "computed",
                                      "--threshold", "0.35", "--alpha", "0.01", "--mode", "abs"])
    assert result.exit_code == 0, result.output
    assert "Selection: computed correlations, rho > 0.35 and p < 0.01, mode abs" in result.stdout
    data = open_dataset(out)
    sel = data.selection()
    c = data.correlations.set_index(["item_id", "family", "dimension"])
    picked = c.loc[list(zip(sel["item_id"], sel["family"], sel["dimension"]))]
    assert (picked["rho"].abs() > 0.35).all() and (picked["p_value"] < 0.01).all()
    assert (sel["key"] == -1).any() and (sel["key"] == 1).any()  # abs keeps negatively keyed items too


def test_cli_build_errors(raw_dir, tmp_path, monkeypatch):
    from valueportrait.builders import fetch

    monkeypatch.delenv("VALUEPORTRAIT_RAW", raising=False)
    # no --raw: the pinned archive is downloaded; offline (a closed port on 127.0.0.1 here) that is a clear error
    monkeypatch.setattr(fetch, "DEFAULT_URL", "http://127.0.0.1:9/08e1fb7.tar.gz")
    monkeypatch.setenv("VALUEPORTRAIT_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()
    result = runner.invoke(cli, ["build", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: could not download the release from http://127.0.0.1:9/08e1fb7.tar.gz")
    assert "https://github.com/holi-lab/ValuePortrait at commit 08e1fb7" in result.stderr
    assert not (tmp_path / "x").exists()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("mine")  # (an empty folder is written into: nothing to lose)
    result = runner.invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "taken")])
    assert result.exit_code == 1 and "exists; pass --overwrite" in result.stderr
    result = runner.invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "y"), "--alpha", "2"])
    assert result.exit_code == 2 and "--alpha" in result.stderr


def test_cli_build_reads_the_environment(raw_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VALUEPORTRAIT_RAW", str(raw_dir))
    result = CliRunner().invoke(cli, ["build", "--out", str(tmp_path / "env")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env" / "README.md").is_file()


def test_cli_help_has_an_example():
    for command in ("build", "info"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output and f"valueportrait {command} " in result.output


def test_cli_info(built_dataset):
    result = CliRunner().invoke(cli, ["info", "--dataset", str(built_dataset)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0] == f"Value Portrait {DATASET_VERSION} at {built_dataset}"
    assert re.search(r"^human_ratings\s+24320$", out, re.M)
    assert re.search(r"^bfi\s+Neuroticism\s+5\s+1\s+0\.524\s+0\.524\s+0\.524$", out, re.M)
    assert "Survey groups reproduced exactly: 11 of 12; differing: 1" in out
    bad = CliRunner().invoke(cli, ["info", "--dataset", "./no-such-folder"])
    assert bad.exit_code == 1 and "Error: no dataset folder at './no-such-folder'" in bad.stderr


def test_public_loader(built_dataset, monkeypatch):
    ds = valueportrait.load_dataset(built_dataset)
    assert isinstance(ds, datasets.Dataset) and ds.num_rows == 520 and ds.split == "test"
    # upstream release @08e1fb7: 520 items, 24,320 main-survey ratings, 12 prompts (tests/test_tables.py)
    assert valueportrait.load_dataset(str(built_dataset), "human_ratings").num_rows == 24320
    monkeypatch.chdir(built_dataset.parent)
    assert valueportrait.load_dataset("valueportrait", "prompts").num_rows == 12
    assert valueportrait.open_dataset("valueportrait").items.shape == (520, 12)
    with pytest.raises(DatasetError, match="unknown config 'item'; the Value Portrait dataset has items, correlations"):
        valueportrait.load_dataset(built_dataset, "item")
    with pytest.raises(DatasetError, match="is a local folder; revision='v1.0.0' applies only to a Hub repo id"):
        valueportrait.load_dataset(built_dataset, revision="v1.0.0")
    with pytest.raises(DatasetError, match="no dataset folder at './nope'"):
        valueportrait.load_dataset("./nope")


def test_open_dataset_round_trip(built_dataset, release_data):
    back = open_dataset(built_dataset)
    for c in CONFIGS:
        a, b = getattr(back, c), getattr(release_data, c)
        assert list(a.columns) == list(FEATURES[c]) and len(a) == len(b)
    assert back.selection().equals(release_data.selection())
    info = dict(back.build_info)
    assert info.pop("reference_portraits")["source"] == "lm_evaluation/outputs"  # the build scored the outputs
    assert info == json.loads(json.dumps(release_data.build_info))


def test_reselection_goes_through_selection_table(release_data, tmp_path):
    # the build's own settings, given explicitly, select exactly the stored `selected` pairs
    assert release_data.selection(Selection(correlations=release_data.correlation_source)).equals(release_data.selection())
    stricter = release_data.selection(Selection(threshold=0.4))
    c = release_data.correlations.set_index(["item_id", "family", "dimension"])
    picked = c.loc[list(zip(stricter["item_id"], stricter["family"], stricter["dimension"]))]
    assert 0 < len(stricter) < len(release_data.selection())
    assert (picked["rho_published"] > 0.4).all() and (picked["p_value_published"] < 0.05).all()
    with pytest.raises(InputError, match="correlations must be one of 'published', 'computed', got 'pubished'"):
        release_data.selection(Selection(correlations="pubished"))
    # checked before the release is read: no folder is needed to get the error
    with pytest.raises(InputError, match="correlations must be 'published' or 'computed'.*got 'pubished'"):
        from_release(tmp_path / "no-release", correlations="pubished")


def test_builder_runs_on_its_own_from_raw(raw_dir, tmp_path):
    # the datasets builder alone (no pre-built tables): reads the release through its config's `raw`
    b = ValuePortrait(config_name="prompts", raw=str(raw_dir), cache_dir=str(tmp_path / "cache"))
    assert b.info.version == datasets.Version(DATASET_VERSION)
    assert "Han" in b.info.citation and b.info.license == "mit"
    with pytest.warns(UserWarning, match="10 value records belong to nobody"):
        b.download_and_prepare(str(tmp_path / "prompts"), file_format="parquet")
    ds = datasets.Dataset.from_parquet(str(next((tmp_path / "prompts").glob("*.parquet"))))
    assert ds.num_rows == 12 and ds.features == FEATURES["prompts"]


def test_tables_are_cast_to_the_declared_features(release_data):
    import dataclasses

    broken = dataclasses.replace(release_data, human_ratings=release_data.human_ratings.assign(rating="high"))
    with pytest.raises(ValueError, match=r"Failed to parse string: 'high'.*column rating"):  # pyarrow's ArrowInvalid
        table_for(broken, "human_ratings")
    missing = dataclasses.replace(release_data, prompts=release_data.prompts.drop(columns="text"))
    with pytest.raises(KeyError, match=r"config 'prompts' lacks column\(s\) \['text'\]"):
        table_for(missing, "prompts")


def test_public_loader_hub_errors_are_wrapped(monkeypatch, tmp_path):
    # offline (no network in tests): a Hub repo id fails with a DatasetError naming repo, config and revision
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError,
                       match=r"could not load config 'queries' of the dataset repo 'someorg/valueportrait' "
                                           r"\(revision v1\.0\.0\) from the Hub: .*Check the repo id, the revision"):
        valueportrait.load_dataset("someorg/valueportrait", "queries", revision="v1.0.0")
